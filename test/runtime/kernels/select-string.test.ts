/**
 * Select/SelectV2 on strings (kernels/select-string.ts): only string selects are renamed, and
 * they broadcast as TF (tf.where(cond, strings, default) failed on tfjs's numeric `where`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { SELECT_STRING_KERNELS } from '../../../src/runtime/kernels/select-string.js';
import { run, str, texts } from './helpers.js';

await tf.setBackend('cpu');
const b = (v: boolean[], shape = [v.length]): tf.Tensor => tf.tensor(v.map(Number), shape, 'bool');

test('string selects are renamed to the string kernel, numeric ones stay tfjs-converter\'s', () => {
  assert.equal(familyNode('SelectV2', { T: { type: 7 } }, {}), '_TfsSelectString');
  assert.equal(familyNode('Select', { T: { type: 'DT_STRING' } }, {}), '_TfsSelectString');
  assert.equal(familyNode('SelectV2', { T: { type: 1 } }, {}), 'SelectV2');
});

test('SelectV2 on strings broadcasts a scalar default; Select (v1) picks rows by a vector', () => {
  // tf.where([True, False, True], ["a", "b", "c"], "zz") = [b"a", b"zz", b"c"]
  const v2 = run(SELECT_STRING_KERNELS, '_TfsSelectString', [b([true, false, true]), str(['a', 'b', 'c']), str(['zz'], [])])[0]!;
  assert.deepEqual([v2.shape, texts(v2)], [[3], ['a', 'zz', 'c']]);
  // tf.raw_ops.Select(condition=[False, True], x=[["a", "b"], ["c", "d"]], y=[["e", "f"], ["g", "h"]]) = [[e, f], [c, d]]
  const v1 = run(SELECT_STRING_KERNELS, '_TfsSelectString', [b([false, true]), str(['a', 'b', 'c', 'd'], [2, 2]), str(['e', 'f', 'g', 'h'], [2, 2])])[0]!;
  assert.deepEqual([v1.shape, texts(v1)], [[2, 2], ['e', 'f', 'c', 'd']]);
});
