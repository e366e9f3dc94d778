#!/usr/bin/env bash
# Runs every benchmark under tests/bench (built into BUILD/bench). Each prints
# ratios against a baseline measured in the same run.
set -uo pipefail
build=${1:-build}
status=0
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
exit $status
