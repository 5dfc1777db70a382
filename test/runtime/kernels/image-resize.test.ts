/**
 * ResizeBicubic, ResizeArea and ScaleAndTranslate against TensorFlow 2.21's tf.raw_ops on
 * one 4x5 image (fixtures/resize-cases.json): legacy/aligned/half-pixel bicubic, area up
 * and aligned, every ScaleAndTranslate kernel with translation, with and without antialias.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IMAGE_RESIZE_KERNELS } from '../../../src/runtime/kernels/image-resize.js';
import { repoRoot } from '../../helpers/paths.js';
import { run as runIn, s, values } from './helpers.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';

type Want = [number[], number[]];
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'resize-cases.json'), 'utf8')) as Record<string, Want> & { x: number[] };

await tf.setBackend('cpu');
const x = tf.tensor4d(CASES.x, [1, 4, 5, 1]);
const size = (h: number, w: number): tf.Tensor => tf.tensor1d([h, w], 'int32');
const b = (v: boolean): AttrJson => ({ b: v });

function check(name: string, got: tf.Tensor): void {
  const [shape, want] = CASES[name]!;
  assert.deepEqual(got.shape, shape, name);
  values(got).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 * Math.abs(want[i]!) + 1e-6, `${name}[${i}]: ${v}, TF ${want[i]}`));
}

test('ResizeBicubic: legacy, align_corners and half_pixel_centers as TF', () => {
  check('bicubic_legacy', runIn(IMAGE_RESIZE_KERNELS, 'ResizeBicubic', [x, size(3, 7)])[0]!);
  check('bicubic_align', runIn(IMAGE_RESIZE_KERNELS, 'ResizeBicubic', [x, size(6, 3)], { align_corners: b(true) })[0]!);
  check('bicubic_half', runIn(IMAGE_RESIZE_KERNELS, 'ResizeBicubic', [x, size(7, 2)], { half_pixel_centers: b(true) })[0]!);
  assert.throws(() => runIn(IMAGE_RESIZE_KERNELS, 'ResizeBicubic', [x, size(2, 2)], { align_corners: b(true), half_pixel_centers: b(true) }));
});

test('ResizeArea: upsampling and align_corners as TF', () => {
  check('area_up', runIn(IMAGE_RESIZE_KERNELS, 'ResizeArea', [x, size(6, 7)])[0]!);
  check('area_align', runIn(IMAGE_RESIZE_KERNELS, 'ResizeArea', [x, size(3, 3)], { align_corners: b(true) })[0]!);
});

test('ScaleAndTranslate: every kernel, translation, antialias on and off as TF', () => {
  const st = (h: number, w: number, scale: number[], tr: number[], kernel: string, aa: boolean): tf.Tensor =>
    runIn(IMAGE_RESIZE_KERNELS, 'ScaleAndTranslate', [x, size(h, w), tf.tensor1d(scale), tf.tensor1d(tr)], { kernel_type: s(kernel), antialias: b(aa) })[0]!;
  for (const k of ['gaussian', 'box', 'mitchellcubic', 'keyscubic', 'lanczos5', 'triangle']) check(`st_${k}`, st(3, 4, [0.7, 0.8], [0.3, -0.4], k, true));
  check('st_lanczos1_noaa', st(5, 6, [1.3, 1.1], [-0.5, 0.2], 'lanczos1', false));
  assert.throws(() => st(2, 2, [1, 1], [0, 0], 'cosine', true), /Unrecognized kernel type: cosine/);
});
