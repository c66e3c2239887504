"""Spectrograms of one sung line from several renders, one above the other, with the manifest's word starts.

Usage: sing_spectrogram.py [--line N] [--out results/NAME.png] LABEL=RENDER_DIR [LABEL=RENDER_DIR ...]

Each RENDER_DIR is a `chromasong render --out` folder; the line is the N-th sung line (0-based, tags skipped) of
its first version's lyrics_timestamped, cut from v1/vocals.wav 0.2 s before its start to 0.3 s after its end.
Used for issue 15's "one sung line before and after" (Benchmarks/results/sing_spectrogram.png).
"""
import argparse
import json
from pathlib import Path

import matplotlib
import numpy as np
import soundfile as sf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common import RESULTS  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--line", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS / "sing_spectrogram.png")
    ap.add_argument("renders", nargs="+", help="LABEL=RENDER_DIR")
    args = ap.parse_args()
    fig, axes = plt.subplots(len(args.renders), 1, figsize=(14, 3.6 * len(args.renders)), squeeze=False)
    for ax, spec in zip(axes[:, 0], args.renders):
        label, folder = spec.split("=", 1)
        manifest = json.loads((Path(folder) / "manifest.json").read_text())
        lines = [l for l in manifest["versions"][0]["lyrics_timestamped"] if l["words"]]
        line = lines[args.line]
        x, sr = sf.read(str(Path(folder) / "v1" / "vocals.wav"))
        if x.ndim > 1:
            x = x.mean(axis=1)
        a, b = int((line["start"] / 1000 - 0.2) * sr), int((line["end"] / 1000 + 0.3) * sr)
        cut = x[max(a, 0):b]
        ax.specgram(cut, NFFT=1024, Fs=sr, noverlap=768, cmap="magma", vmin=-120)
        ax.set_ylim(0, 8000)
        ax.set_ylabel("Hz")
        ax.set_title(f"{label}: \"{line['text']}\" (lines: word starts from the manifest)")
        for w in line["words"]:
            ax.axvline(w["start"] / 1000 - line["start"] / 1000 + 0.2, color="c", lw=0.8)
    axes[-1, 0].set_xlabel("seconds")
    plt.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plt.savefig(args.out, dpi=70)
    print(args.out)


if __name__ == "__main__":
    main()
