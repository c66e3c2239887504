"""Judges Chromasong's singing: pitch against the score, intelligibility against speech, word timestamps.

Usage (run.sh targets `sing` and `sing-selftest`):
  sing_check.py [--image PATH] [--seeds 7,8,9] [--voices female,male]
                                            render every Benchmarks/lyrics/*.txt on one photo, per seed and base
                                            voice, and judge it (pooled per voice)
  sing_check.py --judge DIR                 judge an existing render directory (its manifest.json)
  sing_check.py --selftest                  check the judges themselves on inputs made here (no engine needed)

Each lyric file is rendered with the release CLI (built if missing), per seed and per base voice:
  chromasong render IMAGE --lyrics-file F --versions 1 --formats wav --seed N --prompt "female vocals" (or
  "male vocals") --out Benchmarks/work/sing_check/VOICE/NAME-N
and the first version's manifest entry is read: files.vocals.wav, files.midi, lyrics_timestamped. The verdict is
per base voice, pooled over its renders (one line misheard moves one render's WER by 3-5 points; three seeds
over three files, 57 lines and 378 words per voice, hold still to about +-2 points).

Pitch. Praat autocorrelation pitch (parselmouth; 10 ms step, floor 70 Hz, ceiling 1100 Hz) of the vocal stem
(channels averaged) against the notes of the MIDI track named `vocals` (tempo map from every track's set_tempo).
Each note is judged over its middle: from 80 ms after its start to 40 ms before its end (glides and the
consonants before the vowel are left out); notes whose middle is shorter than 30 ms are not judged. A note's error
is the median over its voiced frames of 1200 log2(f0 / f_note) (so a +-50 cent vibrato averages out); a note with
fewer than 3 voiced frames in its middle counts as "unvoiced" and as outside 50 cents.
Bars: median |error| <= 15 cents, share of judged notes within 50 cents >= 90%. Printed beside them, not part of
the bar: how many notes Praat puts a whole octave away, and how many of those librosa's pYIN reads within 50 cents
of the note over the same middle (a tracker's octave error rather than the singer's).
Printed beside the timestamp figure, not part of the bar: the words of lines pocketsphinx found no alignment path
for (all of them count as misses) and the share on time among the words it did align.

Intelligibility. Each sung line (manifest line times) is cut from the stem, resampled to 16 kHz (soxr VHQ) and
shortened to the time flite's slt voice takes to speak the same text (first word start to last word end), because
recognisers fail on held vowels, not on pitch. The shortening takes the time out of the line's steady parts (held
vowels, silence) and keeps its changing parts (consonants) at their pace: see squeeze(); a uniform squeeze (Rubber
Band R3, `rubberband -3 -D`) turns consonants into blips and is printed beside it, with no squeeze at all.
pocketsphinx (en-us acoustic model and its general language model, as shipped on PyPI; batch CMN) decodes each
line with 0.3 s of silence either side. The same lines spoken by flite slt are decoded the same way. Text is
lower-cased, punctuation removed; WER = word edit distance summed over lines / reference words.
Bar: sung WER <= 2 x spoken WER.
flite is called as a library (ctypes on libflite from flite1-dev, libc rand re-seeded to 1 before each text): the
same samples as `flite -voice slt -t TEXT -o f.wav`, plus each word's and phone's times, used by the self-test.

Timestamps. pocketsphinx forced alignment (Decoder.set_align_text) of each line's text on the stem cut from
0.3 s before the line's start to 0.3 s after its end, NOT time-compressed (the judged figure; the alignment of
the squeezed cut, mapped back through the squeeze's time map, is printed beside it and agreed on the self-test's
vowels held 3x). Held longer, the aligner gives the first part of a held vowel to silence: on speech whose word
times are exact, with vowels held 6x or 10x, it finds 38-89% of word starts (--aligner-ceiling, results in
sing_aligner_ceiling.md), so on ballads this figure measures the aligner as much as the vocal. A manifest word is on time
when its start is within 80 ms of the aligned start of the same word (words missing from pocketsphinx's
dictionary are added with flite's pronunciation). Bar: >= 90% of words.
Shape of lyrics_timestamped: index runs 0, 1, 2...; each entry has text, integer ms start <= end and words[];
a tag entry ("[Verse]") has start == end and no words; a line's words have text, start <= end inside the line,
in order, and spell the line's text.

Self-test (--selftest), no engine needed: (a) flite slt speaking Benchmarks/lyrics as the "vocal stem" with
flite's own word times as the manifest: the spoken-WER baseline, and alignment must agree; (b) the same manifest
with every other word start 150 ms late must fail, and a broken lyrics_timestamped must show its 3 faults;
(c) harmonic tones with glides and vibrato against a mido-written type-1 MIDI (tempo change, decoy track): ~0
cents; a +70 cent copy must fail; (d) flite speech with every vowel held 3x (consonants untouched, word times
known): WER after the squeeze within the bar, timestamps within the bar.

Aligner ceiling (--aligner-ceiling): every lyric set's lines spoken by flite awb with vowels held 1, 3, 6, 10x,
word times exact, judged for timestamps only; every other word moved 150 ms late must still fail.

Results: Benchmarks/results/sing_check.md/.json (or sing_selftest.md/.json, sing_aligner_ceiling.md/.json).
"""
import argparse
import ctypes
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mido
import numpy as np
import parselmouth
import soundfile as sf
import soxr
from pocketsphinx import Decoder

from common import CLI, EXAMPLE, RESULTS, ROOT, WORK

LYRICS_DIR = ROOT / "Benchmarks" / "lyrics"
# Issue 15's tuning discipline: lyric files written for it, split before any tuning into a set to tune on and a
# held-out set judged only when a change is finished (Benchmarks/lyrics-sets/sets.json, each file with its bpm).
SETS_FILE = ROOT / "Benchmarks" / "lyrics-sets" / "sets.json"


def lyric_files(set_name):
    """(file, bpm or None) of the chosen set: the old Benchmarks/lyrics/*.txt (the files the vocal was first tuned
    on) at the automatic tempo, or the `tune` / `judged` set of sets.json at each file's bpm."""
    if not set_name:
        return [(f, None) for f in sorted(LYRICS_DIR.glob("*.txt"))]
    sets = json.loads(SETS_FILE.read_text())
    return [(SETS_FILE.parent / entry["file"], entry["bpm"]) for entry in sets[set_name]]
DIR = WORK / "sing_check"
ASR_RATE = 16000
PAD = 0.3  # seconds of silence (recognition) or context (alignment) around each line

PITCH_SKIP_HEAD = 0.080
PITCH_SKIP_TAIL = 0.040
PITCH_MIN_SPAN = 0.030
BAR_MEDIAN_CENTS = 15.0
BAR_WITHIN_50 = 0.90
BAR_WER_RATIO = 2.0
ALIGN_TOLERANCE = 0.080
BAR_ALIGN_SHARE = 0.90

TAG_RE = re.compile(r"^\s*\[[^\]]*\]\s*$")


def ensure_packages():
    if shutil.which("rubberband") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "rubberband-cli"],
                       check=True, env=env)


# ---------------------------------------------------------------- text

