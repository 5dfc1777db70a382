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

export const RFFT_OP = '_TfsRFFT';
export const IRFFT_OP = '_TfsIRFFT';
export const COMPLEX_OP = '_TfsComplex';

/** The one `fft_length` value (a 1-element int32 tensor), checked as TF checks it. */
function fftLength(node: GraphNode, op: string): number {
  const t = kernelInput(node, 1);
  const v = t.dataSync();
  if (v.length !== 1) throw Errors.kernelUnsupported(op, `fft_length of ${v.length} values (only 1-D transforms are supported)`);
  const n = Number(v[0]);
  if (!(n >= 0)) throw Errors.kernelArgument(`${op}: fft_length must be non-negative, got ${n}`);
  return n;
}

/** `x` with its inner dimension cropped or zero-padded to `n`. */
function fitInner(x: tf.Tensor, n: number): tf.Tensor {
  const last = x.shape[x.rank - 1] ?? 0;
  if (last === n) return x;
  if (last > n) return tf.slice(x, new Array<number>(x.rank).fill(0), [...x.shape.slice(0, -1), n]);
  const pad = x.shape.map((): [number, number] => [0, 0]);
  pad[x.rank - 1] = [0, n - last];
  return tf.pad(x, pad);
}

function rfft(node: GraphNode): tf.Tensor {
  const n = fftLength(node, 'RFFT');
  return tf.tidy(() => tf.spectral.rfft(fitInner(kernelInput(node, 0), n)));
}

/** The full Hermitian spectrum of length n from its first n/2+1 bins (n odd: no Nyquist bin). */
function hermitian(half: tf.Tensor, n: number): tf.Tensor {
  const re = tf.real(half);
  const im = tf.imag(half);
  const rank = half.rank;
  const mirror = (t: tf.Tensor): tf.Tensor => tf.reverse(tf.slice(t, [...new Array<number>(rank - 1).fill(0), 1], [...t.shape.slice(0, -1), Math.floor((n - 1) / 2)]), -1);
  return tf.complex(tf.concat([re, mirror(re)], -1), tf.concat([im, tf.neg(mirror(im))], -1));
}

function irfft(node: GraphNode): tf.Tensor {
  const n = fftLength(node, 'IRFFT');
  return tf.tidy(() => {
    const x = kernelInput(node, 0);
    const bins = Math.floor(n / 2) + 1;
    const half = fitComplex(x, bins);
    if (n % 2 === 0 && n > 0) return tf.spectral.irfft(half);
    return tf.real(tf.spectral.ifft(hermitian(half, n)));
  });
}

/** A complex tensor with its inner dimension cropped or zero-padded to `m` bins. */
function fitComplex(x: tf.Tensor, m: number): tf.Tensor {
  if ((x.shape[x.rank - 1] ?? 0) === m) return x;
  return tf.complex(fitInner(tf.real(x), m), fitInner(tf.imag(x), m));
}

/** `Complex` with TF's broadcasting (tfjs requires equal shapes; `tf.signal.dct` pairs a scalar with a vector). */
function complex(node: GraphNode): tf.Tensor {
  const re = kernelInput(node, 0);
  const im = kernelInput(node, 1);
  if (re.shape.join(',') === im.shape.join(',')) return tf.complex(re, im);
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(re.shape, im.shape);
  return tf.tidy(() => tf.complex(tf.broadcastTo(re, shape), tf.broadcastTo(im, shape)));
}

export const SIGNAL_KERNELS: readonly KernelEntry[] = [
  { op: RFFT_OP, kernel: (node) => [rfft(node)] },
  { op: IRFFT_OP, kernel: (node) => [irfft(node)] },
  { op: COMPLEX_OP, kernel: (node) => [complex(node)] },
];
