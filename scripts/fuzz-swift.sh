#!/usr/bin/env bash
# The Swift fuzz targets (libFuzzer + AddressSanitizer): the lyrics parser, a prompt's topic, and the server's form, JSON and multipart
# parsing, each run for a bounded time over its seed corpus (Fuzz/corpus/<target>/). Exits non-zero on a crash, a
# leak, a timeout or an out-of-memory; prints the executions of every target.
#
#   scripts/fuzz-swift.sh [seconds-per-target] [target...]     (default 20 s; targets: lyrics topic form json multipart)
#
# How it builds, without unsafeFlags in Package.swift and without rebuilding the dependency graph with sanitizers:
# the code under test is compiled from the repository's own sources by swiftc with -sanitize=fuzzer,address
# (coverage feedback and ASan where it matters), together with a harness in Fuzz/swift/ that exports
# LLVMFuzzerTestOneInput. The lyrics and topic targets need nothing else (topic pronounces with a stand-in). The server targets compile all of
# Sources/ChromasongServer (its parsers are internal), and link the
# other modules' objects from the ordinary release build (.build/release), which the script builds when missing.
# The crash it found in MultipartKit (a part header name with a byte >= 0x80) is a seed of the multipart corpus:
# the server now parses multipart with its own MultipartStream.
# Swift has no UBSan on Linux; Swift code traps on overflow and out-of-bounds indexing by itself, and ASan covers
# the unsafe pointer code. New inputs a run finds go to .build/fuzz-swift/corpus/<target>/ (the seeds stay small).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(lyrics topic form json multipart)
OUT=$ROOT/.build/fuzz-swift
mkdir -p "$OUT"
BUILD=$ROOT/.build/release
FLAGS=(-O -sanitize=fuzzer,address -parse-as-library -g)
# Extra flags for the link steps only: scripts/swift-toolchain.sh points Debian's Swift at Debian's clang runtime
# (-Xclang-linker -resource-dir=...), because the sanitizer runtime in Debian's swiftlang does not link there.
read -ra LINK_EXTRA <<< "${CHROMASONG_FUZZ_SWIFT_LINK_FLAGS:-}"
# gold warns once per ASan helper symbol ("Cannot export local symbol"): harmless, and hundreds of lines.
quiet() { "$@" 2> >(grep -v "Cannot export local symbol" >&2); }

needs_server=0
for t in "${TARGETS[@]}"; do [ "$t" != lyrics ] && [ "$t" != topic ] && needs_server=1; done

build_lyrics() {
    quiet swiftc "${FLAGS[@]}" -module-name FuzzLyrics \
        Sources/SongEngine/Lyrics/LyricsParser.swift Sources/SongEngine/Model/Lyrics.swift Fuzz/swift/lyrics.swift \
        -o "$OUT/lyrics" "${LINK_EXTRA[@]}"
}

build_topic() {
    quiet swiftc "${FLAGS[@]}" -module-name FuzzTopic \
        Sources/SongEngine/Lyrics/LyricTopic.swift Sources/SongEngine/Lyrics/LyricsWordBank.swift \
        Sources/SongEngine/Model/Lyrics.swift Fuzz/swift/topic.swift -o "$OUT/topic" "${LINK_EXTRA[@]}"
}

# The objects of every module the server links except the ones compiled here, from SwiftPM's own link list.
server_objects() {
    if [ ! -f "$BUILD/chromasong.product/Objects.LinkFileList" ]; then
        swift build -c release --product chromasong >&2
    fi
    # The list names absolute paths of the tree that built it; map them onto this checkout's .build.
    sed -E "s#^('?)[^']*/\.build/#\1$ROOT/.build/#" "$BUILD/chromasong.product/Objects.LinkFileList" \
        | grep -v -E '/(ChromasongServer|chromasong)\.build/' > "$OUT/objects.list"
}

