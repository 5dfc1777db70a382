#!/usr/bin/env node
// npm run bench:rest -- :predict requests/s of tfs's REST API against a bare fastify route, same run.
//
// Both servers run in this process on 127.0.0.1 and answer the same request bodies with the
// same response bodies:
//   - tfs:  buildRestApp over a real ServerCore (SavedModel runtime) serving the fixtures
//           half_plus_two (`{"instances": [[2.0]]}`) and the tutorial's Keras MLP my_model
//           (`{"instances": <5x10 list>}`, the tutorial's request);
//   - bare: a fastify app with one POST route that parses the JSON body (fastify's JSON.parse
//           parser) and replies with the fixed body tfs answered — HTTP, JSON parse and send
//           only, no model. This is the ceiling tfs is compared with.
// A separate load-generator process drives each server in turn with undici (a Pool of --concurrency connections,
// as many requests in flight) for --seconds after a short warm-up, alternating bare/tfs for
// --rounds, and prints requests/s, latency percentiles, the ratio tfs/bare (goal: >= 0.5), and
// the server-side CPU time per request (this process's CPU during each run / requests), which is
// far less sensitive to other load on the machine than requests/s.
//
//   node bench/rest.mjs [--seconds 3] [--concurrency 16] [--rounds 2] [--json]
//   node bench/rest.mjs --fake       # tfs over an in-process JS half_plus_two: the REST layer alone
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/rest.mjs --only tfs   # profile the server side
//
// Load is generated on 127.0.0.1 only, bounded in time, and stops by itself.
// TFS_DIST selects the build directory (default dist).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { bestRun, commonOptions, fakeLoader, fixtureConfig, imp, measureStep, option, realLoader } from './lib.mjs';

if (process.argv.includes('--load-generator')) await loadGenerator();
else await main();

