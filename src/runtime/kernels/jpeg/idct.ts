/**
 * The two inverse DCTs TensorFlow's libjpeg-turbo runs, reimplemented from the algorithms'
 * published descriptions (not from libjpeg's code), with libjpeg's integer arithmetic so the
 * samples come out the same:
 *
 * - INTEGER_FAST (JDCT_IFAST, TF's default): the Arai-Agui-Nakajima factorisation with 8-bit
 *   fixed-point constants, products truncated (shifted right without rounding), the
 *   dequantisation table prescaled by the AAN factors to 2 extra fraction bits
 *   (IFAST_SCALE_BITS = PASS1_BITS = 2), and a truncating final descale by 2^5.
 * - INTEGER_ACCURATE (JDCT_ISLOW): the Loeffler-Ligtenberg-Moschytz factorisation with 13-bit
 *   constants, rounded descales after each pass (PASS1_BITS = 2).
 *
 * TensorFlow's x86-64 (and Arm) builds run libjpeg-turbo's SIMD versions of both, which
 * compute the same values in 16-bit lanes and saturate the final sample (packsswb) where
 * libjpeg's C code indexes its range-limit table with `x & 0x3FF` (so samples far out of
 * range wrap in C and clamp in TF). Measured: a JPEG whose samples overshoot beyond ±512
 * decodes to 255/0 in TF, not to C's wrapped value. So samples here are clamped, and a block
 * whose intermediate values would leave the range where the 16-bit lanes equal C's wide
 * integers (dequantised products and pass values beyond int16, or a fast-IDCT multiplier
 * input that overflows when pre-shifted by 2 bits) makes the decoder refuse the image
 * rather than guess how the lanes wrapped. Real photographs never get near these bounds;
 * crafted coefficients do.
 */
import { unsupportedJpeg } from './bits.js';

/** The final sample from an IDCT output centred on 0: saturated like the SIMD code. */
const sample = (x: number): number => (x < -128 ? 0 : x > 127 ? 255 : x + 128);

const overflow = () => unsupportedJpeg('a JPEG whose IDCT leaves the 16-bit range libjpeg-turbo\'s SIMD code computes in (crafted coefficients)');

/** AAN scale factors: 1 for k = 0, cos(k·π/16)·√2 otherwise. */
const AAN = [1, ...[1, 2, 3, 4, 5, 6, 7].map((k) => Math.cos((k * Math.PI) / 16) * Math.SQRT2)];

/**
 * libjpeg's `aanscales`: AAN[row]·AAN[col] in 14-bit fixed point, natural order. (Checked in
 * the test against the published table's corner values 16384, 22725, 31521 and 1247.)
 */
export const AAN_SCALES: readonly number[] = Array.from({ length: 64 }, (_, i) => Math.round(AAN[i >> 3]! * AAN[i & 7]! * 16384));

/** The IFAST multiplier table from a quantisation table (natural order). */
export function ifastMultipliers(q: ArrayLike<number>): Int32Array {
  const m = new Int32Array(64);
  // DESCALE(q·aan, CONST_BITS 14 − IFAST_SCALE_BITS 2), rounded
  for (let i = 0; i < 64; i++) m[i] = (q[i]! * AAN_SCALES[i]! + 2048) >> 12;
  return m;
}

// 8-bit fixed constants of the fast IDCT
const F1_082 = 277;
const F1_414 = 362;
const F1_847 = 473;
const F2_613 = 669;
/** MULTIPLY of the fast IDCT; the SIMD code pre-shifts `v` by 2 bits in a 16-bit lane. */
const mulF = (v: number, c: number): number => {
  if (v >= 8192 || v < -8192) throw overflow();
  return Math.floor((v * c) / 256);
};

/** Dequantised coefficients (and pass-1 values) must fit the lanes; see the header. */
function checkLanes(a: ArrayLike<number>, limit: number): void {
  for (let i = 0; i < 64; i++) if (a[i]! >= limit || a[i]! < -limit) throw overflow();
}

/**
 * One 8-point AAN pass over `d[o], d[o+s], …, d[o+7s]`, writing `w[p], w[p+t], …`.
 * The products are truncated like libjpeg's MULTIPLY without USE_ACCURATE_ROUNDING.
 */
function aan8(d: ArrayLike<number>, o: number, s: number, w: Int32Array, p: number, t: number): void {
  const t10 = d[o]! + d[o + 4 * s]!;
  const t11 = d[o]! - d[o + 4 * s]!;
  const t13 = d[o + 2 * s]! + d[o + 6 * s]!;
  const t12 = mulF(d[o + 2 * s]! - d[o + 6 * s]!, F1_414) - t13;
  const e0 = t10 + t13;
  const e3 = t10 - t13;
  const e1 = t11 + t12;
  const e2 = t11 - t12;
  const z13 = d[o + 5 * s]! + d[o + 3 * s]!;
  const z10 = d[o + 5 * s]! - d[o + 3 * s]!;
  const z11 = d[o + s]! + d[o + 7 * s]!;
  const z12 = d[o + s]! - d[o + 7 * s]!;
  const o7 = z11 + z13;
  const o11 = mulF(z11 - z13, F1_414);
  const z5 = mulF(z10 + z12, F1_847);
  const o10 = mulF(z12, F1_082) - z5;
  const o12 = mulF(z10, -F2_613) + z5;
  const o6 = o12 - o7;
  const o5 = o11 - o6;
  const o4 = o10 + o5;
  w[p] = e0 + o7;
  w[p + 7 * t] = e0 - o7;
  w[p + t] = e1 + o6;
  w[p + 6 * t] = e1 - o6;
  w[p + 2 * t] = e2 + o5;
  w[p + 5 * t] = e2 - o5;
  w[p + 4 * t] = e3 + o4;
  w[p + 3 * t] = e3 - o4;
}

