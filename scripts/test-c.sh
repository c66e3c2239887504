#!/usr/bin/env bash
# Builds the C core and each Tests/CDSPTests/test_*.c into its own program under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report aborts the program), runs them all, and prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/CDSPTests/build
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter"
cflags="-ISources/CDSP/include $(pkg-config --cflags fftw3f sndfile lame samplerate stb libwebp libjpeg libpng libgif)"
libs="$(pkg-config --libs fftw3f sndfile lame samplerate stb libwebp libjpeg libpng libgif) -lm"
passed=0; failed=0
for test in Tests/CDSPTests/test_*.c; do
  [ -e "$test" ] || continue
  name=$(basename "$test" .c)
  # shellcheck disable=SC2086
  $cc $flags $cflags -o "$out/$name" "$test" Sources/CDSP/*.c $libs
  echo "== $name"
  if result=$(cd "$out" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "./$name"); then :; fi
  echo "$result" | grep -v '^tally '
  tally=$(echo "$result" | sed -n 's/^tally //p')
  if [ -z "$tally" ]; then
    echo "FAIL $name (crashed or a sanitizer stopped it)"; failed=$((failed + 1)); continue
  fi
  passed=$((passed + ${tally% *})); failed=$((failed + ${tally#* }))
done
echo "C core (ASan+UBSan): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
