#!/usr/bin/env node
// npm run bench:runtime — speed of the embedded runtime on the zoo models.
//
// For seed_mlp, perf_mlp and small_cnn (../shared/fixtures/zoo) at batch 1, 8, 32, 128 on
// the wasm and cpu backends it prints, per cell:
//   - tfs: ms per call of ServableRun (loadSavedModelServable + run(): input checks, tensor
//     conversion, the frozen graph on tfjs, outputs read back) and the GFLOP/s that gives;
//   - bare: the same layers written directly with tfjs ops on the same backend, inputs
//     pre-built (the in-run baseline: what the backend's kernels alone cost), and tfs/bare;
//   - TF: TensorFlow's own 1-thread CPU time from ../shared/docs/tf-cpu-timings.md, and
//     tfs/TF (>1 = slower than TensorFlow per core).
// With the native addon built (tfs native install; $TFS_NATIVE_DIR), BENCH_BACKENDS may name
// `native` (the default adds it when the addon is there): TensorFlow's own runtime through
// loadNativeServable, with bare = the addon's session run called directly on a session of the
// same model and config (what the servable adds over TF_SessionRun), and TF = TensorFlow's
// Python time at the same threading. BENCH_NATIVE_THREADS=1 runs the session with 1 intra- and
// 1 inter-op thread (TF's pools are per process: one threading mode per run), default 0 = TF's.
//
// With a Python that has TensorFlow (--python PY, or $TFS_PYTHON), the native rows also get
// TensorFlow's Python timing measured in the same run (the `py` columns): a Python child loads
// the same SavedModel with tf.saved_model.load and times signatures['serving_default'](**feed)
// on pre-built tf.constant inputs, as tf-cpu-timings.md does, with the same thread settings
// (tf.config.threading, before TF starts). Each cell then runs BENCH_ROUNDS rounds (default 3),
// each round timing Python, then tfs and bare interleaved, so a load change hits both sides
// within seconds; it prints the median of the round medians and the range of the per-round
// tfs/py ratios. The doc's numbers stay as the fallback column when no Python is given.
// Method as in tf-cpu-timings.md: warm-up (>= 20 calls and >= 0.5 s), then timed calls for
// ~1 s (at least 5, at most 3000); medians and p10-p90 over the timed calls. The native tfs
// and bare calls are timed interleaved (measurePairAsync), so their ratio is not load drift.
// BENCH_WASM_THREADS=N (N > 1) runs wasm on the threaded SIMD build with N threads (row label
// `wasm Nt`, TF = TensorFlow's default-threads time); bench/wasm-threads.mjs alternates it with
// the single-threaded build in rounds. BENCH_MODELS=a,b limits the models, BENCH_BATCHES=a,b
// the batch sizes.
// With --python, the wasm and cpu rows get the same-run `py` columns too: TensorFlow at 1
// thread for single-threaded rows, at its default threads for `wasm Nt` rows. Issue 20's check
// (perf_mlp and small_cnn at batch 128 within 1.7x of TensorFlow's default-thread time), as a
// ratio that holds on a loaded machine:
//   BENCH_WASM_THREADS=2 BENCH_BACKENDS=wasm BENCH_MODELS=perf_mlp,small_cnn BENCH_BATCHES=128 \
//     npm run bench:runtime -- --python /work/venv-tf/bin/python
// BENCH_GEMM_AB=1 times each wasm cell twice in the same run: first with tfs's GEMM off (row
// label `... xnn`: tfjs's XNNPACK MatMul and convolutions), then on (runtime/wasm-gemm.ts and
// wasm-conv.ts; TFS_WASM_GEMM=0 turns both off for the whole run instead, TFS_WASM_CONV=0 only
// the convolutions), and prints the on/off ratios. BENCH_CONV_AB=1 adds a third side between
// them, row label `... noconv`: the GEMM on for the MatMuls but the convolutions on XNNPACK
// (setWasmConv(false)), and prints all-on / noconv (what the convolutions on the GEMM gain).
// Environment: TFS_DIST (build dir, default dist), TFS_SHARED_DIR, BENCH_SECONDS (per cell).
// TFS_WASM_POOL=0 runs wasm's MaxPool the old way (readSync + NaN scan, then XNNPACK; see
// src/runtime/wasm-pool.ts): run the command twice, with and without it, to compare.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const shared = resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'));
const zoo = join(shared, 'fixtures', 'zoo');
if (!existsSync(zoo)) {
  console.error(`bench:runtime needs the zoo models at ${zoo} (set TFS_SHARED_DIR)`);
  process.exit(1);
}
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { loadSavedModelServable } = await load('src/servables/saved-model-servable.js');
const { initBackend } = await load('src/runtime/backend.js');
const { loadNativeServable } = await load('src/servables/native-servable.js');
const { tryLoadNativeAddon } = await load('src/native/addon.js');
const { sessionConfigBytes } = await load('src/native/session-config.js');
const tf = await import('@tensorflow/tfjs-core');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const WASM_THREADS = Number(process.env.BENCH_WASM_THREADS ?? 1);
const BATCHES = (process.env.BENCH_BATCHES ?? '1,8,32,128').split(',').map(Number);
const native = tryLoadNativeAddon();
const BACKENDS = (process.env.BENCH_BACKENDS ?? ('addon' in native ? 'wasm,cpu,native' : 'wasm,cpu')).split(',');
const NATIVE_THREADS = Number(process.env.BENCH_NATIVE_THREADS ?? 0);
const argv = process.argv.slice(2);
const PYTHON = argv.includes('--python') ? argv[argv.indexOf('--python') + 1] : process.env.TFS_PYTHON;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (PYTHON ? 3 : 1));
if (BACKENDS.includes('native') && !('addon' in native)) {
  console.error(`bench:runtime: ${native.reason.message}`);
  process.exit(1);
}

