#!/usr/bin/env node
// npm run bench:wasm-threads — the wasm backend single-threaded vs the threaded SIMD build
// (--tensorflow_intra_op_parallelism), perf_mlp and small_cnn at batch 1/8/32/128.
//
// Each round runs bench/runtime.mjs twice in fresh processes, alternating which goes first:
// BENCH_WASM_THREADS=1 and BENCH_WASM_THREADS=N (N = BENCH_THREADS, default 2). Per cell it
// prints the per-round medians of both (median [min-max] over rounds), the speed-up
// single/threaded (median [min-max] of the per-round ratios, so load drift between rounds
// cancels), and threaded / TensorFlow's default-threads time from tf-cpu-timings.md. It also
// times initBackend('wasm') in a fresh process per round (start-up cost of the threaded build's
// 8 preallocated pthread workers) and the process RSS after it.
// Environment: BENCH_ROUNDS (default 3), BENCH_THREADS, BENCH_SECONDS (per cell, default 0.5),
// BENCH_MODELS (default perf_mlp,small_cnn); TFS_DIST / TFS_SHARED_DIR as bench/runtime.mjs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./runtime.mjs', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const env = {
  ...process.env,
  BENCH_BACKENDS: 'wasm',
  BENCH_MODELS: process.env.BENCH_MODELS ?? 'perf_mlp,small_cnn',
  BENCH_SECONDS: process.env.BENCH_SECONDS ?? '0.5',
};

/** One runtime.mjs run: model → batch → { ms, tfDefault }. */
function run(threads) {
  const out = execFileSync(process.execPath, [script], { env: { ...env, BENCH_WASM_THREADS: String(threads) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const cells = {};
  for (const line of out.split('\n')) {
    const c = line.split('|').map((s) => s.trim());
    if (c.length < 11 || !/^\d+$/.test(c[2] ?? '')) continue;
    (cells[c[1]] ??= {})[c[2]] = { ms: Number(c[4]), tf: Number(c[9]) };
  }
  return cells;
}

/** initBackend('wasm') in a fresh process (this script with --startup): ms and RSS MiB after. */
function startup(threads) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--startup', String(threads)], { encoding: 'utf8' });
  return JSON.parse(out);
}
if (process.argv[2] === '--startup') {
  const dist = process.env.TFS_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
  const { initBackend, wasmThreads } = await import(new URL(`file://${dist}/src/runtime/backend.js`).href);
  const t0 = performance.now();
  await initBackend('wasm', { wasmThreads: Number(process.argv[3]) });
  console.log(JSON.stringify({ ms: performance.now() - t0, rss: process.memoryUsage().rss / 2 ** 20, threads: wasmThreads() }));
  process.exit(0);
}

const rounds = [];
const starts = { 1: [], [THREADS]: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [1, THREADS] : [THREADS, 1];
  const got = {};
  for (const t of order) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}: ${t} thread(s)\n`);
    got[t] = run(t);
    starts[t].push(startup(t));
  }
  rounds.push(got);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs, d = 3) => `${median(xs).toFixed(d)} [${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}]`;
console.log(`\nbench:wasm-threads — ${ROUNDS} rounds, wasm 1 thread vs ${THREADS} threads (ms per ServableRun call; median [min-max] over rounds)\n`);
console.log(`| model | batch | 1 thread ms | ${THREADS} threads ms | speed-up 1t/${THREADS}t | TF default ms | ${THREADS}t / TF |`);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [model, batches] of Object.entries(rounds[0][1])) {
  for (const batch of Object.keys(batches)) {
    const one = rounds.map((g) => g[1][model][batch].ms);
    const many = rounds.map((g) => g[THREADS][model][batch].ms);
    const tf = rounds[0][THREADS][model][batch].tf;
    const ratios = one.map((o, i) => o / many[i]);
    const vsTf = many.map((m) => m / tf);
    console.log(`| ${model} | ${batch} | ${span(one)} | ${span(many)} | ${span(ratios, 2)} | ${Number.isFinite(tf) ? tf.toFixed(3) : 'n/a'} | ${Number.isFinite(tf) ? span(vsTf, 2) : 'n/a'} |`);
  }
}

console.log(`\n| initBackend('wasm') | 1 thread | ${THREADS} threads |\n| --- | ---: | ---: |`);
console.log(`| ms | ${span(starts[1].map((s) => s.ms), 0)} | ${span(starts[THREADS].map((s) => s.ms), 0)} |`);
console.log(`| RSS MiB after | ${span(starts[1].map((s) => s.rss), 0)} | ${span(starts[THREADS].map((s) => s.rss), 0)} |`);
