#!/usr/bin/env python3
"""Live check of the real binary (issue 5, must-show 2): `chromasong serve` on a loopback port and a local
webhook receiver in this process.

A standard request (sung: lyrics written from the image) must yield 2 conversion, 2 lyrics and 1 cover webhooks,
an instrumental one 2 + 1; every webhook's signature verifies; the lyrics webhooks carry real timed lines; byId
passes through IN_QUEUE, IN_PROGRESS and COMPLETED; every URL in byId and the webhooks downloads with the right
content type and honours Range (206 with the exact bytes, 416 past the end). Results: results/server_live.md/.json.

    python3 Benchmarks/server_live.py [--binary PATH] [--duration 10]

Stdlib only; traffic stays on 127.0.0.1. Exits non-zero when a check fails.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_common import API, RESULTS, Server, find_binary, get_json, post_multipart, shared_photo  # noqa: E402

SECRET = "live-secret"
TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".png": "image/png", ".json": "application/json",
         ".flac": "audio/flac", ".ogg": "audio/ogg", ".mid": "audio/midi"}


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits = []
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.hits.append({k.lower(): v for k, v in self.headers.items()} | {"body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fetch(url: str, headers: dict | None = None) -> tuple[int, str, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read(), dict(e.headers)


def check_file(url: str, problems: list) -> dict:
    """Downloads a result URL whole and by two ranges; returns its facts."""
    status, kind, whole, _ = fetch(url)
    # File URLs are signed (?expires=…&sig=…): the type comes from the path.
    want = TYPES.get(Path(urllib.parse.urlsplit(url).path).suffix.lower(), "?")
    if status != 200 or kind.split(";")[0] != want or not whole:
        problems.append(f"{url}: {status} {kind} {len(whole)} bytes (want 200 {want})")
        return {"url": url, "status": status}
    n = len(whole)
    a, b = n // 3, n // 3 + 999
    status_r, _, part, headers = fetch(url, {"Range": f"bytes={a}-{b}"})
    if status_r != 206 or part != whole[a:b + 1] or headers.get("Content-Range") != f"bytes {a}-{min(b, n - 1)}/{n}":
        problems.append(f"{url}: Range bytes={a}-{b} gave {status_r} {headers.get('Content-Range')}")
    status_s, _, tail, _ = fetch(url, {"Range": "bytes=-100"})
    if status_s != 206 or tail != whole[-100:]:
        problems.append(f"{url}: suffix range gave {status_s}")
    status_416, _, _, _ = fetch(url, {"Range": f"bytes={n + 10}-"})
    if status_416 != 416:
        problems.append(f"{url}: range past the end gave {status_416}, want 416")
    return {"url": urllib.parse.urlsplit(url).path.split("/files/")[-1], "type": kind, "bytes": n, "range": status_r, "suffix": status_s,
            "past_end": status_416}


def run(server: Server, receiver: Receiver, fields: dict, image: Path, label: str, problems: list) -> dict:
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook/{label}"
    status, body = post_multipart(f"{server.base}{API}/image_to_song", dict(fields, webhook_url=hook),
                                  {"image_file": image}, timeout=60)
    if status != 200:
        problems.append(f"{label}: submit answered {status} {body}")
        return {}
    task = body["task_id"]
    states, conversion = [], {}
    start = time.time()
    while time.time() - start < 600:
        _, answer = get_json(f"{server.base}{API}/byId?conversionType=IMAGE_TO_SONG&task_id={task}")
        conversion = answer.get("conversion") or {}
        state = conversion.get("status")
        if not states or states[-1] != state:
            states.append(state)
        if state in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.05)
    render_s = time.time() - start
    expected = 3 if fields.get("make_instrumental") == "true" else 5
    deadline = time.time() + 30
    while time.time() < deadline:
        with receiver.lock:
            mine = [h for h in receiver.hits if json.loads(h["body"]).get("task_id") == task]
        if len({h.get("x-chromasong-delivery") for h in mine}) >= expected:
            break
        time.sleep(0.2)
    time.sleep(1.0)  # anything extra would arrive now
    with receiver.lock:
        mine = [h for h in receiver.hits if json.loads(h["body"]).get("task_id") == task]
    unique = {h["x-chromasong-delivery"]: h for h in mine}
    events = sorted(h["x-chromasong-event"] for h in unique.values())
    want_events = sorted(["conversion"] * 2 + ["cover"] + ([] if expected == 3 else ["lyrics"] * 2))
    if states[-1:] != ["COMPLETED"]:
        problems.append(f"{label}: byId states {states}")
    if events != want_events:
        problems.append(f"{label}: webhooks {events}, want {want_events}")
    bad_sig = [h["x-chromasong-delivery"] for h in mine if h.get("x-chromasong-signature") !=
               "sha256=" + hmac.new(SECRET.encode(), h["body"], hashlib.sha256).hexdigest()]
    if bad_sig:
        problems.append(f"{label}: signatures failed for {bad_sig}")
    lyric_lines = []
    urls = set()
    for h in unique.values():
        payload = json.loads(h["body"])
        if h["x-chromasong-event"] == "lyrics":
            lines = json.loads(payload["lyrics_timestamped"])
            lyric_lines.append(len(lines))
            ok = lines and all(isinstance(x.get("text"), str) and x["text"].strip() for x in lines)
            starts = [x.get("start", x.get("start_time")) for x in lines]
            if not ok or any(not isinstance(s, (int, float)) for s in starts) or starts != sorted(starts):
                problems.append(f"{label}: lyrics webhook lines not real timed lines: {lines[:2]}")
        for key in ("conversion_path", "conversion_path_wav", "image_path"):
            if payload.get(key):
                urls.add(payload[key])
    for key, value in conversion.items():
        if isinstance(value, str) and "/files/" in value:
            urls.add(value)
    files = [check_file(u, problems) for u in sorted(urls)]
    return {"task_id": task, "byId_states": states, "render_s": round(render_s, 1), "webhooks": events,
            "deliveries_received": len(mine), "signatures_ok": not bad_sig, "lyrics_lines": lyric_lines,
            "title": conversion.get("title"), "files": files}


def security(binary: Path, image: Path, problems: list) -> list:
    """Must-show 6 against the real binary with the default (strict) address policy and an API key."""
    import http.client
    server = Server(queue_limit=10, workers=0, binary=binary, extra_env={"CHROMASONG_API_KEYS": "k-live"})
    rows = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if get_json(f"{server.base}/health", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        url = f"{server.base}{API}/image_to_song"

        def post_json(body: dict, key: str | None = "k-live") -> tuple[int, dict]:
            headers = {"Content-Type": "application/json"} | ({"Authorization": key} if key else {})
            request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    return r.status, json.loads(r.read() or b"{}")
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read() or b"{}")

        for key, want in ((None, 401), ("wrong-key", 401)):
            status, body = post_json({"image_url": "https://example.com/a.jpg"}, key)
            rows.append((f"key {key or 'missing'}", status, body.get("error", "")))
            if status != want or body.get("success") is not False:
                problems.append(f"security: key {key}: {status} {body}")
        targets = ["http://127.0.0.1/a.jpg", "http://[::1]/a.jpg", "http://10.0.0.1/a.jpg",
                   "http://169.254.169.254/latest/meta-data/", "http://localhost/a.jpg", "http://127.1/a.jpg"]
        for target in targets:
            status, body = post_json({"image_url": target})
            rows.append((f"image_url {target}", status, body.get("error", "")))
            if status != 422 or not body.get("error", "").startswith("image_url: "):
                problems.append(f"security: image_url {target}: {status} {body}")
        for target in [t.replace("a.jpg", "hook") for t in targets]:
            status, body = post_json({"image_url": "https://example.com/a.jpg", "webhook_url": target})
            rows.append((f"webhook_url {target}", status, body.get("error", "")))
            if status != 422 or not body.get("error", "").startswith("webhook_url: "):
                problems.append(f"security: webhook_url {target}: {status} {body}")
        # 25 MiB upload, chunked (no declared length): refused while streaming, never held whole.
        _, hwm_before = server.rss_kib()
        boundary = "live25"
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="image_file"; filename="big.jpg"\r\n'
                f"Content-Type: image/jpeg\r\n\r\n").encode()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.putrequest("POST", f"{API}/image_to_song")
        connection.putheader("Authorization", "k-live")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        sent = 0
        chunk = b"\xff" * (256 * 1024)
        try:
            for piece in [head] + [chunk] * 100:
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            connection.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close once it has refused
        try:
            response = connection.getresponse()
            status, body = response.status, json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError) as error:
            status, body = -1, {"error": str(error)}
        connection.close()
        time.sleep(0.3)
        _, hwm_after = server.rss_kib()
        grew = (hwm_after - hwm_before) / 1024
        rows.append((f"25 MiB chunked upload ({sent / 2**20:.1f} MiB sent before the answer)", status,
                     f"{body.get('error', '')} (peak RSS grew {grew:.1f} MiB)"))
        if status != 413 or grew >= 25:
            problems.append(f"security: 25 MiB upload: {status} {body}, peak RSS grew {grew:.1f} MiB")
    finally:
        server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=None)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    binary = (args.binary or find_binary()).absolute()
    image = shared_photo()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = Server(queue_limit=10, workers=1, binary=binary, extra_env={
        "CHROMASONG_WEBHOOK_SECRET": SECRET, "CHROMASONG_ALLOW_PRIVATE_NETWORKS": "1"})
    problems: list = []
    try:
        server.wait_ready()
        standard = run(server, receiver, {"prompt": "calm piano", "duration": str(args.duration)}, image,
                       "standard", problems)
        instrumental = run(server, receiver, {"prompt": "calm piano", "duration": str(args.duration),
                                              "make_instrumental": "true"}, image, "instrumental", problems)
    finally:
        server.stop()
        receiver.shutdown()
    secure = security(binary, image, problems)
    result = {"binary": str(binary.relative_to(binary.parents[2])), "image": image.name, "standard": standard,
              "instrumental": instrumental,
              "security": [{"case": c, "status": st, "error": e} for c, st, e in secure], "problems": problems, "passed": not problems}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_live.json").write_text(json.dumps(result, indent=2) + "\n")
    md = ["# Server live check (real binary, loopback, local webhook receiver)", "",
          f"`Benchmarks/server_live.py` against `{result['binary']}`, image `{image.name}`, {args.duration} s songs.", "",
          "| request | byId states | webhooks (unique by delivery id) | signatures | lyrics lines per version | files (type, Range) |",
          "|---|---|---|---|---|---|"]
    for name, r in (("standard", standard), ("instrumental", instrumental)):
        if not r:
            continue
        files = ", ".join(f"{'/'.join(Path(f['url']).parts[-2:])} {f.get('type', '?')} {f.get('range', '?')}/{f.get('past_end', '?')}"
                          for f in r["files"])
        md.append(f"| {name} | {' → '.join(map(str, r['byId_states']))} | {', '.join(r['webhooks'])} | "
                  f"{'verify' if r['signatures_ok'] else 'FAIL'} | {r['lyrics_lines'] or '-'} | {files} |")
    md += ["", "Security (default strict policy, `CHROMASONG_API_KEYS` set):", "", "| case | status | error |",
           "|---|---|---|"] + [f"| {c} | {st} | {e} |" for c, st, e in secure]
    md += ["", f"Passed: **{not problems}**." + ("" if not problems else " Problems: " + "; ".join(problems)), ""]
    (RESULTS / "server_live.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
