import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, type BatchingServable } from '../../src/batching/batching-servable.js';
import type { BatchingObserver } from '../../src/batching/observer.js';
import type { SchedulerTimers } from '../../src/batching/batch-scheduler.js';
import type { BatchingParameters } from '../../src/config/types.js';
import { Code, TfsError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fromUtf8, utf8 } from '../../src/tensor/tensor.js';
import { FakeServable, type FakeOptions, type RecordedCall, compute } from './fake-servable.js';
import { batchingParams as params } from '../helpers/batching-params.js';


class RecordingObserver implements BatchingObserver {
  inputs: number[] = [];
  delays: number[] = [];
  batches: { size: number; padding: number }[] = [];
  queuedNow = 0;
  maxQueued = 0;
  inputBatchSize(size: number): void {
    this.inputs.push(size);
  }
  queuingDelay(_pool: string, micros: number): void {
    this.delays.push(micros);
  }
  processedBatch(_model: string, size: number, padding: number): void {
    this.batches.push({ size, padding });
  }
  queued(_model: string, delta: number): void {
    this.queuedNow += delta;
    this.maxQueued = Math.max(this.maxQueued, this.queuedNow);
  }
}

function setup(p: Partial<BatchingParameters> = {}, fake: FakeOptions = {}) {
  const inner = new FakeServable(fake);
  const observer = new RecordingObserver();
  const batcher = new Batcher(params(p), { observer, execution: 'in-thread' });
  const servable = batcher.wrap(inner);
  return { inner, observer, batcher, servable };
}

