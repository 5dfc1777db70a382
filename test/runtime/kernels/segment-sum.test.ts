/**
 * UnsortedSegmentSum with segment ids of rank > 1: TF's output is [num_segments, ...data.shape[k:]]
 * for ids of rank k (batch_jacobian's vectorised gather gradient passes [n, 1] ids, probe12).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SEGMENT_SUM_KERNELS } from '../../../src/runtime/kernels/segment-sum.js';
import { run, values } from './helpers.js';

await tf.setBackend('cpu');

test('UnsortedSegmentSum: ids [2, 2] over data [2, 2, 3] give [num, 3]', () => {
  const data = tf.tensor(Array.from({ length: 12 }, (_, i) => i + 1), [2, 2, 3]);
  const ids = tf.tensor([[0, 2], [2, 0]], [2, 2], 'int32');
  const [y] = run(SEGMENT_SUM_KERNELS, 'UnsortedSegmentSum', [data, ids, tf.scalar(3, 'int32')]);
  assert.deepEqual(y!.shape, [3, 3]);
  // rows 1 + 4 -> 0, nothing -> 1, 2 + 3 -> 2 (tf.math.unsorted_segment_sum gives the same)
  assert.deepEqual(values(y!), [1 + 10, 2 + 11, 3 + 12, 0, 0, 0, 4 + 7, 5 + 8, 6 + 9]);
});

test('UnsortedSegmentSum: ids [n, 1] (pfor) keep the data rank minus one', () => {
  const [y] = run(SEGMENT_SUM_KERNELS, 'UnsortedSegmentSum', [tf.ones([4, 1, 2]), tf.tensor([[1], [1], [0], [3]], [4, 1], 'int32'), tf.scalar(4, 'int32')]);
  assert.deepEqual(y!.shape, [4, 2]);
  assert.deepEqual(values(y!), [1, 1, 2, 2, 0, 0, 1, 1]);
});

test('UnsortedSegmentSum: vector ids unchanged', () => {
  const [y] = run(SEGMENT_SUM_KERNELS, 'UnsortedSegmentSum', [tf.tensor([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 0, 1], 'int32'), tf.scalar(2, 'int32')]);
  assert.deepEqual(values(y!), [3, 4, 6, 8]);
});
