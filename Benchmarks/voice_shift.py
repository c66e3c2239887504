"""Voice conversion benchmark: pitch shifters on a vibrato tone and on speech, +4 and -5 semitones.

Test signals (design-notes, "Voice conversion"), cached in Benchmarks/work/voice_shift/:
  (a) tone: 30 s at 44.1 kHz, 20 harmonics of 220 Hz with 5.5 Hz, +-30 cent sinusoidal vibrato. Each harmonic's
      amplitude follows a FIXED spectral envelope evaluated at its instantaneous frequency: an all-pole vowel /a/
      (formants 700, 1220, 2600 Hz; bandwidths 80, 90, 120 Hz) times a -6 dB/octave source tilt.
  (b) speech: several sentences spoken by flite (voice slt, 16 kHz), resampled to 44.1 kHz with soxr (VHQ).
Both are written as 16-bit PCM WAV (what every tool reads) and read back, so all tools see the same samples.

Tools, each process pinned to core 0 (`taskset -c 0`): Rubber Band `-3 -F -p N` and `-2 -F -p N`, soundstretch
`-pitch=N`, and `.build/release/chromasong convert IN OUT --semitones N` when that CLI has `convert`.
Reference row "no formant preservation at all": the ideal resample-based shift (soxr VHQ resampling of the input
by 2^(-N/12), played at the original rate: every frequency, formants included, scales by 2^(N/12) and time by
2^(-N/12); its frames are compared with the input frames at the mapped times).

Measures:
- speed: audio seconds / CPU seconds of the child (user + system, from getrusage(RUSAGE_CHILDREN) deltas).
- f0 MAE (tone, cents): Praat autocorrelation pitch (parselmouth, 10 ms step, floor 75 Hz, ceiling 600 Hz) of
  the output against the IDEAL shifted f0, 2^(N/12) * f0_true(t), over frames Praat calls voiced, 0.5 s trimmed
  at each end. The output's constant delay is removed first: the lag in [-50, +50] ms (1 ms steps) that
  minimises the MAE (it is reported; a good tool has ~0).
- f0 MAE (speech, cents): the same against 2^(N/12) times Praat's f0 of the input, frames voiced in both, plain
  mean (octave errors of either track count). Its floor is the ideal shift's own figure (~6 cents: Praat's
  tracking of fast speech f0 moves), printed in the reference row.
- LSD (dB): frames of 2048 samples (46 ms, Hann), hop 512, at 44.1 kHz. For each frame: L = 20 log10 |FFT| (dB),
  floored at 60 dB below the frame's strongest bin (else the empty band above a tone's last harmonic, or digital
  silence, at -180 dB dominates the low cepstral coefficients and hides the formants), real cepstrum c = IFFT(L), keep c[0..29] and their mirror (a 30-coefficient lifter, quefrency < 0.68 ms, far
  below any f0 period here), envelope E = FFT(liftered c). D = E_in - E_out over the bins 150-3000 Hz, minus its
  mean over those bins (a frame's overall level, e.g. from valleys between harmonics filled by artefacts, is not
  a formant error; without this step the ideal shift and R3 differ by only 1.6x on speech). Frame LSD =
  sqrt(mean of D^2); the table shows the mean over frames. Frames used: input frame energy within 40 dB of the
  loudest input frame (silence excluded), both frames inside their signals. Before analysis the output is scaled
  by one global gain to the input's RMS (a tool's overall level change is not a formant error). Output frames
  are taken at the input frame's time plus the output's delay, found by cross-correlating 1 ms RMS envelopes
  (speech) or taken from the f0 lag (tone, whose envelope is stationary).
Writes Benchmarks/results/voice_shift.md and prints the table.
"""
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import parselmouth
import soundfile as sf
import soxr

from common import CLI, WORK, write_table

FS = 44100
SHIFTS = (4, -5)
DIR = WORK / "voice_shift"
SPEECH_TEXT = (
    "The quick brown fox jumps over the lazy dog while the children watch from the garden gate. "
    "Every morning the baker opens his shop before the sun rises above the hills. "
    "Would you like a cup of tea, or would you rather have some cold water from the well? "
    "Rain fell softly on the roof all night, and by dawn the river had risen over its banks. "
    "She sold seven shells by the seashore and counted the coins twice. "
    "Music turns colours into feelings that words cannot hold."
)


