/**
 * int8/uint8/int16/uint16 (carried as int32) and integer reductions against TensorFlow 2.21:
 * kernels/narrow-int.ts, the TensorScatter* kernels' wrap, the freezer's plan (narrow-int-policy.ts)
 * and the int32 kernels they rely on (int32-wrap.ts). Expected values are TF's (tf.tensor_scatter_nd_add etc. on the same inputs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NARROW_INT_KERNELS } from '../../../src/runtime/kernels/narrow-int.js';
import { TENSOR_KERNELS } from '../../../src/runtime/kernels/tensor-ops.js';
import { WRAP_INT_OP, narrowIntPlan } from '../../../src/runtime/narrow-int-policy.js';
import { initBackend } from '../../../src/runtime/backend.js';
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

for (const backend of ['cpu', 'wasm'] as const) {
  test(`integer Mean, Prod, Square and Pow give TF's values (exact sum, truncated mean; products modulo 2^32) on ${backend}`, async () => {
    // int8..int32 all reach these as int32 tensors: the backend kernels of int32-wrap.ts.
    await initBackend(backend);
    await tf.setBackend(backend);
    try {
      const a = i32([100, 100, 7, -128, -1, 1], [2, 3]);
      assert.deepEqual(values(tf.mean(a, 1)), [69, -42]);
      const all = tf.mean(a, [0, -1], true);
      assert.deepEqual(all.shape, [1, 1]);
      assert.deepEqual(values(all), [13]);
      assert.deepEqual(values(tf.mean(i32([2 ** 30, 2 ** 30, 2 ** 30]), 0)), [2 ** 30]);
      assert.deepEqual(values(tf.mean(i32([-7, -1, 1]), 0)), [-2]);
      // int8 Prod: TF's [112, -128] is the int32 product wrapped by _TfsWrapInt
      assert.deepEqual(values(tf.prod(a, 1)), [70000, 128]);
      assert.deepEqual(values(tf.prod(i32([46341, -46341, 196615]), 0)), [1236566353]);
      assert.deepEqual(values(tf.square(i32([46341, -46341, 196615]))), [-2147479015, -2147479015, 2752561]);
      assert.throws(() => tf.mean(a, 2), /axis/i);
      // tf.pow: int8 [3, -3, 7, 2] ** [5, 3, 0, 9] = [-13, -27, 1, 0] after the wrap; int32 3 ** 21, 46341 ** 2 wrap at 32 bits
      assert.deepEqual(values(tf.pow(i32([3, -3, 7, 2]), i32([5, 3, 0, 9]))), [243, -27, 1, 512]);
      assert.deepEqual(values(tf.pow(i32([3, 46341]), i32([21, 2]))), [1870418611, -2147479015]);
      assert.deepEqual(values(run(NARROW_INT_KERNELS, WRAP_INT_OP, [i32([243, -27, 1, 512])], { _tfs_wrap: s('DT_INT8') })[0]!), [-13, -27, 1, 0]);
      assert.throws(() => tf.pow(i32([2]), i32([-1])), /Integers to negative integer powers are not allowed/);
    } finally {
      await tf.setBackend('cpu');
    }
  });
}

test('the freezer wraps modular ops on narrow ints', () => {
  const typed = (t: string) => (a: string) => (a === 'T' ? t : '');
  assert.deepEqual(narrowIntPlan('AddV2', typed('DT_UINT8')), { wrap: 'DT_UINT8' });
  assert.deepEqual(narrowIntPlan('Sum', typed('DT_INT16')), { wrap: 'DT_INT16' });
  assert.deepEqual(narrowIntPlan('Pow', typed('DT_INT8')), { wrap: 'DT_INT8' });
  assert.equal(narrowIntPlan('AddV2', typed('DT_INT32')), undefined);
  assert.equal(narrowIntPlan('Maximum', typed('DT_INT8')), undefined);
});

test('a Cast to a narrow type is wrapped where it is computed, so the ops after it read TF\'s value', () => {
  // tf.cast([300.7, -1.5, -200., 1000.], tf.uint8) = [44, 255, 56, 232], and reduce_max of it is 255
  // (tfs answered 232: Max read the unwrapped 1000); tf.cast(tf.constant([200], tf.uint8), tf.int8) = [-56].
  const cast = (src: string, dst: string) => (a: string) => (a === 'SrcT' ? src : a === 'DstT' ? dst : '');
  assert.deepEqual(narrowIntPlan('Cast', cast('DT_FLOAT', 'DT_UINT8')), { wrap: 'DT_UINT8' });
  assert.deepEqual(narrowIntPlan('Cast', cast('DT_INT32', 'DT_UINT8')), { wrap: 'DT_UINT8' });
  assert.deepEqual(narrowIntPlan('Cast', cast('DT_UINT8', 'DT_INT8')), { wrap: 'DT_INT8' });
  assert.deepEqual(narrowIntPlan('Cast', cast('DT_INT32', 'DT_INT16')), { wrap: 'DT_INT16' });
  assert.equal(narrowIntPlan('Cast', cast('DT_UINT8', 'DT_UINT8')), undefined);
  assert.equal(narrowIntPlan('Cast', cast('DT_UINT8', 'DT_INT32')), undefined);
  assert.equal(narrowIntPlan('Cast', cast('DT_INT32', 'DT_FLOAT')), undefined);
  const wrapped = values(run(NARROW_INT_KERNELS, WRAP_INT_OP, [tf.cast(tf.tensor([300.7, -1.5, -200, 1000]), 'int32')], { _tfs_wrap: s('DT_UINT8') })[0]!);
  assert.deepEqual(wrapped, [44, 255, 56, 232]);
});
