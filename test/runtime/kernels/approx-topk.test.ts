/**
 * ApproxTopK (kernels/approx-topk.ts): TF 2.21's CPU kernel is the exact, sorted top k with ties
 * to the lower index. Expected values from TF 2.21 (tf.math.approx_max_k inside a tf.function):
 *   approx_max_k([[1,3,3,2,3,0,3,3]], 5)      -> values [3,3,3,3,3], indices [1,2,4,6,7]
 *   approx_max_k(zeros([1,6]), 3)             -> indices [0,1,2]
 *   approx_max_k([[0.5,-1,2],[7,1,1]], 2)     -> values [[2,0.5],[7,1]], indices [[2,0],[0,1]]
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { APPROX_TOPK_KERNELS } from '../../../src/runtime/kernels/approx-topk.js';
import { FAMILY_OPS } from '../../../src/runtime/kernels/index.js';
import { BUILTIN_OUTPUT_LAYOUTS } from '../../../src/runtime/op-registry.js';
import { run, values } from './helpers.js';

const approx = (x: tf.Tensor, k: number, extra: Record<string, { i?: number; b?: boolean }> = {}): tf.Tensor[] =>
  run(APPROX_TOPK_KERNELS, 'ApproxTopK', [x], { k: { i: k }, ...extra });

test('ApproxTopK answers TF\'s CPU result: exact sorted top k, ties to the lower index', async () => {
  await tf.setBackend('cpu');
  const [v, i] = approx(tf.tensor2d([[1, 3, 3, 2, 3, 0, 3, 3]]), 5);
  assert.deepEqual(values(v!), [3, 3, 3, 3, 3]);
  assert.deepEqual(values(i!), [1, 2, 4, 6, 7]);
  assert.equal(i!.dtype, 'int32');
  assert.deepEqual(values(approx(tf.zeros([1, 6]), 3)[1]!), [0, 1, 2]);
  const [v2, i2] = approx(tf.tensor2d([[0.5, -1, 2], [7, 1, 1]]), 2, { reduction_dimension: { i: 1 } });
  assert.deepEqual(values(v2!), [2, 0.5, 7, 1]);
  assert.deepEqual(values(i2!), [2, 0, 0, 1]);
  assert.ok(FAMILY_OPS.has('ApproxTopK'));
  assert.deepEqual(BUILTIN_OUTPUT_LAYOUTS.get('ApproxTopK')?.map((a) => a.name), ['values', 'indices']);
});

test('ApproxTopK refuses what TF\'s CPU kernel does not compute, NaN orders and bad k', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor2d([[1, 2, 3]]);
  assert.throws(() => approx(x, 2, { is_max_k: { b: false } }), /is_max_k=false/);
  assert.throws(() => approx(x, 2, { reduction_dimension: { i: 0 } }), /reduction_dimension 0/);
  assert.throws(() => approx(x, 2, { aggregate_to_topk: { b: false } }), /aggregate_to_topk/);
  assert.throws(() => approx(x, 4), /k must be in \[0, 3\]/);
  assert.throws(() => approx(tf.tensor2d([[NaN, 1, 2]]), 2), /NaN/);
});
