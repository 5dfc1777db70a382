/**
 * wasm kernels that answer wrongly in some cases run on cpu's kernel there (backend.ts
 * WASM_WRONG); each case against TensorFlow's answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('wasm: Equal/NotEqual on strings, float OneHot, GatherV2 with empty operands', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const enc = (v: string[]): tf.Tensor => tf.tensor(v.map((x) => new TextEncoder().encode(x)), [v.length], 'string');
  assert.deepEqual(Array.from(tf.equal(enc(['a', '', 'b']), enc(['a', 'x', 'b'])).dataSync()), [1, 0, 1]);
  assert.deepEqual(Array.from(tf.notEqual(enc(['a', '']), enc(['a', 'x'])).dataSync()), [0, 1]);
  // tf.one_hot([1, 3], 4, on_value=2.0, off_value=-1.0)
  assert.deepEqual(Array.from(tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4, 2, -1, 'float32').dataSync()), [-1, 2, -1, -1, -1, -1, -1, 2]);
  const g = tf.gather(tf.tensor1d([], 'int32'), tf.tensor1d([], 'int32'));
  assert.deepEqual(g.shape, [0]);
  // tf.gather(x, i, axis=1, batch_dims=1)
  const b = tf.gather(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1);
  assert.deepEqual(Array.from(b.dataSync()), [3, 1, 5, 5]);
});

test('wasm: SparseToDense of strings (aborted the module) runs on cpu', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const vals = tf.tensor(['a', 'b'].map((x) => new TextEncoder().encode(x)), [2], 'string');
  const d = tf.sparseToDense(tf.tensor2d([[0, 0], [1, 1]], [2, 2], 'int32'), vals, [2, 3], tf.scalar(new Uint8Array(0), 'string'));
  // tf.sparse.to_dense(tf.SparseTensor([[0, 0], [1, 1]], [b"a", b"b"], [2, 3]))
  assert.deepEqual((tf.engine().readSync(d.dataId) as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1')), ['a', '', '', '', 'b', '']);
});
