/**
 * Tensor-op kernels (src/runtime/kernels/tensor-ops.ts) against TensorFlow 2.21.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TENSOR_KERNELS } from '../../../src/runtime/kernels/tensor-ops.js';
import { run, values } from './helpers.js';

await tf.setBackend('cpu');

test('EnsureShape passes a compatible tensor through and refuses others with TF text', () => {
  const shape = (dims: number[]) => ({ shape: { shape: { dim: dims.map((size) => ({ size })) } } });
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const y = run(TENSOR_KERNELS, '_TfsEnsureShape', [x], shape([-1, 3]))[0]!;
  assert.deepEqual(y.shape, [2, 3]);
  assert.deepEqual(values(y), [1, 2, 3, 4, 5, 6]);
  assert.notEqual(y, x);
  // tf.ensure_shape(x, [None, 4]) in a tf.function with x: [None, None] given [2, 3]
  assert.throws(() => run(TENSOR_KERNELS, '_TfsEnsureShape', [x], shape([-1, 4])), {
    message: 'Shape of tensor input [2,3] is not compatible with expected shape [?,4].',
  });
  assert.throws(() => run(TENSOR_KERNELS, '_TfsEnsureShape', [x], shape([2, 3, 1])), /expected shape \[2,3,1\]/);
});
