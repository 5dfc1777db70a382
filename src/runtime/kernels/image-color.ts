/**
 * Colour and patch image ops as TF's CPU kernels compute them in float32:
 * `RGBToHSV`, `HSVToRGB` (TF's colorspace functors), `AdjustHue` (through hue and the value
 * range, hue in [0, 6)), `AdjustSaturation` (through HSV, saturation clamped to [0, 1]),
 * `AdjustContrastv2` (per image and channel: mean + (x − mean) · factor),
 * `ExtractImagePatches` (zero padding outside the image) and `SpaceToDepth` (NHWC). Every
 * intermediate is rounded to float32 where TF's kernel holds it in a float; images are `[..., 3]`
 * (colour ops) or NHWC. The contrast mean is summed exactly, then rounded: Eigen sums in its own
 * order, so `AdjustContrastv2` may differ from TF by 1 ulp.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInt, attrInts, attrText } from './util.js';

const f = Math.fround;

function floats(node: GraphNode, op: string): { x: tf.Tensor; v: Float32Array } {
  const x = kernelInput(node, 0);
  if (x.dtype !== 'float32') throw Errors.kernelUnsupported(op, `type ${x.dtype}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== 3) {
    throw Errors.kernelArgument(`input must have 3 channels but instead has ${x.shape[x.rank - 1] ?? 0} channels.`);
  }
  return { x, v: x.dataSync() as Float32Array };
}

function scalarOf(node: GraphNode, i: number, what: string): number {
  const t = kernelInput(node, i);
  if (t.rank !== 0) throw Errors.kernelArgument(`${what} must be scalar: [${t.shape.join(',')}]`);
  return f(Number(t.dataSync()[0]));
}

/** TF's RGBToHSV functor for one pixel. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const range = f(v - Math.min(r, g, b));
  const s = v > 0 ? f(range / v) : 0;
  const norm = f(f(1 / range) * f(1 / 6));
  let h = r === v ? f(norm * f(g - b)) : g === v ? f(f(norm * f(b - r)) + f(2 / 6)) : f(f(norm * f(r - g)) + f(4 / 6));
  if (!(range > 0)) h = 0;
  if (h < 0) h = f(h + 1);
  return [h, s, v];
}

/** TF's HSVToRGB functor for one pixel. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const dh = f(h * 6);
  const clamp = (x: number): number => Math.min(Math.max(x, 0), 1);
  const dr = clamp(f(Math.abs(f(dh - 3)) - 1));
  const dg = clamp(f(2 - Math.abs(f(dh - 2))));
  const db = clamp(f(2 - Math.abs(f(dh - 4))));
  const oneS = f(1 - s);
  return [f(f(oneS + f(s * dr)) * v), f(f(oneS + f(s * dg)) * v), f(f(oneS + f(s * db)) * v)];
}

/** AdjustSaturation's own rgb_to_hsv (2/6 and 4/6 added in double, then rounded). */
function satRgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const vv = Math.max(r, g, b);
  const range = f(vv - Math.min(r, g, b));
  const s = vv > 0 ? f(range / vv) : 0;
  const norm = f(1 / f(6 * range));
  let hh = r === vv ? f(norm * f(g - b)) : g === vv ? f(f(norm * f(b - r)) + 2 / 6) : f(f(norm * f(r - g)) + 4 / 6);
  if (range <= 0) hh = 0;
  if (hh < 0) hh = f(hh + 1);
  return [hh, s, vv];
}

/** AdjustSaturation's own hsv_to_rgb (TF's sector formula). */
function satHsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const c = f(s * v);
  const m = f(v - c);
  const dh = f(h * 6);
  const cat = Math.trunc(dh);
  let fm = dh;
  while (fm <= 0) fm = f(fm + 2);
  while (fm >= 2) fm = f(fm - 2);
  const x = f(c * f(1 - Math.abs(f(fm - 1))));
  const rgb: [number, number, number][] = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]];
  const [rr, gg, bb] = rgb[cat] ?? [0, 0, 0];
  return [f(rr + m), f(gg + m), f(bb + m)];
}

