/**
 * Batching parameters replaced while serving (Batcher.update, BatchingServable.setOwnParams):
 * queued calls finish in the batches they were placed in, new calls use the new parameters,
 * num_batch_threads and worker pools resize, and no call fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { Batcher } from '../../src/batching/batching-servable.js';
import type { WorkerSource } from '../../src/batching/worker-protocol.js';
import { Code, TfsError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { FakeServable, type RecordedCall, compute } from './fake-servable.js';
import { batchingParams as params } from '../helpers/batching-params.js';

function x(rows: number, seed: number): Record<string, Tensor> {
  return { x: { dtype: 'DT_FLOAT', shape: [rows, 3], data: Float32Array.from({ length: rows * 3 }, (_, i) => ((i * 37 + seed * 11) % 101) - 50) } };
}

function same(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  for (const k of Object.keys(want)) {
    assert.deepEqual([...got[k]!.shape], [...want[k]!.shape], k);
    assert.deepEqual([...(got[k]!.data as Float32Array)], [...(want[k]!.data as Float32Array)], k);
  }
}

/** A gate for FakeServable: every execution waits until released; `entered` resolves on the n-th. */
function gates() {
  const waiting: { call: RecordedCall; release: () => void }[] = [];
  const arrivals: ((n: number) => void)[] = [];
  return {
    waiting,
    gate: (call: RecordedCall) =>
      new Promise<void>((release) => {
        waiting.push({ call, release });
        for (const a of arrivals.splice(0)) a(waiting.length);
      }),
    /** Resolves once `n` executions have reached the gate. */
    async entered(n: number): Promise<void> {
      while (waiting.length < n) await new Promise<number>((r) => arrivals.push(r));
    },
    releaseAll(): void {
      for (const w of waiting) w.release();
    },
  };
}

/** Lets pending setImmediate dispatches run. */
const turns = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('reload: a call larger than max_batch_size is refused, and accepted once max_batch_size is raised', async () => {
  const batcher = new Batcher(params({ maxBatchSize: 2 }), { execution: 'in-thread' });
  const s = batcher.wrap(new FakeServable());
  await assert.rejects(s.run('serving_default', x(3, 1)), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.INVALID_ARGUMENT);
    assert.equal(e.message, 'Task size 3 is larger than maximum input batch size 2');
    return true;
  });
  batcher.update(params({ maxBatchSize: 8 }));
  assert.equal(s.params.maxBatchSize, 8);
  same(await s.run('serving_default', x(3, 1)), compute('serving_default', x(3, 1)));
  // And back down: the limit follows the parameters in force.
  batcher.update(params({ maxBatchSize: 2 }));
  await assert.rejects(s.run('serving_default', x(3, 1)), /Task size 3 is larger than maximum input batch size 2/);
  await s.dispose();
});

test('reload: queued calls run in their old batches, new calls in new queues; none fails', async () => {
  const g = gates();
  const inner = new FakeServable({ gate: g.gate });
  const batcher = new Batcher(params({ maxBatchSize: 4, batchTimeoutMicros: 0, numBatchThreads: 1 }), { execution: 'in-thread' });
  const s = batcher.wrap(inner);
  const a = s.run('serving_default', x(1, 1));
  await g.entered(1); // A runs and holds the only batch thread
  const queuedOld = [s.run('serving_default', x(1, 2)), s.run('serving_default', x(1, 3))];
  await turns();
  batcher.update(params({ maxBatchSize: 8, batchTimeoutMicros: 0, numBatchThreads: 1 }));
  const queuedNew = [s.run('serving_default', x(1, 4)), s.run('serving_default', x(1, 5)), s.run('serving_default', x(3, 6))];
  await turns();
  // Release A; the old queue's batch (2 rows) and the new one (5 rows, over the old limit of 4)
  // run one after the other on the one thread.
  g.waiting[0]!.release();
  await g.entered(2);
  g.releaseAll();
  await g.entered(3);
  g.releaseAll();
  const results = await Promise.all([a, ...queuedOld, ...queuedNew]);
  const seeds = [1, 2, 3, 4, 5, 6];
  results.forEach((r, i) => {
    const rows = i === 5 ? 3 : 1;
    same(r, compute('serving_default', x(rows, seeds[i]!)));
  });
  assert.deepEqual(
    inner.calls.map((c) => c.rows).sort((p, q) => p - q),
    [1, 2, 5],
    'old calls were not merged with new ones',
  );
  await s.dispose();
});

test('reload: raising num_batch_threads starts waiting batches at once; lowering it lets running ones finish', async () => {
  const g = gates();
  const batcher = new Batcher(params({ batchTimeoutMicros: 0, numBatchThreads: 1 }), { execution: 'in-thread' });
  // Two versions: each has its own lane (one batch at a time in-thread), the scheduler's threads are shared.
  const v1 = batcher.wrap(new FakeServable({ gate: g.gate, version: 1 }));
  const v2 = batcher.wrap(new FakeServable({ gate: g.gate, version: 2 }));
  const r1 = v1.run('serving_default', x(1, 1));
  const r2 = v2.run('serving_default', x(1, 2));
  await g.entered(1);
  await turns();
  assert.equal(g.waiting.length, 1, 'one batch thread: the second batch waits');
  batcher.update(params({ batchTimeoutMicros: 0, numBatchThreads: 2 }));
  await g.entered(2);
  assert.equal(batcher.scheduler.runningBatches, 2);
  batcher.update(params({ batchTimeoutMicros: 0, numBatchThreads: 1 }));
  assert.equal(batcher.scheduler.runningBatches, 2, 'running batches are not interrupted');
  g.releaseAll();
  same(await r1, compute('serving_default', x(1, 1)));
  same(await r2, compute('serving_default', x(1, 2)));
  await Promise.all([v1.dispose(), v2.dispose()]);
});

