#!/usr/bin/env node
// npm run bench:runtime-call — per-call overhead of ModelServable.run on small models.
//
// For the project's own fixtures half_plus_two (y = 0.5x + 2) and the tutorial's my_model
// (Dense 10→64→32→1), batch 1 and 8, on the wasm and cpu backends, it prints µs per call of
//   - tfs: loadSavedModelServable(...).run('serving_default', inputs) — input checks, tfs
//     Tensor → tfjs, the frozen graph on tfjs-converter, outputs read back as tfs Tensors;
//   - bare: the same ops written directly with tfjs-core on the same backend, including
//     creating the input tensor from a Float32Array and reading the output with dataSync
//     (the in-run baseline: what tfjs itself costs for this work);
// and tfs/bare (1.0 = no overhead over hand-written tfjs).
//   - tier: the same run with the plain-JS tier (src/runtime/plain-js.ts) on; the tfs column is
//     then the tfjs path (tier off, setPlainJsEnabled(false)), both measured in the same process,
//     one after the other per cell; tier/tfs < 1 is the tier's gain. `path` says which tier the
//     signature compiled to (plain-js where the tier takes it).
// Each cell also gives CPU µs per call (process.cpuUsage over the same blocks): on a shared
// machine the ratios of the CPU columns are the numbers to quote.
//
//   TFS_DIST=dist node bench/runtime-call.mjs [--seconds 1] [--backends wasm,cpu] [--batches 1,8]
//   node --cpu-prof bench/runtime-call.mjs --only tfs      (profile the run path alone)
//
// Method: warm-up (>= 200 calls and >= 0.3 s), then calls in blocks of 50 for ~--seconds;
// the median µs per call over the blocks is reported.
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const SECONDS = Number(arg('--seconds', '1'));
const BACKENDS = arg('--backends', 'wasm,cpu').split(',');
const ONLY = arg('--only', 'both');
const BATCHES = arg('--batches', '1,8').split(',').map(Number);

const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { loadSavedModelServable } = await load('src/servables/saved-model-servable.js');
const { initBackend } = await load('src/runtime/backend.js');
const { setPlainJsEnabled } = await load('src/runtime/plain-js.js');
const tf = await import('@tensorflow/tfjs-core');

/** Median wall and CPU µs per call of async fn over blocks of 50 calls. */
async function measure(fn) {
  const BLOCK = 50;
  const t0 = performance.now();
  let warm = 0;
  while (warm < 200 || performance.now() - t0 < 300) {
    await fn();
    warm++;
  }
  const per = [];
  const cpu = [];
  const t1 = performance.now();
  while (per.length < 5 || performance.now() - t1 < SECONDS * 1000) {
    const s = performance.now();
    const c = process.cpuUsage();
    for (let i = 0; i < BLOCK; i++) await fn();
    const used = process.cpuUsage(c);
    per.push(((performance.now() - s) * 1000) / BLOCK);
    cpu.push((used.user + used.system) / BLOCK);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wall: median(per), cpu: median(cpu) };
}

const NONE = { wall: NaN, cpu: NaN };
const f1 = (x, w) => x.toFixed(1).padStart(w);

const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

/** Bare tfjs versions of the two models (same op sequence the frozen graphs run). */
function bareModels() {
  const a = tf.keep(tf.scalar(0.5));
  const b = tf.keep(tf.scalar(2));
  const dims = [10, 64, 32, 1];
  const layers = [];
  for (let i = 0; i < 3; i++) {
    layers.push({ w: tf.keep(tf.tensor2d(rand(dims[i] * dims[i + 1]), [dims[i], dims[i + 1]])), bias: tf.keep(tf.tensor1d(rand(dims[i + 1]))) });
  }
  return {
    half_plus_two: (x, batch) => {
      const t = tf.tensor(x, [batch, 1], 'float32');
      const y = tf.tidy(() => tf.add(tf.mul(t, a), b));
      const out = y.dataSync().slice();
      t.dispose();
      y.dispose();
      return out;
    },
    my_model: (x, batch) => {
      const t = tf.tensor(x, [batch, 10], 'float32');
      const y = tf.tidy(() => {
        let h = t;
        for (let i = 0; i < 3; i++) {
          const { w, bias } = layers[i];
          h = tf.fused.matMul({ a: h, b: w, bias, activation: i < 2 ? 'relu' : 'sigmoid' });
        }
        return h;
      });
      const out = y.dataSync().slice();
      t.dispose();
      y.dispose();
      return out;
    },
  };
}

const MODELS = [
  { name: 'half_plus_two', dir: join(root, 'fixtures/models/half_plus_two/00000123'), input: 'x', width: 1 },
  { name: 'my_model', dir: join(root, 'fixtures/models/my_model/1'), input: 'dense_input', width: 10 },
];

console.log(`bench:runtime-call  node ${process.version}  dist=${dist}  ${SECONDS}s per cell`);
console.log('backend  model           batch  path          tier µs (cpu)     tfs µs (cpu)    bare µs (cpu)  tier/tfs cpu  tfs/bare cpu');
for (const backend of BACKENDS) {
  await initBackend(backend);
  await tf.setBackend(backend);
  const bare = bareModels();
  for (const m of MODELS) {
    const servable = await loadSavedModelServable(m.name, 1, m.dir, { backend });
    for (const batch of BATCHES) {
      const x = rand(batch * m.width);
      const inputs = { [m.input]: { dtype: 'DT_FLOAT', shape: [batch, m.width], data: x } };
      const before = tf.memory().numTensors;
      const path = servable.runtime?.executionTier?.('serving_default') ?? '?';
      setPlainJsEnabled(true);
      const tier = ONLY === 'bare' ? NONE : await measure(() => servable.run('serving_default', inputs));
      setPlainJsEnabled(false);
      const tfs = ONLY === 'bare' ? NONE : await measure(() => servable.run('serving_default', inputs));
      setPlainJsEnabled(true);
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) throw new Error(`${m.name}: ${leaked} tensors leaked by run()`);
      const b = ONLY === 'tfs' ? NONE : await measure(() => bare[m.name](x, batch));
      console.log(
        `${backend.padEnd(8)} ${m.name.padEnd(15)} ${String(batch).padStart(5)}  ${path.padEnd(13)} ${f1(tier.wall, 6)} (${f1(tier.cpu, 6)})  ${f1(tfs.wall, 6)} (${f1(tfs.cpu, 6)})  ${f1(b.wall, 6)} (${f1(b.cpu, 6)})  ${(tier.cpu / tfs.cpu).toFixed(2).padStart(12)}  ${(tfs.cpu / b.cpu).toFixed(2).padStart(12)}`,
      );
    }
    await servable.dispose();
  }
}
