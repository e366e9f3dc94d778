#!/usr/bin/env bash
# Runs ctest on a build made with -DMCUTUNE_SANITIZE=address,undefined (the
# last step of `make test-sanitize`; docs/reliability.md, "Sanitizers").
#
# Every finding aborts the process that hit it. The reports of all processes
# (the test executables and the mcutune / mcutuned / mcutune-agent processes
# the tests spawn, whose exit status a test may not look at, e.g. a daemon
# stopped at teardown) go to BUILD/sanitizer-logs/; the stage fails when ctest
# fails or when that directory holds any report, and prints every report.
#
# usage: scripts/test_sanitize.sh BUILD_DIR [LABEL_REGEX] [JOBS] [EXCLUDE_REGEX]
# EXCLUDE_REGEX (ctest -E) leaves out tests by name: the Makefile's default
# leaves out the four exhaustive sweeps that take over 10 minutes each under
# ASan (they run in the normal build; the code they drive is exercised under
# ASan by the smaller tests of the same modules).
set -uo pipefail
cd "$(dirname "$0")/.."

build=${1:?usage: scripts/test_sanitize.sh BUILD_DIR [LABEL_REGEX] [JOBS]}
labels=${2:-core}
jobs=${3:-$(nproc)}
exclude=${4:-}
logs="$(cd "$build" && pwd)/sanitizer-logs"
supp="$(pwd)/tests/sanitizers/lsan.supp"

rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"

start=$(date +%s)
if [ -n "$exclude" ]; then
  ctest --test-dir "$build" --output-on-failure -j "$jobs" -L "$labels" -E "$exclude"
else
  ctest --test-dir "$build" --output-on-failure -j "$jobs" -L "$labels"
fi
status=$?
echo "test_sanitize: ctest -L '$labels' exit $status in $(($(date +%s) - start)) s"

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  for f in $reports; do
    echo "==== $f"
    cat "$f"
  done
  echo "test_sanitize: $(echo "$reports" | wc -l) sanitizer report(s) above" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "test_sanitize: ctest failed (no sanitizer report written)" >&2
  exit "$status"
fi
echo "test_sanitize: no sanitizer findings"
