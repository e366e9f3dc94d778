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
# conv1x1_bench's second mode: the 1x1 convolutions of the ten zoo networks.
if [ -x "$build/bench/conv1x1_bench" ]; then
  echo "== conv1x1_bench --zoo"
  "$build/bench/conv1x1_bench" --zoo || status=1
  echo
fi
exit $status