// Multiply-accumulates per example (FLOP = 2 x MAC), from the layer shapes in zoo/README.md.
const MODELS = {
  // Dense 10→64→32→1
  seed_mlp: { input: [10], macs: 10 * 64 + 64 * 32 + 32 * 1, layers: 'mlp', dims: [10, 64, 32, 1], acts: ['relu', 'relu', 'sigmoid'] },
  // Dense 784→512→512→10
  perf_mlp: { input: [784], macs: 784 * 512 + 512 * 512 + 512 * 10, layers: 'mlp', dims: [784, 512, 512, 10], acts: ['relu', 'relu', 'softmax'] },
  // Conv 3x3x1x16 on 26x26, Conv 3x3x16x32 on 11x11, Dense 800→10
  small_cnn: { input: [28, 28, 1], macs: 26 * 26 * 16 * 9 + 11 * 11 * 32 * 9 * 16 + 800 * 10, layers: 'cnn' },
};
if (process.env.BENCH_MODELS) {
  const keep = process.env.BENCH_MODELS.split(',');
  for (const m of Object.keys(MODELS)) if (!keep.includes(m)) delete MODELS[m];
}

/** TF's medians from tf-cpu-timings.md: model → batch → ms (1-thread column, or the default one). */
function tfTimings(column = 7) {
  const out = {};
  const file = join(shared, 'docs', 'tf-cpu-timings.md');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 12 || !(cells[1] in MODELS)) continue;
    const [model, batch, oneThread] = [cells[1], Number(cells[2]), Number(cells[column])];
    (out[model] ??= {})[batch] = oneThread;
  }
  return out;
}

// measure() and measureAsync() share their loop rules and statistics; they differ only in
// awaiting fn (awaiting a synchronous call would add a microtask to every sample).
const warming = (t0, warm) => (warm < 20 || performance.now() - t0 < 500) && performance.now() - t0 <= 20000;
const sampling = (t1, times) => times.length < 5 || (performance.now() - t1 < SECONDS * 1000 && times.length < 3000);
function stats(times) {
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), n: times.length };
}

function measure(fn) {
  const t0 = performance.now();
  for (let warm = 0; warming(t0, warm); warm++) fn();
  const times = [];
  const t1 = performance.now();
  while (sampling(t1, times)) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  return stats(times);
}

async function measureAsync(fn) {
  // run() is async but completes without waiting on I/O; time it per call the same way.
  const t0 = performance.now();
  for (let warm = 0; warming(t0, warm); warm++) await fn();
  const times = [];
  // Process CPU time (all threads: the wasm build's pthreads too) per timed call, in ms.
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  while (sampling(t1, times)) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  const c = process.cpuUsage(c0);
  return { ...stats(times), cpu: (c.user + c.system) / 1000 / times.length };
}

/**
 * Two async calls timed interleaved (a, b, then b, a, ...), so both see the same machine load
 * and neither always runs right after the other: on a shared machine, timing them one after the
 * other lets load drift between the two phases skew their ratio by more than what is measured.
 */
