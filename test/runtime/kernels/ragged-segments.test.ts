/**
 * Ragged, segment, sparse, tensor and bitwise kernels against TensorFlow 2.21's answers for
 * the same inputs (tf.ragged / tf.math / tf.sparse / tf.linalg / tf.bitwise).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { RAGGED_KERNELS } from '../../../src/runtime/kernels/ragged.js';
import { SEGMENT_KERNELS } from '../../../src/runtime/kernels/segments.js';
import { TENSOR_KERNELS } from '../../../src/runtime/kernels/tensor-ops.js';
import { run, s, values } from './helpers.js';

await tf.setBackend('cpu');
const i32 = (v: number[], shape = [v.length]): tf.Tensor => tf.tensor(v, shape, 'int32');
const f32 = (v: number[], shape = [v.length]): tf.Tensor => tf.tensor(v, shape, 'float32');
const close = (a: number[], b: number[]): void => a.forEach((x, i) => assert.ok(x === b[i] || Math.abs(x - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!)), `${a} vs ${b}`));

test('RaggedTensorToTensor (row splits, shape with a smaller ragged dim, default), RaggedGather, RaggedRange, RaggedBincount', () => {
  const rtt = run(RAGGED_KERNELS, 'RaggedTensorToTensor', [i32([3, 1, 2]), i32([1, 2, 3, 4, 5, 6], [3, 2]), i32([9], []), i32([0, 2, 2, 3])], {
    row_partition_types: { list: { s: [s('ROW_SPLITS').s!] } },
  })[0]!;
  assert.deepEqual([rtt.shape, values(rtt)], [[3, 1, 2], [1, 2, 9, 9, 5, 6]]);
  const [splits, dense] = run(RAGGED_KERNELS, 'RaggedGather', [i32([0, 2, 2, 5, 6]), f32([1, 2, 3, 4, 5, 6]), i32([2, 0, 2])], { PARAMS_RAGGED_RANK: { i: 1 } });
  assert.deepEqual([values(splits!), values(dense!)], [[0, 3, 5, 8], [3, 4, 5, 1, 2, 3, 4, 5]]);
  const [rs, rv] = run(RAGGED_KERNELS, 'RaggedRange', [f32([0, 5, 1.5]), f32([3, 0, 2.6]), f32([1, -2, 0.5])]);
  assert.deepEqual([values(rs!), values(rv!)], [[0, 3, 6, 9], [0, 1, 2, 5, 3, 1, 1.5, 2, 2.5]]);
  const bc = run(RAGGED_KERNELS, 'RaggedBincount', [i32([0, 3, 5]), i32([1, 1, 4, 0, 2]), i32([3], []), f32([0.5, 0.25, 1, 2, 3])], { T: { type: 'DT_FLOAT' } })[0]!;
  assert.deepEqual(values(bc), [0, 0.75, 0, 2, 0, 3]);
  assert.throws(() => run(RAGGED_KERNELS, 'RaggedBincount', [i32([0, 1]), i32([-1]), i32([3], []), f32([])]), /Input must be non-negative/);
});

test('segment reductions, SparseSegmentSqrtN, SparseReduceSum, SparseReorder', () => {
  const x = f32([1, 2, 3, 0, 5, 6], [3, 2]);
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SegmentMax', [x, i32([0, 0, 2])])[0]!), [3, 2, 0, 0, 5, 6]);
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SegmentMean', [x, i32([0, 0, 2])])[0]!), [2, 1, 0, 0, 5, 6]);
  const umin = run(SEGMENT_KERNELS, 'UnsortedSegmentMin', [i32([1, 5, 3, -2]), i32([1, 1, 3, -1]), i32([4], [])], { T: { type: 'DT_INT32' } })[0]!;
  assert.deepEqual(values(umin), [2147483647, 1, 2147483647, 3]);
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'UnsortedSegmentProd', [f32([1.5, 2, 3, 4]), i32([0, 0, 2, 2]), i32([3], [])])[0]!), [3, 1, 12]);
  close(values(run(SEGMENT_KERNELS, 'SparseSegmentSqrtN', [f32([1, 2, 3, 4, 5, 6], [3, 2]), i32([0, 1, 2]), i32([0, 0, 1])])[0]!), [2.8284270763397217, 4.242640495300293, 5, 6]);
  const srs = run(SEGMENT_KERNELS, 'SparseReduceSum', [i32([0, 1, 1, 0, 1, 2], [3, 2]), f32([1, 2, 3]), i32([2, 3]), i32([1])])[0]!;
  assert.deepEqual(values(srs), [1, 5]);
  const [ri, rv] = run(SEGMENT_KERNELS, 'SparseReorder', [i32([1, 0, 0, 1], [2, 2]), f32([7, 8]), i32([2, 2])]);
  assert.deepEqual([values(ri!), values(rv!)], [[0, 1, 1, 0], [8, 7]]);
});

test('MatrixDiagV3, MatrixDiagPartV3, CumulativeLogsumexp, TensorScatter*', () => {
  const diag = run(TENSOR_KERNELS, 'MatrixDiagV3', [f32([1, 2, 3, 4], [2, 2]), i32([-1, 0]), i32([3], []), i32([2], []), f32([0], [])])[0]!;
  assert.deepEqual([diag.shape, values(diag)], [[3, 2], [1, 0, 3, 2, 0, 4]]);
  const m = f32(Array.from({ length: 12 }, (_, i) => i + 1), [3, 4]);
  const part = run(TENSOR_KERNELS, 'MatrixDiagPartV3', [m, i32([-1, 1]), f32([0], [])])[0]!;
  assert.deepEqual([part.shape, values(part)], [[3, 3], [2, 7, 12, 1, 6, 11, 5, 10, 0]]);
  const lse = run(TENSOR_KERNELS, 'CumulativeLogsumexp', [f32([0, 1, 2], [1, 3]), i32([1], [])], { exclusive: { b: true }, reverse: { b: true } })[0]!;
  close(values(lse), [2.3132617473602295, 2, -Infinity]);
  const t = f32([1, 2, 3, 4], [2, 2]);
  const add = run(TENSOR_KERNELS, 'TensorScatterAdd', [t, i32([0, 1, 0, 1], [2, 2]), f32([1, 1])])[0]!;
  const upd = run(TENSOR_KERNELS, '_TfsTensorScatterUpdate', [t, i32([1, 1], [1, 2]), f32([-1])])[0]!;
  assert.deepEqual([values(add), values(upd), values(t)], [[1, 4, 3, 4], [1, 2, 3, -1], [1, 2, 3, 4]]);
});

test('bitwise ops wrap at the real type width and clamp shifts as TF', () => {
  const int8 = { T: { type: 'DT_INT8' } };
  assert.deepEqual(values(run(TENSOR_KERNELS, 'LeftShift', [i32([100, -3]), i32([3, 9])], int8)[0]!), [32, -128]);
  assert.deepEqual(values(run(TENSOR_KERNELS, 'RightShift', [i32([100, -3]), i32([3, 9])], int8)[0]!), [12, -1]);
  assert.deepEqual(values(run(TENSOR_KERNELS, 'LeftShift', [i32([1, -3]), i32([33, -1])], { T: { type: 'DT_INT32' } })[0]!), [-2147483648, -3]);
  const int16 = { T: { type: 'DT_INT32' }, _tfs_type_T: s('DT_INT16') };
  assert.deepEqual(values(run(TENSOR_KERNELS, 'BitwiseXor', [i32([1, -32768]), i32([-1], [1])], int16)[0]!), [-2, 32767]);
  const uint16 = { T: { type: 'DT_INT32' }, _tfs_type_T: s('DT_UINT16') };
  assert.deepEqual(values(run(TENSOR_KERNELS, 'Invert', [i32([0, 65535, 1])], uint16)[0]!), [65535, 0, 65534]);
  assert.throws(() => run(TENSOR_KERNELS, 'Invert', [i32([1])], { T: { type: 'DT_INT64' } }), /cannot compute type DT_INT64 exactly/);
});

test('SparseCross hashed as crossed_column uses it (string, int64 and dense string columns)', async () => {
  const { SPARSE_CROSS_KERNELS } = await import('../../../src/runtime/kernels/sparse-cross.js');
  const { str } = await import('./helpers.js');
  const [idx, vals, shape] = run(
    SPARSE_CROSS_KERNELS,
    'SparseCross',
    [i32([0, 0, 0, 1, 1, 0], [3, 2]), i32([0, 0, 1, 0, 1, 1], [3, 2]), str(['x', 'y', 'z']), i32([3, -7, 5]), i32([2, 2]), i32([2, 2]), str(['p', 'q'], [2, 1])],
    { N: { i: 2 }, hashed_output: { b: true }, num_buckets: { i: 1000 }, hash_key: { i: 0xdecafcaffe } },
  );
  assert.deepEqual([values(idx!), values(vals!), values(shape!)], [[0, 0, 0, 1, 1, 0, 1, 1], [27, 435, 660, 638], [2, 2]]);
});

test('BitwiseAnd (rerouted from tfjs) and BitwiseOr', () => {
  const t = { T: { type: 'DT_INT32' } };
  assert.deepEqual(values(run(TENSOR_KERNELS, '_TfsBitwiseAnd', [i32([0x1234, -1]), i32([0x0f0f], [])], t)[0]!), [0x0204, 0x0f0f]);
  assert.deepEqual(values(run(TENSOR_KERNELS, 'BitwiseOr', [i32([0x1200, -16]), i32([0x0034, 3])], t)[0]!), [0x1234, -13]);
});

test('SegmentProd (empty segment 1, int32 wrapping), SparseSegmentSum/MeanWithNumSegments', () => {
  // tf.math.segment_prod([[1.5, 2], [3, -1], [2, 4], [0.5, 0.5]], [0, 0, 2, 2])
  const x = f32([1.5, 2, 3, -1, 2, 4, 0.5, 0.5], [4, 2]);
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SegmentProd', [x, i32([0, 0, 2, 2])])[0]!), [4.5, -2, 1, 1, 1, 2]);
  // tf.math.segment_prod([65536, 65537, 7, -3], [0, 0, 1, 1]) = [65536, -21]
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SegmentProd', [i32([65536, 65537, 7, -3]), i32([0, 0, 1, 1])], { T: { type: 'DT_INT32' } })[0]!), [65536, -21]);
  // tf.sparse.segment_sum / segment_mean([[1, 2], [3, 4], [5, 6]], [2, 0, 2], [0, 0, 3], num_segments=5)
  const d = (): tf.Tensor => f32([1, 2, 3, 4, 5, 6], [3, 2]);
  const args = (): tf.Tensor[] => [d(), i32([2, 0, 2]), i32([0, 0, 3]), i32([5], [])];
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SparseSegmentSumWithNumSegments', args())[0]!), [6, 8, 0, 0, 0, 0, 5, 6, 0, 0]);
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SparseSegmentMeanWithNumSegments', args())[0]!), [3, 4, 0, 0, 0, 0, 5, 6, 0, 0]);
});
