#!/usr/bin/env bash
# Builds CSpeech (the flite wrapper) with Tests/CSpeechTests/test_speech.c under AddressSanitizer and
# UndefinedBehaviorSanitizer, runs it, and prints "N passed, N failed". Separate from test-c.sh because it links
# flite (no pkg-config file: the libraries are named here as in Sources/SystemLibraries/CFlite).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/cspeech-tests
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter"
libs="-lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_rms -lflite_cmulex -lflite_usenglish -lflite -lpthread -lm"
# shellcheck disable=SC2086
$cc $flags -ISources/CSpeech/include -ITests/CDSPTests -o "$out/test_speech" Tests/CSpeechTests/test_speech.c \
  Sources/CSpeech/*.c $libs
status=0
result=$(cd "$out" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./test_speech) || status=$?
echo "$result" | grep -v '^tally '
tally=$(echo "$result" | sed -n 's/^tally //p')
# A leak report comes after the tally, so the exit status counts too.
[ -n "$tally" ] && [ "$status" -eq 0 ] || { echo "FAIL test_speech (crashed, leaked or a sanitizer stopped it)"; exit 1; }
echo "CSpeech (ASan+UBSan): ${tally% *} passed, ${tally#* } failed"
[ "${tally#* }" -eq 0 ]
