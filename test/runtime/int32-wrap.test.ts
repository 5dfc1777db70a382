/**
 * int32 Multiply, Square, Pow and Prod wrap modulo 2^32 as in TF on both backends
 * (src/runtime/int32-wrap.ts). Values from TF 2.21:
 * a = tf.constant([2147483647, -1999999999, 123456789]); a * a, tf.square(a), tf.pow(a, 2)
 * tf.reduce_prod([[1048577, 1048579, 1048583], [1048589, 3, -5]]) (all, axis 1, axis 0)
 * tf.math.cumprod(q, 1), tf.math.cumprod(q, 1, exclusive=True, reverse=True), q = [[1048577, 1048579, -1048583], [7, -3, 5]]
 * tf.reduce_mean([2147483647, 2147483647]) = 2147483647; tf.reduce_mean([[1, 2], [-1, -2]], 1) = [1, -1]
 * tf.cast([2147483520., -2147483648., -2.7, 2.7], tf.int32); NaN, Inf, 3e9 have no int32 value (x86 TF: -2^31)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

const vals = (t: tf.Tensor): number[] => Array.from(t.dataSync());

for (const backend of ['cpu', 'wasm'] as const) {
  test(`int32 products wrap at 32 bits as TF (${backend})`, async () => {
    await initBackend(backend);
    await tf.setBackend(backend);
    const a = tf.tensor1d([2147483647, -1999999999, 123456789], 'int32');
    const want = [1, -1356539903, -1757895751];
    assert.deepEqual(vals(tf.mul(a, a)), want);
    assert.deepEqual(vals(tf.square(a)), want);
    assert.deepEqual(vals(tf.pow(a, tf.scalar(2, 'int32'))), want);
    // broadcasting: [[x], [y]] * [u, v]
    assert.deepEqual(vals(tf.mul(tf.tensor2d([[65537], [3]], [2, 1], 'int32'), tf.tensor1d([65537, -7], 'int32'))), [131073, -458759, 196611, -21]);
    const p = tf.tensor2d([1048577, 1048579, 1048583, 1048589, 3, -5], [2, 3], 'int32');
    assert.deepEqual(vals(tf.prod(p)), [1920987137]);
    assert.deepEqual(vals(tf.prod(p, 1)), [32505877, -15728835]);
    const k = tf.prod(p, 0, true);
    assert.deepEqual([k.shape, vals(k)], [[1, 3], [14680077, 3145737, -5242915]]);
    const c = tf.cast(tf.tensor1d([2147483520, -2147483648, -2.7, 2.7]), 'int32');
    assert.deepEqual(vals(c), [2147483520, -2147483648, -2, 2]);
    for (const bad of [3e9, -2.5e10, NaN, Infinity]) {
      assert.throws(() => tf.cast(tf.tensor1d([1, bad]), 'int32'), /has no int32 value \(NaN or out of range\)/);
    }
    const q = tf.tensor2d([[1048577, 1048579, -1048583], [7, -3, 5]], [2, 3], 'int32');
    assert.deepEqual(vals(tf.cumprod(q, 1)), [1048577, 4194307, -32505877, 7, -21, -105]);
    assert.deepEqual(vals(tf.cumprod(q, 1, true, true)), [-10485781, -1048583, 1, -15, 5, 1]);
    // int32 matmul wraps every product and sum as TF's CPU kernel; TF 2.21's values:
    // a = [[2147483647, -2147483648, 7], [16777217, 3, -5]], b = [[2147483647, 65536], [3, -2147483648], [123456789, 987654321]]
    // tf.matmul(a, b), tf.matmul(a, a, transpose_b=True)
    const ma = tf.tensor2d([[2147483647, -2147483648, 7], [16777217, 3, -5]], [2, 3], 'int32');
    const mb = tf.tensor2d([[2147483647, 65536], [3, -2147483648], [123456789, 987654321]], [3, 2], 'int32');
    assert.deepEqual(vals(tf.matMul(ma, mb)), [-1283286124, -1676419881, 1513422495, 1504244875]);
    assert.deepEqual(vals(tf.matMul(ma, ma, false, true)), [50, -16777252, -16777252, 33554467]);
    // batch broadcast: x = reshape(range(24) * 99999989, [2, 3, 4]), y = reshape(range(8) * 2000000011, [1, 4, 2]); tf.linalg.matmul(x, y)
    const bx = tf.reshape(tf.mul(tf.range(0, 24, 1, 'int32'), tf.scalar(99999989, 'int32')), [2, 3, 4]);
    const by = tf.reshape(tf.mul(tf.range(0, 8, 1, 'int32'), tf.scalar(2000000011, 'int32')), [1, 4, 2]);
    assert.deepEqual(vals(tf.matMul(bx, by)), [898406084, 1704488430, -1242869740, -1150546002, 910821732, 289386862,
      -1230454092, 1729319726, 923237380, -1125714706, -1218038444, 314218158]);
    assert.throws(() => tf.matMul(ma, ma), /Matrix size-incompatible|must match/);
    tf.dispose([ma, mb, bx, by]);
    assert.deepEqual(vals(tf.mean(tf.tensor1d([2147483647, 2147483647], 'int32'))), [2147483647]);
    const m = tf.mean(tf.tensor2d([[1, 2], [-1, -2]], [2, 2], 'int32'), 1);
    assert.deepEqual([m.dtype, vals(m)], ['int32', [1, -1]]);
    // float32 is untouched
    assert.deepEqual(vals(tf.mul(tf.tensor1d([1.5]), tf.tensor1d([2]))), [3]);
    tf.dispose([a, p, k, c, q]);
  });
}
