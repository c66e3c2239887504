"""Must-show 3 of issue 2: for each of the 24 keys requested with --key, essentia's KeyExtractor (an independent
audio key detector) on the delivered mix; MIREX weighted score (1 same key, 0.5 fifth, 0.3 relative, 0.2 parallel).
Bar: mean >= 0.9. Writes results/key_accuracy.md."""
import sys

import essentia.standard as es

from common import EXAMPLE, SHARED_IMAGES, WORK, render, write_table

NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
ALIASES = {"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10}


def pitch_class(name: str) -> int:
    return NAMES.index(name) if name in NAMES else ALIASES[name]


def mirex(ref_pc, ref_mode, est_pc, est_mode) -> float:
    if ref_pc == est_pc and ref_mode == est_mode:
        return 1.0
    if ref_mode == est_mode and (est_pc - ref_pc) % 12 in (5, 7):
        return 0.5
    if ref_mode == "major" and est_mode == "minor" and est_pc == (ref_pc + 9) % 12:
        return 0.3
    if ref_mode == "minor" and est_mode == "major" and est_pc == (ref_pc + 3) % 12:
        return 0.3
    if ref_pc == est_pc:
        return 0.2
    return 0.0


def main():
    duration = sys.argv[1] if len(sys.argv) > 1 else "60"
    # Rotate through the shared photos so the keys are checked across the styles they choose.
    images = sorted(p for p in SHARED_IMAGES.glob("*") if p.suffix.lower() in (".jpg", ".png", ".gif", ".bmp", ".webp"))
    images = images or [EXAMPLE]
    rows, scores = [], []
    for pc in range(12):
        for mode in ("major", "minor"):
            key = f"{NAMES[pc]} {mode}"
            out = WORK / "key" / f"{pc}-{mode}"
            image = images[(2 * pc + (mode == "minor")) % len(images)]
            manifest = render(out, image, "--key", key, "--instrumental", "--versions", "1", "--formats", "wav",
                              "--duration", duration, "--seed", str(100 + pc))
            audio = es.MonoLoader(filename=str(out / manifest["versions"][0]["files"]["mix"]["wav"]), sampleRate=44100)()
            est_key, est_scale, strength = es.KeyExtractor(profileType="edma")(audio)
            score = mirex(pc, mode, pitch_class(est_key), est_scale)
            scores.append(score)
            rows.append([key, image.name, manifest["versions"][0]["style"], f"{est_key} {est_scale}", f"{strength:.2f}", score])
            print(rows[-1], flush=True)
    mean = sum(scores) / len(scores)
    text = write_table("key_accuracy", "Key: requested vs detected (essentia KeyExtractor, edma profile)",
                       ["requested", "image", "style", "detected", "strength", "MIREX score"], rows,
                       [f"Mean MIREX weighted score: **{mean:.3f}** over {len(scores)} keys (bar: >= 0.9); "
                        f"exact: {scores.count(1.0)}/{len(scores)}.",
                        f"Rerun: `Benchmarks/run.sh key` ({duration} s renders, the shared photos in turn)."])
    print(text)
    sys.exit(0 if mean >= 0.9 else 1)


if __name__ == "__main__":
    main()
