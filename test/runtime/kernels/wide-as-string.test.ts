/**
 * AsString on exact int64/uint64/float64 values (kernels/wide-as-string.ts). Expected strings
 * from TF 2.21:
 *   as_string(int64 [2**33+5, -2**63, 2**53+1, -5]) -> 8589934597, -9223372036854775808, 9007199254740993, -5
 *   as_string(int64 [-5, 2**40], width=6, fill='0') -> -00005, 1099511627776
 *   as_string(float64 [0.1, 123456789012345678.0])  -> 0.100000, 123456789012345680.000000
 *   as_string(uint64 [2**64-1])                      -> 18446744073709551615
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WIDE_AS_STRING_KERNELS, WIDE_AS_STRING_OP } from '../../../src/runtime/kernels/wide-as-string.js';
import { FAMILY_OPS } from '../../../src/runtime/kernels/index.js';
import { wideRoute } from '../../../src/runtime/kernels/wide.js';
import { makeWide } from '../../../src/runtime/wide-values.js';
import { run, s, texts } from './helpers.js';

const asString = (x: tf.Tensor, type: string, extra: Record<string, unknown> = {}): string[] =>
  texts(run(WIDE_AS_STRING_KERNELS, WIDE_AS_STRING_OP, [x], { T: { type }, ...extra })[0]!);

test('AsString formats exact int64/uint64/float64 values past the int32/float32 stand-ins', async () => {
  await tf.setBackend('cpu');
  const ids = makeWide('int64', BigInt64Array.from([2n ** 33n + 5n, -(2n ** 63n), 2n ** 53n + 1n, -5n]), [4]);
  assert.deepEqual(asString(ids, 'DT_INT64'), ['8589934597', '-9223372036854775808', '9007199254740993', '-5']);
  const padded = makeWide('int64', BigInt64Array.from([-5n, 2n ** 40n]), [2]);
  assert.deepEqual(asString(padded, 'DT_INT64', { width: { i: 6 }, fill: s('0') }), ['-00005', '1099511627776']);
  const doubles = makeWide('float64', Float64Array.from([0.1, 123456789012345680]), [2]);
  assert.deepEqual(asString(doubles, 'DT_DOUBLE'), ['0.100000', '123456789012345680.000000']);
  assert.deepEqual(asString(makeWide('uint64', BigUint64Array.from([2n ** 64n - 1n]), [1]), 'DT_UINT64'), ['18446744073709551615']);
  // the freezer routes AsString on wide types here, not on int32
  assert.equal(wideRoute('AsString', () => 'DT_INT64')?.op, WIDE_AS_STRING_OP);
  assert.equal(wideRoute('AsString', () => 'DT_INT32'), undefined);
  assert.ok(FAMILY_OPS.has(WIDE_AS_STRING_OP));
});
