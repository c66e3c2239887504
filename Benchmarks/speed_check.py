"""Issue 14's baseline, measured in one run (docs/speed.md).

Two engine-bench binaries, today's (`--new`) and the issue's reference build of f14b649 (`--base`), measured
alternately (new, base, base, new, ...) so drift in the machine's load falls on both alike. For each mode (the
default sung job: two 3-minute versions, mp3+wav, stems, cover, MIDI; and the instrumental job) it reports the
median wall seconds and peak resident memory over `--runs` runs, and the ratio new / base. It then measures
synthesis through mastering on one core (`taskset -c 0`, one instrumental version) for both builds, and the
peer the issue names: FluidSynth rendering the song's own MIDI file with Debian's FluidR3 General MIDI soundfont on
one core, in the same run.

Two more of the issue's bars, with `--parts cores,length` (each writes its own table):
- cores: the same request rendered by the CLI on one core (`taskset -c 0`) and on all of them; every file's
  SHA-256 compared (the manifest without its random task and conversion ids). Bytes must not depend on cores.
- length: peak memory of the default sung job at 180 s and at 600 s (issue: within 10%).

Nothing here asserts: it measures and writes Benchmarks/results/speed_check*.md and .json.

  python3 Benchmarks/speed_check.py --new .build/release/engine-bench --base /path/to/f14b649/engine-bench \
      --cli .build/release/chromasong
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
IMAGE = os.path.join(ROOT, "examples", "yellowflower.jpg")
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def bench(binary, extra, pin=None):
    """One engine-bench run; its JSON summary."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        cmd = ([] if pin is None else ["taskset", "-c", pin]) + [binary, "--image", IMAGE, "--json", out] + extra
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def alternate(builds, extra, runs, pin=None):
    """`runs` runs of each build, in the order A B, B A, A B, ...; per build the list of summaries."""
    seen = {name: [] for name in builds}
    names = list(builds)
    for r in range(runs):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            seen[name].append(bench(builds[name], extra, pin))
    return seen


