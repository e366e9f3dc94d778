#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60; `make fuzz`)
#
# libFuzzer over mcutune's untrusted-input doors (docs/reliability.md,
# "Fuzzing"):
#   1. configures $FUZZ_BUILD (default build-fuzz) with clang and
#      -DMCUTUNE_FUZZ=ON and builds only the fuzz targets + the seed writer;
#   2. writes the seed corpus (tests/fuzz/fuzz_seeds.h) to
#      $FUZZ_BUILD/fuzz-seeds/<target>/: probe graphs, the zoo models, the
#      shared models when ../shared/models exists, configs, requests, result
#      lines and blocks;
#   3. runs each target for SECONDS_PER_TARGET, growing the corpus kept in
#      $FUZZ_BUILD/fuzz-corpus/<target>/; crashes, leaks, timeouts and OOMs
#      land in $FUZZ_BUILD/fuzz-artifacts/<target>/, logs in fuzz-logs/;
#   4. prints one summary row per target and exits 1 if any target crashed.
# Environment: FUZZ_BUILD, FUZZ_JOBS (build parallelism, default 2),
# MCUTUNE_SHARED_DIR (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_TARGET=${1:-60}
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
SHARED=${MCUTUNE_SHARED_DIR:-$ROOT/../shared}
TARGETS=(fuzz_tflite_reader fuzz_request_validators fuzz_firmware_output)

for tool in clang clang++ cmake ninja; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz: $tool not found (scripts/install_deps.sh installs clang and" \
      "libclang-rt-14-dev)" >&2
    exit 2
  fi
done

echo "fuzz: configuring $BUILD (clang, MCUTUNE_FUZZ=ON)"
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCUTUNE_FUZZ=ON \
  -DMCUTUNE_BUILD_WEB=OFF -DMCUTUNE_BUILD_BENCH=OFF >"$BUILD.configure.log" 2>&1 || {
  cat "$BUILD.configure.log" >&2
  exit 2
}
rm -f "$BUILD.configure.log"
echo "fuzz: building the fuzz targets (-j $JOBS)"
cmake --build "$BUILD" -j "$JOBS" --target fuzz_targets

SEEDS=$BUILD/fuzz-seeds
seed_args=("$SEEDS" --zoo)
if [ -d "$SHARED/models" ]; then
  seed_args+=(--models-dir "$SHARED/models")
else
  echo "fuzz: $SHARED/models not found: seeds without the shared models"
fi
# Synthesizing the zoo takes a minute under ASan: only when the seed writer
# or its inputs changed since the last run.
stamp_text="${seed_args[*]}"
if [ ! -f "$SEEDS/.stamp" ] || [ "$BUILD/fuzz/make_fuzz_seeds" -nt "$SEEDS/.stamp" ] ||
   [ "$(cat "$SEEDS/.stamp")" != "$stamp_text" ]; then
  echo "fuzz: writing seeds to $SEEDS"
  "$BUILD/fuzz/make_fuzz_seeds" "${seed_args[@]}"
  echo "$stamp_text" >"$SEEDS/.stamp"
else
  echo "fuzz: seeds in $SEEDS are up to date"
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$BUILD/fuzz-logs"
declare -A EXECS RATE COV FT CORPUS CRASHES
failed=0
for t in "${TARGETS[@]}"; do
  corpus=$BUILD/fuzz-corpus/$t
  artifacts=$BUILD/fuzz-artifacts/$t
  log=$BUILD/fuzz-logs/$t.log
  mkdir -p "$corpus" "$artifacts"
  stamp=$(mktemp "$BUILD/fuzz-logs/.start.XXXXXX")
  dict=()
  [ -f "tests/fuzz/dicts/$t.dict" ] && dict=("-dict=tests/fuzz/dicts/$t.dict")
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s (log $log)"
  set +e
  "$BUILD/fuzz/$t" "$corpus" "$SEEDS/$t" \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/" \
    "${dict[@]}" </dev/null >"$log" 2>&1
  rc=$?
  set -e
  new_artifacts=$(find "$artifacts" -type f -newer "$stamp" | sort)
  rm -f "$stamp"
  # The last status line ("#N DONE cov: C ft: F corp: K/..."), or the last
  # one printed before a crash.
  last=$(grep -E '^#[0-9]+' "$log" | grep -E ' cov: ' | tail -n 1 || true)
  COV[$t]=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  FT[$t]=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  EXECS[$t]=$(sed -nE 's/^stat::number_of_executed_units: +([0-9]+)/\1/p' "$log" | tail -n 1)
  RATE[$t]=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log" | tail -n 1)
  CORPUS[$t]=$(find "$corpus" -type f | wc -l)
  count=$(grep -c . <<<"$new_artifacts" || true)
  if [ "$rc" -ne 0 ] && [ "$count" -eq 0 ]; then count=1; fi  # died without one
  CRASHES[$t]=$count
  if [ "$count" -gt 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (exit $rc); see $log" >&2
    grep -E 'ERROR: |runtime error|fuzz: ' "$log" | head -n 5 >&2 || true
    for a in $new_artifacts; do
      echo "  reproduce: $BUILD/fuzz/$t $a" >&2
    done
  fi
done

echo
printf '%-26s %12s %9s %7s %8s %8s %8s\n' target executions exec/s cov ft corpus crashes
for t in "${TARGETS[@]}"; do
  printf '%-26s %12s %9s %7s %8s %8s %8s\n' "$t" "${EXECS[$t]:--}" \
    "${RATE[$t]:--}" "${COV[$t]:--}" "${FT[$t]:--}" "${CORPUS[$t]}" "${CRASHES[$t]}"
done
if [ "$failed" -ne 0 ]; then
  echo
  echo "fuzz: crashes found. Fix the product code, then add the (minimized:" \
    "<target> -minimize_crash=1 FILE) input to tests/fuzz/regressions/<target>/" >&2
  exit 1
fi
