/**
 * `_TfsElu` and `_TfsSelu`: float32 `Elu` and `Selu` as TensorFlow's x86 CPU kernels compute
 * them, bit for bit. TF's functors are `x < 0 ? exp(x) - 1 : x` and
 * `x < 0 ? scale_alpha * (exp(x) - 1) : scale * x` (relu_op_functor.h), with exp Eigen's
 * pexp_float on packets of 8 and expf on the n % 8 tail (eigen-exp.ts), and each operation
 * rounded to float32. tfjs computes expm1 instead (closer to the true value, not TF's).
 *
 * TF fuses Elu into MatMul/Conv2D + bias (oneDNN), where it is not this function: fuse.ts
 * folds `_TfsElu` back into tfjs's fused Elu there. Selu is never fused.
 *
 * Checked against tf.nn.elu / tf.nn.selu (TF 2.21, x86-64) on 1M inputs, edges included
 * (test/runtime/kernels/eigen-elu.test.ts, test/runtime/fixtures/elu_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { eigenExpLane, libmExp } from './eigen-exp.js';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const ELU_OP = '_TfsElu';
export const SELU_OP = '_TfsSelu';

const f = Math.fround;
const FLT_MIN = 2 ** -126;
const SCALE = f(1.050700987);
const SCALE_ALPHA = f(1.758099341);

/** Runs `lane(x, exp)` over a flat buffer: exp through Eigen on packets of 8, expf on the tail. */
function packets(src: ArrayLike<number>, lane: (x: number, exp: (v: number) => number) => number): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const body = n - (n % PACKET);
  for (let i = 0; i < body; i++) out[i] = lane(src[i]!, eigenExpLane);
  for (let i = body; i < n; i++) out[i] = lane(src[i]!, libmExp);
  return out;
}

/** A select copies x's bits: a denormal positive or negative input comes back unchanged. */
const eluLane = (x: number, exp: (v: number) => number): number => (x < 0 && x <= -FLT_MIN ? f(exp(x) - 1) : x);
/** scale * x with DAZ: a denormal input reads as a zero of its sign. */
const seluLane = (x: number, exp: (v: number) => number): number =>
  x < 0 && x <= -FLT_MIN ? f(SCALE_ALPHA * f(exp(x) - 1)) : x < FLT_MIN && x > -FLT_MIN ? x * 0 : f(SCALE * x);

export const tfEluFloat32 = (src: ArrayLike<number>): Float32Array => packets(src, eluLane);
export const tfSeluFloat32 = (src: ArrayLike<number>): Float32Array => packets(src, seluLane);

export const EIGEN_ELU_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(ELU_OP, tfEluFloat32, (x) => tf.elu(x)),
  eigenUnaryKernel(SELU_OP, tfSeluFloat32, (x) => tf.selu(x)),
];
