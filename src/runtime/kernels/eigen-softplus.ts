/**
 * `_TfsSoftplus`: float32 `Softplus` as TensorFlow's x86 CPU kernel computes it, bit for bit.
 *
 * TF's functor (softplus_op.h) is `x > -t ? x : x < t ? exp(x) : log1p(exp(x))` with
 * t = log(FLT_EPSILON) + 2, on packets of 8 through Eigen: pexp_float (eigen-exp.ts) and
 * generic_log1p, `x * (log(1 + x) / ((1 + x) - 1))` with plog_float (eigen-log.ts); the
 * n % 8 tail through the C library's expf and log1pf (taken as correctly rounded here).
 *
 * Checked against tf.math.softplus (TF 2.21, x86-64) on 1M inputs, edges included
 * (test/runtime/kernels/eigen-softplus.test.ts, test/runtime/fixtures/softplus_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { eigenExpLane, libmExp } from './eigen-exp.js';
import { eigenLogLane } from './eigen-log.js';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const SOFTPLUS_OP = '_TfsSoftplus';

const f = Math.fround;
/** log(FLT_EPSILON) + 2 in float32, as TF computes its threshold. */
const T = f(f(Math.log(2 ** -23)) + 2);

/** One packet lane: Eigen's exp, then generic_log1p over Eigen's log. */
export function eigenSoftplusLane(x: number): number {
  if (x > -T) return x;
  const e = eigenExpLane(x);
  if (x < T) return e;
  const xp1 = f(e + 1);
  const log1 = eigenLogLane(xp1);
  if (xp1 === 1 || xp1 === log1) return e;
  return f(e * f(log1 / f(xp1 - 1)));
}

/** The scalar tail: expf and log1pf. */
export function libmSoftplus(x: number): number {
  if (x > -T) return x;
  const e = libmExp(x);
  return x < T ? e : f(Math.log1p(e));
}

/** TF's float32 Softplus over a flat buffer: packets of 8 through Eigen, the tail through libm. */
export function tfSoftplusFloat32(src: ArrayLike<number>): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const body = n - (n % PACKET);
  for (let i = 0; i < body; i++) out[i] = eigenSoftplusLane(src[i]!);
  for (let i = body; i < n; i++) out[i] = libmSoftplus(src[i]!);
  return out;
}

export const EIGEN_SOFTPLUS_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(SOFTPLUS_OP, tfSoftplusFloat32, (x) => tf.softplus(x)),
];
