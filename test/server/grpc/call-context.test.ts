import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, getEventListeners } from 'node:events';
import { Code, TfsError } from '../../../src/errors.js';
import { CallLimiter, callSignal } from '../../../src/server/grpc/call-context.js';
import { lazyTensorView, lazyTensors } from '../../../src/server/grpc/prediction-service.js';

/** A grpc-js server call as callSignal sees it: no deadline unless given, cancellable. */
class FakeCall extends EventEmitter {
  cancelled = false;
  constructor(private readonly deadline: number = Infinity) {
    super();
  }
  getDeadline(): number {
    return this.deadline;
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('cancelled');
  }
}

test('a finished call that never aborted hands its signal to the next call', () => {
  const first = callSignal(new FakeCall());
  const signal = first.signal;
  first.dispose();
  const second = callSignal(new FakeCall());
  assert.equal(second.signal, signal);
  assert.equal(second.signal.aborted, false);
  second.dispose();
});

test('an aborted signal is never handed to a later call', () => {
  const call = new FakeCall();
  const cs = callSignal(call);
  call.cancel();
  assert.equal(cs.signal.aborted, true);
  assert.ok(cs.signal.reason instanceof TfsError && cs.signal.reason.code === Code.CANCELLED);
  cs.dispose();
  for (let i = 0; i < 4; i++) {
    const next = callSignal(new FakeCall());
    assert.notEqual(next.signal, cs.signal);
    assert.equal(next.signal.aborted, false);
    next.dispose();
  }
});

test('a signal some consumer still listens to is not reused, and a disposed call no longer aborts it', () => {
  const call = new FakeCall();
  const cs = callSignal(call);
  const listeners = [(): void => undefined, (): void => undefined];
  for (const l of listeners) cs.signal.addEventListener('abort', l);
  cs.dispose();
  call.cancel();
  assert.equal(cs.signal.aborted, false);
  const next = callSignal(new FakeCall());
  assert.notEqual(next.signal, cs.signal);
  next.dispose();
});

test('an expired deadline aborts with DEADLINE_EXCEEDED, even on a reused signal', () => {
  callSignal(new FakeCall()).dispose();
  const cs = callSignal(new FakeCall(Date.now() - 1));
  assert.equal(cs.signal.aborted, true);
  assert.ok(cs.signal.reason instanceof TfsError && cs.signal.reason.code === Code.DEADLINE_EXCEEDED);
  cs.dispose();
});

test('a free slot is granted at once, without a promise', () => {
  const limiter = new CallLimiter(1);
  const release = limiter.acquire();
  assert.equal(typeof release, 'function');
  assert.equal(limiter.active, 1);
  (release as () => void)();
  assert.equal(limiter.active, 0);
});

test('a queued call waits through its CallSignal watch: no abort listener, and a cancel takes it out of the queue', async () => {
  const limiter = new CallLimiter(1);
  const first = limiter.acquire() as () => void;
  const call = new FakeCall();
  const cs = callSignal(call);
  const queued = limiter.acquire(cs.signal, cs.watch);
  assert.ok(queued instanceof Promise);
  assert.equal(limiter.queued, 1);
  assert.equal(getEventListeners(cs.signal, 'abort').length, 0);
  call.cancel();
  await assert.rejects(queued, (e: unknown) => e instanceof TfsError && e.code === Code.CANCELLED);
  assert.equal(limiter.queued, 0);
  cs.dispose();
  first();
  assert.equal(limiter.active, 0);
});

test('a granted call clears its watch: a later cancel no longer touches the queue', async () => {
  const limiter = new CallLimiter(1);
  const first = limiter.acquire() as () => void;
  const call = new FakeCall();
  const cs = callSignal(call);
  const queued = limiter.acquire(cs.signal, cs.watch) as Promise<() => void>;
  const other = limiter.acquire(new AbortController().signal) as Promise<() => void>;
  first();
  const release = await queued;
  call.cancel();
  assert.equal(limiter.queued, 1, 'the other waiter is still queued');
  release();
  (await other)();
  assert.equal(limiter.active, 0);
  cs.dispose();
});

const f32 = (values: number[]) => ({
  dtype: 1,
  tensor_shape: { dim: [{ size: values.length }] },
  tensor_content: new Uint8Array(new Float32Array(values).buffer),
});

test('request tensors decode into a plain object that equals the lazy view', () => {
  const protos = { a: f32([1, 2, 3]), b: f32([4]) };
  const eager = lazyTensors(protos);
  assert.deepEqual(Object.getOwnPropertyDescriptor(eager, 'a')?.get, undefined);
  const lazy = lazyTensorView(protos);
  assert.deepEqual(Object.keys(eager), ['a', 'b']);
  for (const k of ['a', 'b']) assert.deepEqual(eager[k], lazy[k]);
});

test('a tensor that fails to decode is reported on access only, naming its alias', () => {
  const bad = { dtype: 1, tensor_shape: { dim: [{ size: 2 }] }, tensor_content: new Uint8Array(5) };
  const inputs = lazyTensors({ good: f32([1]), bad });
  assert.deepEqual(Object.keys(inputs), ['good', 'bad']);
  assert.deepEqual(Array.from(inputs['good']!.data as Float32Array), [1]);
  assert.throws(() => inputs['bad'], (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && /bad/.test(e.message));
});

test("an alias named __proto__ stays a key", () => {
  const inputs = lazyTensors(JSON.parse('{"__proto__": {"dtype": 1, "tensor_shape": {"dim": [{"size": 1}]}, "float_val": [7]}}'));
  assert.deepEqual(Object.keys(inputs), ['__proto__']);
  assert.deepEqual(Array.from(inputs['__proto__']!.data as Float32Array), [7]);
});
