/**
 * ImageProjectiveTransformV3 (kernels/image-transform.ts) against TF 2.21:
 * tf.raw_ops.ImageProjectiveTransformV3(images=arange(12).reshape(1,3,4,1), transforms=[[1,0,-2.5,0,1,1.5,0,0]],
 * output_shape=[3,4], fill_value=-1, interpolation=I, fill_mode=F). tfjs's `transform` reflected about
 * the edge pixel's centre, and its cpu kernel filled every image of a batch after the first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_TRANSFORM_KERNELS, PROJECTIVE_TRANSFORM_OP } from '../../../src/runtime/kernels/image-transform.js';
import { run, s, values } from './helpers.js';

const TF: Record<string, number[]> = {
  'BILINEAR REFLECT': [7.5, 6.5, 6.0, 6.5, 9.5, 8.5, 8.0, 8.5, 7.5, 6.5, 6.0, 6.5],
  'BILINEAR WRAP': [7.5, 8.5, 9.0, 6.5, 1.5, 2.5, 3.0, 0.5, 3.5, 4.5, 5.0, 2.5],
  'BILINEAR CONSTANT': [-1, -1, 2.5, 6.5, -1, -1, 1.25, 3.75, -1, -1, -1, -1],
  'BILINEAR NEAREST': [6, 6, 6, 6.5, 8, 8, 8, 8.5, 8, 8, 8, 8.5],
  'NEAREST REFLECT': [10, 9, 8, 9, 10, 9, 8, 9, 10, 9, 8, 9],
  'NEAREST WRAP': [10, 11, 11, 9, 2, 3, 3, 1, 6, 7, 7, 5],
  'NEAREST CONSTANT': [-1, -1, -1, 9, -1, -1, -1, -1, -1, -1, -1, -1],
  'NEAREST NEAREST': [8, 8, 8, 9, 8, 8, 8, 9, 8, 8, 8, 9],
};

const transform = (img: tf.Tensor, t: number[][], shape: number[], fill: number, interp: string, mode: string): tf.Tensor =>
  run(IMAGE_TRANSFORM_KERNELS, PROJECTIVE_TRANSFORM_OP, [img, tf.tensor2d(t), tf.tensor1d(shape, 'int32'), tf.scalar(fill)], {
    interpolation: s(interp),
    fill_mode: s(mode),
  })[0]!;

test('ImageProjectiveTransformV3 folds coordinates and interpolates as TF in every fill mode', async () => {
  await tf.setBackend('cpu');
  const img = tf.reshape(tf.range(0, 12, 1, 'float32'), [1, 3, 4, 1]);
  for (const [key, want] of Object.entries(TF)) {
    const [interp, mode] = key.split(' ') as [string, string];
    const got = transform(img, [[1, 0, -2.5, 0, 1, 1.5, 0, 0]], [3, 4], -1, interp, mode);
    assert.deepEqual(got.shape, [1, 3, 4, 1]);
    assert.deepEqual(values(got), want, key);
  }
});

test('ImageProjectiveTransformV3 applies one transform to every image of a batch and keeps integer images integer', async () => {
  await tf.setBackend('cpu');
  const img = tf.reshape(tf.range(0, 24, 1, 'float32'), [2, 3, 4, 1]);
  const got = values(transform(img, [[1, 0, -2.5, 0, 1, 1.5, 0, 0]], [3, 4], -1, 'BILINEAR', 'REFLECT'));
  assert.deepEqual(got.slice(12), TF['BILINEAR REFLECT']!.map((v) => v + 12));
  // uint8 [[10,20],[30,250]] shifted by (0.3, 0.6), fill 7: TF truncates the float result to [62, 112, 42, 75]
  const u8 = tf.tensor4d([10, 20, 30, 250], [1, 2, 2, 1], 'int32');
  const out = transform(u8, [[1, 0, 0.3, 0, 1, 0.6, 0, 0]], [2, 2], 7, 'BILINEAR', 'CONSTANT');
  assert.equal(out.dtype, 'int32');
  assert.deepEqual(values(out), [62, 112, 42, 75]);
});

test('ImageProjectiveTransformV3 refuses an unknown fill mode and a malformed transform', async () => {
  await tf.setBackend('cpu');
  const img = tf.zeros([1, 2, 2, 1]);
  assert.throws(() => transform(img, [[1, 0, 0, 0, 1, 0, 0, 0]], [2, 2], 0, 'BILINEAR', 'MIRROR'), /fill_mode/);
  assert.throws(() => transform(img, [[1, 0, 0, 0, 1, 0]], [2, 2], 0, 'BILINEAR', 'WRAP'), /num_images x 8/);
});
