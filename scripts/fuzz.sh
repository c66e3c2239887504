#!/usr/bin/env bash
# Builds every C fuzz target in Fuzz/*.c with libFuzzer + ASan + UBSan (the Swift toolchain's clang has
# libclang_rt.fuzzer) and runs each for SECONDS seconds (default 45) on a copy of its seed corpus in
# Fuzz/corpus/<target>/. Prints one line per target with the executions run; exits non-zero on any crash.
# The system libraries (libjpeg-turbo, libpng, ...) are not instrumented: our code is.
#   scripts/fuzz.sh [seconds-per-target] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
shift || true
# The clang that ships beside swift (it has libFuzzer): /opt/swift/usr/bin/clang, or Debian's /usr/libexec/swift/bin/clang.
clang=${FUZZ_CC:-$(dirname "$(readlink -f "$(command -v swift)")")/clang}
out=${FUZZ_OUT:-.build-fuzz}
mkdir -p "$out"
pkgs="fftw3f sndfile lame samplerate stb libwebp libjpeg libpng libgif"
# shellcheck disable=SC2046
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -ISources/CDSP/include $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lm"
failed=0
for src in Fuzz/*.c; do
  name=$(basename "$src" .c)
  # shellcheck disable=SC2086
  if ! $clang $cflags -o "$out/$name" "$src" Sources/CDSP/*.c $libs >"$out/$name.build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$out/$name.build.log" >&2; echo "$name: BUILD FAILED"; failed=1; continue
  fi
  work="$out/corpus-$name"
  rm -rf "$work" && mkdir -p "$work"
  [ -d "Fuzz/corpus/$name" ] && cp Fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  log="$out/$name.log"
  if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./$name" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$@" "corpus-$name") >"$log" 2>&1; then status=ok; else status=FAILED; failed=1; fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "$name: $status, ${runs:-?} executions in ${seconds}s (${speed:-?} exec/s), corpus $(ls "$work" | wc -l) files"
  [ "$status" = ok ] || grep -m5 -E "ERROR|SUMMARY|crash-" "$log" || true
done
exit $failed
