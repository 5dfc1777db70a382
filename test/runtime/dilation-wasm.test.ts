/**
 * wasm's Dilation2D started each window's max at FLT_MIN, so windows of negative values
 * answered 1.2e-38; backend.ts runs cpu's kernel instead. TF 2.21:
 * tf.nn.dilation2d(tf.reshape(-tf.range(1., 10.), [1, 3, 3, 1]), tf.fill([2, 2, 1], 0.1), [1, 1, 1, 1], 'SAME', 'NHWC', [1, 1, 1, 1])
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('Dilation2D over negative windows as TF on wasm', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const x = tf.reshape(tf.neg(tf.range(1, 10, 1, 'float32')), [1, 3, 3, 1]) as tf.Tensor4D;
  const y = tf.dilation2d(x, tf.fill([2, 2, 1], 0.1) as tf.Tensor3D, 1, 'same');
  const want = [-0.9, -1.9, -2.9, -3.9, -4.9, -5.9, -6.9, -7.9, -8.9];
  Array.from(y.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `[${i}] ${v} vs ${want[i]}`));
  tf.dispose([x, y]);
});
