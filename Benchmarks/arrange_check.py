"""Measures issue 11's arrangement bars on real renders: section contrast, verses that differ, melody and harmony,
the kick, the low end, and how far the two versions of one render are apart.

Usage (from Benchmarks/, with the venv run.sh builds: librosa, pyloudnorm, scipy, mido; music21 for the corpus):
  .venv/bin/python arrange_check.py --set tune|judged|fresh|fresh2|fresh3 [--label NAME] [--cli PATH] [--no-render]

The set (Benchmarks/arrange-sets.json, fixed before tuning): explicit rows {id, image, prompt, style, seed,
instrumental}; each is rendered with
  chromasong render ../shared/images/IMAGE --out work/arrange_check/<label>/<set>/<id> --prompt PROMPT --seed SEED
                    --versions 2 --formats wav [--instrumental]
and the style the manifest's analysis.decisions.style took is checked against the row's. --no-render measures the
renders already there (a change to the measures, same audio); --cli measures another binary (default the release
CLI); --label names the variant (e.g. before / after).

Sections: the manifest's analysis.decisions.form ("intro 4, verse 8, ...", bars of 4 beats), section k starting
at (bars before it) * 4 * 60 / bpm. Checked against song.mid per render: the MIDI tempo, the MIDI's length against
the form's, the first note, and the lag of the audio against the MIDI (cross-correlation of librosa's onset strength
of v1 instrumental.wav with the MIDI's onsets, +-1 s): the "timing" entry of each render in the JSON.

Measures (v1 unless said):
1. Chorus vs verse: BS.1770 integrated loudness (pyloudnorm) of each section of mix.wav; lift = mean chorus LUFS -
   mean verse LUFS. Spectral centroid (librosa, mean over the section's frames) and onset rate (librosa
   onset_detect on the whole mix, onsets per second inside the section), each as chorus mean / verse mean.
   Bar, loud styles (edm, pop, rock, cinematic): lift >= 3 LU and (centroid ratio > 1.05 or onset ratio > 1.1)
   in >= 90% of their renders.
2. Verses differ: chroma_cqt (hop 2048, 44.1 kHz, mono) of mix.wav and of instrumental.wav; the similarity of two
   sections = mean over aligned frames (frame k of each, over the shorter) of the frames' cosine similarity. Max
   over verse pairs (and, for information, chorus pairs). Bar: every verse pair < 0.97 on the mix (renders with
   fewer than two verses have no pair and are not counted).
3. Melody and harmony from song.mid: melody = track `vocals` when it has notes, else `lead` (notes starting
   together: the highest). Step share = share of successive intervals with |i| in {1, 2} among those != 0; beside
   it, "incl. repeats" = share with |i| <= 2 among all intervals. Motif: some 4-note pattern (3 intervals + the
   3 inter-onset times, in beats rounded to 0.25) occurs twice, non-overlapping, in the first 48 notes (coverage =
   share of those notes inside a recurring occurrence). Harmony: notes of track `chords` starting within 0.125
   beat of a group's first note form a group (the brief said 0.05; the engine strums folk and pads over up to ~0.11
   beat and its chord onsets are >= 0.25 beat apart; the 0.05 figures are in the JSON); groups of >= 3 notes; a
   track giving fewer than 8 groups is an arpeggio and is read one group per bar. Distinct chords = distinct
   pitch-class sets; sevenths = groups of exactly 4 pitch classes matching a maj7 / min7 / dom7 / half-dim7 / dim7
   template on some root (distinct seventh sets, and their share of the groups). The same melody figures for
   music21's corpus (first 50 Riemenschneider chorales with a Soprano part; 100 Essen folk songs: the first 50 of
   altdeu10, 25 of kinder0, 25 of ballad10), quarter notes as beats, cached in work/arrange_check/corpus.json.
4. Kick: notes of pitch 36 on the drums track; instrumental.wav summed to mono and low-passed (4th-order
   Butterworth at 200 Hz, zero phase); the 40-200 ms after each kick whose next kick is more than 200 ms away.
   A window's own FFT peak (Hann, zero-padded to 2^17, 30-150 Hz, parabolic interpolation of the log magnitude),
   median over kicks, is the brief's method, kept as hz_raw: on the real stems it is mostly the bass note sounding
   with the kick (peak_on_bass_share: peak within 50 cents of that bass note or an octave of it). The figure
   judged is the same peak of the kick-synchronous average of the windows (the kick is the same waveform every
   hit and adds up; bass and the rest, at other pitches and phases, average out). Cents off the nearest pitch
   class of the key's scale (major or natural minor, manifest key). Bar: within 50 cents. Tail: on the
   synchronous average of the low band over one beat after each kick with no other kick in that beat, the time
   until its 5 ms RMS falls 30 dB under its peak (extrapolated from the slope from -6 dB to -20 dB, or to its
   lowest if that is at least -12 dB, when it does not get there within the beat), against the beat.
5. Low end of mix.wav: 10 log10(energy below 60 Hz / total), both channels; Pearson correlation of left and right
   after a 4th-order Butterworth low-pass at 150 Hz (sosfiltfilt). Bar: correlation >= 0.95.
5b. Long-term spectrum of mix.wav against the target the manifest states (versions[0].spectrum: the style's
   target in dB per third octave, `SpectrumMatch`): see `spectrum()`. scipy Welch (16384-point Hann, half overlap,
   channels averaged), summed into third octaves and octaves; aligned to the target by the mean difference; bar:
   every octave band 63 Hz-8 kHz (the 8 kHz octave reaches 11.3 kHz) within +-4 dB. Third-octave figures (63 Hz-
   12.5 kHz) beside. Sub-60 (the issue's "energy below 60 Hz within a per-style target band"): band power below
   60 Hz over all bands, measured against the target curve's own share, +-4 dB. One picture per set:
   results/arrange_check_<set>_<label>_spectra.png (measured against target, first render of each style).
6. Two versions: Euclidean distance between mean 13-coefficient MFCC vectors (librosa defaults: 22.05 kHz mono
   load) of v1 and v2 mix.wav; for reference, the mean distance between v1s of different styles in the set.
   Drum overlap: (pitch, onset rounded to 1/16 beat) of the drums tracks of v1 and v2 within the shorter song:
   |intersection| / min(|A|, |B|). Bars: distance >= 5 and overlap <= 60%.

Results: Benchmarks/results/arrange_check_<set>[_<label>].md and .json (and _spectra.png).
"""
import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path

import librosa
import mido
import numpy as np
import pyloudnorm
import soundfile as sf
from scipy import signal, stats

import common
from common import RESULTS, ROOT, SHARED_IMAGES, WORK, write_table

SETS_FILE = ROOT / "Benchmarks" / "arrange-sets.json"
DIR = WORK / "arrange_check"
CORPUS_CACHE = DIR / "corpus.json"

LOUD_STYLES = {"edm", "pop", "rock", "cinematic"}
BAR_LIFT_LU = 3.0
BAR_CENTROID = 1.05
BAR_ONSET = 1.1
BAR_LOUD_SHARE = 0.90
BAR_VERSE_SIM = 0.97
BAR_KICK_CENTS = 50.0
BAR_LOWEND_CORR = 0.95
BAR_MFCC = 5.0
BAR_DRUM_OVERLAP = 0.60
BAR_SPECTRUM_DB = 4.0
SPECTRUM_RANGE = (60.0, 13000.0)

