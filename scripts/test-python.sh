#!/usr/bin/env bash
# Builds the Python package `entra_sync` as a wheel, installs it into a virtualenv at .venv (created
# on first use) and runs its pytest suite. Works from a clean clone; run it from anywhere.
#
#   ENTRA_PY_PROFILE=debug bash scripts/test-python.sh   # faster build, slower package
#   PYTEST_ARGS="-k vectors" bash scripts/test-python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="$root/.venv"
profile="${ENTRA_PY_PROFILE:-release}"

if [ ! -x "$venv/bin/python" ]; then
  echo "--- creating virtualenv $venv"
  python3 -m venv "$venv"
fi
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"

echo "--- installing build and test tools"
python -m pip install -q --disable-pip-version-check maturin pytest pytest-asyncio

dist="$(mktemp -d)"
trap 'rm -rf "$dist"' EXIT
echo "--- building the wheel ($profile)"
# The suite drives the native test hooks (raising any error code, panicking, emitting a log
# event, timing phases), which release wheels leave out.
build_args=(build --locked -m bindings-python/Cargo.toml -o "$dist" --features test-hooks)
if [ "$profile" = "release" ]; then
  build_args+=(--release)
fi
maturin "${build_args[@]}"

wheels=("$dist"/entra_sync-*.whl)
if [ ! -f "${wheels[0]}" ]; then
  echo "no wheel was built" >&2
  exit 1
fi
echo "--- installing ${wheels[0]##*/}"
python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "${wheels[0]}"

echo "--- pytest"
set +e
# shellcheck disable=SC2086
python -m pytest -q bindings-python/tests ${PYTEST_ARGS:-}
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
