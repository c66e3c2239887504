"""Issue 11, "timbres that live": single notes of every melodic instrument preset, measured.

  .venv/bin/python timbre_check.py [--label NAME] [--bench PATH] [--no-render] [--compare OTHER_LABEL]

`engine-bench --notes work/timbre/<label>` writes each preset at C2...C6 (where its sounding range has the note),
velocities 0.4 and 0.9, held 2 s. Per note, with numpy and librosa (not the engine's own code):

- stiffness B: partial peaks near n*f1 (n = 1...16, 0.05-0.6 s, 2^17-point FFT, parabolic peak interpolation),
  fit to f_n / (n f_1) = sqrt((1 + B n^2) / (1 + B)) by least squares in r^2 - 1 = B (n^2 - 1). A real piano's
  B is about 1e-4 in the bass to 1e-3 and more in the treble (Fletcher & Rossing); a harmonic tone gives ~0.
- movement over the held note: spectral centroid's coefficient of variation (std / mean, 46 ms frames, 2048-point)
  from 0.3 s to 1.9 s, on the notes that sustain (level at 1.9 s within 12 dB of the level at 0.3 s). Issue 11
  measured "under 1.5%" on held notes.
- attack noise: spectral flatness (geometric over arithmetic mean of power, in dB) of the first 20 ms (a hammer, a
  pick or a flute's chiff raises it towards 0 dB), and the share of energy above 5 kHz in the first 50 ms, in dB.
- brightness from velocity: centroid over the first 0.5 s at velocity 0.9 over velocity 0.4.

Writes results/timbre_check[_<label>].md and .json; with --compare, results/timbre_notes_<other>_vs_<label>.png:
spectrograms of a few notes from both renders side by side, to look at.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import librosa

import common

BENCH = common.ROOT / ".build" / "release" / "engine-bench"


def load(path):
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.mean(axis=1), sr


def midi_hz(m):
    return 440.0 * 2 ** ((m - 69) / 12)


def stiffness(x, sr, pitch):
    seg = x[int(0.05 * sr):int(0.6 * sr)]
    if len(seg) < 1024 or np.max(np.abs(seg)) < 1e-5:
        return None, 0
    nfft = 1 << 17
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), nfft))
    hz = np.fft.rfftfreq(nfft, 1 / sr)
    f0 = midi_hz(pitch)

    def peak(target, width):
        lo, hi = np.searchsorted(hz, target - width), np.searchsorted(hz, target + width)
        if hi - lo < 3:
            return None
        i = lo + int(np.argmax(spec[lo:hi]))
        if i <= 0 or i >= len(spec) - 1:
            return None
        a, b, c = np.log(spec[i - 1] + 1e-20), np.log(spec[i] + 1e-20), np.log(spec[i + 1] + 1e-20)
        d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        return (hz[i] + d * (hz[1] - hz[0]), spec[i])

    p1 = peak(f0, f0 * 0.06)
    if p1 is None:
        return None, 0
    f1, a1 = p1
    ns, rs = [], []
    B = 0.0

    def fit():
        n2 = np.array(ns, float) ** 2 - 1
        y = np.array(rs) ** 2 - 1
        return float(np.sum(y * n2) / np.sum(n2 * n2))

    for n in range(2, 17):
        # partial n where the partials found so far put it (a stiff string's sit above n*f1), searched +-1.5%
        expect = n * f1 * np.sqrt((1 + max(B, 0.0) * n * n) / (1 + max(B, 0.0)))
        if expect > 0.45 * sr:
            break
        p = peak(expect, expect * 0.015)
        if p is None or p[1] < a1 * 10 ** (-60 / 20):
            continue
        ns.append(n)
        rs.append(p[0] / (n * f1))
        if len(ns) >= 2:
            B = fit()
    if len(ns) < 4:
        return None, len(ns)
    return fit(), len(ns)


def centroid_track(x, sr):
    c = librosa.feature.spectral_centroid(y=x, sr=sr, n_fft=2048, hop_length=512)[0]
    rms = librosa.feature.rms(y=x, frame_length=2048, hop_length=512)[0]
    return c, rms, librosa.frames_to_time(np.arange(len(c)), sr=sr, hop_length=512)


def movement(x, sr):
    c, rms, t = centroid_track(x, sr)
    a, b = (t >= 0.3) & (t <= 1.9), None
    if a.sum() < 10:
        return None, False
    i03, i19 = np.argmin(np.abs(t - 0.3)), np.argmin(np.abs(t - 1.9))
    sustained = rms[i19] > 0 and 20 * np.log10(rms[i19] / max(rms[i03], 1e-12)) > -12
    w = c[a]
    return float(np.std(w) / np.mean(w)), bool(sustained)


def flatness(seg):
    if len(seg) < 256:
        return float("nan")
    p = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 2048)) ** 2 + 1e-20
    p = p[1:]
    return float(np.exp(np.mean(np.log(p))) / np.mean(p))


def attack(x, sr):
    head = x[:int(0.02 * sr)]
    body = x[int(0.2 * sr):int(0.4 * sr)]
    fa, fb = flatness(head), flatness(body)
    h50 = x[:int(0.05 * sr)]
    p = np.abs(np.fft.rfft(h50 * np.hanning(len(h50)), 4096)) ** 2
    hz = np.fft.rfftfreq(4096, 1 / sr)
    share = p[hz >= 5000].sum() / max(p.sum(), 1e-20)
    return {"attack_flatness_db": float(10 * np.log10(max(fa, 1e-12))),
            "body_flatness_db": float(10 * np.log10(max(fb, 1e-12))),
            "hf_attack_db": float(10 * np.log10(max(share, 1e-12)))}


def early_centroid(x, sr):
    c, rms, t = centroid_track(x, sr)
    m = t <= 0.5
    w = rms[m] ** 2
    return float(np.sum(c[m] * w) / max(np.sum(w), 1e-20))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="")
    ap.add_argument("--bench", type=Path, default=BENCH)
    ap.add_argument("--no-render", action="store_true")
    ap.add_argument("--compare", default=None, help="another label's notes to draw beside these")
    a = ap.parse_args()
    out = common.WORK / "timbre" / (a.label or "current")
    if not a.no_render:
        subprocess.run(["rm", "-rf", str(out)], check=True)
        subprocess.run([str(a.bench), "--notes", str(out)], check=True)
    files = sorted(out.glob("*.wav"))
    if not files:
        sys.exit(f"no notes in {out}")
    notes = {}
    for f in files:
        iid, pitch, vel = f.stem.rsplit("_", 2)
        x, sr = load(f)
        b, partials = stiffness(x, sr, int(pitch))
        mv, sustained = movement(x, sr)
        notes[f.stem] = {"id": iid, "pitch": int(pitch), "velocity": int(vel[1:]) / 10, "stiffness": b,
                         "partials": partials, "centroid_cv": mv, "sustained": sustained,
                         "early_centroid": early_centroid(x, sr), **attack(x, sr)}
    rows, per = [], {}
    for iid in sorted({n["id"] for n in notes.values()}):
        ns = [n for n in notes.values() if n["id"] == iid]
        loud = [n for n in ns if n["velocity"] == 0.9]
        bs = [n["stiffness"] for n in loud if n["stiffness"] is not None]
        cv = [n["centroid_cv"] for n in loud if n["sustained"] and n["centroid_cv"] is not None]
        vel = []
        for n in loud:
            soft = notes.get(f"{iid}_{n['pitch']}_v4")
            if soft:
                vel.append(n["early_centroid"] / max(soft["early_centroid"], 1e-9))
        s = {"pitches": [n["pitch"] for n in loud],
             "stiffness_by_pitch": {n["pitch"]: n["stiffness"] for n in loud},
             "centroid_cv_mean": float(np.mean(cv)) if cv else None,
             "attack_flatness_db_mean": float(np.nanmean([n["attack_flatness_db"] for n in loud])),
             "hf_attack_db_mean": float(np.mean([n["hf_attack_db"] for n in loud])),
             "velocity_brightness_mean": float(np.mean(vel)) if vel else None}
        per[iid] = s
        bt = ", ".join(f"{librosa.midi_to_note(p)} {b:.1e}" if b is not None else f"{librosa.midi_to_note(p)} -"
                       for p, b in s["stiffness_by_pitch"].items())
        rows.append([iid, bt, "-" if s["centroid_cv_mean"] is None else f"{s['centroid_cv_mean']:.1%}",
                     f"{s['attack_flatness_db_mean']:.1f}", f"{s['hf_attack_db_mean']:.1f}",
                     "-" if s["velocity_brightness_mean"] is None else f"{s['velocity_brightness_mean']:.2f}"])
    name = "timbre_check" + (f"_{a.label}" if a.label else "")
    summary = [f"{len(notes)} notes from `engine-bench --notes` ({len(per)} melodic presets), velocity 0.9 rows; "
               "stiffness B per pitch (a real piano: ~1e-4 bass to 1e-3+ treble); centroid CV over 0.3-1.9 s on notes "
               "that sustain (issue 11 measured < 1.5%); attack flatness: spectral flatness of the first 20 ms in dB (0 = white "
               "noise, a clean tone far below); "
               "energy above 5 kHz in the first 50 ms; centroid at velocity 0.9 over 0.4 (first 0.5 s)."]
    text = common.write_table(name, "Timbres, one note at a time (issue 11)",
                              ["instrument", "stiffness B (per pitch)", "centroid CV held", "attack flatness (dB)",
                               "> 5 kHz in attack (dB)", "velocity brightness x"], rows, summary)
    (common.RESULTS / f"{name}.json").write_text(json.dumps({"notes": notes, "instruments": per}, indent=1))
    print(text)
    if a.compare:
        picture(common.WORK / "timbre" / a.compare, out, a.compare, a.label or "current")


def picture(left, right, lname, rname):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import librosa.display
    picks = ["piano_60_v9", "piano_84_v9", "electric_piano_60_v9", "flute_72_v9", "warm_pad_48_v9"]
    fig, axes = plt.subplots(len(picks), 2, figsize=(12, 2.4 * len(picks)), sharey=True)
    for row, stem in enumerate(picks):
        for col, (d, name) in enumerate(((left, lname), (right, rname))):
            ax = axes[row][col]
            x, sr = load(d / f"{stem}.wav")
            x = x[:int(2.3 * sr)]
            S = librosa.amplitude_to_db(np.abs(librosa.stft(x, n_fft=2048, hop_length=256)), ref=np.max, top_db=90)
            librosa.display.specshow(S, sr=sr, hop_length=256, x_axis="time", y_axis="log", ax=ax, vmin=-90,
                                     vmax=0)
            ax.set_title(f"{stem} ({name})", fontsize=9)
            ax.set_ylim(60, 20000)
    fig.tight_layout()
    path = common.RESULTS / f"timbre_notes_{lname}_vs_{rname}.png"
    fig.savefig(path, dpi=80)
    print(f"picture: {path}")


if __name__ == "__main__":
    main()
