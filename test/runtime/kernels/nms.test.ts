/**
 * NonMaxSuppressionV5 (kernels/nms.ts) against TF 2.21: soft-NMS ignores iou_threshold (tfjs
 * hard-suppressed at it), padding to max_output_size, hard NMS with sigma 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { NMS_KERNELS } from '../../../src/runtime/kernels/nms.js';
import { run, values } from './helpers.js';

const boxes = (): tf.Tensor => tf.tensor2d([[0, 0, 1, 1], [0, 0.05, 1, 1.05], [0, 0.5, 1, 1.5]]);
const scores = (): tf.Tensor => tf.tensor1d([0.9, 0.8, 0.7]);
const nms = (max: number, iou: number, scoreMin: number, sigma: number, pad: boolean): number[][] =>
  run(NMS_KERNELS, '_TfsNonMaxSuppressionV5', [boxes(), scores(), tf.scalar(max, 'int32'), tf.scalar(iou), tf.scalar(scoreMin), tf.scalar(sigma)], {
    pad_to_max_output_size: { b: pad },
  }).map(values);

test('NonMaxSuppressionV5 as TF: soft-NMS decays scores and ignores iou_threshold', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.raw_ops.NonMaxSuppressionV5(boxes, scores, 10, 0.3, 0.0, soft_nms_sigma=0.5, pad_to_max_output_size=True)
  const [idx, sc, n] = nms(10, 0.3, 0, 0.5, true);
  assert.deepEqual(idx, [0, 2, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(n, [3]);
  assert.deepEqual(sc!.slice(0, 3).map(Math.fround), [0.8999999761581421, 0.6263874769210815, 0.30555853247642517].map(Math.fround));
  // ... soft_nms_sigma=0.0: box 1 (IoU 0.9) and box 2 (IoU 1/3) are suppressed
  assert.deepEqual(nms(10, 0.3, 0, 0, true)[0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // ... max_output_size=2, score_threshold=0.35, sigma 0.5, not padded
  const [i2, s2, n2] = nms(2, 0.3, 0.35, 0.5, false);
  assert.deepEqual([i2, n2], [[0, 2], [2]]);
  assert.equal(Math.fround(s2![1]!), Math.fround(0.6263874769210815));
});
