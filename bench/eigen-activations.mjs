#!/usr/bin/env node
// npm run bench:eigen-activations — the bit-exact float32 Exp/Tanh/Sigmoid/Log/Erf/Elu/Selu/Softplus/Log1p/Expm1 kernels
// (runtime/kernels/eigen-*.ts, plain JS) against tfjs's own exp/tanh/sigmoid on the same
// backend, 1M N(0, 4) elements (their absolute value for log and log1p), same process, 7 alternating rounds of 5 calls per side;
// prints the median ms per call and ours/tfjs. BENCH_BACKEND: cpu (default) or wasm.
//   BENCH_BACKEND=wasm node bench/eigen-activations.mjs
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { initBackend } = await load('src/runtime/backend.js');
const { EIGEN_EXP_KERNELS } = await load('src/runtime/kernels/eigen-exp.js');
const { EIGEN_TANH_SIGMOID_KERNELS } = await load('src/runtime/kernels/eigen-tanh-sigmoid.js');
const { EIGEN_LOG_KERNELS } = await load('src/runtime/kernels/eigen-log.js');
const { EIGEN_ERF_KERNELS } = await load('src/runtime/kernels/eigen-erf.js');
const { EIGEN_ELU_KERNELS } = await load('src/runtime/kernels/eigen-elu.js');
const { EIGEN_SOFTPLUS_KERNELS } = await load('src/runtime/kernels/eigen-softplus.js');
const { EIGEN_LOG1P_EXPM1_KERNELS } = await load('src/runtime/kernels/eigen-log1p-expm1.js');
const tf = await import('@tensorflow/tfjs-core');

const BACKEND = process.env.BENCH_BACKEND ?? 'cpu';
await initBackend(BACKEND, { wasmThreads: 1 });
await tf.setBackend(BACKEND);
const x0 = tf.mul(tf.randomNormal([1 << 20]), 2);
const xAbs = tf.abs(x0);
const kernel = (entries, op) => entries.find((k) => k.op === op).kernel;
const ours = {
  exp: kernel(EIGEN_EXP_KERNELS, '_TfsExp'),
  tanh: kernel(EIGEN_TANH_SIGMOID_KERNELS, '_TfsTanh'),
  sigmoid: kernel(EIGEN_TANH_SIGMOID_KERNELS, '_TfsSigmoid'),
  log: kernel(EIGEN_LOG_KERNELS, '_TfsLog'),
  erf: kernel(EIGEN_ERF_KERNELS, '_TfsErf'),
  elu: kernel(EIGEN_ELU_KERNELS, '_TfsElu'),
  selu: kernel(EIGEN_ELU_KERNELS, '_TfsSelu'),
  softplus: kernel(EIGEN_SOFTPLUS_KERNELS, '_TfsSoftplus'),
  log1p: kernel(EIGEN_LOG1P_EXPM1_KERNELS, '_TfsLog1p'),
  expm1: kernel(EIGEN_LOG1P_EXPM1_KERNELS, '_TfsExpm1'),
};

/** Pushes the mean ms of 5 calls of `fn`, each result read back. */
function time(fn, samples) {
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) tf.tidy(() => { const y = fn(); y.dataSync(); });
  samples.push((performance.now() - t0) / 5);
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

for (const [op, kern] of Object.entries(ours)) {
  const x = op === 'log' || op === 'log1p' ? xAbs : x0;
  const node = { inputs: [x], attrs: {} };
  const a = [];
  const b = [];
  for (let r = 0; r < 7; r++) {
    time(() => tf[op](x), a);
    time(() => kern(node), b);
  }
  const [ta, tb] = [median(a), median(b)];
  console.log(`${BACKEND} ${op}: tfjs ${ta.toFixed(2)} ms, eigen-exact ${tb.toFixed(2)} ms per 1M-element call, ours/tfjs ${(tb / ta).toFixed(2)}`);
}
