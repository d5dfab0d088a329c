#!/usr/bin/env bash
# Runs every test suite of the project: the Rust workspace (unit, integration, property tests and
# the shared JSON vectors), then the Python package built as a wheel in a virtualenv, then the Node
# package built with napi-rs, then the Node PSA example on PostgreSQL and a real Temporal server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- Rust tests"
cargo test --workspace --exclude entra-sync-python --exclude entra-sync-node --locked

echo "--- Python tests"
bash scripts/test-python.sh

echo "--- Node tests"
bash scripts/test-node.sh

echo "--- Temporal example (examples/temporal-node)"
bash scripts/test-temporal-example.sh