/** A deterministic pseudo-random generator (tests must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function xRows(rows: number, rand: () => number): Tensor {
  return { dtype: 'DT_FLOAT', shape: [rows, 3], data: Float32Array.from({ length: rows * 3 }, () => Math.round(rand() * 2000 - 1000) / 8) };
}

function assertSameTensors(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const k of Object.keys(want)) {
    assert.equal(got[k]!.dtype, want[k]!.dtype, k);
    assert.deepEqual([...got[k]!.shape], [...want[k]!.shape], k);
    const g = got[k]!.data;
    const w = want[k]!.data;
    if (Array.isArray(w)) assert.deepEqual((g as Uint8Array[]).map(fromUtf8), w.map(fromUtf8), k);
    else assert.deepEqual([...(g as Float32Array)], [...(w as Float32Array)], k);
  }
}

/** Resolves once `cond()` holds, checking after each event-loop turn (at most 10,000 turns). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  assert.fail('condition not reached within 10,000 event-loop turns');
}

/** Gate that holds every execution until opened. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const held: RecordedCall[] = [];
  return {
    fn: async (c: RecordedCall) => {
      held.push(c);
      await opened;
    },
    open: () => open(),
    held,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('concurrent callers with random sizes each get exactly their unbatched answer', async () => {
  const { inner, observer, servable } = setup({ maxBatchSize: 32, batchTimeoutMicros: 2000, numBatchThreads: 2 }, { delayMs: 1 });
  const rand = rng(7);
  const calls = Array.from({ length: 120 }, (_, i) => {
    const rows = 1 + Math.floor(rand() * 8);
    const sigKey = i % 5 === 0 ? 'strings' : 'serving_default';
    const inputs: Record<string, Tensor> =
      sigKey === 'strings'
        ? { s: { dtype: 'DT_STRING', shape: [rows], data: Array.from({ length: rows }, (_, j) => utf8(`req${i}-row${j}-é`)) } }
        : { x: xRows(rows, rand) };
    const filter = sigKey === 'serving_default' && i % 3 === 0 ? ['z'] : undefined;
    return { sigKey, inputs, filter };
  });
  const results = await Promise.all(
    calls.map(async (c, i) => {
      // stagger arrivals a little so batches form across event-loop turns too
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      return servable.run(c.sigKey, c.inputs, c.filter ? { outputFilter: c.filter } : {});
    }),
  );
  results.forEach((got, i) => {
    const c = calls[i]!;
    const full = compute(c.sigKey, c.inputs);
    const want = c.filter ? Object.fromEntries(c.filter.map((k) => [k, full[k]!])) : full;
    assertSameTensors(got, want);
  });
  // Batching really happened, never beyond max_batch_size, and never mixed incompatible calls.
  assert.ok(inner.calls.length < calls.length / 2, `expected merged batches, got ${inner.calls.length} executions`);
  assert.ok(inner.calls.every((c) => c.rows <= 32));
  for (const c of inner.calls) assert.ok(c.signatureKey === 'strings' || c.outputFilter === undefined || c.outputFilter.join() === 'z');
  assert.equal(observer.inputs.length, calls.length);
  assert.equal(observer.batches.reduce((n, b) => n + b.size, 0), calls.reduce((n, c) => n + Object.values(c.inputs)[0]!.shape[0]!, 0));
  assert.equal(observer.queuedNow, 0);
});

test('stress: random sizes, splitting, allowed sizes, ragged padding and cancellations together', async () => {
  const { inner, observer, servable } = setup(
    {
      maxBatchSize: 24,
      enableLargeBatchSplitting: true,
      maxExecutionBatchSize: 8,
      allowedBatchSizes: [2, 4, 8],
      padVariableLengthInputs: true,
      maxEnqueuedBatches: 1000,
      batchTimeoutMicros: 1500,
      numBatchThreads: 2,
    },
    { delayMs: 1 },
  );
  const rand = rng(21);
  const calls = Array.from({ length: 150 }, (_, i) => {
    const rows = 1 + Math.floor(rand() * 20);
    const seq = i % 3 === 0;
    const len = 1 + Math.floor(rand() * 4);
    const inputs: Record<string, Tensor> = seq
      ? { tokens: { dtype: 'DT_INT32', shape: [rows, len], data: Int32Array.from({ length: rows * len }, () => 1 + Math.floor(rand() * 99)) } }
      : { x: xRows(rows, rand) };
    const ac = rand() < 0.2 ? new AbortController() : undefined;
    return { sig: seq ? 'seq' : 'serving_default', inputs, ac, cancelAfter: Math.floor(rand() * 4) };
  });
  const settled = await Promise.allSettled(
    calls.map(async (c, i) => {
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
      const p = servable.run(c.sig, c.inputs, c.ac ? { signal: c.ac.signal } : {});
      if (c.ac) setTimeout(() => c.ac!.abort(), c.cancelAfter);
      return p;
    }),
  );
  let cancelled = 0;
  settled.forEach((r, i) => {
    const c = calls[i]!;
    if (r.status === 'rejected') {
      assert.ok(c.ac, `call ${i} failed without being cancelled: ${(r.reason as Error).message}`);
      assert.equal((r.reason as TfsError).code, Code.CANCELLED);
      cancelled++;
      return;
    }
    assertSameTensors(r.value, compute(c.sig, c.inputs));
  });
  assert.ok(inner.calls.every((c) => c.rows <= 8 && [2, 4, 8].includes(c.rows) || c.rows === 1), 'executed batch sizes are allowed sizes');
  assert.equal(observer.queuedNow, 0, 'nothing left in the queues');
  assert.ok(cancelled < calls.length);
});

test('allowed_batch_sizes pads each batch up to the next allowed size and drops the padding rows', async () => {
  const { inner, observer, servable } = setup({ maxBatchSize: 8, allowedBatchSizes: [2, 4, 8], batchTimeoutMicros: 5000 });
  const rand = rng(3);
  const inputs = [1, 2].map((rows) => ({ x: xRows(rows, rand) })); // 3 rows -> padded to 4
  const results = await Promise.all(inputs.map((x) => servable.run('serving_default', x)));
  results.forEach((r, i) => assertSameTensors(r, compute('serving_default', inputs[i]!)));
  assert.deepEqual(
    inner.calls.map((c) => c.rows),
    [4],
  );
  assert.deepEqual(observer.batches, [{ size: 4, padding: 1 }]);
  // A single request of an allowed size runs as is.
  const one = { x: xRows(2, rand) };
  assertSameTensors(await servable.run('serving_default', one), compute('serving_default', one));
  assert.deepEqual(inner.calls.at(-1)!.rows, 2);
});

test('without padding, differently shaped requests go to separate batches (never mixed, never failed)', async () => {
  const { inner, servable } = setup({ batchTimeoutMicros: 5000 });
  const a = { tokens: { dtype: 'DT_INT32' as const, shape: [1, 2], data: Int32Array.of(1, 2) } };
  const b = { tokens: { dtype: 'DT_INT32' as const, shape: [2, 3], data: Int32Array.of(3, 4, 5, 6, 7, 8) } };
  const c = { tokens: { dtype: 'DT_INT32' as const, shape: [1, 2], data: Int32Array.of(9, 10) } };
  const res = await Promise.all([a, b, c].map((x) => servable.run('seq', x)));
  [a, b, c].forEach((x, i) => assertSameTensors(res[i]!, compute('seq', x)));
  const shapes = inner.calls.map((c) => c.shapes['tokens']!.join('x')).sort();
  assert.deepEqual(shapes, ['2x2', '2x3']);
});

test('pad_variable_length_inputs pads ragged inputs and cuts outputs back to each caller\'s lengths', async () => {
  const { inner, servable } = setup({ batchTimeoutMicros: 5000, padVariableLengthInputs: true });
  const rand = rng(11);
  const reqs = [1, 3, 2, 3, 1].map((len, i) => {
    const rows = 1 + (i % 2);
    return { tokens: { dtype: 'DT_INT32' as const, shape: [rows, len], data: Int32Array.from({ length: rows * len }, () => 1 + Math.floor(rand() * 50)) } };
  });
  const res = await Promise.all(reqs.map((x) => servable.run('seq', x)));
  reqs.forEach((x, i) => assertSameTensors(res[i]!, compute('seq', x)));
  // One batch, padded to the longest sequence (3); `fixed` (declared [-1,3]) kept its 3 columns.
  assert.equal(inner.calls.length, 1);
  assert.deepEqual(inner.calls[0]!.shapes['tokens'], [7, 3]);
});

test('a request larger than max_batch_size is refused with upstream\'s text unless splitting is on', async () => {
  const { servable } = setup({ maxBatchSize: 4 });
  const rand = rng(5);
  await assert.rejects(servable.run('serving_default', { x: xRows(5, rand) }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.INVALID_ARGUMENT);
    assert.equal(e.message, 'Task size 5 is larger than maximum input batch size 4');
    return true;
  });
});

test('enable_large_batch_splitting cuts a big request into execution batches and reassembles it', async () => {
  const { inner, servable } = setup({
    maxBatchSize: 64,
    enableLargeBatchSplitting: true,
    maxExecutionBatchSize: 8,
    maxEnqueuedBatches: 100,
    batchTimeoutMicros: 3000,
  });
  const rand = rng(9);
  const small = { x: xRows(3, rand) };
  const big = { x: xRows(21, rand) };
  const [r1, r2] = await Promise.all([servable.run('serving_default', small), servable.run('serving_default', big)]);
  assertSameTensors(r1, compute('serving_default', small));
  assertSameTensors(r2, compute('serving_default', big));
  assert.ok(inner.calls.every((c) => c.rows <= 8));
  assert.equal(inner.calls.reduce((n, c) => n + c.rows, 0), 24);
  assert.deepEqual(
    inner.calls.map((c) => c.rows),
    [8, 8, 8],
  );
  // Still limited by max_batch_size.
  await assert.rejects(servable.run('serving_default', { x: xRows(65, rand) }), /Task size 65 is larger than maximum input batch size 64/);
});

test('a full queue answers UNAVAILABLE with upstream\'s text, and the others still complete', async () => {
  const g = gate();
  const { inner, servable } = setup({ maxBatchSize: 2, maxEnqueuedBatches: 1, numBatchThreads: 1 }, { gate: g.fn });
  const rand = rng(1);
  const running = servable.run('serving_default', { x: xRows(2, rand) }); // fills the batch, starts running
  while (g.held.length === 0) await tick();
  const queued = servable.run('serving_default', { x: xRows(2, rand) }); // fills the open batch
  let full: unknown;
  try {
    await servable.run('serving_default', { x: xRows(1, rand) });
  } catch (e) {
    full = e;
  }
  assert.ok(full instanceof TfsError);
  assert.equal(full.code, Code.UNAVAILABLE);
  assert.equal(full.message, 'The batch scheduling queue to which this task was submitted is full');
  assert.equal(full.httpStatus, 503);
  g.open();
  await Promise.all([running, queued]);
  assert.equal(inner.calls.length, 2);
  // After draining, new work is accepted again.
  await servable.run('serving_default', { x: xRows(1, rand) });
});

/**
 * A manual clock with the scheduler's timers on it: time moves only in {@link advance}, which
 * fires the timers that are due by then (in due order), so batch timeouts are tested by what
 * happened, never by wall-clock readings.
 */
