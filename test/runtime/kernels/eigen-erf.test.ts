/**
 * `_TfsErf` against TensorFlow 2.21's tf.math.erf on x86-64 (fixtures/erf-cases.json, written
 * by fixtures/erf_cases.py): bit for bit on edges (the x^2 clamp at 16, the [-1, 1] clamp,
 * infinities, NaN, signed zeros, denormal inputs) and on samples where tfjs's erf is off.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { EIGEN_ERF_KERNELS, ERF_OP, eigenErfLane, tfErfFloat32 } from '../../../src/runtime/kernels/eigen-erf.js';
import { eigenCaseTests } from './eigen-cases.js';

eigenCaseTests('erf-cases.json', EIGEN_ERF_KERNELS, {
  erf: { tfOp: 'Erf', kernelOp: ERF_OP, fn: tfErfFloat32, tfjs: (x) => tf.erf(x), minDiffer: 100 },
});

test('Erf: clamps to +-1, keeps signed zeros, flushes denormal inputs', () => {
  assert.equal(eigenErfLane(Infinity), 1);
  assert.equal(eigenErfLane(-10), -1);
  assert.ok(Object.is(eigenErfLane(-0), -0));
  assert.ok(Object.is(eigenErfLane(-1e-40), -0));
  assert.ok(Number.isNaN(eigenErfLane(NaN)));
});
