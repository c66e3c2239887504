#!/usr/bin/env bash
# Installs the Debian packages Chromasong builds against, if any is missing. Safe to run again: it does nothing
# when everything is there. Needs root (or sudo) only when something must be installed.
# --test adds what the test suite needs beyond the build: PostgreSQL's server (the server suite runs a second time
# against a throwaway cluster, scripts/with-postgres.sh) and Python 3 (a free port for it).
set -euo pipefail
packages=(pkg-config libfftw3-dev libsndfile1-dev libmp3lame-dev libsamplerate0-dev libstb-dev libwebp-dev libjpeg62-turbo-dev libpng-dev libgif-dev flite1-dev libsqlite3-dev fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then packages+=(postgresql python3); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install these packages as root: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