CHROMA_HOP = 2048
MOTIF_NOTES = 48
CHORD_WINDOW = 0.125  # beats
NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SCALES = {"major": [0, 2, 4, 5, 7, 9, 11], "minor": [0, 2, 3, 5, 7, 8, 10]}
SEVENTHS = {"maj7": {0, 4, 7, 11}, "min7": {0, 3, 7, 10}, "dom7": {0, 4, 7, 10}, "hdim7": {0, 3, 6, 10},
            "dim7": {0, 3, 6, 9}}


# ---------------------------------------------------------------- inputs

def load_set(name):
    return json.loads(SETS_FILE.read_text())[name]


def read_midi(path: Path) -> dict:
    """{tpb, tempos [(tick, us per beat)], length_ticks, tracks {name: [(start tick, end tick, pitch, channel, vel)]},
    seconds(tick)} of a type-1 MIDI file."""
    mid = mido.MidiFile(str(path))
    tempos, tracks, length = [], {}, 0
    for tr in mid.tracks:
        tick, name, open_, notes = 0, None, {}, []
        for m in tr:
            tick += m.time
            if m.type == "track_name":
                name = m.name.strip().lower()
            elif m.type == "set_tempo":
                tempos.append((tick, m.tempo))
            elif m.type == "note_on" and m.velocity > 0:
                open_.setdefault((m.channel, m.note), []).append((tick, m.velocity))
            elif m.type in ("note_off", "note_on") and open_.get((m.channel, m.note)):
                start, vel = open_[(m.channel, m.note)].pop(0)
                notes.append((start, tick, m.note, m.channel, vel))
        length = max(length, tick)
        if name is not None:
            tracks.setdefault(name, []).extend(notes)
    for notes in tracks.values():
        notes.sort()
    tempos.sort()
    if not tempos or tempos[0][0] > 0:
        tempos.insert(0, (0, 500000))
    segs = []  # (tick, seconds, tempo)
    for tick, tempo in tempos:
        sec = 0.0 if not segs else segs[-1][1] + (tick - segs[-1][0]) * segs[-1][2] / 1e6 / mid.ticks_per_beat
        segs.append((tick, sec, tempo))

    def seconds(tick):
        t0, s0, tempo = [s for s in segs if s[0] <= tick][-1]
        return s0 + (tick - t0) * tempo / 1e6 / mid.ticks_per_beat

    return {"tpb": mid.ticks_per_beat, "tempos": tempos, "length_ticks": length, "tracks": tracks,
            "seconds": seconds}


def parse_form(form: str) -> list:
    """[(name, bars)] of "intro 4, verse 8, ..."."""
    out = []
    for part in form.split(","):
        name, bars = part.strip().rsplit(" ", 1)
        out.append((name.strip(), int(bars)))
    return out


def section_times(form: list, bpm: float) -> list:
    """[(name, start s, end s)], 4 beats a bar, from the first downbeat at 0."""
    bar = 4 * 60.0 / bpm
    out, t = [], 0.0
    for name, bars in form:
        out.append((name, t, t + bars * bar))
        t += bars * bar
    return out


def read_audio(path: Path):
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x, sr


def key_scale(key: str):
    """(tonic pc, scale pcs) of "Db major" / "F# minor"."""
    tonic, mode = key.split()
    pc = PC[tonic[0].upper()] + tonic[1:].count("#") - tonic[1:].count("b")
    return pc % 12, [(pc + s) % 12 for s in SCALES["minor" if mode.lower().startswith("min") else "major"]]


# ---------------------------------------------------------------- 1. chorus vs verse

def contrast(mix, sr, sections) -> dict:
    meter = pyloudnorm.Meter(sr)
    mono = mix.mean(axis=1).astype(np.float32)
    cent = librosa.feature.spectral_centroid(y=mono, sr=sr)[0]
    cent_t = librosa.frames_to_time(np.arange(len(cent)), sr=sr)
    onsets = librosa.onset.onset_detect(y=mono, sr=sr, units="time")
    per = []
    for name, a, b in sections:
        seg = mix[int(a * sr):int(b * sr)]
        lufs = float(meter.integrated_loudness(seg)) if len(seg) > 0.5 * sr else float("-inf")
        sel = (cent_t >= a) & (cent_t < b)
        per.append({"name": name, "start": a, "end": b, "lufs": lufs,
                    "centroid": float(cent[sel].mean()) if sel.any() else float("nan"),
                    "onset_rate": float(((onsets >= a) & (onsets < b)).sum() / (b - a))})

    def mean(name, key):
        v = [s[key] for s in per if s["name"] == name and math.isfinite(s[key])]
        return float(np.mean(v)) if v else float("nan")

    r = {"sections": per}
    if any(s["name"] == "verse" for s in per) and any(s["name"] == "chorus" for s in per):
        r["lift_lu"] = mean("chorus", "lufs") - mean("verse", "lufs")
        r["centroid_ratio"] = mean("chorus", "centroid") / mean("verse", "centroid")
        r["onset_ratio"] = (mean("chorus", "onset_rate") / mean("verse", "onset_rate")
                            if mean("verse", "onset_rate") > 0 else float("inf"))
    else:
        r["lift_lu"] = r["centroid_ratio"] = r["onset_ratio"] = float("nan")
    return r


def build(mix, sr, sections, bpm) -> dict:
    """The pre-chorus's build, per pre-chorus, bar by bar, on the instrumental (a sung line would mask the opening,
    and the engine leaves the vocal open): its level in 1-4 kHz (STFT power; where the
    opening low-pass shows: chords, pad, arpeggio and lead above their fundamentals), in 4-16 kHz (the riser and
    the snare build, over the hats), and its spectral centroid (librosa); first bar against last, and the
    Spearman correlation of the 1-4 kHz level with time."""
    pres = [(a, b) for name, a, b in sections if name in ("pre_chorus", "prechorus", "pre-chorus")]
    if not pres:
        return {}
    mono = mix.mean(axis=1).astype(np.float32)
    hop = 512
    cent = librosa.feature.spectral_centroid(y=mono, sr=sr, hop_length=hop)[0]
    spec = np.abs(librosa.stft(mono, n_fft=2048, hop_length=hop)) ** 2
    f = librosa.fft_frequencies(sr=sr, n_fft=2048)
    mid = spec[(f >= 1000) & (f < 4000)].sum(axis=0)
    hf = spec[(f >= 4000) & (f < 16000)].sum(axis=0)
    t = librosa.frames_to_time(np.arange(spec.shape[1]), sr=sr, hop_length=hop)
    bar = 4 * 60.0 / bpm
    out = []
    for a, b in pres:
        bars = max(1, int(round((b - a) / bar)))
        c, m, h = [], [], []
        for k in range(bars):
            sel = (t >= a + k * bar) & (t < a + (k + 1) * bar)
            c.append(float(cent[sel[:len(cent)]].mean()))
            m.append(float(10 * np.log10(mid[sel].mean() + 1e-20)))
            h.append(float(10 * np.log10(hf[sel].mean() + 1e-20)))
        rho = float(stats.spearmanr(np.arange(bars), m)[0]) if bars > 2 else float("nan")
        out.append({"start": a, "bars": bars, "centroid_by_bar": c, "mid_db_by_bar": m, "hf_db_by_bar": h,
                    "centroid_last_over_first": c[-1] / c[0], "mid_rise_db": m[-1] - m[0],
                    "hf_rise_db": h[-1] - h[0], "mid_spearman": rho})
    def mean(k):
        return float(np.nanmean([o[k] for o in out]))
    return {"pre_choruses": out, "centroid_last_over_first": mean("centroid_last_over_first"),
            "mid_rise_db": mean("mid_rise_db"), "hf_rise_db": mean("hf_rise_db"), "mid_spearman": mean("mid_spearman")}


