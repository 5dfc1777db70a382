/**
 * DynamicStitch and ParallelDynamicStitch (kernels/stitch.ts) against TF 2.21's values and
 * error messages (the Python call in the comment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { STITCH_KERNELS } from '../../../src/runtime/kernels/stitch.js';
import { run, str, texts, values } from './helpers.js';

const i = (v: number[]): tf.Tensor => tf.tensor1d(v, 'int32');
const stitch = (op: string, indices: tf.Tensor[], data: tf.Tensor[]): tf.Tensor =>
  run(STITCH_KERNELS, op, [...indices, ...data], { N: { i: indices.length } })[0]!;

for (const op of ['DynamicStitch', 'ParallelDynamicStitch']) {
  test(`${op} as TF: later duplicates win, gaps are zero, row shapes, dtypes`, async () => {
    await initBackend('wasm');
    await tf.setBackend('cpu');
    // tf.dynamic_stitch([[0, 4], [2, 0]], [[1., 2.], [3., 5.]])
    const a = stitch(op, [i([0, 4]), i([2, 0])], [tf.tensor1d([1, 2]), tf.tensor1d([3, 5])]);
    assert.deepEqual([a.shape, values(a)], [[5], [5, 0, 3, 0, 2]]);
    // tf.dynamic_stitch([[[1], [0]], [3]], [[[[1., 2.]], [[3., 4.]]], [[5., 6.]]])
    const b = stitch(op, [tf.tensor2d([[1], [0]], [2, 1], 'int32'), i([3])], [tf.tensor3d([[[1, 2]], [[3, 4]]]), tf.tensor2d([[5, 6]])]);
    assert.deepEqual([b.shape, values(b)], [[4, 2], [3, 4, 1, 2, 0, 0, 5, 6]]);
    // tf.dynamic_stitch([[1, 1], [2]], [[7, 8], [9]]): a duplicate inside one list keeps the later position
    const c = stitch(op, [i([1, 1]), i([2])], [i([7, 8]), i([9])]);
    assert.deepEqual([c.dtype, values(c)], ['int32', [0, 8, 9]]);
    // tf.dynamic_stitch([1], [[4., 5.]]) with a scalar index; tf.dynamic_stitch([[2, 0]], [[True, True]])
    assert.deepEqual(values(stitch(op, [tf.scalar(1, 'int32')], [tf.tensor1d([4, 5])])), [0, 0, 4, 5]);
    assert.deepEqual(values(stitch(op, [i([2, 0])], [tf.tensor1d([1, 1], 'bool')])), [1, 0, 1]);
    // tf.dynamic_stitch([[0], [3]], [[b'a'], [b'b']])
    assert.deepEqual(texts(stitch(op, [i([0]), i([3])], [str(['a']), str(['b'])])), ['a', '', '', 'b']);
    // tf.dynamic_stitch([[]], [tf.zeros([0, 3])])
    assert.deepEqual(stitch(op, [i([])], [tf.zeros([0, 3])]).shape, [0, 3]);
  });

  test(`${op} refuses negative indices and mismatched shapes with TF's messages`, async () => {
    await initBackend('wasm');
    await tf.setBackend('cpu');
    assert.throws(() => stitch(op, [i([0, -1]), i([2])], [tf.tensor1d([1, 2]), tf.tensor1d([3])]), /indices\[1\] is out of range/);
    assert.throws(() => stitch(op, [i([0, 1]), i([2])], [tf.tensor1d([1, 2, 3]), tf.tensor1d([3])]),
      /data\[0\]\.shape = \[3\] does not start with indices\[0\]\.shape = \[2\]/);
    assert.throws(() => stitch(op, [i([0, 1]), i([2])], [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[3, 4, 5]])]),
      /Need data\[0\]\.shape\[1:\] = data\[1\]\.shape\[1:\], got data\[0\]\.shape = \[2,2\], data\[1\]\.shape = \[1,3\], indices\[0\]\.shape = \[2\], indices\[1\]\.shape = \[1\]/);
  });
}
