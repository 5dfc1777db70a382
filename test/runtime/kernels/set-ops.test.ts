/** DenseToDenseSetOperation and SetSize (kernels/set-ops.ts) against TF 2.21 (tf.raw_ops on CPU, recorded as facts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { SET_OPS_KERNELS } from '../../../src/runtime/kernels/set-ops.js';
import { run, s, str, texts, values } from './helpers.js';

const setOp = (a: tf.Tensor, b: tf.Tensor, op: string): [number[], (number | string)[], number[]] => {
  const [i, v, sh] = run(SET_OPS_KERNELS, 'DenseToDenseSetOperation', [a, b], { set_operation: s(op) });
  return [values(i!), v!.dtype === 'string' ? texts(v!) : values(v!), values(sh!)];
};

test('DenseToDenseSetOperation: per-row sets, sorted, as a SparseTensor; SetSize counts distinct values', async () => {
  await tf.setBackend('cpu');
  const a = tf.tensor2d([3, 1, 3, 2, 5, 5, 5, 5], [2, 4], 'int32');
  const b = tf.tensor2d([1, 4, 4, 6, 2, 5], [2, 3], 'int32');
  assert.deepEqual(setOp(a, b, 'a-b'), [[0, 0, 0, 1], [2, 3], [2, 2]]);
  assert.deepEqual(setOp(a, b, 'b-a'), [[0, 0, 1, 0, 1, 1], [4, 2, 6], [2, 2]]);
  assert.deepEqual(setOp(a, b, 'intersection'), [[0, 0, 1, 0], [1, 5], [2, 1]]);
  assert.deepEqual(setOp(a, b, 'union'), [[0, 0, 0, 1, 0, 2, 0, 3, 1, 0, 1, 1, 1, 2], [1, 2, 3, 4, 2, 5, 6], [2, 4]]);
  assert.deepEqual(setOp(tf.tensor3d([1, 2, 3, 3], [2, 1, 2], 'int32'), tf.tensor3d([2, 1], [2, 1, 1], 'int32'), 'union'), [[0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1], [1, 2, 1, 3], [2, 1, 2]]);
  assert.deepEqual(setOp(str(['b', 'a'], [1, 2]), str(['a', 'c'], [1, 2]), 'union'), [[0, 0, 0, 1, 0, 2], ['a', 'b', 'c'], [1, 3]]);
  assert.deepEqual(setOp(tf.tensor2d([1, 2], [1, 2], 'int32'), tf.tensor2d([1, 2], [1, 2], 'int32'), 'a-b'), [[], [], [1, 0]]);
  const bad = (f: () => unknown, text: string): void =>
    assert.throws(f, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === text);
  bad(() => setOp(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([1], 'int32'), 'union'), 'Shape [2] has rank 1 < 2');
  bad(() => setOp(tf.tensor2d([1, 2], [1, 2], 'int32'), tf.tensor2d([1, 2], [2, 1], 'int32'), 'union'), 'Mismatched shapes [1] vs [2]');
  bad(() => setOp(tf.tensor2d([1, 2], [1, 2], 'int32'), tf.tensor2d([1], [1, 1], 'int32'), 'xor'), 'Invalid set_operation xor.');
  // tf.sets.size(tf.sets.union(a, b)) = [4, 3]
  const [i, v, sh] = run(SET_OPS_KERNELS, 'DenseToDenseSetOperation', [a, b], { set_operation: s('union') });
  const size = run(SET_OPS_KERNELS, 'SetSize', [i!, v!, sh!])[0]!;
  assert.deepEqual([size.dtype, values(size)], ['int32', [4, 3]]);
});
