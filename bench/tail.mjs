#!/usr/bin/env node
// npm run bench:tail -- open-loop tail latency of `tfs serve` REST against a bare fastify server
// answering the same request with a fixed body (issue 20: "open loop at half of peak, tfs p99 at
// most 1.5x bare fastify's p99 in the same set-up").
//
// 1. Starts `tfs serve` of this checkout (fixtures/models/<model>) and the bare fastify server of
//    bench/serving.mjs, each its own process on 127.0.0.1, both with bench/tail-probe.mjs preloaded.
// 2. Finds each server's peak with the project's own generator: `tfs bench -c <peak-concurrency>`.
// 3. Runs `tfs bench -r <rate>` (open loop, latency corrected for coordinated omission) against
//    each in turn for --rounds, at one rate for both: half of tfs's peak unless --rate is given
//    (the issue's set-up); with --each-half-peak, each server at half of its own peak instead
//    (the same utilization for both).
//    The generator shares the machine's cores with the servers, as in the issue's set-up.
// 4. Prints p50/p99 of each, the ratio tfs p99 / bare p99 per round and its median, and what the
//    probe saw in each server during the run: event-loop delay and GC pauses.
//
//   node bench/tail.mjs [--model my_model] [--seconds 5] [--rounds 3] [--rate N]
//                       [--peak-concurrency 32] [--each-half-peak] [--node-flags "--heap-growing-percent=0"]
//                       [--baseline ../tfs-main] [--json]
// --node-flags: extra node/V8 flags for the tfs process only (e.g. to compare GC settings);
//   --baseline-node-flags the same for the --baseline process (so `--baseline .` with different
//   flags compares two settings of one build in the same rounds).
// --baseline <dir>: also `<dir>/bin/run.js serve` (another checkout with its own dist/), probed
//   the same way and driven at tfs's rate in the same rounds (order alternating), with its own
//   p99 ratio to bare and the median of tfs p99 / baseline p99.
// Reading it (measured on the shared 2-core machine, issue 20): a round's p99 is set by its few
// longest stretches in which a server could not keep up, so one 5 s round is one draw. The
// stretches come mostly from the machine: with other work running (load average above the
// cores), each server's loop thread waits for a CPU about as long as it runs, and at one rate
// for both the server that needs more CPU per request (tfs, ~1.7x bare) queues first. The last
// lines say how much of that there was; --each-half-peak (same utilization for both) and more
// rounds (median of per-round ratios) tell a server's own stalls from the machine's, and
// `--baseline <a checkout of the same code>` is an A/A check of the method itself: with the
// load average at 7-8 on 2 cores, main against an identical build gave a median p99 ratio of
// 3.28 (per round 0.29-3.68), so ratios from such a run say nothing about either build.
// Before the peaks, each server gets a short closed-loop warm-up (JIT tiers, first-use caches),
// so a cold start does not lower the peak the rate is derived from.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const probe = join(root, 'bench', 'tail-probe.mjs');
const run = join(root, 'bin', 'run.js');
/** bin/run.js of the --baseline checkout, if any. */
const baselineDir = option(process.argv.slice(2), 'baseline', '');

const BODIES = {
  half_plus_two: JSON.stringify({ instances: [[2.0]] }),
  my_model: JSON.stringify({ instances: Array.from({ length: 5 }, (_, r) => Array.from({ length: 10 }, (_, c) => Math.fround(Math.sin(r * 10 + c)))) }),
};

/** Collects a child's stderr; TAILPROBE lines are parsed into `probes`. */
function watch(child) {
  const w = { stderr: '', probes: [], waiters: [] };
  let buf = '';
  child.stderr.on('data', (d) => {
    w.stderr = (w.stderr + d).slice(-20000);
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('TAILPROBE ')) {
        w.probes.push(JSON.parse(line.slice(10)));
        w.waiters.shift()?.();
      }
    }
  });
  return w;
}

/** Asks a probed server for its report since the last ask; resolves with it. */
async function probeReport(server) {
  const got = new Promise((ok) => server.watch.waiters.push(ok));
  server.child.kill('SIGUSR2');
  await got;
  return server.watch.probes.at(-1);
}

async function startTfs(model, configFile, nodeFlags, runJs = run) {
  const rest = await freePort();
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, '--import', probe, runJs, 'serve', `--port=${grpcPort}`, `--rest_api_port=${rest}`, `--model_config_file=${configFile}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const w = watch(child);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tfs serve exited: ${w.stderr.slice(-2000)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${rest}/v1/models/${model}`);
      if (r.ok && (await r.text()).includes('AVAILABLE')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tfs serve did not come up in 120 s: ${w.stderr.slice(-2000)}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { child, watch: w, url: `http://127.0.0.1:${rest}` };
}

