#!/usr/bin/env python3
"""Time to first audio (issue 14), on the CLI stream and on the server stream. Standard library only.

  python3 Benchmarks/ttfa_check.py --cli .build/release/chromasong [--runs 3] [--out Benchmarks/results/ttfa_check.md]

- CLI: `chromasong render --stream -`, from starting the command (submission) to the first samples on its standard
  output (the WAV header and the first samples), and how long the whole stream takes to arrive.
- Server: `chromasong serve` (its defaults: a worker child process per render, SQLite) started once on a free port;
  from starting the submission (`POST /api/public/v1/image_to_song`) to the first samples of
  `GET /api/public/v1/stream?conversion_id=<first>` (chunked WAV), asked for as soon as the submission answers.
  Each run waits for its task to finish before the next.

Jobs: the bundled example, two versions (the stream is the first), mp3+wav, seed 1: sung (the default) and
instrumental. Median of the runs. Each stream is also checked: its header's length matches what arrived.
"""
import argparse, datetime, http.client, json, os, socket, statistics, struct, subprocess, sys, tempfile, time, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = os.path.join(HERE, "..", "examples", "yellowflower.jpg")


def one(cli, extra):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        p = subprocess.Popen([cli, "render", IMAGE, "--seed", "1", "--out", os.path.join(tmp, "out"), "--stream", "-"]
                             + extra, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got, first, lead = read_stream(p.stdout, start)
        stream_end = time.monotonic() - start
        if p.wait() != 0:
            sys.exit(f"render failed: {extra}")
        total = time.monotonic() - start
        return first, stream_end, total, check_wav(got), lead.least(first)


def read_stream(source, start):
    """Reads a WAV stream to its end: the bytes, when the first samples came (seconds after `start`), and its
    `Lead`."""
    got = bytearray()
    first = None
    lead = Lead()
    while True:
        chunk = source.read1(1 << 16)
        if not chunk:
            break
        got += chunk
        if first is None and len(got) > 44:
            first = time.monotonic() - start
        lead.arrived(len(got), time.monotonic() - start)
    return got, first, lead


class Lead:
    """How far ahead of a player the stream stays: a player starting at the first audio and playing in real time
    needs the byte for audio time t by first + t. The least (first + t - arrival) over the stream after its first
    second of audio (before it, the lead is only what the first pieces hold): negative means the player would
    have stalled there."""
    def __init__(self):
        self.points = []

    def arrived(self, size, at):
        self.points.append((max(0, size - 44) / 4 / 44100, at))

    def least(self, first):
        return min((first + t - at for t, at in self.points if t > 1), default=float("nan"))


def check_wav(got):
    if got[:4] != b"RIFF" or got[8:12] != b"WAVE":
        sys.exit("the stream is not a WAV file")
    declared = struct.unpack("<I", got[40:44])[0]
    if declared != len(got) - 44:
        sys.exit(f"the header says {declared} bytes of samples, {len(got) - 44} arrived")
    return declared / 4 / 44100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(fields, image):
    boundary = uuid.uuid4().hex
    body = bytearray()
    for k, v in fields:
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image_file\"; filename=\"photo.jpg\"\r\n"
             "Content-Type: image/jpeg\r\n\r\n").encode() + image + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


class Server:
    def __init__(self, cli):
        self.tmp = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.proc = subprocess.Popen([cli, "serve", "--port", str(self.port), "--data-dir", self.tmp.name],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit("the server did not answer /health")

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()

    def one(self, extra):
        image = open(IMAGE, "rb").read()
        fields = [("seed", "1"), ("formats", "mp3,wav")] + extra
        body, ctype = multipart(fields, image)
        start = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request("POST", "/api/public/v1/image_to_song", body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        accepted = json.loads(r.read())
        if r.status != 200:
            sys.exit(f"submission refused: {r.status} {accepted}")
        s = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        s.request("GET", f"/api/public/v1/stream?conversion_id={accepted['conversion_id_1']}")
        r = s.getresponse()
        if r.status != 200:
            sys.exit(f"stream refused: {r.status} {r.read()[:300]}")
        got, first, lead = read_stream(r, start)
        stream_end = time.monotonic() - start
        while True:
            status, data = self.get(f"/api/public/v1/byId?task_id={accepted['task_id']}")
            state = json.loads(data).get("conversion", {}).get("status")
            if state in ("COMPLETED", "FAILED"):
                break
            time.sleep(0.05)
        if state != "COMPLETED":
            sys.exit(f"render failed: {extra}")
        total = time.monotonic() - start
        return first, stream_end, total, check_wav(got), lead.least(first)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.tmp.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "ttfa_check.md"))
    a = ap.parse_args()
    rows = []
    server = Server(a.cli)
    jobs = [("CLI", "sung (default)", lambda: one(a.cli, [])),
            ("CLI", "instrumental", lambda: one(a.cli, ["--instrumental"])),
            ("server", "sung (default)", lambda: server.one([])),
            ("server", "instrumental", lambda: server.one([("make_instrumental", "true")]))]
    for where, job, run in jobs:
        name = f"{where}, {job}"
        runs = [run() for _ in range(a.runs)]
        first = statistics.median(r[0] for r in runs)
        rows.append((name, first, [r[0] for r in runs], statistics.median(r[1] for r in runs),
                     statistics.median(r[2] for r in runs), runs[0][3], min(r[4] for r in runs)))
        print(f"{name}: first audio {first * 1000:.0f} ms (runs {', '.join(f'{r[0] * 1000:.0f}' for r in runs)}); "
              f"stream complete {rows[-1][3]:.2f} s; whole job {rows[-1][4]:.2f} s; {runs[0][3]:.1f} s of audio; "
              f"least lead over a real-time player {rows[-1][6]:.2f} s")
    server.close()
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    with open(a.out, "w") as f:
        f.write(f"# Time to first audio: `chromasong render --stream -` and the server's stream ({date})\n\n"
                f"`Benchmarks/ttfa_check.py`, {a.runs} runs each, medians; {os.cpu_count()} cores. The bundled "
                "example, seed 1, two versions, mp3+wav; the stream is the first version through the provisional "
                "master. CLI: from starting the command to the first samples on standard output. Server "
                "(`chromasong serve`, a worker child per render): from starting the submission to the first samples "
                "of `GET /api/public/v1/stream`, asked for when the submission answers. Bar: <= 300 ms. Least lead: how "
                "far ahead of a player that starts at the first audio and plays in real time the stream stays, the "
                "least after the first second of audio, over the song and the runs (negative: the player would "
                "stall).\n\n"
                "| job | first audio | runs | stream complete | whole job | audio | least lead |\n"
                "|---|---|---|---|---|---|---|\n")
        for name, first, each, end, total, secs, least in rows:
            f.write(f"| {name} | {first * 1000:.0f} ms | {', '.join(f'{x * 1000:.0f}' for x in each)} ms | "
                    f"{end:.2f} s | {total:.2f} s | {secs:.1f} s | {least:.2f} s |\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
