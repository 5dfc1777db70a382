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

/**
 * A virtual clock for `auto`'s batch timing: each in-thread batch takes `batchMs` and the caller
 * idles `gapMs` before the next one, so medians and busy shares are exact on any machine.
 */
function timedBatcher(batchMs: number, o: { workerThresholdMicros: number; workerMinBusyShare?: number }) {
  let t = 0;
  // batchTimeoutMicros 0: batches run as soon as they have a task, so no timer uses the clock.
  const batcher = new Batcher(params({ batchTimeoutMicros: 0 }), { execution: 'auto', maxWorkers: 2, now: () => t, ...o });
  const inner = new FakeServable({ gate: () => void (t += batchMs) });
  const s = batcher.wrap(inner, { workerSource: fakeSource() });
  const runSequentially = async (n: number, gapMs: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await s.run('serving_default', x(1, i));
      t += gapMs;
    }
  };
  return { s, inner, runSequentially };
}

test('auto: tiny batches stay in-thread; slow batches move to worker threads after a measured window', async () => {
  const single = new Batcher(params({ numBatchThreads: 1 }), { execution: 'auto', workerThresholdMicros: 0 });
  const s1 = single.wrap(new FakeServable(), { workerSource: fakeSource() });
  assert.equal(s1.describeExecution().mode, 'in-thread');
  assert.match(s1.describeExecution().reason, /worker threads need at least 2/);
  await s1.dispose();

  const fast = timedBatcher(0.5, { workerThresholdMicros: 20_000 });
  await fast.runSequentially(20, 0);
  await fast.s.executionSettled();
  assert.equal(fast.s.describeExecution().mode, 'in-thread');
  assert.equal(fast.s.describeExecution().reason, 'auto: in-thread (median batch 500 µs < 20000 µs threshold)');
  await fast.s.dispose();

  // 4 ms batches back to back: median 4000 µs, batches fill all of the I/O thread's time.
  const slow = timedBatcher(4, { workerThresholdMicros: 2000 });
  await slow.runSequentially(15, 0);
  assert.equal(slow.s.describeExecution().mode, 'in-thread', 'no decision before a full window');
  await slow.runSequentially(1, 0);
  await slow.s.executionSettled();
  const d = slow.s.describeExecution();
  assert.equal(d.mode, 'workers');
  assert.equal(d.medianBatchMicros, 4000);
  assert.equal(d.busyShare, 1);
  const before = slow.inner.calls.length;
  const r = x(4, 9);
  same(await slow.s.run('serving_default', r), compute('serving_default', r));
  assert.equal(slow.inner.calls.length, before, 'ran on a worker');
  await slow.s.dispose();
});

test('auto: slow batches stay in-thread while they fill less than workerMinBusyShare of the I/O thread', async () => {
  // Each 4 ms batch is far above the threshold, but the caller idles 12 ms between them:
  // 16 batches of 4 ms over 16 × 4 + 15 × 12 = 244 ms is a 26% share, below the default 50%.
  const { s, inner, runSequentially } = timedBatcher(4, { workerThresholdMicros: 2000 });
  await runSequentially(16, 12);
  await s.executionSettled();
  const d = s.describeExecution();
  assert.equal(d.mode, 'in-thread');
  assert.equal(d.reason, "auto: in-thread (batches 26% of the I/O thread's time < 50%; median batch 4000 µs)");
  assert.equal(d.medianBatchMicros, 4000);
  assert.ok(Math.abs(d.busyShare! - 64 / 244) < 1e-9, `busyShare ${d.busyShare}`);
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
