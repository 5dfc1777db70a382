/**
 * `_TfsLog1p` and `_TfsExpm1`: float32 `Log1p` and `Expm1` as TensorFlow's x86 CPU kernels
 * compute them, bit for bit. On packets of 8 Eigen's generic_log1p
 * (`x * (log(1 + x) / ((1 + x) - 1))`, x itself where 1 + x rounds to 1) and generic_expm1
 * (Kahan's `(u - 1) * (x / log u)` with u = exp(x)), over its pexp_float (eigen-exp.ts) and
 * plog_float (eigen-log.ts); the n % 8 tail through the C library's log1pf / expm1f, taken as
 * correctly rounded here (the oracle's tails agree).
 *
 * Checked against tf.math.log1p / tf.math.expm1 (TF 2.21, x86-64) on 1M inputs, edges
 * included (test/runtime/kernels/eigen-log1p-expm1.test.ts, fixtures/log1p_expm1_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { eigenExpLane } from './eigen-exp.js';
import { eigenLogLane } from './eigen-log.js';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const LOG1P_OP = '_TfsLog1p';
export const EXPM1_OP = '_TfsExpm1';

const f = Math.fround;
const FLT_MIN = 2 ** -126;
const daz = (v: number): number => (v < FLT_MIN && v > -FLT_MIN ? v * 0 : v);

/** Eigen's generic_log1p, one lane. */
export function eigenLog1pLane(x: number): number {
  const xp1 = f(daz(x) + 1);
  if (xp1 === 1) return daz(x);
  const log1 = eigenLogLane(xp1);
  if (xp1 === log1) return x;
  return f(daz(x) * f(log1 / f(xp1 - 1)));
}

/** Eigen's generic_expm1, one lane. */
export function eigenExpm1Lane(x: number): number {
  const u = eigenExpLane(daz(x));
  if (u === 1) return x;
  const um1 = f(u - 1);
  if (um1 === -1) return -1;
  const logu = eigenLogLane(u);
  if (logu === u) return u;
  return f(um1 * f(daz(x) / logu));
}

/**
 * `nanBits`: the bits of a NaN a lane makes from a non-NaN input (packets: plog's all-ones
 * invalid lanes, which log1p keeps; tail: glibc's negative quiet NaN). A NaN input stays as it is.
 */
function packets(src: ArrayLike<number>, lane: (x: number) => number, tail: (x: number) => number, nanBits?: readonly [number, number]): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  const body = n - (n % PACKET);
  for (let i = 0; i < n; i++) {
    const x = src[i]!;
    const y = i < body ? lane(x) : tail(x);
    if (nanBits !== undefined && Number.isNaN(y) && !Number.isNaN(x)) outBits[i] = nanBits[i < body ? 0 : 1];
    else out[i] = y;
  }
  return out;
}

export const tfLog1pFloat32 = (src: ArrayLike<number>): Float32Array => packets(src, eigenLog1pLane, (x) => f(Math.log1p(daz(x))), [0xffffffff, 0xffc00000]);
export const tfExpm1Float32 = (src: ArrayLike<number>): Float32Array => packets(src, eigenExpm1Lane, (x) => daz(f(Math.expm1(daz(x)))));

export const EIGEN_LOG1P_EXPM1_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(LOG1P_OP, tfLog1pFloat32, (x) => tf.log1p(x)),
  eigenUnaryKernel(EXPM1_OP, tfExpm1Float32, (x) => tf.expm1(x)),
];