def ensure_packages():
    need = {"rubberband": "rubberband-cli", "soundstretch": "soundstretch", "flite": "flite"}
    missing = [pkg for exe, pkg in need.items() if shutil.which(exe) is None]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


# ---------------------------------------------------------------- signals

FORMANTS = ((700.0, 80.0), (1220.0, 90.0), (2600.0, 120.0))


def vowel_envelope(f):
    """Magnitude of the /a/ all-pole formant filter at frequency f (Hz) times a -6 dB/octave tilt."""
    z = np.exp(1j * 2 * np.pi * f / FS)
    h = np.ones_like(f, dtype=float)
    for fc, bw in FORMANTS:
        r = np.exp(-np.pi * bw / FS)
        p = r * np.exp(1j * 2 * np.pi * fc / FS)
        h = h * np.abs((1 - p) * (1 - np.conj(p))) / np.abs((1 - p / z) * (1 - np.conj(p) / z))
    return h * (220.0 / f)


def tone_f0(t):
    return 220.0 * 2.0 ** (30.0 / 1200.0 * np.sin(2 * np.pi * 5.5 * t))


def make_tone():
    t = np.arange(30 * FS) / FS
    f0 = tone_f0(t)
    phase = 2 * np.pi * np.cumsum(f0) / FS
    x = np.zeros_like(t)
    for k in range(1, 21):
        x += vowel_envelope(k * f0) * np.sin(k * phase)
    fade = int(0.01 * FS)
    x[:fade] *= np.linspace(0, 1, fade)
    x[-fade:] *= np.linspace(1, 0, fade)
    return 0.5 * x / np.max(np.abs(x))


def make_speech():
    raw = DIR / "speech16k.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", SPEECH_TEXT, "-o", str(raw)], check=True)
    y, sr = sf.read(raw, dtype="float64")
    y = soxr.resample(y, sr, FS, quality="VHQ")
    return 0.5 * y / np.max(np.abs(y))


def signal(name, make):
    path = DIR / f"{name}.wav"
    if not path.exists():
        sf.write(path, make(), FS, subtype="PCM_16")
    x, sr = sf.read(path, dtype="float64")
    assert sr == FS
    return path, x


# ---------------------------------------------------------------- tools

def chromasong_has_convert():
    if not CLI.exists():
        return False
    p = subprocess.run([str(CLI), "help", "convert"], capture_output=True, text=True)
    return p.returncode == 0 and "semitones" in (p.stdout + p.stderr)


def tools():
    t = [
        ("Rubber Band R3 `-3 -F`", lambda i, o, n: ["rubberband", "-q", "-3", "-F", "-p", str(n), i, o]),
        ("Rubber Band R2 `-2 -F`", lambda i, o, n: ["rubberband", "-q", "-2", "-F", "-p", str(n), i, o]),
        ("SoundTouch `soundstretch -pitch`", lambda i, o, n: ["soundstretch", i, o, f"-pitch={n}"]),
    ]
    if chromasong_has_convert():
        t.append(("Chromasong `convert`", lambda i, o, n: [str(CLI), "convert", i, o, "--semitones", str(n)]))
    return t


