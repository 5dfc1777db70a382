/**
 * `_TfsLog` against TensorFlow 2.21's tf.math.log on x86-64 (fixtures/log-cases.json, written
 * by fixtures/log_cases.py): bit for bit on edges (zero, denormals read as zero, negatives,
 * infinities, NaN, the sqrt(1/2) split) and on samples where the correctly rounded logf tfjs
 * gives is 1 ulp away; the last n % 8 elements go through logf as TF's tail does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { EIGEN_LOG_KERNELS, LOG_OP, eigenLogLane, tfLogFloat32 } from '../../../src/runtime/kernels/eigen-log.js';
import { eigenCaseTests } from './eigen-cases.js';

// NaN payloads are part of the bits compared; tfjs's differences are counted on x >= 0 only.
eigenCaseTests('log-cases.json', EIGEN_LOG_KERNELS, {
  log: { tfOp: 'Log', kernelOp: LOG_OP, fn: tfLogFloat32, tfjs: (x) => tf.log(x), counted: (x) => !Number.isNaN(x) && x >= 0, otherType: 'DT_DOUBLE' },
});

test('Log: zero and denormals give -Infinity, negatives NaN, Infinity itself', () => {
  assert.equal(eigenLogLane(0), -Infinity);
  assert.equal(eigenLogLane(1e-40), -Infinity);
  assert.equal(eigenLogLane(Infinity), Infinity);
  assert.ok(Number.isNaN(eigenLogLane(-2)));
  assert.equal(eigenLogLane(1), 0);
});
