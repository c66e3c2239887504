#!/usr/bin/env bash
# README command 1: installs what is missing, builds in release mode, and renders a song from the bundled
# example image into out/demo: two sung versions (lyrics written from the image), mp3 and wav, instrumental and
# vocal stems, MIDI, timed lyrics (manifest.json and .lrc), cover.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product chromasong
rm -rf out/demo
.build/release/chromasong render examples/yellowflower.jpg --out out/demo "$@"
echo "manifest: out/demo/manifest.json"
