/**
 * `_TfsErf`: float32 `Erf` as TensorFlow's x86 CPU kernel computes it, bit for bit (the same
 * scheme as eigen-exp.ts). Exact GELU (`0.5 x (1 + erf(x / sqrt 2))`) runs through it.
 *
 * TF's cwise Erf is Eigen's `generic_fast_erf<float>`: an [11/10] rational approximation in
 * x^2 clamped to 16, clamped to [-1, 1], on packets and on the scalar tail alike (every
 * multiply-add rounded twice: AVX without FMA). It is up to 3 ulps off the correctly rounded
 * erf tfjs approximates in its own way; TF treats denormal inputs as zero (DAZ).
 *
 * Checked against tf.math.erf (TF 2.21, x86-64) on 1M inputs, edges included
 * (test/runtime/kernels/eigen-erf.test.ts, test/runtime/fixtures/erf_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const ERF_OP = '_TfsErf';

const f = Math.fround;
const FLT_MIN = 2 ** -126;
const madd = (a: number, b: number, c: number): number => f(f(a * b) + c);

// Eigen's coefficients, written as the float32 values its literals round to
const ALPHA = [0.0000021237322016531834, 0.0002861979592125863, 0.003658048342913389, 0.05243302136659622, 0.18741607666015625, 1.1283791065216064].map(f);
const BETA = [0.000038918573409318924, 0.0011432960163801908, 0.014752088114619255, 0.11294567584991455, 0.4994257986545563, 1].map(f);

/** Eigen's generic_fast_erf<float>, one lane (packet and scalar paths agree). */
export function eigenErfLane(v: number): number {
  if (Number.isNaN(v)) return NaN;
  const x = v < FLT_MIN && v > -FLT_MIN ? v * 0 : v; // DAZ, keeping the sign
  const x2 = Math.min(16, f(x * x));
  let p = ALPHA[0]!;
  for (let i = 1; i < ALPHA.length; i++) p = madd(p, x2, ALPHA[i]!);
  let q = BETA[0]!;
  for (let i = 1; i < BETA.length; i++) q = madd(q, x2, BETA[i]!);
  const r = f(f(x * p) / q);
  return Math.max(Math.min(r, 1), -1);
}

/** TF's float32 Erf over a flat buffer (one function for packets and tail). */
export function tfErfFloat32(src: ArrayLike<number>): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = eigenErfLane(src[i]!);
  return out;
}

export const EIGEN_ERF_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(ERF_OP, tfErfFloat32, (x) => tf.erf(x)),
];
