#!/usr/bin/env bash
# README command 2: installs what is missing, then runs every test: the C core's and the flite wrapper's tests under
# AddressSanitizer and UndefinedBehaviorSanitizer, then the Swift test suite (release build with testing enabled: the DSP is
# optimised as users get it, and the suite runs in minutes, not tens of minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/test-c.sh
./scripts/test-c-speech.sh
swift test -c release -Xswiftc -enable-testing "$@"
