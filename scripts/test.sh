#!/usr/bin/env bash
# README command 2: installs what is missing, then runs every test: the C core's and the flite wrapper's tests under
# AddressSanitizer and UndefinedBehaviorSanitizer, the fuzz targets for a bounded time (C: image decoders and the WAV
# reader; Swift: the lyrics parser and the server's form, JSON and multipart parsing), then the Swift test suite
# (release build with testing enabled: the DSP is optimised as users get it, and the suite runs in minutes, not tens
# of minutes), the server suite a second time against a throwaway PostgreSQL cluster; the DocC catalogs are built
# with warnings as errors after the build. CHROMASONG_FUZZ_SECONDS sets the time per fuzz target (default 20; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
# Without Swift 6.1 or newer on this machine, the same script runs with Debian's own Swift in a Debian root
# (scripts/swift-toolchain.sh says how and why).
scripts/swift-toolchain.sh check || exec scripts/swift-toolchain.sh run "$PWD/scripts/test.sh" "$@"
./scripts/install-deps.sh --test
./scripts/test-c.sh
./scripts/test-c-speech.sh
# One release build with testing enabled serves the Swift fuzz targets (they link its objects) and the suite.
# CHROMASONG_SWIFT_BUILD_FLAGS: extra flags for both steps (scripts/swift-toolchain.sh sets them for Debian's Swift).
# shellcheck disable=SC2086
swift build -c release --build-tests -Xswiftc -enable-testing ${CHROMASONG_SWIFT_BUILD_FLAGS:-}
# The DocC catalogs, every warning an error (reuses the build above; before the suite, whose summary ends the output).
./scripts/docs.sh
fuzz_seconds=${CHROMASONG_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" -gt 0 ]; then
  ./scripts/fuzz.sh "$fuzz_seconds"
  ./scripts/fuzz-swift.sh "$fuzz_seconds"
fi
# The server suite again, against PostgreSQL (issue 13): a throwaway cluster on loopback, stopped afterwards.
# Skipped when the caller names its own tests (arguments) or sets CHROMASONG_SKIP_POSTGRES=1.
if [ $# -eq 0 ] && [ "${CHROMASONG_SKIP_POSTGRES:-0}" != "1" ]; then
  echo "== the server suite against PostgreSQL =="
  # shellcheck disable=SC2086
  ./scripts/with-postgres.sh swift test -c release -Xswiftc -enable-testing ${CHROMASONG_SWIFT_BUILD_FLAGS:-} \
    --skip-build --filter ServerTests
fi
# The whole suite on the embedded store last: its summary ends the output.
# shellcheck disable=SC2086
swift test -c release -Xswiftc -enable-testing ${CHROMASONG_SWIFT_BUILD_FLAGS:-} --skip-build "$@"
