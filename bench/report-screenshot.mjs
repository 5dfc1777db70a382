#!/usr/bin/env node
// npm run bench:report-screenshot -- runs a short tfs bench sweep against a loopback server with
// injected latency, writes the HTML report, opens it in headless Chromium (Debian's `chromium`)
// and saves a PNG screenshot next to it. Prints both paths. Bounded: ~5 s of load in total.
//
//   node bench/report-screenshot.mjs [--out DIR]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const i = process.argv.indexOf('--out');
const out = resolve(i > 0 ? process.argv[i + 1] : mkdtempSync(join(tmpdir(), 'tfs-report-')));
mkdirSync(out, { recursive: true });
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => !spawnSync(c, ['--version']).error);
if (!chromium) {
  console.error('Chromium is not installed (Debian: apt-get install chromium)');
  process.exit(1);
}

// A server that handles 4 requests at a time, 5-15 ms each: the sweep shows a knee.
const src = `const http=require('node:http');let a=0;const q=[];const s=http.createServer((req,res)=>{req.resume();req.on('end',()=>{const run=()=>{a++;setTimeout(()=>{res.writeHead(200,{'content-type':'application/json'});res.end('{"predictions":[1]}');a--;const n=q.shift();if(n)n();},5+Math.random()*10)};if(a<4)run();else q.push(run);});});s.listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port));`;
const server = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const [data] = await once(server.stdout, 'data');
  const url = `http://127.0.0.1:${/PORT (\d+)/.exec(data.toString())[1]}`;
  const html = join(out, 'report.html');
  const b = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'bench', '--url', url, '--model', 'demo', '--body', '{"instances":[1.0]}',
    '--sweep', 'concurrency=1,2,4,8,16', '--duration', '1', '--warmup', '0', '--report', html], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(b.stderr);
  console.log(b.stdout);
  const png = join(out, 'report.png');
  const c = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chr-'))}`,
    `--screenshot=${png}`, '--window-size=960,1400', `file://${html}`], { encoding: 'utf8', timeout: 60_000 });
  if (statSync(png, { throwIfNoEntry: false })?.size > 0) console.log(`screenshot: ${png}\nreport: ${html}`);
  else throw new Error(`Chromium did not write a screenshot:\n${c.stderr}`);
} finally {
  server.kill();
}
