#!/usr/bin/env bash
# Proves the pure decision core stays pure: entra-core built with its default features must pull
# in no I/O crate, and its pure modules must not read the system time, touch files or sockets, or
# start threads. The shell (the wall clock, the engine, the stores) is behind features.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0

echo "--- building entra-core with its default features"
cargo build -q -p entra-core --locked

echo "--- dependencies of the default build"
tree=$(cargo tree -q -p entra-core -e normal --prefix none --locked)
for crate in tokio rusqlite libsqlite3-sys reqwest hyper mio socket2 axum; do
  if grep -Eq "^${crate} v" <<<"$tree"; then
    echo "entra-core's default build depends on the I/O crate '${crate}':"
    cargo tree -q -p entra-core -e normal --locked -i "$crate" || true
    fail=1
  fi
done

echo "--- source of the pure modules"
# Everything but the shell: the wall clock, the engine, the in-memory and SQLite stores.
shell='^entra-core/src/(clock/wall\.rs|engine/|store/memory\.rs|store/sqlite/)'
pure=$(git ls-files 'entra-core/src/*.rs' | grep -Ev "$shell")
if hits=$(grep -nE 'SystemTime::now|Instant::now|std::fs|std::net|std::thread|thread::spawn|tokio|rusqlite' $pure); then
  echo "I/O, system time or threads in a pure module:"
  echo "$hits"
  fail=1
fi

echo "--- system time outside the clock"
# The engine and the stores keep time only through an injected clock.
if hits=$(git ls-files 'entra-core/src/*.rs' | grep -v '^entra-core/src/clock/wall\.rs$' \
    | xargs grep -nE 'SystemTime::now|Instant::now|thread::spawn|std::thread'); then
  echo "the system time or a thread read outside entra-core/src/clock/wall.rs:"
  echo "$hits"
  fail=1
fi

if [ "$fail" -ne 0 ]; then
  echo "the pure core is no longer pure"
  exit 1
fi
echo "the pure core is pure"
