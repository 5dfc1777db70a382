/**
 * The exact int64/uint32/uint64/float64 kernels (src/runtime/kernels/wide.ts, wide-cast.ts)
 * against TensorFlow 2.21's answers, computed with tf.math / tf.cast on the same inputs
 * (the expected values are written here; the tests need no Python).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { WIDE_MATH_KERNELS, wideRoute } from '../../../src/runtime/kernels/wide.js';
import { bigToFloat32, WIDE_CAST_KERNELS } from '../../../src/runtime/kernels/wide-cast.js';
import { makeWide, narrowChecked, readWide, wideEntry, type WideKind } from '../../../src/runtime/wide-values.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';
import { loadSavedModelServable } from '../../../src/servables/saved-model-servable.js';
import { repoRoot } from '../../helpers/paths.js';
import { run as runIn, s, values } from './helpers.js';

await tf.setBackend('cpu');

const KERNELS = [...WIDE_MATH_KERNELS, ...WIDE_CAST_KERNELS];
const run = (op: string, inputs: tf.Tensor[], raw: Record<string, AttrJson> = {}): tf.Tensor => runIn(KERNELS, `_TfsWide${op}`, inputs, raw)[0]!;
const i64 = (v: bigint[], shape = [v.length]): tf.Tensor => makeWide('int64', BigInt64Array.from(v), shape);
const u64 = (v: bigint[]): tf.Tensor => makeWide('uint64', BigUint64Array.from(v), [v.length]);
const f64 = (v: number[], shape = [v.length]): tf.Tensor => makeWide('float64', Float64Array.from(v), shape);
const T = (dtype: string): Record<string, AttrJson> => ({ _tfs_wide: s(dtype), _tfs_type_T: s(dtype) });
const ints = (t: tf.Tensor, kind: WideKind = 'int64'): bigint[] => [...(readWide(t, kind) as BigInt64Array)];
const floats = (t: tf.Tensor): number[] => [...(readWide(t, 'float64') as Float64Array)];

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const A = [-7n, 7n, MIN, MAX, 123456789012345n, -1n];
const B = [2n, -2n, 3n, -5n, 1000n, MAX];

test('int64 arithmetic wraps at 64 bits and floors as TF', () => {
  const bin = (op: string): bigint[] => ints(run(op, [i64(A), i64(B)], T('DT_INT64')));
  assert.deepEqual(bin('AddV2'), [-5n, 5n, -9223372036854775805n, 9223372036854775802n, 123456789013345n, 9223372036854775806n]);
  assert.deepEqual(bin('Sub'), [-9n, 9n, 9223372036854775805n, -9223372036854775804n, 123456789011345n, MIN]);
  assert.deepEqual(bin('Mul'), [-14n, -14n, MIN, -9223372036854775803n, 123456789012345000n, -9223372036854775807n]);
  assert.deepEqual(bin('FloorDiv'), [-4n, -4n, -3074457345618258603n, -1844674407370955162n, 123456789012n, -1n]);
  assert.deepEqual(bin('FloorMod'), [1n, -1n, 1n, -3n, 345n, 9223372036854775806n]);
  assert.deepEqual(bin('Maximum'), [2n, 7n, 3n, MAX, 123456789012345n, MAX]);
  assert.deepEqual(values(run('Greater', [i64(A), i64(B)], T('DT_INT64'))), [0, 1, 0, 1, 1, 0]);
  assert.throws(() => run('FloorDiv', [i64([1n]), i64([0n])], T('DT_INT64')), /Integer division by zero/);
});

test('uint64 and uint32 wrap at their width', () => {
  const u = u64([0n, 1n, 2n ** 64n - 1n, 2n ** 63n]);
  const v = u64([1n, 2n, 2n, 2n ** 63n]);
  assert.deepEqual(ints(run('AddV2', [u, v], T('DT_UINT64')), 'uint64'), [1n, 3n, 1n, 0n]);
  assert.deepEqual(ints(run('Sub', [u, v], T('DT_UINT64')), 'uint64'), [2n ** 64n - 1n, 2n ** 64n - 1n, 18446744073709551613n, 0n]);
  assert.deepEqual(ints(run('FloorDiv', [u, v], T('DT_UINT64')), 'uint64'), [0n, 0n, 9223372036854775807n, 1n]);
  const u32 = makeWide('uint32', BigUint64Array.of(0n, 4294967295n, 2147483648n), [3]);
  assert.deepEqual(ints(run('AddV2', [u32, makeWide('uint32', BigUint64Array.of(2n), [])], T('DT_UINT32')), 'uint32'), [2n, 1n, 2147483650n]);
});

test('int64 reductions and ArgMax are exact', () => {
  const x = i64([2n ** 40n, 2n ** 40n + 1n, -5n, 7n, 7n, 7n], [2, 3]);
  const axis = tf.tensor1d([1], 'int32');
  assert.deepEqual(ints(run('Max', [x, axis], T('DT_INT64'))), [1099511627777n, 7n]);
  assert.deepEqual(ints(run('ArgMax', [x, axis], { ...T('DT_INT64'), _tfs_type_output_type: s('DT_INT64') })), [1n, 0n]);
  const sum = run('Sum', [i64([MAX, 1n, 7n, 7n], [2, 2]), axis], T('DT_INT64'));
  assert.deepEqual(ints(sum), [MIN, 14n]);
  assert.deepEqual(sum.shape, [2]);
});

test('int64 segment sums are exact and wrap (negative ids dropped), as TF', () => {
  const data = i64([2n ** 40n, 1n, 2n ** 62n, -3n, 5n, MAX], [3, 2]);
  const u = run('UnsortedSegmentSum', [data, tf.tensor1d([1, 1, -1], 'int32'), tf.scalar(3, 'int32')], T('DT_INT64'));
  assert.deepEqual(ints(u), [0n, 0n, 4611687117939015680n, -2n, 0n, 0n]);
  assert.deepEqual(u.shape, [3, 2]);
  const sorted = run('SegmentSum', [i64([2n ** 62n, 2n ** 62n, 7n]), tf.tensor1d([0, 0, 2], 'int32')], T('DT_INT64'));
  assert.deepEqual(ints(sorted), [MIN, 0n, 7n]);
});

test('float64 math, reductions and MatMul in float64', () => {
  assert.deepEqual(floats(run('Exp', [f64([1.000000000001, -0.5, 10])], T('DT_DOUBLE'))), [2.718281828461764, 0.6065306597126334, 22026.465794806718]);
  assert.deepEqual(floats(run('Log', [f64([1.000000000001, 0.5, 10])], T('DT_DOUBLE'))), [1.000088900581841e-12, -0.6931471805599453, 2.302585092994046]);
  const rows = f64([1.000000000001, 2.5e-300, 3.0, -1.5, 1e16, 0.1], [2, 3]);
  assert.deepEqual(floats(run('Sum', [rows, tf.tensor1d([1], 'int32')], T('DT_DOUBLE'))), [4.000000000001, 9999999999999998]);
  const m = f64([1 + 1e-12, 2, 3, 4 - 1e-13], [2, 2]);
  const mm = run('MatMul', [m, m], { ...T('DT_DOUBLE'), transpose_b: { b: true } });
  assert.deepEqual(floats(mm), [5.000000000002, 11.0000000000028, 11.0000000000028, 24.9999999999992]);
  assert.deepEqual(floats(run('FloorMod', [f64([-7.5, 7.5]), f64([2, -2])], T('DT_DOUBLE'))), [0.5, -0.5]);
});

test('Cast rounds once (int64 → float32 ties to even), wraps integers, refuses floats without a value', () => {
  const c = i64([9007199254740993n, MAX, MIN, 16777217n, 16777219n, 2n ** 60n + 2n ** 36n + 1n]);
  const cast = (x: tf.Tensor, src: string, dst: string): tf.Tensor => run('Cast', [x], { _tfs_type_SrcT: s(src), _tfs_type_DstT: s(dst) });
  assert.deepEqual(values(cast(c, 'DT_INT64', 'DT_FLOAT')), [9007199254740992, 9223372036854775808, -9223372036854775808, 16777216, 16777220, 1152921642045800448]);
  assert.deepEqual(floats(cast(c, 'DT_INT64', 'DT_DOUBLE')).slice(0, 5), [9007199254740992, 9223372036854775808, -9223372036854775808, 16777217, 16777219]);
  assert.deepEqual(values(cast(c, 'DT_INT64', 'DT_INT32')).slice(0, 5), [1, -1, 0, 16777217, 16777219]);
  assert.deepEqual(ints(cast(i64([-1n, 5n]), 'DT_INT64', 'DT_UINT64'), 'uint64'), [18446744073709551615n, 5n]);
  assert.deepEqual(ints(cast(f64([1.5e10, -2.7]), 'DT_DOUBLE', 'DT_INT64')), [15000000000n, -2n]);
  assert.throws(() => cast(f64([NaN]), 'DT_DOUBLE', 'DT_INT64'), (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT);
  assert.equal(bigToFloat32(-(2n ** 60n + 2n ** 36n)), -(2 ** 60));
  // tf.cast(tf.constant([300, -1, 1000], tf.int64), tf.uint8) = [44, 255, 232]; tf.cast(int64 200, tf.int8) = -56,
  // float64 300.7 → uint8 44: wrapped in the Cast, not only on the way out (an op after it reads them)
  assert.deepEqual(values(cast(i64([300n, -1n, 1000n]), 'DT_INT64', 'DT_UINT8')), [44, 255, 232]);
  assert.deepEqual(values(cast(i64([200n, 2n ** 40n + 65535n]), 'DT_INT64', 'DT_INT16')), [200, -1]);
  assert.deepEqual(values(cast(i64([200n]), 'DT_INT64', 'DT_INT8')), [-56]);
  assert.deepEqual(values(cast(f64([300.7, -1.5]), 'DT_DOUBLE', 'DT_UINT8')), [44, 255]);
});

test('values that fit need no entry; a stand-in op reading a value that does not fit fails, never truncates', () => {
  assert.equal(wideEntry(i64([1n, -2n])), undefined);
  assert.ok(wideEntry(i64([2n ** 31n])));
  assert.deepEqual(values(narrowChecked(i64([5n, -6n]), 'input of Reshape')), [5, -6]);
  assert.throws(() => narrowChecked(i64([2n ** 31n]), 'input of Reshape'), /input of Reshape: int64 value 2147483648 does not fit in int32/);
  assert.throws(() => narrowChecked(f64([0.1]), 'input of Reshape'), /input of Reshape: double value 0\.1 is not exactly representable in float32/);
});

test('the freezer routes ops on wide types to wide kernels, and narrow casts to tfjs', () => {
  const types = (t: Record<string, string>) => (a: string): string => t[a] ?? '';
  assert.equal(wideRoute('AddV2', types({ T: 'DT_INT64' }))?.op, '_TfsWideAddV2');
  assert.equal(wideRoute('Exp', types({ T: 'DT_DOUBLE' }))?.op, '_TfsWideExp');
  assert.equal(wideRoute('AddV2', types({ T: 'DT_FLOAT' })), undefined);
  assert.equal(wideRoute('Cast', types({ SrcT: 'DT_INT32', DstT: 'DT_INT64' })), undefined);
  assert.equal(wideRoute('Cast', types({ SrcT: 'DT_INT32', DstT: 'DT_UINT64' }))?.op, '_TfsWideCast');
  assert.equal(wideRoute('Cast', types({ SrcT: 'DT_FLOAT', DstT: 'DT_INT64' }))?.op, '_TfsWideCast');
  assert.equal(wideRoute('Reshape', types({ T: 'DT_INT64' })), undefined);
});

test('exact values through moving ops: concat, reshape, transpose, gather, stack, tile, fill, reverse (TF 2.21)', async () => {
  const dir = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'wide_moves', '1');
  for (const backend of ['cpu', 'wasm'] as const) {
    const sv = await loadSavedModelServable('wide_moves', 1, dir, { backend });
    try {
      const out = await sv.run('serving_default', {
        x: { dtype: 'DT_INT64', shape: [2, 2], data: BigInt64Array.of(MAX, 3n, -5n, 2n ** 33n) },
        d: { dtype: 'DT_DOUBLE', shape: [1, 2], data: Float64Array.of(0.1, 1e300) },
      });
      const got = (k: string): unknown[] => Array.from(out[k]!.data as ArrayLike<unknown>);
      assert.deepEqual(got('flat'), [MAX, 3n, -5n, 8589934592n, 1099511627776n, -4611686018427387904n], backend);
      assert.deepEqual(got('t'), [MAX, -5n, 1099511627776n, 3n, 8589934592n, -4611686018427387904n], backend);
      assert.deepEqual(out['t']!.shape, [2, 3]);
      assert.deepEqual(got('g'), [8589934592n, MAX, -5n], backend);
      assert.deepEqual(got('rows'), [3n, MAX, 8589934592n, -5n], backend);
      assert.deepEqual(got('tile'), [MAX, 3n, MAX, 3n], backend);
      assert.deepEqual(got('fill'), [MAX, MAX], backend);
      assert.deepEqual(got('d'), [1.000000000001e300, 0.10000000000010001], backend);
    } finally {
      await sv.dispose();
    }
  }
});

test('int64 Cumsum, Cumprod and Pow are exact and wrap at 64 bits as TF', async () => {
  const dir = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'wide_moves', '1');
  const sv = await loadSavedModelServable('wide_moves', 1, dir, { backend: 'cpu' });
  try {
    const x = (v: bigint[]) => ({ x: { dtype: 'DT_INT64' as const, shape: [v.length], data: BigInt64Array.from(v) } });
    const get = (o: Record<string, { data: unknown }>, k: string): bigint[] => [...(o[k]!.data as BigInt64Array)];
    // TF 2.21: s = cumsum(x, exclusive, reverse), p = cumprod(x), pow = x ** 3 (wrapping).
    const small = await sv.run('cumulative', x([1n, 2n, 3n]));
    assert.deepEqual([get(small, 's'), get(small, 'p'), get(small, 'pow')], [[5n, 3n, 0n], [1n, 2n, 6n], [1n, 8n, 27n]]);
    // TF: p = [3, 3298534883328, -16492674416640], s = [1099511627771, -5, 0], pow = [27, 0, -125] (wraps).
    const big = await sv.run('cumulative', x([3n, 2n ** 40n, -5n]));
    assert.deepEqual([get(big, 's'), get(big, 'p'), get(big, 'pow')], [[1099511627771n, -5n, 0n], [3n, 3298534883328n, -16492674416640n], [27n, 0n, -125n]]);
    const wrap = await sv.run('cumulative', x([2097153n, 7n, -(2n ** 62n)]));
    assert.deepEqual(get(wrap, 'p'), [2097153n, 14680071n, 4611686018427387904n]);
    assert.deepEqual(get(wrap, 'pow'), [-9223358842708951039n, 343n, 0n]);
  } finally {
    await sv.dispose();
  }
});

test('float64 Softmax, LogSoftmax and BiasAdd within 1e-15 of TF 2.21 (tf.nn on CPU); NaN rows and NCHW refused', () => {
  const x = f64([1.000000000001, 2.5, -3.0, 1e-300, 0.0, 700.0], [2, 3]);
  const close = (got: number[], want: number[]): void =>
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= 1e-15 * Math.max(1, Math.abs(want[i]!)), `${i}: ${g} vs ${want[i]}`));
  close(floats(run('Softmax', [x], T('DT_DOUBLE'))), [0.1818180261415449, 0.8148518605481875, 0.003330113310267637, 9.85967654375977e-305, 9.85967654375977e-305, 1.0]);
  close(floats(run('LogSoftmax', [x], T('DT_DOUBLE'))), [-1.704748948460295, -0.2047489484612949, -5.704748948461295, -700.0, -700.0, 0.0]);
  assert.deepEqual(floats(run('BiasAdd', [x, f64([0.1, 1e-17, 2.0])], T('DT_DOUBLE'))), [1.1000000000010002, 2.5, -1.0, 0.1, 1e-17, 702.0]);
  assert.deepEqual(wideRoute('Softmax', () => 'DT_DOUBLE'), { op: '_TfsWideSoftmax', kind: 'DT_DOUBLE' });
  assert.equal(wideRoute('Softmax', () => 'DT_INT64'), undefined);
  const refused = (e: unknown): boolean => e instanceof TfsError && e.code === Code.UNIMPLEMENTED;
  assert.throws(() => run('Softmax', [f64([1, NaN])], T('DT_DOUBLE')), refused);
  assert.throws(() => run('BiasAdd', [f64([1, 2], [1, 2]), f64([1, 2])], { ...T('DT_DOUBLE'), data_format: s('NCHW') }), refused);
});
