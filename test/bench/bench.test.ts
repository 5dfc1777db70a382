/**
 * tfs bench against servers with known behaviour on 127.0.0.1: counts, percentiles under
 * injected delays, the open-loop rate, coordinated-omission correction, sweeps and knees,
 * gRPC, and the HTML report. Every load here is small and bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { closedLoop, openLoop } from '../../src/bench/loops.js';
import { RestTarget, GrpcTarget } from '../../src/bench/targets.js';
import { findKnee, parseSweep, runSweep, suggestBatching } from '../../src/bench/sweep.js';
import { renderReport } from '../../src/bench/report.js';
import { compareRuns } from '../../src/bench/format.js';
import { grpcPredictRequest, randomInputs, restBodyOf } from '../../src/bench/inputs.js';
import { lookupType } from '../../src/proto/root.js';
import { LatencyHistogram } from '../../src/bench/histogram.js';
import { SimulatedTarget, VirtualClock } from '../helpers/virtual-clock.js';

/** An HTTP server that answers each POST after delayFor(i) ms (i = request index). */
async function delayServer(delayFor: (i: number) => number): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const i = n++;
    req.resume();
    req.on('end', () => {
      const d = delayFor(i);
      const reply = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"predictions": [1.0]}');
      };
      if (d > 0) setTimeout(reply, d);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => n,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const body = JSON.stringify({ instances: [1.0] });

test('closed loop: every request sent is received and completed', async () => {
  const s = await delayServer(() => 1);
  const target = new RestTarget({ url: s.url, path: '/v1/models/m:predict', body, connections: 4, timeoutMs: 5000 });
  try {
    const r = await closedLoop(target, 4, { requests: 200 });
    assert.equal(r.sent, 200);
    assert.equal(r.completed, 200);
    assert.equal(r.ok, 200);
    assert.equal(s.count(), 200, 'the server saw exactly the requests sent');
    assert.deepEqual(r.statuses, { '200': 200 });
    assert.equal(r.latency.count, 200);
  } finally {
    await target.close();
    await s.close();
  }
});

test('percentiles match injected delays (90% at 5 ms, 10% at 60 ms, virtual clock)', async () => {
  // One client: requests are strictly sequential, so exactly every tenth one is slow. On a
  // virtual clock the latencies are exactly the injected ones (a busy machine cannot add to them).
  const clock = new VirtualClock();
  const target = new SimulatedTarget(clock, 1, (i) => (i % 10 === 9 ? 60 : 5));
  const r = await clock.run(closedLoop(target, 1, { requests: 100, clock }));
  assert.equal(r.ok, 100);
  const near = (got: number, want: number): boolean => Math.abs(got - want) <= want * 0.01;
  assert.ok(near(r.latency.p50, 5), `p50 ${r.latency.p50}`);
  const p75 = r.percentileCurve.find((p) => p.percentile === 75)!.ms;
  assert.ok(near(p75, 5), `p75 ${p75}`);
  assert.ok(near(r.latency.p90, 5), `p90 ${r.latency.p90}: the 90th percentile is the last fast request`);
  assert.ok(near(r.latency.p99, 60), `p99 ${r.latency.p99}`);
  assert.ok(near(r.latency.max, 60), `max ${r.latency.max}`);
});

test('latencies over real sockets include the server delay', async () => {
  const s = await delayServer((i) => (i % 10 === 9 ? 60 : 5));
  const target = new RestTarget({ url: s.url, path: '/v1/models/m:predict', body, connections: 1, timeoutMs: 5000 });
  try {
    const r = await closedLoop(target, 1, { requests: 20 });
    assert.equal(r.ok, 20);
    // Lower bounds only: a loaded machine adds latency, it never removes the injected delay
    // (less up to 1 ms: libuv timers may fire that early against a cached loop time).
    assert.ok(r.latency.min >= 4, `min ${r.latency.min}`);
    assert.ok(r.latency.max >= 59, `max ${r.latency.max}`);
  } finally {
    await target.close();
    await s.close();
  }
});

test('open loop sends the expected count over real sockets', async () => {
  const s = await delayServer(() => 1);
  const target = new RestTarget({ url: s.url, path: '/v1/models/m:predict', body, connections: 16, timeoutMs: 5000 });
  try {
    const r = await openLoop(target, 200, { durationMs: 1500 });
    assert.equal(r.sent, 300);
    assert.equal(r.completed, 300);
    assert.equal(s.count(), 300);
  } finally {
    await target.close();
    await s.close();
  }
});

