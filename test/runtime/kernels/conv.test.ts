/**
 * Conv3DBackpropInputV2 against TensorFlow 2.21's answers (tf.nn.conv3d_transpose on the same
 * inputs; eager tf.raw_ops.Conv3DBackpropInputV2 gave other numbers for the VALID case), on cpu and on wasm (whose own kernel differs: it runs cpu's).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { CONV_KERNELS } from '../../../src/runtime/kernels/conv.js';
import { run as runIn, s, values } from './helpers.js';

const run = (inputs: tf.Tensor[], raw = {}): tf.Tensor => runIn(CONV_KERNELS, 'Conv3DBackpropInputV2', inputs, raw)[0]!;
const ints = (v: number[]): { list: { i: number[] } } => ({ list: { i: v } });
const range = (n: number, off: number, div: number): number[] => Array.from({ length: n }, (_, i) => (i - off) / div);

const VALID = [-1.5, -4, -2, -5, -10, -4, -1.5, -2, 0, -7, -12, -4, -10, -12, 0, 1, 8, 8, 2.5, 8, 6, 11, 30, 20, 10.5, 26, 16];
const SAME_HEAD = [-1.75, -1.5, -1.25, -1, -3.5, -3, -2.5, -2, -0.75, -0.5, -0.25, 0, -1.5, -1, -0.5, 0];

for (const backend of ['cpu', 'wasm']) {
  test(`Conv3DBackpropInputV2 VALID and strided SAME as TF (${backend})`, async () => {
    await initBackend(backend as 'cpu' | 'wasm');
    await tf.setBackend(backend);
    const dy = tf.tensor5d(range(8, -1, 1), [1, 2, 2, 2, 1]);
    const valid = run([tf.tensor1d([1, 3, 3, 3, 1], 'int32'), tf.tensor5d(range(8, 3, 2), [2, 2, 2, 1, 1]), dy], {
      strides: ints([1, 1, 1, 1, 1]),
      padding: s('VALID'),
    });
    assert.deepEqual(valid.shape, [1, 3, 3, 3, 1]);
    assert.deepEqual(values(valid), VALID);
    const same = run([tf.tensor1d([1, 3, 4, 4, 2], 'int32'), tf.tensor5d(range(16, 7, 4), [2, 2, 2, 2, 1]), dy], {
      strides: ints([1, 2, 2, 2, 1]),
      padding: s('SAME'),
    });
    assert.deepEqual(same.shape, [1, 3, 4, 4, 2]);
    assert.deepEqual(values(same).slice(0, 16), SAME_HEAD);
    assert.equal(values(same).at(-4), -6);
  });
}

test('Conv3DBackpropInputV2 refuses dilations it cannot compute', async () => {
  await tf.setBackend('cpu');
  const x = [tf.tensor1d([1, 3, 3, 3, 1], 'int32'), tf.zeros([2, 2, 2, 1, 1]), tf.zeros([1, 2, 2, 2, 1])];
  assert.throws(() => run(x, { strides: ints([1, 1, 1, 1, 1]), dilations: ints([1, 2, 2, 2, 1]), padding: s('VALID') }), /dilations/);
});
