#!/usr/bin/env bash
# Builds the DocC catalogs (Sources/<Module>/<Module>.docc) of SongEngine, VoiceConvert and ChromasongServer into
# .build/docs/<Module>.doccarchive, with every DocC warning an error (an unresolved symbol link, a topic that names
# nothing, a malformed directive). Part of scripts/test.sh.
#
# It does what the DocC plugin's `swift package generate-documentation` does, with the toolchain's own tools and no
# extra package: the symbol graph of each module is extracted from the release build that test.sh makes anyway
# (`swift symbolgraph-extract`, public API), then `docc convert` merges it with the catalog.
#   scripts/docs.sh [module...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/swift-toolchain.sh check || exec scripts/swift-toolchain.sh run "$PWD/scripts/docs.sh" "$@"
modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=(SongEngine VoiceConvert ChromasongServer)

# The same build as test.sh's, so nothing is rebuilt when it ran first.
# shellcheck disable=SC2086
swift build -c release --build-tests -Xswiftc -enable-testing ${CHROMASONG_SWIFT_BUILD_FLAGS:-}
bin=$(swift build -c release --show-bin-path)
triple=$(swift -print-target-info | sed -n 's/.*"triple": *"\([^"]*\)".*/\1/p' | head -1)
docc=$(dirname "$(readlink -f "$(command -v swift)")")/docc
# The C modules the Swift modules import: the generated module maps of C targets and the system libraries' own.
clang_args=()
while IFS= read -r map; do clang_args+=(-Xcc "-fmodule-map-file=$map"); done < <(
    { find "$bin" -maxdepth 2 -name module.modulemap -path '*.build/*'; find Sources/SystemLibraries -name module.modulemap
      find .build/checkouts -path '*/Sources/*' -name module.modulemap; } | sort)
for dir in Sources/*/include; do clang_args+=(-Xcc "-I$dir"); done
for flag in $(pkg-config --cflags-only-I fftw3f sndfile lame samplerate stb libwebp); do clang_args+=(-Xcc "$flag"); done

out=.build/docs
status=0
for module in "${modules[@]}"; do
    graphs="$out/symbolgraph/$module"
    mkdir -p "$graphs"
    find "$graphs" -name '*.symbols.json' -delete
    swift symbolgraph-extract -module-name "$module" -target "$triple" -I "$bin/Modules" -I "$bin" \
        "${clang_args[@]}" -minimum-access-level public -skip-synthesized-members -output-dir "$graphs"
    log="$out/$module.docc.log"
    if "$docc" convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$graphs" \
        --output-path "$out/$module.doccarchive" --fallback-display-name "$module" \
        --fallback-bundle-identifier "chromasong.$module" --warnings-as-errors --analyze >"$log" 2>&1; then
        echo "docs $module: ok, $(find "$graphs" -name '*.symbols.json' | wc -l) symbol graph(s), $out/$module.doccarchive"
    else
        echo "docs $module: FAILED"; grep -E "warning|error" "$log" | head -30; status=1
    fi
done
exit $status
