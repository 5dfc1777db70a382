#!/usr/bin/env node
// npm run bench:big-tensor -- perf_mlp batch-128 gRPC Predict (one 401 KB tensor_content request
// per call) against `tfs serve`: Predict/s, server CPU µs per request, and the share of that CPU
// spent in V8's GC on the server's main thread, in one run.
//
// Each target is `node --trace-gc <dir>/bin/run.js serve` serving ../shared/fixtures/zoo/perf_mlp
// (no batching), a child process on 127.0.0.1:
//   - tfs:       this checkout;
//   - tfs-hgp0:  this checkout with node's own --heap-growing-percent=0 (V8's default growing
//                heuristics instead of the 30% serve sets; `serve` leaves a node-given value alone);
//   - baseline:  with --baseline <dir>, another checkout with its own dist/ (e.g. /work/main);
//                a second --baseline <dir> adds another, named by its directory;
//   - tfs FLAGS: with --tfs-flags "FLAGS" (repeatable), this checkout with extra `serve` flags,
//                e.g. "--tensorflow_intra_op_parallelism=2" (the threaded wasm build), or
//                "--enable_batching --batch_execution=workers" (a batching file is written for
//                --enable_batching when the flags name none: max_batch_size 128,
//                batch_timeout_micros 0, num_batch_threads 2, so each request is its own batch
//                and two run at once on two worker threads); --tfs-node-args "NODE FLAGS" gives
//                these targets node/V8 flags too, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
// CPU is utime + stime from /proc/<pid>/stat across the measured window. GC time is parsed from
// --trace-gc lines printed in that window: each collection's main-thread pause plus the
// incremental-marking steps it reports ("+ X ms in N steps"). Concurrent marking/sweeping on
// V8's helper threads is not in --trace-gc, so "GC %" is a lower bound of GC's share of process
// CPU. Targets alternate for --rounds; the median and range over rounds are printed.
// Every target's first response is compared byte for byte with the first target's (builds
// whose GEMM sums in another order may differ in the last bits of a float).
// The client shares the machine's cores with the server, so it is as lean as it can be: by
// default one HTTP/2 session (node:http2) writes the prebuilt, already framed request (5-byte
// gRPC prefix + 401 KB PredictRequest) per call and checks grpc-status in the trailers; no
// per-call serialize, framing copy or metadata object (grpc-js's client spends about twice
// its CPU per call). --client grpc-js measures with a grpc-js Client instead.
//
//   node bench/big-tensor.mjs [--baseline /work/main] [--seconds 4] [--concurrency 4]
//                             [--rounds 3] [--batch 128] [--no-hgp0] [--node-args "FLAGS"]...
//                             [--tfs-flags "FLAGS"]... [--tfs-node-args "NODE FLAGS"] [--warmup 1.5] [--client http2|grpc-js] [--json]
// Issue 20's check (batch-128 gRPC Predict/s >= 1.8x the checkout it was filed on, GC < 15%):
//   node bench/big-tensor.mjs --baseline /work/base20 --no-hgp0 --rounds 5 \
//     --tfs-flags "--tensorflow_intra_op_parallelism=2" --tfs-flags "--enable_batching --batch_execution=workers"
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => option(args, name, def);
const SECONDS = Number(opt('seconds', '4'));
const CONCURRENCY = Number(opt('concurrency', '4'));
const ROUNDS = Number(opt('rounds', '3'));
const BATCH = Number(opt('batch', '128'));
// Unmeasured calls before each window: the JIT, the first runs, the heap's growth, and worker
// threads loading their model copies (--batch_execution=workers serves in-thread until then).
const WARMUP_MS = Number(opt('warmup', '1.5')) * 1000;
const baselineDir = opt('baseline', '');
const JSON_OUT = args.includes('--json');
const CLIENT = opt('client', 'http2');
const shared = resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared'));
const model = join(shared, 'fixtures', 'zoo', 'perf_mlp');
const PREDICT = '/tensorflow.serving.PredictionService/Predict';

