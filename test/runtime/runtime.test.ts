/**
 * The runtime's contract on the project's own models (fixtures/models, no ../shared
 * needed): TensorFlow's outputs, TF's input checks and error texts, tf.Example parsing
 * errors, output filters, cancellation, memory (no tensor leaks, dispose frees
 * everything), backends, and worker threads.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Code, Errors, TfsError } from '../../src/errors.js';
import { initBackend, isBackendName, resolveBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { ModelServable } from '../../src/core/servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { lookupType } from '../../src/proto/root.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';
import { floatExample, mismatch, oracleFile } from './oracle-data.js';

const HALF = join(fixtures, 'models', 'half_plus_two', '00000123');
const MY_MODEL = join(fixtures, 'models', 'my_model', '1');
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: Float32Array.from(values) });
const strings = (data: Uint8Array[]): Tensor => ({ dtype: 'DT_STRING', shape: [data.length], data });

async function withServable<T>(dir: string, fn: (s: ModelServable) => Promise<T>, backend: ConcreteBackend = 'wasm'): Promise<T> {
  const s = await loadSavedModelServable('m', 1, dir, { backend });
  try {
    return await fn(s);
  } finally {
    await s.dispose();
  }
}

const rejectsWith = (p: Promise<unknown>, code: number, message: string | RegExp): Promise<void> =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TfsError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`the project's own models match TensorFlow on ${backend}`, async () => {
    await initBackend('wasm');
    const cases = oracleFile(join(fixtures, 'models', 'oracle.jsonl'), join(fixtures, 'models'));
    assert.ok(cases.length >= 10);
    for (const c of cases) {
      await withServable(
        c.dir,
        async (s) => {
          const out = await s.run(c.signature, c.inputs);
          for (const [alias, want] of Object.entries(c.outputs)) assert.equal(mismatch(out[alias], want), undefined, `${c.where} ${alias}`);
        },
        backend,
      );
    }
  });
}

test('inputs are checked as TensorFlow checks feeds', async () => {
  await withServable(MY_MODEL, async (s) => {
    // dtype: strictly, with TF's call-frame text (arg index = position among sorted feeds).
    await rejectsWith(
      s.run('serving_default', { dense_input: { dtype: 'DT_INT32', shape: [1, 10], data: new Int32Array(10) } }),
      Code.INVALID_ARGUMENT,
      'Expects arg[0] to be float but int32 is provided',
    );
    // shape: not checked against the signature (TF does not); the kernel that cannot
    // compute it fails the call, and the hint names the input that differs.
    await assert.rejects(s.run('serving_default', { dense_input: f32([2, 9], new Array(18).fill(0)) }), (e: unknown) => {
      assert.ok(e instanceof TfsError);
      assert.equal(e.code, Code.INVALID_ARGUMENT);
      assert.match(e.message, /^Matrix size-incompatible: In\[0\]: \[2,9\], In\[1\]: \[10,\d+\]$/);
      assert.equal(e.hint, 'input dense_input has shape [2,9], the signature declares [-1,10]');
      return true;
    });
    await rejectsWith(
      s.run('serving_default', { dense_input: f32([1, 10], new Array(10).fill(0)), extra: f32([1], [1]) }),
      Code.INVALID_ARGUMENT,
      'Inputs contains invalid name. Used request inputs: dense_input,extra, request input: extra',
    );
    await rejectsWith(s.run('serving_default', {}), Code.INVALID_ARGUMENT, /^Signature input alias: dense_input\(feed name: serving_default_dense_input:0\) not found/);
    await rejectsWith(s.run('nope', {}), Code.FAILED_PRECONDITION, 'Serving signature key "nope" not found.');
  });
});

test('fed shapes are not checked against the signature, as in TF (upstream feeds [3] and [2,2] into [-1,1])', async () => {
  await withServable(HALF, async (s) => {
    assert.deepEqual(s.signatures.get('serving_default')!.inputs['x']!.shape, [-1, 1]);
    const a = await s.run('serving_default', { x: f32([3], [2, 3, 4]) });
    assert.deepEqual(a['y']!.shape, [3]);
    assert.deepEqual([...(a['y']!.data as Float32Array)], [3, 3.5, 4]);
    const b = await s.run('serving_default', { x: f32([2, 2], [1, 2, 3, 4]) });
    assert.deepEqual(b['y']!.shape, [2, 2]);
    assert.deepEqual([...(b['y']!.data as Float32Array)], [2.5, 3, 3.5, 4]);
  });
});

test('a signature declaring a scalar accepts any shape, as TF does (upstream feeds [3] into [])', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  await withServable(join(shared, 'savedmodels', 'tfjs_times_three_float', '1'), async (s) => {
    assert.deepEqual(s.signatures.get('serving_default')!.inputs['x']!.shape, []);
    const out = await s.run('serving_default', { x: f32([3], [1, 2, 3]) });
    assert.deepEqual([...(out['output_0']!.data as Float32Array)], [3, 6, 9]);
  });
});

test('float64 inputs are carried exactly: a Keras model\'s Cast to float32 rounds them as TF does', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  await withServable(join(shared, 'savedmodels', 'keras_drybean', '3'), async (s) => {
    const run = async (v: number) =>
      (await s.run('serving_default', { dense_input: { dtype: 'DT_DOUBLE', shape: [1, 16], data: new Float64Array(16).fill(v) } }))['dense_2']!;
    const ok = await run(0);
    assert.equal(ok.dtype, 'DT_FLOAT');
    // 0.1 is no float32 value: it is no longer refused, and TF's Cast rounds it to float32 0.1.
    assert.deepEqual([...(await run(0.1)).data as Float32Array], [...(await run(Math.fround(0.1))).data as Float32Array]);
  });
});

test('output filters select outputs; unknown and duplicate aliases get upstream texts', async () => {
  await withServable(HALF, async (s) => {
    const x = f32([1, 1], [2]);
    const out = await s.run('serving_default', { x }, { outputFilter: ['y'] });
    assert.deepEqual(Object.keys(out), ['y']);
    await assert.rejects(s.run('serving_default', { x }, { outputFilter: ['z'] }), (e: unknown) => {
      assert.deepEqual(e, Errors.outputAliasNotFound('z', ['y']));
      return true;
    });
    await assert.rejects(s.run('serving_default', { x }, { outputFilter: ['y', 'y'] }), (e: unknown) => {
      assert.deepEqual(e, Errors.duplicateOutputAlias('y'));
      return true;
    });
  });
});

test('tf.Example inputs: TF parser errors for missing, mistyped, mis-sized and undecodable examples', async () => {
  const Example = lookupType('tensorflow.Example');
  const ex = (feature: Record<string, unknown>): Uint8Array => Example.encode(Example.fromObject({ features: { feature } })).finish();
  await withServable(HALF, async (s) => {
    const ok = await s.run('regress_x_to_y', { inputs: strings([floatExample({ x: [2] }), floatExample({ x: [80] })]) });
    assert.deepEqual([...(ok['outputs']!.data as Float32Array)], [3, 42]);
    await rejectsWith(
      s.run('regress_x_to_y', { inputs: strings([floatExample({ x: [2] }), floatExample({ other: [1] })]) }),
      Code.INVALID_ARGUMENT,
      'Name: <unknown>, Feature: x (data type: float) is required but could not be found.',
    );
    await rejectsWith(
      s.run('regress_x_to_y', { inputs: strings([ex({ x: { int64_list: { value: [2] } } })]) }),
      Code.INVALID_ARGUMENT,
      "Name: <unknown>, Key: x, Index: 0.  Data types don't match. Data type: int64 but expected type: float",
    );
    await rejectsWith(
      s.run('regress_x_to_y', { inputs: strings([floatExample({ x: [1, 2] })]) }),
      Code.INVALID_ARGUMENT,
      'Name: <unknown>, Key: x, Index: 0.  Number of float values != expected.  Values size: 2 but output shape: [1]',
    );
    await rejectsWith(
      s.run('regress_x_to_y', { inputs: strings([Uint8Array.of(0x0a, 0x05, 1)]) }),
      Code.INVALID_ARGUMENT,
      /^Could not parse example input, value: /,
    );
    // A context merged in front of an example (what Classify/Regress with context send).
    const merged = new Uint8Array([...floatExample({ x: [1] }), ...floatExample({ x: [4] })]);
    const m = await s.run('regress_x_to_y', { inputs: strings([merged]) });
    assert.deepEqual([...(m['outputs']!.data as Float32Array)], [4]);
  });
});

test('no tensor leaks across runs, failed runs included; dispose frees the model', async () => {
  await initBackend('wasm');
  const baseline = tf.memory().numTensors;
  const s = await loadSavedModelServable('m', 1, HALF);
  const loaded = tf.memory().numTensors;
  assert.ok(loaded > baseline);
  for (let i = 0; i < 20; i++) {
    await s.run('serving_default', { x: f32([2, 1], [i, i + 1]) });
    await s.run('classify_x_to_y', { inputs: strings([floatExample({ x: [i] })]) });
    await assert.rejects(s.run('regress_x_to_y', { inputs: strings([floatExample({ y: [i] })]) }));
    await assert.rejects(s.run('serving_default', { x: { dtype: 'DT_INT32', shape: [1, 1], data: Int32Array.of(1) } }));
    assert.equal(tf.memory().numTensors, loaded, `after round ${i}`);
  }
  await s.dispose();
  assert.equal(tf.memory().numTensors, baseline);
  await rejectsWith(s.run('serving_default', { x: f32([1, 1], [1]) }), Code.UNAVAILABLE, /has been unloaded/);
});

test('an aborted call is not run: a timeout is DEADLINE_EXCEEDED (TF\'s text), a cancel CANCELLED', async () => {
  await withServable(HALF, async (s) => {
    const x = f32([1, 1], [1]);
    await rejectsWith(s.run('serving_default', { x }, { signal: AbortSignal.abort() }), Code.CANCELLED, 'Cancelled');
    // The gRPC deadline's reason and REST's (a TimeoutError) answer alike (errors.ts abortError).
    const c = new AbortController();
    c.abort(Errors.deadlineExceeded());
    await rejectsWith(s.run('serving_default', { x }, { signal: c.signal }), Code.DEADLINE_EXCEEDED, 'Timed out waiting for notification');
    const r = new AbortController();
    r.abort(new DOMException('The REST API timeout expired', 'TimeoutError'));
    await rejectsWith(s.run('serving_default', { x }, { signal: r.signal }), Code.DEADLINE_EXCEEDED, 'Timed out waiting for notification');
  });
});

test('backends: names, auto, and a clear error when the tensorflow backend is not installed', async () => {
  assert.ok(isBackendName('auto') && isBackendName('wasm') && isBackendName('cpu') && isBackendName('tensorflow'));
  assert.ok(!isBackendName('gpu'));
  await initBackend('wasm');
  assert.equal(await resolveBackend('auto'), 'wasm');
  await rejectsWith(
    initBackend('tensorflow'),
    Code.FAILED_PRECONDITION,
    /The tensorflow backend needs @tensorflow\/tfjs-node \(CPU\) or @tensorflow\/tfjs-node-gpu \(CUDA GPU\), and neither is installed\. Install one next to tfs \(npm install @tensorflow\/tfjs-node\)/,
  );
  await rejectsWith(loadSavedModelServable('m', 1, HALF, { backend: 'tensorflow' }), Code.FAILED_PRECONDITION, /neither is installed/);
});

test('the runtime works inside worker_threads, each worker with its own engine', async () => {
  const run = (backend: string) =>
    new Promise<{ backend: string; activeBackend: string; y: number[]; tensorsWhileLoaded: number; tensorsAfterDispose: number }>(
      (resolve, reject) => {
        const w = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: { dir: HALF, backend } });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      },
    );
  const [a, b] = await Promise.all([run('wasm'), run('cpu')]);
  assert.deepEqual(a.y, [2.5, 3, 3.5]);
  assert.deepEqual(b.y, [2.5, 3, 3.5]);
  assert.equal(a.activeBackend, 'wasm');
  assert.equal(b.activeBackend, 'cpu');
  assert.equal(a.tensorsAfterDispose, 0);
  assert.ok(a.tensorsWhileLoaded > 0);
});

test('a corrupt checkpoint fails the load with DATA_LOSS naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-corrupt-'));
  try {
    cpSync(MY_MODEL, dir, { recursive: true });
    const data = join(dir, 'variables', 'variables.data-00000-of-00001');
    // Every stored tensor damaged: whichever the model reads fails its CRC.
    writeFileSync(data, readFileSync(data).map((b) => b ^ 0x5a));
    await rejectsWith(loadSavedModelServable('m', 1, dir), Code.DATA_LOSS, /^Model m version 1: Corrupt file .*variables\.data-00000-of-00001/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