async function startBare(replies) {
  const child = spawn(process.execPath, ['--import', probe, join(root, 'bench', 'serving.mjs'), '--bare-server', 'rest'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const w = watch(child);
  child.stdin.end(JSON.stringify(replies));
  const port = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok(Number(out.trim()));
    });
    child.on('exit', (c) => fail(new Error(`bare server exited ${c}: ${w.stderr}`)));
  });
  return { child, watch: w, url: `http://127.0.0.1:${port}` };
}

/** `tfs bench` (this checkout) against `url`; resolves with its RunResult. */
async function tfsBench(url, model, load, seconds) {
  const child = spawn(
    process.execPath,
    [run, 'bench', '--url', url, '--model', model, '--body', BODIES[model], ...load, '-d', String(seconds), '--warmup', '1', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((ok) => child.on('exit', ok));
  if (code !== 0) throw new Error(`tfs bench exited ${code}: ${err.slice(-2000)} ${out.slice(-2000)}`);
  return JSON.parse(out).result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const model = opt('model', 'my_model');
  if (!BODIES[model]) throw new Error(`--model must be one of ${Object.keys(BODIES).join(', ')}`);
  const seconds = Math.min(30, Number(opt('seconds', '5')));
  const rounds = Math.min(15, Number(opt('rounds', '3')));
  const peakConcurrency = Math.min(256, Number(opt('peak-concurrency', '32')));
  const nodeFlags = opt('node-flags', '').split(' ').filter(Boolean);
  const json = args.includes('--json');

  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-tail-'));
  const configFile = join(dir, 'models.config');
  writeFileSync(configFile, `model_config_list {\n  config { name: "${model}" base_path: "${join(root, 'fixtures', 'models', model)}" model_platform: "tensorflow" }\n}\n`);
  const servers = [];
  process.on('exit', () => {
    for (const s of servers) s.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const tfs = await startTfs(model, configFile, nodeFlags);
  servers.push(tfs);
  const r = await fetch(`${tfs.url}/v1/models/${model}:predict`, { method: 'POST', body: BODIES[model], headers: { 'content-type': 'application/json' } });
  const reply = await r.text();
  if (r.status !== 200) throw new Error(`tfs answered ${r.status}: ${reply}`);
  const bare = await startBare({ [model]: reply });
  servers.push(bare);
  const targets = [
    ['bare', bare],
    ['tfs', tfs],
  ];
  if (baselineDir) {
    const baseFlags = opt('baseline-node-flags', '').split(' ').filter(Boolean);
    const base = await startTfs(model, configFile, baseFlags, join(baselineDir, 'bin', 'run.js'));
    servers.push(base);
    targets.push(['baseline', base]);
  }

  // Warm-up, then peaks (closed loop).
  for (const [, s] of targets) await tfsBench(s.url, model, ['-c', String(peakConcurrency)], 2);
  const peak = {};
  for (const [label, s] of targets) peak[label] = (await tfsBench(s.url, model, ['-c', String(peakConcurrency)], 3)).throughput;
  const each = args.includes('--each-half-peak');
  const rate = Number(opt('rate', String(Math.round(peak.tfs / 2))));
  const rates = { bare: each ? Math.round(peak.bare / 2) : rate, tfs: rate, baseline: each && peak.baseline ? Math.round(peak.baseline / 2) : rate };
  if (!json) console.log(`${model}: peak bare ${peak.bare.toFixed(0)} req/s, tfs ${peak.tfs.toFixed(0)} req/s${peak.baseline ? `, baseline ${peak.baseline.toFixed(0)} req/s` : ''} (-c ${peakConcurrency}); open loop at ${rates.bare} (bare) / ${rates.tfs} (tfs) req/s for ${seconds} s, ${rounds} rounds`);

  const rows = [];
  for (let round = 0; round < rounds; round++) {
    const row = { round, load1: Number(loadavg()[0].toFixed(2)) };
    for (const [label, s] of round % 2 ? [...targets].reverse() : targets) {
      await probeReport(s); // start the probe's window here
      const res = await tfsBench(s.url, model, ['-r', String(rates[label])], seconds);
      const seen = await probeReport(s);
      // CPU per request from the probe's window (which also spans the generator's 1 s warm-up,
      // sent at the same rate): requests ~ rate x window.
      const cpuUsPerReq = (seen.cpuMs * 1000) / ((rates[label] * seen.wallMs) / 1000);
      row[label] = { p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max, throughput: res.throughput, ok: res.ok, completed: res.completed, cpuUsPerReq, probe: seen };
    }
    row.ratio = row.tfs.p99 / row.bare.p99;
    if (row.baseline) {
      row.baselineRatio = row.baseline.p99 / row.bare.p99;
      row.vsBaseline = row.tfs.p99 / row.baseline.p99;
    }
    rows.push(row);
    if (!json) printRow(row);
  }
  const summary = { model, rates, seconds, peak, nodeFlags, medianRatio: median(rows.map((r) => r.ratio)), rows };
  if (baselineDir) {
    summary.baseline = baselineDir;
    summary.medianBaselineRatio = median(rows.map((r) => r.baselineRatio));
    summary.medianVsBaseline = median(rows.map((r) => r.vsBaseline));
  }
  Object.assign(summary, contention(rows));
  if (json) console.log(JSON.stringify(summary, null, 1));
  else {
    console.log(`median tfs p99 / bare p99: ${summary.medianRatio.toFixed(2)} (goal <= 1.5)`);
    printContention(summary);
    if (baselineDir) console.log(`median baseline p99 / bare p99: ${summary.medianBaselineRatio.toFixed(2)}; median tfs p99 / baseline p99: ${summary.medianVsBaseline.toFixed(2)}`);
  }
  process.exit(0);
}

/**
 * What the rounds say about the machine: the median of tfs / bare server CPU per request, each
 * server's median share of the window its loop thread spent waiting for a CPU, and how many
 * rounds began with a 1-minute load average above the core count. At one rate for both, a
 * busy machine hits the server that needs more CPU per request first: when the loop threads
 * wait for a CPU a large part of the window, the p99s measure the machine's other load more
 * than either server.
 */
function contention(rows) {
  const share = (k) => {
    const xs = rows.map((r) => r[k].probe.runqueueWaitMs / r[k].probe.wallMs).filter((x) => x === x);
    return xs.length ? median(xs) : undefined;
  };
  return {
    medianCpuRatio: median(rows.map((r) => r.tfs.cpuUsPerReq / r.bare.cpuUsPerReq)),
    medianWaitShare: { bare: share('bare'), tfs: share('tfs') },
    busyRounds: rows.filter((r) => r.load1 > cpus().length).length,
  };
}

function printContention(summary) {
  const pct = (x) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(0)}%`);
  const w = summary.medianWaitShare;
  console.log(
    `median tfs / bare server CPU per request: ${summary.medianCpuRatio.toFixed(2)}; loop thread waiting for a CPU (median share of the window): bare ${pct(w.bare)}, tfs ${pct(w.tfs)}; ` +
      `${summary.busyRounds} of ${summary.rows.length} rounds began with the load average above ${cpus().length} (the core count)`,
  );
}

function printRow(row) {
  const gcText = (gc) =>
    Object.entries(gc)
      .map(([k, g]) => `${k} ${g.count}x ${g.totalMs.toFixed(0)}ms max ${g.maxMs.toFixed(1)}`)
      .join(', ') || 'none';
  const f = (x) => `p50 ${x.p50.toFixed(2)} p99 ${x.p99.toFixed(2)} max ${x.max.toFixed(1)} ms (${x.ok}/${x.completed} ok)`;
  console.log(`round ${row.round} (load ${row.load1}): bare ${f(row.bare)} | tfs ${f(row.tfs)} | tfs/bare p99 ${row.ratio.toFixed(2)}`);
  if (row.baseline) console.log(`   baseline ${f(row.baseline)} | baseline/bare p99 ${row.baselineRatio.toFixed(2)} | tfs/baseline p99 ${row.vsBaseline.toFixed(2)}`);
  for (const k of ['bare', 'tfs', 'baseline']) {
    const p = row[k]?.probe;
    if (!p) continue;
    const wait = p.runqueueWaitMs === undefined ? '' : `, loop thread waited ${p.runqueueWaitMs} ms for a CPU`;
    const use = `cpu ${(p.cpuMs / p.wallMs * 100).toFixed(0)}% of a core, ~${row[k].cpuUsPerReq.toFixed(0)} µs/req${wait}`;
    console.log(`   ${k.padEnd(4)} ${use}; loop delay p50 ${p.loopDelay.p50} p99 ${p.loopDelay.p99} max ${p.loopDelay.max} ms; gc: ${gcText(p.gc)}; heap ${p.heapUsedMiB} MiB`);
  }
}

await main();