class ManualTimers implements SchedulerTimers {
  t = 0;
  private seq = 0;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Move the clock to `to` ms, firing every timer due by then. */
  advance(to: number): void {
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = Math.max(this.t, to);
  }
}

function setupOnClock(p: Partial<BatchingParameters>, clock: ManualTimers) {
  const inner = new FakeServable({});
  const observer = new RecordingObserver();
  const batcher = new Batcher(params(p), { observer, execution: 'in-thread', now: clock.now, timers: clock });
  return { inner, observer, servable: batcher.wrap(inner) };
}

/** Let the event loop run `n` turns (dispatch happens on setImmediate). */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

test('batch_timeout_micros holds an under-full batch; 0 runs at once when a thread is free', async () => {
  const clock = new ManualTimers();
  const slow = setupOnClock({ maxBatchSize: 100, batchTimeoutMicros: 60_000 }, clock);
  const rand = rng(2);
  const p1 = slow.servable.run('serving_default', { x: xRows(1, rand) });
  await turns();
  clock.advance(15);
  const p2 = slow.servable.run('serving_default', { x: xRows(1, rand) });
  await turns();
  // Before its timeout the under-full batch has not run, however many turns pass.
  clock.advance(59.999);
  await turns();
  assert.equal(slow.inner.calls.length, 0, 'the batch ran before batch_timeout_micros');
  assert.equal(clock.pending.size, 1, 'one timer waits for the batch timeout');
  clock.advance(60);
  await until(() => slow.inner.calls.length === 1);
  await Promise.all([p1, p2]);
  assert.equal(slow.inner.calls.length, 1, 'both requests joined the same batch');
  assert.deepEqual(slow.inner.calls.map((c) => c.rows), [2]);
  // Queuing delays on the scheduler's clock: 60 ms for the first request, 45 for the second.
  assert.deepEqual([...slow.observer.delays].sort((a, b) => a - b), [45_000, 60_000]);

  // batch_timeout_micros 0: the request runs with no timer armed and none fired.
  const clock0 = new ManualTimers();
  const fast = setupOnClock({ maxBatchSize: 100, batchTimeoutMicros: 0 }, clock0);
  await fast.servable.run('serving_default', { x: xRows(1, rand) });
  assert.equal(clock0.pending.size, 0);
  assert.equal(clock0.t, 0);
  // A full batch does not wait for its timeout (the clock never moves).
  const clock1 = new ManualTimers();
  const full = setupOnClock({ maxBatchSize: 2, batchTimeoutMicros: 10_000_000 }, clock1);
  await Promise.all([full.servable.run('serving_default', { x: xRows(1, rand) }), full.servable.run('serving_default', { x: xRows(1, rand) })]);
  assert.deepEqual(full.inner.calls.map((c) => c.rows), [2]);
  assert.equal(clock1.t, 0);
});

