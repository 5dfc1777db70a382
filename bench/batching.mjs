#!/usr/bin/env node
// npm run bench:batching -- request batching on seed_mlp, and batch execution threads on perf_mlp.
//
// 1. seed_mlp (../shared/fixtures/zoo/seed_mlp, version 1), 64 concurrent clients sending one
//    row each, closed loop, for --seconds per phase:
//      - served over REST and gRPC on 127.0.0.1 by `tfs serve` (a child process, startServer from
//        the build), batching off, then on with the tutorial's batching.pbtxt
//        (max_batch_size 128, batch_timeout_micros 1000, max_enqueued_batches 1000,
//        num_batch_threads 4, pad_variable_length_inputs true);
//      - the BatchingServable alone, in this process (no transport), off and on;
//      - the runtime alone, in-process, at the batch sizes the scheduler produced (its exact mean,
//        read from the server's tensorflow_serving_batch_size metric; batch 1 when off).
//    Prints requests/s, p50/p99 latency, mean batch size, and the ratios:
//      batching on / off (goal >= 4), served / in-process runtime at the same batch sizes (goal >= 0.7).
// 2. perf_mlp (../shared/fixtures/zoo/perf_mlp/1) at the BatchingServable level, 64 clients,
//    batching on with max_batch_size 16 (so several batches are ready at once): batches in-thread
//    vs on 1 and 2 worker threads (the 2-core scaling), and seed_mlp in-thread vs 1 worker (why
//    tiny models stay in-thread under `auto`).
//
//   node bench/batching.mjs [--baseline /work/main/dist] [--parse-only] [--model seed_mlp|perf_mlp] [--runtime auto|embedded|tensorflow] [--warmup 0.7] [--rest-only] [--served-only] [--on-flags "--batch_execution=in-thread"] [--seconds 4] [--clients 64] [--rounds 1] [--skip-served] [--skip-workers] [--json] [--verbose]
//
// --rounds N repeats every served/servable phase N times, alternating off and on, and reports the
// median of each (the machine is shared: single runs are noisy). The gRPC server runs with
// --grpc_max_threads=<clients>: the default (4 x CPUs, upstream's) admits only 8 concurrent calls on
// a 2-core machine, which caps gRPC batches at 8 whatever the batching parameters say.
//
// perf_mlp one-row REST, batching off vs on (issue 20 item 5), with server CPU per request
// (utime+stime of the server process from /proc/<pid>/stat over the measured window, the figure
// that holds on a busy shared machine) and one batching-on server per --batch_execution mode:
//   npm run bench:batching -- --model perf_mlp --runtime embedded --rest-only --served-only \
//     --rounds 3 --seconds 3 --warmup 3 --on-variants workers,auto,in-thread
// (--warmup covers `auto`'s measured window and the start of worker threads, whose module and
// model loading must not be billed to measured requests.)
//
// Everything runs on 127.0.0.1, is bounded in time, and stops by itself. TFS_DIST selects the
// build directory (default dist). Numbers from a busy shared machine are noisy: compare ratios
// from the same run, and the load average printed with them.
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuSeconds, freePort, option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const distName = process.env.TFS_DIST ?? 'dist';
const dist = join(root, distName);
const imp = (p) => import(pathToFileURL(join(dist, p)).href);
const shared = process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared');
const zoo = join(shared, 'fixtures', 'zoo');

