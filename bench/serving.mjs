#!/usr/bin/env node
// npm run bench:serving -- server CPU per request of `tfs serve` (REST and gRPC) against bare
// fastify / bare grpc-js servers answering the same requests with a fixed body, in one run.
//
// Every server is its own process on 127.0.0.1; its CPU time (utime + stime from
// /proc/<pid>/stat) across a closed-loop run, divided by the requests answered, is the figure
// this benchmark lives by: it holds steady on a busy machine, where requests/s does not.
//   - bare-rest: fastify, one POST route, fastify's JSON body parser, replies with the body tfs
//     answered for that request (HTTP + JSON parse + send, no model);
//   - bare-grpc: grpc-js, PredictionService/Predict with pass-through (de)serializers, replies
//     with the PredictResponse bytes tfs answered (transport only, no codec, no model);
//   - tfs: `bin/run.js serve` of this checkout, serving fixtures/models half_plus_two and
//     my_model (the tutorial's Keras MLP, a 5x10 request); with `--models perf_mlp` also
//     ../shared/fixtures/zoo/perf_mlp (784-512-512-10) with one row of 784 float32 values
//     (printed as doubles in REST, up to 17 digits, as numpy's tolist() gives them);
//   - lean-rest / lean-grpc: bench/lean-<protocol>.mjs, the least a server on tfs's own embedded
//     runtime has to do (load with dist/'s loader; per request parse, fill a Float32Array, run the
//     signature, write the answer by hand); `tfs/lean` is lean CPU per request over tfs's (1.0 =
//     tfs costs no more than the lean server). A lean-*.mjs that does not exist is skipped;
//   - with --baseline <dir>: also `<dir>/bin/run.js serve` (another checkout with its own
//     dist/, e.g. `git worktree add ../tfs-main main && (cd ../tfs-main && npm ci && npx tsc)`),
//     on the same models and requests, and the ratio new/baseline per case.
// The load generator (undici Pool / one grpc-js channel, --concurrency requests in flight) runs
// in this process: its CPU is not counted. Servers alternate for --rounds; the best (lowest)
// CPU per request of each is kept. Each run is bounded by --seconds and stops by itself.
//
//   node bench/serving.mjs [--baseline ../tfs-main] [--seconds 3] [--concurrency 16] [--rounds 2]
//                          [--only rest|grpc] [--models half_plus_two,my_model] [--json]
//                          [--lean-heap-growing-percent 30]   (lean servers under tfs serve's V8 heap sizing)
//                          [--tfs-node-args "--cpu-prof --cpu-prof-dir=DIR"]   (node flags for this checkout's tfs)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const PREDICT_PATH = '/tensorflow.serving.PredictionService/Predict';
/** src/proto/root.js of this build (the request encoder), loaded by main(). */
let protoModule;

if (args[0] === '--bare-server') await bareServer(args[1]);
else await main();