# ---------------------------------------------------------------- 2. verses differ

def chroma_similarity(x, sr, sections) -> dict:
    mono = x.mean(axis=1).astype(np.float32)
    ch = librosa.feature.chroma_cqt(y=mono, sr=sr, hop_length=CHROMA_HOP)
    unit = ch / np.maximum(np.linalg.norm(ch, axis=0, keepdims=True), 1e-9)

    def frames(a, b):
        return unit[:, int(math.ceil(a * sr / CHROMA_HOP)):int(b * sr / CHROMA_HOP)]

    out = {}
    for kind in ("verse", "chorus"):
        secs = [(a, b) for name, a, b in sections if name == kind]
        pairs = []
        for (i, s1), (j, s2) in itertools.combinations(enumerate(secs), 2):
            f1, f2 = frames(*s1), frames(*s2)
            n = min(f1.shape[1], f2.shape[1])
            pairs.append({"a": i, "b": j, "sim": float((f1[:, :n] * f2[:, :n]).sum(axis=0).mean())})
        out[kind] = {"pairs": pairs, "max": max((p["sim"] for p in pairs), default=float("nan"))}
    return out


# ---------------------------------------------------------------- 3. melody and harmony

def melody_line(notes, tpb):
    """[(onset beats, pitch)] monophonic: of notes starting together, the highest."""
    by = {}
    for s, _, p, _, _ in notes:
        by[s] = max(by.get(s, 0), p)
    return [(t / tpb, p) for t, p in sorted(by.items())]


def melody_stats(line) -> dict:
    """Step share, step share incl. repeats, motif of a [(onset beats, pitch)] line."""
    iv = [b[1] - a[1] for a, b in zip(line, line[1:])]
    moving = [i for i in iv if i != 0]
    step = sum(1 for i in moving if abs(i) in (1, 2)) / len(moving) if moving else float("nan")
    step_rep = sum(1 for i in iv if abs(i) <= 2) / len(iv) if iv else float("nan")
    head = line[:MOTIF_NOTES]
    where = {}
    for k in range(len(head) - 3):
        w = head[k:k + 4]
        key = tuple(w[j + 1][1] - w[j][1] for j in range(3)) + \
            tuple(round((w[j + 1][0] - w[j][0]) * 4) / 4 for j in range(3))
        where.setdefault(key, []).append(k)
    covered, recurring = set(), 0
    for pos in where.values():
        kept = [pos[0]]
        for p in pos[1:]:
            if p >= kept[-1] + 4:
                kept.append(p)
        if len(kept) >= 2:
            recurring += 1
            for p in kept:
                covered.update(range(p, p + 4))
    return {"notes": len(line), "intervals": len(iv), "step_share": step, "step_share_incl_repeats": step_rep,
            "motif": recurring > 0, "recurring_patterns": recurring,
            "motif_coverage": len(covered) / len(head) if head else float("nan")}


def seventh_kind(pcs):
    if len(pcs) != 4:
        return None
    for root in pcs:
        rel = {(p - root) % 12 for p in pcs}
        for kind, tmpl in SEVENTHS.items():
            if rel == tmpl:
                return kind
    return None


def chord_groups(notes, tpb, window):
    """Pitch-class sets of the notes starting within `window` beats of a group's first note, groups of >= 3 notes."""
    groups, cur, start = [], [], None
    for s, _, p, _, _ in notes:
        if cur and (s - start) / tpb <= window:
            cur.append(p)
        else:
            if cur:
                groups.append(cur)
            cur, start = [p], s
    if cur:
        groups.append(cur)
    return [frozenset(p % 12 for p in g) for g in groups if len(g) >= 3]


def harmony_stats(notes, tpb) -> dict:
    """Chords of the `chords` track: onset groups within CHORD_WINDOW beats (the engine strums some styles over up
    to ~0.11 beat; its chord onsets are >= 0.25 beat apart); figures with the brief's 0.05 beat kept beside. A track
    with fewer than 8 such groups is arpeggiated: then one group per bar (all its notes, >= 3 pitch classes)."""
    chords, per = chord_groups(notes, tpb, CHORD_WINDOW), "onset"
    if len(chords) < 8 and notes:
        per = "bar"
        bars = {}
        for s, _, p, _, _ in notes:
            bars.setdefault(int(round(s / tpb * 4) / 4 // 4), set()).add(p % 12)  # humanised: to the 1/16 grid
        chords = [frozenset(b) for _, b in sorted(bars.items()) if len(b) >= 3]
    sev = [c for c in chords if seventh_kind(c)]
    strict = chord_groups(notes, tpb, 0.05)
    strict_sev = [c for c in strict if seventh_kind(c)]
    return {"grouped_per": per, "groups": len(chords), "distinct": len(set(chords)),
            "sevenths_distinct": len(set(sev)),
            "seventh_share": len(sev) / len(chords) if chords else float("nan"),
            "seventh_kinds": sorted({seventh_kind(c) for c in sev}),
            "chords": sorted(sorted(c) for c in set(chords)),
            "window_005": {"groups": len(strict), "distinct": len(set(strict)),
                           "sevenths_distinct": len(set(strict_sev))}}


def corpus_stats() -> dict:
    """Melody figures of music21's corpus (cached): Bach chorale sopranos and Essen folk songs."""
    if CORPUS_CACHE.exists():
        return json.loads(CORPUS_CACHE.read_text())
    try:
        from music21 import corpus
    except ImportError:
        return {"unavailable": "music21 is not installed in the venv"}

    def line_of(stream):
        out = []
        for n in stream.flatten().stripTies().notes:
            p = max(x.midi for x in n.pitches)
            if out and out[-1][0] == float(n.offset):
                out[-1] = (out[-1][0], max(out[-1][1], p))
            else:
                out.append((float(n.offset), p))
        return out

    res = {}
    try:
        bach = []
        for s in corpus.chorales.Iterator(1, 80, numberingSystem="riemenschneider", returnType="stream"):
            sop = [p for p in s.parts if (p.partName or p.id or "").lower().startswith("soprano")]
            if sop:
                bach.append(melody_stats(line_of(sop[0])))
            if len(bach) == 50:
                break
        essen = []
        for name, count in (("altdeu10", 50), ("kinder0", 25), ("ballad10", 25)):
            for k in range(1, count + 1):
                essen.append(melody_stats(line_of(corpus.parse(f"essenFolksong/{name}", number=k))))
    except Exception as e:  # corpus files missing (a slim install): say so, skip
        return {"unavailable": f"music21 corpus not readable offline: {e}"}
    for name, stats in (("bach_chorale_soprano", bach), ("essen_folk", essen)):
        res[name] = {"pieces": len(stats), "notes_mean": float(np.mean([s["notes"] for s in stats])),
                     "step_share": float(np.nanmean([s["step_share"] for s in stats])),
                     "step_share_incl_repeats": float(np.nanmean([s["step_share_incl_repeats"] for s in stats])),
                     "motif_share": float(np.mean([s["motif"] for s in stats])),
                     "motif_coverage": float(np.nanmean([s["motif_coverage"] for s in stats]))}
    CORPUS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    CORPUS_CACHE.write_text(json.dumps(res, indent=1) + "\n")
    return res


# ---------------------------------------------------------------- 4. kick

def peak_hz(x, sr, lo=30.0, hi=150.0, nfft=1 << 17):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=nfft))
    f = np.fft.rfftfreq(nfft, 1 / sr)
    band = np.where((f >= lo) & (f <= hi))[0]
    k = band[np.argmax(spec[band])]
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-20)
    d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float((k + d) * sr / nfft)