def run_timed(cmd):
    """Runs cmd on core 0; returns the child's CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(["taskset", "-c", "0", *cmd], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def read_mono(path):
    y, sr = sf.read(path, dtype="float64", always_2d=True)
    y = y.mean(axis=1)
    return y if sr == FS else soxr.resample(y, sr, FS, quality="VHQ")


def ideal_shift(x, n):
    """Resample-based shift: all frequencies (formants too) times 2^(n/12), time times 2^(-n/12)."""
    return soxr.resample(x, FS * 2.0 ** (n / 12.0), FS, quality="VHQ")


# ---------------------------------------------------------------- measures

N_FFT, HOP, N_CEP = 2048, 512, 30
FLOOR_DB = 60.0
WIN = np.hanning(N_FFT)
BINS = np.arange(N_FFT // 2 + 1) * FS / N_FFT
BAND = (BINS >= 150) & (BINS <= 3000)
LIFTER = np.zeros(N_FFT)
LIFTER[:N_CEP] = 1
LIFTER[-(N_CEP - 1):] = 1


def frames_at(y, starts):
    idx = starts[:, None] + np.arange(N_FFT)[None, :]
    return y[idx] * WIN


def envelopes(frames):
    L = 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)) + 1e-9)
    L = np.maximum(L, L.max(axis=1, keepdims=True) - FLOOR_DB)
    c = np.fft.irfft(L, n=N_FFT, axis=1)
    return np.fft.rfft(c * LIFTER, axis=1).real[:, BAND]


def lsd(x, y, lag=0.0, time_scale=1.0, trim=0.0):
    """Mean frame LSD (dB) between input x and output y; output frame centre = input centre * time_scale + lag (s)."""
    y = y * np.sqrt(np.mean(x ** 2) / np.mean(y ** 2))
    half = N_FFT // 2
    centres = np.arange(half + int(trim * FS), len(x) - half - int(trim * FS), HOP)
    out_c = np.round(centres * time_scale + lag * FS).astype(int)
    ok = (out_c - half >= 0) & (out_c + half <= len(y))
    centres, out_c = centres[ok], out_c[ok]
    fx = frames_at(x, centres - half)
    energy = 10 * np.log10(np.sum(fx ** 2, axis=1) + 1e-20)
    active = energy > energy.max() - 40
    ex = envelopes(fx[active])
    ey = envelopes(frames_at(y, out_c[active] - half))
    d = ex - ey
    d -= d.mean(axis=1, keepdims=True)  # per-frame level (c0 over the band) is not a formant error
    return float(np.mean(np.sqrt(np.mean(d ** 2, axis=1))))


def praat_f0(y):
    pitch = parselmouth.Sound(y, FS).to_pitch_ac(time_step=0.01, pitch_floor=75.0, pitch_ceiling=600.0)
    return pitch.xs(), pitch.selected_array["frequency"]


def tone_f0_error(y, n):
    """(MAE cents, lag s) of the output's f0 against 2^(n/12) * the true f0, best lag in +-50 ms."""
    t, f = praat_f0(y)
    keep = (f > 0) & (t > 0.5) & (t < len(y) / FS - 0.5)
    t, f = t[keep], f[keep]
    best = None
    for lag_ms in range(-50, 51):
        lag = lag_ms / 1000.0
        ideal = 2.0 ** (n / 12.0) * tone_f0(t - lag)
        mae = float(np.mean(np.abs(1200 * np.log2(f / ideal))))
        if best is None or mae < best[0]:
            best = (mae, lag)
    return best


def speech_f0_error(x, y, n, lag, time_scale=1.0):
    tx, fx = praat_f0(x)
    ty, fy = praat_f0(y)
    fy_at = np.interp(tx * time_scale + lag, ty, fy, left=0, right=0)
    # interp across an unvoiced (0) frame gives a wrong value: require the nearest output frames to be voiced too
    near = np.interp(tx * time_scale + lag, ty, (fy > 0).astype(float), left=0, right=0)
    v = (fx > 0) & (near >= 1.0)
    return float(np.mean(np.abs(1200 * np.log2(fy_at[v] / (2.0 ** (n / 12.0) * fx[v])))))


def envelope_lag(x, y, max_lag=0.2):
    """Delay (s) of y against x from the cross-correlation of 1 ms RMS envelopes (log-compressed)."""
    h = FS // 1000

    def env(s):
        m = len(s) // h
        return np.log10(np.sqrt(np.mean(s[: m * h].reshape(m, h) ** 2, axis=1)) + 1e-4)

    ex, ey = env(x), env(y)
    ex, ey = ex - ex.mean(), ey - ey.mean()
    best, best_lag = -np.inf, 0
    for k in range(-int(max_lag * 1000), int(max_lag * 1000) + 1):
        a = ex[max(0, -k): len(ex) - max(0, k)]
        b = ey[max(0, k): max(0, k) + len(a)]
        m = min(len(a), len(b))
        c = float(np.dot(a[:m], b[:m]) / m)
        if c > best:
            best, best_lag = c, k
    return best_lag / 1000.0


# ---------------------------------------------------------------- main

def pair(a, b, fmt):
    return f"{fmt.format(a)} / {fmt.format(b)}"