def norm_words(text: str) -> list:
    """Lower case, punctuation removed (apostrophes inside words kept), split on white space."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^a-z0-9']+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edit_distance(ref: list, hyp: list) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def lyric_lines(path: Path) -> list:
    """[(section tag or None, line text)] of a lyric file, in order."""
    out, tag = [], None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        if TAG_RE.match(line):
            tag = line
            out.append((line, None))
        else:
            out.append((tag, line))
    return out


# ---------------------------------------------------------------- flite (library)

class Flite:
    """flite 2.2, voice slt (or another 16 kHz clustergen voice: awb, rms), through ctypes: waveform plus word and
    phone times of one text."""

    def __init__(self, voice: str = "slt"):
        g = ctypes.RTLD_GLOBAL
        for name in ("libflite.so.1", "libflite_usenglish.so.1", "libflite_cmulex.so.1"):
            ctypes.CDLL(name, mode=g)
        fl = ctypes.CDLL("libflite.so.1", mode=g)
        slt = ctypes.CDLL(f"libflite_cmu_us_{voice}.so.1", mode=g)
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        sigs = {
            "flite_init": (ctypes.c_int, []),
            "flite_synth_text": (vp, [cp, vp]),
            "utt_relation": (vp, [vp, cp]),
            "utt_wave": (vp, [vp]),
            "relation_head": (vp, [vp]),
            "item_next": (vp, [vp]),
            "item_feat_string": (cp, [vp, cp]),
            "ffeature_float": (ctypes.c_float, [vp, cp]),
            "ffeature_string": (cp, [vp, cp]),
            "delete_utterance": (None, [vp]),
        }
        for name, (res, args) in sigs.items():
            getattr(fl, name).restype = res
            getattr(fl, name).argtypes = args
        register = getattr(slt, f"register_cmu_us_{voice}")
        register.restype = vp
        register.argtypes = [vp]
        fl.flite_init()
        # flite's voices draw noise from libc rand(); the CLI, one text per process, starts from rand's
        # default seed 1. Re-seed before every text so each line sounds exactly as `flite -voice slt -t` makes it.
        self.libc = ctypes.CDLL(None)
        self.fl = fl
        self.voice = register(None)

    def speak(self, text: str):
        """Returns (samples float32 at 16 kHz, words [(text, start s, end s)], phones [(name, start, end, vowel)])."""
        fl = self.fl
        self.libc.srand(1)
        u = fl.flite_synth_text(text.encode(), self.voice)
        w = ctypes.cast(fl.utt_wave(u), ctypes.POINTER(CstWave)).contents
        assert w.num_channels == 1 and w.sample_rate == ASR_RATE
        x = np.ctypeslib.as_array(w.samples, shape=(w.num_samples,)).astype(np.float32) / 32768.0
        words = []
        item = fl.relation_head(fl.utt_relation(u, b"Word"))
        while item:
            name = fl.item_feat_string(item, b"name").decode()
            start = fl.ffeature_float(item, b"R:SylStructure.daughter1.daughter1.R:Segment.p.end")
            end = fl.ffeature_float(item, b"R:SylStructure.daughtern.daughtern.R:Segment.end")
            words.append((name, float(start), float(end)))
            item = fl.item_next(item)
        phones, prev = [], 0.0
        item = fl.relation_head(fl.utt_relation(u, b"Segment"))
        while item:
            end = float(fl.ffeature_float(item, b"end"))
            phones.append((fl.item_feat_string(item, b"name").decode(), prev, end,
                           fl.ffeature_string(item, b"ph_vc") == b"+"))
            prev = end
            item = fl.item_next(item)
        fl.delete_utterance(u)
        return x, words, phones


class CstWave(ctypes.Structure):
    _fields_ = [("type", ctypes.c_char_p), ("sample_rate", ctypes.c_int), ("num_samples", ctypes.c_int),
                ("num_channels", ctypes.c_int), ("samples", ctypes.POINTER(ctypes.c_short))]


# ---------------------------------------------------------------- audio helpers

def read_mono(path: Path):
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x.mean(axis=1), sr


def to_asr(x: np.ndarray, sr: int) -> np.ndarray:
    return x if sr == ASR_RATE else soxr.resample(x, sr, ASR_RATE, quality="VHQ")


def stretch_to(x16: np.ndarray, duration: float) -> np.ndarray:
    """Rubber Band R3 time stretch of 16 kHz audio to `duration` seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        sf.write(str(src), x16, ASR_RATE, subtype="FLOAT")
        cmd = ["rubberband", "-q", "-3", "-D", f"{duration:.6f}", str(src), str(dst)]
        subprocess.run(cmd, check=True, capture_output=True)
        y, _ = sf.read(str(dst), dtype="float64", always_2d=True)
        return y.mean(axis=1)


SQ_CTX, SQ_PCT, SQ_POW = 2, 75, 1.0  # chosen on the held-vowel self-test fixture (ctx 1: 41% WER, 2: 33%)