test('open loop holds the requested rate (virtual clock)', async () => {
  // On the wall clock the achieved rate depends on how busy the machine is; on a virtual
  // clock the loop's schedule is exact, so the rate and the corrected latency are too.
  const clock = new VirtualClock();
  const target = new SimulatedTarget(clock, 64, () => 1);
  const r = await clock.run(openLoop(target, 200, { durationMs: 1500, clock }));
  assert.equal(r.sent, 300);
  assert.equal(r.completed, 300);
  assert.equal(target.sent, 300);
  assert.ok(Math.abs(r.sendRate! - 200) < 1e-6, `send rate ${r.sendRate}`);
  assert.equal(r.durationMs, 1500 - 5 + 1, 'last request due at 1495 ms, answered 1 ms later');
  assert.ok(r.latency.max < 1.1, `latency max ${r.latency.max} ms`);
});

test('open loop corrects for coordinated omission: a server stall shows in later requests (virtual clock)', async () => {
  // 100 req/s, one request at a time; the 20th (due at 200 ms) stalls 300 ms. The ~30 requests
  // due during the stall are sent late: their corrected latency (from the due time) shows the
  // wait, their uncorrected latency (from the actual send) is the 1 ms service time.
  const clock = new VirtualClock();
  const target = new SimulatedTarget(clock, 1, (i) => (i === 20 ? 300 : 1));
  const r = await clock.run(openLoop(target, 100, { durationMs: 1000, maxInFlight: 1, clock }));
  assert.equal(r.completed, 100);
  assert.ok(r.latency.p90 > 50, `corrected p90 ${r.latency.p90}`);
  assert.ok(r.uncorrectedLatency!.p90 < 1.1, `uncorrected p90 ${r.uncorrectedLatency!.p90}`);
  assert.ok(r.latency.max >= 299, `corrected max ${r.latency.max}`);
  // Request 21 was due at 210 ms and answered at 501 ms.
  assert.ok(r.latency.p99 >= 280, `corrected p99 ${r.latency.p99}`);
});

test('errors are counted by status with a sample message', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error": "Servable not found for request: Latest(m)"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const target = new RestTarget({ url, path: '/v1/models/m:predict', body, connections: 2, timeoutMs: 5000 });
  try {
    const r = await closedLoop(target, 2, { requests: 10 });
    assert.equal(r.ok, 0);
    assert.deepEqual(r.statuses, { '404': 10 });
    assert.match(r.errorSamples['404']!, /Servable not found/);
  } finally {
    await target.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
  // A refused connection is a transport error, not a crash.
  const dead = new RestTarget({ url, path: '/v1/models/m:predict', body, connections: 1, timeoutMs: 1000 });
  try {
    const r = await closedLoop(dead, 1, { requests: 3 });
    assert.equal(r.ok, 0);
    assert.ok(Object.keys(r.statuses).every((k) => k.startsWith('ERROR')), JSON.stringify(r.statuses));
  } finally {
    await dead.close();
  }
});

test('sweep finds the knee where a capacity-limited server saturates (virtual clock)', async () => {
  // The server handles at most 4 requests at a time, 10 ms each: throughput is exactly
  // 100/s per concurrent client up to 4, then plateaus at 400/s while latency grows.
  const clock = new VirtualClock();
  const target = new SimulatedTarget(clock, 4, () => 10);
  const sweep = await clock.run(runSweep(target, parseSweep('concurrency=1,2,4,8,16'), { durationMs: 600, clock }));
  assert.deepEqual(
    sweep.steps.map((s) => s.concurrency),
    [1, 2, 4, 8, 16],
  );
  const throughputs = sweep.steps.map((s) => Math.round(s.throughput));
  assert.deepEqual(throughputs, [100, 200, 400, 400, 400], `throughputs ${throughputs.join(',')}`);
  assert.equal(sweep.steps[sweep.knee]!.concurrency, 4);
  // Past the knee latency grows while throughput does not.
  assert.ok(sweep.steps[4]!.latency.p50 > sweep.steps[2]!.latency.p50 * 2);
  const sug = suggestBatching(sweep, 30, 2);
  assert.ok(sug.basedOnConcurrency >= 2 && sug.basedOnConcurrency <= 8, `based on ${sug.basedOnConcurrency}`);
  assert.match(sug.pbtxt, /max_batch_size \{ value: \d+ \}/);
  assert.ok(sug.batchTimeoutMicros <= 3000);
});

test('findKnee and parseSweep on plain tables', () => {
  const mk = (t: number) => ({ throughput: t }) as never;
  assert.equal(findKnee([mk(100), mk(190), mk(390), mk(400), mk(398)]), 2);
  assert.equal(findKnee([mk(0), mk(0)]), -1);
  assert.deepEqual(parseSweep('rate=100, 200,400'), { kind: 'rate', levels: [100, 200, 400] });
  assert.throws(() => parseSweep('threads=1,2'), /--sweep expects/);
  assert.throws(() => parseSweep('concurrency=1.5'), /integers/);
});