const deq = new Int32Array(64);
const ws = new Int32Array(64);
const row = new Int32Array(8);

/**
 * IFAST: `coef` (natural order) times `mult` (ifastMultipliers) → 8×8 samples written to
 * `out` at `off` with row stride `stride`.
 */
export function idctFast(coef: ArrayLike<number>, mult: Int32Array, out: Uint8Array, off: number, stride: number): void {
  for (let i = 0; i < 64; i++) deq[i] = coef[i]! * mult[i]!;
  checkLanes(deq, 32768);
  for (let c = 0; c < 8; c++) aan8(deq, c, 8, ws, c, 8);
  checkLanes(ws, 32768);
  for (let r = 0; r < 8; r++) {
    aan8(ws, r * 8, 1, row, 0, 1);
    const o = off + r * stride;
    // IDESCALE(x, PASS1_BITS + 3): a plain arithmetic shift
    for (let c = 0; c < 8; c++) out[o + c] = sample(row[c]! >> 5);
  }
}

// 13-bit constants of the accurate IDCT
const C0_298 = 2446;
const C0_390 = 3196;
const C0_541 = 4433;
const C0_765 = 6270;
const C0_899 = 7373;
const C1_175 = 9633;
const C1_501 = 12299;
const C1_847 = 15137;
const C1_961 = 16069;
const C2_053 = 16819;
const C2_562 = 20995;
const C3_072 = 25172;

/** Rounded right shift on values that may exceed 32 bits. */
const descale = (x: number, n: number): number => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/**
 * One 8-point LLM pass: inputs `d[o + k·s]`, outputs (before descaling) into `r[0..7]`;
 * the even part's DC terms are scaled by 2^13 as libjpeg's CONST_BITS.
 */
function llm8(d: ArrayLike<number>, o: number, s: number, r: Float64Array): void {
  const z2a = d[o + 2 * s]!;
  const z3a = d[o + 6 * s]!;
  const z1 = (z2a + z3a) * C0_541;
  const t2 = z1 - z3a * C1_847;
  const t3 = z1 + z2a * C0_765;
  const t0 = (d[o]! + d[o + 4 * s]!) * 8192;
  const t1 = (d[o]! - d[o + 4 * s]!) * 8192;
  const t10 = t0 + t3;
  const t13 = t0 - t3;
  const t11 = t1 + t2;
  const t12 = t1 - t2;
  const a0 = d[o + 7 * s]!;
  const a1 = d[o + 5 * s]!;
  const a2 = d[o + 3 * s]!;
  const a3 = d[o + s]!;
  const z5 = (a0 + a2 + a1 + a3) * C1_175;
  const y1 = (a0 + a3) * -C0_899;
  const y2 = (a1 + a2) * -C2_562;
  const y3 = (a0 + a2) * -C1_961 + z5;
  const y4 = (a1 + a3) * -C0_390 + z5;
  const b0 = a0 * C0_298 + y1 + y3;
  const b1 = a1 * C2_053 + y2 + y4;
  const b2 = a2 * C3_072 + y2 + y3;
  const b3 = a3 * C1_501 + y1 + y4;
  r[0] = t10 + b3;
  r[7] = t10 - b3;
  r[1] = t11 + b2;
  r[6] = t11 - b2;
  r[2] = t12 + b1;
  r[5] = t12 - b1;
  r[3] = t13 + b0;
  r[4] = t13 - b0;
}

const acc = new Float64Array(8);
const wsSlow = new Float64Array(64);

/** ISLOW: `coef` (natural order) times the quantisation table `q` → samples as idctFast. */
export function idctSlow(coef: ArrayLike<number>, q: ArrayLike<number>, out: Uint8Array, off: number, stride: number): void {
  for (let i = 0; i < 64; i++) deq[i] = coef[i]! * q[i]!;
  // inputs are summed in pairs in 16-bit lanes before the 32-bit multiply-adds
  checkLanes(deq, 16384);
  for (let c = 0; c < 8; c++) {
    llm8(deq, c, 8, acc);
    for (let k = 0; k < 8; k++) wsSlow[k * 8 + c] = descale(acc[k]!, 11); // CONST_BITS − PASS1_BITS
  }
  checkLanes(wsSlow, 16384);
  for (let r = 0; r < 8; r++) {
    llm8(wsSlow, r * 8, 1, acc);
    const o = off + r * stride;
    for (let c = 0; c < 8; c++) out[o + c] = sample(descale(acc[c]!, 18)); // CONST_BITS + PASS1_BITS + 3
  }
}
