/**
 * Image resizing ops tfjs-converter does not map, with TensorFlow's semantics
 * (tensorflow/core/kernels/image/resize_bicubic_op.cc, resize_area_op.cc,
 * scale_and_translate_op.cc and sampling_kernels.h): `ResizeBicubic` (align_corners,
 * half_pixel_centers with Keys' a = -0.5 and edge weights renormalised, or the legacy
 * a = -0.75 with edges clamped; weights from TF's 1024-entry table), `ResizeArea` and
 * `ScaleAndTranslate` (tf.image.resize with antialias or lanczos/gaussian/box/mitchell
 * kernels). Every op is separable: each output row and column is a weighted sum of input
 * rows and columns ("taps"); scales and sample positions are computed in float32 as TF
 * does. Images are NHWC of any real type; results are float32.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrFloat, attrText, numbersOf } from './util.js';

const f32 = Math.fround;

/** Input indices and weights that make one output row (or column). */
interface Taps {
  readonly idx: number[];
  readonly w: number[];
}

/** The 4-D image and the output size from a `size` input, checked as TF checks them. */
function imageAndSize(node: GraphNode, op: string): { x: tf.Tensor; shape: number[]; out: [number, number] } {
  const x = kernelInput(node, 0);
  if (x.rank !== 4) throw Errors.kernelArgument(`input must be 4-dimensional[${x.shape.join(',')}]`);
  const size = numbersOf(kernelInput(node, 1));
  if (size.length !== 2) throw Errors.kernelArgument(`shape_t must have two elements ${size.length}`);
  if (size[0]! <= 0 || size[1]! <= 0) throw Errors.kernelArgument(`${op}: output dimensions must be positive`);
  if (x.shape[1] === 0 || x.shape[2] === 0) throw Errors.kernelArgument(`${op}: input image must be of non-zero size`);
  return { x, shape: x.shape, out: [size[0]!, size[1]!] };
}

/** out[b, y, x, c] = Σ rows[y].w · Σ cols[x].w · in[b, rows[y].idx, cols[x].idx, c]. */
function separable(x: tf.Tensor, shape: readonly number[], rows: readonly Taps[], cols: readonly Taps[]): tf.Tensor {
  const [n, h, w, c] = shape as [number, number, number, number];
  const src = x.dataSync() as ArrayLike<number>;
  const oh = rows.length;
  const ow = cols.length;
  const mid = new Float64Array(oh * w * c);
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    mid.fill(0);
    for (let y = 0; y < oh; y++) {
      const t = rows[y]!;
      for (let k = 0; k < t.idx.length; k++) {
        const base = ((b * h + t.idx[k]!) * w) * c;
        const wk = t.w[k]!;
        for (let i = 0; i < w * c; i++) mid[y * w * c + i]! += wk * src[base + i]!;
      }
    }
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const t = cols[xo]!;
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let k = 0; k < t.idx.length; k++) s += t.w[k]! * mid[(y * w + t.idx[k]!) * c + ch]!;
          out[((b * oh + y) * ow + xo) * c + ch] = s;
        }
      }
    }
  }
  return tf.tensor(out, [n, oh, ow, c], 'float32');
}

/** TF's CalculateResizeScale, in float32. */
function resizeScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize);
}

const TABLE_SIZE = 1024;
const cubicTables = new Map<number, Float32Array>();

