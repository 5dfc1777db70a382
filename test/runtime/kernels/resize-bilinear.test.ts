/**
 * ResizeBilinear (kernels/image-resize.ts) against TensorFlow 2.21's tf.raw_ops.ResizeBilinear on a
 * 17x23 image of 0..255 values: half-pixel, legacy and align_corners. TF computes sample positions and
 * lerps in float32; tfjs's double positions gave 19 to 38 of these values off by up to 1.4e-4 (probe11).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_RESIZE_KERNELS, RESIZE_BILINEAR_OP } from '../../../src/runtime/kernels/image-resize.js';
import { run, values } from './helpers.js';

await tf.setBackend('cpu');
const [H, W] = [17, 23];
const x = tf.tensor4d(Array.from({ length: H * W }, (_, i) => (i * 97 + 13) % 256), [1, H, W, 1]);
const size = (h: number, w: number): tf.Tensor => tf.tensor1d([h, w], 'int32');

// tf.raw_ops.ResizeBilinear(images=x, size=..., ...) printed as float32 values
const TF = {
  half: [56.94048309326172, 119.65479278564453, 167.13096618652344, 223.75, 51.797698974609375, 114.51187896728516, 158.94052124023438, 106.10714721679688, 141.3928680419922, 185.82144165039062, 38.25, 100.96436309814453, 127.10713195800781, 171.53573608398438, 140.0357208251953, 172.2738037109375, 97.84524536132812, 87.41668701171875, 119.65475463867188, 151.89283752441406, 56.13089370727539, 183.10716247558594, 72.10709381103516, 104.3452377319336, 136.5833740234375, 156.6309051513672, 115.72628021240234, 83.96430969238281, 52.46428680419922, 96.89286804199219, 141.32144165039062, 185.75, 175.3212890625, 82.60713195800781, 127.03573608398438, 65.05947875976562, 109.48814392089844, 172.20242309570312, 234.91668701171875, 56.86907196044922, 113.4880599975586, 167.05960083007812],
  legacy: [13.0, 118.66666412353516, 224.3333282470703, 73.99994659423828, 179.66665649414062, 228.44442749023438, 134.99990844726562, 212.22225952148438, 90.33329772949219, 123.20001983642578, 126.4666519165039, 95.60001373291016, 150.066650390625, 187.46664428710938, 116.77779388427734, 176.9333038330078, 83.48887634277344, 143.64443969726562, 28.599987030029297, 111.51111602783203, 194.4222412109375, 89.59992980957031, 155.4444580078125, 204.22222900390625, 116.46662139892578, 182.3111572265625, 105.93328857421875, 87.60014343261719, 142.0666046142578, 65.68901062011719, 131.5333709716797, 203.0666046142578, 92.5556640625, 175.46661376953125, 53.57784652709961, 136.4888916015625, 44.199974060058594, 104.35557556152344, 164.51116943359375, 105.19992065429688, 131.22225952148438, 180.0000457763672, 97.93334197998047, 152.40005493164062, 121.53327178955078],
  align: [13.0, 183.80001831054688, 98.60002136230469, 218.1998748779297, 184.20004272460938, 99.0, 135.66665649414062, 101.66668701171875, 84.73333740234375, 136.0667266845703, 85.00000762939453, 221.66665649414062, 173.00006103515625, 139.00001525878906, 122.066650390625, 139.2666473388672, 122.33336639404297, 88.33331298828125, 125.0, 39.800010681152344, 210.6000213623047, 125.40007019042969, 142.59994506835938, 211.0],
};

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
