import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../../src/batching/batching-servable.js';
import type { WorkerSource } from '../../src/batching/worker-protocol.js';
import type { BatchingParameters } from '../../src/config/types.js';
import { Code, TfsError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fromUtf8, utf8 } from '../../src/tensor/tensor.js';
import { FakeServable, compute } from './fake-servable.js';
import { batchingParams } from '../helpers/batching-params.js';

/** Larger batches and queues than the defaults, two threads: work for two workers. */
function params(p: Partial<BatchingParameters> = {}): BatchingParameters {
  return batchingParams({ maxBatchSize: 64, batchTimeoutMicros: 1000, maxEnqueuedBatches: 100, numBatchThreads: 2, ...p });
}

const fakeSource = (delayMs = 0, exportName = 'loadFakeServable'): WorkerSource => ({
  module: new URL('./fake-servable.js', import.meta.url).href,
  exportName,
  args: ['fake', 1, delayMs],
});

function x(rows: number, seed: number): Record<string, Tensor> {
  return { x: { dtype: 'DT_FLOAT', shape: [rows, 3], data: Float32Array.from({ length: rows * 3 }, (_, i) => ((i * 37 + seed * 11) % 101) - 50) } };
}

function same(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  for (const k of Object.keys(want)) {
    assert.deepEqual([...got[k]!.shape], [...want[k]!.shape]);
    const w = want[k]!.data;
    if (Array.isArray(w)) assert.deepEqual((got[k]!.data as Uint8Array[]).map(fromUtf8), w.map(fromUtf8));
    else assert.deepEqual([...(got[k]!.data as Float32Array)], [...(w as Float32Array)]);
  }
}

test('workers: batches run on worker threads with their own model copy; tensors cross threads intact', async () => {
  const inner = new FakeServable();
  const batcher = new Batcher(params(), { execution: 'workers', maxWorkers: 2 });
  const s = batcher.wrap(inner, { workerSource: fakeSource(2) });
  await s.executionSettled();
  const d = s.describeExecution();
  assert.equal(d.mode, 'workers');
  assert.equal(d.workers, 2);
  const reqs = Array.from({ length: 40 }, (_, i) =>
    i % 4 === 0
      ? { sig: 'strings', inputs: { s: { dtype: 'DT_STRING' as const, shape: [2], data: [utf8(`a${i}`), utf8(`ünï${i}`)] } } }
      : { sig: 'serving_default', inputs: x(1 + (i % 5), i) },
  );
  const res = await Promise.all(reqs.map((r) => s.run(r.sig, r.inputs)));
  res.forEach((r, i) => same(r, compute(reqs[i]!.sig, reqs[i]!.inputs)));
  assert.equal(inner.calls.length, 0, 'nothing ran on the I/O thread');
  // The callers' input arrays were not detached by transfers.
  assert.equal((reqs[1]!.inputs as Record<string, Tensor>)['x']!.data.length, 6);
  await s.dispose();
  assert.ok(inner.disposed);
});

test('workers: a worker that dies fails only its request; the pool replaces it', async () => {
  const batcher = new Batcher(params({ numBatchThreads: 1, batchTimeoutMicros: 0 }), { execution: 'workers', maxWorkers: 1 });
  const s = batcher.wrap(new FakeServable(), { workerSource: fakeSource() });
  await s.executionSettled();
  const crash = x(1, 1);
  (crash['x']!.data as Float32Array)[0] = 666;
  await assert.rejects(s.run('serving_default', crash), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.INTERNAL);
    assert.match(e.message, /Batch worker thread failed: exited with code 3/);
    return true;
  });
  // the replacement comes up and serves
  const ok = x(3, 2);
  same(await s.run('serving_default', ok), compute('serving_default', ok));
  assert.equal(s.describeExecution().mode, 'workers');
  await s.dispose();
});