def cents_between(f, g):
    """Cents from g to the nearest octave of f, in [-600, 600)."""
    c = 1200 * math.log2(f / g)
    return (c + 600) % 1200 - 600


def decay_time(x, sr, drop_db=30.0):
    """(seconds from the start until the 5 ms RMS of x is drop_db under its peak (found in the first 60 ms),
    extrapolated): when x never gets there, the time is extrapolated from the straight line through the
    envelope's dB from 6 to 20 dB down (or to its lowest point, if that is at least 12 dB down; else None)."""
    hop = int(0.005 * sr)
    n = len(x) // hop
    env = 10 * np.log10(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1) + 1e-20)
    pk = int(np.argmax(env[:12]))
    rel = env[pk:] - env[pk]
    below = np.where(rel < -drop_db)[0]
    if below.size:
        return (pk + below[0]) * 0.005, False
    i6 = np.where(rel < -6)[0]
    if not i6.size:
        return None, True
    i20 = np.where(rel < -20)[0]
    end = i20[0] if i20.size else int(np.argmin(rel))  # a beat too short to fall 20 dB: down to its lowest
    if end <= i6[0] or rel[end] > -12:
        return None, True
    k = np.arange(i6[0], end + 1)
    slope = np.polyfit(k * 0.005, rel[k], 1)[0]
    return ((pk * 0.005 - drop_db / slope) if slope < 0 else None), True


def kick_stats(instr, sr, midi, key, bpm) -> dict:
    """The kick's pitch and tail from the instrumental stem. The spec's per-kick FFT peak (hz_raw) mostly finds
    the bass note sounding with the kick (peak_on_bass_share); the figure judged (hz) is the same FFT peak of the
    kick-synchronous average of those windows: the kick is the same waveform at every hit and adds up, the bass
    and the rest, at other pitches and phases, average out. The tail is measured on the synchronous average too."""
    drums = midi["tracks"].get("drums", [])
    sec = midi["seconds"]
    kicks = sorted(sec(s) for s, _, p, ch, _ in drums if p == 36 and ch == 9)
    if not kicks:
        return {"kicks": 0}
    sos = signal.butter(4, 200, "low", fs=sr, output="sos")
    low = signal.sosfiltfilt(sos, instr.sum(axis=1))
    bass = [(sec(s), sec(e), p) for s, e, p, _, _ in midi["tracks"].get("bass", [])]
    beat = 60.0 / bpm
    width = int(0.16 * sr)
    raw, on_bass, sync = [], 0, np.zeros(width)
    tail_len = int(min(beat, 2.0) * sr)
    tail_sync, tail_n = np.zeros(tail_len), 0
    for i, t in enumerate(kicks):
        nxt = kicks[i + 1] if i + 1 < len(kicks) else t + 2.0
        a = int((t + 0.04) * sr)
        if nxt - t <= 0.2 or a + width > len(low):
            continue
        w = low[a:a + width]
        f = peak_hz(w, sr)
        raw.append(f)
        sync += w
        sounding = [p for s, e, p in bass if s <= t + 0.1 < e]
        if sounding and abs(cents_between(f, 440 * 2 ** ((sounding[-1] - 69) / 12))) < 50:
            on_bass += 1
        s0 = int(t * sr)
        if nxt - t >= min(beat, 2.0) - 1e-6 and s0 + tail_len <= len(low):
            tail_sync += low[s0:s0 + tail_len]
            tail_n += 1
    if not raw:
        return {"kicks": len(kicks), "measured": 0}
    f = peak_hz(sync / len(raw), sr)
    midi_f = 69 + 12 * math.log2(f / 440)
    tonic, scale = key_scale(key)
    off = min((((midi_f - pc) % 12 + 6) % 12 - 6 for pc in scale), key=abs) * 100
    tail, extrapolated = decay_time(tail_sync / tail_n, sr) if tail_n else (None, False)
    return {"kicks": len(kicks), "measured": len(raw), "hz": f,
            "note": NOTE_NAMES[round(midi_f) % 12] + str(round(midi_f) // 12 - 1), "cents_off_scale": float(off),
            "hz_raw": float(np.median(raw)), "hz_raw_iqr": [float(np.percentile(raw, 25)), float(np.percentile(raw, 75))],
            "peak_on_bass_share": on_bass / len(raw), "tail_kicks": tail_n,
            "tail_ms": tail * 1000 if tail is not None else None, "tail_extrapolated": extrapolated,
            "beat_ms": beat * 1000, "tail_over_beat": tail / beat if tail is not None else None}


# ---------------------------------------------------------------- 5. low end

def low_end(mix, sr) -> dict:
    spec = np.abs(np.fft.rfft(mix, axis=0)) ** 2
    f = np.fft.rfftfreq(len(mix), 1 / sr)
    sub = spec[f < 60].sum() / spec.sum()
    sos = signal.butter(4, 150, "low", fs=sr, output="sos")
    lp = signal.sosfiltfilt(sos, mix, axis=0)
    corr = float(np.corrcoef(lp[:, 0], lp[:, 1])[0, 1]) if mix.shape[1] == 2 else 1.0
    return {"sub60_db": float(10 * np.log10(sub + 1e-20)), "lowend_corr": corr}


# ---------------------------------------------------------------- 5b. long-term spectrum against the style's target

def spectrum(mix, sr, stated) -> dict:
    """Long-term spectrum of the mix (scipy Welch, 16384-point Hann, half overlap, left and right averaged) against
    the target the manifest states (`spectrum.target_db`, dB per third octave at `bands_hz`), aligned by their mean
    difference over the judged range (only the shape is a target). Judged in octave bands 63 Hz-8 kHz (the 8 kHz
    octave reaches 11.3 kHz): each octave's power against the target's power in its three third octaves, every
    octave within +-4 dB. Third-octave deviations (63 Hz-12.5 kHz) are reported beside: a song in one key with a few
    held notes has a line spectrum, and a third octave (4 semitones) with no note in it reads 10-25 dB down whatever
    the EQ does. Sub-60: the share of band power below 60 Hz (bands 31.5-50 Hz) over all bands, measured and the
    target's own, +-4 dB."""
    if not stated:
        return {}
    f, p = signal.welch(mix.T, fs=sr, window="hann", nperseg=16384, noverlap=8192, axis=-1)
    psd = p.mean(axis=0)
    centres = np.array(stated["bands_hz"], dtype=float)
    target = np.array(stated["target_db"], dtype=float)
    levels = []
    for c in centres:
        lo, hi = c * 2 ** (-1 / 6), c * 2 ** (1 / 6)
        sel = (f >= lo) & (f < hi)
        levels.append(10 * np.log10(psd[sel].sum() + 1e-30))
    levels = np.array(levels)
    # Octaves: groups of three third octaves centred on 62.5, 125 ... 8000 Hz.
    octaves = [c for c in centres if any(abs(c - 1000 * 2 ** k) < 1 for k in range(-4, 4))]
    def octave(db, c):
        k = int(np.argmin(np.abs(centres - c)))
        return float(10 * np.log10(np.sum(10 ** (db[k - 1:k + 2] / 10))))
    o_meas = np.array([octave(levels, c) for c in octaves])
    o_targ = np.array([octave(target, c) for c in octaves])
    o_off = float(np.mean(o_meas - o_targ))
    o_dev = o_meas - o_targ - o_off
    judged = (centres >= SPECTRUM_RANGE[0]) & (centres <= SPECTRUM_RANGE[1])
    offset = float(np.mean(levels[judged] - target[judged]))
    dev = levels - target - offset
    sub = centres < 60
    def share(db):
        pw = 10 ** (db / 10)
        return float(10 * np.log10(pw[sub].sum() / pw.sum()))
    return {"bands_hz": centres.tolist(), "measured_db": (levels - offset).tolist(), "target_db": target.tolist(),
            "deviation_db": dev.tolist(), "third_max_abs_dev_db": float(np.abs(dev[judged]).max()),
            "third_within_share": float(np.mean(np.abs(dev[judged]) <= BAR_SPECTRUM_DB)),
            "octaves_hz": [float(c) for c in octaves], "octave_deviation_db": o_dev.tolist(),
            "max_abs_dev_db": float(np.abs(o_dev).max()), "worst_hz": float(octaves[int(np.argmax(np.abs(o_dev)))]),
            "sub60_measured_db": share(levels), "sub60_target_db": share(target)}


# ---------------------------------------------------------------- 6. two versions

def mean_mfcc(path: Path):
    y, sr = librosa.load(str(path))
    return librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).mean(axis=1)


