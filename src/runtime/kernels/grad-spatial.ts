/**
 * Spatial gradient ops of `tf.GradientTape` in serving functions (probe12): `MaxPoolGrad`,
 * `AvgPoolGrad`, `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` and
 * `DepthwiseConv2dNativeBackpropFilter`, NHWC (TF's CPU kernels take no other layout for the
 * pools), SAME or VALID padding.
 *
 * MaxPoolGrad follows TF's CPU kernel (SpatialMaxPoolWithArgMaxHelper): the max is recomputed
 * from the input, scanning it row-major and keeping the first of equal values (a window of zeros
 * sends the whole gradient to its top-left element), and each output's gradient is added to its
 * argmax in output order. AvgPoolGrad spreads grad / count (the count of window elements inside
 * the image, GetBroadcastSize's arithmetic) in output order: TF 2.21's x86 build runs oneDNN's
 * kernel in graph mode, which divides (Eigen's kernel multiplies by 1 / count); equal to TF bit
 * for bit where windows do not overlap in both axes, else within a unit or two in the last place
 * (oneDNN's summation order for those is not reproduced). The convolution
 * gradients sum in double and round once; TF's blocked GEMM sums in another order, within the
 * float32 noise of the forward convolutions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInts, attrText, numbersOf } from './util.js';

const f = Math.fround;

interface Axis {
  readonly size: number; // input extent
  readonly k: number; // window (dilated) taps
  readonly stride: number;
  readonly dilation: number;
  readonly out: number;
  readonly pad: number; // padding before
}

/** TF's GetWindowedOutputSize for one spatial axis, SAME or VALID. */
function axis(size: number, k: number, stride: number, dilation: number, padding: string): Axis {
  const span = (k - 1) * dilation + 1;
  const out = padding === 'SAME' ? Math.ceil(size / stride) : Math.ceil((size - span + 1) / stride);
  const pad = padding === 'SAME' ? Math.floor(Math.max((out - 1) * stride + span - size, 0) / 2) : 0;
  return { size, k, stride, dilation, out: Math.max(out, 0), pad };
}

/** The two spatial axes of an NHWC op from its attrs (ksize from `kernel` when given). */
function spatial(op: string, node: GraphNode, inShape: readonly number[], kernel?: readonly number[]): [Axis, Axis] {
  if (attrText(node, 'data_format', 'NHWC') !== 'NHWC') throw Errors.kernelUnsupported(op, `data_format ${attrText(node, 'data_format')}`);
  const padding = attrText(node, 'padding', 'VALID');
  if (padding !== 'SAME' && padding !== 'VALID') throw Errors.kernelUnsupported(op, `padding ${padding}`);
  const s = attrInts(node, 'strides');
  const d = attrInts(node, 'dilations');
  const k = kernel ?? attrInts(node, 'ksize').slice(1, 3);
  return [1, 2].map((i) => axis(inShape[i]!, k[i - 1]!, s[i] ?? 1, d[i] ?? 1, padding)) as [Axis, Axis];
}

