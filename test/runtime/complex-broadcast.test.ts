/**
 * Complex Add/Sub/Mul with operands of unequal rank (src/runtime/complex-broadcast.ts), on the
 * cpu backend where complex ops run. TF 2.21:
 *   tf.complex([[1., 2., 3.], [4., 5., 6.]], 1.) * tf.constant(2 + 1j, tf.complex64)
 *     = [[1+3j, 3+4j, 5+5j], [7+6j, 9+7j, 11+8j]]
 *   tf.complex([[1., 2.], [3., 4.]], 0.) + tf.complex([10., 20.], [1., 2.]) = [[11+1j, 22+2j], [13+1j, 24+2j]]
 * tfjs read the smaller operand past its end (NaN after the first element or row).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

const parts = (t: tf.Tensor): [number[], number[]] => [Array.from(tf.real(t).dataSync()), Array.from(tf.imag(t).dataSync())];

test('complex binary ops broadcast a scalar and a lower-rank operand as TF', async () => {
  await initBackend('cpu');
  const x = tf.complex(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.ones([2, 3]));
  const s = tf.complex(tf.scalar(2), tf.scalar(1));
  assert.deepEqual(parts(tf.mul(x, s)), [[1, 3, 5, 7, 9, 11], [3, 4, 5, 6, 7, 8]]);
  assert.deepEqual(parts(tf.mul(s, x)), [[1, 3, 5, 7, 9, 11], [3, 4, 5, 6, 7, 8]]);
  const m = tf.complex(tf.tensor2d([[1, 2], [3, 4]]), tf.zeros([2, 2]));
  const v = tf.complex(tf.tensor1d([10, 20]), tf.tensor1d([1, 2]));
  assert.deepEqual(parts(tf.add(m, v)), [[11, 22, 13, 24], [1, 2, 1, 2]]);
  assert.deepEqual(parts(tf.sub(v, m)), [[9, 18, 7, 16], [1, 2, 1, 2]]);
  assert.deepEqual(tf.add(m, v).shape, [2, 2]);
});
