#!/usr/bin/env python3
"""The cost of rendering in a worker process (issue 9): the same renders, one at a time, in a server that renders
in supervised child processes and in one that renders in its own process.

Rounds alternate the two modes (process, in-process, process, ...); each round starts a fresh `chromasong serve`
(1 worker), submits `--renders` tasks one after another (each waits for the previous to complete) and times each
from submission to COMPLETED, polling byId every 20 ms. The i-th render of every round has the same request and seed,
so the cost is the median of the paired differences (process minus in-process, same round number and seed), beside
the medians per mode. Results go to results/isolation.md and .json.

    python3 Benchmarks/isolation_cost.py [--rounds 3] [--renders 4] [--duration 10] [--versions 2]

Stdlib only.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_common import API, RESULTS, Server, find_binary, get_json, post_multipart, shared_photo  # noqa: E402


def one_round(mode: str, args, image: Path, binary: Path) -> list[float]:
    server = Server(queue_limit=100, workers=1, binary=binary, extra_env={"CHROMASONG_RENDER_WORKER": mode})
    seconds = []
    try:
        server.wait_ready()
        for i in range(args.renders):
            fields = {"prompt": "isolation cost", "duration": str(args.duration), "versions": str(args.versions),
                      "seed": str(500 + i)}
            if args.instrumental:
                fields["make_instrumental"] = "true"
            start = time.perf_counter()
            status, body = post_multipart(f"{server.base}{API}/image_to_song", fields, {"image_file": image},
                                          timeout=120)
            if status != 200:
                sys.exit(f"submission refused: {status} {body}")
            task_id = body["task_id"]
            deadline = time.time() + 300
            while time.time() < deadline:
                _, answer = get_json(f"{server.base}{API}/byId?conversionType=IMAGE_TO_SONG&task_id={task_id}")
                state = (answer.get("conversion") or {}).get("status")
                if state == "COMPLETED":
                    break
                if state == "FAILED":
                    sys.exit(f"render failed: {answer}")
                time.sleep(0.02)
            else:
                sys.exit("render did not finish in 300 s")
            seconds.append(time.perf_counter() - start)
    finally:
        server.stop()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (alternating)")
    parser.add_argument("--renders", type=int, default=4, help="renders per round, one after another")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--instrumental", action="store_true")
    parser.add_argument("--out", default="isolation")
    args = parser.parse_args()
    image = shared_photo()
    binary = find_binary().absolute()

    runs = {"process": [], "in-process": []}
    for _ in range(args.rounds):
        for mode in ("process", "in-process"):
            runs[mode].append(one_round(mode, args, image, binary))

    def med(values):
        return round(statistics.median(values), 3)

    process_all = [s for r in runs["process"] for s in r]
    inproc_all = [s for r in runs["in-process"] for s in r]
    paired = [p - q for rp, rq in zip(runs["process"], runs["in-process"]) for p, q in zip(rp, rq)]
    result = {
        "rounds": args.rounds, "renders_per_round": args.renders, "song_duration_s": args.duration,
        "versions": args.versions, "instrumental": args.instrumental, "image": image.name,
        "seconds": runs,
        "median_s": {"process": med(process_all), "in_process": med(inproc_all)},
        "cost_per_render_s": med(paired),
        "paired_differences_s": [round(d, 3) for d in paired],
    }
    m = result["median_s"]
    result["ratio"] = round(m["process"] / m["in_process"], 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        "# The cost of process isolation per render",
        "",
        f"`Benchmarks/isolation_cost.py`: {args.rounds} rounds per mode, alternating, each a fresh `chromasong serve`"
        f" with 1 worker rendering {args.renders} tasks one after another ({args.duration} s songs, {args.versions}"
        f" versions{', instrumental' if args.instrumental else ''}, image `{image.name}`), timed from submission to"
        " COMPLETED (byId polled every 20 ms).",
        "",
        "| mode | median, submission to COMPLETED |",
        "|---|---|",
        f"| worker process per render | {m['process']} s |",
        f"| in the server process | {m['in_process']} s |",
        "",
        f"Isolation costs **{result['cost_per_render_s']} s per render** (median of the {len(paired)} paired"
        f" differences; ratio of the medians x{result['ratio']}): starting the worker, loading the engine in it"
        " (presets, voices) and passing the request and the result over the pipe. Compare songs of other lengths"
        " with `--duration`; only differences within one run compare.",
        "",
        "Every render, in seconds: " + "; ".join(
            f"{mode} round {i + 1}: " + ", ".join(f"{s:.2f}" for s in r)
            for mode in ("process", "in-process") for i, r in enumerate(runs[mode])),
        "",
    ]
    (RESULTS / f"{args.out}.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
