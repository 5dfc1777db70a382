/**
 * `_TfsTanh` and `_TfsSigmoid`: float32 `Tanh` and `Sigmoid` as TensorFlow's x86 CPU kernels
 * compute them, bit for bit (the same scheme as eigen-exp.ts).
 *
 * TF's cwise Tanh is Eigen's `ptanh_float`, a [9/8] rational approximation on an input clamped
 * to +-7.90738964 (the no-FMA clamp of the pip build); Eigen uses the same function for the
 * scalar n % 8 tail. TF's Sigmoid is Eigen's `scalar_logistic_op<float>`: on packets of 8 its
 * own exp(x/2)^2 polynomial, then e / (1 + e); on the tail `expf(min(x, 16.6355324))` from the
 * C library, then e / (1 + e). Both are a few ulps off the correctly rounded values tfjs gives
 * (see fixtures/zoo/FINDINGS.md, "Eigen tanh/sigmoid"), which many LSTM steps compound.
 * Every multiply-add rounds twice (AVX without FMA), and TF flushes denormals to zero.
 *
 * Checked against tf.tanh / tf.sigmoid (TF 2.21, x86-64) on 1M inputs, edges included
 * (test/runtime/kernels/eigen-tanh-sigmoid.test.ts, test/runtime/fixtures/tanh_sigmoid_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const TANH_OP = '_TfsTanh';
export const SIGMOID_OP = '_TfsSigmoid';

const f = Math.fround;
const FLT_MIN = 2 ** -126;

/** Eigen's pmadd without FMA: a * b rounded to float32, then + c rounded. */
const madd = (a: number, b: number, c: number): number => f(f(a * b) + c);
/** TF runs with FTZ and DAZ: denormal inputs and results count as zero of the same sign. */
const flush = (v: number): number => (v < FLT_MIN && v > -FLT_MIN ? v * 0 : v);

const TANH_CLAMP = f(7.90738964080810547);
const TA = [1.394553628e-8, 2.10273356e-5, 3.520756727e-3, 1.3402161e-1].map(f);
const TB = [8.015776984e-7, 3.326951409e-4, 2.597254514e-2, 4.67354834e-1, 1].map(f);

/** Eigen's ptanh_float, one lane (packet and scalar paths agree). */
export function eigenTanhLane(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const x = Math.max(Math.min(flush(a), TANH_CLAMP), -TANH_CLAMP);
  const x2 = f(x * x);
  const x3 = f(x2 * x);
  // ppolevl: Horner from the highest coefficient
  let p = TA[0]!;
  for (let i = 1; i < TA.length; i++) p = madd(p, x2, TA[i]!);
  let q = TB[0]!;
  for (let i = 1; i < TB.length; i++) q = madd(q, x2, TB[i]!);
  return flush(f(madd(x3, p, x) / q));
}

const S_HI = f(16.6355324);
const S_LO = -104;
const S_LOG2E = f(Math.LOG2E); // Eigen spells it 1.44269504088896341f
const C1 = f(-0.693359375);
const C2 = f(2.1219444e-4);
const SP2 = f(0.49999141693115234375);
const SP3 = f(0.16666877269744873046875);
const SP4 = f(4.1898667812347412109375e-2);
const SP5 = f(8.33471305668354034423828125e-3);
// 2^m for the m of x/2 in [-52, 8.32] (m in [-76, 12]): a table (2 ** m with a variable m is a slow pow call)
const POW2_BIAS = 80;
const POW2 = Float64Array.from({ length: 100 }, (_, i) => 2 ** (i - POW2_BIAS));

/** Eigen's scalar_logistic_op<float>::packetOp, one lane. */
export function eigenSigmoidLane(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const x0 = flush(a);
  if (x0 < S_LO) return 0;
  const x = f(Math.min(x0, S_HI) * 0.5);
  const m = Math.floor(madd(x, S_LOG2E, 0.5));
  const r = madd(m, C2, madd(m, C1, x));
  const r2 = f(r * r);
  const even = madd(r2, SP4, SP2);
  const odd = madd(r2, SP5, SP3);
  const p = madd(r2, madd(r, odd, even), f(r + 1));
  // pldexp_fast: exact; then exp(x/2)^2, rounded and flushed
  const h = p * POW2[m + POW2_BIAS]!;
  const e = flush(f(h * h));
  return flush(f(e / f(1 + e)));
}

/** The scalar functor on the tail: the C library's expf (correctly rounded), then e / (1 + e). */
export function libmSigmoid(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const e = flush(f(Math.exp(Math.min(flush(a), S_HI))));
  return flush(f(e / f(1 + e)));
}

/** A float32 buffer through `lane` in packets of 8 and `tail` for the n % 8 left. */
function packets(src: ArrayLike<number>, lane: (x: number) => number, tail: (x: number) => number): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const body = n - (n % PACKET);
  for (let i = 0; i < body; i++) out[i] = lane(src[i]!);
  for (let i = body; i < n; i++) out[i] = tail(src[i]!);
  return out;
}

export const tfTanhFloat32 = (src: ArrayLike<number>): Float32Array => packets(src, eigenTanhLane, eigenTanhLane);
export const tfSigmoidFloat32 = (src: ArrayLike<number>): Float32Array => packets(src, eigenSigmoidLane, libmSigmoid);

export const EIGEN_TANH_SIGMOID_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(TANH_OP, tfTanhFloat32, (x) => tf.tanh(x)),
  eigenUnaryKernel(SIGMOID_OP, tfSigmoidFloat32, (x) => tf.sigmoid(x)),
];
