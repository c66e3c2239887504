#!/usr/bin/env python3
"""MP3 encoder settings against the master they encode (issue 14: "the encoder's fastest settings that keep quality").

For each MP3 given beside its source WAV: the bit rate, and how far the decoded audio is from the source, as
the noise (decoded minus source) against the signal per third-octave band up to 16 kHz, over 46 ms frames:
the median band SNR, and the 5th percentile (the worst frames and bands), in dB. Higher is closer. The decoded
file is aligned on the source by cross-correlation (a missing LAME tag would leave the encoder delay in).

    mp3_quality.py source.wav a.mp3 [b.mp3 ...]
"""
import sys

import numpy as np
import soundfile as sf


def bands_snr(src, dec, sr):
    n = 2048
    win = np.hanning(n)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    centres = 1000 * 2 ** (np.arange(-15, 13) / 3)
    centres = centres[centres <= 16000]
    edges = [(c * 2 ** (-1 / 6), c * 2 ** (1 / 6)) for c in centres]
    masks = [(freqs >= lo) & (freqs < hi) for lo, hi in edges]
    out = []
    for start in range(0, len(src) - n, n):
        s = np.fft.rfft(src[start:start + n] * win)
        e = np.fft.rfft((dec[start:start + n] - src[start:start + n]) * win)
        ps, pe = np.abs(s) ** 2, np.abs(e) ** 2
        total = ps.sum()
        for m in masks:
            sig = ps[m].sum()
            if sig < total * 1e-6:  # a band with next to nothing in it says nothing about the coder
                continue
            out.append(10 * np.log10(sig / max(pe[m].sum(), 1e-20)))
    return np.array(out)


def main():
    src, sr = sf.read(sys.argv[1], dtype="float64")
    src_m = src.mean(axis=1)
    for path in sys.argv[2:]:
        dec, sr2 = sf.read(path, dtype="float64")
        assert sr2 == sr
        dec_m = dec.mean(axis=1)
        # alignment: the lag in -2048...2048 with the largest correlation over the first 10 s
        seg = src_m[sr:11 * sr]
        best = max(range(-2048, 2049), key=lambda k: float(np.dot(seg, dec_m[sr + k:11 * sr + k])))
        dec_m = dec_m[best:] if best >= 0 else np.concatenate([np.zeros(-best), dec_m])
        m = min(len(src_m), len(dec_m))
        snr = bands_snr(src_m[:m], dec_m[:m], sr)
        import os
        kbps = os.path.getsize(path) * 8 / (len(src) / sr) / 1000
        print(f"{path}: {kbps:.0f} kbit/s, lag {best}, band SNR median {np.median(snr):.1f} dB, "
              f"5th percentile {np.percentile(snr, 5):.1f} dB")


if __name__ == "__main__":
    main()
