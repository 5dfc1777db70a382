#!/usr/bin/env node
// npm run bench:native -- served perf_mlp throughput with batching, embedded runtime against
// TensorFlow's own (--runtime tensorflow), same run, same machine.
//
// It starts `tfs serve` children on 127.0.0.1 with perf_mlp (../shared/fixtures/zoo/perf_mlp)
// and --enable_batching (max_batch_size 128, batch_timeout_micros 1000, num_batch_threads 2,
// max_enqueued_batches 1000): one per runtime, plus one more native server per --native-args.
// It warms each up (--warmup-seconds, default 3), then runs --rounds rounds (default 3); each
// round drives :predict on every server (order alternating per round) with `tfs bench --auto`
// (--rows rows per request, --concurrency closed-loop clients, --seconds each). Per round and
// server it records requests/s, the server's CPU time per request (utime+stime of every thread
// from /proc/<pid>/task/*/stat over the run / requests completed), how that CPU splits over
// the server's threads, and the mean batch size formed (the server's own
// processed_batch_size histogram).
//
// Thread split, per request:
//   - main: the event loop (HTTP/gRPC, JSON/protobuf codecs, batching, and the embedded
//     runtime's wasm kernels when batches run in-thread);
//   - node: the threads every tfs server has (V8's GC and compiler helpers, libuv's pool,
//     whose threads also run the addon's TF_SessionRun call);
//   - runtime: threads the runtime started (TensorFlow's intra-/inter-op pools; batch worker
//     threads of the embedded runtime if it moved batches to workers).
//   "node" is told from "runtime" by count: a server's lowest-numbered threads, as many as the
//   embedded server had right after it started, are node's.
// It prints the median and range over rounds, and two ratios per native server / embedded:
//   - requests/s: median of the per-round ratios (what a client sees; on a machine where the
//     load generator shares the cores, it caps both runtimes and compresses this ratio);
//   - capacity: embedded CPU ms per request / native CPU ms per request (how many more
//     requests the same CPU serves; independent of the load generator and of other load).
// Needs the native addon (tfs native install); everything stops by itself.
//
// --grpc drives gRPC Predict (tensor_content) instead of REST :predict (JSON), so less of each
// request's cost is decoding that both runtimes share. --rows N sends N rows per request
// (compute then weighs more against the request path). --serve-args "..." adds flags to every
// server; --native-args "..." (repeatable) adds a native server with those flags, e.g.
// --native-args "--tensorflow_thread_spinning=false" to compare with the plain native one.
// --native-node-args "..." (repeatable) adds a native server whose node gets those flags, e.g.
// "--no-incremental-marking-task" to see what V8's GC scheduling costs.
// --embedded-node-args "..." (repeatable) does the same for an embedded server, e.g.
// "--heap-growing-percent=100" against serve's own default.
// --baseline DIR adds a native server run from another checkout (DIR/bin/run.js, built), e.g.
// a `git worktree add --detach` of main, to compare code changes in the same run.
//
//   node bench/native-served.mjs [--seconds 4] [--concurrency 64] [--rounds 3] [--rows 1] [--grpc]
//        [--serve-args "..."] [--native-args "..."]... [--native-node-args "..."]...
//        [--embedded-node-args "..."]... [--baseline DIR] [--json]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const all = (name) => args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]] : []));
const words = (s) => s.split(/\s+/).filter((w) => w !== '');
const SECONDS = opt('--seconds', 4);
const CONCURRENCY = opt('--concurrency', 64);
const ROUNDS = opt('--rounds', 3);
const WARMUP = opt('--warmup-seconds', 3);
const ROWS = opt('--rows', 1);
const SERVE_ARGS = words(all('--serve-args').join(' '));
const NATIVE_VARIANTS = all('--native-args');
const NODE_VARIANTS = all('--native-node-args');
const EMBEDDED_NODE_VARIANTS = all('--embedded-node-args');
const BASELINE = args.includes('--baseline') ? resolve(args[args.indexOf('--baseline') + 1]) : undefined;
// rest (JSON bodies: the request path decodes 784 numbers per row) or grpc (tensor_content bytes).
const PROTOCOL = args.includes('--grpc') ? 'grpc' : 'rest';
const shared = resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'));
const model = join(shared, 'fixtures', 'zoo', 'perf_mlp');
const bin = join(root, 'bin', 'run.js');
const tmp = mkdtempSync(join(tmpdir(), 'tfs-bench-native-'));
const batching = join(tmp, 'batching.pbtxt');
const monitoring = join(tmp, 'monitoring.pbtxt');
writeFileSync(batching, 'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 1000 }\nnum_batch_threads { value: 2 }\nmax_enqueued_batches { value: 1000 }\n');
writeFileSync(monitoring, 'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }\n');

