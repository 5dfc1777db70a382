/**
 * Einsum with an ellipsis (kernels/einsum.ts) against TensorFlow 2.21's tf.einsum.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EINSUM_ELLIPSIS_OP, EINSUM_KERNELS, expandEllipsis, hasRepeatedLabel } from '../../../src/runtime/kernels/einsum.js';
import { run, s, values } from './helpers.js';

await tf.setBackend('cpu');

// a = arange(12).reshape(2,1,2,3) % 5 - 2, b = arange(18).reshape(3,3,2) % 7 - 3
const a = tf.tensor(Array.from({ length: 12 }, (_, i) => (i % 5) - 2), [2, 1, 2, 3]);
const b = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 7) - 3), [3, 3, 2]);
const einsum = (eq: string, ...xs: tf.Tensor[]) => run(EINSUM_KERNELS, EINSUM_ELLIPSIS_OP, xs, { equation: s(eq) })[0]!;

test('the ellipsis is spelled with unused letters, right-aligned, and broadcast', () => {
  assert.deepEqual(expandEllipsis('...ij,jk->...ik', [[7, 2, 3, 4], [4, 5]]), { equation: 'abij,jk->abik', ellipsis: [7, 2] });
  assert.deepEqual(expandEllipsis('...ij,...jk->...ik', [[2, 1, 2, 3], [3, 3, 2]]).equation, 'abij,bjk->abik');
  assert.deepEqual(expandEllipsis('...ij,jk', [[2, 2, 3], [3, 2]]).equation, 'aij,jk->aik');
  assert.throws(() => expandEllipsis('...ij,...jk->...ik', [[2, 2, 3], [3, 3, 2]]), /cannot be broadcast/);
  assert.throws(() => expandEllipsis('...ijk', [[2, 2]]), /fewer than its labels/);
});

test('Einsum with an ellipsis gives TF\'s values (broadcast batch, implicit output, reduction to the ellipsis)', () => {
  const y = einsum('...ij,...jk->...ik', a, b);
  assert.deepEqual(y.shape, [2, 3, 2, 2]);
  assert.deepEqual(values(y), [7, 4, -7, -6, -4, 7, -1, -7, -1, -4, -2, -1, 4, 4, -5, -6, -3, 4, 10, -5, -3, -3, 11, 10]);
  const b0 = tf.reshape(tf.slice(b, [0, 0, 0], [1, 3, 2]), [3, 2]);
  const implicit = einsum('...ij,jk', a, b0);
  assert.deepEqual(implicit.shape, [2, 1, 2, 2]);
  assert.deepEqual(values(implicit), [7, 4, -7, -6, 4, 4, -5, -6]);
  assert.deepEqual(values(einsum('i...->...', tf.reshape(tf.slice(a, [0, 0, 0, 0], [1, 1, 2, 3]), [2, 3]))), [-1, 1, -2]);
});

/*
 * A label repeated within one input takes that input's diagonal first. TF 2.21:
 *   a = tf.reshape(tf.range(18.), [2, 3, 3])
 *   tf.einsum('bii->b', a) = [12, 39]; tf.einsum('bii->bi', a) = [[0, 4, 8], [9, 13, 17]]; tf.einsum('bii', a) = [12, 39]
 *   tf.einsum('iib->ib', tf.reshape(tf.range(18), [3, 3, 2])) = [[0, 1], [8, 9], [16, 17]] (int32)
 *   tf.einsum('bii,bi->b', a, tf.ones([2, 3])) = [12, 39]; tf.einsum('...ii->...i', a) = [[0, 4, 8], [9, 13, 17]]
 *   tf.einsum('iii->i', tf.reshape(tf.range(8.), [2, 2, 2])) = [0, 7]
 *   tf.einsum('bii->b', tf.zeros([2, 3, 4])): INVALID_ARGUMENT "Expected dimension 3 at axis 2 of the input shaped [2,3,4] but got dimension 4"
 */
test('Einsum with a label repeated in an input (trace, diagonal) gives TF\'s values and error', () => {
  const r = tf.reshape(tf.range(0, 18), [2, 3, 3]);
  assert.ok(hasRepeatedLabel('bii->b') && hasRepeatedLabel('ij,kk') && !hasRepeatedLabel('bij,bjk->bik') && !hasRepeatedLabel('...ij->...'));
  const cases: [string, tf.Tensor[], number[], number[]][] = [
    ['bii->b', [r], [2], [12, 39]],
    ['bii->bi', [r], [2, 3], [0, 4, 8, 9, 13, 17]],
    ['bii', [r], [2], [12, 39]],
    ['iib->ib', [tf.reshape(tf.range(0, 18, 1, 'int32'), [3, 3, 2])], [3, 2], [0, 1, 8, 9, 16, 17]],
    ['bii,bi->b', [r, tf.ones([2, 3])], [2], [12, 39]],
    ['...ii->...i', [r], [2, 3], [0, 4, 8, 9, 13, 17]],
    ['iii->i', [tf.reshape(tf.range(0, 8), [2, 2, 2])], [2], [0, 7]],
  ];
  for (const [eq, xs, shape, want] of cases) {
    const y = einsum(eq, ...xs);
    assert.deepEqual([y.shape, y.dtype, values(y)], [shape, xs[0]!.dtype, want], eq);
  }
  assert.throws(() => einsum('bii->b', tf.zeros([2, 3, 4])), /Expected dimension 3 at axis 2 of the input shaped \[2,3,4\] but got dimension 4/);
});
