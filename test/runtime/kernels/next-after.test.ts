/** NextAfter (kernels/next-after.ts) against TF 2.21's tf.math.nextafter on float32 (recorded as facts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NEXT_AFTER_KERNELS, nextAfterF32 } from '../../../src/runtime/kernels/next-after.js';
import { run, values } from './helpers.js';

test('NextAfter: one float32 step toward x2, subnormals kept, NaN in gives NaN, broadcasting', async () => {
  await tf.setBackend('cpu');
  // TF: nextafter([0, 1, -0, inf, nan, 1], [1, 0, 0, 0, 1, nan]) = [1.4012985e-45, 0.99999994, 0, 3.4028235e+38, nan, nan]
  const out = run(NEXT_AFTER_KERNELS, 'NextAfter', [tf.tensor1d([0, 1, -0, Infinity, NaN, 1]), tf.tensor1d([1, 0, 0, 0, 1, NaN])], { T: { type: 'DT_FLOAT' } })[0]!;
  assert.deepEqual(values(out), [2 ** -149, Math.fround(0.99999994), 0, 3.4028234663852886e38, NaN, NaN]);
  assert.equal(nextAfterF32(-1, -2), -1.0000001192092896);
  assert.equal(nextAfterF32(-1, 0), -0.9999999403953552);
  assert.equal(nextAfterF32(-(2 ** -149), 1), -0);
  const b = run(NEXT_AFTER_KERNELS, 'NextAfter', [tf.tensor2d([1, 2], [2, 1]), tf.scalar(0)], { T: { type: 'DT_FLOAT' } })[0]!;
  assert.deepEqual([b.shape, values(b)], [[2, 1], [0.9999999403953552, 1.9999998807907104]]);
});
