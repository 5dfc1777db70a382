#!/usr/bin/env node
// npm run bench:big-bodies -- /healthz latency while big REST predict bodies are decoded,
// with the decode on the event loop ("before": --rest_api_worker_decode_bytes=0) and in a
// worker thread ("after": the default), on the same machine in the same run.
//
//   npm run bench:big-bodies -- [--sizes 10,95] [--repeat 3] [--model my_model] [--settle-seconds 7] [--json]
//
// For each mode a real `tfs serve` (bin/run.js, a child process, 127.0.0.1) serves the
// fixtures; one client posts a body of each size (MB) --repeat times in a loop while
// another sends GET /healthz back to back on a keep-alive connection. Printed per mode and
// size: the predict's latency, /healthz p50/p99/max during the predicts, and the server's
// RSS before, at the peak (sampled between predicts) and --settle-seconds after the last
// predict (idle decode workers stop after 5 s and give their heap back). my_model rows are 10
// floats with a 1-float answer, so the answer's encoding stays small next to the body.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { option, root } from './lib.mjs';

const args = process.argv.slice(2);
const sizes = option(args, 'sizes', '10,95').split(',').map(Number);
const repeat = Number(option(args, 'repeat', '3'));
const model = option(args, 'model', 'my_model');
const settleSeconds = Number(option(args, 'settle-seconds', '7'));
const json = args.includes('--json');

const dir = mkdtempSync(join(tmpdir(), 'tfs-big-bodies-'));
writeFileSync(join(dir, 'monitoring.config'), 'prometheus_config { enable: true path: "/metrics" }\n');

function startServe(extra) {
  const child = spawn(process.execPath, [join(root, 'bin', 'run.js'), 'serve', '--port=0', '--rest_api_port=0', '--host=127.0.0.1',
    `--model_name=${model}`, `--model_base_path=${join(root, 'fixtures', 'models', model)}`,
    `--monitoring_config_file=${join(dir, 'monitoring.config')}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d.toString();
      const r = /Exporting HTTP\/REST API at:[^:]+:(\d+)/.exec(log);
      if (r) resolve({ child, rest: `http://127.0.0.1:${r[1]}` });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`tfs serve exited with ${code}:\n${log.slice(-2000)}`)));
  });
}

/** A predict body of about `mb` MB: rows of 10 floats (my_model) or single floats. */
function body(mb) {
  const target = mb * 1e6;
  const row = model === 'my_model' ? `[${Array.from({ length: 10 }, (_, i) => (0.1234567 + i / 10).toFixed(7)).join(',')}]` : '1.2345678';
  const n = Math.max(1, Math.floor((target - 20) / (row.length + 1)));
  return Buffer.from(`{"instances": [${Array.from({ length: n }, () => row).join(',')}]}`);
}

async function rss(rest) {
  const text = await (await fetch(`${rest}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
}

function healthzOnce(rest, agent) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(`${rest}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    });
    req.on('error', reject);
    req.end();
  });
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(rest, buf) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const lat = [];
  let stop = false;
  const probe = (async () => {
    while (!stop) lat.push(await healthzOnce(rest, agent));
  })();
  const predicts = [];
  let peak = 0;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const r = await fetch(`${rest}/v1/models/${model}:predict`, { method: 'POST', body: buf });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`predict ${r.status}: ${text.slice(0, 200)}`);
    predicts.push(performance.now() - t);
    peak = Math.max(peak, await rss(rest));
  }
  stop = true;
  await probe;
  agent.destroy();
  return { predictMs: predicts.map((x) => Math.round(x)), healthz: { n: lat.length, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat) }, peakRssMiB: peak };
}

const results = [];
try {
  for (const [mode, extra] of [['before (inline decode)', ['--rest_api_worker_decode_bytes=0']], ['after (worker decode)', []]]) {
    const { child, rest } = await startServe(extra);
    try {
      // Warm-up: one small predict so the first timed one does not pay for lazy set-up.
      await fetch(`${rest}/v1/models/${model}:predict`, { method: 'POST', body: body(0.3) }).then((r) => r.text());
      for (const mb of sizes) {
        const buf = body(mb);
        const before = await rss(rest);
        const m = await measure(rest, buf);
        await new Promise((r) => setTimeout(r, settleSeconds * 1000));
        const after = await rss(rest);
        results.push({ mode, mb, ...m, rssMiB: { before: Math.round(before), peak: Math.round(m.peakRssMiB), after: Math.round(after) } });
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (json) console.log(JSON.stringify(results));
else {
  console.log(`model ${model}, ${repeat} predicts per size, /healthz probed back to back meanwhile`);
  for (const r of results) {
    const h = r.healthz;
    console.log(`${r.mode.padEnd(22)} ${String(r.mb).padStart(3)} MB: predict ${r.predictMs.join('/')} ms; /healthz n=${h.n} p50 ${h.p50.toFixed(1)} ms, p99 ${h.p99.toFixed(1)} ms, max ${h.max.toFixed(1)} ms; RSS ${r.rssMiB.before} -> peak ${r.rssMiB.peak} -> ${r.rssMiB.after} MiB`);
  }
}