const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const SECONDS = Math.min(30, Math.max(1, Number(opt('seconds', '4'))));
const CLIENTS = Math.min(256, Math.max(1, Number(opt('clients', '64'))));
const JSON_OUT = args.includes('--json');
const ROUNDS = Math.min(5, Math.max(1, Number(opt('rounds', '1'))));
// Not measured: long enough for `auto` to time its first batches and start worker threads
// (module loading and the model copy cost each worker ~1.5 s of CPU on the 2-core machine, which
// must not be billed to the measured requests).
const WARMUP_MS = Math.max(0, Number(opt('warmup', '0.7'))) * 1000;
/** Model for the served and servable phases: seed_mlp (10 features) or perf_mlp (784-512-512-10). */
const MODEL = opt('model', 'seed_mlp');
const DIMS = { seed_mlp: 10, perf_mlp: 784 };
const DIM = DIMS[MODEL];
if (!DIM) {
  console.error(`--model must be one of ${Object.keys(DIMS).join(', ')}`);
  process.exit(2);
}
const REST_ONLY = args.includes('--rest-only');
/** Extra `tfs serve` flags for the batching-on server (e.g. --on-flags=--batch_execution=in-thread). */
const ON_FLAGS = opt('on-flags', '').split(' ').filter(Boolean);
/** `tfs serve --runtime` for the served phases: auto picks TensorFlow's runtime when the native addon is built. */
const RUNTIME = opt('runtime', 'auto');
/**
 * Batching-on servers to compare, by --batch_execution: `--on-variants in-thread,auto` runs one
 * batching-on server per mode in every round (labelled on:<mode>); default one server, `on`.
 */
const ON_VARIANTS = opt('on-variants', '') ? opt('on-variants', '').split(',').map((v) => `on:${v}`) : ['on'];
const PHASES = ['off', ...ON_VARIANTS];
/**
 * --baseline DIR (a build directory, e.g. /work/main/dist): every served phase also runs
 * against that build, right after the same phase on this one (labelled `base <phase>`), so
 * before/after figures come from the same run and the same machine load.
 */
const BASELINE = opt('baseline', '');
const BUILDS = BASELINE ? ['', 'base '] : [''];
const LABELS = BUILDS.flatMap((b) => PHASES.map((p) => `${b}${p}`));

/** The tutorial's batching.pbtxt (tfserving-tutorial.md "Batching Configuration"). */
const TUTORIAL_BATCHING = `max_batch_size { value: 128 }
batch_timeout_micros { value: 1000 }
max_enqueued_batches { value: 1000 }
num_batch_threads { value: 4 }
pad_variable_length_inputs: true
`;

if (!existsSync(join(zoo, 'seed_mlp', '1'))) {
  console.error(`bench:batching needs ${zoo} (../shared fixtures); set TFS_SHARED_DIR`);
  process.exit(1);
}

const log = (...a) => {
  if (!JSON_OUT) console.log(...a);
};
/** Progress on stderr (kept out of --json output). */
const progress = (...a) => {
  if (args.includes('--verbose')) console.error('..', ...a);
};

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Closed loop: `clients` concurrent callers each issue `call()` back to back. Warm-up first
 * (not measured), then `seconds` measured. Returns requests/s and latency percentiles (ms).
 */
async function closedLoop(call, { clients = CLIENTS, seconds = SECONDS, pid } = {}) {
  const lat = [];
  let errors = 0;
  let firstError;
  let measuring = false;
  let stop = false;
  let done = 0;
  const worker = async () => {
    while (!stop) {
      // Each client call starts from its own event-loop turn, as network requests do (an
      // in-process model run may settle in microtasks only, which would starve the timers).
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      try {
        await call();
        if (measuring) {
          lat.push(performance.now() - t0);
          done++;
        }
      } catch (e) {
        errors++;
        firstError ??= e;
        if (errors > 1000) stop = true;
      }
    }
  };
  const runners = Array.from({ length: clients }, worker);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const cpu0 = pid ? 1e6 * cpuSeconds(pid) : 0;
  const t = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t) / 1000;
  const finished = done;
  // Server CPU (user + system) per request over the measured window: steadier than req/s on a
  // shared machine, and it shows what one request costs whichever core it ran on.
  const cpuPerReq = pid ? (1e6 * cpuSeconds(pid) - cpu0) / Math.max(1, finished) : NaN;
  stop = true;
  await Promise.all(runners);
  if (errors > 0) throw new Error(`${errors} failed calls; first: ${firstError?.message ?? firstError}`);
  lat.sort((a, b) => a - b);
  return { rps: finished / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), n: finished, cpuPerReq };
}

function seedInput(rows, seed) {
  const data = Float32Array.from({ length: rows * DIM }, (_, i) => Math.sin(i * 0.37 + seed) * 2);
  return { dtype: 'DT_FLOAT', shape: [rows, DIM], data };
}

