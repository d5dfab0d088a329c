#!/usr/bin/env bash
# Builds the Node package `entra-sync` (bindings-node) and runs its tests: the TypeScript type
# tests (tsc --noEmit --strict) and the node:test suite. Works from a clean clone; run it from
# anywhere. Uses `npm install` with the committed lock (not `npm ci`, which refuses the lock
# because this registry lacks some other platforms' optional packages).
#
#   ENTRA_NODE_PROFILE=release bash scripts/test-node.sh   # optimized addon (benchmarks want it)
#   NODE_TEST_ARGS="__test__/vectors.test.mjs" bash scripts/test-node.sh
set -euo pipefail
cd "$(dirname "$0")/../bindings-node"
profile="${ENTRA_NODE_PROFILE:-debug}"

echo "--- npm install"
npm install --no-audit --no-fund --loglevel=error

echo "--- building the addon ($profile)"
# The suite drives the native test hooks (raising any error code, panicking, emitting a log
# event), which release packages leave out.
build_args=(napi build --platform --js native.js --dts native.d.ts --features test-hooks)
if [ "$profile" = "release" ]; then
  build_args+=(--release)
fi
npx "${build_args[@]}"

echo "--- TypeScript type test (tsc --noEmit --strict)"
npx tsc -p tsconfig.json

echo "--- node --test"
# shellcheck disable=SC2086
node --test ${NODE_TEST_ARGS:-__test__/}
