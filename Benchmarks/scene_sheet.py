"""A contact sheet of issue 12's labelled photos with what the scene reader found beside what a person labelled
(green: found and labelled, red: found but not labelled, grey: labelled but not found), from a picture_check run's
JSON. For looking, not for a figure:  Benchmarks/.venv/bin/python scene_sheet.py --label after [--split judged]"""
import argparse
import json
from pathlib import Path

from PIL import Image, ImageDraw

import picture_check as pc

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="after")
    ap.add_argument("--split", default="all", choices=["tune", "judged", "all"])
    args = ap.parse_args()
    run = json.loads((RESULTS / f"picture_check_{args.label}.json").read_text())["per_photo"]
    photos = [p for p in json.loads((Path(__file__).resolve().parent / "scene-sets/photos.json").read_text())["photos"]
              if args.split == "all" or p["split"] == args.split]
    W, H, cols = 320, 300, 5
    rows = (len(photos) + cols - 1) // cols
    sheet = Image.new("RGB", (W * cols, H * rows), "white")
    draw = ImageDraw.Draw(sheet)
    for i, p in enumerate(photos):
        x, y = (i % cols) * W, (i // cols) * H
        im = Image.open(pc.photo_path(p)).convert("RGB")
        im.thumbnail((W - 8, 190))
        sheet.paste(im, (x + 4, y + 18))
        r = run[p["id"]]
        draw.text((x + 4, y + 2), f"{p['id']} ({p['split']}), title: {r['title']}", fill="black")
        found, labels = set(r["predicted"]), set(p["tags"])
        line_y = y + 212
        words = [(t, "darkgreen") for t in sorted(found & labels)] + [(t, "red") for t in sorted(found - labels)] \
            + [(t, "grey") for t in sorted(labels - found)]
        cx = x + 4
        for t, colour in words:
            width = draw.textlength(t + " ", font=None)
            if cx + width > x + W - 4:
                cx, line_y = x + 4, line_y + 14
            draw.text((cx, line_y), t, fill=colour)
            cx += width
    out = RESULTS / f"scene_sheet_{args.label}_{args.split}.png"
    sheet.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
