"""Line ends the picture argues against: written lyrics (`chromasong analyze`, no prompt) of the 45 labelled photos of
Benchmarks/scene-sets/photos.json whose last word belongs to a scene (LyricsWordBank.sceneNeeds) the picture does
not show. Usage: Benchmarks/.venv/bin/python Benchmarks/line_ends_check.py [BINARY] (default: the release CLI).
Prints the count and up to 40 examples; docs/picture.md (stop 40) has the figures.
"""
import sys, json, re
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import picture_check as pc
src = (pc.ROOT / 'Sources' / 'SongEngine' / 'Lyrics' / 'LyricsWordBank.swift').read_text()
block = src[src.index('static let sceneNeeds'):src.index('static let sceneElements')]
needs = {m.group(1): set(re.findall(r'"([a-z_]+)"', m.group(2))) for m in re.finditer(r'"([a-z]+)": \[([^\]]*)\]', block)}
binary = Path(sys.argv[1]) if len(sys.argv) > 1 else pc.ROOT / '.build' / 'release' / 'chromasong'
photos = json.loads(pc.PHOTOS_FILE.read_text())
entries = photos['photos'] if isinstance(photos, dict) else photos
total = bad = 0; songs_bad = 0; examples = []
for e in entries:
    p = pc.photo_path(e)
    a = pc.analyze(binary, p, None, [])
    tags = {t['tag'] for t in a.get('scene', [])}
    lyr = a['plan'].get('lyrics') or {}
    seen = set(); sb = False
    for s in lyr.get('sections', []):
        for line in s['lines']:
            if line in seen: continue
            seen.add(line)
            w = re.sub(r"[^a-z']", '', line.split()[-1].lower())
            total += 1
            if w in needs and not (needs[w] & tags):
                bad += 1; sb = True; examples.append((p.stem, w, line, sorted(tags)))
    songs_bad += sb
print(f"{bad} of {total} distinct line ends name a scene the picture does not show; {songs_bad} of {len(entries)} songs")
for x in examples[:40]: print(x)
