#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for the example's tests and benchmark.
#
#   scripts/postgres.sh start <dir> <port>   # prints nothing; the server listens on 127.0.0.1:<port>
#   scripts/postgres.sh stop <dir>
#
# Installs Debian's `postgresql` package when no server binaries are found (needs root or sudo).
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
}

install_postgres() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "--- installing postgresql from the distribution's packages" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:?start or stop}
dir=${2:?cluster folder}
case "$cmd" in
  start)
    port=${3:?port}
    bin=$(find_bin)
    if [ -z "$bin" ]; then install_postgres; bin=$(find_bin); fi
    [ -n "$bin" ] || { echo "no PostgreSQL server binaries found" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    ;;
  stop)
    bin=$(find_bin)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start <dir> <port> | stop <dir>" >&2; exit 2 ;;
esac
