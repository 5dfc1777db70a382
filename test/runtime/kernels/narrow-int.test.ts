/**
 * int8/uint8/int16/uint16 (carried as int32) and integer reductions against TensorFlow 2.21:
 * kernels/narrow-int.ts, the TensorScatter* kernels' wrap, and the freezer's plan
 * (narrow-int-policy.ts). Expected values are TF's (tf.tensor_scatter_nd_add etc. on the same inputs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NARROW_INT_KERNELS } from '../../../src/runtime/kernels/narrow-int.js';
import { TENSOR_KERNELS } from '../../../src/runtime/kernels/tensor-ops.js';
import { INT_MEAN_OP, INT_POW_OP, INT_PROD_OP, INT_SQUARE_OP, WRAP_INT_OP, intKernelOp, narrowIntPlan } from '../../../src/runtime/narrow-int-policy.js';
import { run, s, values } from './helpers.js';

await tf.setBackend('cpu');

const i32 = (v: number[], shape = [v.length]): tf.Tensor => tf.tensor(v, shape, 'int32');
const T = (t: string) => ({ T: { type: t } });

test('TensorScatterAdd/Sub wrap int8/uint8/int16/uint16 results as TF does', () => {
  const scatter = (op: string, t: string, x: number[], idx: number[], u: number[]) =>
    values(run(TENSOR_KERNELS, op, [i32(x), i32(idx, [idx.length, 1]), i32(u)], T(t))[0]!);
  assert.deepEqual(scatter('TensorScatterAdd', 'DT_INT8', [100, -100, 7, 127], [0, 1, 0], [100, -100, 27]), [-29, 56, 7, 127]);
  assert.deepEqual(scatter('TensorScatterSub', 'DT_INT8', [100, -100, 7, 127], [0, 1, 0], [100, -100, 27]), [-27, 0, 7, 127]);
  assert.deepEqual(scatter('TensorScatterAdd', 'DT_UINT8', [200, 5, 7], [0, 1], [100, 250]), [44, 255, 7]);
  assert.deepEqual(scatter('TensorScatterSub', 'DT_UINT8', [200, 5, 7], [0, 1], [100, 250]), [100, 11, 7]);
  assert.deepEqual(scatter('TensorScatterAdd', 'DT_INT16', [30000, -30000], [0, 1], [30000, -30000]), [-5536, 5536]);
  assert.deepEqual(scatter('TensorScatterAdd', 'DT_UINT16', [60000, 5], [0, 1], [60000, 1]), [54464, 6]);
  assert.deepEqual(scatter('TensorScatterSub', 'DT_UINT16', [60000, 5], [0, 1], [60000, 6]), [0, 65535]);
  assert.deepEqual(scatter('_TfsTensorScatterUpdate', 'DT_INT32', [1, 2], [1], [7]), [1, 7]);
  assert.throws(() => scatter('TensorScatterAdd', 'DT_INT64', [1], [0], [1]), /TensorScatter.*DT_INT64/);
});

test('_TfsWrapInt wraps an int32 stand-in to the narrow type (two\'s complement)', () => {
  const wrap = (t: string, v: number[], dtype: 'int32' | 'float32' = 'int32') =>
    values(run(NARROW_INT_KERNELS, WRAP_INT_OP, [tf.tensor(v, [v.length], dtype)], { _tfs_wrap: s(t) })[0]!);
  assert.deepEqual(wrap('DT_INT8', [200, 128, -129, 127, -128, 256]), [-56, -128, 127, 127, -128, 0]);
  assert.deepEqual(wrap('DT_UINT8', [428, -1, 255, 256]), [172, 255, 255, 0]);
  assert.deepEqual(wrap('DT_INT16', [64338, 32768, -32769]), [-1198, -32768, 32767]);
  assert.deepEqual(wrap('DT_UINT16', [84486, -1]), [18950, 65535]);
  // an integer float32 stand-in (wasm's UnsortedSegmentSum of int32) is exact; a fraction is refused
  assert.deepEqual(wrap('DT_INT8', [200, -3], 'float32'), [-56, -3]);
  assert.throws(() => wrap('DT_INT8', [0.5], 'float32'), /float32 stand-in/);
});

test('integer Mean, Prod and Square give TF\'s values (exact sum, truncated mean; products modulo 2^32)', () => {
  const a = i32([100, 100, 7, -128, -1, 1], [2, 3]);
  const axis1 = i32([1], [1]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_MEAN_OP, [a, axis1])[0]!), [69, -42]);
  const all = run(NARROW_INT_KERNELS, INT_MEAN_OP, [a, i32([0, -1])], { keep_dims: { b: true } })[0]!;
  assert.deepEqual(all.shape, [1, 1]);
  assert.deepEqual(values(all), [13]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_MEAN_OP, [i32([2 ** 30, 2 ** 30, 2 ** 30]), i32([0], [1])])[0]!), [2 ** 30]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_MEAN_OP, [i32([-7, -1, 1]), i32([0], [1])])[0]!), [-2]);
  // int8 Prod: TF's [112, -128] is the int32 product wrapped by _TfsWrapInt
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_PROD_OP, [a, axis1])[0]!), [70000, 128]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_PROD_OP, [i32([46341, -46341, 196615]), i32([0], [1])])[0]!), [1236566353]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_SQUARE_OP, [i32([46341, -46341, 196615])])[0]!), [-2147479015, -2147479015, 2752561]);
  assert.throws(() => run(NARROW_INT_KERNELS, INT_MEAN_OP, [a, i32([2], [1])]), /Invalid reduction dimension/);
  // tf.pow: int8 [3, -3, 7, 2] ** [5, 3, 0, 9] = [-13, -27, 1, 0] after the wrap; int32 3 ** 21, 46341 ** 2 wrap at 32 bits
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_POW_OP, [i32([3, -3, 7, 2]), i32([5, 3, 0, 9])])[0]!), [243, -27, 1, 512]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, INT_POW_OP, [i32([3, 46341]), i32([21, 2])])[0]!), [1870418611, -2147479015]);
  assert.deepEqual(values(run(NARROW_INT_KERNELS, WRAP_INT_OP, [i32([243, -27, 1, 512])], { _tfs_wrap: s('DT_INT8') })[0]!), [-13, -27, 1, 0]);
  assert.throws(() => run(NARROW_INT_KERNELS, INT_POW_OP, [i32([2]), i32([-1])]), /Integers to negative integer powers are not allowed/);
});

test('the freezer wraps modular ops on narrow ints and renames integer Mean/Prod/Square/Pow', () => {
  const typed = (t: string) => (a: string) => (a === 'T' ? t : '');
  assert.deepEqual(narrowIntPlan('AddV2', typed('DT_UINT8')), { wrap: 'DT_UINT8' });
  assert.deepEqual(narrowIntPlan('Sum', typed('DT_INT16')), { wrap: 'DT_INT16' });
  assert.deepEqual(narrowIntPlan('Pow', typed('DT_INT8')), { wrap: 'DT_INT8' });
  assert.equal(narrowIntPlan('AddV2', typed('DT_INT32')), undefined);
  assert.equal(narrowIntPlan('Maximum', typed('DT_INT8')), undefined);
  assert.equal(intKernelOp('Mean', 'DT_INT32'), INT_MEAN_OP);
  assert.equal(intKernelOp('Prod', 'DT_UINT8'), INT_PROD_OP);
  assert.equal(intKernelOp('Square', 'DT_INT16'), INT_SQUARE_OP);
  assert.equal(intKernelOp('Pow', 'DT_INT32'), INT_POW_OP);
  assert.equal(intKernelOp('Mean', 'DT_FLOAT'), 'Mean');
  assert.equal(intKernelOp('Mean', 'DT_INT64'), 'Mean');
});
