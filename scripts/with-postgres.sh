#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster (issue 13): initdb into a temporary folder, listening on
# loopback only at a free port, trust authentication (nothing but this machine reaches it), fsync off (its data is
# thrown away). The command gets CHROMASONG_TEST_DATABASE=postgres://chromasong@127.0.0.1:PORT/chromasong; the
# cluster is stopped and deleted afterwards, whatever the command's outcome. As root, the cluster runs as the
# `postgres` user that Debian's package creates (PostgreSQL refuses to run as root).
# Usage: scripts/with-postgres.sh COMMAND [ARG...]
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres.sh: PostgreSQL's server programs are missing (scripts/install-deps.sh --test installs them)" >&2
  exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/chromasong-pg.XXXXXX")
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
# A free port: the kernel's pick for a socket bound to port 0.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U chromasong -E UTF8 --no-sync >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=300" >/dev/null
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U chromasong chromasong
export CHROMASONG_TEST_DATABASE="postgres://chromasong@127.0.0.1:$port/chromasong"
echo "with-postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at 127.0.0.1:$port (throwaway)"
"$@"
