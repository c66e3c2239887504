"""Issue 11's "each instrument kept in its real range", looked at from the MIDI files: for every render that
arrange_check.py made under a label (all sets), each pitched track's lowest, highest and median note per
instrument (named by the track's General MIDI program), beside the sounding range of the instrument it stands for
(standard orchestration ranges, written here independently of the engine's catalog). Writes
results/instrument_ranges_<label>.md.

  .venv/bin/python instrument_ranges.py --label v6
"""
import argparse
import collections
import glob

import mido

from common import RESULTS, WORK

# GM program -> (name, sounding range in MIDI notes or None for synthesisers)
PROGRAMS = {0: ("acoustic piano", (21, 108)), 4: ("electric piano", (28, 100)), 16: ("organ", (36, 96)),
            48: ("string ensemble", (36, 100)), 25: ("acoustic guitar", (40, 84)), 29: ("electric guitar", (40, 86)),
            73: ("flute", (60, 96)), 12: ("marimba", (45, 96)), 32: ("upright bass", (28, 67)),
            33: ("electric bass", (28, 67)), 14: ("bell (synth)", None), 38: ("synth bass", None),
            39: ("synth bass 2", None), 80: ("square/soft lead", None), 81: ("saw lead", None),
            84: ("pluck synth", None), 89: ("warm pad", None), 91: ("airy pad", None)}
NAMES = "C C# D Eb E F F# G Ab A Bb B".split()


def note(n):
    return f"{NAMES[n % 12]}{n // 12 - 1}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    args = ap.parse_args()
    seen = collections.defaultdict(list)
    files = sorted(glob.glob(str(WORK / "arrange_check" / args.label / "*" / "*" / "v*" / "song.mid")))
    for f in files:
        for track in mido.MidiFile(f).tracks:
            program, pitches = None, []
            for msg in track:
                if msg.type == "program_change":
                    program = msg.program
                elif msg.type == "note_on" and msg.velocity > 0 and msg.channel != 9:
                    pitches.append(msg.note)
            if pitches and program is not None and track.name != "vocals":
                seen[(program, track.name)].append(pitches)
    rows, outside_total = [], 0
    for (program, role), tracks in sorted(seen.items()):
        name, rng = PROGRAMS.get(program, (f"program {program}", None))
        allp = sorted(p for t in tracks for p in t)
        outside = sum(1 for p in allp if rng and not rng[0] <= p <= rng[1])
        outside_total += outside
        rows.append(f"| {name} | {role} | {len(tracks)} | {note(allp[0])} - {note(allp[-1])} | {note(allp[len(allp) // 2])} "
                    f"| {note(rng[0]) + ' - ' + note(rng[1]) if rng else '-'} | {outside} of {len(allp)} |")
    text = "\n".join([f"# Instruments' notes against their real ranges ({args.label}, {len(files)} MIDI files)", "",
                      "| instrument | part | tracks | lowest - highest | median | real range | notes outside |",
                      "|---|---|---|---|---|---|---|", *rows, "",
                      f"Notes outside their instrument's range: {outside_total}.", ""])
    out = RESULTS / f"instrument_ranges_{args.label}.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