/** TF's bicubic coefficient table for a = -0.5 (Keys) or -0.75 (legacy). */
function cubicTable(a: number): Float32Array {
  let t = cubicTables.get(a);
  if (t) return t;
  t = new Float32Array((TABLE_SIZE + 1) * 2);
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let x = i / TABLE_SIZE;
    t[i * 2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x += 1;
    t[i * 2 + 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  }
  cubicTables.set(a, t);
  return t;
}

/** lrintf: round half to even. */
function lrint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function bicubicTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): Taps[] {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const keys = halfPixel;
  const table = cubicTable(keys ? -0.5 : -0.75);
  const taps: Taps[] = [];
  for (let o = 0; o < outSize; o++) {
    const at = halfPixel ? f32(f32(f32(o + 0.5) * scale) - 0.5) : f32(o * scale);
    const loc = Math.floor(at);
    const off = lrint(f32(f32(at - loc) * TABLE_SIZE));
    const w = [table[off * 2 + 1]!, table[off * 2]!, table[(TABLE_SIZE - off) * 2]!, table[(TABLE_SIZE - off) * 2 + 1]!];
    const idx = [loc - 1, loc, loc + 1, loc + 2].map((i) => Math.min(Math.max(i, 0), inSize - 1));
    if (keys) {
      // Samples outside the image get weight 0 and the rest are renormalised.
      for (let k = 0; k < 4; k++) if (idx[k] !== loc - 1 + k) w[k] = 0;
      const sum = f32(f32(f32(w[0]! + w[1]!) + w[2]!) + w[3]!);
      if (Math.abs(sum) >= 1000 * 1.1754943508222875e-38) {
        const inv = f32(1 / sum);
        for (let k = 0; k < 4; k++) w[k] = f32(w[k]! * inv);
      }
    }
    taps.push({ idx, w });
  }
  return taps;
}

function resizeBicubic(node: GraphNode): tf.Tensor {
  const { x, shape, out } = imageAndSize(node, 'ResizeBicubic');
  const align = attrBool(node, 'align_corners', false);
  const half = attrBool(node, 'half_pixel_centers', false);
  if (align && half) throw Errors.kernelArgument('If half_pixel_centers is True, align_corners must be False.');
  return separable(x, shape, bicubicTaps(shape[1]!, out[0], align, half), bicubicTaps(shape[2]!, out[1], align, half));
}

/** ResizeArea: each output cell averages the input cells it covers, weighted by overlap. */
function areaTaps(inSize: number, outSize: number, alignCorners: boolean): Taps[] {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const norm = f32(1 / scale);
  const taps: Taps[] = [];
  for (let o = 0; o < outSize; o++) {
    const lo = f32(o * scale);
    const hi = f32((o + 1) * scale);
    const idx: number[] = [];
    const w: number[] = [];
    for (let i = Math.floor(lo); i < Math.ceil(hi); i++) {
      const part = i < lo ? (i + 1 > hi ? scale : f32(i + 1 - lo)) : i + 1 > hi ? f32(hi - i) : 1;
      idx.push(Math.min(i, inSize - 1));
      w.push(part * norm);
    }
    taps.push({ idx, w });
  }
  return taps;
}

function resizeArea(node: GraphNode): tf.Tensor {
  const { x, shape, out } = imageAndSize(node, 'ResizeArea');
  const align = attrBool(node, 'align_corners', false);
  return separable(x, shape, areaTaps(shape[1]!, out[0], align), areaTaps(shape[2]!, out[1], align));
}

/** sampling_kernels.h: the kernel function and its radius. */
interface SamplingKernel {
  readonly radius: number;
  readonly f: (x: number) => number;
}

const PI = f32(3.14159265359);

function lanczos(radius: number): SamplingKernel {
  return {
    radius,
    f: (x) => {
      x = Math.abs(x);
      if (x > radius) return 0;
      if (x <= 1e-3) return 1;
      return f32((radius * Math.sin(PI * x) * Math.sin((PI * x) / radius)) / (PI * PI * x * x));
    },
  };
}