def squeeze(x16: np.ndarray, duration: float):
    """Shortens a sung line to `duration` seconds by taking the time out of its steady parts (held vowels,
    silence) and leaving its changing parts (consonants, transitions) at their own pace: what "compressing long
    vowels" means, without knowing where the phones are. Returns (audio, map from output to input seconds).

    Frames of 10 ms; a frame's change = mean absolute difference (dB) of 24 log-spaced band levels (100-7000 Hz)
    between the frames SQ_CTX frames either side; weight = change / (75th percentile of the line's changes), at most 1, and 0 for
    frames 40 dB below the loudest. Frame i keeps the share w_i + (1 - w_i) c of its length, c found by bisection so
    the line lasts `duration`; if even c = 0.05 is too long, all rates shrink together. Rendering: WSOLA (30 ms Hann
    frames, half overlap, +-10 ms search for the best normalised correlation with the natural continuation), so pitch and spectrum stay as sung."""
    sr, hop, nfft = ASR_RATE, 160, 512
    n_frames = max(1, len(x16) // hop)
    if duration >= len(x16) / sr:
        return x16, lambda u: np.asarray(u, dtype=float)
    padded = np.concatenate([x16, np.zeros(nfft)])
    win = np.hanning(nfft)
    spec = np.abs(np.fft.rfft(np.stack([padded[i * hop:i * hop + nfft] * win for i in range(n_frames)]), axis=1)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1 / sr)
    edges = np.geomspace(100, 7000, 25)
    bands = np.stack([spec[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in zip(edges[:-1], edges[1:])], 1)
    level = 10 * np.log10(bands + 1e-10)
    total = 10 * np.log10(spec.sum(axis=1) + 1e-10)
    ext = np.concatenate([level[:1]] * SQ_CTX + [level] + [level[-1:]] * SQ_CTX)
    change = np.abs(ext[2 * SQ_CTX:] - ext[:-2 * SQ_CTX]).mean(axis=1)
    w = np.clip(change / max(np.percentile(change, SQ_PCT), 1e-6), 0, 1) ** SQ_POW
    w[total < total.max() - 40] = 0
    target = duration * sr / hop  # in frames

    def length(c):
        return float(np.sum(w + (1 - w) * c))

    lo, hi = 0.05, 1.0
    if length(lo) > target:
        rates = (w + (1 - w) * lo) * target / length(lo)
    else:
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if length(mid) < target else (lo, mid)
        rates = w + (1 - w) * lo
    in_t = np.arange(n_frames + 1) * hop / sr
    out_t = np.concatenate([[0], np.cumsum(rates)]) * hop / sr
    out_len = int(round(out_t[-1] * sr))

    # WSOLA along the map
    n, half, tol = 480, 240, 160
    hann = np.hanning(n + 1)[:n]
    off = n + tol
    xp = np.concatenate([np.zeros(off), x16, np.zeros(off + n)])
    y = np.zeros(out_len + n)
    wsum = np.zeros(out_len + n)
    prev = None
    for k in range(out_len // half + 1):
        t = k * half
        want = int(round(np.interp((t + half) / sr, out_t, in_t) * sr)) - half + off
        want = min(max(want, tol), len(xp) - n - tol - 1)
        if prev is None:
            pos = want
        else:
            natural = xp[prev + half:prev + half + n]
            cand = xp[want - tol:want + tol + n]
            corr = np.correlate(cand, natural, mode="valid")
            energy = np.convolve(cand * cand, np.ones(n), mode="valid")
            pos = want - tol + int(np.argmax(corr / np.sqrt(energy + 1e-9)))
        y[t:t + n] += xp[pos:pos + n] * hann
        wsum[t:t + n] += hann
        prev = pos
    y = y[:out_len] / np.maximum(wsum[:out_len], 1e-3)
    y[wsum[:out_len] < 0.1] = 0
    return y, lambda u: np.interp(u, out_t, in_t)


def pcm16(x16: np.ndarray) -> bytes:
    """Pads with silence and scales the peak to -6 dBFS, as 16-bit little-endian PCM for pocketsphinx."""
    pad = np.zeros(int(PAD * ASR_RATE))
    peak = float(np.max(np.abs(x16))) if len(x16) else 0.0
    y = np.concatenate([pad, x16 * (0.5 / peak if peak > 0 else 1.0), pad])
    return (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()


class Sphinx:
    """Two pocketsphinx decoders: one recognises with the general en-us language model, one aligns given text."""

    def __init__(self):
        # batch cepstral mean normalisation: each utterance on its own (live CMN carries over from the previous
        # one, which made results depend on the order of the lines)
        self.rec = Decoder(samprate=ASR_RATE, loglevel="FATAL", cmn="batch")
        self.ali = Decoder(samprate=ASR_RATE, loglevel="FATAL", cmn="batch")

    def recognise(self, x16: np.ndarray) -> list:
        d = self.rec
        d.start_utt()
        d.process_raw(pcm16(x16), full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        return norm_words(hyp.hypstr) if hyp is not None else []

    def align(self, x16: np.ndarray, words: list, flite=None):
        """[(word, start s, end s)] relative to x16's first sample, or None when the aligner found no path.
        Words missing from pocketsphinx's dictionary get flite's pronunciation (same CMU phone set) when
        `flite` is given."""
        d = self.ali
        for w in words:
            if d.lookup_word(w) is None:
                if flite is None:
                    return None
                phones = [ph.upper().replace("AX", "AH") for ph, _, _, _ in flite.speak(w)[2] if ph != "pau"]
                if not phones:
                    return None
                d.add_word(w, " ".join(phones), True)
        d.set_align_text(" ".join(words))
        d.start_utt()
        d.process_raw(pcm16(x16), full_utt=True)
        d.end_utt()
        out = []
        segments = d.seg()
        if segments is None:  # no alignment path through this audio
            return None
        for s in segments:
            name = re.sub(r"\(\d+\)$", "", s.word)
            if name.startswith("<") or name.startswith("[") or name.startswith("+"):
                continue
            out.append((name, s.start_frame / 100.0 - PAD, (s.end_frame + 1) / 100.0 - PAD))
        return out if [w for w, _, _ in out] == words else None


# ---------------------------------------------------------------- pitch

def midi_notes(path: Path, track_name: str = "vocals"):
    """[(start s, end s, MIDI pitch)] of the named track of a type-1 MIDI file, through the file's tempo map."""
    mid = mido.MidiFile(str(path))
    if mid.type != 1:
        raise ValueError(f"{path.name} is a type-{mid.type} MIDI file, not type 1")
    tempos = []
    for tr in mid.tracks:
        tick = 0
        for m in tr:
            tick += m.time
            if m.type == "set_tempo":
                tempos.append((tick, m.tempo))
    tempos.sort(key=lambda e: e[0])
    if not tempos or tempos[0][0] > 0:
        tempos.insert(0, (0, 500000))
    segs, sec = [], 0.0  # (tick, seconds at tick, tempo)
    for i, (tick, tempo) in enumerate(tempos):
        if segs:
            pt, ps, ptempo = segs[-1]
            sec = ps + (tick - pt) * ptempo / 1e6 / mid.ticks_per_beat
        segs.append((tick, sec, tempo))

    def seconds(tick):
        t0, s0, tempo = [s for s in segs if s[0] <= tick][-1]
        return s0 + (tick - t0) * tempo / 1e6 / mid.ticks_per_beat

    tracks = [tr for tr in mid.tracks
              if any(m.type == "track_name" and m.name.strip().lower() == track_name for m in tr)]
    if not tracks:
        raise ValueError(f"{path.name} has no track named {track_name!r}")
    notes, open_ = [], {}
    tick = 0
    for m in tracks[0]:
        tick += m.time
        if m.type == "note_on" and m.velocity > 0:
            open_.setdefault((m.channel, m.note), []).append(tick)
        elif m.type in ("note_off", "note_on") and open_.get((m.channel, m.note)):
            start = open_[(m.channel, m.note)].pop(0)
            notes.append((seconds(start), seconds(tick), m.note))
    notes.sort()
    return notes


def judge_pitch(wav: Path, midi: Path) -> dict:
    notes = midi_notes(midi)
    x, sr = read_mono(wav)
    pitch = parselmouth.Sound(x, sampling_frequency=sr).to_pitch_ac(time_step=0.01, pitch_floor=70.0,
                                                                     pitch_ceiling=1100.0)
    f0 = pitch.selected_array["frequency"]
    t = pitch.xs()
    errors, unvoiced, short, spans = [], 0, 0, []
    for start, end, note in notes:
        a, b = start + PITCH_SKIP_HEAD, end - PITCH_SKIP_TAIL
        if b - a < PITCH_MIN_SPAN:
            short += 1
            continue
        sel = (t >= a) & (t <= b) & (f0 > 0)
        if sel.sum() < 3:
            unvoiced += 1
            continue
        ref = 440.0 * 2 ** ((note - 69) / 12)
        errors.append(float(np.median(1200 * np.log2(f0[sel] / ref))))
        spans.append((a, b, ref))
    judged = len(errors) + unvoiced
    # Diagnostic, not part of the bar: notes the tracker puts a whole octave (or more) away, and how many of them a
    # second tracker (librosa's pYIN over the same middle) reads within 50 cents of the note.
    octave_off = second_on_pitch = 0
    for e, (a, b, ref) in zip(errors, spans):
        if abs(e) >= 1100 and abs(abs(e) - 1200 * round(abs(e) / 1200)) <= 100:
            octave_off += 1
            import librosa  # only when needed: slow to import
            seg = x[max(0, int(a * sr) - 1024):int(b * sr) + 1024]
            f, _, _ = librosa.pyin(seg, fmin=70, fmax=1100, sr=sr, frame_length=2048, hop_length=256)
            f = f[np.isfinite(f)]
            if len(f) >= 3 and abs(np.median(1200 * np.log2(f / ref))) <= 50:
                second_on_pitch += 1
    abs_err = np.abs(errors)
    median = float(np.median(abs_err)) if errors else float("nan")
    within = float(np.sum(abs_err <= 50) / judged) if judged else 0.0
    return {"notes": len(notes), "judged": judged, "too_short": short, "unvoiced": unvoiced,
            "median_abs_cents": median, "mean_signed_cents": float(np.mean(errors)) if errors else float("nan"),
            "p90_abs_cents": float(np.percentile(abs_err, 90)) if errors else float("nan"),
            "within_50": within, "octave_off": octave_off, "octave_off_on_pitch_by_pyin": second_on_pitch,
            "pass": bool(judged > 0 and median <= BAR_MEDIAN_CENTS and within >= BAR_WITHIN_50)}


# ---------------------------------------------------------------- lyrics_timestamped shape

def check_shape(entries, expected_lines=None) -> list:
    """Problems found in lyrics_timestamped (empty list = well formed)."""
    problems = []
    if not isinstance(entries, list) or not entries:
        return ["lyrics_timestamped is missing or empty"]
    for i, e in enumerate(entries):
        where = f"entry {i}"
        if not isinstance(e, dict):
            problems.append(f"{where}: not an object")
            continue
        if e.get("index") != i:
            problems.append(f"{where}: index {e.get('index')!r}, expected {i}")
        text, start, end, words = e.get("text"), e.get("start"), e.get("end"), e.get("words")
        if not isinstance(text, str) or not isinstance(start, int) or not isinstance(end, int) \
                or not isinstance(words, list):
            problems.append(f"{where}: needs text (string), start and end (integer ms), words (list)")
            continue
        if start > end or start < 0:
            problems.append(f"{where}: start {start} / end {end}")
        if TAG_RE.match(text):
            if start != end or words:
                problems.append(f"{where}: tag {text!r} must have start == end and no words")
            continue
        if not words:
            problems.append(f"{where}: line {text!r} has no words")
            continue
        prev = start
        for w in words:
            if not isinstance(w, dict) or not isinstance(w.get("text"), str) \
                    or not isinstance(w.get("start"), int) or not isinstance(w.get("end"), int):
                problems.append(f"{where}: a word needs text, start, end (integer ms)")
                break
            if not (prev <= w["start"] <= w["end"] <= end):
                problems.append(f"{where}: word {w['text']!r} {w['start']}-{w['end']} out of order or outside "
                                f"the line {start}-{end}")
                break
            prev = w["start"]
        if [t for w in words for t in norm_words(w.get("text", ""))] != norm_words(text):
            problems.append(f"{where}: words do not spell the line {text!r}")
    if expected_lines is not None:
        sung = [norm_words(e.get("text", "")) for e in entries if isinstance(e, dict)
                and isinstance(e.get("text"), str) and not TAG_RE.match(e["text"])]
        wanted = [norm_words(t) for t in expected_lines]
        # A long line may be sung as two or more consecutive entries (the engine splits lines too long for a
        # phrase, docs/vocals.md): it is sung when some run of up to 4 consecutive entries spells it.
        runs = {tuple(w for part in sung[i:j] for w in part) for i in range(len(sung))
                for j in range(i + 1, min(i + 4, len(sung)) + 1)}
        missing = [" ".join(t) for t in wanted if tuple(t) not in runs]
        if missing:
            problems.append(f"lines of the lyrics not sung: {missing}")
    return problems


# ---------------------------------------------------------------- one render

SPOKEN = {}  # line text -> (flite slt's spoken duration, pocketsphinx's words for it)


def word_start_hits(x, sr, e, ref, squeezed, back, sphinx: Sphinx, flite: Flite, late: float = 0.0):
    """One line's manifest word starts (the first token of each word) against pocketsphinx's forced alignment of the
    raw cut (PAD of context each side) and of the squeezed cut mapped back through `back`. Returns (words, raw hits,
    compressed hits, whether the raw cut aligned). `late` moves every other word start that many seconds later
    (a wrong vocal for the self-checks)."""
    s, t = e["start"] / 1000.0, e["end"] / 1000.0
    starts = [(tok, w["start"] / 1000.0) for w in e["words"] if (tok := norm_words(str(w.get("text", ""))))]
    starts = [(tok, st + (late if i % 2 else 0.0)) for i, (tok, st) in enumerate(starts)]
    a0 = max(0.0, s - PAD)
    raw = sphinx.align(to_asr(x[int(a0 * sr):int((t + PAD) * sr)], sr), ref, flite)
    comp = sphinx.align(squeezed, ref, flite)

    def hits(aligned, to_abs):
        if aligned is None:
            return 0
        n, k = 0, 0
        for tok, st in starts:
            if k >= len(aligned):  # the words do not spell the line (a shape problem): the rest are misses
                break
            if abs(to_abs(aligned[k][1]) - st) <= ALIGN_TOLERANCE:
                n += 1
            k += len(tok)
        return n

    return (len(starts), hits(raw, lambda u: a0 + u), hits(comp, lambda u: s + float(back(max(u, 0.0)))),
            raw is not None)


def judge_render(out: Path, flite: Flite, sphinx: Sphinx, expected_lines=None) -> dict:
    """Judges one render directory (manifest.json, first version)."""
    manifest = json.loads((out / "manifest.json").read_text())
    v = manifest["versions"][0]
    files = v.get("files", {})
    entries = v.get("lyrics_timestamped")
    res = {"dir": str(out), "shape_problems": check_shape(entries, expected_lines)}
    wav_rel = (files.get("vocals") or {}).get("wav")
    if not wav_rel or not (out / wav_rel).exists() or res["shape_problems"] == ["lyrics_timestamped is missing or empty"]:
        res["error"] = "no vocal stem (files.vocals.wav) or no lyrics_timestamped in the manifest"
        res["pass"] = False
        return res
    wav = out / wav_rel
    res["pitch"] = judge_pitch(wav, out / files["midi"]) if files.get("midi") else None

    x, sr = read_mono(wav)
    lines = [e for e in entries if isinstance(e, dict) and e.get("words") and isinstance(e.get("text"), str)
             and not TAG_RE.match(e["text"]) and isinstance(e.get("start"), (int, float))
             and isinstance(e.get("end"), (int, float)) and e["end"] > e["start"]
             and all(isinstance(w, dict) and isinstance(w.get("start"), (int, float)) for w in e["words"])]
    ref_n = sung_err = spoken_err = uniform_err = raw_err = 0
    on_time = words_n = on_time_c = unaligned = 0
    per_line = []
    for e in lines:
        text = e["text"]
        ref = norm_words(text)
        s, t = e["start"] / 1000.0, e["end"] / 1000.0
        if text not in SPOKEN:  # flite and the decoder are deterministic: each text is spoken and decoded once
            speech, fwords, _ = flite.speak(text)
            SPOKEN[text] = (fwords[-1][2] - fwords[0][1],
                            sphinx.recognise(speech[int(fwords[0][1] * ASR_RATE):int(fwords[-1][2] * ASR_RATE)]))
        spoken_dur, spoken_hyp = SPOKEN[text]
        cut = to_asr(x[int(s * sr):int(t * sr)], sr)
        squeezed, back = squeeze(cut, spoken_dur)
        sung_hyp = sphinx.recognise(squeezed)
        uniform_hyp = sphinx.recognise(stretch_to(cut, spoken_dur))
        raw_hyp = sphinx.recognise(cut)
        ref_n += len(ref)
        se, pe = edit_distance(ref, sung_hyp), edit_distance(ref, spoken_hyp)
        sung_err += se
        spoken_err += pe
        uniform_err += edit_distance(ref, uniform_hyp)
        raw_err += edit_distance(ref, raw_hyp)

        n_words, h_raw, h_comp, aligned = word_start_hits(x, sr, e, ref, squeezed, back, sphinx, flite)
        on_time += h_raw
        on_time_c += h_comp
        words_n += n_words
        if not aligned:  # no alignment path through the line: every word of it counts as a miss
            unaligned += n_words
        per_line.append({"text": text, "start_ms": e["start"], "end_ms": e["end"],
                         "spoken_duration": round(spoken_dur, 3), "sung_hyp": " ".join(sung_hyp),
                         "uniform_hyp": " ".join(uniform_hyp), "raw_hyp": " ".join(raw_hyp),
                         "spoken_hyp": " ".join(spoken_hyp), "sung_errors": se, "spoken_errors": pe,
                         "words": n_words, "on_time_raw": h_raw, "on_time_compressed": h_comp,
                         "aligned": aligned})
    sung_wer = sung_err / ref_n if ref_n else float("nan")
    spoken_wer = spoken_err / ref_n if ref_n else float("nan")
    res["lines"] = per_line
    res["wer"] = {"sung": sung_wer, "spoken": spoken_wer, "reference_words": ref_n,
                  "sung_uniform": uniform_err / ref_n if ref_n else float("nan"),
                  "sung_uncompressed": raw_err / ref_n if ref_n else float("nan"),
                  "pass": bool(ref_n and sung_wer <= BAR_WER_RATIO * spoken_wer + 1e-9)}
    res["timestamps"] = {"words": words_n, "within_80ms": on_time / words_n if words_n else 0.0,
                         "within_80ms_compressed": on_time_c / words_n if words_n else None,
                         # diagnostics beside the bar's figure: words of lines pocketsphinx found no path for
                         # (all counted as misses above), and the share on time among the words it did align
                         "unaligned_words": unaligned,
                         "within_80ms_of_aligned": on_time / (words_n - unaligned) if words_n > unaligned else None,
                         "pass": bool(words_n and on_time / words_n >= BAR_ALIGN_SHARE and not res["shape_problems"])}
    p = res["pitch"]
    res["pass"] = bool(res["wer"]["pass"] and res["timestamps"]["pass"] and (p is None or p["pass"]))
    return res


def fmt(v, spec=".1f", pct=False):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{100 * v:{spec}}%" if pct else f"{v:{spec}}"


HEADER = ["render", "notes judged", "median abs cents", "within 50 c", "sung WER (uniform / none)", "spoken WER",
          "words within 80 ms (raw / compressed)", "shape", "pass"]


def row(name, r):
    if "error" in r:
        return [name, r["error"]] + ["n/a"] * (len(HEADER) - 3) + ["NO"]
    p = r["pitch"]
    ts = r["timestamps"]
    return [name,
            f"{p['judged']} of {p['notes']} ({p['unvoiced']} unvoiced, {p.get('octave_off', 0)} octave off)" if p else "no MIDI",
            fmt(p["median_abs_cents"]) if p else "n/a", fmt(p["within_50"], ".0f", True) if p else "n/a",
            f"{fmt(r['wer']['sung'], '.0f', True)} ({fmt(r['wer']['sung_uniform'], '.0f', True)} / "
            f"{fmt(r['wer']['sung_uncompressed'], '.0f', True)})",
            fmt(r["wer"]["spoken"], ".0f", True),
            f"{fmt(ts['within_80ms'], '.0f', True)} / {fmt(ts['within_80ms_compressed'], '.0f', True)}"
            f" ({ts.get('unaligned_words', 0)} unaligned)",
            "ok" if not r["shape_problems"] else f"{len(r['shape_problems'])} problems",
            "yes" if r["pass"] else "NO"]


def write_results(name, title, rows, summary, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    lines += [""] + summary + [""]
    text = "\n".join(lines)
    (RESULTS / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1, default=float) + "\n")
    print(text)


BARS = (f"Bars: pitch median |error| <= {BAR_MEDIAN_CENTS:g} cents and >= {BAR_WITHIN_50:.0%} of notes within "
        f"50 cents (each note's middle: +80 ms .. -40 ms); sung WER (each line compressed to flite slt's spoken "
        f"duration) <= {BAR_WER_RATIO:g} x the WER of the same lines spoken by flite slt; >= "
        f"{BAR_ALIGN_SHARE:.0%} of word starts within 80 ms of pocketsphinx's forced alignment of the raw line "
        f"(the compressed figure is shown for comparison); lyrics_timestamped well formed.")


# ---------------------------------------------------------------- the real run

VOICE_PROMPTS = {"female": "female vocals", "male": "male vocals"}


def pooled(renders: list) -> dict:
    """One voice's figures over its renders: WER and word timing summed over every line, pitch per render."""
    ref = sum(r["wer"]["reference_words"] for r in renders)
    sung = sum(r["wer"]["sung"] * r["wer"]["reference_words"] for r in renders)
    spoken = sum(r["wer"]["spoken"] * r["wer"]["reference_words"] for r in renders)
    words = sum(r["timestamps"]["words"] for r in renders)
    on_time = sum(r["timestamps"]["within_80ms"] * r["timestamps"]["words"] for r in renders)
    unaligned = sum(r["timestamps"].get("unaligned_words", 0) for r in renders)
    pitches = [r["pitch"] for r in renders if r.get("pitch")]
    out = {"renders": len(renders), "reference_words": ref, "sung_wer": sung / ref, "spoken_wer": spoken / ref,
           "ratio": sung / spoken if spoken else float("inf"), "within_80ms": on_time / words, "words": words,
           "unaligned_words": unaligned,
           "within_80ms_of_aligned": on_time / (words - unaligned) if words > unaligned else float("nan"),
           "octave_off_notes": sum(p.get("octave_off", 0) for p in pitches),
           "octave_off_on_pitch_by_pyin": sum(p.get("octave_off_on_pitch_by_pyin", 0) for p in pitches),
           "judged_notes": sum(p["judged"] for p in pitches),
           "pitch_median_abs_cents": [p["median_abs_cents"] for p in pitches],
           "pitch_within_50": [p["within_50"] for p in pitches],
           "shape_ok": all(not r["shape_problems"] for r in renders)}
    out["wer_pass"] = sung <= BAR_WER_RATIO * spoken + 1e-9
    out["timestamps_pass"] = out["within_80ms"] >= BAR_ALIGN_SHARE
    out["pitch_pass"] = all(p["pass"] for p in pitches) and len(pitches) == len(renders)
    out["pass"] = out["wer_pass"] and out["timestamps_pass"] and out["pitch_pass"] and out["shape_ok"]
    return out


def run(args):
    ensure_packages()
    if not args.judge and not CLI.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "chromasong"], cwd=ROOT, check=True)
    flite, sphinx = Flite(), Sphinx()
    results, rows = {}, []
    if args.judge:
        targets = [(Path(args.judge).name, None, Path(args.judge), None)]
    else:
        targets = []
        seeds = [int(x) for x in args.seeds.split(",")]
        voices = args.voices.split(",")
        for voice in voices:
            if voice not in VOICE_PROMPTS:
                sys.exit(f"--voices: unknown base voice {voice!r} (female, male)")
            for seed in seeds:
                for f, bpm in lyric_files(args.set):
                    name = f"{voice} {f.stem} s{seed}"
                    out = DIR / ((args.set or "lyrics") + (f"-{args.label}" if args.label else "")) / voice / f"{f.stem}-{seed}"
                    if args.no_render:  # judge the renders already there (a judge change, same audio)
                        if not (out / "manifest.json").exists():
                            sys.exit(f"--no-render: {out} has no render")
                        targets.append((name, voice, out, [t for _, t in lyric_lines(f) if t]))
                        continue
                    if out.exists():
                        shutil.rmtree(out)
                    cmd = [str(CLI), "render", str(args.image), "--lyrics-file", str(f), "--versions", "1",
                           "--formats", "wav", "--seed", str(seed), "--prompt", VOICE_PROMPTS[voice], "--out", str(out)]
                    if bpm:
                        cmd += ["--bpm", str(bpm)]
                    proc = subprocess.run(cmd, capture_output=True, text=True)
                    if proc.returncode != 0:
                        sys.exit(f"render failed: {' '.join(cmd)}\n{proc.stderr}")
                    targets.append((name, voice, out, [t for _, t in lyric_lines(f) if t]))
    by_voice = {}
    for name, voice, out, expected in targets:
        r = judge_render(out, flite, sphinx, expected)
        results[name] = r
        rows.append(row(name, r))
        if voice:
            by_voice.setdefault(voice, []).append(r)
        for prob in r["shape_problems"]:
            print(f"{name}: {prob}", file=sys.stderr)
    if args.judge:
        ok = all(r["pass"] for r in results.values())
        summary = [BARS, "", f"Judged {args.judge}, first version. Overall: " + ("PASS" if ok else "FAIL") + "."]
        data = {"judged": args.judge, "renders": results, "pass": ok}
    else:
        totals = {v: pooled(rs) for v, rs in by_voice.items()}
        ok = all(t["pass"] for t in totals.values())
        summary = [BARS, "", "Pooled per base voice (every line of every render above; pitch: every render must pass):", "",
                   "| base voice | renders | words | sung WER | spoken WER | ratio (bar <= 2) | words within 80 ms | "
                   "pitch median abs cents | pitch within 50 c | pass |", "|---|---|---|---|---|---|---|---|---|---|"]
        for v, t in totals.items():
            summary.append(
                f"| {v} | {t['renders']} | {t['reference_words']} | {t['sung_wer']:.1%} | {t['spoken_wer']:.1%} | "
                f"{t['ratio']:.2f} {'ok' if t['wer_pass'] else 'NO'} | {t['within_80ms']:.1%} "
                f"{'ok' if t['timestamps_pass'] else 'NO'} ({t['unaligned_words']} words unaligned; "
                f"{t['within_80ms_of_aligned']:.1%} of aligned words) | {min(t['pitch_median_abs_cents']):.1f}-"
                f"{max(t['pitch_median_abs_cents']):.1f} | {min(t['pitch_within_50']):.0%}-{max(t['pitch_within_50']):.0%} "
                f"{'ok' if t['pitch_pass'] else 'NO'} ({t['octave_off_notes']} of {t['judged_notes']} notes an octave "
                f"off, {t['octave_off_on_pitch_by_pyin']} of them within 50 c by pYIN) | {'yes' if t['pass'] else 'NO'} |")
        asked = ", ".join(f'{v}: "{VOICE_PROMPTS[v]}"' for v in by_voice)
        summary += ["", f"Image {args.image}, seeds {args.seeds}, first version; each base voice asked for in the "
                    f"prompt ({asked}). Overall: "
                    + ("PASS" if ok else "FAIL") + ". Per-line hypotheses in sing_check.json."]
        data = {"image": str(args.image), "seeds": args.seeds, "voices": totals, "renders": results, "pass": ok}
    title = ("Singing: pitch, intelligibility, word timestamps" + (f" ({args.set} set)" if args.set else "")
             + (f", {args.label}" if args.label else ""))
    # A labelled run of one voice names its results after the voice too, so that running the voices one after the
    # other keeps both tables (stop 39 lost a female table to the male run under the same label).
    label = args.label
    judged_voices = args.voices.split(",")
    if label and len(judged_voices) == 1 and not label.endswith(f"-{judged_voices[0]}"):
        label += f"-{judged_voices[0]}"
    write_results("sing_check" + (f"_{args.set}" if args.set else "") + (f"_{label}" if label else ""),
                  title, rows, summary, data)
    return 0 if ok else 1


# ---------------------------------------------------------------- self-test fixtures

def fake_render(out: Path, flite: Flite, files: list, vowel_stretch: float = 1.0) -> dict:
    """A render directory made of flite slt speaking the lyric lines (v1/vocals.wav, 44.1 kHz) and a manifest
    whose word times are flite's own. vowel_stretch > 1 holds every vowel that many times longer (consonants
    keep their length), a stand-in for sung lines with known word times."""
    if out.exists():
        shutil.rmtree(out)
    (out / "v1").mkdir(parents=True)
    sr = 44100
    pieces, entries, t = [], [], 1.0
    for f in files:
        for tag, text in lyric_lines(f):
            if text is None:
                entries.append({"index": len(entries), "text": tag, "start": round(t * 1000),
                                "end": round(t * 1000), "words": []})
                continue
            x16, words, phones = flite.speak(text)
            if vowel_stretch != 1.0:
                x16, words = hold_vowels(x16, words, phones, vowel_stretch)
            y = soxr.resample(x16, ASR_RATE, sr, quality="VHQ")
            pieces.append((t, y))
            wl = [{"text": w, "start": round((t + a) * 1000), "end": round((t + b) * 1000)} for w, a, b in words]
            entries.append({"index": len(entries), "text": text, "start": wl[0]["start"], "end": wl[-1]["end"],
                            "words": wl})
            t += len(y) / sr + 0.8
    audio = np.zeros(int((t + 1.0) * sr))
    for t0, y in pieces:
        i = int(round(t0 * sr))
        audio[i:i + len(y)] += y
    sf.write(str(out / "v1" / "vocals.wav"), audio, sr, subtype="PCM_16")
    manifest = {"versions": [{"sample_rate": sr, "files": {"vocals": {"wav": "v1/vocals.wav"}},
                              "lyrics_timestamped": entries}]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def hold_vowels(x16, words, phones, factor):
    """Each vowel phone stretched `factor` times (Rubber Band R3, one call per vowel), consonants and pauses
    copied: the output length of every piece is known, so the word times map exactly."""
    pieces, keys_src, keys_dst, dst = [], [0.0], [0.0], 0
    for _, a, b, vowel in phones:
        i, j = round(a * ASR_RATE), round(b * ASR_RATE)
        seg = x16[i:j].astype(np.float64)
        if vowel and j - i > 160:
            seg = stretch_to(seg, len(seg) * factor / ASR_RATE)
            seg = seg[:round((j - i) * factor)]
        pieces.append(seg)
        dst += len(seg)
        keys_src.append(j / ASR_RATE)
        keys_dst.append(dst / ASR_RATE)
    y = np.concatenate(pieces)

    def warp(u):
        return float(np.interp(u, keys_src, keys_dst))

    return y, [(w, warp(a), warp(b)) for w, a, b in words]


def pitch_fixture(out: Path, detune_cents: float = 0.0):
    """A 'vocal' of harmonic tones (6 harmonics, 5.5 Hz +-35 cent vibrato after 150 ms, 60 ms glide into each
    note, 20 ms fades) following a melody, and its type-1 MIDI file written with mido: a conductor track with a
    tempo change (100 -> 76 bpm at beat 8), the `vocals` track and a decoy `bass` track. detune_cents moves
    the audio, not the score."""
    out.mkdir(parents=True, exist_ok=True)
    tpb = 480
    melody = [(0, 1, 64), (1, 1, 67), (2, 0.5, 69), (2.5, 0.5, 67), (3, 2, 64), (5, 1, 62), (6, 2, 60),
              (8, 1, 72), (9, 0.5, 71), (9.5, 0.5, 69), (10, 1, 67), (11, 1, 69), (12, 3, 64), (15.5, 0.25, 62),
              (16, 2, 57), (18, 1, 59), (19, 1, 60), (20, 4, 62)]

    def beat_sec(b):
        return b * 0.6 if b <= 8 else 8 * 0.6 + (b - 8) * 60 / 76

    mid = mido.MidiFile(type=1, ticks_per_beat=tpb)
    cond = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0),
                           mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(76), time=8 * tpb)])
    events = []
    for b, d, n in melody:
        events += [(round(b * tpb), 1, mido.Message("note_on", note=n, velocity=90)),
                   (round((b + d) * tpb), 0, mido.Message("note_off", note=n, velocity=0))]
    voc = mido.MidiTrack([mido.MetaMessage("track_name", name="vocals", time=0)])
    last = 0
    for tick, _, m in sorted(events, key=lambda e: (e[0], e[1])):
        voc.append(m.copy(time=tick - last))
        last = tick
    bass = mido.MidiTrack([mido.MetaMessage("track_name", name="bass", time=0),
                           mido.Message("note_on", note=40, velocity=80, time=0),
                           mido.Message("note_off", note=40, velocity=0, time=24 * tpb)])
    mid.tracks += [cond, voc, bass]
    mid.save(str(out / "song.mid"))

    sr = 44100
    total = beat_sec(24) + 0.5
    audio = np.zeros(int(total * sr))
    prev_f = None
    for b, d, n in melody:
        s, e = beat_sec(b), beat_sec(b + d)
        tt = np.arange(int((e - s) * sr)) / sr
        f = 440.0 * 2 ** ((n - 69 + detune_cents / 100) / 12)
        cents = 35 * np.sin(2 * np.pi * 5.5 * tt) * np.clip((tt - 0.15) / 0.1, 0, 1)
        if prev_f is not None:
            glide = 1200 * np.log2(prev_f / f) * np.clip(1 - tt / 0.06, 0, 1)
            cents = cents + glide
        inst = f * 2 ** (cents / 1200)
        phase = 2 * np.pi * np.cumsum(inst) / sr
        tone = sum(np.sin(k * phase) / k for k in range(1, 7))
        fade = np.minimum(1, np.minimum(tt / 0.02, (tt[-1] - tt) / 0.02))
        i = int(s * sr)
        audio[i:i + len(tt)] += 0.2 * tone * fade
        prev_f = f
    sf.write(str(out / "vocals.wav"), audio, sr, subtype="PCM_16")
    return out / "vocals.wav", out / "song.mid"