/** A bare server child: REST (fastify) or gRPC (grpc-js) answering fixed bodies from stdin. */
async function bareServer(kind) {
  const replies = JSON.parse(readFileSync(0, 'utf8'));
  if (kind === 'rest') {
    const Fastify = (await import('fastify')).default;
    const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
    app.post('/v1/models/:model', async (req, reply) => {
      const name = String(req.params.model).split(':')[0];
      reply.type('application/json');
      return replies[name] ?? '{}';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    process.stdout.write(`${app.server.address().port}\n`);
  } else {
    const grpc = await import('@grpc/grpc-js');
    const bodies = Object.fromEntries(Object.entries(replies).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
    const first = Object.values(bodies)[0];
    const id = (b) => b;
    const server = new grpc.Server();
    const service = { Predict: { path: PREDICT_PATH, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
    // The model name is in the request's first field (model_spec.name): look for it in the bytes.
    const names = Object.keys(bodies);
    server.addService(service, { Predict: (call, cb) => cb(null, bodies[names.find((n) => call.request.subarray(0, 64).includes(n))] ?? first) });
    const port = await new Promise((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    process.stdout.write(`${port}\n`);
  }
}

/** Start `tfs serve` from checkout `dir`; resolves when the models answer. */
async function startTfs(dir, configFile, nodeArgs = []) {
  const rest = await freePort();
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(dir, 'bin', 'run.js'), 'serve', `--port=${grpcPort}`, `--rest_api_port=${rest}`, `--model_config_file=${configFile}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tfs serve (${dir}) exited: ${stderr.slice(-2000)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${rest}/v1/models/my_model`);
      if (r.ok && (await r.text()).includes('AVAILABLE')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tfs serve (${dir}) did not come up in 120 s: ${stderr.slice(-2000)}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { child, rest, grpc: grpcPort };
}

/** The port a child prints as its first stdout line. */
function firstLinePort(child, what) {
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok(Number(out.split('\n')[0].trim()));
    });
    child.on('exit', (c) => fail(new Error(`${what} exited ${c}`)));
  });
}

/** bench/lean-<protocol>.mjs serving `models` (the contract: it prints its port first), or null when that file does not exist. */
async function startLean(protocol, models, heapGrowing) {
  const file = join(root, 'bench', `lean-${protocol}.mjs`);
  if (!existsSync(file)) {
    console.log(`note: ${join('bench', `lean-${protocol}.mjs`)} does not exist: no lean ${protocol} reference in this run`);
    return null;
  }
  const child = spawn(process.execPath, [file, '--models', models.map(modelPath).join(','), ...(heapGrowing ? ['--heap-growing-percent', heapGrowing] : [])], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  return { child, port: await firstLinePort(child, `lean ${protocol} server`) };
}

async function startBare(kind, replies) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare-server', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(replies));
  return { child, port: await firstLinePort(child, `bare ${kind} server`) };
}

/** A closed loop of `concurrency` requests for `seconds`; returns the requests answered. */
async function closedLoop(send, concurrency, seconds) {
  const stop = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const worker = async () => {
    while (Date.now() < stop) {
      try {
        await send();
        done++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (errors > 0 && done === 0) throw new Error(`every request failed (${errors})`);
  return { done, errors };
}

/** Where model `m` lives: fixtures/models, or the shared zoo for perf_mlp. */
function modelPath(m) {
  if (m === 'perf_mlp') return join(resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared')), 'fixtures', 'zoo', 'perf_mlp');
  return join(root, 'fixtures', 'models', m);
}

function requestBodies(models) {
  const { lookupType } = protoModule;
  const PredictRequest = lookupType('tensorflow.serving.PredictRequest');
  const f32 = (shape, values) => ({ dtype: 'DT_FLOAT', tensor_shape: { dim: shape.map((size) => ({ size })) }, tensor_content: Buffer.from(new Float32Array(values).buffer) });
  const mlp = Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i)));
  const row784 = Array.from({ length: 784 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 1.5));
  const grpcReq = {
    perf_mlp: { model_spec: { name: 'perf_mlp' }, inputs: { keras_tensor: f32([1, 784], row784) } },
    half_plus_two: { model_spec: { name: 'half_plus_two' }, inputs: { x: f32([1, 1], [2]) } },
    my_model: { model_spec: { name: 'my_model', signature_name: 'serving_default' }, inputs: { dense_input: f32([5, 10], mlp) } },
  };
  const rest = {
    perf_mlp: JSON.stringify({ instances: [row784] }),
    half_plus_two: JSON.stringify({ instances: [[2.0]] }),
    my_model: JSON.stringify({ instances: Array.from({ length: 5 }, (_, r) => mlp.slice(r * 10, r * 10 + 10)) }),
  };
  const out = {};
  for (const m of models) out[m] = { rest: rest[m], grpc: Buffer.from(PredictRequest.encode(PredictRequest.fromObject(grpcReq[m])).finish()) };
  return out;
}


async function main() {
  const baseline = opt('baseline', '');
  const seconds = Math.min(30, Number(opt('seconds', '3')));
  const concurrency = Math.min(128, Number(opt('concurrency', '16')));
  const rounds = Math.min(5, Number(opt('rounds', '2')));
  const only = opt('only', '');
  const models = opt('models', 'half_plus_two,my_model').split(',');
  protoModule = await import(new URL('../dist/src/proto/root.js', import.meta.url).href);
  const { Pool } = await import('undici');
  const grpc = await import('@grpc/grpc-js');
  const bodies = requestBodies(models);

  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-serving-'));
  const configFile = join(dir, 'models.config');
  writeFileSync(
    configFile,
    `model_config_list {\n${models.map((m) => `  config { name: "${m}" base_path: "${modelPath(m)}" model_platform: "tensorflow" }`).join('\n')}\n}\n`,
  );
  const servers = [];
  const stopAll = () => {
    for (const s of servers) s.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stopAll);
  try {
    const tfsNew = await startTfs(root, configFile, opt('tfs-node-args', '').split(' ').filter(Boolean));
    servers.push(tfsNew);
    const builds = [['tfs', tfsNew]];
    if (baseline) {
      const tfsBase = await startTfs(resolve(baseline), configFile);
      servers.push(tfsBase);
      builds.push(['baseline', tfsBase]);
    }
    // Clients, and tfs's answers, which the bare servers replay.
    const pools = new Map();
    const pool = (port) => {
      if (!pools.has(port)) pools.set(port, new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 }));
      return pools.get(port);
    };
    const channels = new Map();
    const channel = (port) => {
      if (!channels.has(port)) channels.set(port, new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
      return channels.get(port);
    };
    const restSend = (port, model) => async () => {
      const r = await pool(port).request({ path: `/v1/models/${model}:predict`, method: 'POST', body: bodies[model].rest, headers: { 'content-type': 'application/json' } });
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${text}`);
      return text;
    };
    const id = (b) => b;
    const grpcSend = (port, model) => () =>
      new Promise((ok, fail) => channel(port).makeUnaryRequest(PREDICT_PATH, id, id, bodies[model].grpc, (e, v) => (e ? fail(e) : ok(v))));
    const restReplies = {};
    const grpcReplies = {};
    for (const m of models) {
      restReplies[m] = await restSend(tfsNew.rest, m)();
      grpcReplies[m] = (await grpcSend(tfsNew.grpc, m)()).toString('base64');
    }
    const bareRest = await startBare('rest', restReplies);
    servers.push(bareRest);
    const bareGrpc = await startBare('grpc', grpcReplies);
    servers.push(bareGrpc);
    const lean = {};
    for (const protocol of ['rest', 'grpc']) {
      if (only && only !== protocol) continue;
      lean[protocol] = await startLean(protocol, models, opt('lean-heap-growing-percent', ''));
      if (lean[protocol]) servers.push(lean[protocol]);
    }

    // Warm every tfs build on every case first (JIT tiers, wasm, first-use caches), so the
    // first measured case is not the one that pays for it.
    for (const [, s] of builds) {
      for (const m of models) {
        await closedLoop(restSend(s.rest, m), concurrency, 1);
        await closedLoop(grpcSend(s.grpc, m), concurrency, 1);
      }
    }
    const cases = [];
    for (const protocol of ['rest', 'grpc']) {
      if (only && only !== protocol) continue;
      for (const m of models) {
        const targets = [['bare', bareRest.child.pid, protocol === 'rest' ? restSend(bareRest.port, m) : grpcSend(bareGrpc.port, m)]];
        for (const [label, s] of builds) targets.push([label, s.child.pid, protocol === 'rest' ? restSend(s.rest, m) : grpcSend(s.grpc, m)]);
        if (protocol === 'grpc') targets[0][1] = bareGrpc.child.pid;
        const ln = lean[protocol];
        if (ln) targets.push(['lean', ln.child.pid, protocol === 'rest' ? restSend(ln.port, m) : grpcSend(ln.port, m)]);
        const best = {};
        for (let round = 0; round < rounds; round++) {
          for (const [label, pid, send] of round % 2 ? [...targets].reverse() : targets) {
            await closedLoop(send, concurrency, Math.min(1, seconds)); // warm-up
            const c0 = cpuSeconds(pid);
            const t0 = performance.now();
            const { done } = await closedLoop(send, concurrency, seconds);
            const wall = (performance.now() - t0) / 1000;
            const usPerReq = ((cpuSeconds(pid) - c0) * 1e6) / done;
            const prev = best[label];
            if (!prev || usPerReq < prev.usPerReq) best[label] = { usPerReq, rps: done / wall };
          }
        }
        const row = { protocol, model: m, ...best };
        cases.push(row);
        if (!args.includes('--json')) printRow(row, baseline);
      }
    }
    if (args.includes('--json')) console.log(JSON.stringify({ seconds, concurrency, rounds, baseline, cases }, null, 1));
    for (const p of pools.values()) await p.close();
    for (const c of channels.values()) c.close();
    // A profiled server (--tfs-node-args "--cpu-prof ...") writes its profile on a clean exit.
    if (opt('tfs-node-args', '')) {
      const exited = new Promise((r) => tfsNew.child.once('exit', r));
      tfsNew.child.kill('SIGTERM');
      await exited;
    }
  } finally {
    stopAll();
  }
  process.exit(0);
}

function printRow(row, baseline) {
  const f = (r) => `${r.usPerReq.toFixed(0).padStart(4)} µs/req ${r.rps.toFixed(0).padStart(6)} req/s`;
  let line = `${row.protocol.padEnd(4)} ${row.model.padEnd(14)} bare ${f(row.bare)} | tfs ${f(row.tfs)} | bare/tfs ${(row.bare.usPerReq / row.tfs.usPerReq).toFixed(2)}`;
  if (row.lean) line += ` | lean ${f(row.lean)} tfs/lean ${(row.lean.usPerReq / row.tfs.usPerReq).toFixed(2)}`;
  if (baseline) {
    line += ` | baseline ${f(row.baseline)} bare/baseline ${(row.bare.usPerReq / row.baseline.usPerReq).toFixed(2)} | tfs/baseline CPU ${(row.tfs.usPerReq / row.baseline.usPerReq).toFixed(2)}`;
  }
  console.log(line);
}