def drum_overlap(m1, m2) -> dict:
    def hits(m):
        end = m["length_ticks"]
        return {(p, round(s * 4 / m["tpb"])) for s, _, p, _, _ in m["tracks"].get("drums", [])}, end / m["tpb"]

    a, la = hits(m1)
    b, lb = hits(m2)
    limit = min(la, lb) * 4
    a = {h for h in a if h[1] < limit}
    b = {h for h in b if h[1] < limit}
    return {"v1": len(a), "v2": len(b), "common": len(a & b),
            "overlap": len(a & b) / min(len(a), len(b)) if a and b else float("nan")}


# ---------------------------------------------------------------- timing check

def timing(instr, sr, midi, form, bpm, duration) -> dict:
    """Checks the section clock against song.mid and the audio: the MIDI tempo and length against the form, the
    first note, the first audible moment, the fine lag of the audio's onsets against the MIDI's (cross-correlation
    over +-0.45 beat: further out it locks onto the next beat) and the coarse one (per-bar level of the audio
    against per-bar MIDI velocity sums, correlated at -2..+2 bars: the form's large-scale shape)."""
    tpb, sec = midi["tpb"], midi["seconds"]
    tempos = sorted({round(60e6 / t, 3) for _, t in midi["tempos"]})
    all_notes = [n for notes in midi["tracks"].values() for n in notes]
    form_beats = 4 * sum(b for _, b in form)
    hop = 512
    mono = instr.mean(axis=1).astype(np.float32)
    env = librosa.onset.onset_strength(y=mono, sr=sr, hop_length=hop)
    train = np.zeros_like(env)
    for s, _, _, _, v in all_notes:
        k = int(round(sec(s) * sr / hop))
        if k < len(train):
            train[k] += v
    max_lag = int(0.45 * 60 / bpm * sr / hop)
    e = env - env.mean()
    lags = list(range(-max_lag, max_lag + 1))
    xc = [float(np.dot(e[max(0, l):len(e) + min(0, l)], train[max(0, -l):len(train) - max(0, l)])) for l in lags]
    lag = lags[int(np.argmax(xc))] * hop / sr
    rms = librosa.feature.rms(y=mono, hop_length=hop)[0]
    db = 20 * np.log10(rms + 1e-12)
    first_audible = float(np.argmax(db > db.max() - 50) * hop / sr)
    bar_s = 4 * 60 / bpm
    n_bars = form_beats // 4
    audio_bar = np.array([10 * np.log10(np.mean(mono[int(b * bar_s * sr):int((b + 1) * bar_s * sr)] ** 2) + 1e-12)
                          for b in range(n_bars)])
    midi_bar = np.zeros(n_bars)
    for s, _, _, _, v in all_notes:
        b = int(s // (4 * tpb))
        if b < n_bars:
            midi_bar[b] += v
    shifts = {}
    for k in range(-2, 3):
        a_, m_ = (audio_bar[k:], midi_bar[:n_bars - k]) if k >= 0 else (audio_bar[:n_bars + k], midi_bar[-k:])
        shifts[k] = float(np.corrcoef(a_, m_)[0, 1]) if np.std(a_) > 0 and np.std(m_) > 0 else float("nan")
    bar_shift = max(shifts, key=lambda k: -1 if not math.isfinite(shifts[k]) else shifts[k])
    notes_per_bar, t0 = [], 0
    for name, bars in form:
        n = sum(1 for s, *_ in all_notes if t0 <= s < t0 + bars * 4 * tpb)
        notes_per_bar.append([name, round(n / bars, 1)])
        t0 += bars * 4 * tpb
    return {"midi_bpm": tempos, "manifest_bpm": bpm, "midi_beats": midi["length_ticks"] / tpb,
            "form_beats": form_beats, "midi_seconds": sec(midi["length_ticks"]),
            "form_seconds": form_beats * 60 / bpm, "audio_seconds": len(instr) / sr, "manifest_duration": duration,
            "first_note_beats": min(s for s, *_ in all_notes) / tpb if all_notes else None,
            "first_audible_s": first_audible, "audio_lag_s": lag, "bar_shift": bar_shift,
            "bar_shift_corr": shifts, "notes_per_bar": notes_per_bar}


# ---------------------------------------------------------------- one render

def measure(out: Path, row: dict) -> dict:
    man = json.loads((out / "manifest.json").read_text())
    v1, v2 = man["versions"][0], man["versions"][1]
    dec = man["analysis"]["decisions"]
    took = dec["style"]["value"]
    form = parse_form(dec["form"]["value"])
    bpm = float(v1["bpm"])
    sections = section_times(form, bpm)
    mix, sr = read_audio(out / v1["files"]["mix"]["wav"])
    instr, sr2 = read_audio(out / v1["files"]["instrumental"]["wav"])
    assert sr == sr2 == 44100, (sr, sr2)
    m1, m2 = read_midi(out / v1["files"]["midi"]), read_midi(out / v2["files"]["midi"])
    tpb = m1["tpb"]
    mel_track = "vocals" if m1["tracks"].get("vocals") else "lead"
    r = {"id": row["id"], "image": row["image"], "seed": row["seed"], "instrumental": row["instrumental"],
         "style": row["style"], "style_took": took, "style_ok": took == row["style"],
         "key": v1["key"], "bpm": bpm, "form": dec["form"]["value"],
         "sung_manifest": "vocals" in v1["files"],
         "timing": timing(instr, sr, m1, form, bpm, v1.get("duration")),
         "contrast": contrast(mix, sr, sections),
         "build": build(instr, sr, sections, bpm),
         "verse_sim": {"mix": chroma_similarity(mix, sr, sections),
                       "instrumental": chroma_similarity(instr, sr, sections)},
         "melody_track": mel_track,
         "melody": melody_stats(melody_line(m1["tracks"].get(mel_track, []), tpb)),
         "harmony": harmony_stats(m1["tracks"].get("chords", []), tpb),
         "kick": kick_stats(instr, sr, m1, v1["key"], bpm),
         "low_end": low_end(mix, sr),
         "spectrum": spectrum(mix, sr, v1.get("spectrum"))}
    mf1, mf2 = mean_mfcc(out / v1["files"]["mix"]["wav"]), mean_mfcc(out / v2["files"]["mix"]["wav"])
    r["versions"] = {"mfcc_distance": float(np.linalg.norm(mf1 - mf2)), "mfcc_v1": mf1.tolist(),
                     "v2_key": v2["key"], "v2_bpm": v2["bpm"], "v2_style": v2["style"],
                     "drums": drum_overlap(m1, m2)}
    return r


# ---------------------------------------------------------------- report

def f(v, spec=".2f"):
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def passes(r) -> dict:
    c, vs, k, le, ve = r["contrast"], r["verse_sim"]["mix"]["verse"], r["kick"], r["low_end"], r["versions"]
    out = {}
    if r["style"] in LOUD_STYLES:
        out["loud"] = bool(c["lift_lu"] >= BAR_LIFT_LU and (c["centroid_ratio"] > BAR_CENTROID
                                                             or c["onset_ratio"] > BAR_ONSET))
    if vs["pairs"]:
        out["verses"] = bool(vs["max"] < BAR_VERSE_SIM)
    if "cents_off_scale" in k:
        out["kick"] = bool(abs(k["cents_off_scale"]) <= BAR_KICK_CENTS)
    out["lowend"] = bool(le["lowend_corr"] >= BAR_LOWEND_CORR)
    out["mfcc"] = bool(ve["mfcc_distance"] >= BAR_MFCC)
    if not math.isnan(ve["drums"]["overlap"]):  # a style without drums has no drum bar
        out["drums"] = bool(ve["drums"]["overlap"] <= BAR_DRUM_OVERLAP)
    sp = r.get("spectrum") or {}
    if sp:
        out["spectrum"] = bool(sp["max_abs_dev_db"] <= BAR_SPECTRUM_DB)
        out["sub60"] = bool(abs(sp["sub60_measured_db"] - sp["sub60_target_db"]) <= BAR_SPECTRUM_DB)
    return out


HEADER = ["row", "style", "photo", "seed", "voice", "key", "bpm", "lift LU", "centroid ratio", "onset ratio",
          "max verse sim mix / instr", "step share (incl. rep.)", "motif (cov.)", "distinct chords",
          "sevenths (share)", "kick Hz, note, cents off key", "sub-60 dB", "lowend corr", "MFCC dist",
          "drum overlap", "spectrum octave max dev dB (at Hz); third-oct. max, share within", "sub-60 bands dB (target)"]


def table_row(r):
    c, k, ve = r["contrast"], r["kick"], r["versions"]
    vm, vi = r["verse_sim"]["mix"]["verse"], r["verse_sim"]["instrumental"]["verse"]
    mel, h = r["melody"], r["harmony"]
    style = r["style"] + ("" if r["style_ok"] else f" (took {r['style_took']}!)")
    kick = (f"{k['hz']:.1f} {k['note']} {k['cents_off_scale']:+.0f}" if "hz" in k else "-")
    return [r["id"], style, r["image"], r["seed"], "instr" if r["instrumental"] else "sung", r["key"],
            f(r["bpm"], "g"), f(c["lift_lu"], "+.1f"), f(c["centroid_ratio"]), f(c["onset_ratio"]),
            f"{f(vm['max'], '.3f')} / {f(vi['max'], '.3f')}",
            f"{f(mel['step_share'], '.0%')} ({f(mel['step_share_incl_repeats'], '.0%')})",
            f"{'yes' if mel['motif'] else 'no'} ({f(mel['motif_coverage'], '.0%')})", h["distinct"],
            f"{h['sevenths_distinct']} ({f(h['seventh_share'], '.0%')})" + (" per bar" if h["grouped_per"] == "bar" else ""), kick,
            f(r["low_end"]["sub60_db"], ".1f"), f(r["low_end"]["lowend_corr"], ".3f"), f(ve["mfcc_distance"], ".1f"),
            f(ve["drums"]["overlap"], ".0%"),
            (f"{r['spectrum']['max_abs_dev_db']:.1f} ({r['spectrum']['worst_hz']:g}); "
             f"{r['spectrum']['third_max_abs_dev_db']:.1f}, {r['spectrum']['third_within_share']:.0%}"
             if r.get("spectrum") else "-"),
            (f"{r['spectrum']['sub60_measured_db']:.1f} ({r['spectrum']['sub60_target_db']:.1f})"
             if r.get("spectrum") else "-")]


def share(rs, bar):
    v = [passes(r)[bar] for r in rs if bar in passes(r)]
    return f"{sum(v)}/{len(v)} ({sum(v) / len(v):.0%})" if v else "n/a", (sum(v) / len(v) if v else None)


def nmean(v):
    v = [x for x in v if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


def summarize(rs, corpus, cross):
    loud = [r for r in rs if r["style"] in LOUD_STYLES]
    s_loud, loud_share = share(rs, "loud")
    lines = ["Bars and figures:", ""]
    lines.append(f"- 1 chorus vs verse, loud styles (edm, pop, rock, cinematic): lift >= {BAR_LIFT_LU:g} LU and "
                 f"(centroid > {BAR_CENTROID} or onset > {BAR_ONSET}): {s_loud}; bar >= {BAR_LOUD_SHARE:.0%}: "
                 f"{'PASS' if loud_share is not None and loud_share >= BAR_LOUD_SHARE else 'FAIL'}. Mean lift loud "
                 f"{nmean([r['contrast']['lift_lu'] for r in loud]):+.2f} LU, all "
                 f"{nmean([r['contrast']['lift_lu'] for r in rs]):+.2f} LU; lift >= 3 alone "
                 f"{sum(r['contrast']['lift_lu'] >= BAR_LIFT_LU for r in loud)}/{len(loud)} loud; centroid ratio "
                 f"mean {nmean([r['contrast']['centroid_ratio'] for r in rs]):.3f}, onset ratio mean "
                 f"{nmean([r['contrast']['onset_ratio'] for r in rs]):.3f}.")
    built = [r for r in rs if r.get("build")]
    if built:
        lines.append(f"- 1b the pre-chorus's build (instrumental, first bar against last; no bar in the issue, reported): "
                     f"{len(built)} renders with a pre-chorus; 1-4 kHz rise mean "
                     f"{nmean([r['build']['mid_rise_db'] for r in built]):+.1f} dB (min "
                     f"{min(r['build']['mid_rise_db'] for r in built):+.1f}), rising bar by bar (Spearman) mean "
                     f"{nmean([r['build']['mid_spearman'] for r in built]):.2f}; 4-16 kHz rise mean "
                     f"{nmean([r['build']['hf_rise_db'] for r in built]):+.1f} dB; centroid last/first mean "
                     f"{nmean([r['build']['centroid_last_over_first'] for r in built]):.2f}.")
    s_v, _ = share(rs, "verses")
    lines.append(f"- 2 verses differ, every verse pair < {BAR_VERSE_SIM} on the mix: {s_v} (renders with >= 2 verses). "
                 f"Max verse sim mean: mix {nmean([r['verse_sim']['mix']['verse']['max'] for r in rs]):.3f}, "
                 f"instrumental {nmean([r['verse_sim']['instrumental']['verse']['max'] for r in rs]):.3f}; "
                 f"max chorus-pair sim mean: mix {nmean([r['verse_sim']['mix']['chorus']['max'] for r in rs]):.3f}, "
                 f"instrumental {nmean([r['verse_sim']['instrumental']['chorus']['max'] for r in rs]):.3f}.")
    mel = [r["melody"] for r in rs]
    line = (f"- 3 melody (vocals track when sung, else lead): step share mean "
            f"{nmean([m['step_share'] for m in mel]):.0%} (incl. repeats {nmean([m['step_share_incl_repeats'] for m in mel]):.0%}), "
            f"motif in first {MOTIF_NOTES} notes {sum(m['motif'] for m in mel)}/{len(mel)} (coverage mean "
            f"{nmean([m['motif_coverage'] for m in mel]):.0%}), notes mean {nmean([m['notes'] for m in mel]):.0f}.")
    if "unavailable" in corpus:
        line += f" Corpus: {corpus['unavailable']} (skipped)."
    else:
        for name, c in corpus.items():
            line += (f" {name} ({c['pieces']} pieces, {c['notes_mean']:.0f} notes mean): step share "
                     f"{c['step_share']:.0%} (incl. repeats {c['step_share_incl_repeats']:.0%}), motif "
                     f"{c['motif_share']:.0%} (coverage {c['motif_coverage']:.0%}).")
    lines.append(line)
    hs = [r["harmony"] for r in rs]
    lines.append(f"- 3 harmony (chords track, onset groups within {CHORD_WINDOW} beat, >= 3 notes; per bar for "
                 f"{sum(h['grouped_per'] == 'bar' for h in hs)} arpeggiated renders): distinct chords mean "
                 f"{nmean([h['distinct'] for h in hs]):.1f} (min {min(h['distinct'] for h in hs)}, max "
                 f"{max(h['distinct'] for h in hs)}); renders with any seventh {sum(h['sevenths_distinct'] > 0 for h in hs)}"
                 f"/{len(hs)}, distinct sevenths mean {nmean([h['sevenths_distinct'] for h in hs]):.1f}, seventh "
                 f"share of chord onsets mean {nmean([h['seventh_share'] for h in hs]):.0%}.")
    ks = [r["kick"] for r in rs if "hz" in r["kick"]]
    s_k, _ = share(rs, "kick")
    tails = [k["tail_ms"] for k in ks if k.get("tail_ms") is not None]
    lines.append(f"- 4 kick (FFT peak of the kick-synchronous average, 40-200 ms) within {BAR_KICK_CENTS:g} cents of a "
                 f"scale note: {s_k}. Kick Hz median {np.median([k['hz'] for k in ks]):.1f} (range "
                 f"{min(k['hz'] for k in ks):.1f}-{max(k['hz'] for k in ks):.1f}); |cents off| mean "
                 f"{nmean([abs(k['cents_off_scale']) for k in ks]):.0f}. The per-kick peak median (the brief's "
                 f"method) reads {min(k['hz_raw'] for k in ks):.1f}-{max(k['hz_raw'] for k in ks):.1f} Hz, on the "
                 f"bass note for {nmean([k['peak_on_bass_share'] for k in ks]):.0%} of kicks on average. Tail (-30 dB, "
                 f"synchronous average) median {np.median(tails):.0f} ms = "
                 f"{np.median([k['tail_over_beat'] for k in ks if k.get('tail_over_beat') is not None]):.2f} beat "
                 f"({sum(k['tail_extrapolated'] for k in ks)} of {len(ks)} extrapolated from the slope under -6 dB, "
                 f"{sum(k.get('tail_ms') is None for k in ks)} not measurable)."
                 if ks else "- 4 kick: no kicks measured.")
    s_l, _ = share(rs, "lowend")
    per_style = {}
    for r in rs:
        per_style.setdefault(r["style"], []).append(r["low_end"]["sub60_db"])
    lines.append(f"- 5 low end corr (LP 150 Hz) >= {BAR_LOWEND_CORR}: {s_l}; mean "
                 f"{nmean([r['low_end']['lowend_corr'] for r in rs]):.3f}, min "
                 f"{min(r['low_end']['lowend_corr'] for r in rs):.3f}. Sub-60 share per style (dB): "
                 + ", ".join(f"{s} {np.mean(v):.1f}" for s, v in sorted(per_style.items())) + ".")
    s_m, _ = share(rs, "mfcc")
    s_d, _ = share(rs, "drums")
    both = [passes(r)["mfcc"] and passes(r).get("drums", True) for r in rs]
    lines.append(f"- 6 two versions: MFCC distance >= {BAR_MFCC:g}: {s_m} (mean "
                 f"{nmean([r['versions']['mfcc_distance'] for r in rs]):.2f}; reference, v1s of different styles in "
                 f"this set: {cross:.2f}); drum overlap <= {BAR_DRUM_OVERLAP:.0%}: {s_d} (mean "
                 f"{nmean([r['versions']['drums']['overlap'] for r in rs]):.0%}; renders without drums left out); "
                 f"both: {sum(both)}/{len(both)}.")
    sp = [r for r in rs if r.get("spectrum")]
    if sp:
        s_sp, _ = share(rs, "spectrum")
        s_sub, _ = share(rs, "sub60")
        worst = {}
        for r in sp:
            worst[r["style"]] = max(worst.get(r["style"], 0), r["spectrum"]["max_abs_dev_db"])
        lines.append(f"- 5b long-term spectrum (Welch), every octave band 63 Hz-8 kHz within +-{BAR_SPECTRUM_DB:g} dB "
                     f"of the stated target: {s_sp}; mean max octave deviation "
                     f"{nmean([r['spectrum']['max_abs_dev_db'] for r in sp]):.1f} dB; third octaves 63 Hz-12.5 kHz: "
                     f"max deviation mean {nmean([r['spectrum']['third_max_abs_dev_db'] for r in sp]):.1f} dB, share "
                     f"of third octaves within +-{BAR_SPECTRUM_DB:g} dB mean "
                     f"{nmean([r['spectrum']['third_within_share'] for r in sp]):.0%}; worst octave per style: "
                     + ", ".join(f"{k} {v:.1f}" for k, v in sorted(worst.items()))
                     + f". Sub-60 share within +-{BAR_SPECTRUM_DB:g} dB of the target's: {s_sub}.")
    else:
        lines.append("- 5b long-term spectrum: no render states a target (manifest `spectrum`).")
    tm = [r["timing"] for r in rs]
    over = [t["midi_beats"] - t["form_beats"] for t in tm]
    clear = [t for t in tm if t["bar_shift_corr"][t["bar_shift"]] >= 0.6]
    lines.append(f"- timing: MIDI tempo = manifest bpm in {sum(t['midi_bpm'] == [t['manifest_bpm']] for t in tm)}/"
                 f"{len(tm)}; MIDI end minus form end {min(over):+.3f}..{max(over):+.3f} beats (note-offs past the "
                 f"last bar); first MIDI note at beat {min(t['first_note_beats'] for t in tm):g}-"
                 f"{max(t['first_note_beats'] for t in tm):g}; first audible (-50 dB) "
                 f"{min(t['first_audible_s'] for t in tm):.3f}-{max(t['first_audible_s'] for t in tm):.3f} s; audio "
                 f"onsets vs MIDI lag {min(t['audio_lag_s'] for t in tm) * 1000:+.0f}..{max(t['audio_lag_s'] for t in tm) * 1000:+.0f} ms "
                 f"(hop 11.6 ms); per-bar level vs MIDI shape best at bar shift 0 in {sum(t['bar_shift'] == 0 for t in clear)}"
                 f"/{len(clear)} renders where it tracks (best r >= 0.6); audio longer than the form by {min(t['audio_seconds'] - t['form_seconds'] for t in tm):.1f}-"
                 f"{max(t['audio_seconds'] - t['form_seconds'] for t in tm):.1f} s (tail).")
    bad = [r["id"] for r in rs if not r["style_ok"]]
    lines.append("- styles: every prompt selected its style." if not bad else
                 f"- styles: NOT taken in {', '.join(bad)} (their rows are measured as rendered).")
    return lines


def finite(x):
    """The data with NaN / inf floats as null, so the JSON is standard."""
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=["tune", "judged", "fresh", "fresh2", "fresh3"], required=True, help="the rows of arrange-sets.json")
    ap.add_argument("--label", default="", help="a name for the variant measured (e.g. before, after)")
    ap.add_argument("--cli", type=Path, default=common.CLI, help="the chromasong binary (default the release CLI)")
    ap.add_argument("--no-render", action="store_true", help="measure the renders already there")
    args = ap.parse_args()
    common.CLI = args.cli.resolve()
    if not args.no_render and not common.CLI.exists():
        sys.exit(f"no CLI at {common.CLI} (swift build -c release --product chromasong, or --cli)")
    rows = load_set(args.set)
    base = DIR / (args.label or "default") / args.set
    t_start = time.time()
    render_s = 0.0
    results = []
    for row in rows:
        out = base / row["id"]
        if args.no_render:
            if not (out / "manifest.json").exists():
                sys.exit(f"--no-render: {out} has no render")
        else:
            t0 = time.time()
            common.render(out, SHARED_IMAGES / row["image"], "--prompt", row["prompt"], "--seed", str(row["seed"]),
                          "--versions", "2", "--formats", "wav", *(["--instrumental"] if row["instrumental"] else []))
            render_s += time.time() - t0
        r = measure(out, row)
        results.append(r)
        print(" | ".join(str(c) for c in table_row(r)), file=sys.stderr, flush=True)
    styles_v1 = [(r["style"], np.array(r["versions"]["mfcc_v1"])) for r in results]
    cross = [float(np.linalg.norm(a - b)) for (s1, a), (s2, b) in itertools.combinations(styles_v1, 2) if s1 != s2]
    cross_mean = float(np.mean(cross)) if cross else float("nan")
    corpus = corpus_stats()
    summary = summarize(results, corpus, cross_mean)
    elapsed = time.time() - t_start
    summary += ["", f"{len(results)} renders of the {args.set} set ({SETS_FILE.name}), CLI {common.CLI}"
                + (", existing renders re-measured" if args.no_render else f", rendering {render_s:.0f} s")
                + f", {elapsed:.0f} s in all. Per-section figures and the timing check per render in the JSON."]
    name = "arrange_check_" + args.set + (f"_{args.label}" if args.label else "")
    title = f"Arrangement: sections, melody, harmony, kick, low end, versions ({args.set} set" + \
        (f", {args.label})" if args.label else ")")
    text = write_table(name, title, HEADER, [table_row(r) for r in results], summary)
    for r in results:
        r["passes"] = passes(r)
    data = {"set": args.set, "label": args.label, "cli": str(common.CLI), "renders": results, "corpus": corpus,
            "mfcc_cross_style_mean": cross_mean, "summary": summary, "seconds": elapsed, "render_seconds": render_s}
    (RESULTS / f"{name}.json").write_text(json.dumps(finite(data), indent=1, default=float) + "\n")
    plot_spectra(results, RESULTS / f"{name}_spectra.png", title)
    print(text)


def plot_spectra(results, path, title):
    """Measured long-term spectrum against the stated target (+-4 dB shaded), the first render of each style."""
    firsts = {}
    for r in results:
        if r.get("spectrum") and r["style"] not in firsts:
            firsts[r["style"]] = r
    if not firsts:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(firsts)
    cols = 3
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax, (style, r) in zip(axes.flat, sorted(firsts.items())):
        sp = r["spectrum"]
        hz, t, m = np.array(sp["bands_hz"]), np.array(sp["target_db"]), np.array(sp["measured_db"])
        ax.fill_between(hz, t - BAR_SPECTRUM_DB, t + BAR_SPECTRUM_DB, color="0.85", label="target +-4 dB")
        ax.semilogx(hz, t, "k--", lw=1, label="target")
        ax.semilogx(hz, m, "C3", lw=1.5, label="measured")
        ax.axvspan(20, SPECTRUM_RANGE[0], color="C0", alpha=0.06)
        ax.axvspan(SPECTRUM_RANGE[1], 20000, color="C0", alpha=0.06)
        ax.semilogx(sp["octaves_hz"], [t[int(np.argmin(np.abs(hz - c)))] + d for c, d in
                                       zip(sp["octaves_hz"], sp["octave_deviation_db"])], "C0o", ms=4,
                    label="octave band (vs target)")
        ax.set_title(f"{style} ({r['id']}): octave max dev {sp['max_abs_dev_db']:.1f} dB", fontsize=9)
        ax.set_xlim(25, 20000)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("Hz", fontsize=8)
        ax.set_ylabel("dB per third octave", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
