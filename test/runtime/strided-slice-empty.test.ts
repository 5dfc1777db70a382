/**
 * StridedSlice whose result is empty (src/runtime/strided-slice-empty.ts). Expected values are TF 2.21's:
 *   x = tf.reshape(tf.range(10.), [2, 5])
 *   x[:, 3:1].shape = (2, 0); x[3:1].shape = (0, 5); x[:, 1:4:-1].shape = (2, 0);
 *   tf.cast(x, tf.int32)[:, 3:1].shape = (2, 0); x[:, 4:1:-1] = [[4, 3, 2], [9, 8, 7]]
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('StridedSlice with begin > end answers an empty tensor as TF (tfjs threw "size -2"), wasm and cpu', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const x = tf.reshape(tf.range(0, 10), [2, 5]);
    const cases: [tf.Tensor, number[], number[], number[], number[]][] = [
      [x, [0, 3], [0, 1], [1, 1], [2, 0]],
      [x, [3], [1], [1], [0, 5]], // x[3:1]: the second dim is implicit
      [x, [0, 1], [0, 4], [1, -1], [2, 0]],
      [tf.cast(x, 'int32'), [0, 3], [0, 1], [1, 1], [2, 0]],
    ];
    for (const [t, begin, end, strides, shape] of cases) {
      // begin_mask/end_mask 1 where the first spec is `:`, as TF's x[:, ...] writes it.
      const mask = begin[0] === 0 && end[0] === 0 ? 1 : 0;
      const r = tf.stridedSlice(t, begin, end, strides, mask, mask);
      assert.deepEqual([r.shape, r.dtype, r.size], [shape, t.dtype, 0], `${b} ${begin}:${end}:${strides}`);
    }
    // a non-empty slice still goes to the backend's kernel
    const rev = tf.stridedSlice(x, [0, 4], [0, 1], [1, -1], 1, 1);
    assert.deepEqual(rev.arraySync(), [[4, 3, 2], [9, 8, 7]], b);
  }
});
