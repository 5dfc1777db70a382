#!/usr/bin/env node
// npm run soak -- a bounded soak of a real `tfs serve` on 127.0.0.1: mixed REST and gRPC
// predicts plus model config reloads, then RSS and live runtime tensors at the start (after
// warm-up) against the end, in the same config state.
//
//   npm run soak -- [--seconds 180] [--concurrency 8] [--reload-seconds 3]
//                   [--max-rss-growth 0.1] [--max-tensor-growth 0] [--json]
//                   [--node-option --heap-growing-percent=30]   (one node/V8 flag for the server)
//
// The server (bin/run.js serve, a child process) serves half_plus_two and my_model, with
// the config file polled every second. Every --reload-seconds the script rewrites it,
// switching my_model between "versions 1 and 2" and "version 2 only", so version 1 is loaded and unloaded over and over. Traffic never names a version
// that a reload removes, so every request must succeed. After a warm-up (10% of the run,
// at least 30 s) and at the end (once config A is back and version 1 is AVAILABLE again),
// the script reads tfs_runtime_tensors from the server's Prometheus page.
//
// Memory is sampled every second from the end of the warm-up on, and RSS growth compares
// the *lowest* RSS in the first window (10% of the run, at least 15 s) with the lowest in the
// last one. Single readings are not comparable: with reloads the JS heap is a sawtooth
// (old-generation garbage of 20-70 MiB between major GCs; flat without reloads), so two
// single readings differ by wherever each one fell on the tooth. Retained JS shows as a
// rising heap floor. RSS follows V8's committed heap (nodejs_heap_size_total_bytes), which
// V8 sizes from its own GC heuristics, so the RSS floor can rise while the heap floor is flat.
// Exit 1 when a request failed, the RSS floor grew more than --max-rss-growth (a fraction)
// or tensors grew more than --max-tensor-growth (a count).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { imp, option, root } from './lib.mjs';

const args = process.argv.slice(2);
const seconds = Number(option(args, 'seconds', '180'));
const concurrency = Number(option(args, 'concurrency', '8'));
const reloadSeconds = Number(option(args, 'reload-seconds', '3'));
const maxRssGrowth = Number(option(args, 'max-rss-growth', '0.1'));
const maxTensorGrowth = Number(option(args, 'max-tensor-growth', '0'));
const json = args.includes('--json');
const nodeOption = option(args, 'node-option', undefined);
const warmupMs = Math.max(30_000, seconds * 100);
// The memory windows at both ends of the measured part (see the header).
const windowMs = Math.min(Math.max(15_000, seconds * 100), Math.max(1_000, (seconds * 1000 - warmupMs) / 2));

const fixtures = join(root, 'fixtures', 'models');
const dir = mkdtempSync(join(tmpdir(), 'tfs-soak-'));
const configFile = join(dir, 'models.config');
const half = `config { name: "half_plus_two" base_path: "${join(fixtures, 'half_plus_two')}" model_platform: "tensorflow" }`;
const CONFIGS = {
  A: `model_config_list { ${half} config { name: "my_model" base_path: "${join(fixtures, 'my_model')}" model_platform: "tensorflow" ` +
    'model_version_policy { specific { versions: 1 versions: 2 } } } }',
  B: `model_config_list { ${half} config { name: "my_model" base_path: "${join(fixtures, 'my_model')}" model_platform: "tensorflow" ` +
    'model_version_policy { specific { versions: 2 } } } }',
};
function writeConfig(which) {
  // Atomic, as a ConfigMap swap: the poller never reads half a file.
  writeFileSync(`${configFile}.tmp`, CONFIGS[which]);
  renameSync(`${configFile}.tmp`, configFile);
}
writeConfig('A');
writeFileSync(join(dir, 'monitoring.config'), 'prometheus_config { enable: true path: "/metrics" }\n');