build_server_common() {
    server_objects
    local mapflags=()
    for m in "$BUILD"/*.build/module.modulemap; do mapflags+=(-Xcc "-fmodule-map-file=$m"); done
    for m in Sources/SystemLibraries/*/module.modulemap; do [ -f "$m" ] && mapflags+=(-Xcc "-fmodule-map-file=$ROOT/$m"); done
    # The dependencies' C shims (the packages' own module maps, as SwiftPM passes them).
    for m in .build/checkouts/swift-atomics/Sources/_AtomicsShims/include/module.modulemap \
             .build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/include/module.modulemap \
             .build/checkouts/swift-crypto/Sources/CCryptoBoringSSLShims/include/module.modulemap \
             .build/checkouts/swift-crypto/Sources/CCryptoBoringSSL/include/module.modulemap \
             .build/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap \
             .build/checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap \
             .build/checkouts/swift-nio/Sources/CNIOWindows/include/module.modulemap \
             .build/checkouts/swift-system/Sources/CSystem/include/module.modulemap; do
        [ -f "$m" ] && mapflags+=(-Xcc "-fmodule-map-file=$ROOT/$m")
    done
    local inc=(-I "$BUILD/Modules" "${mapflags[@]}")
    SERVER_INC=("${inc[@]}")
    # The system libraries the C targets use: the `link` lines of the system-library module maps and the
    # linkedLibrary settings of Package.swift (SwiftPM adds these when it links; a C object carries no autolink).
    mapfile -t SYSTEM_LIBS < <( { sed -nE 's/^[[:space:]]*link "([^"]+)".*/\1/p' Sources/SystemLibraries/*/module.modulemap
                                  grep -oE 'linkedLibrary\("[^"]+"' Package.swift | sed -E 's/.*"([^"]+)"/\1/'; } \
                                | awk '!seen[$0]++ { print "-l" $0 }')
    mapfile -t SERVER_SOURCES < <(find Sources/ChromasongServer -name '*.swift' | sort)
}

build_server_target() {
    local t=$1
    # One module per target: the server's sources, the shared support and the target's harness.
    swiftc "${FLAGS[@]}" -wmo -module-name ChromasongServer -c -o "$OUT/$t.o" "${SERVER_INC[@]}" \
        "${SERVER_SOURCES[@]}" Fuzz/swift/ServerFuzzSupport.swift "Fuzz/swift/$t.swift"
    quiet swiftc -use-ld=lld -sanitize=fuzzer,address "$OUT/$t.o" @"$OUT/objects.list" -o "$OUT/$t" \
        -L "$BUILD" "${SYSTEM_LIBS[@]}" "${LINK_EXTRA[@]}"
}

start=$(date +%s)
for t in "${TARGETS[@]}"; do
    case $t in lyrics) build_lyrics ;; topic) build_topic ;; form|json|multipart) ;; *) echo "unknown target $t" >&2; exit 2 ;; esac
done
if [ $needs_server = 1 ]; then
    build_server_common
    for t in "${TARGETS[@]}"; do [ "$t" != lyrics ] && [ "$t" != topic ] && build_server_target "$t"; done
fi
echo "built ${TARGETS[*]} in $(( $(date +%s) - start )) s"

status=0
# libFuzzer's own crash report (Swift's backtracer, reading the stack under ASan, would report itself instead).
export SWIFT_BACKTRACE=enable=no
for t in "${TARGETS[@]}"; do
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
    log=$OUT/$t.log
    # -rss_limit_mb and -timeout turn a blow-up or a hang into a failure; -max_len keeps inputs to body-sized text.
    if "$OUT/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$OUT/artifacts/$t/" -print_final_stats=1 \
        "$OUT/corpus/$t" "Fuzz/corpus/$t" > "$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        grep -E "ERROR|runtime failure|Fatal|fault|precondition|==[0-9]+==|MultipartKit|ChromasongServer|SongEngine" "$log" \
            | head -20 >&2 || true
        echo "reproduce: SWIFT_BACKTRACE=enable=no $OUT/$t $OUT/artifacts/$t/<crash file>" >&2
    fi
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    echo "fuzz-swift $t: $result, ${runs:-?} executions, ${rate:-?} exec/s, corpus $(ls "$OUT/corpus/$t" | wc -l) (+$(ls "Fuzz/corpus/$t" | wc -l) seeds), log $log"
done
exit $status
