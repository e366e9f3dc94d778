#!/usr/bin/env bash
# `make demo`: the local pipeline on a model the project synthesizes itself.
# Then the tuning service: mcutuned tunes the same model on virtual boards.
set -euo pipefail
build=${1:-build}
cli="$build/bin/mcutune"
out=out/demo
mkdir -p "$out"
model=mcunet-vww1

echo "== architectures bundled in configs/models"
"$cli" zoo list
echo
echo "== synthesizing $model (deterministic weights, calibrated int8 quantization)"
"$cli" zoo build "$model" -o "$out/$model.tflite" --seed 1
echo
echo "== analysis (per-operator MACs, parameters, tensor memory map)"
"$cli" inspect "$out/$model.tflite"
"$cli" inspect "$out/$model.tflite" --csv > "$out/$model.memory_map.csv"
"$cli" inspect "$out/$model.tflite" --json > "$out/$model.analysis.json"
echo
echo "== reference int8 inference (TFLite runtime arithmetic) on generated input seed 1"
"$cli" run "$out/$model.tflite" --input-seed 1 --output "$out/$model.output.bin"
od -An -t d1 -v "$out/$model.output.bin" | tr -s ' ' | sed 's/^/  output: /'
echo
echo "== design space on the virtual STM32F746 (qemu-f746): Pareto-optimal candidates"
"$cli" space "$out/$model.tflite" --board qemu-f746 --pareto-only > "$out/$model.pareto.txt"
head -n 12 "$out/$model.pareto.txt"
echo "  ... (full front: $out/$model.pareto.txt; every candidate: mcutune space ... --csv)"
echo
candidate=stream2d-n2-s6
echo "== generating C for $candidate, building firmware, running it on QEMU (Cortex-M7)"
rm -rf "$out/build-$candidate"
"$cli" codegen "$out/$model.tflite" --board qemu-f746 --candidate "$candidate" \
  -o "$out/build-$candidate" > "$out/codegen.log"
"$cli" exec "$out/build-$candidate" --board qemu-f746 | tee "$out/measurement.json"
echo "  reference interpreter output sha256: $(sha256sum "$out/$model.output.bin" | cut -d' ' -f1)"
echo
echo "Look here:"
echo "  model:       $out/$model.tflite"
echo "  memory map:  $out/$model.memory_map.csv  (JSON: $out/$model.analysis.json)"
echo "  output:      $out/$model.output.bin"
echo "  Pareto front: $out/$model.pareto.txt"
echo "  build:       $out/build-$candidate (sources, Makefile, README.md, report.json, firmware.elf)"
echo "  measurement: $out/measurement.json"
echo
echo "== the tuning service: mcutuned with the virtual boards of configs/farm.json"
daemon_dir="$out/mcutuned"
# A daemon left running by an earlier demo is stopped first.
if [ -f "$daemon_dir/daemon.json" ]; then
  old=$(grep -o '"pid":[0-9]*' "$daemon_dir/daemon.json" | cut -d: -f2)
  if [ -n "$old" ] && grep -q mcutuned "/proc/$old/cmdline" 2>/dev/null; then
    kill "$old" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
fi
rm -rf "$daemon_dir"
mkdir -p "$daemon_dir"
# configs/mcutuned.json with free ports and the demo's data dir.
sed -e 's/127.0.0.1:50051/127.0.0.1:0/' -e 's/127.0.0.1:8080/127.0.0.1:0/' \
    -e "s#out/mcutuned#$daemon_dir#g" configs/mcutuned.json > "$daemon_dir.json"
# Its own session, so it outlives `make demo` and serves the dashboard
# afterwards; stopped here only when the demo fails.
setsid "$build/bin/mcutuned" --config "$daemon_dir.json" < /dev/null \
  > "$daemon_dir.log" 2>&1 &
daemon_pid=$!
trap 'status=$?; if [ $status -ne 0 ]; then kill $daemon_pid 2>/dev/null || true; fi' EXIT
for _ in $(seq 100); do [ -f "$daemon_dir/daemon.json" ] && break; sleep 0.1; done
grpc=$(grep -o '"grpc":"[^"]*"' "$daemon_dir/daemon.json" | cut -d'"' -f4)
http=$(grep -o '"http":"[^"]*"' "$daemon_dir/daemon.json" | cut -d'"' -f4)
export MCUTUNE_SERVER="$grpc" MCUTUNE_TOKEN_FILE="$daemon_dir/client.token"
"$cli" boards --available
echo
echo "== submitting $model to qemu-f746 (8 measurements, batches of 4) and watching it"
"$cli" submit "$out/$model.tflite" --board-kind qemu-f746 --measure-budget 8 --batch 4 \
  --watch | tee "$out/job.log"
job=$(grep -o 'job j[0-9a-f]*' "$out/job.log" | head -n 1 | cut -d' ' -f2)
echo
echo "== the measured Pareto front of job $job"
"$cli" pareto "$job" | tee "$out/front.txt"
best=$("$cli" pareto "$job" --json | grep -o '"candidateId": "[^"]*"' | head -n 1 | cut -d'"' -f4)
rm -rf "$out/bundle-$best"
"$cli" fetch "$job" "$best" -o "$out/bundle-$best"
echo
echo "  daemon:      $daemon_dir (log $daemon_dir.log, HTTP API: see $daemon_dir/daemon.json)"
echo "  front:       $out/front.txt"
echo "  bundle:      $out/bundle-$best (make; mcutune exec $out/bundle-$best --board qemu-f746)"
echo "  dashboard:   http://$http/  (token: $(cat "$daemon_dir/client.token"), also in $daemon_dir/client.token; docs/dashboard.md)"
echo "  CLI:         MCUTUNE_SERVER=$grpc MCUTUNE_TOKEN_FILE=$daemon_dir/client.token $cli jobs"
echo "  mcutuned keeps running for the dashboard (pid $daemon_pid); stop it with: kill $daemon_pid"
