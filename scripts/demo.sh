#!/usr/bin/env bash
# `make demo`: the local pipeline on a model the project synthesizes itself.
# (Once the daemon exists this starts mcutuned and tunes the model instead.)
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
