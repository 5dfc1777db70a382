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
/**
 * MULTIPLY of the fast IDCT; the SIMD code pre-shifts `v` by 2 bits in a 16-bit lane. Within
 * that range |v·c| < 2^23, so the arithmetic shift is the truncating (floor) descale.
 */
const mulF = (v: number, c: number): number => {
  if (v >= 8192 || v < -8192) throw overflow();
  return (v * c) >> 8;
};

/** Dequantised coefficients (and pass-1 values) must fit the lanes; see the header. */
function checkLanes(a: ArrayLike<number>, limit: number): void {
  for (let i = 0; i < 64; i++) if (a[i]! >= limit || a[i]! < -limit) throw overflow();
}

/** Reused between blocks: the column pass's output. */
const ws = new Int32Array(64);

/** A dequantised value or pass-1 value outside the 16-bit lanes; see the header. */
const outside = (v: number): boolean => v >= 32768 || v < -32768;

/**
 * The column pass of IFAST: dequantise column `c` of the block at `coef[at..]` by `m` into
 * `w`. A column whose AC terms are all zero gives its DC term in all 8 rows: every product of
 * the pass is 0 there (libjpeg takes the same shortcut), so skipping it changes nothing.
 */
function fastColumn(coef: Int16Array, at: number, m: Int32Array, c: number, w: Int32Array): void {
  const i = at + c;
  if ((coef[i + 8]! | coef[i + 16]! | coef[i + 24]! | coef[i + 32]! | coef[i + 40]! | coef[i + 48]! | coef[i + 56]!) === 0) {
    const d = coef[i]! * m[c]!;
    if (outside(d)) throw overflow();
    w[c] = w[c + 8] = w[c + 16] = w[c + 24] = w[c + 32] = w[c + 40] = w[c + 48] = w[c + 56] = d;
    return;
  }
  const d0 = coef[i]! * m[c]!, d1 = coef[i + 8]! * m[c + 8]!, d2 = coef[i + 16]! * m[c + 16]!, d3 = coef[i + 24]! * m[c + 24]!;
  const d4 = coef[i + 32]! * m[c + 32]!, d5 = coef[i + 40]! * m[c + 40]!, d6 = coef[i + 48]! * m[c + 48]!, d7 = coef[i + 56]! * m[c + 56]!;
  if (outside(d0) || outside(d1) || outside(d2) || outside(d3) || outside(d4) || outside(d5) || outside(d6) || outside(d7)) throw overflow();
  const t10 = d0 + d4;
  const t11 = d0 - d4;
  const t13 = d2 + d6;
  const t12 = mulF(d2 - d6, F1_414) - t13;
  const e0 = t10 + t13, e3 = t10 - t13, e1 = t11 + t12, e2 = t11 - t12;
  const z13 = d5 + d3, z10 = d5 - d3, z11 = d1 + d7, z12 = d1 - d7;
  const o7 = z11 + z13;
  const o11 = mulF(z11 - z13, F1_414);
  const z5 = mulF(z10 + z12, F1_847);
  const o10 = mulF(z12, F1_082) - z5;
  const o12 = mulF(z10, -F2_613) + z5;
  const o6 = o12 - o7, o5 = o11 - o6, o4 = o10 + o5;
  const r0 = e0 + o7, r7 = e0 - o7, r1 = e1 + o6, r6 = e1 - o6;
  const r2 = e2 + o5, r5 = e2 - o5, r4 = e3 + o4, r3 = e3 - o4;
  if (outside(r0) || outside(r1) || outside(r2) || outside(r3) || outside(r4) || outside(r5) || outside(r6) || outside(r7)) throw overflow();
  w[c] = r0;
  w[c + 8] = r1;
  w[c + 16] = r2;
  w[c + 24] = r3;
  w[c + 32] = r4;
  w[c + 40] = r5;
  w[c + 48] = r6;
  w[c + 56] = r7;
}

/**
 * The row pass of IFAST from `ws` into samples; `IDESCALE(x, PASS1_BITS + 3)` is a plain
 * arithmetic shift. A row with zero AC terms is its DC term 8 times (exact, as above).
 */
