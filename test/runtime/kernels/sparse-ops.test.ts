/**
 * SparseReduceMax and SparseTensorDenseMatMul (kernels/sparse-ops.ts) against TF 2.21's answers
 * (tf.raw_ops on CPU, recorded here as facts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { FAMILY_OPS } from '../../../src/runtime/kernels/index.js';
import { SPARSE_OPS_KERNELS } from '../../../src/runtime/kernels/sparse-ops.js';
import { run, values } from './helpers.js';

const F = { type: 'DT_FLOAT' } as const;
const I = { type: 'DT_INT32' } as const;
const idx = (rows: number[][]): tf.Tensor => tf.tensor2d(rows.flat(), [rows.length, rows[0]!.length], 'int32');

function reduceMax(rows: number[][], vals: tf.Tensor, shape: number[], axes: number[], keep = false, T: { type: string } = F): tf.Tensor {
  return run(SPARSE_OPS_KERNELS, 'SparseReduceMax', [idx(rows), vals, tf.tensor1d(shape, 'int32'), tf.tensor1d(axes, 'int32')], { T, keep_dims: { b: keep } })[0]!;
}

test('SparseReduceMax: missing values are ignored, an empty output position is 0, NaN wins only first or alone', async () => {
  await tf.setBackend('cpu');
  assert.ok(FAMILY_OPS.has('SparseReduceMax') && FAMILY_OPS.has('SparseTensorDenseMatMul'));
  // tf.sparse.reduce_max(SparseTensor([[0,0],[0,2],[2,1]], [-1,-2,-3], [3,3]), 1) = [-1, 0, -3]
  assert.deepEqual(values(reduceMax([[0, 0], [0, 2], [2, 1]], tf.tensor1d([-1, -2, -3]), [3, 3], [1])), [-1, 0, -3]);
  // [[0,0]: nan, [1,0]: -inf] over axis 1 of [3, 2]: [nan, -inf, 0]
  assert.deepEqual(values(reduceMax([[0, 0], [1, 0]], tf.tensor1d([NaN, -Infinity]), [3, 2], [1])), [NaN, -Infinity, 0]);
  // entries [0,1] = 1 and [0,0] = nan: TF reorders them (nan first), so the max is 1
  assert.deepEqual(values(reduceMax([[0, 1], [0, 0]], tf.tensor1d([1, NaN]), [1, 2], [1])), [1]);
  // int32, axes [0, 2], keep_dims: [[[3], [7]]]
  const k = reduceMax([[0, 0, 1], [0, 1, 0], [1, 1, 1]], tf.tensor1d([3, -4, 7], 'int32'), [2, 2, 2], [0, 2], true, I);
  assert.deepEqual([k.shape, k.dtype, values(k)], [[1, 2, 1], 'int32', [3, 7]]);
  assert.throws(() => reduceMax([[0, 0]], tf.tensor1d([1]), [1, 2], [2]), (e: unknown) =>
    e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === 'Invalid reduction dimension 2, for input with 2 dimensions.');
});

function sdmm(rows: number[][], vals: tf.Tensor, aShape: number[], b: tf.Tensor, attrs: { adjoint_a?: boolean; adjoint_b?: boolean } = {}, T: { type: string } = F): tf.Tensor {
  return run(SPARSE_OPS_KERNELS, 'SparseTensorDenseMatMul', [idx(rows), vals, tf.tensor1d(aShape, 'int32'), b], {
    T,
    adjoint_a: { b: attrs.adjoint_a ?? false },
    adjoint_b: { b: attrs.adjoint_b ?? false },
  })[0]!;
}

test('SparseTensorDenseMatMul: sums in the order the entries come, rounding each step; adjoints; int32', async () => {
  await tf.setBackend('cpu');
  const ones = tf.ones([3, 1]);
  // TF: [1e8, 1, -1e8] in the orders (0,1,2), (0,2,1), (2,1,0) of row 0 give 0, 1, 0
  const orders = [[0, 1, 2], [0, 2, 1], [2, 1, 0]].map((p) => {
    const vals = [1e8, 1, -1e8];
    return values(sdmm(p.map((c) => [0, c]), tf.tensor1d(p.map((c) => vals[c]!)), [2, 3], ones))[0];
  });
  assert.deepEqual(orders, [0, 1, 0]);
  // adjoint_a: a = [[0,2,0],[3,0,0]]^T times [[0,1],[2,3]] = [[6,9],[0,2],[0,0]]
  assert.deepEqual(values(sdmm([[0, 1], [1, 0]], tf.tensor1d([2, 3]), [2, 3], tf.tensor2d([0, 1, 2, 3], [2, 2]), { adjoint_a: true })), [6, 9, 0, 2, 0, 0]);
  // adjoint_b with b = arange(6).reshape(2, 3): [[2, 8], [-3, -7.5]]
  assert.deepEqual(values(sdmm([[0, 1], [1, 2]], tf.tensor1d([2, -1.5]), [2, 3], tf.tensor2d([0, 1, 2, 3, 4, 5], [2, 3]), { adjoint_b: true })), [2, 8, -3, -7.5]);
  // int32: [[4, 6], [-12, -15]]
  const i = sdmm([[0, 1], [1, 2]], tf.tensor1d([2, -3], 'int32'), [2, 3], tf.tensor2d([0, 1, 2, 3, 4, 5], [3, 2], 'int32'), {}, I);
  assert.deepEqual([i.dtype, values(i)], ['int32', [4, 6, -12, -15]]);
  const bad = (f: () => unknown, text: string): void =>
    assert.throws(f, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === text);
  bad(() => sdmm([[0, 5]], tf.tensor1d([2]), [2, 3], tf.ones([3, 2])), 'k (5) from index[0,1] out of bounds (>=3)');
  bad(() => sdmm([[0, 1]], tf.tensor1d([2]), [2, 3], tf.ones([2, 2])),
    'Cannot multiply A and B because inner dimension does not match: 3 vs. 2.  Did you forget a transpose?  Dimensions of A: [2, 3).  Dimensions of B: [2,2]');
  assert.throws(() => sdmm([[0, 1]], tf.tensor1d([2]), [2, 3], tf.ones([3, 2]), {}, { type: 'DT_HALF' }), (e: unknown) => e instanceof TfsError && e.code === Code.UNIMPLEMENTED);
});