test('cancelling a queued request removes it from its batch', async () => {
  const g = gate();
  const { inner, observer, servable } = setup({ maxBatchSize: 10, numBatchThreads: 1 }, { gate: g.fn });
  const rand = rng(4);
  const first = servable.run('serving_default', { x: xRows(1, rand) });
  while (g.held.length === 0) await tick();
  const ac = new AbortController();
  const keep = { x: xRows(2, rand) };
  const gone = servable.run('serving_default', { x: xRows(3, rand) }, { signal: ac.signal });
  const kept = servable.run('serving_default', keep);
  await tick();
  assert.equal(observer.queuedNow, 2);
  ac.abort(new TfsError(Code.DEADLINE_EXCEEDED, 'Deadline Exceeded'));
  // Answered as every timeout is (errors.ts abortError): TF's timed-out run.
  await assert.rejects(gone, (e: unknown) => e instanceof TfsError && e.code === Code.DEADLINE_EXCEEDED && e.message === 'Timed out waiting for notification');
  assert.equal(observer.queuedNow, 1);
  g.open();
  await first;
  assertSameTensors(await kept, compute('serving_default', keep));
  // The cancelled request's 3 rows never ran.
  assert.deepEqual(
    inner.calls.map((c) => c.rows),
    [1, 2],
  );
  // An already-aborted signal is refused up front.
  const dead = new AbortController();
  dead.abort();
  await assert.rejects(servable.run('serving_default', { x: xRows(1, rand) }, { signal: dead.signal }), (e: unknown) => e instanceof TfsError && e.code === Code.CANCELLED);
});

