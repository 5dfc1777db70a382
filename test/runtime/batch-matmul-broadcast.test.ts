/**
 * BatchMatMul with batch dimensions that broadcast (src/runtime/batch-matmul-broadcast.ts).
 * Expected values are TF 2.21's:
 *   tf.matmul(tf.reshape(tf.range(0., 6.), [2, 3, 1, 1]), tf.reshape(tf.constant([10., 100.]), [2, 1, 1, 1])) = [0, 10, 20, 300, 400, 500]
 *   tf.matmul(tf.reshape(tf.range(0., 4.), [4, 1, 1, 1]), tf.reshape(tf.constant([10., 100.]), [2, 1, 1])) = [0, 0, 10, 100, 20, 200, 30, 300]
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('BatchMatMul pairs broadcast batches as TF (tfjs paired batch i with i % batchB), float32 and int32, wasm and cpu', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    for (const dtype of ['float32', 'int32'] as const) {
      const r = tf.matMul(tf.reshape(tf.range(0, 6, 1, dtype), [2, 3, 1, 1]), tf.reshape(tf.tensor1d([10, 100], dtype), [2, 1, 1, 1]));
      assert.deepEqual([r.shape, Array.from(r.dataSync())], [[2, 3, 1, 1], [0, 10, 20, 300, 400, 500]], `${b} ${dtype}`);
      const r2 = tf.matMul(tf.reshape(tf.range(0, 4, 1, dtype), [4, 1, 1, 1]), tf.reshape(tf.tensor1d([10, 100], dtype), [2, 1, 1]));
      assert.deepEqual([r2.shape, Array.from(r2.dataSync())], [[4, 2, 1, 1], [0, 0, 10, 100, 20, 200, 30, 300]], `${b} ${dtype}`);
    }
    // a batch of one and equal batches go straight to the backend's kernel
    const same = tf.matMul(tf.ones([2, 2, 3]), tf.ones([1, 3, 1]));
    assert.deepEqual(Array.from(same.dataSync()), [3, 3, 3, 3], b);
  }
});
