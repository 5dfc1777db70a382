#!/usr/bin/env node
// npm run bench:native -- served perf_mlp throughput with batching, embedded runtime against
// TensorFlow's own (--runtime tensorflow), same run, same machine.
//
// It starts two `tfs serve` children on 127.0.0.1 with perf_mlp (../shared/fixtures/zoo/perf_mlp)
// and --enable_batching (max_batch_size 128, batch_timeout_micros 1000, num_batch_threads 2,
// max_enqueued_batches 1000), one per runtime, warms each up (--warmup-seconds, default 3),
// then runs --rounds rounds (default 3); each round drives :predict on both (order alternating
// per round) with `tfs bench --auto` (one row per request, --concurrency closed-loop clients,
// --seconds each). Per round and runtime it records requests/s and the server's CPU time per
// request (utime+stime from /proc/<pid>/stat over the run / requests completed).
// It prints the median and range over rounds, and two ratios native / embedded:
//   - requests/s: median of the per-round ratios (what a client sees; on a machine where the
//     load generator shares the cores, it caps both runtimes and compresses this ratio);
//   - capacity: embedded CPU ms per request / native CPU ms per request (how many more
//     requests the same CPU serves; independent of the load generator and of other load).
// Needs the native addon (tfs native install); everything stops by itself.
//
// --grpc drives gRPC Predict (tensor_content) instead of REST :predict (JSON), so less of each
// request's cost is decoding that both runtimes share.
//
//   node bench/native-served.mjs [--seconds 4] [--concurrency 64] [--rounds 3] [--grpc] [--json]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const SECONDS = opt('--seconds', 4);
const CONCURRENCY = opt('--concurrency', 64);
const ROUNDS = opt('--rounds', 3);
const WARMUP = opt('--warmup-seconds', 3);
// rest (JSON bodies: the request path decodes 784 numbers per row) or grpc (tensor_content bytes).
const PROTOCOL = args.includes('--grpc') ? 'grpc' : 'rest';
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
      const g = /Running gRPC ModelServer at [^:]*:(\d+)/.exec(text);
      if (m && g) res({ child, port: Number(m[1]), grpcPort: Number(g[1]) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`tfs serve --runtime=${runtime} exited (${code}): ${text.slice(-800)}`)));
  });
}

/** One closed-loop run against `port`: the bench result and the server's CPU ms per request. */
function drive(server, seconds) {
  const before = 1000 * cpuSeconds(server.child.pid);
  const target = PROTOCOL === 'grpc' ? `--grpc=127.0.0.1:${server.grpcPort}` : `--url=http://127.0.0.1:${server.port}`;
  const out = execFileSync(process.execPath, [bin, 'bench', target, '--model=perf_mlp', '--auto', `-c=${CONCURRENCY}`, `-d=${seconds}`, '--warmup=0', '--json'], { encoding: 'utf8' });
  const cpu = 1000 * cpuSeconds(server.child.pid) - before;
  const r = JSON.parse(out).result;
  if (r.ok !== r.completed) throw new Error(`${r.completed - r.ok} failed requests: ${JSON.stringify(r.errorSamples)}`);
  return { rps: r.throughput, p50: r.latency.p50, p99: r.latency.p99, cpuPerRequest: cpu / r.completed };
}

const RUNTIMES = ['embedded', 'tensorflow'];
const rounds = [];
const servers = {};
try {
  for (const runtime of RUNTIMES) {
    servers[runtime] = await serve(runtime);
    drive(servers[runtime], WARMUP);
  }
  for (let i = 0; i < ROUNDS; i++) {
    const round = {};
    for (const runtime of i % 2 === 0 ? RUNTIMES : [...RUNTIMES].reverse()) round[runtime] = drive(servers[runtime], SECONDS);
    rounds.push(round);
    process.stderr.write(`round ${i + 1}: ${RUNTIMES.map((r) => `${r} ${round[r].rps.toFixed(0)} req/s, ${round[r].cpuPerRequest.toFixed(3)} CPU ms/req`).join('; ')}\n`);
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const col = (runtime, key) => rounds.map((r) => r[runtime][key]);
if (args.includes('--json')) console.log(JSON.stringify(rounds, null, 1));
console.log(`\nbench:native — served perf_mlp over ${PROTOCOL}, batching on, ${CONCURRENCY} clients x 1 row, ${ROUNDS} rounds x ${SECONDS} s per runtime, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| runtime | requests/s (median) | range | p50 ms | p99 ms | server CPU ms / request (median) | range |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const runtime of RUNTIMES) {
  console.log(`| ${runtime} | ${median(col(runtime, 'rps')).toFixed(0)} | ${span(col(runtime, 'rps'))} | ${median(col(runtime, 'p50')).toFixed(2)} | ${median(col(runtime, 'p99')).toFixed(2)} | ${median(col(runtime, 'cpuPerRequest')).toFixed(3)} | ${span(col(runtime, 'cpuPerRequest'), 3)} |`);
}
const rpsRatios = rounds.map((r) => r.tensorflow.rps / r.embedded.rps);
const capRatios = rounds.map((r) => r.embedded.cpuPerRequest / r.tensorflow.cpuPerRequest);
console.log(`native / embedded requests/s: ${median(rpsRatios).toFixed(2)}x (rounds ${span(rpsRatios, 2)})`);
console.log(`native / embedded capacity (CPU per request): ${median(capRatios).toFixed(2)}x (rounds ${span(capRatios, 2)})`);