def main():
    ensure_packages()
    DIR.mkdir(parents=True, exist_ok=True)
    tone_path, tone = signal("tone", make_tone)
    speech_path, speech = signal("speech", make_speech)
    secs = {"tone": len(tone) / FS, "speech": len(speech) / FS}
    print(f"signals: tone {secs['tone']:.1f} s, speech {secs['speech']:.1f} s", flush=True)

    header = ["tool, setting (+4 / -5 st)", "speed (x real time)", "f0 MAE tone (cents)", "LSD tone (dB)",
              "f0 MAE speech (cents)", "LSD speech (dB)", "lag tone (ms)", "lag speech (ms)"]
    rows = []
    # reference: ideal resample-based shift, no formant preservation
    ref = {"lsd_t": [], "lsd_s": [], "f0_t": [], "f0_s": []}
    for n in SHIFTS:
        r = 2.0 ** (-n / 12.0)
        ref["lsd_t"].append(lsd(tone, ideal_shift(tone, n), time_scale=r, trim=0.5))
        ys = ideal_shift(speech, n)
        ref["lsd_s"].append(lsd(speech, ys, time_scale=r))
        ref["f0_s"].append(speech_f0_error(speech, ys, n, 0.0, time_scale=r))
    rows.append(["no formant preservation at all (ideal resample shift)", "-", "-", pair(*ref["lsd_t"], "{:.1f}"),
                 pair(*ref["f0_s"], "{:.1f}"), pair(*ref["lsd_s"], "{:.1f}"), "-", "-"])
    print(rows[-1], flush=True)

    notes = []
    if not chromasong_has_convert():
        notes.append("Chromasong: skipped, `.build/release/chromasong` has no `convert` subcommand yet.")
    for name, cmd in tools():
        m = {k: [] for k in ("speed", "f0_t", "lsd_t", "f0_s", "lsd_s", "lag_t", "lag_s")}
        for n in SHIFTS:
            cpu, audio = 0.0, 0.0
            out_t = DIR / f"out_tone_{n}.wav"
            out_s = DIR / f"out_speech_{n}.wav"
            cpu += run_timed(cmd(str(tone_path), str(out_t), n))
            cpu += run_timed(cmd(str(speech_path), str(out_s), n))
            audio = secs["tone"] + secs["speech"]
            yt, ys = read_mono(out_t), read_mono(out_s)
            f0_t, lag_t = tone_f0_error(yt, n)
            lag_s = envelope_lag(speech, ys)
            m["speed"].append(audio / max(cpu, 1e-6))
            m["f0_t"].append(f0_t)
            m["lsd_t"].append(lsd(tone, yt, lag=lag_t, trim=0.5))
            m["f0_s"].append(speech_f0_error(speech, ys, n, lag_s))
            m["lsd_s"].append(lsd(speech, ys, lag=lag_s))
            m["lag_t"].append(lag_t * 1000)
            m["lag_s"].append(lag_s * 1000)
        rows.append([name, pair(*m["speed"], "{:.0f}"), pair(*m["f0_t"], "{:.1f}"), pair(*m["lsd_t"], "{:.1f}"),
                     pair(*m["f0_s"], "{:.1f}"), pair(*m["lsd_s"], "{:.1f}"),
                     pair(*m["lag_t"], "{:.0f}"), pair(*m["lag_s"], "{:.0f}")])
        print(rows[-1], flush=True)

    notes += [
        f"Signals: (a) {secs['tone']:.0f} s tone, 20 harmonics of 220 Hz, 5.5 Hz +-30 cent vibrato, fixed /a/ "
        f"envelope; (b) {secs['speech']:.1f} s of flite `slt` speech resampled to 44.1 kHz. Each cell: +4 / -5 "
        "semitones.",
        "Speed: audio seconds (tone + speech) per CPU second of the child process, pinned with `taskset -c 0`.",
        "f0 MAE: Praat autocorrelation pitch against the ideally shifted f0 (tone: true f0; speech: input's Praat "
        "f0), voiced frames; LSD: 30-coefficient cepstral envelopes of 2048-sample frames, 150-3000 Hz, mean over "
        "non-silent frames, per-frame level removed (definition in the script's docstring). Lag: the output's "
        "delay, removed before measuring (tone: from the vibrato f0 track; speech: RMS-envelope cross-correlation).",
    ]
    text = write_table("voice_shift", "Voice conversion: pitch shift +4 / -5 semitones", header, rows, notes)
    print(text)


if __name__ == "__main__":
    main()
