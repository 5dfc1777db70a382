/**
 * `RFFT` and `IRFFT` with their `fft_length` input, which tfjs-converter drops: tfjs's rfft
 * transforms the whole inner dimension and its irfft always answers 2·(m−1) samples, so
 * `tf.signal.rfft(x, [8])` of 12 samples gave 7 bins (TF 5: the input is cropped to 8) and
 * `irfft(…, [11])` could not answer 11. As TF: the input's inner dimension is cropped or
 * zero-padded to `fft_length` (RFFT) or to `fft_length / 2 + 1` bins (IRFFT), then transformed.
 * The freezer renames the ops here (`KERNEL_OVERRIDES`); they run on the cpu backend (wasm has no
 * complex kernels, model-runtime.ts `settleBackend`). `Complex` broadcasts its operands as TF does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInt } from './util.js';
import { dft } from './fft64.js';

export const RFFT_OP = '_TfsRFFT';
export const IRFFT_OP = '_TfsIRFFT';
export const COMPLEX_OP = '_TfsComplex';
/** `Exp` of a complex64 tensor (index.ts attrOverride renames it): tfjs's Exp refuses complex input. */
export const COMPLEX_EXP_OP = '_TfsComplexExp';
/** `StridedSlice` of a complex64 tensor (renamed likewise): tfjs's cpu kernel refuses complex input. */
export const COMPLEX_STRIDED_SLICE_OP = '_TfsComplexStridedSlice';

/** The one `fft_length` value (a 1-element int32 tensor), checked as TF checks it. */
function fftLength(node: GraphNode, op: string): number {
  const t = kernelInput(node, 1);
  const v = t.dataSync();
  if (v.length !== 1) throw Errors.kernelUnsupported(op, `fft_length of ${v.length} values (only 1-D transforms are supported)`);
  const n = Number(v[0]);
  if (!(n >= 0)) throw Errors.kernelArgument(`${op}: fft_length must be non-negative, got ${n}`);
  return n;
}

/** The rows of `x`'s inner dimension, each cropped to at most n values, in double. */
function rows(x: tf.Tensor, n: number): { count: number; row: (r: number) => Float64Array } {
  const data = x.dataSync() as Float32Array;
  const last = x.shape[x.rank - 1] ?? 0;
  const count = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { count, row: (r) => Float64Array.from(data.subarray(r * last, r * last + Math.min(last, n))) };
}

/** RFFT in double (fft64.ts), cropped or zero-padded to fft_length, stored as complex64. */
function rfft(node: GraphNode): tf.Tensor {
  const n = fftLength(node, 'RFFT');
  const x = kernelInput(node, 0);
  const bins = n === 0 ? 0 : Math.floor(n / 2) + 1;
  const { count, row } = rows(x, n);
  const outRe = new Float32Array(count * bins);
  const outIm = new Float32Array(count * bins);
  for (let r = 0; r < count; r++) {
    const re = new Float64Array(n);
    re.set(row(r));
    const im = new Float64Array(n);
    dft(re, im, -1);
    outRe.set(re.subarray(0, bins), r * bins);
    outIm.set(im.subarray(0, bins), r * bins);
  }
  const shape = [...x.shape.slice(0, -1), bins];
  return tf.tidy(() => tf.complex(tf.tensor(outRe, shape), tf.tensor(outIm, shape)));
}

/** IRFFT in double: the first n/2+1 bins (cropped or zero-padded) extended Hermitian, inverse-transformed, / n. */
function irfft(node: GraphNode): tf.Tensor {
  const n = fftLength(node, 'IRFFT');
  const x = kernelInput(node, 0);
  const bins = Math.floor(n / 2) + 1;
  const last = x.shape[x.rank - 1] ?? 0;
  const [reIn, imIn] = tf.tidy(() => [tf.real(x).dataSync() as Float32Array, tf.imag(x).dataSync() as Float32Array]);
  const count = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * n);
  for (let r = 0; r < count; r++) {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let k = 0; k < Math.min(bins, last, n); k++) {
      re[k] = reIn![r * last + k]!;
      im[k] = imIn![r * last + k]!;
    }
    // TF ignores the imaginary parts of the DC bin and (n even) of the Nyquist bin
    im[0] = 0;
    if (n % 2 === 0 && n > 0) im[n / 2] = 0;
    for (let k = 1; k < bins; k++) {
      if (n - k >= bins) {
        re[n - k] = re[k]!;
        im[n - k] = -im[k]!;
      }
    }
    dft(re, im, 1);
    for (let j = 0; j < n; j++) out[r * n + j] = re[j]! / n;
  }
  return tf.tensor(out, [...x.shape.slice(0, -1), n]);
}

/** `Complex` with TF's broadcasting (tfjs requires equal shapes; `tf.signal.dct` pairs a scalar with a vector). */
function complex(node: GraphNode): tf.Tensor {
  const re = kernelInput(node, 0);
  const im = kernelInput(node, 1);
  if (re.shape.join(',') === im.shape.join(',')) return tf.complex(re, im);
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(re.shape, im.shape);
  return tf.tidy(() => tf.complex(tf.broadcastTo(re, shape), tf.broadcastTo(im, shape)));
}

/** exp(a + ib) = e^a (cos b + i sin b), in float32 as std::exp(std::complex<float>); `tf.signal.dct`'s twiddles. */
function complexExp(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  return tf.tidy(() => {
    const m = tf.exp(tf.real(x));
    const b = tf.imag(x);
    return tf.complex(tf.mul(m, tf.cos(b)), tf.mul(m, tf.sin(b)));
  });
}

/** StridedSlice of the real and the imaginary part, with the node's masks; `tf.signal.dct` crops its rfft so. */
function complexStridedSlice(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const [begin, end, strides] = [1, 2, 3].map((i) => Array.from(kernelInput(node, i).dataSync())) as [number[], number[], number[]];
  const m = (name: string): number => attrInt(node, name, 0);
  const masks = [m('begin_mask'), m('end_mask'), m('ellipsis_mask'), m('new_axis_mask'), m('shrink_axis_mask')] as const;
  return tf.tidy(() => {
    const part = (t: tf.Tensor): tf.Tensor => tf.stridedSlice(t, begin, end, strides, ...masks);
    return tf.complex(part(tf.real(x)), part(tf.imag(x)));
  });
}

export const SIGNAL_KERNELS: readonly KernelEntry[] = [
  { op: RFFT_OP, kernel: (node) => [rfft(node)] },
  { op: IRFFT_OP, kernel: (node) => [irfft(node)] },
  { op: COMPLEX_OP, kernel: (node) => [complex(node)] },
  { op: COMPLEX_EXP_OP, kernel: (node) => [complexExp(node)] },
  { op: COMPLEX_STRIDED_SLICE_OP, kernel: (node) => [complexStridedSlice(node)] },
];