const SAMPLING_KERNELS: Readonly<Record<string, SamplingKernel>> = {
  lanczos1: lanczos(1),
  lanczos3: lanczos(3),
  lanczos5: lanczos(5),
  // sigma 0.5, radius 3 sigma (Turkowski's suggestion, as TF)
  gaussian: { radius: 1.5, f: (x) => (Math.abs(x) >= 1.5 ? 0 : f32(Math.exp((-x * x) / (2 * 0.5 * 0.5)))) },
  box: { radius: 1, f: (x) => (Math.abs(x) < 0.5 ? 1 : Math.abs(x) === 0.5 ? 0.5 : 0) },
  triangle: { radius: 1, f: (x) => (Math.abs(x) < 1 ? f32(1 - Math.abs(x)) : 0) },
  keyscubic: {
    radius: 2,
    f: (x) => {
      x = Math.abs(x);
      if (x >= 2) return 0;
      return f32(x >= 1 ? ((-0.5 * x + 2.5) * x - 4) * x + 2 : (1.5 * x - 2.5) * x * x + 1);
    },
  },
  mitchellcubic: {
    radius: 2,
    f: (x) => {
      x = Math.abs(x);
      if (x >= 2) return 0;
      return f32(x >= 1 ? (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9 : ((7 / 6) * x - 2) * x * x + 8 / 9);
    },
  },
};

/** ComputeSpansCore: the input span and normalised kernel weights of each output pixel. */
function spanTaps(k: SamplingKernel, outSize: number, inSize: number, scale: number, translate: number, antialias: boolean): Taps[] {
  const invScale = f32(1 / scale);
  const invTranslate = f32(-invScale * translate);
  const kScale = antialias ? Math.max(invScale, 1) : 1;
  const reach = f32(k.radius * kScale);
  const taps: Taps[] = [];
  for (let o = 0; o < outSize; o++) {
    const sample = f32(f32(f32(o + 0.5) * invScale) + invTranslate);
    if (sample < 0 || sample > inSize) {
      taps.push({ idx: [], w: [] });
      continue;
    }
    const start = Math.min(Math.max(Math.ceil(f32(f32(sample - reach) - 0.5)), 0), inSize - 1);
    const end = Math.min(Math.max(Math.floor(f32(f32(sample + reach) - 0.5)), 0), inSize - 1) + 1;
    const idx: number[] = [];
    const w: number[] = [];
    let sum = 0;
    for (let s = start; s < end; s++) {
      const weight = k.f(Math.abs(f32(f32(f32(s + 0.5) - sample) * f32(1 / kScale))));
      sum = f32(sum + weight);
      idx.push(s);
      w.push(weight);
    }
    if (Math.abs(sum) >= 1000 * 1.1754943508222875e-38) {
      const inv = f32(1 / sum);
      taps.push({ idx, w: w.map((v) => f32(v * inv)) });
    } else taps.push({ idx, w: w.map(() => 0) });
  }
  return taps;
}

function scaleAndTranslate(node: GraphNode): tf.Tensor {
  const op = 'ScaleAndTranslate';
  const { x, shape, out } = imageAndSize(node, op);
  const scale = numbersOf(kernelInput(node, 2));
  const translate = numbersOf(kernelInput(node, 3));
  if (scale.length !== 2 || translate.length !== 2) throw Errors.kernelArgument('scale and translation must be of size 2.');
  if (scale[0]! <= 0 || scale[1]! <= 0) throw Errors.kernelArgument('Scale must be greater than zero.');
  const kernelType = attrText(node, 'kernel_type', 'lanczos3');
  const k = SAMPLING_KERNELS[kernelType];
  if (!k) throw Errors.kernelArgument(`Unrecognized kernel type: ${kernelType}`);
  const aa = attrBool(node, 'antialias', true);
  const rows = spanTaps(k, out[0], shape[1]!, scale[0]!, translate[0]!, aa);
  const cols = spanTaps(k, out[1], shape[2]!, scale[1]!, translate[1]!, aa);
  return separable(x, shape, rows, cols);
}

/** Renamed `CropAndResize` (index.ts KERNEL_OVERRIDES): tfjs's cpu kernel computes positions in double. */
export const CROP_AND_RESIZE_OP = '_TfsCropAndResize';

/** One box's sample positions along an axis, in float32 as crop_and_resize_op.cc writes them. */
function cropPositions(lo: number, hi: number, inSize: number, outSize: number): number[] {
  const scale = outSize > 1 ? f32(f32(f32(hi - lo) * (inSize - 1)) / (outSize - 1)) : 0;
  const pos: number[] = [];
  for (let i = 0; i < outSize; i++) {
    // the single-sample case multiplies by the double 0.5 before the float32 store
    pos.push(outSize > 1 ? f32(f32(lo * (inSize - 1)) + f32(i * scale)) : f32(0.5 * f32(lo + hi) * (inSize - 1)));
  }
  return pos;
}

/** roundf: halves away from zero (Math.round takes -2.5 to -2). */
const roundAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/**
 * CropAndResize (crop_and_resize_op.cc): positions in float32, so a sample that lands on .5
 * in float32 but not in double rounds as TF does (tfjs cpu's `nearest` picked the next row);
 * bilinear lerps in float32; samples outside the image take extrapolation_value.
 */
function cropAndResize(node: GraphNode): tf.Tensor {
  const image = kernelInput(node, 0);
  const boxes = numbersOf(kernelInput(node, 1));
  const boxInd = numbersOf(kernelInput(node, 2));
  const size = numbersOf(kernelInput(node, 3));
  if (image.rank !== 4) throw Errors.kernelArgument(`input image must be 4-D${JSON.stringify(image.shape)}`);
  const [n, h, w, c] = image.shape as [number, number, number, number];
  if (h <= 0 || w <= 0) throw Errors.kernelArgument('image dimensions must be positive');
  const nb = boxInd.length;
  if (boxes.length !== nb * 4) throw Errors.kernelArgument('boxes must be of shape [num_boxes, 4] and box_index of shape [num_boxes]');
  if (size.length !== 2 || size[0]! <= 0 || size[1]! <= 0) throw Errors.kernelArgument('crop dimensions must be positive');
  if (boxInd.some((b) => b < 0 || b >= n)) throw Errors.kernelArgument(`box_index has values outside [0, batch_size)`);
  const [oh, ow] = size as [number, number];
  const nearest = attrText(node, 'method', 'bilinear') === 'nearest';
  const extrapolation = f32(attrFloat(node, 'extrapolation_value', 0));
  const src = image.dataSync() as ArrayLike<number>;
  const out = new Float32Array(nb * oh * ow * c).fill(extrapolation);
  const at = (b: number, y: number, x: number, d: number): number => f32(src[((b * h + y) * w + x) * c + d]!);
  for (let k = 0; k < nb; k++) {
    const ys = cropPositions(f32(boxes[4 * k]!), f32(boxes[4 * k + 2]!), h, oh);
    const xs = cropPositions(f32(boxes[4 * k + 1]!), f32(boxes[4 * k + 3]!), w, ow);
    const b = boxInd[k]!;
    for (let y = 0; y < oh; y++) {
      const iy = ys[y]!;
      if (iy < 0 || iy > h - 1) continue;
      for (let x = 0; x < ow; x++) {
        const ix = xs[x]!;
        if (ix < 0 || ix > w - 1) continue;
        const o = ((k * oh + y) * ow + x) * c;
        for (let d = 0; d < c; d++) {
          if (nearest) {
            out[o + d] = at(b, roundAway(iy), roundAway(ix), d);
            continue;
          }
          const [ty, by, tx, bx] = [Math.floor(iy), Math.ceil(iy), Math.floor(ix), Math.ceil(ix)];
          const yl = f32(iy - ty);
          const xl = f32(ix - tx);
          const top = f32(at(b, ty, tx, d) + f32(f32(at(b, ty, bx, d) - at(b, ty, tx, d)) * xl));
          const bottom = f32(at(b, by, tx, d) + f32(f32(at(b, by, bx, d) - at(b, by, tx, d)) * xl));
          out[o + d] = f32(top + f32(f32(bottom - top) * yl));
        }
      }
    }
  }
  return tf.tensor(out, [nb, oh, ow, c], 'float32');
}

/** Renamed `ResizeBilinear` (index.ts KERNEL_OVERRIDES): tfjs (cpu and wasm) places samples in double. */
export const RESIZE_BILINEAR_OP = '_TfsResizeBilinear';

/** Lower and upper source index and lerp per output index, as resize_bilinear_op.cc's compute_interpolation_weights. */
function bilinearAxis(outSize: number, inSize: number, alignCorners: boolean, halfPixel: boolean): Array<[number, number, number]> {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const axis: Array<[number, number, number]> = [];
  for (let i = 0; i < outSize; i++) {
    // HalfPixelScaler (x + 0.5f) * scale - 0.5f, or LegacyScaler x * scale, each step rounded to float32
    const at = halfPixel ? f32(f32(f32(i + 0.5) * scale) - 0.5) : f32(i * scale);
    const lo = Math.floor(at);
    axis.push([Math.max(lo, 0), Math.min(Math.ceil(at), inSize - 1), f32(at - lo)]);
  }
  return axis;
}

/**
 * ResizeBilinear (resize_bilinear_op.cc): sample positions, lerp weights and both lerps in
 * float32 as TF computes them; tfjs's double positions moved samples by ~1e-6 of a pixel,
 * 1e-3 off on 0..255 images and a class flip after a truncating uint8 cast.
 */
function resizeBilinear(node: GraphNode): tf.Tensor {
  const { x, shape, out } = imageAndSize(node, 'ResizeBilinear');
  const alignCorners = attrBool(node, 'align_corners', false);
  const halfPixel = attrBool(node, 'half_pixel_centers', false);
  if (alignCorners && halfPixel) throw Errors.kernelArgument('If half_pixel_centers is True, align_corners must be False.');
  const [n, h, w, c] = shape as [number, number, number, number];
  const [oh, ow] = out;
  const ys = bilinearAxis(oh, h, alignCorners, halfPixel);
  const xs = bilinearAxis(ow, w, alignCorners, halfPixel);
  const src = x.dataSync() as ArrayLike<number>;
  const res = new Float32Array(n * oh * ow * c);
  const at = (b: number, y: number, xi: number, d: number): number => f32(src[((b * h + y) * w + xi) * c + d]!);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const [yt, yb, yl] = ys[y]!;
      for (let xo = 0; xo < ow; xo++) {
        const [xl0, xr, xl] = xs[xo]!;
        const o = ((b * oh + y) * ow + xo) * c;
        for (let d = 0; d < c; d++) {
          const tl = at(b, yt, xl0, d);
          const bl = at(b, yb, xl0, d);
          const top = f32(tl + f32(f32(at(b, yt, xr, d) - tl) * xl));
          const bottom = f32(bl + f32(f32(at(b, yb, xr, d) - bl) * xl));
          res[o + d] = f32(top + f32(f32(bottom - top) * yl));
        }
      }
    }
  }
  return tf.tensor(res, [n, oh, ow, c], 'float32');
}

