/**
 * PopulationCount, L2Loss, UnravelIndex, InTopKV2, SoftmaxCrossEntropyWithLogits,
 * SparseSoftmaxCrossEntropyWithLogits, MatrixSetDiagV3 (kernels/probe2.ts), each against
 * TF 2.21's values (the Python call in the comment; r = tf.raw_ops).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { PROBE2_KERNELS } from '../../../src/runtime/kernels/probe2.js';
import { run, s, values } from './helpers.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';

const K = PROBE2_KERNELS;
const i = (v: number[]): tf.Tensor => tf.tensor1d(v, 'int32');
const close = (got: number[], want: number[]): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, j) => assert.ok(Math.abs(g - want[j]!) <= 1e-6 + 1e-5 * Math.abs(want[j]!), `[${j}] ${g} vs ${want[j]}`));
};

test('PopulationCount, L2Loss, UnravelIndex as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // r.PopulationCount(x=tf.constant([0, -1, 7, -128, 255], tf.int32))
  assert.deepEqual(values(run(K, 'PopulationCount', [i([0, -1, 7, -128, 255])], { T: { type: 'DT_INT32' } })[0]!), [0, 32, 3, 25, 8]);
  // ... tf.int8 [-1, 3, -128]; tf.int64 [-1, 5, -2]
  assert.deepEqual(values(run(K, 'PopulationCount', [i([-1, 3, -128])], { T: { type: 'DT_INT8' } })[0]!), [8, 2, 1]);
  assert.deepEqual(values(run(K, 'PopulationCount', [i([-1, 5, -2])], { _tfs_type_T: s('DT_INT64') })[0]!), [64, 2, 63]);
  // r.L2Loss(t=[[1.5, -2.0], [0.1, 3.0]]) = 7.63
  close(values(run(K, 'L2Loss', [tf.tensor2d([[1.5, -2], [0.1, 3]])])[0]!), [7.63]);
  // r.UnravelIndex(indices=[0, 5, 11], dims=[3, 4]); r.UnravelIndex(indices=7, dims=[2, 2, 2])
  const u = run(K, 'UnravelIndex', [i([0, 5, 11]), i([3, 4])])[0]!;
  assert.deepEqual([u.shape, values(u)], [[2, 3], [0, 1, 2, 0, 1, 3]]);
  assert.deepEqual(values(run(K, 'UnravelIndex', [tf.scalar(7, 'int32'), i([2, 2, 2])])[0]!), [1, 1, 1]);
  assert.throws(() => run(K, 'UnravelIndex', [i([12]), i([3, 4])]), /index is out of bound as with dims/);
});

test('InTopKV2 as TF (ties, NaN rows, targets out of range)', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const p = tf.tensor2d([[0.1, 0.5, 0.5, 0.2], [1.0, NaN, 0.0, 0.0], [0.3, 0.2, 0.1, 0.9]]);
  const top = (t: number[], k: number): number[] => values(run(K, 'InTopKV2', [p, i(t), tf.scalar(k, 'int32')])[0]!);
  // r.InTopKV2(predictions=p, targets=[2, 0, 1], k=1) etc.
  assert.deepEqual(top([2, 0, 1], 1), [1, 0, 0]);
  assert.deepEqual(top([0, 0, 1], 2), [0, 0, 0]);
  assert.deepEqual(top([5, 0, 1], 3), [0, 0, 1]);
});

test('SoftmaxCrossEntropyWithLogits and the sparse form as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const lg = tf.tensor2d([[1, 2, -1], [0.5, 0.5, 3]]);
  // r.SoftmaxCrossEntropyWithLogits(features=lg, labels=[[0.2, 0.7, 0.1], [0, 0, 1]])
  const [l, b] = run(K, 'SoftmaxCrossEntropyWithLogits', [lg, tf.tensor2d([[0.2, 0.7, 0.1], [0, 0, 1]])]);
  close(values(l!), [0.8490121364593506, 0.15200841426849365]);
  close(values(b!), [0.059496477246284485, 0.005384564399719238, -0.06488097459077835, 0.07050945609807968, 0.07050945609807968, -0.14101892709732056]);
  // r.SparseSoftmaxCrossEntropyWithLogits(features=lg, labels=[1, 0])
  const [sl, sb] = run(K, 'SparseSoftmaxCrossEntropyWithLogits', [lg, i([1, 0])]);
  close(values(sl!), [0.349012166261673, 2.652008533477783]);
  close(values(sb!), [0.2594964802265167, -0.2946154475212097, 0.03511902689933777, -0.9294905662536621, 0.07050945609807968, 0.8589810729026794]);
  assert.throws(() => run(K, 'SparseSoftmaxCrossEntropyWithLogits', [lg, i([3, 0])]), /label value of 3 which is outside the valid range of \[0, 3\)/);
});

test('MatrixSetDiagV3 with one diagonal as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const x = tf.reshape(tf.range(0, 12, 1, 'float32'), [1, 3, 4]);
  // tf.linalg.set_diag(x, [[-1., -2., -3.]], k=1); ... [[-1., -2.]], k=-1
  assert.deepEqual(values(run(K, 'MatrixSetDiagV3', [x, tf.tensor2d([[-1, -2, -3]]), tf.scalar(1, 'int32')])[0]!), [0, -1, 2, 3, 4, 5, -2, 7, 8, 9, 10, -3]);
  assert.deepEqual(values(run(K, 'MatrixSetDiagV3', [x, tf.tensor2d([[-1, -2]]), tf.scalar(-1, 'int32')])[0]!), [0, 1, 2, 3, -1, 5, 6, 7, 8, -2, 10, 11]);
  assert.throws(() => run(K, 'MatrixSetDiagV3', [x, tf.tensor2d([[-1, -2]]), i([0, 1])]), /a band of several diagonals/);
});

test('FakeQuantWithMinMaxVars/Args/VarsPerChannel bit for bit as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const x = tf.tensor1d([-1.4, -0.3, 0, 0.77, 1.2, 2.5]);
  const f32 = (v: number[]): number[] => Array.from(Float32Array.from(v));
  // tf.quantization.fake_quant_with_min_max_vars(x, -1.0, 1.5)
  assert.deepEqual(values(run(K, '_TfsFakeQuantWithMinMaxVars', [x, tf.scalar(-1), tf.scalar(1.5)])[0]!),
    f32([-1.0, -0.30392158031463623, 0.0, 0.774509847164154, 1.1960784196853638, 1.5]));
  // ... (x, -2.0, 0.7, num_bits=4, narrow_range=True)
  assert.deepEqual(values(run(K, '_TfsFakeQuantWithMinMaxVars', [x, tf.scalar(-2), tf.scalar(0.7)], { num_bits: { i: 4 }, narrow_range: { b: true } })[0]!),
    f32([-1.350000023841858, -0.3857142925262451, 0.0, 0.7714285850524902, 0.7714285850524902, 0.7714285850524902]));
  // tf.quantization.fake_quant_with_min_max_args(x, -0.5, 2.0)
  assert.deepEqual(values(run(K, 'FakeQuantWithMinMaxArgs', [x], { min: { f: -0.5 }, max: { f: 2 } })[0]!),
    f32([-0.5, -0.30392158031463623, 0.0, 0.774509847164154, 1.1960784196853638, 2.0]));
  // tf.quantization.fake_quant_with_min_max_vars_per_channel(tf.reshape(x, [3, 2]), [-1.0, 0.0], [1.0, 2.0])
  assert.deepEqual(values(run(K, 'FakeQuantWithMinMaxVarsPerChannel', [tf.reshape(x, [3, 2]), tf.tensor1d([-1, 0]), tf.tensor1d([1, 2])])[0]!),
    f32([-0.9960784912109375, 0.0, 0.0, 0.7686275243759155, 1.003921627998352, 2.0]));
});

test('QuantizeAndDequantizeV2/V4 bit for bit as TF (range given or from the data, rounding modes)', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const x = tf.tensor1d([-1.4, -0.3, 0, 0.77, 1.2, 2.5]);
  const f32 = (v: number[]): number[] => Array.from(Float32Array.from(v));
  const qdq = (op: string, mn: number, mx: number, raw: Record<string, AttrJson>): number[] =>
    values(run(K, op, [x, tf.scalar(mn), tf.scalar(mx)], raw)[0]!);
  // tf.quantization.quantize_and_dequantize(x, -1.0, 1.0, range_given=True)
  assert.deepEqual(qdq('QuantizeAndDequantizeV2', -1, 1, { range_given: { b: true } }),
    f32([-1.0078740119934082, -0.29921260476112366, 0.0, 0.7716535329818726, 1.0, 1.0]));
  // ... (x, 0.0, 0.0, range_given=False, num_bits=3): the range comes from the data
  assert.deepEqual(qdq('QuantizeAndDequantizeV2', 0, 0, { num_bits: { i: 3 } }),
    f32([-1.6666666269302368, -0.0, 0.0, 0.8333333134651184, 0.8333333134651184, 2.5]));
  // tf.quantization.quantize_and_dequantize_v2(x, -2.0, 2.0, range_given=True, narrow_range=True, round_mode="HALF_UP", num_bits=4)
  assert.deepEqual(qdq('QuantizeAndDequantizeV4', -2, 2, { range_given: { b: true }, narrow_range: { b: true }, round_mode: s('HALF_UP'), num_bits: { i: 4 } }),
    f32([-1.4285714626312256, -0.2857142984867096, 0.0, 0.8571429252624512, 1.1428571939468384, 2.0]));
});
