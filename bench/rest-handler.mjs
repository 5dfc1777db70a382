#!/usr/bin/env node
// CPU per request of the REST `:predict` handler alone: the lean path (app.ts installLeanPredict)
// driven in process with stand-in request/response objects, one request at a time, no sockets.
//
// What it covers: the lean path's checks, body → JSON → tensors, the servable handle, signature
// and input checks, the timed run (runtime_latency), the answer's JSON and metrics (request_count,
// request_latency), as `tfs serve` wires them. What it leaves out: node:http and the kernel
// (bench/serving.mjs measures the whole server). With --fake the model is a JS half_plus_two
// (bench/lib.mjs fakeLoader), so only tfs's glue is left; otherwise the fixture SavedModel runs on
// the embedded runtime (backend auto, as `tfs serve`).
//
// Each case runs in a fresh child process per build (its own JIT warm-up) and is timed in process
// CPU time; builds alternate for --rounds and the best of each is kept. With --baseline <dir> (the
// root of another checkout with its own dist/), the ratio new/baseline is printed (< 1: faster).
//
//   node bench/rest-handler.mjs [--baseline ../tfs-main] [--rounds 3] [--seconds 1]
//                               [--models half_plus_two,my_model] [--fake]
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { option } from './lib.mjs';
import { restHandlerHarness } from './rest-handler-harness.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);

if (args[0] === '--child') await child(args[1], args[2], Number(args[3]), args[4] === 'fake');
else main();

function main() {
  const baseline = opt('baseline', '');
  const rounds = Math.max(1, Math.min(10, Number(opt('rounds', '3'))));
  const seconds = Math.max(0.2, Math.min(10, Number(opt('seconds', '1'))));
  const fake = args.includes('--fake');
  const models = fake ? ['half_plus_two'] : opt('models', 'half_plus_two,my_model').split(',');
  const builds = [['new', here]];
  if (baseline) builds.push(['baseline', resolve(baseline)]);
  for (const model of models) {
    const best = {};
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const [label, dir] of order) {
        const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir, model, String(seconds), fake ? 'fake' : 'real'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        best[label] = Math.min(best[label] ?? Infinity, JSON.parse(out.trim().split('\n').pop()).us);
      }
    }
    const ratio = baseline ? `  baseline ${best.baseline.toFixed(2)} µs/req  new/baseline ${(best.new / best.baseline).toFixed(2)}` : '';
    console.log(`${`${model}${fake ? ' (fake)' : ''}`.padEnd(22)} new ${best.new.toFixed(2)} µs/req${ratio}`);
  }
}

/** One build, one model: prints `{"us": <best CPU µs per request over 3 timed runs>}`. */
async function child(dir, model, seconds, fake) {
  const { once, close } = await restHandlerHarness(dir, model, fake);
  let best = Infinity;
  // A first run warms the JIT; the best of the timed runs is kept.
  for (let run = 0; run < 4; run++) {
    const stop = Date.now() + seconds * 1000;
    let n = 0;
    const c0 = process.cpuUsage();
    while (Date.now() < stop) {
      for (let i = 0; i < 100; i++) await once();
      n += 100;
    }
    const c = process.cpuUsage(c0);
    if (run > 0) best = Math.min(best, (c.user + c.system) / n);
  }
  await close();
  process.stdout.write(`${JSON.stringify({ us: best })}\n`);
}