/** Renamed `ResizeNearestNeighbor` (index.ts KERNEL_OVERRIDES): tfjs places samples in double. */
export const RESIZE_NEAREST_OP = '_TfsResizeNearestNeighbor';

/** Source index per output index, as resize_nearest_neighbor_op.cc computes it in float32. */
function nearestAxis(outSize: number, inSize: number, alignCorners: boolean, halfPixel: boolean): number[] {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const idx: number[] = [];
  for (let i = 0; i < outSize; i++) {
    // HalfPixelScalerForNN (x + 0.5f) * scale (no -0.5), or LegacyScaler x * scale; roundf when aligned
    const at = halfPixel ? f32(f32(i + 0.5) * scale) : f32(i * scale);
    const k = Math.min(alignCorners ? Math.round(at) : Math.floor(at), inSize - 1);
    idx.push(halfPixel ? Math.max(k, 0) : k);
  }
  return idx;
}

/**
 * ResizeNearestNeighbor: TF's float32 positions land exactly on a pixel edge where the double ones
 * fall short (2 → 41 rows, row 20: 20.5 * (2/41)), so tfjs picked the row before. The rows and
 * columns TF picks are gathered (any dtype).
 */
function resizeNearest(node: GraphNode): tf.Tensor {
  const { x, shape, out } = imageAndSize(node, 'ResizeNearestNeighbor');
  const alignCorners = attrBool(node, 'align_corners', false);
  const halfPixel = attrBool(node, 'half_pixel_centers', false);
  if (alignCorners && halfPixel) throw Errors.kernelArgument('If half_pixel_centers is True, align_corners must be False.');
  const rows = nearestAxis(out[0], shape[1]!, alignCorners, halfPixel);
  const cols = nearestAxis(out[1], shape[2]!, alignCorners, halfPixel);
  return tf.tidy(() => tf.gather(tf.gather(x, tf.tensor1d(rows, 'int32'), 1), tf.tensor1d(cols, 'int32'), 2));
}

export const IMAGE_RESIZE_KERNELS: readonly KernelEntry[] = [
  { op: CROP_AND_RESIZE_OP, kernel: cropAndResize },
  { op: RESIZE_BILINEAR_OP, kernel: resizeBilinear },
  { op: RESIZE_NEAREST_OP, kernel: resizeNearest },
  { op: 'ResizeBicubic', kernel: resizeBicubic },
  { op: 'ResizeArea', kernel: resizeArea },
  { op: 'ScaleAndTranslate', kernel: scaleAndTranslate },
];