/** AdjustHue's rgb_to_hv_range: hue in [0, 6), the value range. */
function rgbToHvRange(r: number, g: number, b: number): [number, number, number] {
  let max: number, mid: number, min: number, cat: number;
  if (r < g) {
    if (b < r) [max, mid, min, cat] = [g, r, b, 1];
    else if (b > g) [max, mid, min, cat] = [b, g, r, 3];
    else [max, mid, min, cat] = [g, b, r, 2];
  } else if (b < g) [max, mid, min, cat] = [r, g, b, 0];
  else if (b > r) [max, mid, min, cat] = [b, r, g, 4];
  else [max, mid, min, cat] = [r, b, g, 5];
  if (max === min) return [0, min, max];
  const ratio = f(f(mid - min) / f(max - min));
  return [f(cat + ((cat & 1) === 0 ? ratio : f(1 - ratio))), min, max];
}

function hvRangeToRgb(h: number, min: number, max: number): [number, number, number] {
  const cat = Math.trunc(h);
  let ratio = f(h - cat);
  if ((cat & 1) !== 0) ratio = f(1 - ratio);
  const mid = f(min + f(ratio * f(max - min)));
  const out: [number, number, number][] = [[max, mid, min], [mid, max, min], [min, max, mid], [min, mid, max], [mid, min, max]];
  return out[cat] ?? [max, min, mid];
}

function perPixel(node: GraphNode, op: string, fn: (r: number, g: number, b: number) => [number, number, number]): tf.Tensor {
  const { x, v } = floats(node, op);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 3) out.set(fn(v[i]!, v[i + 1]!, v[i + 2]!), i);
  return tf.tensor(out, x.shape, 'float32');
}

function adjustHue(node: GraphNode): tf.Tensor {
  if (kernelInput(node, 0).rank < 3) throw Errors.kernelArgument(`input must be at least 3-D, got shape[${kernelInput(node, 0).shape.join(',')}]`);
  const delta = scalarOf(node, 1, 'delta');
  return perPixel(node, 'AdjustHue', (r, g, b) => {
    const [h0, min, max] = rgbToHvRange(r, g, b);
    let h = f(h0 + f(delta * 6));
    while (h < 0) h = f(h + 6);
    while (h >= 6) h = f(h - 6);
    return hvRangeToRgb(h, min, max);
  });
}

function adjustSaturation(node: GraphNode): tf.Tensor {
  if (kernelInput(node, 0).rank < 3) throw Errors.kernelArgument(`input must be at least 3-D, got shape[${kernelInput(node, 0).shape.join(',')}]`);
  const scale = scalarOf(node, 1, 'scale');
  return perPixel(node, 'AdjustSaturation', (r, g, b) => {
    const [h, s, v] = satRgbToHsv(r, g, b);
    return satHsvToRgb(h, Math.min(1, Math.max(0, f(s * scale))), v);
  });
}

/** AdjustContrastv2: per image and channel, mean over height and width, then mean + (x − mean) · factor. */
function adjustContrast(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  if (x.dtype !== 'float32') throw Errors.kernelUnsupported('AdjustContrastv2', `type ${x.dtype}`);
  if (x.rank < 3) throw Errors.kernelArgument(`input must be at least 3-D, got shape[${x.shape.join(',')}]`);
  const factor = scalarOf(node, 1, 'contrast_factor');
  const [hgt, wid, ch] = x.shape.slice(-3) as [number, number, number];
  const v = x.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  const plane = hgt * wid * ch;
  const n = f(hgt * wid);
  for (let base = 0; base < v.length; base += plane) {
    for (let c = 0; c < ch; c++) {
      let sum = 0;
      for (let p = c; p < plane; p += ch) sum += v[base + p]!;
      const mean = f(f(sum) / n);
      for (let p = c; p < plane; p += ch) out[base + p] = f(mean + f(f(v[base + p]! - mean) * factor));
    }
  }
  return tf.tensor(out, x.shape, 'float32');
}