/** CPU ms (utime + stime) of each thread of `pid`, by thread id. */
function threadCpu(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) * 10); // USER_HZ = 100
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Starts tfs serve and resolves once it listens, with its ports and its thread ids at that point. */
function serve(label, runtime, extra, from = bin, nodeArgs = []) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, from, 'serve', `--runtime=${runtime}`, '--model_name=perf_mlp', `--model_base_path=${model}`, '--host=127.0.0.1', '--port=0', '--rest_api_port=0',
      '--enable_batching', `--batching_parameters_file=${batching}`, `--monitoring_config_file=${monitoring}`, '--log_level=info', ...SERVE_ARGS, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  return new Promise((res, rej) => {
    let text = '';
    const onData = (d) => {
      text += d;
      const m = /Exporting HTTP\/REST API at:[^:]*:(\d+)/.exec(text);
      const g = /Running gRPC ModelServer at [^:]*:(\d+)/.exec(text);
      if (m && g) res({ label, child, port: Number(m[1]), grpcPort: Number(g[1]), startThreads: [...threadCpu(child.pid).keys()].length });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`tfs serve ${label} exited (${code}): ${text.slice(-800)}`)));
  });
}

/** processed_batch_size sum and count from the server's Prometheus page. */
async function batchSizes(server) {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/monitoring/prometheus/metrics`)).text();
  const h = { sum: 0, count: 0 };
  for (const line of text.split('\n')) {
    const m = /^:tensorflow:serving:batching_session:processed_batch_size_(sum|count)\S* (\S+)/.exec(line);
    if (m) h[m[1]] = Number(m[2]);
  }
  return h;
}

/** CPU ms of `after` - `before`, split into main / node / runtime threads (see the file comment). */
function splitCpu(pid, before, after, nodeThreads) {
  const tids = [...after.keys()].sort((a, b) => a - b);
  const split = { main: 0, node: 0, runtime: 0 };
  tids.forEach((tid, i) => {
    const ms = after.get(tid) - (before.get(tid) ?? 0);
    split[tid === pid ? 'main' : i < nodeThreads ? 'node' : 'runtime'] += ms;
  });
  return split;
}

/** One closed-loop run against `server`: the bench result, the server's CPU ms per request and its split. */
async function drive(server, seconds, nodeThreads) {
  const target = PROTOCOL === 'grpc' ? `--grpc=127.0.0.1:${server.grpcPort}` : `--url=http://127.0.0.1:${server.port}`;
  const h0 = await batchSizes(server);
  const before = threadCpu(server.child.pid);
  const out = execFileSync(process.execPath, [bin, 'bench', target, '--model=perf_mlp', '--auto', `--batch=${ROWS}`, `-c=${CONCURRENCY}`, `-d=${seconds}`, '--warmup=0', '--json'], { encoding: 'utf8' });
  const split = splitCpu(server.child.pid, before, threadCpu(server.child.pid), nodeThreads);
  const h1 = await batchSizes(server);
  const r = JSON.parse(out).result;
  if (r.ok !== r.completed) throw new Error(`${r.completed - r.ok} failed requests: ${JSON.stringify(r.errorSamples)}`);
  const per = (ms) => ms / r.completed;
  return {
    rps: r.throughput,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuPerRequest: per(split.main + split.node + split.runtime),
    mainPerRequest: per(split.main),
    nodePerRequest: per(split.node),
    runtimePerRequest: per(split.runtime),
    meanBatch: (h1.sum - h0.sum) / Math.max(1, h1.count - h0.count),
  };
}