async function params(overrides) {
  const { loadBatchingParameters } = await imp('src/config/batching.js');
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-batching-'));
  const file = join(dir, 'batching.pbtxt');
  writeFileSync(file, TUTORIAL_BATCHING);
  const p = loadBatchingParameters(file);
  rmSync(dir, { recursive: true, force: true });
  return { ...p, ...overrides };
}

// ---------------------------------------------------------------------------------------------
// In-process runtime and BatchingServable
// ---------------------------------------------------------------------------------------------

/** Runtime alone: rows/s at batch size `b` (fractional b mixes floor and ceil to that mean). */
async function runtimeRowsPerSec(servable, sig, input, b) {
  const lo = Math.max(1, Math.floor(b));
  const hi = Math.ceil(b);
  const timeAt = async (size) => {
    const x = input(size, 1);
    for (let i = 0; i < 20; i++) await servable.run(sig, { keras_tensor: x });
    const t = performance.now();
    let n = 0;
    while (performance.now() - t < 1500) {
      await servable.run(sig, { keras_tensor: x });
      n++;
    }
    return (performance.now() - t) / n; // ms per batch
  };
  const tLo = await timeAt(lo);
  if (hi === lo) return { rowsPerSec: (lo * 1000) / tLo, msPerBatch: tLo };
  const tHi = await timeAt(hi);
  const w = hi - b; // weight of the lower size so that the mean is b
  const msPerBatch = w * tLo + (1 - w) * tHi;
  return { rowsPerSec: (b * 1000) / msPerBatch, msPerBatch };
}

async function servableLevel(results) {
  const { loadSavedModelServable } = await imp('src/servables/saved-model-servable.js');
  const { Batcher } = await imp('src/batching/batching-servable.js');
  const dir = join(zoo, MODEL, '1');
  const base = await loadSavedModelServable(MODEL, 1, dir);
  const inputs = Array.from({ length: CLIENTS }, (_, i) => ({ keras_tensor: seedInput(1, i) }));
  let k = 0;
  const rows = { sum: 0, count: 0 };
  const observer = {
    inputBatchSize() {},
    queuingDelay() {},
    processedBatch(_m, size, padding) {
      rows.sum += size - padding;
      rows.count++;
    },
    queued() {},
  };
  const batcher = new Batcher(await params({}), { observer, execution: 'in-thread' });
  const batched = batcher.wrap(await loadSavedModelServable(MODEL, 1, dir));
  for (let round = 0; round < ROUNDS; round++) {
    progress('servable level, batching off');
    const off = await closedLoop(() => base.run('serving_default', inputs[k++ % CLIENTS]));
    results.push({ path: 'servable', batching: 'off', ...off, meanBatch: 1 });
    progress('servable level, batching on');
    rows.sum = 0;
    rows.count = 0;
    const on = await closedLoop(() => batched.run('serving_default', inputs[k++ % CLIENTS]));
    results.push({ path: 'servable', batching: 'on', ...on, meanBatch: rows.sum / rows.count });
  }
  await batched.dispose();
  return base;
}

// ---------------------------------------------------------------------------------------------
// Served: REST and gRPC against a `tfs serve` child process
// ---------------------------------------------------------------------------------------------

async function startChild(flags, build = distName) {
  const child = fork(join(root, 'bench', 'batching-server.mjs'), flags, {
    env: { ...process.env, TFS_DIST: build },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // e.g. TFS_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the servers
    execArgv: (process.env.TFS_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  });
  const msg = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`server exited with code ${code}`)));
  });
  if (msg.error) throw new Error(msg.error);
  return {
    child,
    ...msg,
    batchStats: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.batchStats));
        child.send('batch-stats');
      }),
    stop: () =>
      new Promise((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.send('stop');
      }),
  };
}

