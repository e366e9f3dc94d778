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
echo "Look here:"
echo "  model:       $out/$model.tflite"
echo "  memory map:  $out/$model.memory_map.csv  (JSON: $out/$model.analysis.json)"
echo "  output:      $out/$model.output.bin"
