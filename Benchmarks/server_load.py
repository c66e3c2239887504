#!/usr/bin/env python3
"""Load: 100 concurrent submissions from a second process against the real server (issue 5, must-show 5).

Starts `chromasong serve` on a loopback port with a small queue limit, fires N image_to_song submissions at once
(a barrier releases all threads together), and checks the contract: every answer is 200 (accepted) or 429 (queue
full), and every accepted task reaches COMPLETED. Reports p50/p99 submit latency and the server's peak RSS
(VmHWM, plus the largest VmRSS sampled every 50 ms) to results/server_load.md and .json.

    python3 Benchmarks/server_load.py [--n 100] [--queue-limit 8] [--workers 1] [--duration 10]

Stdlib only. Exits non-zero if the contract is broken.
"""
import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_common import API, RESULTS, Server, find_binary, get_json, percentile, post_multipart, shared_photo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="concurrent submissions")
    parser.add_argument("--queue-limit", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="song seconds (10 is the contract's minimum)")
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--instrumental", action="store_true", help="make_instrumental=true (faster renders)")
    parser.add_argument("--complete-timeout", type=float, default=1200, help="seconds for all accepted to finish")
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--binary", type=Path, default=None, help="chromasong binary (default: this checkout's)")
    parser.add_argument("--render-worker", default="process", choices=["process", "in-process"],
                        help="where renders run (the server's --render-worker; default process, as `serve` does)")
    parser.add_argument("--out", default="server_load", help="results/<out>.md and .json")
    args = parser.parse_args()

    image = args.image or shared_photo()
    binary = (args.binary or find_binary()).absolute()
    server = Server(queue_limit=args.queue_limit, workers=args.workers, binary=binary,
                    extra_env={"CHROMASONG_RENDER_WORKER": args.render_worker})
    peak_sampled = [0]
    peak_children = [0]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            rss, _ = server.rss_kib()
            peak_sampled[0] = max(peak_sampled[0], rss)
            peak_children[0] = max(peak_children[0], server.children_rss_kib())
            time.sleep(0.05)

    try:
        server.wait_ready()
        idle_rss, _ = server.rss_kib()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        fields = {"prompt": "load test", "duration": str(args.duration), "versions": str(args.versions)}
        if args.instrumental:
            fields["make_instrumental"] = "true"
        barrier = threading.Barrier(args.n)
        answers = [None] * args.n

        def submit(i: int):
            barrier.wait()
            start = time.perf_counter()
            try:
                status, body = post_multipart(f"{server.base}{API}/image_to_song", dict(fields, seed=str(1000 + i)),
                                              {"image_file": image}, timeout=120)
            except OSError as error:
                status, body = -1, {"error": str(error)}
            answers[i] = (status, (time.perf_counter() - start) * 1000, body)

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(args.n)]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        submit_wall = time.perf_counter() - wall

        latencies = [a[1] for a in answers]
        accepted = [a[2]["task_id"] for a in answers if a[0] == 200 and a[2].get("task_id")]
        refused = sum(1 for a in answers if a[0] == 429)
        other = [(a[0], a[2]) for a in answers if a[0] not in (200, 429)]
        bad_429 = [a[2] for a in answers if a[0] == 429 and a[2].get("success") is not False]

        # Every accepted task must complete.
        pending = set(accepted)
        outcome = {}
        deadline = time.time() + args.complete_timeout
        render_start = time.perf_counter()
        while pending and time.time() < deadline:
            for task_id in list(pending):
                status, body = get_json(f"{server.base}{API}/byId?conversionType=IMAGE_TO_SONG&task_id={task_id}")
                state = (body.get("conversion") or {}).get("status") if status == 200 else f"HTTP {status}"
                if state in ("COMPLETED", "FAILED"):
                    outcome[task_id] = state
                    pending.discard(task_id)
            time.sleep(1.0)
        drain_seconds = time.perf_counter() - render_start
        for task_id in pending:
            outcome[task_id] = "TIMEOUT"
        sampling.set()
        sampler.join()
        _, hwm = server.rss_kib()
    finally:
        sampling.set()
        server.stop()

    completed = sum(1 for s in outcome.values() if s == "COMPLETED")
    ok = (not other and not bad_429 and len(accepted) + refused == args.n and completed == len(accepted)
          and len(accepted) > 0)
    result = {
        "submissions": args.n, "queue_limit": args.queue_limit, "workers": args.workers,
        "render_worker": args.render_worker,
        "song_duration_s": args.duration, "versions": args.versions, "instrumental": args.instrumental,
        "image": image.name, "binary": str(binary.relative_to(binary.parents[2])),
        "accepted": len(accepted), "refused_429": refused, "other_answers": other[:5],
        "completed": completed, "not_completed": {k: v for k, v in outcome.items() if v != "COMPLETED"},
        "submit_latency_ms": {"p50": round(percentile(latencies, 50), 1), "p99": round(percentile(latencies, 99), 1),
                              "max": round(max(latencies), 1), "min": round(min(latencies), 1)},
        "submit_wall_s": round(submit_wall, 2), "drain_s": round(drain_seconds, 1),
        "server_rss_mib": {"idle": round(idle_rss / 1024, 1), "peak_sampled": round(peak_sampled[0] / 1024, 1),
                           "peak_vmhwm": round(hwm / 1024, 1),
                           "render_workers_peak_sampled": round(peak_children[0] / 1024, 1)},
        "contract_held": ok,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    lat = result["submit_latency_ms"]
    rss = result["server_rss_mib"]
    md = [
        "# Server load: concurrent submissions",
        "",
        f"`Benchmarks/server_load.py`: {args.n} multipart `image_to_song` submissions released at once from a second "
        f"process against `chromasong serve` on loopback ({result['binary']}), queue limit {args.queue_limit}, "
        f"{args.workers} worker(s), renders {'in worker processes' if args.render_worker == 'process' else 'in the server process'}, {args.duration} s songs, {args.versions} versions"
        f"{', instrumental' if args.instrumental else ''}, image `{image.name}`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| accepted (200) | {len(accepted)} |",
        f"| refused (429, queue full) | {refused} |",
        f"| any other answer | {len(other)} |",
        f"| accepted that completed | {completed} / {len(accepted)} (all done after {result['drain_s']} s) |",
        f"| submit latency p50 | {lat['p50']} ms |",
        f"| submit latency p99 | {lat['p99']} ms (max {lat['max']} ms) |",
        f"| all {args.n} answers within | {result['submit_wall_s']} s |",
        f"| server RSS idle / peak sampled / peak (VmHWM) | {rss['idle']} / {rss['peak_sampled']} / {rss['peak_vmhwm']} MiB |",
        f"| render worker processes, RSS peak sampled (sum) | {rss['render_workers_peak_sampled']} MiB |",
        "",
        f"Contract held (each answer 200 or 429 with the error body, every accepted task COMPLETED): **{ok}**.",
        "",
    ]
    (RESULTS / f"{args.out}.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