function startServe() {
  const child = spawn(process.execPath, [...(nodeOption ? [nodeOption] : []), join(root, 'bin', 'run.js'), 'serve', '--port=0', '--rest_api_port=0', '--host=127.0.0.1',
    `--model_config_file=${configFile}`, '--model_config_file_poll_wait_seconds=1',
    `--monitoring_config_file=${join(dir, 'monitoring.config')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d.toString();
      const g = /Running gRPC ModelServer at [^:]+:(\d+)/.exec(log);
      const r = /Exporting HTTP\/REST API at:[^:]+:(\d+)/.exec(log);
      if (g && r) resolve({ child, grpcPort: Number(g[1]), restPort: Number(r[1]) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`tfs serve exited with ${code} before listening:\n${log.slice(-2000)}`)));
  });
}

async function scrape(rest) {
  const text = await (await fetch(`${rest}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rss: value('process_resident_memory_bytes'),
    heap: value('nodejs_heap_size_used_bytes'),
    external: value('nodejs_external_memory_bytes'),
    tensors: value('tfs_runtime_tensors'),
    bytes: value('tfs_runtime_tensor_bytes'),
  };
}

async function versionsAvailable(rest) {
  const r = await fetch(`${rest}/v1/models/my_model`);
  if (!r.ok) return [];
  const body = await r.json();
  return body.model_version_status.filter((v) => v.state === 'AVAILABLE').map((v) => Number(v.version)).sort();
}

async function waitForConfigA(rest) {
  for (;;) {
    const v = await versionsAvailable(rest);
    if (v.length === 2) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const { lookupType } = await imp('src/proto/root.js');
const PredictRequest = lookupType('tensorflow.serving.PredictRequest');
const f32 = (values, shape) => ({ dtype: 1, tensor_shape: { dim: shape.map((size) => ({ size })) }, float_val: values });
const TEN = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const grpcBodies = [
  PredictRequest.encode(PredictRequest.fromObject({ model_spec: { name: 'half_plus_two' }, inputs: { x: f32([1, 2, 3], [3]) } })).finish(),
];

const { child, grpcPort, restPort } = await startServe();
const rest = `http://127.0.0.1:${restPort}`;
const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
const stats = { rest: 0, grpc: 0, failed: 0, reloads: 0, firstFailures: [] };
const fail = (what) => {
  stats.failed++;
  if (stats.firstFailures.length < 10) stats.firstFailures.push(what);
};
const restCases = [
  ['/v1/models/half_plus_two:predict', '{"instances": [1, 2, 3]}'],
  ['/v1/models/my_model:predict', JSON.stringify({ instances: [TEN, TEN] })],
  ['/v1/models/my_model/versions/2:predict', JSON.stringify({ instances: [TEN] })],
];

let stop = false;
let n = 0;
async function loop() {
  while (!stop) {
    const i = n++;
    if (i % 3 === 2) {
      const body = grpcBodies[0];
      const err = await new Promise((resolve) =>
        client.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b) => b, (b) => b, Buffer.from(body), (e) => resolve(e)));
      stats.grpc++;
      if (err) fail(`gRPC ${err.code} ${err.details}`);
    } else {
      const [path, body] = restCases[i % restCases.length];
      try {
        const r = await fetch(rest + path, { method: 'POST', body });
        const text = await r.text();
        if (r.status !== 200) fail(`REST ${path} ${r.status} ${text.slice(0, 200)}`);
      } catch (e) {
        fail(`REST ${path} ${e.message}`);
      }
      stats.rest++;
    }
  }
}

const t0 = Date.now();
const loops = Array.from({ length: concurrency }, loop);
let state = 'A';
const reloader = setInterval(() => {
  state = state === 'A' ? 'B' : 'A';
  writeConfig(state);
  stats.reloads++;
}, reloadSeconds * 1000);

let start;
let end;
const samples = [];
let sampler;
let sampling;
function startSampling() {
  sampler = setInterval(() => {
    sampling = scrape(rest).then((m) => samples.push({ t: Date.now(), ...m }), () => undefined);
  }, 1000);
}
async function stopSampling() {
  clearInterval(sampler);
  await sampling;
  samples.push({ t: Date.now(), ...end });
}
/** The lowest RSS and heap in [from, to] (epoch ms). */
function floor(from, to) {
  const w = samples.filter((s) => s.t >= from && s.t <= to);
  return { n: w.length, rss: Math.min(...w.map((s) => s.rss)), heap: Math.min(...w.map((s) => s.heap)) };
}
try {
  await new Promise((r) => setTimeout(r, warmupMs));
  clearInterval(reloader);
  writeConfig((state = 'A'));
  await waitForConfigA(rest);
  start = await scrape(rest);
  startSampling();
  const reloader2 = setInterval(() => {
    state = state === 'A' ? 'B' : 'A';
    writeConfig(state);
    stats.reloads++;
  }, reloadSeconds * 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000 - (Date.now() - t0))));
  clearInterval(reloader2);
  writeConfig('A');
  // Give the poller two rounds so the last switch to A has surely been read, then wait for v1.
  await new Promise((r) => setTimeout(r, 2_500));
  await waitForConfigA(rest);
  stop = true;
  await Promise.all(loops);
  end = await scrape(rest);
  await stopSampling();
} finally {
  stop = true;
  client.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

const first = floor(samples[0].t, samples[0].t + windowMs);
const last = floor(samples.at(-1).t - windowMs, samples.at(-1).t);
const rssGrowth = (last.rss - first.rss) / first.rss;
const tensorGrowth = end.tensors - start.tensors;
const ok = stats.failed === 0 && rssGrowth <= maxRssGrowth && tensorGrowth <= maxTensorGrowth;
const mib = (b) => +(b / 2 ** 20).toFixed(1);
const report = {
  seconds: Math.round((Date.now() - t0) / 1000),
  requests: { rest: stats.rest, grpc: stats.grpc, failed: stats.failed },
  reloads: stats.reloads,
  windowSeconds: windowMs / 1000,
  samples: samples.length,
  rssFloorMiB: { start: mib(first.rss), end: mib(last.rss), growth: +(rssGrowth * 100).toFixed(1) + '%' },
  heapFloorMiB: { start: mib(first.heap), end: mib(last.heap) },
  rssMiB: { start: mib(start.rss), end: mib(end.rss), max: mib(Math.max(...samples.map((s) => s.rss))) },
  heapUsedMiB: { start: +(start.heap / 2 ** 20).toFixed(1), end: +(end.heap / 2 ** 20).toFixed(1) },
  externalMiB: { start: +(start.external / 2 ** 20).toFixed(1), end: +(end.external / 2 ** 20).toFixed(1) },
  runtimeTensors: { start: start.tensors, end: end.tensors },
  runtimeTensorBytes: { start: start.bytes, end: end.bytes },
  ok,
};
if (json) console.log(JSON.stringify(report));
else {
  console.log(`soak: ${report.seconds} s, ${stats.rest} REST + ${stats.grpc} gRPC requests, ${stats.failed} failed, ${stats.reloads} config reloads`);
  console.log(`RSS floor (lowest of each ${report.windowSeconds} s window, ${samples.length} samples): first window ${report.rssFloorMiB.start} MiB, last ${report.rssFloorMiB.end} MiB (${report.rssFloorMiB.growth}; bound ${maxRssGrowth * 100}%)`);
  console.log(`JS heap floor ${report.heapFloorMiB.start} -> ${report.heapFloorMiB.end} MiB; single readings: RSS ${report.rssMiB.start} -> ${report.rssMiB.end} MiB (peak ${report.rssMiB.max})`);
  console.log(`JS heap used ${report.heapUsedMiB.start} -> ${report.heapUsedMiB.end} MiB, external (wasm memory, buffers) ${report.externalMiB.start} -> ${report.externalMiB.end} MiB`);
  console.log(`runtime tensors ${start.tensors} -> ${end.tensors} (bound +${maxTensorGrowth}), tensor bytes ${start.bytes} -> ${end.bytes}`);
  for (const f of stats.firstFailures) console.log(`  failed: ${f}`);
  console.log(ok ? 'soak: OK' : 'soak: FAILED');
}
process.exit(ok ? 0 : 1);
