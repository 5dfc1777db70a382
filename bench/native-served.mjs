#!/usr/bin/env node
// npm run bench:native -- served perf_mlp throughput with batching, embedded runtime against
// TensorFlow's own (--runtime tensorflow), same run, same machine.
//
// For each runtime it starts `tfs serve` (a child process on 127.0.0.1) with perf_mlp
// (../shared/fixtures/zoo/perf_mlp) and --enable_batching (max_batch_size 128,
// batch_timeout_micros 1000, num_batch_threads 2, max_enqueued_batches 1000), then drives
// :predict with `tfs bench --auto` (one row per request, --concurrency closed-loop clients, for
// --seconds after a 1 s warm-up), and prints requests/s, p50/p99 and the ratio native/embedded.
// Needs the native addon (tfs native install); everything stops by itself.
//
//   node bench/native-served.mjs [--seconds 5] [--concurrency 64] [--json]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const SECONDS = opt('--seconds', 5);
const CONCURRENCY = opt('--concurrency', 64);
const shared = resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'));
const model = join(shared, 'fixtures', 'zoo', 'perf_mlp');
const bin = join(root, 'bin', 'run.js');
const tmp = mkdtempSync(join(tmpdir(), 'tfs-bench-native-'));
const batching = join(tmp, 'batching.pbtxt');
writeFileSync(batching, 'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 1000 }\nnum_batch_threads { value: 2 }\nmax_enqueued_batches { value: 1000 }\n');

/** Starts tfs serve and resolves with its REST port once it listens. */
function serve(runtime) {
  const child = spawn(process.execPath, [bin, 'serve', `--runtime=${runtime}`, '--model_name=perf_mlp', `--model_base_path=${model}`, '--host=127.0.0.1', '--port=0', '--rest_api_port=0',
    '--enable_batching', `--batching_parameters_file=${batching}`, '--log_level=info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return new Promise((res, rej) => {
    let text = '';
    const onData = (d) => {
      text += d;
      const m = /Exporting HTTP\/REST API at:[^:]*:(\d+)/.exec(text);
      if (m) res({ child, port: Number(m[1]) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`tfs serve --runtime=${runtime} exited (${code}): ${text.slice(-800)}`)));
  });
}

const results = {};
try {
  for (const runtime of ['embedded', 'tensorflow']) {
    const { child, port } = await serve(runtime);
    try {
      const out = execFileSync(process.execPath, [bin, 'bench', `--url=http://127.0.0.1:${port}`, '--model=perf_mlp', '--auto', `-c=${CONCURRENCY}`, `-d=${SECONDS}`, '--warmup=1', '--json'], { encoding: 'utf8' });
      results[runtime] = JSON.parse(out);
    } finally {
      child.kill('SIGKILL');
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const rps = (r) => r.result.throughput;
const lat = (r, p) => r.result.latency[p];
if (args.includes('--json')) console.log(JSON.stringify(results, null, 1));
console.log(`\nbench:native — served perf_mlp, batching on, ${CONCURRENCY} clients x 1 row, ${SECONDS} s, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| runtime | requests/s | p50 ms | p99 ms |');
console.log('| --- | ---: | ---: | ---: |');
for (const [runtime, r] of Object.entries(results)) console.log(`| ${runtime} | ${rps(r)?.toFixed(0)} | ${lat(r, 'p50')} | ${lat(r, 'p99')} |`);
console.log(`native / embedded: ${(rps(results.tensorflow) / rps(results.embedded)).toFixed(2)}x`);
