/**
 * Conv3DBackpropInputV2 against TensorFlow 2.21's answers (tf.nn.conv3d_transpose on the same
 * inputs; eager tf.raw_ops.Conv3DBackpropInputV2 gave other numbers for the VALID case), on cpu and on wasm (whose own kernel differs: it runs cpu's).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { BIAS_ADD_NCHW_OP, CONV_KERNELS, DILATED_CONV2D_BACKPROP_INPUT_OP } from '../../../src/runtime/kernels/conv.js';
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

// Conv2DBackpropInput with dilations (Keras Conv2DTranspose(dilation_rate=2)): tfjs-converter
// ignores the attr. dy = arange(36).reshape(2,3,3,2) % 7 - 3, w = arange(24).reshape(2,2,3,2) % 5 - 2;
// TF 2.21's tf.raw_ops.Conv2DBackpropInput values.
const DIL_VALID_HEAD = [8, -2, -2, 2, 0, -2, -1, -5, 6, 1, -1, 2, -1, 5, -4, -3, -3, 12, 5, -1, -2, -4, -2, -5];
const DIL_SAME = [-3, -3, 12, 2, -4, -5, 1, -3, 3, -9, 1, 1, -1, 12, -10, 6, -7, 5, -3, 12, -3, -4, -5, -1, -3, 3, -1,
  -1, 1, -2, -7, 5, -3, 6, 6, -9, 4, -2, -3, -1, 9, -1, -8, -3, 7, 1, -2, 0, 5, -3, -1, 6, -9, 6];
const dil = (sizes: number[], dy: tf.Tensor, dilations: number[], padding: string): tf.Tensor =>
  runIn(CONV_KERNELS, DILATED_CONV2D_BACKPROP_INPUT_OP, [tf.tensor1d(sizes, 'int32'), tf.tensor4d(range(24, 0, 1).map((v) => (v % 5) - 2), [2, 2, 3, 2]), dy], {
    strides: ints([1, 1, 1, 1]),
    dilations: ints(dilations),
    padding: s(padding),
  })[0]!;

for (const backend of ['cpu', 'wasm']) {
  test(`Conv2DBackpropInput with dilations gives TF's values (${backend})`, async () => {
    await initBackend(backend as 'cpu' | 'wasm');
    await tf.setBackend(backend);
    const dy = tf.tensor4d(range(36, 0, 1).map((v) => (v % 7) - 3), [2, 3, 3, 2]);
    const valid = dil([2, 5, 5, 3], dy, [1, 2, 2, 1], 'VALID');
    assert.deepEqual(valid.shape, [2, 5, 5, 3]);
    assert.deepEqual(values(valid).slice(0, 24), DIL_VALID_HEAD);
    assert.deepEqual(values(valid).at(-1), -3);
    assert.deepEqual(values(dil([2, 3, 3, 3], dy, [1, 2, 1, 1], 'SAME')), DIL_SAME);
  });
}

test('Conv2DBackpropInput with dilations fails the call on an infinite or NaN input', async () => {
  await tf.setBackend('cpu');
  const dy = tf.tensor4d([...Array<number>(35).fill(1), Infinity], [2, 3, 3, 2]);
  assert.throws(() => dil([2, 5, 5, 3], dy, [1, 2, 2, 1], 'VALID'), /Conv2DBackpropInput.*infinite or NaN/);
});

test('_TfsBiasAddNCHW adds the bias on axis 1 (the last axis of a 2-D input); a wrong length fails with TF\'s text', async () => {
  await initBackend('cpu');
  await tf.setBackend('cpu');
  const x = tf.zeros([1, 2, 2, 3]);
  const y = runIn(CONV_KERNELS, BIAS_ADD_NCHW_OP, [x, tf.tensor([10, 20])])[0]!;
  assert.deepEqual(values(y), [10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20]);
  assert.deepEqual(values(runIn(CONV_KERNELS, BIAS_ADD_NCHW_OP, [tf.zeros([2, 3, 2]), tf.tensor([1, 2, 3])])[0]!), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  assert.deepEqual(values(runIn(CONV_KERNELS, BIAS_ADD_NCHW_OP, [tf.zeros([2, 2]), tf.tensor([1, 2])])[0]!), [1, 2, 1, 2]);
  assert.throws(() => runIn(CONV_KERNELS, BIAS_ADD_NCHW_OP, [x, tf.tensor([1, 2, 3])]),
    /Must provide as many biases as the channel dimension of the input tensor: \[3\] vs. \[1,2,2,3\]/);
});