test('gRPC target: Predict calls reach a PredictionService and statuses are counted', async () => {
  const Req = lookupType('tensorflow.serving.PredictRequest');
  const Res = lookupType('tensorflow.serving.PredictResponse');
  let seen = 0;
  let lastModel = '';
  const server = new grpc.Server();
  server.addService(
    {
      Predict: {
        path: '/tensorflow.serving.PredictionService/Predict',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (v: Buffer) => v,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Predict: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seen++;
        const req = Req.toObject(Req.decode(call.request)) as { model_spec?: { name?: string } };
        lastModel = req.model_spec?.name ?? '';
        if (lastModel !== 'm') return cb({ code: grpc.status.NOT_FOUND, details: `Servable not found for request: Latest(${lastModel})` });
        cb(null, Buffer.from(Res.encode(Res.fromObject({ outputs: {} })).finish()));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const inputs = randomInputs({ x: { dtype: 'DT_FLOAT', shape: [-1, 3] } }, 2);
  const ok = new GrpcTarget({
    address: `127.0.0.1:${port}`,
    method: '/tensorflow.serving.PredictionService/Predict',
    request: grpcPredictRequest(inputs, { model: 'm' }),
    connections: 2,
    timeoutMs: 5000,
  });
  const bad = new GrpcTarget({
    address: `127.0.0.1:${port}`,
    method: '/tensorflow.serving.PredictionService/Predict',
    request: grpcPredictRequest(inputs, { model: 'nope' }),
    connections: 1,
    timeoutMs: 5000,
  });
  try {
    const r = await closedLoop(ok, 4, { requests: 50 });
    assert.equal(r.ok, 50);
    assert.deepEqual(r.statuses, { OK: 50 });
    const e = await closedLoop(bad, 1, { requests: 3 });
    assert.deepEqual(e.statuses, { NOT_FOUND: 3 });
    assert.match(e.errorSamples['NOT_FOUND']!, /Latest\(nope\)/);
    assert.equal(seen, 53);
  } finally {
    await ok.close();
    await bad.close();
    server.forceShutdown();
  }
});

test('--auto inputs: batch rows, unknown dims, dtypes; REST body is columnar JSON', () => {
  const t = randomInputs(
    { x: { dtype: 'DT_FLOAT', shape: [-1, 10] }, ids: { dtype: 'DT_INT64', shape: [-1] }, s: { dtype: 'DT_STRING', shape: null } },
    3,
  );
  assert.deepEqual(t['x']!.shape, [3, 10]);
  assert.deepEqual(t['ids']!.shape, [3]);
  assert.deepEqual(t['s']!.shape, [3]);
  const b = JSON.parse(restBodyOf(t, 'serving_default')) as { signature_name: string; inputs: { x: number[][]; ids: number[]; s: string[] } };
  assert.equal(b.signature_name, 'serving_default');
  assert.equal(b.inputs.x.length, 3);
  assert.equal(b.inputs.x[0]!.length, 10);
  assert.ok(b.inputs.ids.every((v) => Number.isInteger(v)));
  assert.deepEqual(b.inputs.s, ['a', 'a', 'a']);
});

test('report: self-contained HTML with both plots; compare computes changes', async () => {
  // Virtual clock: a server with room for 4 requests of 2 ms each, so 4 clients get exactly 4×
  // the throughput of 1 (on the wall clock that ratio depends on how busy the machine is).
  const clock = new VirtualClock();
  const target = new SimulatedTarget(clock, 4, () => 2);
  {
    const sweep = await clock.run(runSweep(target, parseSweep('concurrency=1,4'), { requests: 40, clock }));
    const html = renderReport({ title: 'tfs bench: m <test>', runs: sweep.steps, sweep });
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 2, 'percentile plot and throughput curve');
    assert.ok(html.includes('tfs bench: m &lt;test&gt;'), 'titles are escaped');
    assert.ok(!/<script|(?:src|href)=["']?https?:/i.test(html), 'no scripts and no external resources');
    const rows = compareRuns(sweep.steps[0]!, sweep.steps[1]!);
    const tp = rows.find((r) => r.metric === 'throughput/s')!;
    assert.ok(tp.change !== null && Math.abs(tp.change - 3) < 1e-9, `4 clients give 4× the throughput of 1: ${tp.change}`);
  }
});

test('histogram encodes and decodes losslessly', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i * 100);
  const back = new LatencyHistogram(h.encode());
  assert.equal(back.count, 1000);
  assert.equal(back.percentileMs(99), h.percentileMs(99));
  assert.ok(Math.abs(h.percentileMs(50) - 50) < 0.1);
});
