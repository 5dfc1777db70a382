/**
 * SparseCross on int64 ids past 2^31 (kernels/sparse-cross.ts reads their exact values; the
 * freezer passes them unchecked). Expected from TF 2.21 with a = [[2**40+7], [-2**35]],
 * b = [[5], [2**53+1]] (int64, dense):
 *   tf.sparse.cross_hashed([a, b], 97)  -> [[69], [20]]
 *   tf.sparse.cross([a, b])              -> [[1099511627783_X_5], [-34359738368_X_9007199254740993]]
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SPARSE_CROSS_KERNELS } from '../../../src/runtime/kernels/sparse-cross.js';
import { makeWide } from '../../../src/runtime/wide-values.js';
import { run, texts, values } from './helpers.js';

const ids = (): tf.Tensor[] => [
  makeWide('int64', BigInt64Array.of(2n ** 40n + 7n, -(2n ** 35n)), [2, 1]),
  makeWide('int64', BigInt64Array.of(5n, 2n ** 53n + 1n), [2, 1]),
];

test('SparseCross crosses exact int64 ids past 2^31 and 2^53, hashed and joined', async () => {
  await tf.setBackend('cpu');
  const hashed = run(SPARSE_CROSS_KERNELS, 'SparseCross', ids(), {
    N: { i: 0 }, hashed_output: { b: true }, num_buckets: { i: 97 }, hash_key: { i: 0xdecafcaffe },
  });
  assert.deepEqual(values(hashed[1]!), [69, 20]);
  assert.deepEqual(values(hashed[2]!), [2, 1]);
  const joined = run(SPARSE_CROSS_KERNELS, 'SparseCross', ids(), { N: { i: 0 }, hashed_output: { b: false } });
  assert.deepEqual(texts(joined[1]!), ['1099511627783_X_5', '-34359738368_X_9007199254740993']);
});
