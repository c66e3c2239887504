"""Issue 11's pictures: for one render per style, a log-frequency spectrogram and a chroma self-similarity matrix
with the planned sections marked, so a reader can see sections build and repeat (choruses as bright off-diagonal
blocks, second verses as dimmer ones when they differ).

  .venv/bin/python arrange_pictures.py [--label NAME] [--set tune|judged]

Reads renders that arrange_check.py made (work/arrange_check/<label>/<set>/<id>/v1/mix.wav and manifest.json),
the first row of each style in the set, and writes results/arrange_pictures_<set>_<label>.png.
"""
import argparse
import json

import librosa
import librosa.display
import matplotlib
import numpy as np
import soundfile as sf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common import RESULTS, ROOT, WORK  # noqa: E402


def sections(manifest):
    bpm = manifest["versions"][0]["bpm"]
    t, out = 0.0, []
    for part in manifest["analysis"]["decisions"]["form"]["value"].split(", "):
        name, bars = part.rsplit(" ", 1)
        out.append((name, t))
        t += int(bars) * 240 / bpm
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="a5")
    ap.add_argument("--set", default="tune", choices=["tune", "judged"])
    args = ap.parse_args()
    rows = json.loads((ROOT / "Benchmarks" / "arrange-sets.json").read_text())[args.set]
    first = {}
    for r in rows:
        first.setdefault(r["style"], r)
    styles = sorted(first)
    fig, axes = plt.subplots(len(styles), 2, figsize=(16, 3.2 * len(styles)),
                             gridspec_kw={"width_ratios": [3, 1]})
    for k, style in enumerate(styles):
        d = WORK / "arrange_check" / args.label / args.set / first[style]["id"]
        manifest = json.loads((d / "manifest.json").read_text())
        x, sr = sf.read(str(d / "v1" / "mix.wav"), always_2d=True)
        y = x.mean(axis=1).astype(np.float32)
        hop = 2048
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=4096, hop_length=hop)), ref=np.max)
        ax = axes[k][0]
        librosa.display.specshow(spec, sr=sr, hop_length=hop, y_axis="log", x_axis="time", ax=ax, vmin=-80)
        secs = sections(manifest)
        for name, t in secs:
            ax.axvline(t, color="w", lw=0.8)
            ax.text(t + 0.5, sr / 2 * 0.5, name, color="w", fontsize=7, va="top")
        ax.set_title(f"{style}: {first[style]['id']} v1, {manifest['versions'][0]['key']}, "
                     f"{manifest['versions'][0]['bpm']} bpm", fontsize=9)
        # Beat-synchronous chroma self-similarity (cosine).
        tempo_frames = int(round(60 / manifest["versions"][0]["bpm"] * sr / 512))
        chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=512)
        beats = np.arange(0, chroma.shape[1], max(1, tempo_frames))
        sync = librosa.util.sync(chroma, beats, aggregate=np.mean)
        sync = sync / (np.linalg.norm(sync, axis=0, keepdims=True) + 1e-9)
        ssm = sync.T @ sync
        ax2 = axes[k][1]
        seconds_per_col = 60 / manifest["versions"][0]["bpm"]
        extent = [0, ssm.shape[0] * seconds_per_col, ssm.shape[0] * seconds_per_col, 0]
        ax2.imshow(ssm, cmap="magma", vmin=0.5, vmax=1, extent=extent)
        for _, t in secs:
            ax2.axvline(t, color="c", lw=0.5)
            ax2.axhline(t, color="c", lw=0.5)
        ax2.set_title("chroma self-similarity (per beat)", fontsize=9)
    plt.tight_layout()
    out = RESULTS / f"arrange_pictures_{args.set}_{args.label}.png"
    plt.savefig(out, dpi=40)
    print(out)


if __name__ == "__main__":
    main()