def selftest(_args):
    ensure_packages()
    flite, sphinx = Flite(), Sphinx()
    files = sorted(LYRICS_DIR.glob("*.txt"))
    expected = [t for f in files for _, t in lyric_lines(f) if t]
    base = DIR / "selftest"
    checks, data, rows = [], {}, []

    def expect(name, cond, detail):
        checks.append((name, bool(cond), detail))

    # (c) pitch: exact tones pass at ~0 cents, a +70 cent copy fails
    wav, mid = pitch_fixture(base / "pitch")
    exact = judge_pitch(wav, mid)
    wav_d, mid_d = pitch_fixture(base / "pitch_detuned", detune_cents=70)
    detuned = judge_pitch(wav_d, mid_d)
    data["pitch_exact"], data["pitch_detuned_70c"] = exact, detuned
    expect("pitch: exact tones", exact["pass"] and exact["median_abs_cents"] < 3 and exact["judged"] == 18,
           f"median {exact['median_abs_cents']:.2f} c, {exact['within_50']:.0%} within 50 c, "
           f"{exact['judged']} of {exact['notes']} notes judged")
    expect("pitch: +70 c detuned copy fails", not detuned["pass"],
           f"median {detuned['median_abs_cents']:.1f} c, {detuned['within_50']:.0%} within 50 c")

    # (a) + (b) flite speech as the 'vocal', with flite's own word times as the manifest
    spoken = base / "spoken"
    manifest = fake_render(spoken, flite, files)
    r = judge_render(spoken, flite, sphinx, expected)
    data["spoken"] = r
    rows.append(row("flite slt speech, flite word times", r))
    expect("baseline: spoken lines recognised", r["wer"]["spoken"] <= 0.5,
           f"spoken WER {r['wer']['spoken']:.1%} over {r['wer']['reference_words']} words")
    expect("timestamps: flite times agree with forced alignment", r["timestamps"]["pass"],
           f"{r['timestamps']['within_80ms']:.1%} within 80 ms")

    # perturbed manifests must fail: every other word start 150 ms late; a tag with words, a word outside its line
    bad = base / "shifted"
    shutil.copytree(spoken, bad, dirs_exist_ok=True)
    m = json.loads(json.dumps(manifest))
    k = 0
    for e in m["versions"][0]["lyrics_timestamped"]:
        for w in e["words"]:
            if k % 2:
                w["start"] = min(w["start"] + 150, w["end"])
            k += 1
    (bad / "manifest.json").write_text(json.dumps(m))
    rb = judge_render(bad, flite, sphinx, expected)
    data["shifted"] = rb
    rows.append(row("same, every other word start +150 ms", rb))
    expect("timestamps: shifted words fail", not rb["timestamps"]["pass"],
           f"{rb['timestamps']['within_80ms']:.1%} within 80 ms")
    m2 = json.loads(json.dumps(manifest))
    lt = m2["versions"][0]["lyrics_timestamped"]
    lt[0]["words"] = [{"text": "verse", "start": lt[0]["start"], "end": lt[0]["start"]}]
    lt[1]["words"][-1]["end"] = lt[1]["end"] + 500
    del lt[2]["words"][1]
    probs = check_shape(lt, expected)
    expect("shape: well-formed fixture passes", not r["shape_problems"], "; ".join(r["shape_problems"]) or "ok")
    expect("shape: broken entries found", len(probs) == 3, "; ".join(probs))

    # pseudo-sung: vowels held 3x (known word times): what time compression buys
    held = base / "held_vowels"
    fake_render(held, flite, files, vowel_stretch=3.0)
    rh = judge_render(held, flite, sphinx, expected)
    data["held_vowels"] = rh
    rows.append(row("flite speech, vowels held 3x", rh))
    expect("held vowels: the steady-part squeeze beats a uniform one and none",
           rh["wer"]["sung"] < rh["wer"]["sung_uniform"] < rh["wer"]["sung_uncompressed"],
           f"{'within' if rh['wer']['pass'] else 'OUTSIDE'} the bar: steady parts squeezed {rh['wer']['sung']:.1%}, uniform {rh['wer']['sung_uniform']:.1%}, "
           f"none {rh['wer']['sung_uncompressed']:.1%}, spoken {rh['wer']['spoken']:.1%}")
    expect("held vowels: timestamps", rh["timestamps"]["pass"],
           f"raw {rh['timestamps']['within_80ms']:.1%}, compressed {rh['timestamps']['within_80ms_compressed']:.1%}")

    summary = [BARS, "", "Self-checks:"]
    summary += [f"- {'ok  ' if ok else 'FAIL'} {name}: {detail}" for name, ok, detail in checks]
    summary += ["", f"Pitch fixture (no speech): exact {exact['median_abs_cents']:.2f} c median, "
                f"{exact['within_50']:.0%} within 50 c; +70 c copy {detuned['median_abs_cents']:.1f} c, "
                f"{detuned['within_50']:.0%} within 50 c. Rows without MIDI have no pitch figures."]
    data["checks"] = [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks]
    write_results("sing_selftest", "Singing judges: self-test on flite speech and synthetic tones", rows,
                  summary, data)
    return 0 if all(ok for _, ok, _ in checks) else 1