async function main() {
  const args = process.argv.slice(2);
  const { seconds, concurrency, rounds, fake, json } = commonOptions(args);
  const only = option(args, 'only', '');

  const Fastify = (await import('fastify')).default;
  const { buildRestApp, listenRest } = await imp('src/server/rest/app.js');
  const { ServerCore } = await imp('src/server/server-core.js');

  const modelList = fake ? ['half_plus_two'] : ['half_plus_two', 'my_model'];
  const loader = fake ? fakeLoader([-1, 1]) : await realLoader('bench:rest', 'REST');
  const core = await ServerCore.create(fixtureConfig(modelList), { loader, fileSystemPollWaitSeconds: 0, watchFileSystem: false });
  const tfs = buildRestApp({ core });
  const tfsPort = await listenRest(tfs, 0, '127.0.0.1');

  // The tutorial's request: np.random.randn(5, 10).tolist() sent with requests' json=.
  let seed = 1;
  const randn = () => {
    seed = (seed * 16807) % 2147483647;
    const u = seed / 2147483647;
    seed = (seed * 16807) % 2147483647;
    const v = seed / 2147483647;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const bodies = {
    half_plus_two: JSON.stringify({ instances: [[2.0]] }),
    my_model: JSON.stringify({ instances: Array.from({ length: 5 }, () => Array.from({ length: 10 }, randn)) }),
  };

  // One tfs answer per model: checks the server works and gives the bare route its reply.
  const replies = {};
  for (const m of modelList) {
    const res = await tfs.inject({ method: 'POST', url: `/v1/models/${m}:predict`, payload: bodies[m], headers: { 'content-type': 'application/json' } });
    if (res.statusCode !== 200) throw new Error(`${m}: ${res.statusCode} ${res.body}`);
    replies[m] = res.body;
  }
  const bare = Fastify({ logger: false });
  bare.post('/v1/models/:target', async (request, reply) => {
    const name = request.params.target.split(':')[0];
    if (!request.body || typeof request.body !== 'object') throw new Error('no body');
    reply.header('content-type', 'application/json');
    return replies[name];
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = bare.server.address().port;

  const plan = [];
  for (const m of modelList) {
    for (let r = 0; r < rounds; r++) {
      if (only !== 'tfs') plan.push({ model: m, target: 'bare', port: barePort });
      if (only !== 'bare') plan.push({ model: m, target: 'tfs', port: tfsPort });
    }
  }
  // The load generator is a separate process, so this process's CPU time is the servers' alone.
  const child = fork(fileURLToPath(import.meta.url), ['--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const results = [];
  await new Promise((resolve, reject) => {
    let cpuAtStart;
    child.on('message', (m) => {
      if (m.type === 'ready') child.send({ type: 'plan', plan, bodies, seconds, concurrency, warmupSeconds: Math.min(1, seconds / 4) });
      else if (m.type === 'measure-start') {
        cpuAtStart = process.cpuUsage();
        child.send({ type: 'go' });
      } else if (m.type === 'result') {
        const cpu = process.cpuUsage(cpuAtStart);
        // Server CPU per answered request (user + system), in microseconds.
        results.push({ ...m.result, serverCpuUs: (cpu.user + cpu.system) / Math.max(1, m.result.calls + m.result.errors) });
      } else if (m.type === 'done') resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code ? reject(new Error(`load generator exited with ${code}`)) : resolve()));
  });
  await tfs.close();
  await bare.close();
  await core.close();

  const summary = modelList.map((model) => {
    const b = bestRun(results, model, 'bare');
    const t = bestRun(results, model, 'tfs');
    return { model, bare: b, tfs: t, ratio: b && t ? t.rps / b.rps : NaN, cpuRatio: b && t ? b.serverCpuUs / t.serverCpuUs : NaN };
  });
  if (json) {
    console.log(JSON.stringify({ seconds, concurrency, rounds, cpus: availableParallelism(), fake, summary, runs: results }, null, 2));
  } else {
    console.log(`REST :predict, 127.0.0.1, ${concurrency} requests in flight, ${seconds}s per run, best of ${rounds}${fake ? ' (tfs over a JS fake model)' : ''}`);
    console.log('model          target      req/s    p50 ms   p99 ms  errors  server CPU µs/req');
    for (const s of summary) {
      for (const [name, r] of [['bare', s.bare], ['tfs', s.tfs]]) {
        if (!r) continue;
        console.log(
          `${s.model.padEnd(14)} ${name.padEnd(6)} ${r.rps.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)} ${r.serverCpuUs.toFixed(1).padStart(18)}`,
        );
      }
      if (Number.isFinite(s.ratio)) {
        console.log(`${s.model.padEnd(14)} ratio tfs/bare = ${s.ratio.toFixed(2)} req/s (goal >= 0.5); CPU efficiency ratio = ${s.cpuRatio.toFixed(2)}`);
      }
    }
  }
  if (summary.some((s) => (s.tfs?.errors ?? 0) > 0 || (s.bare?.errors ?? 0) > 0)) process.exitCode = 1;
}

async function loadGenerator() {
  const { Pool } = await import('undici');
  const job = await new Promise((resolve) => {
    process.on('message', (m) => m.type === 'plan' && resolve(m));
    process.send({ type: 'ready' });
  });
  const { plan, bodies, seconds, concurrency, warmupSeconds } = job;
  const pools = new Map();
  const poolFor = (port) => {
    if (!pools.has(port)) pools.set(port, new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 }));
    return pools.get(port);
  };
  const go = () =>
    new Promise((resolve) => {
      const onGo = (m) => {
        if (m.type !== 'go') return;
        process.off('message', onGo);
        resolve();
      };
      process.on('message', onGo);
      process.send({ type: 'measure-start' });
    });
  for (const step of plan) {
    const pool = poolFor(step.port);
    const body = bodies[step.model];
    const path = `/v1/models/${step.model}:predict`;
    const once = async () => {
      try {
        const res = await pool.request({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } });
        await res.body.text();
        return res.statusCode === 200 ? null : new Error(String(res.statusCode));
      } catch (e) {
        return e;
      }
    };
    const measured = await measureStep(once, { seconds, concurrency, warmupSeconds, beforeMeasure: go });
    process.send({ type: 'result', result: { model: step.model, target: step.target, ...measured } });
  }
  for (const p of pools.values()) await p.close();
  process.send({ type: 'done' });
  process.disconnect();
}
