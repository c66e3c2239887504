"""Issue 11's second verses, looked at: for one render that arrange_check.py made, the first and second verse side by
side (chroma and a log-frequency spectrogram of the mix, and the frame-by-frame chroma cosine that arrange_check's
"max verse sim" averages), so a reader sees what makes the second verse differ and what the measure responds to.

  .venv/bin/python verse_pair_picture.py RENDER_DIR OUT.png

RENDER_DIR is work/arrange_check/<label>/<set>/<id> (manifest.json and v1/mix.wav).
"""
import json
import math
import sys
from pathlib import Path

import librosa
import librosa.display
import matplotlib
import numpy as np
import soundfile as sf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from arrange_check import CHROMA_HOP as HOP, parse_form, section_times  # noqa: E402  (the measure's own frames)


def verses(manifest):
    form = parse_form(manifest["analysis"]["decisions"]["form"]["value"])
    return [(a, b) for name, a, b in section_times(form, float(manifest["versions"][0]["bpm"])) if name == "verse"]


def main():
    render, png = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((render / "manifest.json").read_text())
    pair = verses(manifest)[:2]
    x, sr = sf.read(str(render / "v1" / "mix.wav"), dtype="float32", always_2d=True)
    mono = x.mean(axis=1)
    chroma = librosa.feature.chroma_cqt(y=mono, sr=sr, hop_length=HOP)
    unit = chroma / np.maximum(np.linalg.norm(chroma, axis=0, keepdims=True), 1e-9)
    frames = [unit[:, int(math.ceil(a * sr / HOP)):int(b * sr / HOP)] for a, b in pair]
    n = min(f.shape[1] for f in frames)
    cosine = (frames[0][:, :n] * frames[1][:, :n]).sum(axis=0)

    fig, axes = plt.subplots(3, 2, figsize=(14, 9), gridspec_kw={"height_ratios": [1, 1.4, 0.7]})
    for k, (a, b) in enumerate(pair):
        seg = mono[int(a * sr):int(b * sr)]
        librosa.display.specshow(frames[k][:, :n], y_axis="chroma", x_axis="time", sr=sr, hop_length=HOP,
                                 ax=axes[0, k], cmap="magma")
        axes[0, k].set_title(f"verse {k + 1} ({a:.1f}-{b:.1f} s): chroma (unit frames)")
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(seg, n_fft=4096, hop_length=1024)), ref=np.max)
        librosa.display.specshow(spec, y_axis="log", x_axis="time", sr=sr, hop_length=1024, ax=axes[1, k],
                                 vmin=-80, cmap="magma")
        axes[1, k].set_ylim(30, 16000)
        axes[1, k].set_title(f"verse {k + 1}: spectrogram")
    times = np.arange(n) * HOP / sr
    axes[2, 0].plot(times, cosine, lw=0.8)
    axes[2, 0].axhline(0.97, color="r", lw=0.8, ls="--")
    axes[2, 0].set_ylim(0, 1.02)
    axes[2, 0].set_title(f"chroma cosine, frame k of each verse: mean {cosine.mean():.3f} (bar < 0.97)")
    axes[2, 0].set_xlabel("seconds into the verse")
    flat = [float((f[:, :n].sum(axis=0) / math.sqrt(12)).mean()) for f in frames]
    axes[2, 1].axis("off")
    axes[2, 1].text(0, 0.5, f"{render.name}\ncosine to a flat chroma (1 = every pitch class alike):\n"
                    f"verse 1 {flat[0]:.3f}, verse 2 {flat[1]:.3f}", fontsize=11, va="center")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    print(f"{png}: mean cosine {cosine.mean():.3f}, flatness {flat[0]:.3f} / {flat[1]:.3f}")


if __name__ == "__main__":
    main()
