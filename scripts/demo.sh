#!/usr/bin/env bash
# README command 1: installs what is missing, builds in release mode, and renders a song from the bundled
# example image into out/demo: two sung versions (lyrics written from the image), mp3 and wav, instrumental and
# vocal stems, MIDI, timed lyrics (manifest.json and .lrc), cover.
set -euo pipefail
cd "$(dirname "$0")/.."
# Without Swift 6.1 or newer on this machine, the same script runs with Debian's own Swift in a Debian root
# (scripts/swift-toolchain.sh says how and why).
scripts/swift-toolchain.sh check || exec scripts/swift-toolchain.sh run "$PWD/scripts/demo.sh" "$@"
./scripts/install-deps.sh
swift build -c release --product chromasong
rm -rf out/demo
.build/release/chromasong render examples/yellowflower.jpg --out out/demo "$@"
echo "manifest: out/demo/manifest.json"
