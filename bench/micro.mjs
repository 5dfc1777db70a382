#!/usr/bin/env node
// npm run bench:micro -- per-call cost of the request path's pure-JS pieces, old build vs new.
//
// Cases (ns per call, or per value where named):
//   parse.*    parseJson on request bodies: half_plus_two, my_model (5x10), perf_mlp batch 128
//              (128x784), and a mixed body (strings with escapes, objects, b64, integers);
//   decode.*   parseRequestBody + predictInputsFromJson to a DT_FLOAT tensor (the whole inline
//              REST decode): half_plus_two, my_model, perf_mlp one row and 128 rows of float32
//              values printed as doubles (up to 17 digits, as numpy's tolist() sends them), and
//              perf_mlp_int (one row of small integers, e.g. pixel values);
//   float32    formatDecimal(v, true) over random float32 outputs, per value;
//   response   predictResponseJson of a 128x10 float32 output (row format);
//   metrics    one request's metrics: recordRequest (OK) + observeRuntime.
// Each case runs in a fresh child process per build (its own JIT warm-up), timed in process CPU
// time (not wall time, which preemption inflates on a busy machine); builds alternate for
// --rounds, and the best time of each is kept: on a busy machine the minimum is the steadiest. With --baseline <dir> (the root of another checkout with its own dist/,
// e.g. a `git worktree` of main after `npx tsc`), every case is run on both and the ratio
// new/baseline is printed (< 1: the new build is faster).
//
//   node bench/micro.mjs [--baseline ../tfs-main] [--rounds 5] [--only parse] [--json]
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);

if (args[0] === '--child') await child(args[1], args[2]);
else await main();

async function main() {
  const baseline = opt('baseline', '');
  const rounds = Math.max(1, Math.min(20, Number(opt('rounds', '5'))));
  const only = opt('only', '');
  const builds = [['new', root]];
  if (baseline) builds.push(['baseline', resolve(baseline)]);
  const cases = ['parse.half_plus_two', 'parse.my_model', 'parse.perf_mlp_128', 'parse.mixed', 'decode.half_plus_two', 'decode.my_model', 'decode.perf_mlp_1', 'decode.perf_mlp_128', 'decode.perf_mlp_int', 'float32', 'response', 'metrics'].filter((c) => c.includes(only));
  const rows = [];
  for (const c of cases) {
    const best = {};
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always runs on a warmer machine.
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const [label, dir] of order) {
        const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir, c], { encoding: 'utf8' });
        const ns = Number(JSON.parse(out).ns);
        best[label] = Math.min(best[label] ?? Infinity, ns);
      }
    }
    const row = { case: c, new: best.new, ...(baseline ? { baseline: best.baseline, ratio: best.new / best.baseline } : {}) };
    rows.push(row);
    if (!args.includes('--json')) {
      const ratio = baseline ? `  baseline ${fmt(best.baseline)}  new/baseline ${row.ratio.toFixed(2)}` : '';
      console.log(`${c.padEnd(22)} new ${fmt(best.new)}${ratio}`);
    }
  }
  if (args.includes('--json')) console.log(JSON.stringify({ rounds, baseline, rows }, null, 1));
}