test('a failing request in a batch fails alone, with the error an unbatched call gives', async () => {
  const { inner, servable } = setup({ batchTimeoutMicros: 5000 });
  const rand = rng(6);
  const good1 = { x: xRows(2, rand) };
  const bad = { x: xRows(2, rand) };
  (bad.x.data as Float32Array)[3] = NaN; // row 1 poisoned
  const good2 = { x: xRows(1, rand) };
  const settled = await Promise.allSettled([good1, bad, good2].map((x) => servable.run('serving_default', x)));
  assert.equal(settled[0]!.status, 'fulfilled');
  assert.equal(settled[2]!.status, 'fulfilled');
  assert.equal(settled[1]!.status, 'rejected');
  const err = (settled[1] as PromiseRejectedResult).reason as TfsError;
  assert.equal(err.code, Code.INVALID_ARGUMENT);
  assert.equal(err.message, 'poisoned row');
  assertSameTensors((settled[0] as PromiseFulfilledResult<Record<string, Tensor>>).value, compute('serving_default', good1));
  assertSameTensors((settled[2] as PromiseFulfilledResult<Record<string, Tensor>>).value, compute('serving_default', good2));
  // One failed batch of 5 rows, then one run per request.
  assert.deepEqual(
    inner.calls.map((c) => c.rows),
    [5, 2, 2, 1],
  );
});

test('a signature whose outputs are not batch-major is answered correctly and then runs unbatched', async () => {
  const { inner, servable } = setup({ batchTimeoutMicros: 5000 });
  const rand = rng(8);
  const reqs = [1, 2, 3].map((n) => ({ x: xRows(n, rand) }));
  const res = await Promise.all(reqs.map((x) => servable.run('scalar_out', x)));
  reqs.forEach((x, i) => assertSameTensors(res[i]!, compute('scalar_out', x)));
  const before = inner.calls.length;
  const again = await Promise.all(reqs.map((x) => servable.run('scalar_out', x)));
  reqs.forEach((x, i) => assertSameTensors(again[i]!, compute('scalar_out', x)));
  assert.deepEqual(
    inner.calls.slice(before).map((c) => c.rows),
    [1, 2, 3],
  );
});

test('a lone request padded to an allowed size still gets its unbatched answer when outputs are not batch-major', async () => {
  const { inner, servable } = setup({ maxBatchSize: 4, allowedBatchSizes: [4] });
  const x = { x: xRows(3, rng(13)) };
  assertSameTensors(await servable.run('scalar_out', x), compute('scalar_out', x));
  assert.deepEqual(
    inner.calls.map((c) => c.rows),
    [4, 3],
  );
});

test('calls that cannot be batched run directly on the model (its own answer or error)', async () => {
  const { inner, observer, servable } = setup();
  // wrong dtype: the model's own error, not a batching error
  await assert.rejects(
    servable.run('serving_default', { x: { dtype: 'DT_DOUBLE', shape: [1, 3], data: Float64Array.of(1, 2, 3) } }),
    /expected float, got DT_DOUBLE/,
  );
  // wrong inner dimension vs the signature's [-1,3]
  await assert.rejects(servable.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [1, 4], data: new Float32Array(4) } }), /bad shape \[1,4\]/);
  // scalar input
  await assert.rejects(servable.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [], data: Float32Array.of(1) } }), /fake needs a batched input/);
  // unknown signature
  await assert.rejects(servable.run('nope', { x: xRows(1, rng(1)) }), /no signature nope/);
  assert.equal(observer.inputs.length, 0, 'none of these entered a batching queue');
  assert.equal(inner.calls.length, 2);
});

