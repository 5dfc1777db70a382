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
 * Both end with libjpeg's range-limit table: the sample is `x + 128` clamped to 0..255 for
 * `x` in -512..511 and the index wraps (`x & 0x3FF`) beyond that.
 */

/** `RANGE[x & 1023]`: libjpeg's IDCT range limit (sample_range_limit + CENTERJSAMPLE). */
const RANGE = (() => {
  const t = new Uint8Array(1024);
  for (let v = 0; v < 1024; v++) {
    const x = v < 512 ? v : v - 1024;
    t[v] = x < -128 ? 0 : x > 127 ? 255 : x + 128;
  }
  return t;
})();

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
const mulF = (v: number, c: number): number => Math.floor((v * c) / 256);

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
  for (let c = 0; c < 8; c++) aan8(deq, c, 8, ws, c, 8);
  for (let r = 0; r < 8; r++) {
    aan8(ws, r * 8, 1, row, 0, 1);
    const o = off + r * stride;
    // IDESCALE(x, PASS1_BITS + 3): a plain arithmetic shift
    for (let c = 0; c < 8; c++) out[o + c] = RANGE[(row[c]! >> 5) & 1023]!;
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
  for (let c = 0; c < 8; c++) {
    llm8(deq, c, 8, acc);
    for (let k = 0; k < 8; k++) wsSlow[k * 8 + c] = descale(acc[k]!, 11); // CONST_BITS − PASS1_BITS
  }
  for (let r = 0; r < 8; r++) {
    llm8(wsSlow, r * 8, 1, acc);
    const o = off + r * stride;
    for (let c = 0; c < 8; c++) out[o + c] = RANGE[descale(acc[c]!, 18) & 1023]!; // CONST_BITS + PASS1_BITS + 3
  }
}