async function measurePairAsync(a, b) {
  const t0 = performance.now();
  for (let warm = 0; warming(t0, warm); warm++) {
    await a();
    await b();
  }
  const ta = [];
  const tb = [];
  // Process CPU time (all threads: the event loop, libuv's pool, TensorFlow's pools) per side.
  const cpu = new Map([[ta, 0], [tb, 0]]);
  const t1 = performance.now();
  const timed = async (fn, into) => {
    const c = process.cpuUsage();
    const s = performance.now();
    await fn();
    into.push(performance.now() - s);
    const d = process.cpuUsage(c);
    cpu.set(into, cpu.get(into) + (d.user + d.system) / 1000);
  };
  while (sampling(t1, ta)) {
    if (ta.length % 2 === 0) {
      await timed(a, ta);
      await timed(b, tb);
    } else {
      await timed(b, tb);
      await timed(a, ta);
    }
  }
  const cpuA = cpu.get(ta) / ta.length;
  const cpuB = cpu.get(tb) / tb.length;
  return [{ ...stats(ta), cpu: cpuA }, { ...stats(tb), cpu: cpuB }];
}

/** The model's layers with bare tfjs ops and random weights of the same shapes. */
function bareModel(spec) {
  const rnd = (shape) => tf.keep(tf.randomNormal(shape, 0, 0.05));
  if (spec.layers === 'mlp') {
    const ws = [];
    for (let i = 0; i + 1 < spec.dims.length; i++) ws.push([rnd([spec.dims[i], spec.dims[i + 1]]), rnd([spec.dims[i + 1]])]);
    const act = { relu: tf.relu, sigmoid: tf.sigmoid, softmax: tf.softmax };
    return {
      run: (x) => tf.tidy(() => ws.reduce((h, [w, b], i) => act[spec.acts[i]](tf.add(tf.matMul(h, w), b)), x)),
      dispose: () => ws.flat().forEach((t) => t.dispose()),
    };
  }
  const k1 = rnd([3, 3, 1, 16]), b1 = rnd([16]), k2 = rnd([3, 3, 16, 32]), b2 = rnd([32]), w3 = rnd([800, 10]), b3 = rnd([10]);
  return {
    run: (x) =>
      tf.tidy(() => {
        let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, k1, 1, 'valid'), b1)), 2, 2, 'valid');
        h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, k2, 1, 'valid'), b2)), 2, 2, 'valid');
        return tf.softmax(tf.add(tf.matMul(tf.reshape(h, [-1, 800]), w3), b3));
      }),
    dispose: () => [k1, b1, k2, b2, w3, b3].forEach((t) => t.dispose()),
  };
}

const tfMs = tfTimings();
const tfDefaultMs = tfTimings(3);
const rows = [];

// TensorFlow's Python, timed as tf-cpu-timings.md does: one JSON request per line on stdin
// ({dir, shape, seconds}), one JSON answer per line on stdout ({median, p10, p90, n} and cpu,
// the process CPU time per timed call, in ms).
// Warm-up and sampling follow this file's warming()/sampling() rules.
const PY_TIMER = `
import json, os, sys, time
threads = int(sys.argv[1])
import numpy as np, tensorflow as tf
if threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
loaded = {}
print(json.dumps({"ready": tf.__version__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req["dir"] not in loaded:
        m = tf.saved_model.load(req["dir"])
        loaded[req["dir"]] = (m, m.signatures["serving_default"])
    fn = loaded[req["dir"]][1]
    name = list(fn.structured_input_signature[1].keys())[0]
    feed = {name: tf.constant(np.random.default_rng(0).random(req["shape"], dtype=np.float32))}
    t0 = time.perf_counter(); warm = 0
    while (warm < 20 or time.perf_counter() - t0 < 0.5) and time.perf_counter() - t0 <= 20:
        fn(**feed); warm += 1
    times = []; cpu = 0.0; t1 = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - t1 < req["seconds"] and len(times) < 3000):
        c = time.process_time(); s = time.perf_counter(); fn(**feed)
        times.append((time.perf_counter() - s) * 1000); cpu += time.process_time() - c
    times.sort(); q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(json.dumps({"median": q(0.5), "p10": q(0.1), "p90": q(0.9), "n": len(times), "cpu": cpu * 1000 / len(times)}), flush=True)
`;

