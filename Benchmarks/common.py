"""Shared helpers for Chromasong's measurement scripts: render through the real CLI, read audio, write tables.

The product is Swift and C; these scripts only measure it, with independent tools (essentia, librosa,
pyloudnorm). `run.sh` installs them into Benchmarks/.venv.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "Benchmarks" / "work"
RESULTS = ROOT / "Benchmarks" / "results"
# The release CLI; CHROMASONG_CLI names another build (a variant built with --scratch-path) for scripts without --cli.
CLI = Path(os.environ.get("CHROMASONG_CLI") or ROOT / ".build" / "release" / "chromasong")
SHARED_IMAGES = ROOT.parent / "shared" / "images"
EXAMPLE = ROOT / "examples" / "yellowflower.jpg"


def render(out: Path, image: Path = EXAMPLE, *args: str) -> dict:
    """Renders with the release CLI into `out` (replaced) and returns the parsed manifest."""
    if out.exists():
        subprocess.run(["rm", "-rf", str(out)], check=True)
    cmd = [str(CLI), "render", str(image), "--out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"render failed: {' '.join(cmd)}\n{proc.stderr}")
    return json.loads((out / "manifest.json").read_text())


def write_table(name: str, title: str, header: list, rows: list, summary: list) -> str:
    """Writes results/<name>.md (a Markdown table and the summary lines) and returns its text."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    lines += [""] + summary + [""]
    text = "\n".join(lines)
    (RESULTS / f"{name}.md").write_text(text)
    return text