const SERVERS = [
  { label: 'embedded', runtime: 'embedded', extra: [] },
  ...EMBEDDED_NODE_VARIANTS.map((a) => ({ label: `embedded node ${a}`, runtime: 'embedded', extra: [], nodeArgs: words(a) })),
  { label: 'tensorflow', runtime: 'tensorflow', extra: [] },
  ...NATIVE_VARIANTS.map((a) => ({ label: `tensorflow ${a}`, runtime: 'tensorflow', extra: words(a) })),
  ...NODE_VARIANTS.map((a) => ({ label: `tensorflow node ${a}`, runtime: 'tensorflow', extra: [], nodeArgs: words(a) })),
  ...(BASELINE ? [{ label: `tensorflow (baseline ${BASELINE})`, runtime: 'tensorflow', extra: [], bin: join(BASELINE, 'bin', 'run.js') }] : []),
];
const LABELS = SERVERS.map((s) => s.label);
const rounds = [];
const servers = {};
try {
  for (const s of SERVERS) servers[s.label] = await serve(s.label, s.runtime, s.extra, s.bin, s.nodeArgs);
  // node's own threads: what the embedded server (no runtime threads of its own yet) has.
  const nodeThreads = servers.embedded.startThreads;
  for (const label of LABELS) await drive(servers[label], WARMUP, nodeThreads);
  for (let i = 0; i < ROUNDS; i++) {
    const round = {};
    for (const label of i % 2 === 0 ? LABELS : [...LABELS].reverse()) round[label] = await drive(servers[label], SECONDS, nodeThreads);
    rounds.push(round);
    process.stderr.write(`round ${i + 1}: ${LABELS.map((l) => `${l} ${round[l].rps.toFixed(0)} req/s, ${round[l].cpuPerRequest.toFixed(3)} CPU ms/req`).join('; ')}\n`);
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const col = (label, key) => rounds.map((r) => r[label][key]);
const m3 = (label, key) => median(col(label, key)).toFixed(3);
if (args.includes('--json')) console.log(JSON.stringify(rounds, null, 1));
console.log(
  `\nbench:native — served perf_mlp over ${PROTOCOL}, batching on, ${CONCURRENCY} clients x ${ROWS} row(s), ${ROUNDS} rounds x ${SECONDS} s per server${SERVE_ARGS.length ? `, serve args ${SERVE_ARGS.join(' ')}` : ''}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
console.log('| server | requests/s (median) | range | p50 ms | p99 ms | mean batch | server CPU ms / request (median) | range | main | node | runtime |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const label of LABELS) {
  console.log(
    `| ${label} | ${median(col(label, 'rps')).toFixed(0)} | ${span(col(label, 'rps'))} | ${median(col(label, 'p50')).toFixed(2)} | ${median(col(label, 'p99')).toFixed(2)} | ${median(col(label, 'meanBatch')).toFixed(1)} | ${m3(label, 'cpuPerRequest')} | ${span(col(label, 'cpuPerRequest'), 3)} | ${m3(label, 'mainPerRequest')} | ${m3(label, 'nodePerRequest')} | ${m3(label, 'runtimePerRequest')} |`,
  );
}
console.log('(main / node / runtime: medians of each thread group\'s CPU ms per request; see the file comment)');
for (const label of LABELS.slice(1)) {
  const rpsRatios = rounds.map((r) => r[label].rps / r.embedded.rps);
  const capRatios = rounds.map((r) => r.embedded.cpuPerRequest / r[label].cpuPerRequest);
  console.log(`${label} / embedded: requests/s ${median(rpsRatios).toFixed(2)}x (rounds ${span(rpsRatios, 2)}), capacity (CPU per request) ${median(capRatios).toFixed(2)}x (rounds ${span(capRatios, 2)})`);
}
for (const label of LABELS.slice(LABELS.indexOf('tensorflow') + 1)) {
  const capRatios = rounds.map((r) => r.tensorflow.cpuPerRequest / r[label].cpuPerRequest);
  console.log(`${label} / tensorflow: capacity (CPU per request) ${median(capRatios).toFixed(2)}x (rounds ${span(capRatios, 2)})`);
}
if (BASELINE) {
  const base = LABELS.at(-1);
  const rpsRatios = rounds.map((r) => r.tensorflow.rps / r[base].rps);
  const capRatios = rounds.map((r) => r[base].cpuPerRequest / r.tensorflow.cpuPerRequest);
  console.log(`tensorflow (this checkout) / baseline: requests/s ${median(rpsRatios).toFixed(2)}x (rounds ${span(rpsRatios, 2)}), capacity (CPU per request) ${median(capRatios).toFixed(2)}x (rounds ${span(capRatios, 2)})`);
}
