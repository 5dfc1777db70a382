/**
 * `_TfsTanh` / `_TfsSigmoid` against TensorFlow 2.21's tf.tanh / tf.sigmoid on x86-64
 * (fixtures/tanh-sigmoid-cases.json, written by fixtures/tanh_sigmoid_cases.py): bit for bit
 * on edges (the tanh clamp at 7.90738964, sigmoid's 16.6355324 and -104, infinities, NaN,
 * signed zeros, denormal inputs) and on samples where the correctly rounded values tfjs gives
 * differ; the last n % 8 elements take the scalar path as TF's tail does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  EIGEN_TANH_SIGMOID_KERNELS, SIGMOID_OP, TANH_OP, eigenSigmoidLane, libmSigmoid, tfSigmoidFloat32, tfTanhFloat32,
} from '../../../src/runtime/kernels/eigen-tanh-sigmoid.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { eigenCaseTests } from './eigen-cases.js';

eigenCaseTests('tanh-sigmoid-cases.json', EIGEN_TANH_SIGMOID_KERNELS, {
  tanh: { tfOp: 'Tanh', kernelOp: TANH_OP, fn: tfTanhFloat32, tfjs: (x) => tf.tanh(x), minDiffer: 100 },
  sigmoid: { tfOp: 'Sigmoid', kernelOp: SIGMOID_OP, fn: tfSigmoidFloat32, tfjs: (x) => tf.sigmoid(x), minDiffer: 100, otherType: 'DT_DOUBLE' },
});

test('sigmoid: packets use the exp(x/2)^2 polynomial, the tail expf; both clamp at the ends', () => {
  assert.equal(eigenSigmoidLane(-104.5), 0);
  assert.equal(eigenSigmoidLane(17), 1);
  assert.equal(libmSigmoid(Infinity), 1);
  assert.equal(libmSigmoid(-Infinity), 0);
  assert.ok(Number.isNaN(eigenSigmoidLane(NaN)));
});

test('the freezer reads a numeric dtype enum too (1 = DT_FLOAT)', () => {
  assert.equal(familyNode('Sigmoid', { T: { type: 1 } }, {}), SIGMOID_OP);
});
