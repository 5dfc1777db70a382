/**
 * Activation gradients, BiasAddGrad, StridedSliceGrad and InvertPermutation against TensorFlow
 * 2.21 (fixtures/grad-cases.json): bit for bit, on edge values (0, -0, 6 for Relu6, NaN, tiny
 * and large values) laid out as 2 packets of 8 and a tail of 3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GRAD_KERNELS } from '../../../src/runtime/kernels/grad.js';
import { checkCase, GRAD_CASES } from './grad-cases.js';
import { run, s } from './helpers.js';

await tf.setBackend('cpu');

for (const op of ['ReluGrad', 'Relu6Grad', 'EluGrad', 'SeluGrad', 'LeakyReluGrad', 'SoftplusGrad', 'SoftsignGrad', 'SigmoidGrad', 'TanhGrad', 'RsqrtGrad', 'SqrtGrad']) {
  test(`${op} equals TensorFlow bit for bit`, () => {
    const raw = op === 'LeakyReluGrad' ? { alpha: { f: 0.3 } } : {};
    const c = GRAD_CASES[op]!;
    c.attrs = { ...c.attrs };
    if (op === 'LeakyReluGrad') {
      const [got] = run(GRAD_KERNELS, op, c.inputs.map((t) => tf.tensor(new Float32Array(Uint32Array.from(t.bits!).buffer), t.shape)), raw);
      const want = new Float32Array(Uint32Array.from(c.out.bits!).buffer);
      assert.deepEqual(Array.from(got!.dataSync()), Array.from(want));
      return;
    }
    checkCase(GRAD_KERNELS, op, op);
  });
}

test('SigmoidGrad: packets of 8 as dy * (y * (1 - y)), the tail as (dy * y) * (1 - y), as TF', () => {
  checkCase(GRAD_KERNELS, 'SigmoidGrad', 'SigmoidGradBig');
});

test('BiasAddGrad sums every axis but the channel one (NHWC last, NCHW second)', () => {
  checkCase(GRAD_KERNELS, 'BiasAddGrad', 'BiasAddGrad_NHWC', 1e-6);
  checkCase(GRAD_KERNELS, 'BiasAddGrad', 'BiasAddGrad_NCHW', 1e-6);
});

test('InvertPermutation inverts, and refuses what is not a permutation', () => {
  checkCase(GRAD_KERNELS, 'InvertPermutation', 'InvertPermutation');
  assert.throws(() => run(GRAD_KERNELS, 'InvertPermutation', [tf.tensor1d([0, 0, 1], 'int32')]), /not a permutation/);
});

for (const name of ['basic', 'shrink_newaxis', 'ellipsis', 'negative']) {
  test(`StridedSliceGrad (${name.replace('_', ' and ')} masks) scatters dy where StridedSlice reads`, () => {
    checkCase(GRAD_KERNELS, 'StridedSliceGrad', `StridedSliceGrad_${name}`);
  });
}

test('a gradient of inputs of different sizes is refused', () => {
  assert.throws(() => run(GRAD_KERNELS, 'ReluGrad', [tf.zeros([3]), tf.zeros([4])], { T: s('DT_FLOAT') }), /shapes/);
});
