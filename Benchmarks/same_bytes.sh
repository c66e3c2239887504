#!/usr/bin/env bash
# Renders the same eight requests with two chromasong binaries and compares every output file byte for byte
# (the manifest without its random task and conversion ids). For changes meant to keep the delivered bytes
# (issue 14's streaming work, docs/speed.md "Stop 33"):
#   Benchmarks/same_bytes.sh <old chromasong> <new chromasong> [work folder]
# Sung, instrumental and a cappella; 30-600 s; three photos, two prompts; every format. Prints one line per
# request and exits 1 when any file differs.
set -u
old=$1; new=$2; work=${3:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
img=$root/examples/yellowflower.jpg
imgs=$root/../shared/images
[ -d "$imgs" ] || imgs=$root/examples
rm -rf "$work/old" "$work/new"
i=0; failed=0
run() {
  i=$((i+1))
  for b in old new; do
    bin=$old; [ $b = new ] && bin=$new
    "$bin" render "$@" --out "$work/$b/r$i" > /dev/null 2>&1 || { echo "render $b r$i failed: $*"; failed=1; }
  done
  for m in old new; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if not k.endswith("_id")}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
json.dump(strip(d), open(sys.argv[1] + ".noids", "w"), sort_keys=True)' "$work/$m/r$i/manifest.json"
  done
  if diff -r -q -x manifest.json "$work/old/r$i" "$work/new/r$i" > "$work/diff$i.txt"; then
    echo "r$i identical ($(find "$work/new/r$i" -type f ! -name '*.noids' | wc -l) files): $*"
  else
    echo "r$i DIFFERS: $*"; cat "$work/diff$i.txt"; failed=1
  fi
}
run "$img" --seed 1 --duration 60 --formats mp3,wav,flac,ogg
run "$img" --seed 2 --duration 45 --instrumental --formats mp3,wav,ogg
run "$img" --seed 3 --duration 30 --vocal-only --formats mp3,wav
run "$img" --seed 4 --duration 180 --versions 2
run "$imgs/storm.jpg" --seed 5 --duration 60 --prompt "energetic edm with a big riser" --formats mp3,ogg,wav
# A 10-minute song: the drum-hit, note and spoken-line caches give way many times over (stop 34).
run "$img" --seed 8 --duration 600 --formats wav
run "$imgs/dune.png" --seed 6 --duration 40 --formats mp3,flac
run "$imgs/garden.gif" --seed 7 --duration 30 --instrumental --prompt "quiet solo piano" --formats wav,mp3
exit $failed
