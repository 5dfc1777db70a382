/**
 * `_TfsExp`: float32 `Exp` as TensorFlow's x86 CPU kernel computes it, bit for bit.
 *
 * TF's cwise Exp runs Eigen's vectorised `pexp_float` on whole packets of 8 floats (the pip
 * build's AVX packets, no FMA: every multiply-add rounds twice) and the C library's `expf` on
 * the n % 8 elements left at the end of the buffer. Eigen's polynomial is not correctly
 * rounded: on N(0, 4) inputs about 4 in 10 results are 1 ulp away from `Math.exp`'s, which
 * an SSD box decoder (`exp(tw) * anchor_w`) followed by crop_and_resize turned into crops
 * 2e-6 off (probe12). TF also runs with denormals flushed to zero: exp(x) below 2^-126
 * (x < -87.34) is 0.
 *
 * Checked against tf.exp (TF 2.21, x86-64) on 2 million inputs from -110 to 90, edges
 * included (test/runtime/kernels/eigen-exp.test.ts). ARM builds of TF (4-float packets, fused
 * multiply-add) round differently; tfs follows the x86 build, the one the zoo's oracle ran.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const EXP_OP = '_TfsExp';

const f = Math.fround;
const FLT_MIN = 2 ** -126;

const LOG2E = f(Math.LOG2E);
const EXP_HI = f(88.723);
const EXP_LO = f(-104);
const C1 = f(-0.693359375); // ln 2 split in two (Cody-Waite) so m * C1 is exact
const C2 = f(2.12194440e-4);
const P2 = f(0.49999988079071044921875);
const P3 = f(0.16666518151760101318359375);
const P4 = f(4.166965186595916748046875e-2);
const P5 = f(8.36894474923610687255859375e-3);
const P6 = f(1.37449637986719608306884765625e-3);
// 2^m for m in [-150, 128] (x in [-104, 88.723]): a table, as 2 ** m with a variable m is a slow pow call
const POW2_BIAS = 152;
const POW2 = Float64Array.from({ length: 284 }, (_, i) => 2 ** (i - POW2_BIAS));

/** Eigen's pmadd without FMA: a * b rounded to float32, then + c rounded. */
const madd = (a: number, b: number, c: number): number => f(f(a * b) + c);

const flush = (v: number): number => (v < FLT_MIN && v > -FLT_MIN ? 0 : v);

/** One lane of Eigen's pexp_float (GenericPacketMathFunctions.h) in float32 steps. */
export function eigenExpLane(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < EXP_LO) return 0;
  const xc = Math.min(x, EXP_HI);
  // exp(x) = 2^m * exp(r), m = floor(x / ln 2 + 1/2), r = x - m ln 2
  const m = Math.floor(madd(xc, LOG2E, 0.5));
  const r = madd(m, C2, madd(m, C1, xc));
  const r2 = f(r * r);
  const even = madd(r2, madd(r2, P6, P4), P2);
  const odd = madd(r2, P5, P3);
  const y = madd(r2, madd(r, odd, even), f(r + 1));
  // 2^m * y: exact in double, then one rounding to float32 (y is in [0.7, 1.5))
  return flush(Math.max(f(y * POW2[m + POW2_BIAS]!), x));
}

/** The C library's expf (correctly rounded), with TF's flush of denormal results. */
export const libmExp = (x: number): number => flush(f(Math.exp(x)));

/** TF's float32 Exp over a flat buffer: packets of 8 through Eigen, the tail through expf. */
export function tfExpFloat32(src: ArrayLike<number>): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const body = n - (n % PACKET);
  for (let i = 0; i < body; i++) out[i] = eigenExpLane(src[i]!);
  for (let i = body; i < n; i++) out[i] = libmExp(src[i]!);
  return out;
}

export const EIGEN_EXP_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(EXP_OP, tfExpFloat32, (x) => tf.exp(x)),
];
