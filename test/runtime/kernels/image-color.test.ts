/**
 * Colour and patch image kernels (kernels/image-color.ts) against TensorFlow 2.21's CPU kernels
 * (tf.image.rgb_to_hsv, hsv_to_rgb, adjust_hue, adjust_saturation, adjust_contrast, extract_patches).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_COLOR_KERNELS } from '../../../src/runtime/kernels/image-color.js';
import { run, s, values } from './helpers.js';

await tf.setBackend('cpu');

// a 2x3 image: green, grey, pink-red, black, violet, light red
const img = tf.tensor([0.2, 0.7, 0.1, 0.5, 0.5, 0.5, 0.9, 0.1, 0.4, 0, 0, 0, 0.3, 0.2, 0.8, 1, 0.6, 0.6], [1, 2, 3, 3]);
const op = (name: string, ...extra: tf.Tensor[]) => values(run(IMAGE_COLOR_KERNELS, name, [img, ...extra])[0]!);
// Exact (TF's float32 steps), but AdjustContrastv2's mean, which Eigen sums in its own order: 1 ulp.
const close = (got: number[], want: number[], rel = 0) => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= rel * Math.max(1, Math.abs(want[i]!)), `[${i}] ${g} vs TF ${want[i]}`));
};

test('RGBToHSV and HSVToRGB give TF\'s values (grey and black pixels too)', () => {
  close(op('RGBToHSV'), [0.3055555522441864, 0.8571428060531616, 0.699999988079071, 0, 0, 0.5, 0.9375, 0.8888888359069824, 0.8999999761581421,
    0, 0, 0, 0.694444477558136, 0.75, 0.800000011920929, 0, 0.3999999761581421, 1]);
  close(op('HSVToRGB'), [0.085999995470047, 0.10000000149011612, 0.030000001192092896, 0.25, 0.5, 0.5, 0.4000000059604645, 0.35999998450279236,
    0.3840000331401825, 0, 0, 0, 0.671999990940094, 0.800000011920929, 0.64000004529953, 0.6000000238418579, 0.23999999463558197, 0.23999999463558197]);
  assert.throws(() => run(IMAGE_COLOR_KERNELS, 'RGBToHSV', [tf.zeros([2, 4])]), /must have 3 channels but instead has 4/);
});

test('AdjustHue (negative delta wraps), AdjustSaturation (clamped) and AdjustContrastv2 give TF\'s values', () => {
  close(op('AdjustHue', tf.scalar(-0.7)), [0.10000000149011612, 0.31999993324279785, 0.699999988079071, 0.5, 0.5, 0.5, 0.5599998235702515,
    0.8999999761581421, 0.10000000149011612, 0, 0, 0, 0.800000011920929, 0.20000000298023224, 0.2199999839067459, 0.6799999475479126, 1,
    0.6000000238418579]);
  close(op('AdjustSaturation', tf.scalar(1.8)), [0.11666671931743622, 0.699999988079071, 0, 0.5, 0.5, 0.5, 0.8999999761581421, 0,
    0.3374999761581421, 0, 0, 0, 0.1333332061767578, 0, 0.800000011920929, 1, 0.28000009059906006, 0.28000009059906006]);
  close(op('AdjustContrastv2', tf.scalar(0.6)), [0.31333333253860474, 0.5600000023841858, 0.2199999988079071, 0.4933333396911621,
    0.4399999976158142, 0.46000000834465027, 0.7333333492279053, 0.20000000298023224, 0.4000000059604645, 0.19333332777023315,
    0.14000000059604645, 0.1600000113248825, 0.3733333349227905, 0.25999999046325684, 0.64000004529953, 0.7933332920074463, 0.5,
    0.5200000405311584], 2 ** -23);
  assert.throws(() => op('AdjustHue', tf.tensor([0.1, 0.2])), /delta must be scalar/);
});

test('ExtractImagePatches (SAME with strides, VALID with rates) and SpaceToDepth give TF\'s values', () => {
  const y = tf.tensor(Array.from({ length: 36 }, (_, i) => i), [1, 3, 3, 4]);
  const ints = (v: number[]) => ({ list: { i: v } });
  const patches = (k: number, st: number, rate: number, pad: string) =>
    run(IMAGE_COLOR_KERNELS, 'ExtractImagePatches', [y], { ksizes: ints([1, k, k, 1]), strides: ints([1, st, st, 1]), rates: ints([1, rate, rate, 1]), padding: s(pad) })[0]!;
  const same = patches(2, 2, 1, 'SAME');
  assert.deepEqual(same.shape, [1, 2, 2, 16]);
  assert.deepEqual(values(same), [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19, 8, 9, 10, 11, 0, 0, 0, 0, 20, 21, 22, 23, 0, 0, 0, 0,
    24, 25, 26, 27, 28, 29, 30, 31, 0, 0, 0, 0, 0, 0, 0, 0, 32, 33, 34, 35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(values(patches(2, 1, 2, 'VALID')), [0, 1, 2, 3, 8, 9, 10, 11, 24, 25, 26, 27, 32, 33, 34, 35]);
  // tf.nn.space_to_depth(arange(16).reshape(1, 2, 4, 2), 2)
  const sd = run(IMAGE_COLOR_KERNELS, 'SpaceToDepth', [tf.tensor(Array.from({ length: 16 }, (_, i) => i), [1, 2, 4, 2])], { block_size: { i: 2 } })[0]!;
  assert.deepEqual(sd.shape, [1, 1, 2, 8]);
  assert.deepEqual(values(sd), [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15]);
});