/** Output size and leading padding of one spatial dimension (TF's GetWindowedOutputSize). */
function windowed(size: number, k: number, stride: number, rate: number, padding: string): [number, number] {
  const eff = k + (k - 1) * (rate - 1);
  if (padding === 'VALID') return [Math.max(0, Math.ceil((size - eff + 1) / stride)), 0];
  const out = Math.ceil(size / stride);
  return [out, Math.floor(Math.max(0, (out - 1) * stride + eff - size) / 2)];
}

function extractPatches(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  if (x.rank !== 4) throw Errors.kernelArgument(`input must be 4-dimensional[${x.shape.join(',')}]`);
  const [kr, kc] = attrInts(node, 'ksizes').slice(1, 3) as [number, number];
  const [sr, sc] = attrInts(node, 'strides').slice(1, 3) as [number, number];
  const [rr, rc] = attrInts(node, 'rates').slice(1, 3) as [number, number];
  const padding = attrText(node, 'padding', 'VALID');
  if (padding !== 'VALID' && padding !== 'SAME') throw Errors.kernelUnsupported('ExtractImagePatches', `padding ${padding}`);
  const [batch, rows, cols, depth] = x.shape as [number, number, number, number];
  const [outR, padT] = windowed(rows, kr, sr, rr, padding);
  const [outC, padL] = windowed(cols, kc, sc, rc, padding);
  const v = x.dataSync();
  const width = kr * kc * depth;
  const out = new (x.dtype === 'int32' ? Int32Array : Float32Array)(batch * outR * outC * width);
  let o = 0;
  for (let b = 0; b < batch; b++) for (let i = 0; i < outR; i++) for (let j = 0; j < outC; j++) {
    for (let a = 0; a < kr; a++) for (let c = 0; c < kc; c++) {
      const y = i * sr + a * rr - padT;
      const xx = j * sc + c * rc - padL;
      const inside = y >= 0 && y < rows && xx >= 0 && xx < cols;
      for (let d = 0; d < depth; d++) out[o++] = inside ? v[((b * rows + y) * cols + xx) * depth + d]! : 0;
    }
  }
  return tf.tensor(out, [batch, outR, outC, width], x.dtype);
}

/** SpaceToDepth (NHWC): each block × block tile becomes one pixel of block² · depth channels, row-major in the tile. */
function spaceToDepth(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const bs = attrInt(node, 'block_size', 0);
  if (attrText(node, 'data_format', 'NHWC') !== 'NHWC') throw Errors.kernelUnsupported('SpaceToDepth', 'data_format other than NHWC');
  if (x.rank !== 4) throw Errors.kernelArgument(`Input rank should be: 4 instead of: ${x.rank}`);
  const [batch, rows, cols, depth] = x.shape as [number, number, number, number];
  if (!(bs > 1) || rows % bs !== 0 || cols % bs !== 0) {
    throw Errors.kernelArgument(`Image width ${cols} and height ${rows} should be divisible by block_size: ${bs}`);
  }
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [batch, rows / bs, bs, cols / bs, bs, depth]), [0, 1, 3, 2, 4, 5]),
    [batch, rows / bs, cols / bs, bs * bs * depth]));
}

export const IMAGE_COLOR_KERNELS: readonly KernelEntry[] = [
  { op: 'RGBToHSV', kernel: (node) => perPixel(node, 'RGBToHSV', rgbToHsv) },
  { op: 'HSVToRGB', kernel: (node) => perPixel(node, 'HSVToRGB', hsvToRgb) },
  { op: 'AdjustHue', kernel: adjustHue },
  { op: 'AdjustSaturation', kernel: adjustSaturation },
  { op: 'AdjustContrastv2', kernel: adjustContrast },
  { op: 'ExtractImagePatches', kernel: extractPatches },
  { op: 'SpaceToDepth', kernel: spaceToDepth },
];
