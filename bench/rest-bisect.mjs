#!/usr/bin/env node
// npm run bench:rest-bisect -- where `tfs serve`'s extra REST CPU per request (against the lean
// reference, bench/lean-rest.mjs) comes from: its request path, or the process around it.
//
// Three ways to answer the same `:predict` requests, measured as server CPU per request
// (/proc/<pid>/stat across a closed-loop run, as bench/serving.mjs):
//   - tfs:         `bin/run.js serve` of this checkout, its own REST path;
//   - lean-in-tfs: the lean handler mounted on that same serve process and server
//                  (bench/lean-inject.mjs, `/lean/v1/models/...`): serve's process, heap, V8
//                  flags, gRPC server, metrics, timers and server settings, the lean request path;
//   - lean:        bench/lean-rest.mjs in its own process (its own node:http server).
// tfs and lean-in-tfs alternate on the same process, round after round, so a busy machine
// weighs on both alike. `path` = lean-in-tfs / tfs (what the request path costs: 1.0 = nothing
// beyond the lean one); `process` = lean / lean-in-tfs (what serve's process costs a lean
// request: 1.0 = nothing).
//
//   node bench/rest-bisect.mjs [--seconds 3] [--rounds 3] [--concurrency 16] [--models half_plus_two,my_model]
//                              [--node-flags "--heap-growing-percent=100"]   (node/V8 flags for the serve process)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const seconds = Math.min(30, Number(option(args, 'seconds', '3')));
const rounds = Math.min(7, Number(option(args, 'rounds', '3')));
const concurrency = Math.min(128, Number(option(args, 'concurrency', '16')));
const models = option(args, 'models', 'half_plus_two,my_model').split(',');
const mlp = Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i)));
const BODIES = {
  half_plus_two: JSON.stringify({ instances: [[2.0]] }),
  my_model: JSON.stringify({ instances: Array.from({ length: 5 }, (_, r) => mlp.slice(r * 10, r * 10 + 10)) }),
};

const { Pool } = await import('undici');
const children = [];
const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-bisect-'));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** POST `body` to `url` until it answers 200 (the server is up and the models are loaded). */
async function waitReady(pool, path, body, what) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await pool.request({ path, method: 'POST', body });
      await r.body.text();
      if (r.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${path} in 120 s`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

/** Closed loop of `concurrency` requests for `secs`; returns the requests answered. */
async function closedLoop(pool, path, body, secs) {
  const stop = Date.now() + secs * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < stop) {
      const r = await pool.request({ path, method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${text}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

async function main() {
  const configFile = join(dir, 'models.config');
  writeFileSync(configFile, `model_config_list {\n${models.map((m) => `  config { name: "${m}" base_path: "${join(root, 'fixtures', 'models', m)}" model_platform: "tensorflow" }`).join('\n')}\n}\n`);
  const rest = await freePort();
  const grpc = await freePort();
  const env = { ...process.env, NODE_ENV: 'production', TFS_LEAN_MODELS: models.join(',') };
  const nodeFlags = option(args, 'node-flags', '').split(' ').filter(Boolean);
  const serve = spawn(process.execPath, [...nodeFlags, '--import', join(root, 'bench', 'lean-inject.mjs'), join(root, 'bin', 'run.js'), 'serve', `--port=${grpc}`, `--rest_api_port=${rest}`, `--model_config_file=${configFile}`], { stdio: ['ignore', 'ignore', 'pipe'], env });
  children.push(serve);
  // serve logs to stderr: keep its tail for a failure, print nothing otherwise.
  let serveLog = '';
  serve.stderr.on('data', (d) => (serveLog = (serveLog + d).slice(-4000)));
  serve.on('exit', (c) => {
    if (c !== null) console.error(`tfs serve exited ${c}: ${serveLog}`);
  });
  const lean = spawn(process.execPath, [join(root, 'bench', 'lean-rest.mjs'), '--models', models.join(',')], { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.push(lean);
  const leanPort = await new Promise((ok, fail) => {
    let out = '';
    lean.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok(Number(out.split('\n')[0]));
    });
    lean.on('exit', (c) => fail(new Error(`lean-rest exited ${c}`)));
  });
  const servePool = new Pool(`http://127.0.0.1:${rest}`, { connections: concurrency });
  const leanPool = new Pool(`http://127.0.0.1:${leanPort}`, { connections: concurrency });
  for (const m of models) {
    await waitReady(servePool, `/v1/models/${m}:predict`, BODIES[m], 'tfs serve');
    await waitReady(servePool, `/lean/v1/models/${m}:predict`, BODIES[m], 'lean-in-tfs');
    await waitReady(leanPool, `/v1/models/${m}:predict`, BODIES[m], 'lean');
  }
  for (const m of models) {
    const targets = [
      ['tfs', serve.pid, servePool, `/v1/models/${m}:predict`],
      ['lean-in-tfs', serve.pid, servePool, `/lean/v1/models/${m}:predict`],
      ['lean', lean.pid, leanPool, `/v1/models/${m}:predict`],
    ];
    const best = {};
    for (let round = 0; round < rounds; round++) {
      for (const [label, pid, pool, path] of round % 2 ? [...targets].reverse() : targets) {
        await closedLoop(pool, path, BODIES[m], 1); // warm-up
        const c0 = cpuSeconds(pid);
        const n = await closedLoop(pool, path, BODIES[m], seconds);
        const us = ((cpuSeconds(pid) - c0) * 1e6) / n;
        best[label] = Math.min(best[label] ?? Infinity, us);
      }
    }
    const f = (x) => `${x.toFixed(0).padStart(4)} µs/req`;
    console.log(
      `${m.padEnd(14)} tfs ${f(best.tfs)} | lean-in-tfs ${f(best['lean-in-tfs'])} | lean ${f(best.lean)} | path (lean-in-tfs/tfs) ${(best['lean-in-tfs'] / best.tfs).toFixed(2)} | process (lean/lean-in-tfs) ${(best.lean / best['lean-in-tfs']).toFixed(2)}`,
    );
  }
  await servePool.close();
  await leanPool.close();
  process.exit(0);
}

await main();