test('a remembered plan never lets through a call the signature checks would refuse', async () => {
  // The first call leaves a plan for serving_default; every call below differs from it in one
  // way that must still be checked (and run unbatched, with the model's own answer).
  const { inner, observer, servable } = setup();
  const ok = { x: xRows(2, rng(3)) };
  assertSameTensors(await servable.run('serving_default', ok), compute('serving_default', ok));
  assert.equal(observer.inputs.length, 1);
  await assert.rejects(
    servable.run('serving_default', { x: { dtype: 'DT_DOUBLE', shape: [1, 3], data: Float64Array.of(1, 2, 3) } }),
    /expected float, got DT_DOUBLE/,
  );
  await assert.rejects(servable.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [1, 4], data: new Float32Array(4) } }), /bad shape \[1,4\]/);
  await assert.rejects(servable.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [], data: Float32Array.of(1) } }), /fake needs a batched input/);
  // an extra alias the signature does not have, and zero rows: unbatched as well
  await servable.run('serving_default', { ...ok, extra: xRows(2, rng(4)) }).catch(() => undefined);
  const empty = { x: { dtype: 'DT_FLOAT' as const, shape: [0, 3], data: new Float32Array(0) } };
  assertSameTensors(await servable.run('serving_default', empty), compute('serving_default', empty));
  assert.equal(observer.inputs.length, 1, 'none of these entered a batching queue');
  // and a call like the first one is batched again, with its own answer
  const again = { x: xRows(1, rng(5)) };
  assertSameTensors(await servable.run('serving_default', again), compute('serving_default', again));
  assert.equal(observer.inputs.length, 2);
  assert.equal(inner.calls.filter((c) => c.rows === 0).length, 1);
});

test('execution slots: num_batch_threads batches run at once, over all queues', async () => {
  const g = gate();
  const { inner, observer, servable } = setup({ maxBatchSize: 1, numBatchThreads: 3, maxEnqueuedBatches: 100 }, { gate: g.fn });
  const rand = rng(12);
  // In-thread execution runs one batch at a time per model, whatever num_batch_threads says.
  const ps = Array.from({ length: 4 }, () => servable.run('serving_default', { x: xRows(1, rand) }));
  // Wait (by event-loop turns, not time) until all four requests are queued or running.
  await until(() => observer.inputs.length === 4 && g.held.length >= 1 && observer.queuedNow + g.held.length === 4);
  assert.equal(g.held.length, 1);
  assert.equal(observer.queuedNow, 3);
  g.open();
  await Promise.all(ps);
  assert.equal(inner.calls.length, 4);
});

test('per-model parameters replace the server\'s, except the shared thread pool', async () => {
  const inner = new FakeServable();
  const batcher = new Batcher(params({ maxBatchSize: 100, numBatchThreads: 3, threadPoolName: 'model_server_batch_threads' }), { execution: 'in-thread' });
  const s = batcher.wrap(inner, { params: params({ maxBatchSize: 2, numBatchThreads: 9, threadPoolName: 'mine' }) });
  assert.equal(s.params.maxBatchSize, 2);
  assert.equal(s.params.numBatchThreads, 3);
  assert.equal(s.params.threadPoolName, 'model_server_batch_threads');
  await assert.rejects(s.run('serving_default', { x: xRows(3, rng(1)) }), /Task size 3 is larger than maximum input batch size 2/);
  await s.dispose();
});

test('dispose closes the queues and disposes the wrapped model', async () => {
  const { inner, servable } = setup();
  await servable.run('serving_default', { x: xRows(1, rng(1)) });
  await servable.dispose();
  assert.ok(inner.disposed);
  await assert.rejects(servable.run('serving_default', { x: xRows(1, rng(1)) }), (e: unknown) => e instanceof TfsError && e.code === Code.UNAVAILABLE);
});

export type { BatchingServable };