async function served(results) {
  const { Pool } = await import('undici');
  const grpc = await import('@grpc/grpc-js');
  const { lookupType } = await imp('src/proto/root.js');
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-served-'));
  const modelConfig = join(dir, 'models.config');
  writeFileSync(
    modelConfig,
    `model_config_list {
  config {
    name: "${MODEL}"
    base_path: "${join(zoo, MODEL)}"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 1 } }
  }
}
`,
  );
  const batchingFile = join(dir, 'batching.pbtxt');
  writeFileSync(batchingFile, TUTORIAL_BATCHING);
  const monitoring = join(dir, 'monitoring.config');
  writeFileSync(monitoring, 'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\n');

  const PredictRequest = lookupType('tensorflow.serving.PredictRequest');
  const PredictResponse = lookupType('tensorflow.serving.PredictResponse');
  const restBodies = Array.from({ length: CLIENTS }, (_, i) =>
    JSON.stringify({ instances: [[...seedInput(1, i).data].map((v) => Math.round(v * 1e4) / 1e4)] }),
  );
  const grpcBodies = Array.from({ length: CLIENTS }, (_, i) =>
    Buffer.from(
      PredictRequest.encode(
        PredictRequest.fromObject({
          model_spec: { name: MODEL, signature_name: 'serving_default' },
          inputs: {
            keras_tensor: {
              dtype: 1,
              tensor_shape: { dim: [{ size: 1 }, { size: DIM }] },
              float_val: [...seedInput(1, i).data],
            },
          },
        }),
      ).finish(),
    ),
  );

  const stats = {};
  try {
    for (const [build, batching] of Array.from({ length: ROUNDS }, () => PHASES.flatMap((p) => BUILDS.map((b) => [b, p]))).flat()) {
      const restPort = await freePort();
      const grpcPort = await freePort();
      const flags = [
        `--port=${grpcPort}`,
        `--rest_api_port=${restPort}`,
        '--host=127.0.0.1',
        `--grpc_max_threads=${CLIENTS}`,
        `--runtime=${RUNTIME}`,
        `--model_config_file=${modelConfig}`,
        `--monitoring_config_file=${monitoring}`,
        ...(batching !== 'off' ? ['--enable_batching=true', `--batching_parameters_file=${batchingFile}`, ...ON_FLAGS] : []),
        ...(batching.startsWith('on:') ? [`--batch_execution=${batching.slice(3)}`] : []),
      ];
      const srv = await startChild(flags, build ? BASELINE : distName);
      try {
        progress(`server batching ${batching} up; REST`);
        // REST
        const pool = new Pool(`http://127.0.0.1:${srv.restPort}`, { connections: CLIENTS, pipelining: 1 });
        const check = await pool.request({ path: `/v1/models/${MODEL}:predict`, method: 'POST', body: restBodies[0], headers: { 'content-type': 'application/json' } });
        const checkBody = await check.body.json();
        if (check.statusCode !== 200 || !Array.isArray(checkBody.predictions)) throw new Error(`REST predict failed: ${JSON.stringify(checkBody)}`);
        let k = 0;
        let before = await srv.batchStats();
        const rest = await closedLoop(async () => {
          const r = await pool.request({ path: `/v1/models/${MODEL}:predict`, method: 'POST', body: restBodies[k++ % CLIENTS], headers: { 'content-type': 'application/json' } });
          await r.body.dump();
          if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}`);
        }, { pid: srv.child.pid });
        let after = await srv.batchStats();
        const restMean = after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 1;
        results.push({ path: 'REST', batching: `${build}${batching}`, ...rest, meanBatch: restMean });
        await pool.close();
        if (REST_ONLY) continue;

        progress(`REST ${batching}: ${fmt(rest.rps, 0)} req/s; gRPC`);
        // gRPC (one HTTP/2 connection, as a typical client stub)
        const client = new grpc.Client(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure(), {
          'grpc.max_receive_message_length': -1,
        });
        const call = (body) =>
          new Promise((resolve, reject) =>
            client.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b) => b, (b) => b, body, (err, res) => (err ? reject(err) : resolve(res))),
          );
        const first = PredictResponse.decode(await call(grpcBodies[0]));
        if (!first.outputs?.output_0) throw new Error('gRPC predict returned no output_0');
        before = await srv.batchStats();
        const g = await closedLoop(() => call(grpcBodies[k++ % CLIENTS]), { pid: srv.child.pid });
        after = await srv.batchStats();
        const grpcMean = after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 1;
        results.push({ path: 'gRPC', batching: `${build}${batching}`, ...g, meanBatch: grpcMean });
        client.close();
      } finally {
        await srv.stop();
      }
      stats[batching] = true;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Execution threads: perf_mlp in-thread vs 1 and 2 workers; seed_mlp in-thread vs 1 worker
// ---------------------------------------------------------------------------------------------

async function executionModes(out) {
  const { loadSavedModelServable } = await imp('src/servables/saved-model-servable.js');
  const { Batcher } = await imp('src/batching/batching-servable.js');
  const { savedModelWorkerSource } = await imp('src/batching/worker-source.js');
  const cases = [
    { model: 'perf_mlp', dim: 784, modes: [['in-thread', 0], ['workers', 1], ['workers', 2]] },
    { model: 'seed_mlp', dim: 10, modes: [['in-thread', 0], ['workers', 1]] },
  ];
  for (const c of cases) {
    const dir = join(zoo, c.model, '1');
    const inputs = Array.from({ length: CLIENTS }, (_, i) => ({
      keras_tensor: { dtype: 'DT_FLOAT', shape: [1, c.dim], data: Float32Array.from({ length: c.dim }, (_, j) => Math.sin(i + j * 0.1)) },
    }));
    for (const [mode, workers] of Array.from({ length: ROUNDS }, () => c.modes).flat()) {
      let batchMicros = 0;
      let batches = 0;
      let rows = 0;
      const observer = {
        inputBatchSize() {},
        queuingDelay() {},
        processedBatch(_m, size, padding) {
          rows += size - padding;
          batches++;
        },
        queued() {},
      };
      // max_batch_size 16 with 64 clients keeps 4 batches ready at once, so a second worker has work
      // (with the tutorial's 128 all 64 clients sit in one batch and only one batch ever runs).
      const batcher = new Batcher(await params({ maxBatchSize: 16, numBatchThreads: Math.max(1, workers) }), {
        observer,
        execution: mode,
        ...(workers ? { maxWorkers: workers } : {}),
      });
      progress(`${c.model} ${mode} ${workers}`);
      const s = batcher.wrap(await loadSavedModelServable(c.model, 1, dir), { workerSource: savedModelWorkerSource(c.model, 1, dir) });
      await s.executionSettled();
      let k = 0;
      const r = await closedLoop(async () => {
        const t = performance.now();
        await s.run('serving_default', inputs[k++ % CLIENTS]);
        batchMicros += (performance.now() - t) * 1000;
      });
      const d = s.describeExecution();
      out.push({ model: c.model, mode: d.mode, workers: d.workers, ...r, meanBatch: rows / Math.max(1, batches) });
      await s.dispose();
    }
  }
}

// ---------------------------------------------------------------------------------------------

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function main() {
  const load0 = loadavg();
  log(`bench:batching  ${CLIENTS} clients, ${SECONDS} s per phase, ${ROUNDS} round(s), ${availableParallelism()} CPUs, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);
  const results = [];
  const haveServer = existsSync(join(dist, 'src', 'server', 'server.js'));
  if (!args.includes('--skip-served') && haveServer) await served(results);
  else if (!haveServer) log('(no src/server/server.js in the build: served phases skipped, BatchingServable level only)');
  const SERVED_ONLY = args.includes('--served-only');
  const base = SERVED_ONLY ? undefined : await servableLevel(results);

  // Median of the rounds for each path and mode.
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const all = results.splice(0);
  for (const path of ['REST', 'gRPC', 'servable']) {
    for (const batching of path === 'servable' ? ['off', 'on'] : LABELS) {
      const rs = all.filter((r) => r.path === path && r.batching === batching);
      if (rs.length === 0) continue;
      const byRps = [...rs].sort((a, b) => a.rps - b.rps);
      const mid = byRps[Math.floor(byRps.length / 2)];
      results.push({
        ...mid,
        rounds: rs.map((r) => Math.round(r.rps)),
        meanBatch: med(rs.map((r) => r.meanBatch)),
        cpuRounds: rs.map((r) => r.cpuPerReq),
        cpuPerReq: med(rs.map((r) => r.cpuPerReq)),
      });
    }
  }

  // In-process runtime at the batch sizes each batching-on phase produced.
  const inproc = new Map();
  const sizes = [1, ...new Set(results.filter((r) => r.batching !== 'off').map((r) => Math.round(r.meanBatch * 100) / 100))];
  if (base) {
    for (const b of sizes) inproc.set(b, await runtimeRowsPerSec(base, 'serving_default', seedInput, b));
    await base.dispose();
  }

  const execution = [];
  if (!args.includes('--skip-workers') && !SERVED_ONLY) {
    const runs = [];
    await executionModes(runs);
    for (const key of [...new Set(runs.map((e) => `${e.model}/${e.workers}`))]) {
      const rs = runs.filter((e) => `${e.model}/${e.workers}` === key).sort((a, b) => a.rps - b.rps);
      execution.push({ ...rs[Math.floor(rs.length / 2)], rounds: rs.map((e) => Math.round(e.rps)) });
    }
  }

  const ratios = {};
  for (const [path, build] of ['REST', 'gRPC', 'servable'].flatMap((p) => (p === 'servable' ? [[p, '']] : BUILDS.map((b) => [p, b])))) {
    const off = results.find((r) => r.path === path && r.batching === `${build}off`);
    for (const variant of path === 'servable' ? ['on'] : ON_VARIANTS.map((v) => `${build}${v}`)) {
    const on = results.find((r) => r.path === path && r.batching === variant);
    if (!off || !on) continue;
    const ipOn = inproc.get(Math.round(on.meanBatch * 100) / 100) ?? { rowsPerSec: NaN };
    const ipOff = inproc.get(1) ?? { rowsPerSec: NaN };
    ratios[variant !== 'on' ? `${path} ${variant}` : path] = {
      onOverOff: on.rps / off.rps,
      cpuOffOverOn: off.cpuPerReq / on.cpuPerReq,
      servedOverInProcessOn: on.rps / ipOn.rowsPerSec,
      servedOverInProcessOff: off.rps / ipOff.rowsPerSec,
    };
    }
  }
  const load1 = loadavg();

  if (JSON_OUT) {
    console.log(JSON.stringify({ clients: CLIENTS, seconds: SECONDS, loadavg: [load0, load1], results, inProcess: Object.fromEntries(inproc), ratios, execution }, null, 2));
    return;
  }
  log(`\n${MODEL} v1, one row per request (served with --runtime=${RUNTIME})`);
  if (BASELINE) log(`(rows labelled "base" ran ${BASELINE}; the others ${dist})`);
  log(`path       batching   ${BASELINE ? '      ' : ''}req/s    p50 ms   p99 ms   mean batch  CPU µs/req${ROUNDS > 1 ? '   req/s per round   CPU µs/req per round' : ''}`);
  for (const r of results) {
    log(
      `${r.path.padEnd(10)} ${r.batching.padEnd(BASELINE ? 15 : 9)} ${fmt(r.rps, 0).padStart(7)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.meanBatch, 1).padStart(10)} ${fmt(r.cpuPerReq, 0).padStart(11)}${ROUNDS > 1 ? `   ${r.rounds.join(' ')}   ${r.cpuRounds.map((c) => fmt(c, 0)).join(' ')}` : ''}`,
    );
  }
  log('(REST/gRPC: tfs serve in a child process on 127.0.0.1, tutorial batching config, gRPC with --grpc_max_threads=' + CLIENTS + '; servable: BatchingServable in this process)');
  log('\nin-process runtime (no scheduler, no transport) at those batch sizes:');
  for (const [b, v] of inproc) log(`  batch ${String(b).padEnd(6)} ${fmt(v.rowsPerSec, 0).padStart(7)} rows/s  (${fmt(v.msPerBatch, 3)} ms per batch)`);
  log('\nratios');
  for (const [path, r] of Object.entries(ratios)) {
    log(
      `  ${path.padEnd(BASELINE ? 20 : 9)} batching on/off ${fmt(r.onOverOff, 2)}x req/s, ${fmt(r.cpuOffOverOn, 2)}x CPU per request (goal >= ${MODEL === 'perf_mlp' ? 3 : 4})   served/in-process: on ${fmt(r.servedOverInProcessOn, 2)} (goal >= 0.7), off ${fmt(r.servedOverInProcessOff, 2)}`,
    );
  }
  if (execution.length) {
    log('\nbatch execution threads (BatchingServable level, tutorial batching parameters with max_batch_size 16, one row per request)');
    log('model      mode        workers   req/s    p50 ms   p99 ms   mean batch');
    for (const e of execution) log(`${e.model.padEnd(10)} ${e.mode.padEnd(11)} ${String(e.workers).padStart(7)} ${fmt(e.rps, 0).padStart(7)} ${fmt(e.p50, 2).padStart(8)} ${fmt(e.p99, 2).padStart(8)} ${fmt(e.meanBatch, 1).padStart(10)}`);
    const p = (m, w) => execution.find((e) => e.model === m && e.workers === w);
    if (p('perf_mlp', 1) && p('perf_mlp', 2)) log(`  perf_mlp 2 workers / 1 worker: ${fmt(p('perf_mlp', 2).rps / p('perf_mlp', 1).rps, 2)}x; 1 worker / in-thread: ${fmt(p('perf_mlp', 1).rps / p('perf_mlp', 0).rps, 2)}x`);
    if (p('seed_mlp', 1)) log(`  seed_mlp 1 worker / in-thread: ${fmt(p('seed_mlp', 1).rps / p('seed_mlp', 0).rps, 2)}x`);
  }
  log(`\nload average after: ${load1.map((l) => l.toFixed(2)).join(' ')}`);
}

/**
 * --parse-only: the REST request decode alone (parseRequestBody + predictInputsFromJson, the
 * part of a served request that batching cannot share), for one-row perf_mlp/seed_mlp bodies
 * as the served phases send them (4-decimal values) and as float32 clients print them (up to
 * 17 digits). Process CPU µs per body, this build against --baseline in alternating blocks.
 */
async function parseOnly() {
  const builds = [['this', dist], ...(BASELINE ? [['base', BASELINE]] : [])];
  const mods = await Promise.all(builds.map(([, d]) => import(pathToFileURL(join(d, 'src/tensor/json-tensor.js')).href)));
  const row = [...seedInput(1, 3).data];
  const bodies = {
    '4 decimals': Buffer.from(JSON.stringify({ instances: [row.map((v) => Math.round(v * 1e4) / 1e4)] })),
    '17 digits': Buffer.from(JSON.stringify({ instances: [row] })),
  };
  const specs = { keras_tensor: { name: 'keras_tensor:0', dtype: 'DT_FLOAT', shape: [-1, DIM] } };
  const per = {};
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    for (const [name, body] of Object.entries(bodies)) {
      builds.forEach(([label], i) => {
        const m = mods[i];
        const decode = () => m.predictInputsFromJson(m.parseRequestBody(body), specs).inputs.keras_tensor.data[1];
        for (let k = 0; k < 300; k++) sink += decode();
        const c0 = process.cpuUsage();
        const n = 2000;
        for (let k = 0; k < n; k++) sink += decode();
        const c = process.cpuUsage(c0);
        (per[`${name}|${label}`] ??= []).push((c.user + c.system) / n);
      });
    }
  }
  log(`REST body decode, ${MODEL} one row (${DIM} values), process CPU µs per body, median of 7 alternating blocks (sink ${sink > 0 ? '+' : '-'})`);
  for (const name of Object.keys(bodies)) {
    const med = (label) => [...per[`${name}|${label}`]].sort((a, b) => a - b)[3];
    log(`  ${name.padEnd(11)} ${String(bodies[name].length).padStart(6)} bytes: this ${fmt(med('this'))}${BASELINE ? `, base ${fmt(med('base'))} (base/this ${fmt(med('base') / med('this'), 2)}x)` : ''}`);
  }
}

if (args.includes('--parse-only')) await parseOnly();
else await main();
