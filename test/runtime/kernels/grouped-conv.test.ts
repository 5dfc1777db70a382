/**
 * Grouped Conv2D (kernels/grouped-conv.ts) against TensorFlow 2.21's tf.nn.conv2d with an input
 * depth twice the filter's (Keras Conv2D(groups=2)).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GROUPED_CONV_KERNELS, GROUPED_CONV_OP } from '../../../src/runtime/kernels/grouped-conv.js';
import { run, s, values } from './helpers.js';

await tf.setBackend('cpu');

// x = arange(36).reshape(1,3,3,4) % 7 - 3, w = arange(32).reshape(2,2,2,4) % 5 - 2
const x = tf.tensor(Array.from({ length: 36 }, (_, i) => (i % 7) - 3), [1, 3, 3, 4]);
const w = tf.tensor(Array.from({ length: 32 }, (_, i) => (i % 5) - 2), [2, 2, 2, 4]);
const ints = (v: number[]) => ({ list: { i: v } });

test('a Conv2D with input depth 2x the filter depth gives TF\'s values (VALID, SAME with strides)', () => {
  const valid = run(GROUPED_CONV_KERNELS, GROUPED_CONV_OP, [x, w], { strides: ints([1, 1, 1, 1]), padding: s('VALID') })[0]!;
  assert.deepEqual(valid.shape, [1, 2, 2, 4]);
  assert.deepEqual(values(valid), [-7, 10, -20, -8, 4, -22, 10, 6, -9, -9, 7, -1, 16, 8, 2, 6]);
  const same = run(GROUPED_CONV_KERNELS, GROUPED_CONV_OP, [x, w], { strides: ints([1, 2, 2, 1]), padding: s('SAME') })[0]!;
  assert.deepEqual(values(same), [-7, 10, -20, -8, 5, 7, -3, -5, -1, -10, -1, 3, 2, -5, 3, 3]);
});

test('a grouped Conv2D whose depths do not divide is refused with TF\'s text', () => {
  const w3 = tf.zeros([1, 1, 3, 3]);
  assert.throws(() => run(GROUPED_CONV_KERNELS, GROUPED_CONV_OP, [x, w3], { strides: ints([1, 1, 1, 1]), padding: s('VALID') }),
    /input depth must be evenly divisible by filter depth: 4 vs 3/);
  const w2 = tf.zeros([1, 1, 2, 3]);
  assert.throws(() => run(GROUPED_CONV_KERNELS, GROUPED_CONV_OP, [x, w2], { strides: ints([1, 1, 1, 1]), padding: s('VALID') }),
    /output depth must be evenly divisible by number of groups: 3 vs 2/);
});
