/**
 * tfjs-backend-wasm's threaded SIMD build (runtime/wasm-threads.ts): its outputs equal the
 * single-threaded build's byte for byte on perf_mlp, small_cnn and zoo models (dense, conv,
 * LSTM, attention, separable conv) at several batch sizes; the server starts it for
 * --tensorflow_intra_op_parallelism=2 and says so; where it cannot start (no
 * SharedArrayBuffer) the server runs single-threaded and logs why. Every worker here must
 * exit by itself: pthread workers left running would keep it alive and time the test out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';

interface OutputsReply {
  threads: number;
  results: Record<string, number[]>;
}
interface ServeReply {
  threads: number;
  status: number;
  body: unknown;
  lines: { level: number; msg: string }[];
}

/** Run one job in a fresh worker; resolves with its message once the worker has exited by itself with code 0. */
function inWorker<T>(job: object): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w = new Worker(new URL('./wasm-threads-worker.js', import.meta.url), { workerData: job });
    let reply: T | undefined;
    w.once('message', (m: T) => (reply = m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with code ${code}`));
      else if (reply === undefined) reject(new Error('worker exited without a reply'));
      else resolve(reply);
    });
  });
}

const ZOO = join(fixtures, 'zoo', 'models');
const ZOO_MODELS = ['k3_dense_mlp', 'k3_conv2d', 'k3_lstm_seq', 'k3_mha', 'k3_separable_depthwise'];

test('the threaded build (2 threads) answers byte for byte what the single-threaded build answers', { timeout: 600_000 }, async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const models = [
    ...['perf_mlp', 'small_cnn'].map((name) => ({ name, dir: join(shared, 'zoo', name, '1') })),
    ...ZOO_MODELS.map((name) => ({ name, dir: join(ZOO, name, '1') })),
  ];
  const job = { mode: 'outputs', models, batches: [1, 8, 32, 128] };
  const [one, two] = await Promise.all([inWorker<OutputsReply>({ ...job, threads: 1 }), inWorker<OutputsReply>({ ...job, threads: 2 })]);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2, 'the threaded build started');
  // 7 models x 4 batch sizes, at least one output each.
  assert.ok(Object.keys(one.results).length >= 28, Object.keys(one.results).join(', '));
  assert.deepEqual(Object.keys(two.results), Object.keys(one.results));
  for (const [k, bytes] of Object.entries(one.results)) {
    assert.ok(bytes.length > 0, k);
    assert.deepEqual(two.results[k], bytes, `${k} differs between 1 and 2 threads`);
  }
});

test('--tensorflow_intra_op_parallelism=2: the server runs the threaded build, says so, and exits cleanly', { timeout: 300_000 }, async () => {
  const r = await inWorker<ServeReply>({
    mode: 'serve',
    flags: [`--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--model_name=half_plus_two', '--tensorflow_intra_op_parallelism=2'],
  });
  assert.equal(r.threads, 2);
  assert.deepEqual([r.status, r.body], [200, { predictions: [2.5, 3.0, 3.5] }]);
  assert.ok(r.lines.some((l) => l.level === 30 && l.msg === 'wasm backend: threaded SIMD build with 2 threads'), JSON.stringify(r.lines.map((l) => l.msg)));
});

test('where the threaded build cannot start, the server falls back to one thread with a warning', { timeout: 300_000 }, async () => {
  const r = await inWorker<ServeReply>({
    mode: 'serve',
    hideSharedArrayBuffer: true,
    flags: [`--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--model_name=half_plus_two', '--tensorflow_intra_op_parallelism=2'],
  });
  assert.equal(r.threads, 1);
  assert.deepEqual([r.status, r.body], [200, { predictions: [2.5, 3.0, 3.5] }]);
  const warn = r.lines.find((l) => l.level === 40 && l.msg.startsWith('wasm backend: the threaded build'));
  assert.equal(
    warn?.msg,
    'wasm backend: the threaded build (2 threads) could not start, running single-threaded: SharedArrayBuffer is not available',
  );
});

test('by default (--tensorflow_intra_op_parallelism=0) the server stays on the single-threaded build', { timeout: 300_000 }, async () => {
  const r = await inWorker<ServeReply>({
    mode: 'serve',
    flags: [`--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--model_name=half_plus_two'],
  });
  assert.equal(r.threads, 1);
  assert.ok(!r.lines.some((l) => l.msg.startsWith('wasm backend:')));
});

test('wasmThreadPlan: N threads for the I/O thread; batch workers share min(N, CPUs); never more than 8', async () => {
  const { wasmThreadPlan } = await import('../../src/server/loaders.js');
  const { parseServeFlags } = await import('../../src/server/flags.js');
  const plan = (args: string[], cpus: number): unknown => wasmThreadPlan(parseServeFlags(args, {}).values, cpus);
  assert.deepEqual(plan([], 2), { main: 1, perWorker: 1 });
  assert.deepEqual(plan([], 64), { main: 1, perWorker: 1 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=2'], 2), { main: 2, perWorker: 1 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=8'], 4), { main: 8, perWorker: 1 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=8'], 16), { main: 8, perWorker: 1 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=8', '--batch_worker_threads=2'], 4), { main: 8, perWorker: 2 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=8', '--batch_worker_threads=2'], 16), { main: 8, perWorker: 4 });
  assert.deepEqual(plan(['--tensorflow_intra_op_parallelism=32', '--batch_worker_threads=1'], 32), { main: 8, perWorker: 8 });
});