function fastRows(w: Int32Array, out: Uint8Array, off: number, stride: number): void {
  for (let r = 0, o = off; r < 64; r += 8, o += stride) {
    const d0 = w[r]!, d1 = w[r + 1]!, d2 = w[r + 2]!, d3 = w[r + 3]!;
    const d4 = w[r + 4]!, d5 = w[r + 5]!, d6 = w[r + 6]!, d7 = w[r + 7]!;
    if ((d1 | d2 | d3 | d4 | d5 | d6 | d7) === 0) {
      const v = sample(d0 >> 5);
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = out[o + 4] = out[o + 5] = out[o + 6] = out[o + 7] = v;
      continue;
    }
    const t10 = d0 + d4;
    const t11 = d0 - d4;
    const t13 = d2 + d6;
    const t12 = mulF(d2 - d6, F1_414) - t13;
    const e0 = t10 + t13, e3 = t10 - t13, e1 = t11 + t12, e2 = t11 - t12;
    const z13 = d5 + d3, z10 = d5 - d3, z11 = d1 + d7, z12 = d1 - d7;
    const o7 = z11 + z13;
    const o11 = mulF(z11 - z13, F1_414);
    const z5 = mulF(z10 + z12, F1_847);
    const o10 = mulF(z12, F1_082) - z5;
    const o12 = mulF(z10, -F2_613) + z5;
    const o6 = o12 - o7, o5 = o11 - o6, o4 = o10 + o5;
    out[o] = sample((e0 + o7) >> 5);
    out[o + 7] = sample((e0 - o7) >> 5);
    out[o + 1] = sample((e1 + o6) >> 5);
    out[o + 6] = sample((e1 - o6) >> 5);
    out[o + 2] = sample((e2 + o5) >> 5);
    out[o + 5] = sample((e2 - o5) >> 5);
    out[o + 4] = sample((e3 + o4) >> 5);
    out[o + 3] = sample((e3 - o4) >> 5);
  }
}

/**
 * IFAST: the block at `coef[at..at+63]` (natural order) times `mult` (ifastMultipliers) →
 * 8×8 samples written to `out` at `off` with row stride `stride`.
 */
export function idctFast(coef: Int16Array, at: number, mult: Int32Array, out: Uint8Array, off: number, stride: number): void {
  for (let c = 0; c < 8; c++) fastColumn(coef, at, mult, c, ws);
  fastRows(ws, out, off, stride);
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

/** Rounded right shifts by 11 and 18 bits, on values that may exceed 32 bits. */
const descale11 = (x: number): number => Math.floor((x + 1024) / 2048);
const descale18 = (x: number): number => Math.floor((x + 131072) / 262144);

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
const wsDeq = new Int32Array(64);
const wsSlow = new Float64Array(64);

/** ISLOW: `coef` (natural order) times the quantisation table `q` → samples as idctFast. */
export function idctSlow(coef: Int16Array, at: number, q: ArrayLike<number>, out: Uint8Array, off: number, stride: number): void {
  const deq = wsDeq;
  for (let i = 0; i < 64; i++) deq[i] = coef[at + i]! * q[i]!;
  // inputs are summed in pairs in 16-bit lanes before the 32-bit multiply-adds
  checkLanes(deq, 16384);
  // a column (row) whose AC terms are zero is its DC term ·2^13 throughout: llm8's other
  // products are all 0 then, so the shortcut computes the very same descaled values
  for (let c = 0; c < 8; c++) {
    if ((deq[c + 8]! | deq[c + 16]! | deq[c + 24]! | deq[c + 32]! | deq[c + 40]! | deq[c + 48]! | deq[c + 56]!) === 0) {
      const v = descale11(deq[c]! * 8192);
      for (let k = 0; k < 8; k++) wsSlow[k * 8 + c] = v;
      continue;
    }
    llm8(deq, c, 8, acc);
    for (let k = 0; k < 8; k++) wsSlow[k * 8 + c] = descale11(acc[k]!); // CONST_BITS − PASS1_BITS
  }
  checkLanes(wsSlow, 16384);
  for (let r = 0; r < 64; r += 8) {
    const o = off + (r >> 3) * stride;
    const w = wsSlow;
    if (w[r + 1] === 0 && w[r + 2] === 0 && w[r + 3] === 0 && w[r + 4] === 0 && w[r + 5] === 0 && w[r + 6] === 0 && w[r + 7] === 0) {
      out.fill(sample(descale18(w[r]! * 8192)), o, o + 8);
      continue;
    }
    llm8(w, r, 1, acc);
    for (let c = 0; c < 8; c++) out[o + c] = sample(descale18(acc[c]!)); // CONST_BITS + PASS1_BITS + 3
  }
}
