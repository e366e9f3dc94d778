#!/usr/bin/env node
// mcutune's oracle: runs a .tflite model through the real TensorFlow Lite
// runtime (the WASM build of @tensorflow/tfjs-tflite, one thread, no SIMD) and
// prints the output tensors, so C++ tests can compare the reference
// interpreter with TFLite byte for byte.
//
// usage:
//   node tflite_oracle.js MODEL [--input FILE]... [--seed N]
//
// Inputs: each --input FILE gives the raw bytes of one model input, in order.
// Inputs without a file are filled with the project's LCG generator
// (s = s * 1103515245 + 12345 mod 2^32; x = ((s >> 16) & 255) - 128),
// starting from --seed (default 1) and continuing across inputs.
//
// Output (stdout, one JSON object):
//   {"inputs":  [{"name", "type", "shape", "hex"}],
//    "outputs": [{"name", "type", "shape", "hex"}]}
// where "hex" is the tensor's raw bytes. Errors go to stderr with exit
// status 2 (bad usage or model rejected) or 3 (inference failed).
'use strict';

const fs = require('fs');
const path = require('path');

function fail(code, message) {
  process.stderr.write(`tflite_oracle: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const args = {model: null, inputs: [], seed: 1};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--input' && i + 1 < argv.length) {
      args.inputs.push(argv[++i]);
    } else if (a === '--seed' && i + 1 < argv.length) {
      args.seed = Number.parseInt(argv[++i], 10);
      if (!Number.isFinite(args.seed)) fail(2, 'bad --seed');
    } else if (!a.startsWith('--') && args.model === null) {
      args.model = a;
    } else {
      fail(2, `unexpected argument '${a}'`);
    }
  }
  if (args.model === null) fail(2, 'usage: tflite_oracle.js MODEL [--input FILE]... [--seed N]');
  return args;
}

function wasmDir() {
  const dir = process.env.TFLITE_ORACLE_WASM_DIR ||
      path.join(__dirname, 'node_modules', '@tensorflow', 'tfjs-tflite', 'wasm');
  if (!fs.existsSync(path.join(dir, 'tflite_web_api_cc.js'))) {
    fail(2, `TFLite runtime not found in ${dir}: run 'npm ci' in tests/oracle ` +
            `(or 'make test', which installs it)`);
  }
  return dir;
}

// The raw bytes behind a typed array from the runtime.
function bytesOf(typed) {
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}

function describe(tensor) {
  const data = tensor.data();
  return {
    name: tensor.name,
    type: tensor.dataType,
    shape: String(tensor.shape).split(',').filter((s) => s !== '').map(Number),
    hex: bytesOf(data).toString('hex'),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = wasmDir();
  const factory = require(path.join(dir, 'tflite_web_api_cc.js'));
  const runtime = await factory({
    wasmBinary: fs.readFileSync(path.join(dir, 'tflite_web_api_cc.wasm')),
    print: () => {},
    // The runtime announces its XNNPACK delegate on stderr; keep only
    // real diagnostics there.
    printErr: (e) => {
      if (!String(e).startsWith('INFO:')) process.stderr.write(`${e}\n`);
    },
  });

  let model;
  try {
    model = fs.readFileSync(args.model);
  } catch (e) {
    fail(2, `cannot read model '${args.model}': ${e.message}`);
  }
  const ptr = runtime._malloc(model.length);
  runtime.HEAPU8.set(model, ptr);
  const created = runtime.TFLiteWebModelRunner.CreateFromBufferAndOptions(
      ptr, model.length,
      {numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024});
  if (!created.ok()) fail(2, `model rejected: ${created.errorMessage()}`);
  const runner = created.value();

  const inputs = runner.GetInputs();
  let state = args.seed >>> 0;
  for (let i = 0; i < inputs.size(); i++) {
    const t = inputs.get(i);
    const dst = bytesOf(t.data());
    if (i < args.inputs.length) {
      const src = fs.readFileSync(args.inputs[i]);
      if (src.length !== dst.length) {
        fail(2, `input ${i} needs ${dst.length} bytes, '${args.inputs[i]}' has ${src.length}`);
      }
      src.copy(dst);
    } else {
      // The generator produces one int8 value per element.
      if (dst.length !== t.data().length) fail(2, `input ${i} is not 8-bit; give --input`);
      for (let k = 0; k < dst.length; k++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        dst[k] = (((state >>> 16) & 255) - 128) & 255;
      }
    }
  }
  if (!runner.Infer()) fail(3, 'inference failed');

  const result = {inputs: [], outputs: []};
  for (let i = 0; i < inputs.size(); i++) result.inputs.push(describe(inputs.get(i)));
  const outputs = runner.GetOutputs();
  for (let i = 0; i < outputs.size(); i++) result.outputs.push(describe(outputs.get(i)));
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => fail(2, e && e.stack ? e.stack : String(e)));
