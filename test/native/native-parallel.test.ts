/**
 * The native runtime runs several TensorFlow session runs at once, off the event loop: with
 * batching, up to num_batch_threads batches of one model (as tensorflow_model_server), and
 * never so many that libuv's threadpool has no thread left for fs, dns and zlib.
 *
 * The proof uses fixtures/native/queue_handoff: its `take` signature blocks inside
 * TF_SessionRun until a `give` run has put a value into the graph's queue, so a `take` only
 * returns when a `give` ran while it was in flight. Needs the addon built (`tfs native
 * install`): without it the tests that load a model SKIP with the reason.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Batcher } from '../../src/batching/batching-servable.js';
import { defaultBatchingParameters } from '../../src/config/batching.js';
import type { ModelServable } from '../../src/core/servable.js';
import { ADDON_FILE, type NativeSession, loadNativeAddon, nativeDir } from '../../src/native/addon.js';
import { loadNativeServable, nativeRunSlots } from '../../src/servables/native-servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fixtures } from '../helpers/paths.js';

const MODEL = join(fixtures, 'native', 'queue_handoff', '1');
const SKIP = `the native addon is not built in ${nativeDir()} (run \`tfs native install\` or npm run test:native; needs TensorFlow)`;
/** A safety net only: without parallel runs the `take` below never returns, and the test fails here instead of hanging. */
const TIMEOUT = { timeout: 60_000 };

function addonOrSkip(t: TestContext): boolean {
  if (existsSync(join(nativeDir(), ADDON_FILE))) return true;
  t.skip(SKIP);
  return false;
}

const rows = (...v: number[]): Record<string, Tensor> => ({ x: { dtype: 'DT_FLOAT', shape: [v.length], data: new Float32Array(v) } });
const values = (out: Record<string, Tensor>): number[] => [...(out['y']!.data as Float32Array)];

/** Emits `take` each time the servable starts a run of the `take` signature. */
function watchTakes(servable: ModelServable): EventEmitter {
  const events = new EventEmitter();
  const run = servable.run.bind(servable);
  (servable as { run: ModelServable['run'] }).run = (key, inputs, options) => {
    const p = run(key, inputs, options);
    if (key === 'take') events.emit('take');
    return p;
  };
  return events;
}

test('nativeRunSlots: every thread of libuv pool but one (UV_THREADPOOL_SIZE, default 4)', () => {
  assert.equal(nativeRunSlots({}), 3);
  assert.equal(nativeRunSlots({ UV_THREADPOOL_SIZE: '16' }), 15);
  assert.equal(nativeRunSlots({ UV_THREADPOOL_SIZE: '1' }), 1);
  assert.equal(nativeRunSlots({ UV_THREADPOOL_SIZE: 'many' }), 3);
  assert.equal(nativeRunSlots({ UV_THREADPOOL_SIZE: '5000' }), 1023);
});

test('batching on the native runtime: a second batch runs while the first is still in TensorFlow', TIMEOUT, async (t) => {
  if (!addonOrSkip(t)) return;
  const servable = await loadNativeServable('queue_handoff', 1, MODEL);
  const takes = watchTakes(servable);
  const batcher = new Batcher({ ...defaultBatchingParameters(), numBatchThreads: 2, maxBatchSize: 4, batchTimeoutMicros: 0 });
  const batched = batcher.wrap(servable);
  let done = false;
  t.after(async () => {
    // Without parallel batches `take` still blocks a thread: feed it so the session can close.
    if (!done) await servable.run('give', rows(0));
    await batched.dispose();
  });
  assert.match(batched.describeExecution().reason, new RegExp(`up to ${nativeRunSlots()} batches at once`));

  const started = once(takes, 'take');
  const take = batched.run('take', rows(1, 2));
  await started; // the `take` batch is in TF_SessionRun, waiting on the queue
  const give = await batched.run('give', rows(40, 50));
  assert.deepEqual(values(give), [40, 50]);
  assert.deepEqual(values(await take), [41, 42]); // one dequeued value, added to every row
  done = true;
});

test('runs beyond the slots wait in JavaScript, so the threadpool keeps a thread for fs', TIMEOUT, async (t) => {
  if (!addonOrSkip(t)) return;
  const servable = await loadNativeServable('queue_handoff', 1, MODEL);
  const slots = servable.concurrentRuns!;
  assert.equal(slots, nativeRunSlots());
  const session = (servable as unknown as { session: NativeSession }).session;
  let fed = false;
  t.after(async () => {
    if (!fed) await loadNativeAddon().run(session, [['give_x:0', 1, [slots + 1], new Float32Array(slots + 1)]], ['give_y:0'], []);
    await servable.dispose();
  });

  const takes = watchTakes(servable);
  const started = once(takes, 'take');
  // slots + 1 blocking runs: the first `slots` fill their threads, the last waits for a slot.
  const pending = Array.from({ length: slots + 1 }, (_, i) => servable.run('take', rows(i * 100)));
  await started;
  // A waiting run whose caller gives up leaves the line at once, without running.
  const ac = new AbortController();
  const gaveUp = servable.run('take', rows(-1), { signal: ac.signal });
  ac.abort(new Error('client gone'));
  await assert.rejects(gaveUp, /client gone|abort|cancel/i);
  // Every run but one blocks a pool thread; fs still gets the last one.
  assert.ok((await readFile(MODEL + '/saved_model.pb')).length > 0);
  // Feed the queue straight through the addon (the servable's own slots are all taken).
  const fedValues = Array.from({ length: slots + 1 }, (_, i) => i + 1);
  await loadNativeAddon().run(session, [['give_x:0', 1, [slots + 1], new Float32Array(fedValues)]], ['give_y:0'], []);
  fed = true;
  const got = (await Promise.all(pending)).map((o) => values(o)[0]!);
  // Runs take their values in the order they reached TensorFlow; each gets exactly one.
  assert.deepEqual(
    got.map((v, i) => v - i * 100).sort((a, b) => a - b),
    fedValues,
  );
});
