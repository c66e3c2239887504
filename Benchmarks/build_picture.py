"""Issue 11's build into a chorus, looked at: for renders that arrange_check.py made, the instrumental from a bar
before the first pre-chorus to two bars into the chorus (log-frequency spectrogram), with arrange_check's own
per-bar levels in 1-4 kHz (the opening low-pass on chords, pad, arpeggio and lead) and 4-16 kHz (the riser and the
snare build) drawn over it, so a reader sees what the build does and what the measure reads.

  .venv/bin/python build_picture.py OUT.png RENDER_DIR [RENDER_DIR ...]

RENDER_DIR is work/arrange_check/<label>/<set>/<id> (manifest.json and v1/instrumental.wav).
"""
import json
import sys
from pathlib import Path

import librosa
import librosa.display
import matplotlib
import numpy as np
import soundfile as sf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from arrange_check import build, parse_form, section_times  # noqa: E402  (the measure's own sections and bars)


def main():
    png, renders = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    fig, axes = plt.subplots(len(renders), 1, figsize=(13, 4.2 * len(renders)), squeeze=False)
    for ax, render in zip(axes[:, 0], renders):
        manifest = json.loads((render / "manifest.json").read_text())
        bpm = float(manifest["versions"][0]["bpm"])
        sections = section_times(parse_form(manifest["analysis"]["decisions"]["form"]["value"]), bpm)
        x, sr = sf.read(str(render / "v1" / "instrumental.wav"), dtype="float32", always_2d=True)
        measured = build(x, sr, sections, bpm)["pre_choruses"][0]
        bar = 4 * 60 / bpm
        a, b = measured["start"] - bar, measured["start"] + (measured["bars"] + 2) * bar
        seg = x.mean(axis=1)[int(a * sr):int(b * sr)]
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(seg, n_fft=2048, hop_length=512)), ref=np.max)
        librosa.display.specshow(spec, sr=sr, hop_length=512, x_axis="time", y_axis="log", ax=ax, vmin=-80,
                                 cmap="magma")
        for k in range(measured["bars"] + 1):
            ax.axvline(bar * (k + 1), color="white", lw=0.5, alpha=0.5)
        ax.axvline(bar, color="cyan", lw=1.5)
        ax.axvline(bar * (measured["bars"] + 1), color="cyan", lw=1.5)
        twin = ax.twinx()
        centres = [bar * (k + 1.5) for k in range(measured["bars"])]
        twin.plot(centres, measured["mid_db_by_bar"], "o-", color="lime", label="1-4 kHz per bar (dB)")
        twin.plot(centres, measured["hf_db_by_bar"], "s-", color="deepskyblue", label="4-16 kHz per bar (dB)")
        twin.set_ylabel("band level, dB")
        twin.legend(loc="lower left", fontsize=8)
        ax.set_title(f"{render.name}: pre-chorus (cyan lines) into the chorus, {bpm:g} bpm; 1-4 kHz "
                     f"{measured['mid_rise_db']:+.1f} dB, 4-16 kHz {measured['hf_rise_db']:+.1f} dB first bar to last")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    print(png)


if __name__ == "__main__":
    main()