test('workers that cannot load the model leave it in-thread, with the reason', async () => {
  const inner = new FakeServable();
  const batcher = new Batcher(params(), { execution: 'workers', maxWorkers: 1 });
  const s = batcher.wrap(inner, { workerSource: fakeSource(0, 'noSuchExport') });
  const r = x(2, 3);
  same(await s.run('serving_default', r), compute('serving_default', r)); // served in-thread meanwhile
  await s.executionSettled();
  const d = s.describeExecution();
  assert.equal(d.mode, 'in-thread');
  assert.match(d.reason, /worker threads could not load the model.*noSuchExport/);
  same(await s.run('serving_default', r), compute('serving_default', r));
  await s.dispose();
});

test('auto: tiny batches stay in-thread; slow batches move to worker threads after a measured window', async () => {
  const single = new Batcher(params({ numBatchThreads: 1 }), { execution: 'auto', workerThresholdMicros: 0 });
  const s1 = single.wrap(new FakeServable(), { workerSource: fakeSource() });
  assert.equal(s1.describeExecution().mode, 'in-thread');
  assert.match(s1.describeExecution().reason, /worker threads need at least 2/);
  await s1.dispose();

  const fast = new Batcher(params(), { execution: 'auto', maxWorkers: 2, workerThresholdMicros: 20_000 });
  const sf = fast.wrap(new FakeServable(), { workerSource: fakeSource() });
  for (let i = 0; i < 20; i++) await sf.run('serving_default', x(1, i));
  assert.equal(sf.describeExecution().mode, 'in-thread');
  assert.match(sf.describeExecution().reason, /auto: in-thread \(median batch \d+ µs < 20000 µs threshold\)/);
  await sf.dispose();

  const inner = new FakeServable({ delayMs: 4 });
  const slow = new Batcher(params(), { execution: 'auto', maxWorkers: 2, workerThresholdMicros: 2000 });
  const ss = slow.wrap(inner, { workerSource: fakeSource(4) });
  for (let i = 0; i < 16; i++) await ss.run('serving_default', x(1, i));
  await ss.executionSettled();
  const d = ss.describeExecution();
  assert.equal(d.mode, 'workers');
  assert.ok((d.medianBatchMicros ?? 0) >= 2000);
  const before = inner.calls.length;
  const r = x(4, 9);
  same(await ss.run('serving_default', r), compute('serving_default', r));
  assert.equal(inner.calls.length, before, 'ran on a worker');
  await ss.dispose();
});

test('auto: slow batches stay in-thread while they fill less than workerMinBusyShare of the I/O thread', async () => {
  // Each 4 ms batch is far above the threshold, but a share above 1 can never be reached: the
  // window is measured, the share reported, and the model stays in-thread.
  const inner = new FakeServable({ delayMs: 4 });
  const b = new Batcher(params(), { execution: 'auto', maxWorkers: 2, workerThresholdMicros: 2000, workerMinBusyShare: 1.01 });
  const s = b.wrap(inner, { workerSource: fakeSource(4) });
  for (let i = 0; i < 16; i++) await s.run('serving_default', x(1, i));
  await s.executionSettled();
  const d = s.describeExecution();
  assert.equal(d.mode, 'in-thread');
  assert.match(d.reason, /auto: in-thread \(batches \d+% of the I\/O thread's time < 101%; median batch \d+ µs\)/);
  assert.ok((d.medianBatchMicros ?? 0) >= 2000);
  // Sequential calls: each waits out the 1 ms batch timeout, then runs 4 ms, so batches fill
  // most of the wall-clock time but not all of it.
  assert.ok(d.busyShare !== undefined && d.busyShare > 0 && d.busyShare <= 1, `busyShare ${d.busyShare}`);
  const r = x(3, 5);
  same(await s.run('serving_default', r), compute('serving_default', r));
  assert.equal(inner.calls.length, 17, 'every batch ran in-thread');
  await s.dispose();
});

test('without a worker source, batches run in-thread whatever the mode', async () => {
  const b = new Batcher(params(), { execution: 'workers' });
  const s = b.wrap(new FakeServable());
  assert.equal(s.describeExecution().mode, 'in-thread');
  assert.match(s.describeExecution().reason, /no worker source/);
  await s.dispose();
});