def fluidsynth_factor(cli, tmp):
    """The song's own MIDI (one instrumental version, seed 1) through FluidSynth on one core: x real time."""
    song = os.path.join(tmp, "song")
    subprocess.run([cli, "render", IMAGE, "--instrumental", "--seed", "1", "--versions", "1", "--formats", "wav",
                    "--out", song], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    midi = os.path.join(song, "v1", "song.mid")
    wav = os.path.join(tmp, "fluid.wav")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(["taskset", "-c", "0", "fluidsynth", "-ni", "-q", "-r", "44100", "-o", "synth.cpu-cores=1",
                        "-F", wav, SOUNDFONT, midi], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    frames = os.path.getsize(wav) - 44  # 16-bit stereo WAV with a plain 44-byte header
    seconds = frames / 4 / 44100
    return {"midi": os.path.relpath(midi, tmp), "audio_seconds": round(seconds, 2),
            "wall_seconds": [round(t, 3) for t in times],
            "realtime_factor": round(seconds / statistics.median(times), 1)}


def file_hashes(folder):
    """SHA-256 of every file under `folder` by relative path; the manifest without its random ids."""
    import hashlib
    out = {}
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            with open(path, "rb") as f:
                data = f.read()
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest.pop("task_id", None)
                for v in manifest.get("versions", []):
                    v.pop("conversion_id", None)
                data = json.dumps(manifest, sort_keys=True).encode()
            out[rel] = hashlib.sha256(data).hexdigest()
    return out


def cores_check(cli):
    """The same sung request on one core and on all: which files differ."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, pin in [("1 core", ["taskset", "-c", "0"]), (f"{os.cpu_count()} cores", [])]:
            out = os.path.join(tmp, label.replace(" ", "_"))
            start = time.perf_counter()
            subprocess.run(pin + [cli, "render", IMAGE, "--seed", "3", "--duration", "60", "--formats", "mp3,wav,flac",
                                  "--out", out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rows.append((label, round(time.perf_counter() - start, 2), file_hashes(out)))
    (la, ta, ha), (lb, tb, hb) = rows
    differing = sorted(k for k in set(ha) | set(hb) if ha.get(k) != hb.get(k))
    return {"files": len(ha), "differing": differing, "wall": {la: ta, lb: tb}}


def length_check(binary, runs):
    """Peak memory of the default sung job at 180 s and at 600 s."""
    out = {}
    for seconds in (180, 600):
        peaks = [bench(binary, ["--duration", str(seconds)])["peakResidentMB"] for _ in range(runs)]
        out[str(seconds)] = {"peak_mb": [round(x, 1) for x in peaks], "median": round(statistics.median(peaks), 1)}
    out["ratio"] = round(out["600"]["median"] / out["180"]["median"], 3)
    return out


def write_table(name, lines, data):
    out = os.path.join(HERE, "results", name)
    with open(out + ".json", "w") as f:
        json.dump(data, f, indent=2)
    with open(out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--new", required=True, help="today's engine-bench")
    p.add_argument("--base", required=True, help="f14b649's engine-bench")
    p.add_argument("--cli", required=True, help="today's chromasong (writes the MIDI file FluidSynth plays)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--parts", default="speed,cores,length", help="which measurements: speed, cores, length")
    a = p.parse_args()
    parts = set(a.parts.split(","))
    date = datetime.datetime.now().isoformat(timespec="seconds")
    if "cores" in parts:
        c = cores_check(os.path.abspath(a.cli))
        print("cores", json.dumps(c))
        write_table("speed_check_cores", [
            "# Issue 14: output bytes against the number of cores", "",
            f"`Benchmarks/speed_check.py --parts cores`, {date}: `chromasong render yellowflower.jpg --seed 3 "
            "--duration 60 --formats mp3,wav,flac` (sung, two versions) under `taskset -c 0` and on all "
            f"{os.cpu_count()} cores; SHA-256 of every file (the manifest without its random task and conversion ids).",
            "", f"{c['files']} files, {len(c['differing'])} differ{': ' + ', '.join(c['differing']) if c['differing'] else ''}. "
            f"Wall: {c['wall']}."], dict(c, date=date))
    if "length" in parts:
        m = length_check(os.path.abspath(a.new), a.runs)
        print("length", json.dumps(m))
        write_table("speed_check_length", [
            "# Issue 14: peak memory against the song's length", "",
            f"`Benchmarks/speed_check.py --parts length`, {date}: engine-bench's default sung job (two versions, "
            f"mp3+wav), {a.runs} runs each.", "",
            "| duration | peak MB (runs) | median |", "|---|---|---|",
            f"| 180 s | {m['180']['peak_mb']} | {m['180']['median']} |",
            f"| 600 s | {m['600']['peak_mb']} | {m['600']['median']} |", "",
            f"600 s over 180 s: {m['ratio']} (bar: within 10%, <= 1.1)."], dict(m, date=date))
    if "speed" not in parts:
        return
    builds = {"new": os.path.abspath(a.new), "base": os.path.abspath(a.base)}
    result = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cores": os.cpu_count(),
              "runs": a.runs, "modes": {}}
    for mode, extra in [("sung", []), ("instrumental", ["--instrumental"])]:
        seen = alternate(builds, extra, a.runs)
        row = {}
        for name, runs in seen.items():
            row[name] = {"wall_seconds": [round(r["wallSeconds"], 3) for r in runs],
                         "peak_mb": [round(r["peakResidentMB"], 1) for r in runs],
                         "median_wall": round(statistics.median(r["wallSeconds"] for r in runs), 3),
                         "median_peak_mb": round(statistics.median(r["peakResidentMB"] for r in runs), 1)}
        row["wall_ratio"] = round(row["new"]["median_wall"] / row["base"]["median_wall"], 3)
        result["modes"][mode] = row
        print(mode, json.dumps(row))
    one = alternate(builds, ["--instrumental", "--versions", "1"], a.runs, pin="0")
    result["one_core"] = {name: {"factors": [round(r["synthesisThroughMasteringRealtimeFactor"], 1) for r in runs],
                                 "median": round(statistics.median(r["synthesisThroughMasteringRealtimeFactor"]
                                                                  for r in runs), 1)}
                          for name, runs in one.items()}
    print("one core", json.dumps(result["one_core"]))
    if shutil.which("fluidsynth") and os.path.exists(SOUNDFONT):
        with tempfile.TemporaryDirectory() as tmp:
            result["fluidsynth"] = fluidsynth_factor(os.path.abspath(a.cli), tmp)
        result["fluidsynth"]["ours_over_fluidsynth"] = round(
            result["one_core"]["new"]["median"] / result["fluidsynth"]["realtime_factor"], 2)
        print("fluidsynth", json.dumps(result["fluidsynth"]))
    else:
        result["fluidsynth"] = None
    m = result["modes"]
    lines = [
        "# Issue 14: today's build against f14b649, one run",
        "",
        f"`Benchmarks/speed_check.py`, {result['date']}, {result['cores']} cores, {a.runs} runs per build, "
        "alternating builds; medians. engine-bench's defaults: yellowflower.jpg, 180 s, 2 versions, mp3+wav, seed 1.",
        "",
        "| job | build | wall s (runs) | median wall | peak MB (runs) | median peak | wall new / base |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in ["sung", "instrumental"]:
        for name in ["new", "base"]:
            r = m[mode][name]
            lines.append(f"| {mode} | {name} | {r['wall_seconds']} | {r['median_wall']} | {r['peak_mb']} | "
                         f"{r['median_peak_mb']} | {m[mode]['wall_ratio'] if name == 'new' else ''} |")
    oc = result["one_core"]
    lines += ["", "Synthesis through mastering on one core (`taskset -c 0`, one instrumental version), x real time: "
              f"new {oc['new']['median']} {oc['new']['factors']}, base {oc['base']['median']} {oc['base']['factors']}."]
    fs = result["fluidsynth"]
    if fs:
        lines += ["", f"FluidSynth 2.3 with FluidR3_GM on the song's own MIDI ({fs['audio_seconds']} s), one core: "
                  f"{fs['realtime_factor']}x real time (wall {fs['wall_seconds']}); ours / FluidSynth = "
                  f"{fs['ours_over_fluidsynth']} (bar: >= 8)."]
    lines += ["", "Issue 14's bars: sung wall <= 0.6x base, instrumental <= 0.7x; peak <= 250 MB sung, <= 150 MB "
              "instrumental; one-core synthesis through mastering >= 2x base and >= 8x FluidSynth."]
    write_table("speed_check", lines, result)


if __name__ == "__main__":
    main()
