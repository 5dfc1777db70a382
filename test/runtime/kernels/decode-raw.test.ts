/**
 * DecodeRaw / DecodePaddedRaw (src/runtime/kernels/decode-raw.ts) against TensorFlow 2.21.
 * Oracle: /work/venv-tf/bin/python, TF 2.21.0 CPU:
 *   tf.io.decode_raw(tf.constant([bytes(range(1, 17)), bytes(range(200, 216))]), dtype, little_endian=le)
 *   tf.raw_ops.DecodePaddedRaw(input_bytes=tf.constant(x), fixed_length=tf.constant(n), out_type=dtype)
 * and the error cases written below (values and texts copied from its output).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { DECODE_RAW_KERNELS } from '../../../src/runtime/kernels/decode-raw.js';
import { readWide } from '../../../src/runtime/wide-values.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';
import { run as runIn, s, values } from './helpers.js';

const raw = (items: number[][] | Uint8Array[], shape: number[] = [items.length]): tf.Tensor =>
  tf.tensor(items.map((b) => Uint8Array.from(b)), shape, 'string');
const attrs = (type: string, le = true): Record<string, AttrJson> => ({ _tfs_type_out_type: s(type), little_endian: { b: le } });
const decode = (x: tf.Tensor, type: string, le = true): tf.Tensor => runIn(DECODE_RAW_KERNELS, 'DecodeRaw', [x], attrs(type, le))[0]!;
const padded = (x: tf.Tensor, n: number | tf.Tensor, type: string, le = true): tf.Tensor =>
  runIn(DECODE_RAW_KERNELS, 'DecodePaddedRaw', [x, typeof n === 'number' ? tf.scalar(n, 'int32') : n], attrs(type, le))[0]!;
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const TWO = raw([range(1, 17), range(200, 216)]);

function refuses(fn: () => unknown, code: number, text: string | RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TfsError && e.code === code && (typeof text === 'string' ? e.message === text : text.test(e.message)));
}

test('DecodeRaw: integer types, both byte orders, as TF', () => {
  const int16 = decode(TWO, 'DT_INT16');
  assert.deepEqual(int16.shape, [2, 8]);
  assert.deepEqual(values(int16), [513, 1027, 1541, 2055, 2569, 3083, 3597, 4111, -13880, -13366, -12852, -12338, -11824, -11310, -10796, -10282]);
  assert.deepEqual(values(decode(TWO, 'DT_INT16', false)).slice(8), [-14135, -13621, -13107, -12593, -12079, -11565, -11051, -10537]);
  assert.deepEqual(values(decode(TWO, 'DT_UINT16')).slice(8), [51656, 52170, 52684, 53198, 53712, 54226, 54740, 55254]);
  assert.deepEqual(values(decode(TWO, 'DT_UINT16', false)).slice(0, 4), [258, 772, 1286, 1800]);
  assert.deepEqual(values(decode(TWO, 'DT_INT32')), [67305985, 134678021, 202050057, 269422093, -875902520, -808530484, -741158448, -673786412]);
  assert.deepEqual(values(decode(TWO, 'DT_INT32', false)), [16909060, 84281096, 151653132, 219025168, -926299445, -858927409, -791555373, -724183337]);
  assert.deepEqual(values(decode(TWO, 'DT_INT8')).slice(16, 20), [-56, -55, -54, -53]);
  assert.deepEqual(values(decode(TWO, 'DT_UINT8', false)).slice(14, 18), [15, 16, 200, 201]);
  const i64 = (t: tf.Tensor): bigint[] => [...(readWide(t, 'int64') as BigInt64Array)];
  assert.deepEqual(i64(decode(TWO, 'DT_INT64')), [578437695752307201n, 1157159078456920585n, -3472611983179986488n, -2893890600475373104n]);
  assert.deepEqual(i64(decode(TWO, 'DT_INT64', false)), [72623859790382856n, 651345242494996240n, -3978425819141910833n, -3399704436437297449n]);
  const big = raw([[255, 255, 255, 255, 255, 255, 255, 127], [1, 0, 0, 0, 0, 0, 0, 128]]);
  assert.deepEqual(i64(decode(big, 'DT_INT64')), [9223372036854775807n, -9223372036854775807n]);
});

test('DecodeRaw: float, double, half, bfloat16 bit-exact as TF', () => {
  assert.deepEqual(values(decode(TWO, 'DT_FLOAT')), [1.539989614439558e-36, 4.063216068939723e-34, 1.0711190335780294e-31, 2.8212601689791736e-29, -26579856.0, -6939187200.0, -1810926403584.0, -472427746295808.0]);
  assert.deepEqual(values(decode(TWO, 'DT_FLOAT', false)).slice(4), [-413270.34375, -107902584.0, -28162037760.0, -7347459588096.0]);
  const f64 = (t: tf.Tensor): number[] => [...(readWide(t, 'float64') as Float64Array)];
  assert.deepEqual(f64(decode(TWO, 'DT_DOUBLE')), [5.447603722011605e-270, 2.500364306227096e-231, -2.786600511251514e76, -1.405868428700574e115]);
  assert.deepEqual(f64(decode(TWO, 'DT_DOUBLE', false)), [8.20788039913184e-304, 4.0383818836028145e-265, -4.4936301661960365e42, -2.1133573006365173e81]);
  assert.deepEqual(values(decode(TWO, 'DT_HALF')).slice(0, 2), [3.057718276977539e-5, 6.121397018432617e-5]);
  assert.deepEqual(values(decode(TWO, 'DT_HALF')).slice(8, 12), [-11.5625, -15.578125, -23.1875, -31.21875]);
  assert.deepEqual(values(decode(TWO, 'DT_HALF', false)).slice(8, 12), [-9.5703125, -13.5859375, -19.203125, -27.234375]);
  assert.deepEqual(values(decode(TWO, 'DT_BFLOAT16')).slice(8, 12), [-1638400.0, -26476544.0, -427819008.0, -6912212992.0]);
  assert.deepEqual(values(decode(TWO, 'DT_BFLOAT16', false)).slice(8, 12), [-411648.0, -6651904.0, -107479040.0, -1736441856.0]);
  const special = decode(raw([[255, 255, 255, 255, 0, 0, 128, 127]]), 'DT_FLOAT');
  assert.deepEqual(values(special), [NaN, Infinity]);
});

test('DecodeRaw: shapes (scalar, 2-D, empty) and bool as TF', () => {
  const scalar = decode(raw([[97, 98, 99, 100, 101, 102, 103, 104]], []), 'DT_INT32');
  assert.deepEqual(scalar.shape, [2]);
  assert.deepEqual(values(scalar), [1684234849, 1751606885]);
  const twoD = decode(raw([[97, 98], [99, 100]], [1, 2]), 'DT_UINT8');
  assert.deepEqual(twoD.shape, [1, 2, 2]);
  assert.deepEqual(values(twoD), [97, 98, 99, 100]);
  assert.deepEqual(decode(raw([]), 'DT_INT32').shape, [0, 0]);
  assert.deepEqual(decode(raw([[], []]), 'DT_INT32').shape, [2, 0]);
  const b = decode(raw([[0, 1, 1, 0]]), 'DT_BOOL');
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(values(b), [0, 1, 1, 0]);
  // TF keeps the byte 2 inside its bool; tfs refuses rather than pick a value.
  refuses(() => decode(raw([[0, 1, 2, 255]]), 'DT_BOOL'), Code.UNIMPLEMENTED, /DecodeRaw: tfs cannot compute a bool from byte 2/);
  refuses(() => decode(TWO, 'DT_COMPLEX64'), Code.UNIMPLEMENTED, /DecodeRaw: tfs cannot compute out_type complex64/);
});

test('DecodeRaw refuses records TF refuses, with its texts', () => {
  const abc = (...xs: string[]): tf.Tensor => raw(xs.map((x) => [...Buffer.from(x)]));
  refuses(() => decode(abc('abcd', 'abcdefgh'), 'DT_INT32'), Code.INVALID_ARGUMENT, 'DecodeRaw requires input strings to all be the same size, but element 1 has size 4 != 8');
  refuses(() => decode(abc('abcde'), 'DT_INT32'), Code.INVALID_ARGUMENT, 'Input to DecodeRaw has length 5 that is not a multiple of 4, the size of int32');
  refuses(() => decode(abc('abcde', 'abcde'), 'DT_INT16'), Code.INVALID_ARGUMENT, 'Input to DecodeRaw has length 5 that is not a multiple of 2, the size of int16');
});

test('DecodePaddedRaw: zero-padded or cut records as TF', () => {
  const x = raw([[1, 2, 3], [4, 5, 6, 7, 8]]);
  const le = padded(x, 6, 'DT_INT16');
  assert.deepEqual(le.shape, [2, 3]);
  assert.deepEqual(values(le), [513, 3, 0, 1284, 1798, 8]);
  assert.deepEqual(values(padded(x, 6, 'DT_INT16', false)), [258, 768, 0, 1029, 1543, 2048]);
  assert.deepEqual(values(padded(x, 4, 'DT_UINT8')), [1, 2, 3, 0, 4, 5, 6, 7]);
  assert.deepEqual(values(padded(raw([[1, 2, 3, 4, 5], [97]]), 4, 'DT_INT16')), [513, 1027, 97, 0]);
  const scalar = padded(raw([[1, 2, 3]], []), 4, 'DT_INT16');
  assert.deepEqual(scalar.shape, [2]);
  assert.deepEqual(values(scalar), [513, 3]);
  const twoD = padded(raw([[1, 2, 3], [97, 98]], [2, 1]), 4, 'DT_INT16');
  assert.deepEqual(twoD.shape, [2, 1, 2]);
  assert.deepEqual(values(twoD), [513, 3, 25185, 0]);
  assert.deepEqual(values(padded(raw([[0, 0, 128, 63, 0, 0, 0, 64, 255]]), 8, 'DT_FLOAT')), [1, 2]);
  const f64 = padded(raw([[0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f]]), 16, 'DT_DOUBLE');
  assert.deepEqual([...(readWide(f64, 'float64') as Float64Array)], [0.1, 0]);
  assert.deepEqual([...(readWide(padded(raw([[1]]), 8, 'DT_INT64'), 'int64') as BigInt64Array)], [1n]);
  assert.deepEqual(padded(raw([]), 4, 'DT_INT16').shape, [0, 2]);
});

test('DecodePaddedRaw refuses what TF refuses, with its texts', () => {
  const x = raw([[1, 2, 3]]);
  refuses(() => padded(x, 5, 'DT_INT16'), Code.INVALID_ARGUMENT, 'fixed_length (5) must be a multiple of the size of out_type (2)');
  refuses(() => padded(x, -3, 'DT_INT16'), Code.INVALID_ARGUMENT, 'fixed_length (-3) must be a multiple of the size of out_type (2)');
  refuses(() => padded(x, -2, 'DT_INT16'), Code.INVALID_ARGUMENT, 'fixed_length (-2) must be greater than zero.');
  refuses(() => padded(x, 0, 'DT_INT16'), Code.INVALID_ARGUMENT, 'fixed_length (0) must be greater than zero.');
  refuses(() => padded(x, tf.tensor1d([4], 'int32'), 'DT_UINT8'), Code.INVALID_ARGUMENT, 'k must be scalar, got shape [1]');
  // TF 2.21 registers no CPU kernel for float16 (NOT_FOUND); tfs refuses too.
  refuses(() => padded(x, 2, 'DT_HALF'), Code.UNIMPLEMENTED, /DecodePaddedRaw: tfs cannot compute out_type half/);
});