/** A Python child with TensorFlow at `threads` (0 = TF's default); time(dir, shape) measures one cell. */
async function pythonTimer(python, threads) {
  const child = spawn(python, ['-c', PY_TIMER, String(threads)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the Python timer (${python}) exited: ${stderr}`);
    return JSON.parse(value);
  };
  const { ready } = await next();
  return {
    version: ready,
    time: (dir, shape) => {
      child.stdin.write(`${JSON.stringify({ dir, shape, seconds: SECONDS })}\n`);
      return next();
    },
    close: () => child.kill(),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The native rows: loadNativeServable().run() against the addon's bare session run, and, with
 * a Python, against TensorFlow's Python in the same rounds.
 */
async function benchNative() {
  const { addon } = native;
  const threads = { intraOpParallelism: NATIVE_THREADS, interOpParallelism: NATIVE_THREADS };
  const label = NATIVE_THREADS > 0 ? `native ${NATIVE_THREADS}t` : 'native';
  const py = PYTHON ? await pythonTimer(PYTHON, NATIVE_THREADS) : undefined;
  try {
    for (const [name, spec] of Object.entries(MODELS)) {
      const dir = join(zoo, name, '1');
      const servable = await loadNativeServable(name, 1, dir, { session: threads });
      const session = await addon.load(dir, ['serve'], sessionConfigBytes(threads));
      const sig = servable.signatures.get('serving_default');
      const alias = Object.keys(sig.inputs)[0];
      const fetches = [...new Set(Object.values(sig.outputs).map((o) => o.name))];
      for (const batch of BATCHES) {
        const shape = [batch, ...spec.input];
        const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.random());
        const rounds = [];
        for (let r = 0; r < ROUNDS; r++) {
          const pyStats = py ? await py.time(dir, shape) : undefined;
          const [ours, base] = await measurePairAsync(
            () => servable.run('serving_default', { [alias]: { dtype: 'DT_FLOAT', shape, data } }),
            () => addon.run(session, [[sig.inputs[alias].name, 1, shape, data]], fetches, []),
          );
          rounds.push({ ours, base, py: pyStats });
        }
        const ms = median(rounds.map((r) => r.ours.median));
        const last = rounds[rounds.length - 1].ours;
        const pyRatios = py ? rounds.map((r) => r.ours.median / r.py.median) : [];
        const cpuRatios = py ? rounds.map((r) => r.ours.cpu / r.py.cpu) : [];
        rows.push({
          model: name, batch, backend: label, ms, p10: last.p10, p90: last.p90, n: rounds.reduce((a, r) => a + r.ours.n, 0),
          gflops: (2 * spec.macs * batch) / (ms * 1e6), bareMs: median(rounds.map((r) => r.base.median)),
          tfMs: (NATIVE_THREADS === 1 ? tfMs : tfDefaultMs)[name]?.[batch],
          pyMs: py ? median(rounds.map((r) => r.py.median)) : undefined,
          pyRatio: py ? median(pyRatios) : undefined, pyRange: py ? [Math.min(...pyRatios), Math.max(...pyRatios)] : undefined,
          cpuMs: median(rounds.map((r) => r.ours.cpu)), pyCpuMs: py ? median(rounds.map((r) => r.py.cpu)) : undefined,
          cpuRatio: py ? median(cpuRatios) : undefined, cpuRange: py ? [Math.min(...cpuRatios), Math.max(...cpuRatios)] : undefined,
        });
        const row = rows[rows.length - 1];
        process.stderr.write(`${name} b=${batch} ${label}: ${ms.toFixed(3)} ms, bare ${row.bareMs.toFixed(3)} ms${py ? `, python ${row.pyMs.toFixed(3)} ms` : ''} (${ROUNDS} round(s))\n`);
      }
      addon.close(session);
      await servable.dispose();
    }
  } finally {
    py?.close();
  }
  return py?.version;
}

let pyVersion;
/** Python timers by TensorFlow thread setting (1, or 0 = TF's default), started on first use. */
const pyTimers = new Map();
async function pyTimer(threads) {
  if (!PYTHON) return undefined;
  if (!pyTimers.has(threads)) pyTimers.set(threads, await pythonTimer(PYTHON, threads));
  const t = pyTimers.get(threads);
  pyVersion = t.version;
  return t;
}

/**
 * One wasm/cpu cell: ROUNDS rounds, each timing TensorFlow's Python first (when --python is
 * given; 1 thread for single-threaded rows, TF's default threads for `wasm Nt`), then
 * tfs, then bare; medians of the round medians, and the per-round tfs/py ratios.
 */
async function embeddedCell(name, spec, servable, bare, backend, prev, batch) {
  const sig = servable.signatures.get('serving_default');
  const alias = Object.keys(sig.inputs)[0];
  const shape = [batch, ...spec.input];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => Math.random());
  const input = { [alias]: { dtype: 'DT_FLOAT', shape, data } };
  const threaded = label(backend) !== backend;
  const py = await pyTimer(threaded ? 0 : 1);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const pyStats = py ? await py.time(join(zoo, name, '1'), shape) : undefined;
    await tf.setBackend(prev);
    const ours = await measureAsync(() => servable.run('serving_default', input));
    await tf.setBackend(backend);
    const x = tf.tensor(data, shape);
    const base = measure(() => {
      const y = bare.run(x);
      y.dataSync();
      y.dispose();
    });
    x.dispose();
    rounds.push({ ours, base, py: pyStats });
  }
  const ms = median(rounds.map((r) => r.ours.median));
  const last = rounds[rounds.length - 1].ours;
  const pyRatios = py ? rounds.map((r) => r.ours.median / r.py.median) : [];
  const cpuRatios = py ? rounds.map((r) => r.ours.cpu / r.py.cpu) : [];
  return {
    model: name, batch, backend: label(backend), ms, p10: last.p10, p90: last.p90, n: rounds.reduce((a, r) => a + r.ours.n, 0),
    gflops: (2 * spec.macs * batch) / (ms * 1e6), bareMs: median(rounds.map((r) => r.base.median)),
    tfMs: (threaded ? tfDefaultMs : tfMs)[name]?.[batch],
    pyMs: py ? median(rounds.map((r) => r.py.median)) : undefined,
    pyRatio: py ? median(pyRatios) : undefined, pyRange: py ? [Math.min(...pyRatios), Math.max(...pyRatios)] : undefined,
    cpuMs: median(rounds.map((r) => r.ours.cpu)), pyCpuMs: py ? median(rounds.map((r) => r.py.cpu)) : undefined,
    cpuRatio: py ? median(cpuRatios) : undefined, cpuRange: py ? [Math.min(...cpuRatios), Math.max(...cpuRatios)] : undefined,
  };
}

await initBackend('wasm', { wasmThreads: WASM_THREADS });
const { wasmThreads } = await load('src/runtime/backend.js');
const { setWasmGemm, setWasmConv } = await load('src/runtime/wasm-gemm.js');
const GEMM_AB = process.env.BENCH_GEMM_AB === '1';
const CONV_AB = process.env.BENCH_CONV_AB === '1';
/** The wasm sides each cell is timed with: [GEMM on, convolutions on, row label suffix]. */
const SIDES = [...(GEMM_AB ? [[false, false, ' xnn']] : []), ...(CONV_AB ? [[true, false, ' noconv']] : []), [true, true, '']];
const label = (backend) => (backend === 'wasm' && wasmThreads() > 1 ? `wasm ${wasmThreads()}t` : backend);
for (const backend of BACKENDS) {
  if (backend === 'native') {
    pyVersion = await benchNative();
    continue;
  }
  await initBackend(backend);
  for (const [name, spec] of Object.entries(MODELS)) {
    const servable = await loadSavedModelServable(name, 1, join(zoo, name, '1'), { backend });
    const prev = tf.getBackend();
    await tf.setBackend(backend);
    const bare = bareModel(spec);
    for (const batch of BATCHES) {
      for (const [gemm, conv, suffix] of backend === 'wasm' ? SIDES : [[true, true, '']]) {
        setWasmGemm(gemm);
        setWasmConv(conv);
        const r = await embeddedCell(name, spec, servable, bare, backend, prev, batch);
        r.backend += suffix;
        rows.push(r);
        process.stderr.write(`${name} b=${batch} ${r.backend}: ${r.ms.toFixed(3)} ms (${r.n} calls)${r.pyMs !== undefined ? `, python ${r.pyMs.toFixed(3)} ms` : ''}\n`);
      }
      setWasmGemm(true);
      setWasmConv(true);
    }
    bare.dispose();
    await tf.setBackend(prev);
    await servable.dispose();
  }
}

for (const t of pyTimers.values()) t.close();

const f = (v, d = 3) => (v === undefined ? 'n/a' : v.toFixed(d));
console.log(`\nbench:runtime — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${new Date().toISOString()}`);
console.log('tfs = loadSavedModelServable().run(); bare = same layers as raw tfjs ops, same backend; TF = TensorFlow 1-thread (tf-cpu-timings.md; default threads for `wasm Nt`)');
console.log(`native = loadNativeServable().run() (TensorFlow ${'addon' in native ? native.addon.version() : 'n/a'}, ${NATIVE_THREADS > 0 ? `${NATIVE_THREADS} thread(s)` : 'default threads'}); its bare = the addon's session run called directly; its TF = TensorFlow's ${NATIVE_THREADS === 1 ? '1-thread' : 'default-threads'} time\n`);
const py = pyVersion !== undefined;
if (py) {
  console.log(`py = TensorFlow ${pyVersion} in Python (${PYTHON}), same run, same threads: tf.saved_model.load + signatures['serving_default'](**feed); median of ${ROUNDS} round medians;`);
  console.log('tfs / py = median [min-max] of the per-round ratios of wall-clock medians; cpu = process CPU time per call (all threads), less sensitive to other load\n');
}
console.log(`| model | batch | backend | tfs ms (median) | tfs p10-p90 | tfs GFLOP/s | bare ms | tfs / bare | TF ms | tfs / TF |${py ? ' py ms | tfs / py | tfs cpu ms | py cpu ms | cpu tfs / py |' : ''}`);
console.log(`| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${py ? ' ---: | ---: | ---: | ---: | ---: |' : ''}`);
const range = (m, r) => `${f(m, 2)} [${f(r[0], 2)}-${f(r[1], 2)}]`;
for (const r of rows) {
  const pyCells = !py ? '' : r.pyMs === undefined ? ' | | | | |' : ` ${f(r.pyMs)} | ${range(r.pyRatio, r.pyRange)} | ${f(r.cpuMs)} | ${f(r.pyCpuMs)} | ${range(r.cpuRatio, r.cpuRange)} |`;
  console.log(
    `| ${r.model} | ${r.batch} | ${r.backend} | ${f(r.ms)} | ${f(r.p10)}-${f(r.p90)} | ${f(r.gflops, 2)} | ${f(r.bareMs)} | ${f(r.ms / r.bareMs, 2)} | ${f(r.tfMs)} | ${r.tfMs ? f(r.ms / r.tfMs, 2) : 'n/a'} |${pyCells}`,
  );
}

if (GEMM_AB) {
  console.log('\ntfs GEMM on / off (XNNPACK), same run (wall ms; cpu ms):');
  for (const r of rows.filter((x) => x.backend.endsWith(' xnn'))) {
    const on = rows.find((x) => x.model === r.model && x.batch === r.batch && x.backend === r.backend.slice(0, -4));
    if (on) console.log(`  ${r.model} b=${r.batch} ${on.backend}: ${f(on.ms)} / ${f(r.ms)} = ${f(on.ms / r.ms, 2)}x; cpu ${f(on.cpuMs)} / ${f(r.cpuMs)} = ${f(on.cpuMs / r.cpuMs, 2)}x`);
  }
}
if (CONV_AB) {
  console.log('\nconvolutions on the GEMM / on XNNPACK (MatMuls on the GEMM both times), same run (wall ms; cpu ms):');
  for (const r of rows.filter((x) => x.backend.endsWith(' noconv'))) {
    const on = rows.find((x) => x.model === r.model && x.batch === r.batch && x.backend === r.backend.slice(0, -7));
    if (on) console.log(`  ${r.model} b=${r.batch} ${on.backend}: ${f(on.ms)} / ${f(r.ms)} = ${f(on.ms / r.ms, 2)}x; cpu ${f(on.cpuMs)} / ${f(r.cpuMs)} = ${f(on.cpuMs / r.cpuMs, 2)}x`);
  }
}

// Issue 20's goal for the embedded runtime: batch 128 within 1.7x of TensorFlow's default threads.
const goal = rows.filter((r) => r.batch === 128 && /^wasm \d+t$/.test(r.backend) && ['perf_mlp', 'small_cnn'].includes(r.model));
if (goal.length > 0) {
  console.log('\nbatch 128 on the threaded wasm build against TensorFlow\'s default threads (goal <= 1.7x):');
  for (const r of goal) {
    const same = r.pyRatio !== undefined ? `, same run ${range(r.pyRatio, r.pyRange)}x (py ${f(r.pyMs)} ms)` : '';
    console.log(`  ${r.model} ${r.backend}: ${f(r.ms)} ms; vs tf-cpu-timings.md ${r.tfMs ? f(r.ms / r.tfMs, 2) : 'n/a'}x${same}`);
  }
}
