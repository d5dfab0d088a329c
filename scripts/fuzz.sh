#!/usr/bin/env bash
# Runs every fuzz target under `fuzz/` for SECONDS each (default 600) on the nightly toolchain,
# seeding the corpora from the shared JSON vectors, and prints one line per target:
# `target runs=N corpus=N seconds=S slowest=S result=ok|crash`. A crash, a hang or an input
# slower than 30 seconds is reported with its reproducer under fuzz/artifacts/<target>/; the
# other targets still run, and the script then exits 1. (The instrumented build, with debug
# assertions, compiles a regular expression many times slower than a release build: a pattern at
# the compile-size limit takes about 60 ms to refuse in release and seconds here.)
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
PATH="$(bash scripts/tools.sh):$PATH"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(contract_json graph_responses cipp_responses domains oauth_state patterns plan_invariants preview_invariants)
fi
python3 scripts/fuzz_seeds.py
(cd fuzz && cargo +nightly fuzz build -O -a)
for target in "${targets[@]}"; do
  log="fuzz/artifacts/$target.log"
  mkdir -p "fuzz/artifacts/$target"
  start=$(date +%s)
  if (cd fuzz && cargo +nightly fuzz run -O -a "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1) >"$log" 2>&1; then
    result=ok
  else
    result=crash
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  slowest=$(grep -o 'stat::slowest_unit_time_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "$target runs=${runs:-0} corpus=$corpus seconds=$(( $(date +%s) - start )) slowest=${slowest:-0} result=$result"
  if [ "$result" = crash ]; then
    tail -40 "$log"
    failed=1
  fi
done
exit "${failed:-0}"
