"""Issue 11's motif measure on more tune data than arrange_check's tune set: the tune photos (aqua, garden, wood)
x the 9 styles x any seeds, sung (the engine writes its own lyrics), first version only, MIDI only measured.

Usage (from Benchmarks/, with the venv run.sh builds):
  .venv/bin/python motif_wide.py --seeds 13,14,15,16 [--label NAME] [--cli PATH]

Row k of seed s uses style k and photo (k + s) mod 3, rendered with
  chromasong render ../shared/images/PHOTO --out work/motif_wide/<label>/<style>-<photo>-s<seed> --prompt STYLE
                    --seed SEED --versions 1 --formats wav
The melody (track `vocals`) and the motif test (some four-note pattern, three intervals and three inter-onset
times, recurring without overlap in the first 48 notes) are arrange_check.py's own. Seeds 13-16 were first rendered
at stop 37 to find motif misses on tune photos only, without looking at the judged, fresh or fresh2 sets (whose
photos these are not). Writes results/motif_wide_<label>.md.
"""
import argparse
import subprocess
from pathlib import Path

import arrange_check as ac
import common

STYLES = ["ambient", "cinematic", "edm", "folk", "jazz_chill", "lofi", "piano_ballad", "pop", "rock"]
PHOTOS = ["aqua.jpg", "garden.gif", "wood.jpg"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="13,14,15,16", help="comma-separated seeds")
    ap.add_argument("--label", default="", help="a name for the variant measured")
    ap.add_argument("--cli", type=Path, default=common.CLI, help="the chromasong binary (default the release CLI)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    out = Path("work/motif_wide") / (args.label or "default")
    rows, misses = [], []
    for seed in seeds:
        for k, style in enumerate(STYLES):
            photo = PHOTOS[(k + seed) % 3]
            d = out / f"{style}-{photo.split('.')[0]}-s{seed}"
            subprocess.run([str(args.cli), "render", str(common.SHARED_IMAGES / photo), "--out", str(d),
                            "--prompt", style, "--seed", str(seed), "--versions", "1", "--formats", "wav"],
                           check=True, capture_output=True)
            m = ac.read_midi(d / "v1" / "song.mid")
            stats = ac.melody_stats(ac.melody_line(m["tracks"].get("vocals", []), m["tpb"]))
            if not stats["motif"]:
                misses.append(d.name)
            rows.append([d.name, style, photo, seed, stats["notes"], "yes" if stats["motif"] else "no",
                         f"{stats['motif_coverage']:.0%}", f"{stats['step_share']:.0%}"])
            print(*rows[-1], flush=True)
    summary = [f"- motif in the first {ac.MOTIF_NOTES} notes: {len(rows) - len(misses)}/{len(rows)}"
               + (f"; misses: {', '.join(misses)}" if misses else "") + ".",
               f"- CLI {args.cli}, seeds {args.seeds}."]
    print(common.write_table("motif_wide" + (f"_{args.label}" if args.label else ""),
                             f"Sung motifs on the tune photos, seeds {args.seeds}" + (f" ({args.label})" if args.label else ""),
                             ["render", "style", "photo", "seed", "notes", "motif", "coverage", "step share"],
                             rows, summary))


if __name__ == "__main__":
    main()
