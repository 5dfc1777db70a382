/** DrawBoundingBoxes(V2) (kernels/draw-boxes.ts) against TF 2.21's tf.raw_ops on CPU (recorded as facts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DRAW_BOXES_KERNELS } from '../../../src/runtime/kernels/draw-boxes.js';
import { run, values } from './helpers.js';

const draw = (images: tf.Tensor, boxes: number[][], colors?: number[][]): tf.Tensor => {
  const b = tf.tensor3d(boxes.flat(), [1, boxes.length, 4]);
  if (!colors) return run(DRAW_BOXES_KERNELS, 'DrawBoundingBoxes', [images, b])[0]!;
  const c = colors.length === 0 ? tf.zeros([0, 4]) : tf.tensor2d(colors);
  return run(DRAW_BOXES_KERNELS, 'DrawBoundingBoxesV2', [images, b, c])[0]!;
};
const channel = (t: tf.Tensor, c: number): number[] => values(t).filter((_, i) => i % t.shape[3]! === c);

test('DrawBoundingBoxes: TF\'s pixel edges, skipped boxes, clipped lines and default colour table', async () => {
  await tf.setBackend('cpu');
  // the whole 5x6 image: a yellow (1, 1, 0) frame
  const frame = draw(tf.zeros([1, 5, 6, 3]), [[0, 0, 1, 1]], []);
  const ring = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
  assert.deepEqual([channel(frame, 0), channel(frame, 1), channel(frame, 2)], [ring, ring, ring.map(() => 0)]);
  // k boxes on one pixel: the last one's colour, TF's table of 10 cycling
  const table = [[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1], [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]];
  for (let k = 0; k < 12; k++) {
    const out = draw(tf.zeros([1, 3, 3, 4]), Array.from({ length: k + 1 }, () => [0.5, 0.5, 0.5, 0.5]));
    assert.deepEqual(values(out).slice(16, 20), table[k % 10], `box ${k}`);
  }
  // a given colour on a 1-channel image takes its first component
  assert.deepEqual(values(draw(tf.zeros([1, 3, 3, 1]), [[0.5, 0.5, 0.5, 0.5]], [[0.25, 0.5, 0.75, 1]])), [0, 0, 0, 0, 0.25, 0, 0, 0, 0]);
  // a box past the top and right edges draws its bottom and left lines only; an inverted box nothing
  const clipped = draw(tf.zeros([1, 4, 4, 3]), [[-0.5, 0.3, 0.7, 1.5], [0.8, 0.2, 0.3, 0.9]], [[1, 2, 3]]);
  assert.deepEqual(channel(clipped, 0), [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(channel(clipped, 2), [3, 0, 0, 0, 3, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0]);
});
