#!/usr/bin/env node
// The gRPC Predict codec alone, CPU per call: this build against another (--baseline <dir>, the
// root of a checkout with its own dist/), both loaded in this one process and timed in turns.
//
// Cases: requestDeserialize of the PredictRequests bench/serving.mjs sends (my_model: a 5x10
// float32 tensor_content; half_plus_two: 1x1), then the same plus lazyTensors (the request's
// TensorProtos decoded to tensors, as the Predict handler does); responseSerialize of a my_model
// PredictResponse (dense_1, float32 [5,1]). Each case is timed in process CPU time over
// --rounds turns of --calls calls per build; the lowest time per call of each build is kept
// (the steadiest figure on a busy machine).
//
//   node bench/grpc-codec.mjs --baseline ../tfs-main [--rounds 15] [--calls 50000]
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { option } from './lib.mjs';

const args = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const baseline = option(args, 'baseline', '');
const rounds = Number(option(args, 'rounds', '15'));
const calls = Number(option(args, 'calls', '50000'));
if (!baseline) {
  console.error('usage: node bench/grpc-codec.mjs --baseline <checkout with dist/> [--rounds 15] [--calls 50000]');
  process.exit(2);
}

async function build(dir) {
  const url = (p) => pathToFileURL(resolve(dir, 'dist/src', p)).href;
  const codec = await import(url('server/grpc/codec.js'));
  const { lazyTensors } = await import(url('server/grpc/prediction-service.js'));
  return { predict: codec.predictionServiceDefinition({ serializeAsTensorContent: false }).Predict, lazyTensors };
}

const builds = { new: await build(root), baseline: await build(baseline) };
const { lookupType } = await import(pathToFileURL(resolve(root, 'dist/src/proto/root.js')).href);
const PredictRequest = lookupType('tensorflow.serving.PredictRequest');
const f32 = (dims, values) => ({ dtype: 'DT_FLOAT', tensor_shape: { dim: dims.map((size) => ({ size })) }, tensor_content: Buffer.from(new Float32Array(values).buffer) });
const encode = (obj) => Buffer.from(PredictRequest.encode(PredictRequest.fromObject(obj)).finish());
const mlp = Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i)));
const requests = {
  my_model: encode({ model_spec: { name: 'my_model', signature_name: 'serving_default' }, inputs: { dense_input: f32([5, 10], mlp) } }),
  half_plus_two: encode({ model_spec: { name: 'half_plus_two' }, inputs: { x: f32([1, 1], [2]) } }),
};
const reply = {
  outputs: { dense_1: { dtype: 'DT_FLOAT', shape: [5, 1], data: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]) } },
  modelSpec: { name: 'my_model', version: 2, signatureName: 'serving_default' },
};
const cases = {
  'decode my_model': (b) => () => b.predict.requestDeserialize(requests.my_model),
  'decode half_plus_two': (b) => () => b.predict.requestDeserialize(requests.half_plus_two),
  'decode+tensors my_model': (b) => () => b.lazyTensors(b.predict.requestDeserialize(requests.my_model).inputs),
  'decode+tensors half_plus_two': (b) => () => b.lazyTensors(b.predict.requestDeserialize(requests.half_plus_two).inputs),
  'encode my_model reply': (b) => () => b.predict.responseSerialize(reply),
};

/** ns of CPU per call of `f` over `n` calls. */
function cpuPerCall(f, n) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const u = process.cpuUsage(t0);
  return ((u.user + u.system) * 1000) / n;
}

for (const [name, make] of Object.entries(cases)) {
  const fns = Object.fromEntries(Object.entries(builds).map(([k, b]) => [k, make(b)]));
  const best = { new: Infinity, baseline: Infinity };
  for (const f of Object.values(fns)) cpuPerCall(f, calls); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 ? ['baseline', 'new'] : ['new', 'baseline']) best[k] = Math.min(best[k], cpuPerCall(fns[k], calls));
  }
  console.log(`${name.padEnd(30)} new ${best.new.toFixed(0).padStart(5)} ns | baseline ${best.baseline.toFixed(0).padStart(5)} ns | new/baseline ${(best.new / best.baseline).toFixed(2)}`);
}
