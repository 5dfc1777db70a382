#!/usr/bin/env node
// npm run bench:runtime-conv — the wasm backend's convolutions on tfs's GEMM against XNNPACK,
// same process, alternating rounds.
//
// small_cnn's two layers at batch 128 (fused bias + relu, VALID): conv1 28×28×1 ⊛ 3×3×1×16,
// conv2 13×13×16 ⊛ 3×3×16×32, each timed with the GEMM on (runtime/wasm-conv.ts) and off
// (setWasmGemm(false): tfjs's XNNPACK kernel), 7 rounds of 20 calls per side, alternating so
// that load drift hits both; prints the median ms and CPU ms per call (all threads) and
// ours/xnn. Then the whole small_cnn model (../shared/fixtures/zoo, ServableRun like
// bench:runtime) the same way, with setWasmConv toggling only the convolutions (its MatMuls
// stay wherever they go). BENCH_WASM_THREADS (default 2) sets the threads; BENCH_BATCH (default 128).
//   BENCH_WASM_THREADS=2 node bench/runtime-conv.mjs
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { initBackend } = await load('src/runtime/backend.js');
const { setWasmGemm, setWasmConv } = await load('src/runtime/wasm-gemm.js');
const { loadSavedModelServable } = await load('src/servables/saved-model-servable.js');
const { wasmConvCalls } = await load('src/runtime/wasm-conv.js');
const tf = await import('@tensorflow/tfjs-core');

const THREADS = Number(process.env.BENCH_WASM_THREADS ?? 2);
const BATCH = Number(process.env.BENCH_BATCH ?? 128);
await initBackend('wasm', { wasmThreads: THREADS });
await tf.setBackend('wasm');
const r = (s) => tf.randomUniform(s, -1, 1);
const CASES = {
  conv1: { x: r([BATCH, 28, 28, 1]), f: r([3, 3, 1, 16]), b: r([16]) },
  conv2: { x: r([BATCH, 13, 13, 16]), f: r([3, 3, 16, 32]), b: r([32]) },
};
const run = (c) => {
  const y = tf.fused.conv2d({ x: c.x, filter: c.f, bias: c.b, strides: 1, pad: 'valid', activation: 'relu' });
  y.dataSync();
  y.dispose();
};
const time = async (f, n) => {
  const c0 = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  const u = process.cpuUsage(c0);
  return { ms: (performance.now() - t) / n, cpu: (u.user + u.system) / 1000 / n };
};
const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[xs.length >> 1];

/** Time f with the convolutions on the GEMM and off (`toggle`), alternating rounds; print one line. */
async function ab(name, f, toggle, convsPerCall) {
  const res = { on: [], off: [] };
  for (const on of [true, false]) {
    toggle(on);
    for (let i = 0; i < 10; i++) await f(); // warm-up (packing cached from the second call)
  }
  const before = wasmConvCalls();
  for (let round = 0; round < 7; round++) {
    for (const on of [true, false]) {
      toggle(on);
      res[on ? 'on' : 'off'].push(await time(f, 15));
    }
  }
  toggle(true);
  const took = `${(wasmConvCalls() - before) / (7 * 15)} of ${convsPerCall} conv(s) per call on the GEMM`;
  const [on, off] = [res.on, res.off];
  console.log(
    `${name} (${took}): ours ${med(on, 'ms').toFixed(2)} ms (cpu ${med(on, 'cpu').toFixed(2)}), xnn ${med(off, 'ms').toFixed(2)} ms (cpu ${med(off, 'cpu').toFixed(2)}); ours/xnn wall ${(med(on, 'ms') / med(off, 'ms')).toFixed(2)}x, cpu ${(med(on, 'cpu') / med(off, 'cpu')).toFixed(2)}x`,
  );
}

console.log(`bench:runtime-conv  node ${process.version}  wasm ${THREADS} thread(s)  batch ${BATCH}`);
for (const [name, c] of Object.entries(CASES)) await ab(name, () => run(c), setWasmGemm, 1);
const zoo = resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'), 'fixtures', 'zoo', 'small_cnn', '1');
const servable = await loadSavedModelServable('small_cnn', 1, zoo, { backend: 'wasm' });
const alias = Object.keys(servable.signatures.get('serving_default').inputs)[0];
const shape = [BATCH, 28, 28, 1];
const input = { [alias]: { dtype: 'DT_FLOAT', shape, data: Float32Array.from({ length: BATCH * 784 }, () => Math.random()) } };
await ab('small_cnn model', () => servable.run('serving_default', input), setWasmConv, 2);
await servable.dispose();
tf.dispose(Object.values(CASES).flatMap((c) => [c.x, c.f, c.b]));
process.exit(0);
