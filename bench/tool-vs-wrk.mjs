#!/usr/bin/env node
// npm run bench:tool -- compares tfs bench's closed-loop throughput with wrk's on the same fixed
// endpoint in the same run (the goal: within 15%). The endpoint is a small HTTP server in its own
// process answering every POST with a fixed predict response, or, with --serve, `tfs serve` on the
// demo model (REST :predict of half_plus_two). Loopback only, bounded: each tool runs --seconds.
//
//   node bench/tool-vs-wrk.mjs [--seconds 5] [--connections 16] [--rounds 3] [--serve]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const seconds = Number(opt('seconds', '5'));
const connections = Number(opt('connections', '16'));
const useServe = args.includes('--serve');

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed (Debian: apt-get install wrk)');
  process.exit(1);
}

const body = '{"instances": [1.0, 2.0, 5.0]}';
let url;
let child;
if (useServe) {
  child = spawn(process.execPath, [join(root, 'bin/run.js'), 'serve', '--port=0', '--rest_api_port=0', '--host=127.0.0.1',
    '--model_name=half_plus_two', `--model_base_path=${join(root, 'fixtures/models/half_plus_two')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = /Exporting HTTP\/REST API at:(?:localhost|127\.0\.0\.1|\[::\]|0\.0\.0\.0):(\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (c) => reject(new Error(`tfs serve exited (${c}):\n${out}`)));
    setTimeout(() => reject(new Error(`tfs serve did not start:\n${out}`)), 60_000).unref();
  });
} else {
  const src = `const http=require('node:http');const s=http.createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(200,{'content-type':'application/json'});r.end('{"predictions": [2.5, 3.0, 4.5]}')})});s.listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port));`;
  child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [data] = await once(child.stdout, 'data');
  url = `http://127.0.0.1:${/PORT (\d+)/.exec(data.toString())[1]}`;
}
const path = '/v1/models/half_plus_two:predict';

try {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-wrk-'));
  const lua = join(dir, 'post.lua');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`);
  // Warm the endpoint once so neither tool pays for JIT warm-up of the server.
  spawnSync('wrk', ['-t1', `-c${connections}`, '-d1s', '-s', lua, `${url}${path}`]);
  const rounds = Number(opt('rounds', '3'));
  const runWrk = () => {
    const w = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', lua, `${url}${path}`], { encoding: 'utf8' });
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(w.stdout)?.[1] ?? NaN);
  };
  const runTfs = () => {
    const t = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'bench', '--url', url, '--model', 'half_plus_two', '--body', body,
      '--concurrency', String(connections), '--duration', String(seconds), '--warmup', '0', '--json'], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`tfs bench failed: ${t.stderr}`);
    return JSON.parse(t.stdout).result.throughput;
  };
  const results = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which tool goes first, so drift on a shared machine does not favour one.
    let wrkRps;
    let tfsRps;
    if (round % 2 === 0) {
      wrkRps = runWrk();
      tfsRps = runTfs();
    } else {
      tfsRps = runTfs();
      wrkRps = runWrk();
    }
    results.push({ round, wrkRps, tfsRps, ratio: tfsRps / wrkRps });
  }
  console.log(`endpoint: ${useServe ? 'tfs serve half_plus_two' : 'fixed-response HTTP server'} ${url}${path}`);
  console.log(`load: ${connections} connections, ${seconds} s per tool per round, both tools single-threaded (wrk -t1)`);
  console.log('round  wrk req/s  tfs bench req/s  tfs/wrk');
  for (const r of results) console.log(`${String(r.round).padEnd(6)} ${r.wrkRps.toFixed(0).padStart(9)} ${r.tfsRps.toFixed(0).padStart(16)} ${r.ratio.toFixed(3).padStart(8)}`);
  const sorted = results.map((r) => r.ratio).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`median tfs/wrk throughput ratio: ${median.toFixed(3)} (goal: within 15%, i.e. 0.85 to 1.15)`);
} finally {
  child.kill('SIGTERM');
}
