"""Must-show 4 of issue 2: for requested tempos 60...180 bpm in steps of 10, each with two images (so two styles), essentia's
RhythmExtractor2013 (multifeature beat tracker) on the delivered mix; a case passes when the estimate is within 4%
of the request. Bar: >= 90% of cases. Writes results/tempo_accuracy.md."""
import sys

import essentia.standard as es

from common import EXAMPLE, SHARED_IMAGES, WORK, render, write_table


def main():
    images = [EXAMPLE] + [p for p in (SHARED_IMAGES / "storm.jpg", SHARED_IMAGES / "dune.png") if p.exists()]
    rows, passed, total = [], 0, 0
    cases = [(bpm, images[(i + k) % len(images)]) for i, bpm in enumerate(range(60, 181, 10)) for k in range(2)]
    for bpm, image in cases:
        out = WORK / "tempo" / f"{bpm}-{image.stem}"
        manifest = render(out, image, "--bpm", str(bpm), "--instrumental", "--versions", "1", "--formats", "wav",
                          "--duration", "60", "--seed", str(bpm))
        audio = es.MonoLoader(filename=str(out / manifest["versions"][0]["files"]["mix"]["wav"]), sampleRate=44100)()
        est, _, confidence, _, _ = es.RhythmExtractor2013(method="multifeature")(audio)
        error = abs(est - bpm) / bpm
        ok = error <= 0.04
        passed += ok
        total += 1
        rows.append([bpm, image.name, manifest["versions"][0]["style"], f"{est:.1f}", f"{100 * error:.1f}%",
                     f"{confidence:.2f}", "yes" if ok else "no"])
        print(rows[-1], flush=True)
    share = passed / total
    text = write_table("tempo_accuracy", "Tempo: requested vs beat-tracked (essentia RhythmExtractor2013, multifeature)",
                       ["requested bpm", "image", "style", "estimate", "error", "confidence", "within 4%"], rows,
                       [f"Within 4%: **{passed}/{total} ({100 * share:.0f}%)** (bar: >= 90%).",
                        "Rerun: `Benchmarks/run.sh tempo` (60 s renders)."])
    print(text)
    sys.exit(0 if share >= 0.9 else 1)


if __name__ == "__main__":
    main()
