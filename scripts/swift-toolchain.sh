#!/usr/bin/env bash
# The Swift toolchain for the README's commands, when the machine has none that builds the project.
#
#   scripts/swift-toolchain.sh check            exit 0 when `swift` on PATH is 6.1 or newer (the dependencies'
#                                               manifests need 6.1), 1 otherwise
#   scripts/swift-toolchain.sh run CMD [ARG...] run CMD with such a Swift: here when there is one, otherwise inside
#                                               a Debian root that has Debian's own Swift package (swiftlang)
#
# Why: the project expects a machine with Swift (the README says so), but a Debian machine without it, or with an
# older one, should still pass the README's two commands rather than stop at "swift: command not found". Debian
# packages Swift as `swiftlang` (6.0 in trixie, which is too old for the dependencies; 6.2 in unstable), so when
# no usable Swift is found this script builds a Debian unstable root with debootstrap, from the same archive the
# machine's own apt uses, installs swiftlang in it, and runs the command there. The root is kept at
# $CHROMASONG_SWIFT_ROOT (default /var/tmp/chromasong-swift-root) and reused by later runs; a run only adds what
# is missing. Needs root (debootstrap, mount, chroot).
#
# Inside the root, the project's parent folder (so ../shared is seen as on the host), /opt/swift-packages (the
# machine's offline package mirror, when there is one, with the host's git settings that point at it), /proc and
# /dev are bind-mounted at the same paths, and unmounted when the command ends, whatever way it ends. Nothing here
# ever deletes the root or anything under it: a removal under a live bind mount would reach the host's files.
set -euo pipefail

minimum_major=6
minimum_minor=1

usable_swift() {
    command -v swift >/dev/null 2>&1 || return 1
    local version
    version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -1)
    [ -n "$version" ] || return 1
    set -- $version
    [ "$1" -gt "$minimum_major" ] || { [ "$1" -eq "$minimum_major" ] && [ "$2" -ge "$minimum_minor" ]; }
}

root=${CHROMASONG_SWIFT_ROOT:-/var/tmp/chromasong-swift-root}
suite=${CHROMASONG_SWIFT_SUITE:-sid}

# The archive the machine's apt already uses: the first Debian URI in its sources.
debian_mirror() {
    if [ -n "${CHROMASONG_DEBIAN_MIRROR:-}" ]; then echo "$CHROMASONG_DEBIAN_MIRROR"; return; fi
    local uri
    uri=$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
    [ -n "$uri" ] || uri=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true) | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
    [ -n "$uri" ] || { echo "swift-toolchain: no Debian archive in /etc/apt sources; set CHROMASONG_DEBIAN_MIRROR" >&2; exit 1; }
    echo "$uri"
}

mounted() { mountpoint -q "$1" 2>/dev/null; }

# Every mount under the root, deepest first.
unmount_all() {
    local m
    for m in $(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

prepare_root() {
    [ "$(id -u)" -eq 0 ] || { echo "swift-toolchain: no Swift >= $minimum_major.$minimum_minor here, and making one needs root" >&2; exit 1; }
    # A run that was killed may have left its mounts: take them down before anything else touches the root.
    unmount_all
    local mirror
    mirror=$(debian_mirror)
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
        echo "swift-toolchain: making a Debian $suite root at $root (once; later runs reuse it)"
        mkdir -p "$root"
        debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
            tail -20 "$root.debootstrap.log" >&2; echo "swift-toolchain: debootstrap failed (log: $root.debootstrap.log)" >&2; exit 1; }
    fi
    # Unstable's archive snapshots can outlive their Release file's Valid-Until; the signature is still checked.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99chromasong-valid-until"
    # The host's name resolution, so "localhost" means in the root what it means on the host (tests bind by name).
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    cp /etc/hosts "$root/etc/hosts" 2>/dev/null || true
    mount_all
    if ! in_root sh -c 'command -v swift >/dev/null && command -v g++ >/dev/null && command -v clang >/dev/null && command -v git >/dev/null && command -v sudo >/dev/null'; then
        echo "swift-toolchain: installing Debian's swiftlang in $root"
        in_root apt-get update -qq
        in_root apt-get install -y -qq --no-install-recommends swiftlang libc6-dev gcc g++ git ca-certificates sudo clang libclang-rt-dev >/dev/null
    fi
}

mount_all() {
    local project_parent
    project_parent=$(dirname "$project")
    mkdir -p "$root/proc" "$root/dev" "$root$project_parent"
    mounted "$root/proc" || mount -t proc proc "$root/proc"
    mounted "$root/dev" || mount --bind /dev "$root/dev"
    mounted "$root$project_parent" || mount --bind "$project_parent" "$root$project_parent"
    if [ -d /opt/swift-packages ]; then
        mkdir -p "$root/opt/swift-packages"
        mounted "$root/opt/swift-packages" || mount --bind /opt/swift-packages "$root/opt/swift-packages"
        [ -f /etc/gitconfig ] && cp /etc/gitconfig "$root/etc/gitconfig"
    fi
}

project=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-}
shift || true
case "$command" in
    check) usable_swift ;;
    run)
        [ $# -gt 0 ] || { echo "usage: $0 run CMD [ARG...]" >&2; exit 2; }
        if usable_swift; then exec "$@"; fi
        # One run at a time in the root: a run takes down every mount under it when it starts and ends.
        mkdir -p "$(dirname "$root")"
        exec 9>"$root.lock"
        flock 9
        trap unmount_all EXIT
        prepare_root
        echo "swift-toolchain: running in $root with $(in_root swift --version 2>/dev/null | head -1)"
        args=$(printf '%q ' "$@")
        # Debian's swiftlang 6.2.3 ships the Testing+Foundation cross-import overlay's module but not its library,
        # so a test file importing both fails to link (-l_Testing_Foundation); the suite uses nothing from it.
        # Its clang's sanitizer runtime does not link against unstable's glibc (__sanitizer::struct_termio_sz), so
        # the fuzz targets use Debian's own clang and, for Swift, link against that clang's runtime.
        in_root CI="${CI:-}" CHROMASONG_FUZZ_SECONDS="${CHROMASONG_FUZZ_SECONDS:-}" \
            CHROMASONG_SWIFT_BUILD_FLAGS="-Xswiftc -Xfrontend -Xswiftc -disable-cross-import-overlays" FUZZ_CC=clang bash -c \
            'export CHROMASONG_FUZZ_SWIFT_LINK_FLAGS="-Xclang-linker -resource-dir=$(ls -d /usr/lib/llvm-*/lib/clang/* | sort -V | tail -1)"; '"cd $(printf '%q' "$PWD") && $args"
        ;;
    *) echo "usage: $0 check | run CMD [ARG...]" >&2; exit 2 ;;
esac