const targets = [];
if (baselineDir) targets.push({ name: 'baseline', dir: resolve(baselineDir), node: [] });
// --baseline DIR again: more checkouts in the same run, named by their directory.
args.forEach((a, i) => {
  if (a === '--baseline' && args[i + 1] && i !== args.indexOf('--baseline')) targets.push({ name: basename(resolve(args[i + 1])), dir: resolve(args[i + 1]), node: [] });
});
targets.push({ name: 'tfs', dir: root, node: [] });
if (!args.includes('--no-hgp0')) targets.push({ name: 'tfs-hgp0', dir: root, node: ['--heap-growing-percent=0'] });
// --node-args "FLAGS" (repeatable): this checkout again under those node/V8 flags, same run.
args.forEach((a, i) => {
  if (a === '--node-args' && args[i + 1]) targets.push({ name: `tfs ${args[i + 1]}`, dir: root, node: args[i + 1].split(' ') });
});
// --tfs-flags "FLAGS" (repeatable): this checkout again with extra `serve` flags, same run.
const tmp = mkdtempSync(join(tmpdir(), 'tfs-big-tensor-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const batchingFile = join(tmp, 'batching.pbtxt');
writeFileSync(batchingFile, `max_batch_size { value: ${Math.max(128, Number(opt('batch', '128')))} }\nbatch_timeout_micros { value: 0 }\nnum_batch_threads { value: 2 }\nmax_enqueued_batches { value: 1000 }\n`);
args.forEach((a, i) => {
  if (a !== '--tfs-flags' || !args[i + 1]) return;
  const flags = args[i + 1].split(' ').filter(Boolean);
  const withFile = flags.some((f) => f.startsWith('--enable_batching')) && !flags.some((f) => f.startsWith('--batching_parameters_file'));
  targets.push({ name: `tfs ${args[i + 1]}`, dir: root, node: opt('tfs-node-args', '').split(' ').filter(Boolean), serve: withFile ? [...flags, `--batching_parameters_file=${batchingFile}`] : flags });
});

// "... Mark-Compact 30.1 (34.2) -> 28.0 (34.5) MB, 3.45 / 0.00 ms  (+ 5.6 ms in 24 steps ..."
const GC_LINE = /ms: (Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Sweep|Mark-Sweep)[^,]*, ([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ ([\d.]+) ms in)?/;

/** Starts a target; tracks GC totals from its --trace-gc stdout. */
async function start(target) {
  const child = spawn(
    process.execPath,
    ['--trace-gc', ...target.node, join(target.dir, 'bin', 'run.js'), 'serve', '--model_name=perf_mlp', `--model_base_path=${model}`, '--port=0', '--rest_api_port=0', ...(target.serve ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production', TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  const gc = { ms: 0, full: 0, scavenge: 0 };
  let text = '';
  let pending = '';
  const onOut = (d) => {
    pending += d;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = GC_LINE.exec(line);
      if (m) {
        gc.ms += Number(m[2]) + Number(m[3] ?? 0);
        if (m[1] === 'Scavenge' || m[1] === 'Minor Mark-Sweep') gc.scavenge++;
        else gc.full++;
      } else if (text.length < 100_000) text += `${line}\n`;
    }
  };
  child.stdout.on('data', onOut);
  child.stderr.on('data', onOut);
  const port = await new Promise((ok, fail) => {
    const timer = setInterval(() => {
      const m = /Running gRPC ModelServer at [^\n]*:(\d+)/.exec(text);
      if (m && /perf_mlp[^\n]*(AVAILABLE|Successfully loaded)|Exporting HTTP/.test(text)) {
        clearInterval(timer);
        ok(Number(m[1]));
      }
    }, 100);
    child.once('exit', (c) => {
      clearInterval(timer);
      fail(new Error(`${target.name} exited ${c}: ${text.slice(-1500)}`));
    });
  });
  return { child, port, gc };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A grpc-js Client calling Predict with `body` as it is (no serializer work). */
async function grpcJsClient(port, body) {
  const grpc = await import('@grpc/grpc-js');
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const call = () => new Promise((ok, fail) => client.makeUnaryRequest(PREDICT, (b) => b, (b) => b, body, (e, r) => (e ? fail(e) : ok(r))));
  return { call, close: () => client.close() };
}

/**
 * One HTTP/2 session sending `framed` (gRPC length prefix + message, built once) per call;
 * resolves with the reply message, rejects on a non-zero grpc-status (trailers or a
 * trailers-only answer) or a stream error. Large windows: no WINDOW_UPDATE round trip per call.
 */
async function http2Client(port, framed) {
  const http2 = await import('node:http2');
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 1 << 30 } });
  await new Promise((ok, fail) => session.once('connect', ok).once('error', fail));
  session.setLocalWindowSize(1 << 30);
  const headers = { ':method': 'POST', ':path': PREDICT, 'content-type': 'application/grpc', te: 'trailers' };
  const call = () =>
    new Promise((ok, fail) => {
      const stream = session.request(headers);
      const parts = [];
      let status;
      stream.on('response', (h) => (status = h['grpc-status']));
      stream.on('data', (d) => parts.push(d));
      stream.on('trailers', (t) => (status = t['grpc-status']));
      stream.on('error', fail);
      stream.on('end', () => (status === '0' ? ok(Buffer.concat(parts).subarray(5)) : fail(new Error(`grpc-status ${status}`))));
      stream.end(framed);
    });
  return { call, close: () => session.close() };
}

async function main() {
  const protobuf = (await import('protobufjs')).default;
  // PredictRequest by hand: model_spec(1){name(1)}, inputs(2) map entry {key(1), value(2): TensorProto
  // {dtype(1)=DT_FLOAT, tensor_shape(2){dim(2){size(1)}}, tensor_content(4)}} — as tf.make_tensor_proto sends.
  const values = new Float32Array(BATCH * 784);
  for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.37) * 1.5;
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('perf_mlp').ldelim();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string('keras_tensor');
  w.uint32((2 << 3) | 2).fork();
  w.uint32(1 << 3).int32(1);
  w.uint32((2 << 3) | 2).fork();
  for (const size of [BATCH, 784]) w.uint32((2 << 3) | 2).fork().uint32(1 << 3).int64(size).ldelim();
  w.ldelim();
  w.uint32((4 << 3) | 2).bytes(new Uint8Array(values.buffer));
  w.ldelim();
  w.ldelim();
  const body = Buffer.from(w.finish());
  const framed = Buffer.alloc(5 + body.length);
  framed.writeUInt32BE(body.length, 1);
  body.copy(framed, 5);

  const rows = [];
  const firstReply = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const srv = await start(target);
      const client = CLIENT === 'grpc-js' ? await grpcJsClient(srv.port, body) : await http2Client(srv.port, framed);
      const call = client.call;
      try {
        if (!firstReply.has(target.name)) firstReply.set(target.name, createHash('sha256').update(await call()).digest('hex'));
        // Warm-up: the JIT, the runtime's first calls and the heap's first growth.
        const warmEnd = Date.now() + WARMUP_MS;
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (Date.now() < warmEnd) await call(); }));
        const cpu0 = cpuSeconds(srv.child.pid);
        const client0 = process.cpuUsage();
        const gc0 = { ...srv.gc };
        const t0 = process.hrtime.bigint();
        const end = Date.now() + SECONDS * 1000;
        const lat = [];
        let errors = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (Date.now() < end) {
              const s = process.hrtime.bigint();
              try {
                await call();
                lat.push(Number(process.hrtime.bigint() - s) / 1e6);
              } catch {
                errors++;
              }
            }
          }),
        );
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        // Let trace-gc lines of the window arrive before reading the totals.
        await new Promise((ok) => setTimeout(ok, 100));
        const cpu = cpuSeconds(srv.child.pid) - cpu0;
        const clientCpu = process.cpuUsage(client0);
        const gcMs = srv.gc.ms - gc0.ms;
        lat.sort((a, b) => a - b);
        rows.push({
          target: target.name,
          round,
          rps: lat.length / wall,
          cpuUsPerReq: (cpu * 1e6) / lat.length,
          clientUsPerReq: (clientCpu.user + clientCpu.system) / lat.length,
          gcPct: (100 * gcMs) / (cpu * 1000),
          fullPerSec: (srv.gc.full - gc0.full) / wall,
          scavengePerSec: (srv.gc.scavenge - gc0.scavenge) / wall,
          p50: percentile(lat, 50),
          p99: percentile(lat, 99),
          errors,
        });
      } finally {
        client.close();
        // SIGTERM first, so a server under --cpu-prof (see --node-args) writes its profile on exit.
        const exited = new Promise((r) => srv.child.once('exit', r));
        srv.child.kill('SIGTERM');
        const timer = setTimeout(() => srv.child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    }
  }

  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const summary = targets.map((t) => {
    const r = rows.filter((x) => x.target === t.name);
    const stat = (k) => ({ median: med(r.map((x) => x[k])), min: Math.min(...r.map((x) => x[k])), max: Math.max(...r.map((x) => x[k])) });
    return { target: t.name, dir: t.dir, node: t.node, rps: stat('rps'), cpuUsPerReq: stat('cpuUsPerReq'), clientUsPerReq: stat('clientUsPerReq'), gcPct: stat('gcPct'), fullPerSec: stat('fullPerSec'), scavengePerSec: stat('scavengePerSec'), p99: stat('p99'), errors: r.reduce((a, x) => a + x.errors, 0), replySha256: firstReply.get(t.name) };
  });
  const ref = summary[0];
  const identical = summary.every((s) => s.replySha256 === ref.replySha256);
  if (JSON_OUT) {
    console.log(JSON.stringify({ batch: BATCH, seconds: SECONDS, concurrency: CONCURRENCY, rounds: ROUNDS, identical, summary, rows }, null, 2));
  } else {
    const W = Math.max(12, ...summary.map((s) => s.target.length));
    const f = (s, d = 0) => `${s.median.toFixed(d)} [${s.min.toFixed(d)}-${s.max.toFixed(d)}]`;
    console.log(`perf_mlp batch ${BATCH} gRPC Predict (${(body.length / 1024).toFixed(0)} KiB requests, ${CLIENT} client), ${CONCURRENCY} in flight, ${SECONDS}s x ${ROUNDS} rounds; median [range]`);
    console.log(`${'target'.padEnd(W)} Predict/s          CPU µs/req            GC % of CPU       full GC/s       scavenge/s     p99 ms  client µs/req`);
    for (const s of summary) {
      console.log(`${s.target.padEnd(W)} ${f(s.rps).padEnd(18)} ${f(s.cpuUsPerReq).padEnd(21)} ${f(s.gcPct, 1).padEnd(17)} ${f(s.fullPerSec, 1).padEnd(15)} ${f(s.scavengePerSec, 0).padEnd(14)} ${s.p99.median.toFixed(1).padEnd(7)} ${s.clientUsPerReq.median.toFixed(0)}`);
    }
    for (const s of summary.slice(1)) {
      console.log(`${s.target} / ${ref.target}: Predict/s ${(s.rps.median / ref.rps.median).toFixed(2)}x, CPU/req ${(s.cpuUsPerReq.median / ref.cpuUsPerReq.median).toFixed(2)}x`);
    }
    console.log(`responses byte-identical across targets: ${identical ? 'yes' : 'NO'}`);
  }
  if (!identical || summary.some((s) => s.errors > 0)) process.exitCode = 1;
}

await main();
