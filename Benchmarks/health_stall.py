#!/usr/bin/env python3
"""Does a hostile multipart body stall the server (issue 9, finding 3)? Two 13.5 MB bodies of 200,000 one-byte
fields are posted at once while `/health` is polled every 20 ms; reports the slowest `/health` answer and the two
submissions' statuses to results/health_stall.md. Before the part cap, the two bodies were parsed in full on the
shared pool and `/health` stalled for 3.4 s.

    python3 Benchmarks/health_stall.py [--fields 200000]

Stdlib only.
"""
import argparse
import http.client
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_common import API, RESULTS, Server, find_binary, get_json  # noqa: E402


def hostile_body(fields: int) -> tuple[bytes, str]:
    boundary = "b0undary"
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n").encode()
    return part * fields + f"--{boundary}--\r\n".encode(), boundary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=200_000)
    args = parser.parse_args()
    body, boundary = hostile_body(args.fields)
    server = Server(queue_limit=100, workers=1, binary=find_binary().absolute())
    statuses = [None, None]
    latencies = []
    try:
        server.wait_ready()
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                start = time.perf_counter()
                get_json(f"{server.base}/health", timeout=30)
                latencies.append(time.perf_counter() - start)
                time.sleep(0.02)

        def post(i: int):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            try:
                connection.request("POST", f"{API}/image_to_song", body=body, headers={
                    "Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))})
                statuses[i] = connection.getresponse().status
            except OSError as error:
                statuses[i] = f"connection ended ({error.__class__.__name__})"
            finally:
                connection.close()

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)
        posts = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        wall = time.perf_counter()
        for t in posts:
            t.start()
        for t in posts:
            t.join()
        posted = time.perf_counter() - wall
        time.sleep(0.3)
        stop.set()
        poller.join()
    finally:
        server.stop()
    worst = max(latencies)
    md = [
        "# /health under hostile multipart bodies",
        "",
        f"`Benchmarks/health_stall.py`: two {len(body) / 1e6:.1f} MB bodies of {args.fields:,} one-byte fields posted at"
        " once to `chromasong serve` on loopback while `/health` is polled every 20 ms.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| submissions' answers | {statuses[0]}, {statuses[1]} |",
        f"| both answered after | {posted:.2f} s |",
        f"| slowest /health | {worst * 1000:.1f} ms ({len(latencies)} polls) |",
        "",
        "Before the 32-part cap (issue 9): `/health` stalled for 3.4 s.",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "health_stall.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
