#!/usr/bin/env python3
"""Time to first audio of `chromasong render --stream -` (issue 14): from starting the command (submission) to the
first playable bytes on its standard output (the WAV header and the first samples), and how long the whole stream
takes to arrive. Standard library only.

  python3 Benchmarks/ttfa_check.py --cli .build/release/chromasong [--runs 3] [--out Benchmarks/results/ttfa_check.md]

Jobs: the bundled example, two versions (the preview is the first), mp3+wav, seed 1: sung (the default) and
instrumental. Median of the runs. The stream is also checked: its header's length matches what arrived.
"""
import argparse, datetime, os, statistics, struct, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = os.path.join(HERE, "..", "examples", "yellowflower.jpg")


def one(cli, extra):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        p = subprocess.Popen([cli, "render", IMAGE, "--seed", "1", "--out", os.path.join(tmp, "out"), "--stream", "-"]
                             + extra, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got = bytearray()
        first = None
        while True:
            chunk = p.stdout.read1(1 << 16)
            if not chunk:
                break
            got += chunk
            if first is None and len(got) > 44:
                first = time.monotonic() - start
        stream_end = time.monotonic() - start
        if p.wait() != 0:
            sys.exit(f"render failed: {extra}")
        total = time.monotonic() - start
        if got[:4] != b"RIFF" or got[8:12] != b"WAVE":
            sys.exit("the stream is not a WAV file")
        declared = struct.unpack("<I", got[40:44])[0]
        if declared != len(got) - 44:
            sys.exit(f"the header says {declared} bytes of samples, {len(got) - 44} arrived")
        return first, stream_end, total, declared / 4 / 44100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "ttfa_check.md"))
    a = ap.parse_args()
    rows = []
    for name, extra in [("sung (default)", []), ("instrumental", ["--instrumental"])]:
        runs = [one(a.cli, extra) for _ in range(a.runs)]
        first = statistics.median(r[0] for r in runs)
        rows.append((name, first, [r[0] for r in runs], statistics.median(r[1] for r in runs),
                     statistics.median(r[2] for r in runs), runs[0][3]))
        print(f"{name}: first audio {first * 1000:.0f} ms (runs {', '.join(f'{r[0] * 1000:.0f}' for r in runs)}); "
              f"stream complete {rows[-1][3]:.2f} s; command {rows[-1][4]:.2f} s; {runs[0][3]:.1f} s of audio")
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    with open(a.out, "w") as f:
        f.write(f"# Time to first audio, `chromasong render --stream -` ({date})\n\n"
                f"`Benchmarks/ttfa_check.py`, {a.runs} runs each, medians; {os.cpu_count()} cores. The bundled "
                "example, seed 1, two versions, mp3+wav; the stream is the first version through the provisional "
                "master. From starting the command to the first samples on standard output. Bar: <= 300 ms.\n\n"
                "| job | first audio | runs | stream complete | whole command | audio |\n|---|---|---|---|---|---|\n")
        for name, first, each, end, total, secs in rows:
            f.write(f"| {name} | {first * 1000:.0f} ms | {', '.join(f'{x * 1000:.0f}' for x in each)} ms | "
                    f"{end:.2f} s | {total:.2f} s | {secs:.1f} s |\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