def timestamps_only(out: Path, sphinx: Sphinx, flite: Flite, late: float = 0.0) -> dict:
    """The timestamp judge of judge_render alone (`word_start_hits`), on a render whose word times are known; `late`
    moves every other manifest word start that many seconds later."""
    v = json.loads((out / "manifest.json").read_text())["versions"][0]
    x, sr = read_mono(out / v["files"]["vocals"]["wav"])
    n = raw_hits = comp_hits = 0
    for e in v["lyrics_timestamped"]:
        if not e.get("words"):
            continue
        if e["text"] not in SPOKEN_DURATION:
            _, fwords, _ = flite.speak(e["text"])
            SPOKEN_DURATION[e["text"]] = fwords[-1][2] - fwords[0][1]
        s, t = e["start"] / 1000.0, e["end"] / 1000.0
        squeezed, back = squeeze(to_asr(x[int(s * sr):int(t * sr)], sr), SPOKEN_DURATION[e["text"]])
        words, h_raw, h_comp, _ = word_start_hits(x, sr, e, norm_words(e["text"]), squeezed, back, sphinx, flite, late)
        n += words
        raw_hits += h_raw
        comp_hits += h_comp
    return {"words": n, "within_80ms": raw_hits / n if n else 0.0, "within_80ms_compressed": comp_hits / n if n else 0.0}


