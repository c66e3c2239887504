#!/usr/bin/env python3
"""The README's server commands, run exactly as written (issue 5, must-show 8).

Reads the ```sh block under "## The HTTP server" in README.md, starts its `chromasong serve` line from the
repository root (it listens on 127.0.0.1:8080, as written), runs its first curl (the submission) through bash, then
its byId curl with <task_id> filled in until the song is COMPLETED. Results: results/server_readme.md.

    python3 Benchmarks/server_readme.py [--timeout 600]

Exits non-zero when a command fails or the answer is not the documented one. Removes ./chromasong-data afterwards
when it did not exist before.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "Benchmarks" / "results"


def readme_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The HTTP server", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands, pending = [], ""
    for line in block.splitlines():
        line = line.split("  #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not line and not pending:
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    return [c for c in commands if c]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the song to complete")
    args = parser.parse_args()
    commands = readme_block()
    serve = next(c for c in commands if " serve" in c)
    submit = next(c for c in commands if c.startswith("curl") and "image_to_song" in c)
    by_id = next(c for c in commands if c.startswith("curl") and "byId" in c)
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8080)) == 0:
            sys.exit("port 8080 is in use: the README's commands need it")
    data = ROOT / "chromasong-data"
    existed = data.exists()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / "chromasong-readme-serve.log", "w")
    server = subprocess.Popen("exec " + serve, shell=True, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    lines = [f"# README server commands, as written", "", "```sh", serve]
    ok = False
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", 8080)) == 0:
                    break
            time.sleep(0.2)
        out = subprocess.run(["bash", "-c", submit], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
        answer = json.loads(out)
        lines += [submit, "# " + out.strip()]
        if not (answer.get("success") is True and answer.get("message") == "Message Published To Queue"
                and answer.get("task_id") and answer.get("conversion_id_1") and answer.get("conversion_id_2")):
            raise RuntimeError(f"unexpected submission answer {out!r}")
        command = by_id.replace("<task_id>", answer["task_id"])
        start = time.time()
        status = None
        while time.time() - start < args.timeout:
            out = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
            conversion = json.loads(out).get("conversion") or {}
            status = conversion.get("status")
            if status in ("COMPLETED", "FAILED"):
                break
            time.sleep(2)
        shown = {k: conversion.get(k) for k in ("status", "title", "music_style", "key", "bpm",
                                               "conversion_duration_1", "conversion_path_1")}
        lines += [command, f"# {json.dumps(shown)} (after {time.time() - start:.0f} s)"]
        ok = status == "COMPLETED"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        if not existed and data.exists():
            shutil.rmtree(data)
    lines += ["```", "", f"Worked as written: **{ok}** (server exit status {server.returncode}).", ""]
    (RESULTS / "server_readme.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