function maxPoolGrad(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const grad = kernelInput(node, 2);
  const [n, , , c] = x.shape as number[];
  const [h, w] = spatial('MaxPoolGrad', node, x.shape);
  const src = x.dataSync() as Float32Array;
  const dy = grad.dataSync() as Float32Array;
  const outSize = n! * h.out * w.out * c!;
  const best = new Float32Array(outSize);
  const arg = new Int32Array(outSize).fill(-1);
  for (let b = 0; b < n!; b++) {
    for (let ih = 0; ih < h.size; ih++) {
      for (let iw = 0; iw < w.size; iw++) {
        // the outputs whose window holds (ih, iw)
        const hp = ih + h.pad;
        const wp = iw + w.pad;
        const h0 = hp < h.k ? 0 : Math.floor((hp - h.k) / h.stride) + 1;
        const h1 = Math.min(Math.floor(hp / h.stride) + 1, h.out);
        const w0 = wp < w.k ? 0 : Math.floor((wp - w.k) / w.stride) + 1;
        const w1 = Math.min(Math.floor(wp / w.stride) + 1, w.out);
        const inBase = ((b * h.size + ih) * w.size + iw) * c!;
        for (let oh = h0; oh < h1; oh++) {
          for (let ow = w0; ow < w1; ow++) {
            const outBase = ((b * h.out + oh) * w.out + ow) * c!;
            for (let d = 0; d < c!; d++) {
              const v = src[inBase + d]!;
              if (arg[outBase + d] === -1 || best[outBase + d]! < v) {
                best[outBase + d] = v;
                arg[outBase + d] = inBase + d;
              }
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(x.size);
  for (let i = 0; i < outSize; i++) if (arg[i]! >= 0) out[arg[i]!] = f(out[arg[i]!]! + dy[i]!);
  return tf.tensor(out, x.shape, 'float32');
}

/** TF's GetBroadcastSize: the first input index and the count an output's window covers. */
function broadcast(index: number, a: Axis): [number, number] {
  let start = index * a.stride;
  let size = a.k;
  if (start < a.pad) {
    size = a.k + start - a.pad;
    start = 0;
  } else {
    start -= a.pad;
  }
  if (start + a.k > a.size) size = Math.min(a.size - start, a.k);
  return [start, size];
}

function avgPoolGrad(node: GraphNode): tf.Tensor {
  const shape = numbersOf(kernelInput(node, 0));
  const grad = kernelInput(node, 1);
  const [n, , , c] = shape;
  const [h, w] = spatial('AvgPoolGrad', node, shape);
  const dy = grad.dataSync() as Float32Array;
  const out = new Float32Array(shape.reduce((p, v) => p * v, 1));
  for (let b = 0; b < n!; b++) {
    for (let oh = 0; oh < h.out; oh++) {
      const [r0, rs] = broadcast(oh, h);
      for (let ow = 0; ow < w.out; ow++) {
        const [c0, cs] = broadcast(ow, w);
        const count = rs * cs;
        const o = ((b * h.out + oh) * w.out + ow) * c!;
        for (let r = r0; r < r0 + rs; r++) {
          for (let q = c0; q < c0 + cs; q++) {
            const i = ((b * h.size + r) * w.size + q) * c!;
            for (let d = 0; d < c!; d++) out[i + d] = f(out[i + d]! + f(dy[o + d]! / count));
          }
        }
      }
    }
  }
  return tf.tensor(out, shape, 'float32');
}

/**
 * Visits every (input, kernel tap, output) triple of an NHWC convolution with kernel [kh, kw]:
 * visit(b, inIndex, tapIndex, outIndex) with flat offsets of the (b, ih, iw), (th, tw) and
 * (b, oh, ow) pixels.
 */
function eachTap(n: number, h: Axis, w: Axis, visit: (inPix: number, tap: number, outPix: number) => void): void {
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < h.out; oh++) {
      for (let th = 0; th < h.k; th++) {
        const ih = oh * h.stride + th * h.dilation - h.pad;
        if (ih < 0 || ih >= h.size) continue;
        for (let ow = 0; ow < w.out; ow++) {
          for (let tw = 0; tw < w.k; tw++) {
            const iw = ow * w.stride + tw * w.dilation - w.pad;
            if (iw < 0 || iw >= w.size) continue;
            visit((b * h.size + ih) * w.size + iw, th * w.k + tw, (b * h.out + oh) * w.out + ow);
          }
        }
      }
    }
  }
}

/** Conv2DBackpropFilter(input, filter_sizes, out_backprop): dW[t, ci, co] = sum x[in, ci] * dy[out, co]. */
function conv2dBackpropFilter(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const fs = numbersOf(kernelInput(node, 1));
  const dy = kernelInput(node, 2);
  const [ci, co] = [fs[2]!, fs[3]!];
  const [h, w] = spatial('Conv2DBackpropFilter', node, x.shape, fs);
  const xs = x.dataSync() as Float32Array;
  const ds = dy.dataSync() as Float32Array;
  const acc = new Float64Array(fs.reduce((p, v) => p * v, 1));
  eachTap(x.shape[0]!, h, w, (inPix, tap, outPix) => {
    for (let i = 0; i < ci; i++) {
      const v = xs[inPix * ci + i]!;
      const base = (tap * ci + i) * co;
      for (let o = 0; o < co; o++) acc[base + o] = acc[base + o]! + v * ds[outPix * co + o]!;
    }
  });
  return tf.tensor(Float32Array.from(acc), fs, 'float32');
}

/** DepthwiseConv2dNativeBackpropInput(input_sizes, filter [kh, kw, c, m], out_backprop [.., c * m]). */
function depthwiseBackpropInput(node: GraphNode): tf.Tensor {
  const shape = numbersOf(kernelInput(node, 0));
  const filter = kernelInput(node, 1);
  const dy = kernelInput(node, 2);
  const [kh, kw, c, m] = filter.shape as number[];
  const [h, w] = spatial('DepthwiseConv2dNativeBackpropInput', node, shape, [kh!, kw!]);
  const ws = filter.dataSync() as Float32Array;
  const ds = dy.dataSync() as Float32Array;
  const acc = new Float64Array(shape.reduce((p, v) => p * v, 1));
  eachTap(shape[0]!, h, w, (inPix, tap, outPix) => {
    for (let ch = 0; ch < c!; ch++) {
      let s = 0;
      for (let j = 0; j < m!; j++) s += ws[(tap * c! + ch) * m! + j]! * ds[outPix * c! * m! + ch * m! + j]!;
      acc[inPix * c! + ch] = acc[inPix * c! + ch]! + s;
    }
  });
  return tf.tensor(Float32Array.from(acc), shape, 'float32');
}

/** DepthwiseConv2dNativeBackpropFilter(input, filter_sizes, out_backprop). */
function depthwiseBackpropFilter(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const fs = numbersOf(kernelInput(node, 1));
  const dy = kernelInput(node, 2);
  const [c, m] = [fs[2]!, fs[3]!];
  const [h, w] = spatial('DepthwiseConv2dNativeBackpropFilter', node, x.shape, fs);
  const xs = x.dataSync() as Float32Array;
  const ds = dy.dataSync() as Float32Array;
  const acc = new Float64Array(fs.reduce((p, v) => p * v, 1));
  eachTap(x.shape[0]!, h, w, (inPix, tap, outPix) => {
    for (let ch = 0; ch < c; ch++) {
      const v = xs[inPix * c + ch]!;
      for (let j = 0; j < m; j++) acc[(tap * c + ch) * m + j] = acc[(tap * c + ch) * m + j]! + v * ds[outPix * c * m + ch * m + j]!;
    }
  });
  return tf.tensor(Float32Array.from(acc), fs, 'float32');
}

export const GRAD_SPATIAL_KERNELS: readonly KernelEntry[] = [
  { op: 'MaxPoolGrad', kernel: maxPoolGrad },
  { op: 'AvgPoolGrad', kernel: avgPoolGrad },
  { op: 'Conv2DBackpropFilter', kernel: conv2dBackpropFilter },
  { op: 'DepthwiseConv2dNativeBackpropInput', kernel: depthwiseBackpropInput },
  { op: 'DepthwiseConv2dNativeBackpropFilter', kernel: depthwiseBackpropFilter },
];