SPOKEN_DURATION: dict = {}
CEILING_FACTORS = (1.0, 3.0, 6.0, 10.0)


def aligner_ceiling(_args):
    """What the timestamp judge gives a vocal whose word times are exactly right: flite's awb voice (a speaker
    neither the reference nor the singers use) speaks each lyric file's lines with every vowel held 1, 3, 6 and 10
    times (consonants untouched; Rubber Band per vowel, so every word time is known), and the judge aligns it. A
    ballad's notes of about 1 s hold flite's vowels of about 0.1 s some 8-10 times. Every other word moved 150 ms
    late must still fail. Results: results/sing_aligner_ceiling.md/.json."""
    ensure_packages()
    reference, speaker, sphinx = Flite(), Flite("awb"), Sphinx()
    rows, data = [], {}
    for set_name in ("tune", "tune2", "judged"):
        for f, _ in lyric_files(set_name):
            key = f"{set_name}/{f.stem}"
            data[key] = {"set": set_name}
            for factor in CEILING_FACTORS:
                out = DIR / "aligner_ceiling" / set_name / f"{f.stem}-x{factor:g}"
                fake_render(out, speaker, [f], vowel_stretch=factor)
                r = timestamps_only(out, sphinx, reference)
                late = timestamps_only(out, sphinx, reference, late=0.150)
                data[key][f"x{factor:g}"] = {"exact": r, "late": late}
                print(f"{key} x{factor:g}: raw {r['within_80ms']:.1%} compressed {r['within_80ms_compressed']:.1%}"
                      f" (late: {late['within_80ms']:.1%} / {late['within_80ms_compressed']:.1%})", flush=True)
    head = ["set/lyric file"] + [f"vowels x{x:g}: raw / squeezed" for x in CEILING_FACTORS] + \
           ["x1, every other word 150 ms late"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, d in data.items():
        cells = [key]
        for x in CEILING_FACTORS:
            e = d[f"x{x:g}"]["exact"]
            cells.append(f"{e['within_80ms']:.1%} / {e['within_80ms_compressed']:.1%}")
        late = d["x1"]["late"]
        cells.append(f"{late['within_80ms']:.1%} / {late['within_80ms_compressed']:.1%}")
        lines.append("| " + " | ".join(cells) + " |")
    text = ["# The timestamp judge on vocals whose word times are exact", "",
            aligner_ceiling.__doc__.replace("\n    ", " ").strip(), "",
            f"Share of word starts within {ALIGN_TOLERANCE * 1000:.0f} ms of pocketsphinx's forced alignment "
            "(the bar: 95% every render), raw cut (the judged figure) and squeezed cut (mapped back):", ""] + lines
    (RESULTS / "sing_aligner_ceiling.md").write_text("\n".join(text) + "\n")
    (RESULTS / "sing_aligner_ceiling.json").write_text(json.dumps(data, indent=1))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--selftest", action="store_true", help="check the judges on inputs made here")
    ap.add_argument("--aligner-ceiling", action="store_true",
                    help="the timestamp judge on every lyric set's lines spoken with vowels held 1-10x, word times "
                         "exact: what a perfect vocal would score (results/sing_aligner_ceiling.md)")
    ap.add_argument("--judge", help="judge an existing render directory instead of rendering")
    ap.add_argument("--image", type=Path, default=EXAMPLE, help="photo to render on (default examples/yellowflower.jpg)")
    ap.add_argument("--seeds", default="7,8,9", help="comma-separated seeds, each rendered per lyric file and voice")
    ap.add_argument("--voices", default="female,male", help="base voices to judge: female, male or both")
    ap.add_argument("--set", choices=["tune", "tune2", "judged"], default=None,
                    help="render Benchmarks/lyrics-sets' tune set, its fast-dense addition tune2, or the held-out "
                         "judged set (each file at its bpm) instead of Benchmarks/lyrics; results go to "
                         "results/sing_check_<set>.md")
    ap.add_argument("--label", default="",
                    help="a name for this variant (e.g. the CHROMASONG_SINGER it ran with): results go to "
                         "results/sing_check_<set>_<label>.md (-<voice> appended when one voice is judged and the "
                         "label does not end with it), renders to work/sing_check/<set>-<label>/")
    ap.add_argument("--no-render", action="store_true",
                    help="judge the renders already under work/sing_check/<set>-<label>/ (after a change to the judge)")
    args = ap.parse_args()
    sys.exit(selftest(args) if args.selftest else aligner_ceiling(args) if args.aligner_ceiling else run(args))


if __name__ == "__main__":
    main()
