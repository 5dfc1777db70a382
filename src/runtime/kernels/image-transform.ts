/**
 * `ImageProjectiveTransformV2`/`V3` as TensorFlow computes them (image_ops.h `ProjectiveGenerator`):
 * tfjs's `transform` (which tfjs-converter maps V3 to) reflects and wraps differently from TF
 * (its reflect mode mirrors about the edge pixel's centre, TF about its outer edge), its cpu
 * kernel filled every sample of a batch after the first, and it takes float32 images only. Used by
 * `tf.raw_ops.ImageProjectiveTransformV3`, Keras 3 `ops.image.affine_transform` and the
 * RandomRotation/RandomZoom/RandomTranslation layers' graphs.
 *
 * Each output pixel (x, y) maps back to the input through the 8 transform values with float32
 * arithmetic, the input coordinate is folded into the image by the fill mode, and the pixel is read
 * nearest (round half away from zero) or bilinearly; reads that stay outside give `fill_value`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText, numbersOf } from './util.js';

const f32 = Math.fround;

/** Renamed `ImageProjectiveTransformV3` (index.ts KERNEL_OVERRIDES); tfjs maps the op itself. */
export const PROJECTIVE_TRANSFORM_OP = '_TfsImageProjectiveTransformV3';

type Fold = (c: number, len: number) => number;

/** Eigen's scalar_clamp_op to [0, len - 1]. */
const clampTo = (c: number, len: number): number => Math.min(Math.max(c, 0), len - 1);

/** C++'s static_cast<int64>(float): truncation toward zero. */
const trunc = Math.trunc;

/** MapCoordinate<FILL_REFLECT>: [abcd] → [dcba|abcd|dcba], each step rounded to float32. */
function reflect(c: number, len: number): number {
  let v = c;
  if (v < 0) {
    if (len <= 1) v = 0;
    else {
      const sz2 = 2 * len;
      if (v < sz2) v = f32(sz2 * trunc(f32(-v / sz2)) + v);
      v = v < -len ? f32(v + sz2) : f32(-v - 1);
    }
  } else if (v > len - 1) {
    if (len <= 1) v = 0;
    else {
      const sz2 = 2 * len;
      v = f32(v - sz2 * trunc(f32(v / sz2)));
      if (v >= len) v = f32(sz2 - v - 1);
    }
  }
  return clampTo(v, len);
}

/** MapCoordinate<FILL_WRAP>: [abcd] → [abcd|abcd|abcd] (TF divides by len - 1, as written there). */
function wrap(c: number, len: number): number {
  let v = c;
  if (v < 0) {
    if (len <= 1) v = 0;
    else v = f32(v + len * (trunc(f32(-v / (len - 1))) + 1));
  } else if (v > len - 1) {
    if (len <= 1) v = 0;
    else v = f32(v - len * trunc(f32(v / (len - 1))));
  }
  return clampTo(v, len);
}

const FOLDS: Record<string, Fold> = {
  REFLECT: reflect,
  WRAP: wrap,
  CONSTANT: (c) => c,
  NEAREST: clampTo,
};

/** std::round: halves away from zero. */
const roundAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

interface Geometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
}

function geometry(images: tf.Tensor, transforms: tf.Tensor, outShape: number[]): Geometry {
  if (images.rank !== 4) throw Errors.kernelArgument(`Input images must have rank 4`);
  const [n, h, w, c] = images.shape as [number, number, number, number];
  if (transforms.rank !== 2 || transforms.shape[1] !== 8 || (transforms.shape[0] !== 1 && transforms.shape[0] !== n)) {
    throw Errors.kernelArgument('Input transform should be num_images x 8 or 1 x 8');
  }
  if (outShape.length !== 2) throw Errors.kernelArgument('output shape must be 1-dimensional and 2 elements');
  const [oh, ow] = outShape as [number, number];
  if (oh <= 0 || ow <= 0) throw Errors.kernelArgument('output dimensions must be positive');
  return { n, h, w, c, oh, ow };
}

/** Runs the transform; `cast` stores a float32 result as the output type does (T(float) in C++). */
function project(node: GraphNode, fillValue: number): tf.Tensor {
  const images = kernelInput(node, 0);
  const transforms = kernelInput(node, 1);
  const g = geometry(images, transforms, numbersOf(kernelInput(node, 2)));
  const mode = attrText(node, 'fill_mode', 'CONSTANT');
  const fold = FOLDS[mode];
  if (!fold) throw Errors.kernelArgument(`Invalid fill_mode: ${mode}`);
  const interp = attrText(node, 'interpolation', '');
  if (interp !== 'NEAREST' && interp !== 'BILINEAR') throw Errors.kernelArgument(`Invalid interpolation ${interp}`);
  const src = images.dataSync() as ArrayLike<number>;
  const t = numbersOf(transforms).map(f32);
  const isFloat = images.dtype === 'float32';
  const cast = isFloat ? f32 : trunc;
  const fill = cast(f32(fillValue));
  const { n, h, w, c, oh, ow } = g;
  const read = (b: number, y: number, x: number, d: number): number =>
    y >= 0 && y < h && x >= 0 && x < w ? src[((b * h + y) * w + x) * c + d]! : fill;
  const out = new (isFloat ? Float32Array : Int32Array)(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    const k = transforms.shape[0] === 1 ? 0 : 8 * b;
    const [a0, a1, a2, b0, b1, b2, c0, c1] = t.slice(k, k + 8) as [number, number, number, number, number, number, number, number];
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = ((b * oh + oy) * ow + ox) * c;
        const proj = f32(f32(f32(c0 * ox) + f32(c1 * oy)) + 1);
        if (proj === 0) {
          out.fill(fill, o, o + c);
          continue;
        }
        const x = fold(f32(f32(f32(f32(a0 * ox) + f32(a1 * oy)) + a2) / proj), w);
        const y = fold(f32(f32(f32(f32(b0 * ox) + f32(b1 * oy)) + b2) / proj), h);
        for (let d = 0; d < c; d++) {
          out[o + d] = interp === 'NEAREST' ? read(b, trunc(roundAway(y)), trunc(roundAway(x)), d) : cast(bilinear(read, b, y, x, d));
        }
      }
    }
  }
  return tf.tensor(out, [n, oh, ow, c], isFloat ? 'float32' : 'int32');
}

/** ProjectiveGenerator::bilinear_interpolation, in float32 with TF's operation order. */
function bilinear(read: (b: number, y: number, x: number, d: number) => number, b: number, y: number, x: number, d: number): number {
  const yf = Math.floor(y);
  const xf = Math.floor(x);
  const yc = yf + 1;
  const xc = xf + 1;
  const at = (yy: number, xx: number): number => f32(read(b, yy, xx, d));
  const lerpX = (yy: number): number => f32(f32(f32(xc - x) * at(yy, xf)) + f32(f32(x - xf) * at(yy, xc)));
  return f32(f32(f32(yc - y) * lerpX(yf)) + f32(f32(y - yf) * lerpX(yc)));
}

export const IMAGE_TRANSFORM_KERNELS: readonly KernelEntry[] = [
  { op: PROJECTIVE_TRANSFORM_OP, kernel: (node) => [project(node, numbersOf(kernelInput(node, 3))[0] ?? 0)] },
  // V2 (tf.keras 2's preprocessing layers) has no fill_value input: it fills with 0
  { op: 'ImageProjectiveTransformV2', kernel: (node) => [project(node, 0)] },
];
