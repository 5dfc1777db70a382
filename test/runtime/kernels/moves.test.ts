/**
 * Roll, ReverseSequence, DynamicPartition, UniqueWithCounts, HistogramFixedWidth
 * (kernels/moves.ts), TensorScatterSub/Max/Min and SegmentMin, each against TF 2.21's values
 * (the Python call in the comment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { MOVE_KERNELS } from '../../../src/runtime/kernels/moves.js';
import { SEGMENT_KERNELS } from '../../../src/runtime/kernels/segments.js';
import { TENSOR_KERNELS } from '../../../src/runtime/kernels/tensor-ops.js';
import { run, str, texts, values } from './helpers.js';

const x234 = (): tf.Tensor => tf.reshape(tf.range(0, 24, 1, 'float32'), [2, 3, 4]);
const i = (v: number[]): tf.Tensor => tf.tensor1d(v, 'int32');

test('Roll and ReverseSequence as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.roll(x, [1, -2], [1, 2])
  assert.deepEqual(values(run(MOVE_KERNELS, 'Roll', [x234(), i([1, -2]), i([1, 2])])[0]!),
    [10, 11, 8, 9, 2, 3, 0, 1, 6, 7, 4, 5, 22, 23, 20, 21, 14, 15, 12, 13, 18, 19, 16, 17]);
  // tf.roll(tf.range(5), 7, 0)
  assert.deepEqual(values(run(MOVE_KERNELS, 'Roll', [i([0, 1, 2, 3, 4]), tf.scalar(7, 'int32'), tf.scalar(0, 'int32')])[0]!), [3, 4, 0, 1, 2]);
  // tf.reverse_sequence(x, [3, 1], seq_axis=2, batch_axis=0)
  assert.deepEqual(values(run(MOVE_KERNELS, 'ReverseSequence', [x234(), i([3, 1])], { seq_dim: { i: 2 }, batch_dim: { i: 0 } })[0]!),
    [2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
  // tf.reverse_sequence(x, [2, 3, 1, 0], seq_axis=1, batch_axis=2)
  assert.deepEqual(values(run(MOVE_KERNELS, 'ReverseSequence', [x234(), i([2, 3, 1, 0])], { seq_dim: { i: 1 }, batch_dim: { i: 2 } })[0]!),
    [4, 9, 2, 3, 0, 5, 6, 7, 8, 1, 10, 11, 16, 21, 14, 15, 12, 17, 18, 19, 20, 13, 22, 23]);
});

test('DynamicPartition, UniqueWithCounts, HistogramFixedWidth as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.dynamic_partition([[1, 2], [3, 4], [5, 6]], [1, 0, 1], 3)
  const parts = run(MOVE_KERNELS, 'DynamicPartition', [tf.tensor2d([[1, 2], [3, 4], [5, 6]]), i([1, 0, 1])], { num_partitions: { i: 3 } });
  assert.deepEqual(parts.map((t) => [t.shape, values(t)]), [[[1, 2], [3, 4]], [[2, 2], [1, 2, 5, 6]], [[0, 2], []]]);
  assert.throws(() => run(MOVE_KERNELS, 'DynamicPartition', [tf.tensor1d([1]), i([3])], { num_partitions: { i: 2 } }), /partitions\[0\] = 3 is not in \[0, 2\)/);
  // tf.unique_with_counts([3, 1, 3, 2, 1, 3])
  assert.deepEqual(run(MOVE_KERNELS, 'UniqueWithCounts', [i([3, 1, 3, 2, 1, 3])]).map(values), [[3, 1, 2], [0, 1, 0, 2, 1, 0], [3, 2, 1]]);
  const [y] = run(MOVE_KERNELS, 'UniqueWithCounts', [str(['b', 'a', 'b'])]);
  assert.deepEqual(texts(y!), ['b', 'a']);
  // tf.histogram_fixed_width([-3, -2, -0.4, 0, 0.39999998, 0.4, 1.9999, 2, 5], [-2, 2], nbins=5)
  const h = (v: number[], r: number[], n: number): number[] => values(run(MOVE_KERNELS, 'HistogramFixedWidth', [tf.tensor1d(v), tf.tensor1d(r), tf.scalar(n, 'int32')])[0]!);
  assert.deepEqual(h([-3, -2, -0.4, 0, 0.39999998, 0.4, 1.9999, 2, 5], [-2, 2], 5), [2, 1, 2, 1, 3]);
  // tf.histogram_fixed_width([0.1, 0.2, 0.3, 0.7], [0.0, 1.0], nbins=10)
  assert.deepEqual(h([0.1, 0.2, 0.3, 0.7], [0, 1], 10), [0, 1, 1, 1, 0, 0, 1, 0, 0, 0]);
});

test('TensorScatterSub/Max/Min (duplicate indices) and SegmentMin as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const idx = tf.tensor2d([[1], [3], [1]], [3, 1], 'int32');
  const upd = tf.tensor1d([2, -1, 5]);
  // tf.tensor_scatter_nd_{sub,max,min}(tf.ones([4]), [[1], [3], [1]], [2., -1., 5.])
  assert.deepEqual(values(run(TENSOR_KERNELS, 'TensorScatterSub', [tf.ones([4]), idx, upd])[0]!), [1, -6, 1, 2]);
  assert.deepEqual(values(run(TENSOR_KERNELS, 'TensorScatterMax', [tf.ones([4]), idx, upd])[0]!), [1, 5, 1, 1]);
  assert.deepEqual(values(run(TENSOR_KERNELS, 'TensorScatterMin', [tf.ones([4]), idx, upd])[0]!), [1, 1, 1, -1]);
  // tf.math.segment_min([[1, 5], [3, 2], [0, 9]], [0, 0, 2]): the empty segment 1 gives 0
  assert.deepEqual(values(run(SEGMENT_KERNELS, 'SegmentMin', [tf.tensor2d([[1, 5], [3, 2], [0, 9]]), i([0, 0, 2])])[0]!), [1, 2, 0, 0, 0, 9]);
});

test('Bitcast between types of one width as TF; other widths and NaN bits fail the call', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const cast = (x: tf.Tensor, from: string, to: string): number[] =>
    values(run(MOVE_KERNELS, 'Bitcast', [x], { T: { type: from }, type: { type: to } })[0]!);
  // tf.bitcast(tf.constant([200, 5, 128], tf.uint8), tf.int8)
  assert.deepEqual(cast(tf.tensor1d([200, 5, 128], 'int32'), 'DT_UINT8', 'DT_INT8'), [-56, 5, -128]);
  // tf.bitcast(tf.constant([1.0, -2.5], tf.float32), tf.int32)
  assert.deepEqual(cast(tf.tensor1d([1, -2.5]), 'DT_FLOAT', 'DT_INT32'), [1065353216, -1071644672]);
  // tf.bitcast(tf.constant([1.0, -0.5], tf.float16), tf.int16); tf.bitcast(tf.constant([16256], tf.uint16), tf.bfloat16)
  assert.deepEqual(cast(tf.tensor1d([1, -0.5]), 'DT_HALF', 'DT_INT16'), [15360, -18432]);
  assert.deepEqual(cast(tf.tensor1d([16256], 'int32'), 'DT_UINT16', 'DT_BFLOAT16'), [1]);
  assert.throws(() => cast(tf.tensor1d([1]), 'DT_FLOAT', 'DT_UINT8'), /Bitcast: tfs cannot compute a bitcast from DT_FLOAT to DT_UINT8/);
  assert.throws(() => cast(tf.tensor1d([NaN]), 'DT_FLOAT', 'DT_INT32'), /the bits of a NaN/);
});
