/**
 * `_TfsLog`: float32 `Log` as TensorFlow's x86 CPU kernel computes it, bit for bit (the same
 * scheme as eigen-exp.ts).
 *
 * TF's cwise Log runs Eigen's `plog_float` on packets of 8: frexp, a shift of the mantissa to
 * [sqrt(1/2), sqrt(2)) minus 1, a [3/3] rational approximation of log(1 + x), plus e * ln 2
 * (every multiply-add rounded twice: AVX without FMA); the n % 8 tail goes through the C
 * library's logf (correctly rounded). On positive N(0, 10) inputs about 1 in 9 results are
 * 1 ulp away from the correctly rounded ones tfjs gives. TF treats denormal inputs as zero
 * (DAZ): their log is -Infinity.
 *
 * Checked against tf.math.log (TF 2.21, x86-64) on 1M inputs, edges included
 * (test/runtime/kernels/eigen-log.test.ts, test/runtime/fixtures/log_cases.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PACKET, eigenUnaryKernel } from './eigen-kernel.js';
import type { KernelEntry } from './types.js';

export const LOG_OP = '_TfsLog';

const f = Math.fround;
const FLT_MIN = 2 ** -126;

const madd = (a: number, b: number, c: number): number => f(f(a * b) + c);

// Eigen's constants as float32 (its literals carry more digits than float32 keeps; these round alike)
const SQRTHF = f(Math.SQRT1_2);
const LN2 = f(Math.LN2);
const A0 = f(0.182562963498);
const A1 = f(1.00000001903); // 1 in float32
const A2 = f(1.00000001903);
const B0 = f(0.0496162479541);
const B1 = f(0.599232495908);
const B2 = f(1.5); // 1.4999999999999927 rounds to 1.5

const bits = new Float32Array(1);
const ubits = new Uint32Array(bits.buffer);

/** Eigen's plog_float, one lane. */
export function eigenLogLane(v: number): number {
  if (Number.isNaN(v) || v < 0) return v < 0 && v <= -FLT_MIN ? NaN : Number.isNaN(v) ? NaN : -Infinity;
  if (v < FLT_MIN) return -Infinity; // zero, or a denormal read as zero (DAZ)
  if (v === Infinity) return Infinity;
  // frexp: v = m * 2^e with m in [0.5, 1)
  bits[0] = v;
  const u = ubits[0]!;
  let e = (u >>> 23) - 126;
  ubits[0] = (u & 0x807fffff) | 0x3f000000;
  const m = bits[0]!;
  let x: number;
  if (m < SQRTHF) {
    e -= 1;
    x = f(f(m - 1) + m);
  } else {
    x = f(m - 1);
  }
  const p = f(x * madd(madd(A0, x, A1), x, A2));
  const q = madd(madd(madd(B0, x, B1), x, B2), x, 1);
  return madd(e, LN2, f(p / q));
}

/** The C library's logf (correctly rounded), with DAZ. */
export const libmLog = (v: number): number => (v < FLT_MIN && v > -FLT_MIN ? -Infinity : f(Math.log(v)));

/** TF's float32 Log over a flat buffer: packets of 8 through Eigen, the tail through logf. */
export function tfLogFloat32(src: ArrayLike<number>): Float32Array {
  const n = src.length;
  const out = new Float32Array(n);
  const outBits = new Uint32Array(out.buffer);
  const body = n - (n % PACKET);
  for (let i = 0; i < body; i++) {
    const y = eigenLogLane(src[i]!);
    // Eigen ORs an all-ones mask into invalid lanes (negative or NaN input): NaN with every bit set
    if (Number.isNaN(y)) outBits[i] = 0xffffffff;
    else out[i] = y;
  }
  for (let i = body; i < n; i++) out[i] = libmLog(src[i]!);
  return out;
}

export const EIGEN_LOG_KERNELS: readonly KernelEntry[] = [
  eigenUnaryKernel(LOG_OP, tfLogFloat32, (x) => tf.log(x)),
];