test('reload: under concurrent load, parameters changing every few calls fail no call', async () => {
  const inner = new FakeServable({ delayMs: 1 });
  const variants = [
    params({ maxBatchSize: 4, batchTimeoutMicros: 0, numBatchThreads: 1, maxEnqueuedBatches: 1000 }),
    params({ maxBatchSize: 16, batchTimeoutMicros: 500, numBatchThreads: 2, maxEnqueuedBatches: 1000, allowedBatchSizes: [8, 16] }),
    params({ maxBatchSize: 8, maxExecutionBatchSize: 4, enableLargeBatchSplitting: true, numBatchThreads: 2, maxEnqueuedBatches: 1000 }),
  ];
  const batcher = new Batcher(variants[0]!, { execution: 'in-thread' });
  const s = batcher.wrap(inner);
  const calls: Promise<Record<string, Tensor>>[] = [];
  const inputs: Record<string, Tensor>[] = [];
  for (let i = 0; i < 300; i++) {
    const input = x(1 + (i % 4), i);
    inputs.push(input);
    calls.push(s.run('serving_default', input));
    if (i % 7 === 6) batcher.update(variants[Math.floor(i / 7) % 3]!);
    if (i % 5 === 4) await turns(1); // let some batches start between updates
  }
  const settled = await Promise.allSettled(calls);
  const failed = settled.filter((r) => r.status === 'rejected');
  assert.equal(failed.length, 0, `failed calls: ${failed.map((f) => String((f as PromiseRejectedResult).reason)).join('; ')}`);
  settled.forEach((r, i) => same((r as PromiseFulfilledResult<Record<string, Tensor>>).value, compute('serving_default', inputs[i]!)));
  await s.dispose();
});

test('reload: per-model parameters replace the version own ones and keep the shared thread pool', async () => {
  const batcher = new Batcher(params({ numBatchThreads: 3, threadPoolName: 'server_pool' }), { execution: 'in-thread' });
  const s = batcher.wrap(new FakeServable(), { params: params({ maxBatchSize: 2, numBatchThreads: 9 }), paramsFile: '/m/1/batching_params.pbtxt' });
  assert.equal(s.params.numBatchThreads, 3);
  await assert.rejects(s.run('serving_default', x(3, 1)), /larger than maximum input batch size 2/);
  s.setOwnParams(params({ maxBatchSize: 5, numBatchThreads: 9 }));
  assert.equal(s.params.maxBatchSize, 5);
  assert.equal(s.params.numBatchThreads, 3);
  assert.equal(s.params.threadPoolName, 'server_pool');
  same(await s.run('serving_default', x(3, 1)), compute('serving_default', x(3, 1)));
  // A server-wide change keeps the version's own limits and takes the new thread count.
  batcher.update(params({ numBatchThreads: 2, maxBatchSize: 1 }));
  assert.equal(s.params.maxBatchSize, 5);
  assert.equal(s.params.numBatchThreads, 2);
  assert.deepEqual(batcher.servables(), [s]);
  await s.dispose();
  assert.deepEqual(batcher.servables(), [], 'a disposed version is forgotten');
});

const fakeSource: WorkerSource = { module: new URL('./fake-servable.js', import.meta.url).href, exportName: 'loadFakeServable', args: ['fake', 1, 0] };

test(
  'reload: the worker pool follows num_batch_threads (no --batch_worker_threads): surplus workers close, added ones serve',
  { skip: availableParallelism() < 2 ? 'needs 2 CPUs: the worker count is min(num_batch_threads, CPUs)' : false },
  async () => {
    const batcher = new Batcher(params({ numBatchThreads: 2, batchTimeoutMicros: 0 }), { execution: 'workers' });
    const inner = new FakeServable();
    const s = batcher.wrap(inner, { workerSource: fakeSource });
    await s.executionSettled();
    assert.equal(s.describeExecution().workers, 2);
    batcher.update(params({ numBatchThreads: 1, batchTimeoutMicros: 0 }));
    assert.equal(s.describeExecution().workers, 1, 'the idle surplus worker takes no more batches');
    const some = await Promise.all(Array.from({ length: 12 }, (_, i) => s.run('serving_default', x(1 + (i % 3), i))));
    some.forEach((r, i) => same(r, compute('serving_default', x(1 + (i % 3), i))));
    batcher.update(params({ numBatchThreads: 2, batchTimeoutMicros: 0 }));
    await s.executionSettled();
    assert.equal(s.describeExecution().workers, 2);
    const more = await Promise.all(Array.from({ length: 12 }, (_, i) => s.run('serving_default', x(1 + (i % 3), i))));
    more.forEach((r, i) => same(r, compute('serving_default', x(1 + (i % 3), i))));
    assert.equal(inner.calls.length, 0, 'every batch ran on a worker thread');
    await s.dispose();
  },
);
