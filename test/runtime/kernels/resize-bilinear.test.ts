/**
 * ResizeBilinear (kernels/image-resize.ts) against TensorFlow 2.21's tf.raw_ops.ResizeBilinear on a
 * 17x23 image of 0..255 values: half-pixel, legacy and align_corners. TF computes sample positions and
 * lerps in float32; tfjs's double positions gave 19 to 38 of these values off by up to 1.4e-4 (probe11).
 * ResizeNearestNeighbor likewise, where a float32 position lands on a pixel edge (2 -> 41 rows).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_RESIZE_KERNELS, RESIZE_BILINEAR_OP, RESIZE_NEAREST_OP } from '../../../src/runtime/kernels/image-resize.js';
import { run, values } from './helpers.js';

await tf.setBackend('cpu');
const f32 = (a: number[]): number[] => a.map(Math.fround);
const [H, W] = [17, 23];
const x = tf.tensor4d(Array.from({ length: H * W }, (_, i) => (i * 97 + 13) % 256), [1, H, W, 1]);
const size = (h: number, w: number): tf.Tensor => tf.tensor1d([h, w], 'int32');

// tf.raw_ops.ResizeBilinear(images=x, size=..., ...), each float32 printed in its shortest form
const TF32 = {
  half: [56.940483, 119.65479, 167.13097, 223.75, 51.7977, 114.51188, 158.94052, 106.10715, 141.39287, 185.82144, 38.25, 100.96436, 127.10713, 171.53574, 140.03572, 172.2738, 97.845245, 87.41669, 119.654755, 151.89284, 56.130894, 183.10716, 72.10709, 104.34524, 136.58337, 156.6309, 115.72628, 83.96431, 52.464287, 96.89287, 141.32144, 185.75, 175.32129, 82.60713, 127.035736, 65.05948, 109.488144, 172.20242, 234.91669, 56.869072, 113.48806, 167.0596],
  legacy: [13.0, 118.666664, 224.33333, 73.99995, 179.66666, 228.44443, 134.99991, 212.22226, 90.3333, 123.20002, 126.46665, 95.60001, 150.06665, 187.46664, 116.777794, 176.9333, 83.48888, 143.64444, 28.599987, 111.511116, 194.42224, 89.59993, 155.44446, 204.22223, 116.46662, 182.31116, 105.93329, 87.60014, 142.0666, 65.68901, 131.53337, 203.0666, 92.555664, 175.46661, 53.577847, 136.48889, 44.199974, 104.355576, 164.51117, 105.19992, 131.22226, 180.00005, 97.93334, 152.40005, 121.53327],
  align: [13.0, 183.80002, 98.60002, 218.19987, 184.20004, 99.0, 135.66666, 101.66669, 84.73334, 136.06673, 85.00001, 221.66666, 173.00006, 139.00002, 122.06665, 139.26665, 122.33337, 88.33331, 125.0, 39.80001, 210.60002, 125.40007, 142.59995, 211.0],
};
const TF = { half: f32(TF32.half), legacy: f32(TF32.legacy), align: f32(TF32.align) };

function resize(h: number, w: number, align: boolean, half: boolean): number[] {
  const [out] = run(IMAGE_RESIZE_KERNELS, RESIZE_BILINEAR_OP, [x, size(h, w)], { align_corners: { b: align }, half_pixel_centers: { b: half } });
  assert.deepEqual(out!.shape, [1, h, w, 1]);
  return values(out!);
}

test('ResizeBilinear gives TF\'s float32 values bit for bit (half-pixel, legacy, align_corners)', () => {
  assert.deepEqual(resize(6, 7, false, true), TF.half);
  assert.deepEqual(resize(5, 9, false, false), TF.legacy);
  assert.deepEqual(resize(4, 6, true, false), TF.align);
});

test('tfjs\'s own resizeBilinear differs from TF on the same image (why the kernel is tfs\'s)', () => {
  const theirs = values(tf.image.resizeBilinear(x as tf.Tensor4D, [6, 7], false, true));
  assert.notDeepEqual(theirs, TF.half);
});

test('ResizeBilinear refuses align_corners with half_pixel_centers, as TF', () => {
  assert.throws(() => resize(4, 4, true, true), /half_pixel_centers/);
});

// tf.raw_ops.ResizeNearestNeighbor on arange images [1,2,3,1] (half) and [1,2,5,1] (legacy, aligned)
const NN = {
  half: [0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5],
  legacy: [0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9, 5, 5, 6, 7, 7, 8, 9],
  align: [0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 8, 9, 9, 5, 6, 6, 7, 7, 8, 8, 9, 9, 5, 6, 6, 7, 7, 8, 8, 9, 9],
};

function nearest(img: tf.Tensor, h: number, w: number, align: boolean, half: boolean): number[] {
  const [out] = run(IMAGE_RESIZE_KERNELS, RESIZE_NEAREST_OP, [img, size(h, w)], { align_corners: { b: align }, half_pixel_centers: { b: half } });
  assert.deepEqual(out!.shape, [1, h, w, 1]);
  return values(out!);
}

test('ResizeNearestNeighbor picks TF\'s rows where the float32 position is on a pixel edge (2 -> 41, 2 -> 82)', () => {
  const a = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 2, 3, 1]);
  const b = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 5, 1]);
  assert.deepEqual(nearest(a, 41, 5, false, true), NN.half);
  assert.deepEqual(nearest(b, 82, 7, false, false), NN.legacy);
  assert.deepEqual(nearest(b, 5, 9, true, false), NN.align);
  assert.notDeepEqual(values(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [41, 5], false, true)), NN.half);
});
