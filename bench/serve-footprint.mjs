// What `tfs serve` holds once it is up: modules loaded, heap after a forced full GC, RSS.
// Issue 20: everything serve does not need (other commands' code, their dependencies) should stay
// unloaded, so the heap V8 walks on every major GC stays small.
//
//   node bench/serve-footprint.mjs [--baseline /path/to/other/checkout] [--runs 3] [--list]
//
// Each run starts `node --expose-gc --import bench/footprint-preload.mjs <checkout>/bin/run.js serve`
// on fixtures/models/half_plus_two with both ports 0, waits for the "Serving ..." log line, asks the
// child (IPC) for its figures and stops it. With --baseline the same measurement runs on the other
// checkout (its own build) in the same invocation, runs interleaved; medians are printed.
// --list prints the modules one side loads that the other does not.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, option } from './lib.mjs';

const args = process.argv.slice(2);
const baseline = option(args, 'baseline', undefined);
const runs = Number(option(args, 'runs', '3'));
const model = join(root, 'fixtures/models/half_plus_two');
const preload = join(root, 'bench/footprint-preload.mjs');

/** Starts serve from `checkout`, resolves with the child's footprint once it is serving. */
function measure(checkout) {
  return new Promise((resolve, reject) => {
    const serveArgs = ['serve', '--model_name=half_plus_two', `--model_base_path=${model}`, '--port=0', '--rest_api_port=0'];
    const child = spawn(process.execPath, ['--expose-gc', '--import', preload, join(checkout, 'bin/run.js'), ...serveArgs], {
      cwd: checkout,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let log = '';
    const onData = (d) => {
      log += d;
      if (/Serving .*REST port/.test(log) && !child.asked) {
        child.asked = true;
        child.send('footprint');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('message', (m) => {
      child.kill('SIGKILL');
      resolve(m);
    });
    child.on('exit', (code) => {
      if (!child.asked) reject(new Error(`serve in ${checkout} exited ${code} before serving:\n${log}`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MB = (b) => (b / 1048576).toFixed(2);

function summary(samples) {
  return {
    modules: median(samples.map((s) => s.modules.files)),
    project: median(samples.map((s) => s.modules.project)),
    node_modules: median(samples.map((s) => s.modules.node_modules)),
    builtins: median(samples.map((s) => s.modules.builtins)),
    heapUsedMB: MB(median(samples.map((s) => s.heapUsed))),
    heapTotalMB: MB(median(samples.map((s) => s.heapTotal))),
    externalMB: MB(median(samples.map((s) => s.external))),
    rssMB: MB(median(samples.map((s) => s.rssKb * 1024))),
  };
}

const sides = { current: root, ...(baseline ? { baseline } : {}) };
const samples = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, dir] of Object.entries(sides)) samples[name].push(await measure(dir));
}
if (!samples.current[0].gc) console.warn('warning: no global gc(); heap figures are not post-GC');
const rows = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)]));
console.log(`serve footprint, half_plus_two, median of ${runs} run(s), heap after forced full GC`);
console.table(rows);
if (baseline) {
  const r = (k) => (Number(rows.current[k]) / Number(rows.baseline[k])).toFixed(3);
  console.log(`current/baseline: modules ${r('modules')}, heapUsed ${r('heapUsedMB')}, heapTotal ${r('heapTotalMB')}, rss ${r('rssMB')}`);
}
if (args.includes('--list')) {
  const rel = (s, dir) => new Set(s.modules.list.map((p) => (p.startsWith(dir) ? p.slice(dir.length) : p)));
  const cur = rel(samples.current[0], root);
  const other = baseline ? rel(samples.baseline[0], baseline.endsWith('/') ? baseline : `${baseline}/`) : new Set();
  for (const p of cur) if (!other.has(p)) console.log(`+ ${p}`);
  for (const p of other) if (!cur.has(p)) console.log(`- ${p}`);
}