function fmt(ns) {
  return ns >= 10000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`;
}

/** Deterministic pseudo-random numbers (Park-Miller), so both builds see the same inputs. */
function rng(seed = 1) {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

function bodies() {
  const r = rng();
  const row = (n) => Array.from({ length: n }, () => r() * 2 - 1);
  const f32row = (n) => Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  return {
    'decode.half_plus_two': Buffer.from(JSON.stringify({ instances: [[2.0]] })),
    'decode.my_model': Buffer.from(JSON.stringify({ instances: Array.from({ length: 5 }, () => f32row(10)) })),
    'decode.perf_mlp_1': Buffer.from(JSON.stringify({ instances: [f32row(784)] })),
    'decode.perf_mlp_128': Buffer.from(JSON.stringify({ instances: Array.from({ length: 128 }, () => f32row(784)) })),
    'decode.perf_mlp_int': Buffer.from(JSON.stringify({ instances: [Array.from({ length: 784 }, () => Math.floor(r() * 256))] })),
    'parse.half_plus_two': Buffer.from(JSON.stringify({ instances: [[2.0]] })),
    'parse.my_model': Buffer.from(JSON.stringify({ instances: Array.from({ length: 5 }, () => row(10)) })),
    'parse.perf_mlp_128': Buffer.from(JSON.stringify({ instances: Array.from({ length: 128 }, () => row(784)) })),
    'parse.mixed': Buffer.from(
      JSON.stringify({
        signature_name: 'serving_default',
        instances: Array.from({ length: 32 }, (_, i) => ({ text: `line\n"${i}" é`, ids: [i, i * 7919, -3], img: { b64: 'aGVsbG8=' }, w: 0.25 })),
      }),
    ),
  };
}

/** This process's CPU time (user + system) in ns: unlike wall time, not inflated by preemption on a busy machine. */
function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * Runs `fn` for about `ms` of CPU after a warm-up of as long; the best of 5 slices, in ns per
 * call (per `per` units).
 */
function measure(fn, per = 1, ms = 500) {
  // Calls per clock read, so that reading the clock (a system call) costs < 1% of a batch.
  let batch = 1;
  for (let t0 = cpuNs(); cpuNs() - t0 < 2e6; batch *= 2) for (let i = 0; i < batch; i++) fn();
  const slice = (limit) => {
    let n = 0;
    const t0 = cpuNs();
    let t = t0;
    while (t - t0 < limit * 1e6) {
      for (let i = 0; i < batch; i++) fn();
      n += batch;
      t = cpuNs();
    }
    return (t - t0) / n / per;
  };
  slice(ms);
  let best = Infinity;
  for (let i = 0; i < 5; i++) best = Math.min(best, slice(ms / 5));
  return best;
}

async function child(dir, c) {
  const imp = (p) => import(pathToFileURL(join(dir, 'dist', p)).href);
  let ns;
  if (c.startsWith('parse.')) {
    const { parseJson } = await imp('src/tensor/json-parser.js');
    const body = bodies()[c];
    ns = measure(() => parseJson(body));
  } else if (c.startsWith('decode.')) {
    const { parseRequestBody, predictInputsFromJson } = await imp('src/tensor/json-tensor.js');
    const body = bodies()[c];
    const width = c === 'decode.half_plus_two' ? 1 : c === 'decode.my_model' ? 10 : 784;
    const specs = { x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1, width] } };
    ns = measure(() => predictInputsFromJson(parseRequestBody(body), specs));
  } else if (c === 'float32') {
    const { formatDecimal } = await imp('src/tensor/json-writer.js');
    const r = rng(7);
    const values = Float32Array.from({ length: 4096 }, () => (r() * 2 - 1) * 10 ** Math.floor(r() * 6 - 3));
    let sink = 0;
    ns = measure(() => {
      for (let i = 0; i < values.length; i++) sink += formatDecimal(values[i], true).length;
    }, values.length);
    if (sink < 0) console.error(sink);
  } else if (c === 'response') {
    const { predictResponseJson } = await imp('src/tensor/json-tensor.js');
    const r = rng(11);
    const out = { dense: { dtype: 'DT_FLOAT', shape: [128, 10], data: Float32Array.from({ length: 1280 }, () => r()) } };
    ns = measure(() => predictResponseJson(out, 'row'), 1, 600);
  } else if (c === 'metrics') {
    const { Registry } = await import('prom-client');
    const { createMetrics } = await imp('src/metrics/metrics.js');
    const m = createMetrics(new Registry(), { defaultMetrics: false });
    let i = 0;
    ns = measure(() => {
      const latencyMicros = 100 + (i++ % 1000);
      m.observeRuntime({ modelName: 'my_model', api: 'Predict', latencyMicros });
      m.recordRequest({ modelName: 'my_model', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros });
    });
  } else {
    throw new Error(`unknown case ${c}`);
  }
  process.stdout.write(JSON.stringify({ ns }));
}
