/**
 * The fast path of json-parser.ts for the usual request payload: arrays of plain JSON
 * numbers (each row of `{"instances": [[0.1, 2, -3e-2], ...]}`).
 *
 * It scans the bytes once to check that the array holds nothing but numbers, commas and
 * whitespace, and to note for each number what the exact parser would make of it
 * (a decimal → JS number; an integer → JsonInt, exact as a bigint past 2^53). Then one
 * native `JSON.parse` of the whole array (correctly rounded, as the exact parser's result)
 * gives the values. Anything else returns null, having consumed nothing, and the exact parser
 * decides: empty arrays, `NaN`/`Infinity`, exponents of 3+ digits (which may overflow: "Number
 * too big"), integers of 300+ digits, strings, objects, nested arrays (each row is taken on its
 * own), syntax errors. The result is the exact parser's, value for value (test/tensor/json-fast.test.ts).
 *
 * Before that, {@link directNumberArray} tries to read the numbers in the same single scan,
 * without the string copy and `JSON.parse` (which costs ~65 ns a number for the 16–17 digit
 * decimals that float32 values print as). A decimal of at most 19 significant digits with a
 * power of ten within ±22 is computed in double-double arithmetic (error under 2^-100 of the
 * value) and taken only when that interval rounds to one double, so the result is the
 * correctly rounded one, as JSON.parse's; any other token (and any doubt) leaves the array
 * to the scan above.
 *
 * {@link fastInstancesBody} reads a whole predict body of the usual form (`{"instances": rows
 * of numbers}`) in one scan straight into a Float32Array, with no document tree (json-tensor.ts
 * builds one only if something asks for it); 16–19 digit decimals there are rounded to float32
 * through plain double arithmetic when that provably gives the float32 of the exact double.
 */

/** Builds the parser's integer value (json-parser.ts passes `new JsonInt(value, big)`). */
export type MakeInt = (value: number, big: bigint | null) => unknown;

const COMMA = 0x2c;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A parsed array and the offset just after its closing bracket. */
export interface FastArray {
  /** The values, integers as `makeInt` makes them (json-parser's JsonValue[]). */
  readonly value: unknown[];
  readonly next: number;
}

/**
 * The array at `start` (a `[`) if it holds only plain numbers (no NaN/Infinity, no exponent
 * large enough to overflow, nothing rapidjson would reject), parsed with the native JSON.parse
 * (correctly rounded, fast), each element classified from its text as the exact path would;
 * null, having consumed nothing, for anything else (nested arrays included: each row is
 * taken on its own, which measured as fast as one JSON.parse per body).
 */
export function fastNumberArray(b: Buffer, start: number, end: number, makeInt: MakeInt): FastArray | null {
  const direct = directNumberArray(b, start, end, makeInt);
  if (direct !== undefined) return direct;
  let p = start + 1;
  // Per element: 0 = decimal (double), 1 = integer with ≤ 15 digits, 2 = longer integer.
  const kinds: number[] = [];
  const bigStarts: number[] = [];
  const bigEnds: number[] = [];
  for (;;) {
    while (p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (p >= end) return null;
    let c = b[p]!;
    if (c === RBRACKET && kinds.length === 0) return null; // `[]`: the generic path is as fast
    const tokenStart = p;
    if (c === MINUS) c = ++p < end ? b[p]! : 0;
    const intStart = p;
    if (c === ZERO) p++;
    else if (c >= 0x31 && c <= NINE) {
      p++;
      while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
    } else return null;
    const intDigits = p - intStart;
    let kind = intDigits <= 15 ? 1 : 2;
    if (p < end && b[p] === DOT) {
      p++;
      const f = p;
      while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
      if (p === f) return null;
      kind = 0;
    }
    if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
      p++;
      if (p < end && (b[p] === PLUS || b[p] === MINUS)) p++;
      const e = p;
      while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
      // Exponents of 3+ digits may overflow ("Number too big"): let the exact path decide.
      if (p === e || p - e > 2) return null;
      kind = 0;
    }
    if (intDigits > 300) return null;
    kinds.push(kind);
    if (kind === 2) {
      bigStarts.push(tokenStart);
      bigEnds.push(p);
    }
    while (p < end && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    if (p >= end) return null;
    if (b[p] === COMMA) {
      p++;
      continue;
    }
    if (b[p] === RBRACKET) break;
    return null;
  }
  const values = JSON.parse(b.toString('latin1', start, p + 1)) as number[];
  const out: unknown[] = new Array<unknown>(values.length);
  let big = 0;
  for (let i = 0; i < values.length; i++) {
    const k = kinds[i]!;
    const v = values[i]!;
    if (k === 0) out[i] = v;
    else if (k === 1) out[i] = makeInt(v === 0 ? 0 : v, null);
    else {
      const text = b.toString('latin1', bigStarts[big]!, bigEnds[big]!);
      big++;
      const exact = BigInt(text);
      out[i] = exact >= INT64_MIN && exact <= UINT64_MAX ? makeInt(Number(exact), Number.isSafeInteger(v) ? null : exact) : v;
    }
  }
  return { value: out, next: p + 1 };
}


/** 10^0 .. 10^22: exact doubles. */
const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(Number(`1e${i}`));
/** Veltkamp's splitter for doubles (2^27 + 1). */
const SPLITTER = 134217729;
/** The result is taken when ±|value|·2^-90 around it rounds to one double; its error is < 2^-100 of the value. */
const MARGIN = 2 ** -90;

/** Upper half of `a`'s significand (Veltkamp split): `a - splitHi(a)` is the exact lower half. */
function splitHi(a: number): number {
  const t = SPLITTER * a;
  return t - (t - a);
}

/** The rounding error of `a * b` (`a * b === p + twoProdErr(a, b, p)` exactly; no overflow for |a|, |b| < 2^900). */
function twoProdErr(a: number, b: number, p: number): number {
  const ah = splitHi(a);
  const al = a - ah;
  const bh = splitHi(b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * `sign · (hi·10^lowDigits + lo) · 10^k` correctly rounded, or NaN when that is not certain.
 * hi < 10^15, lo < 10^lowDigits, lowDigits ≤ 4, 1 ≤ |k| ≤ 22 or k = 0, hi > 0.
 */
function decimalToDouble(hi: number, lo: number, lowDigits: number, k: number): number {
  // The significand m exactly as mh + ml (m < 10^19 < 2^64: integers, no rounding below).
  const scale = POW10[lowDigits]!;
  const p0 = hi * scale;
  const e0 = twoProdErr(hi, scale, p0);
  const s = p0 + lo;
  const t = lo - (s - p0) + e0;
  const mh = s + t;
  const ml = t - (mh - s);
  const pow = POW10[k < 0 ? -k : k]!;
  let h: number;
  let l: number;
  if (k >= 0) {
    const p = mh * pow;
    const e = twoProdErr(mh, pow, p) + ml * pow;
    h = p + e;
    l = e - (h - p);
  } else {
    const q1 = mh / pow;
    const p = q1 * pow;
    const r = mh - p - twoProdErr(q1, pow, p) + ml;
    const q2 = r / pow;
    h = q1 + q2;
    l = q2 - (h - q1);
  }
  // The exact value lies within h + l ± |h|·2^-100: take h when that whole interval rounds to it.
  const margin = (h < 0 ? -h : h) * MARGIN;
  return h + (l + margin) === h && h + (l - margin) === h ? h : NaN;
}

/**
 * Set by {@link readNumber}: the offset just after the token it read, whether that token was
 * an integer, and whether its value is only the float32 rounding of the double (`float32` reads).
 */
let tokenEnd = 0;
let tokenInt = false;
let tokenFloat32Only = false;
/** The value of the token {@link scanNumber} read. */
const tokenNumber = new Float64Array(1);
/** The significand scanNumber read: its first 15 digits, then the next 4. */
const significand = new Float64Array(2);

/**
 * The float32 nearest to the double nearest to `(hi·10^lowDigits + lo)·10^k` (hi, lo: the
 * {@link significand}; what a float32 tensor stores for this decimal) into {@link tokenNumber}
 * (true), or false when that needs the exact double. Doubles in and out go through those
 * Float64Arrays: as arguments or a return value they would be boxed, one allocation each. The plain double
 * arithmetic here is within 2^-51 of the value and the correctly rounded double within 2^-53,
 * so both lie inside v·(1 ± 2^-48); when both ends of that round to one float32, so does the
 * double (rounding is monotonic). Only decimals within ~2^-26 of a float32 tie are refused.
 */
function decimalToFloat32(lowDigits: number, k: number): boolean {
  const m = significand[0]! * POW10[lowDigits]! + significand[1]!;
  const v = k >= 0 ? m * POW10[k]! : m / POW10[-k]!;
  const below = Math.fround(v * (1 - 2 ** -48));
  tokenNumber[0] = below;
  return below === Math.fround(v * (1 + 2 ** -48));
}

/**
 * The number token at `p` as the exact parser makes it (signed; "-0" as an integer gives -0,
 * which callers turn into the integer 0), with {@link tokenEnd} and {@link tokenInt} set; NaN
 * when the token is not one this converts exactly (see the module comment) or not a number.
 */
function readNumber(b: Buffer, p: number, end: number, float32 = false): number {
  return scanNumber(b, p, end, float32) ? tokenNumber[0]! : NaN;
}

/**
 * {@link readNumber}'s scan: true with the value in {@link tokenNumber}, or false. The value
 * goes through a Float64Array, not a return value: a double returned from a function too big
 * to inline is boxed as a heap number, one allocation per number of the request.
 */
function scanNumber(b: Buffer, p: number, end: number, float32: boolean): boolean {
  let c = p < end ? b[p]! : 0;
  const neg = c === MINUS;
  if (neg) c = ++p < end ? b[p]! : 0;
  // Significant digits (leading zeros skipped): the first 15 in hi (exact: < 10^15),
  // the next 4 in lo.
  let hi = 0;
  let lo = 0;
  let digits = 0;
  let k = 0;
  let decimal = false;
  if (c === ZERO) c = ++p < end ? b[p]! : 0;
  else if (c > ZERO && c <= NINE) {
    do {
      hi = hi * 10 + (c - ZERO);
      digits++;
      c = ++p < end ? b[p]! : 0;
    } while (c >= ZERO && c <= NINE);
  } else return false;
  if (digits > 15) return false; // long integers (bigint, uint64 range) or long integer parts
  if (c === DOT) {
    decimal = true;
    c = ++p < end ? b[p]! : 0;
    if (c < ZERO || c > NINE) return false;
    if (digits === 0) {
      while (c === ZERO) {
        k--;
        c = ++p < end ? b[p]! : 0;
      }
    }
    // Fraction digits: the power of ten drops by one for each (k adjusted once, after).
    const fraction = p;
    while (digits < 15 && c >= ZERO && c <= NINE) {
      hi = hi * 10 + (c - ZERO);
      digits++;
      c = ++p < end ? b[p]! : 0;
    }
    while (c >= ZERO && c <= NINE) {
      lo = lo * 10 + (c - ZERO);
      digits++;
      c = ++p < end ? b[p]! : 0;
    }
    k -= p - fraction;
  }
  if (c === 0x65 || c === 0x45) {
    decimal = true;
    c = ++p < end ? b[p]! : 0;
    const expNeg = c === MINUS;
    if (expNeg || c === PLUS) c = ++p < end ? b[p]! : 0;
    if (c < ZERO || c > NINE) return false;
    let exp = c - ZERO;
    c = ++p < end ? b[p]! : 0;
    if (c >= ZERO && c <= NINE) {
      exp = exp * 10 + (c - ZERO);
      c = ++p < end ? b[p]! : 0;
    }
    if (c >= ZERO && c <= NINE) return false; // 3+ exponent digits
    k += expNeg ? -exp : exp;
  }
  // hi and lo go through a Float64Array: past 2^31 they are doubles, boxed as arguments.
  significand[0] = hi;
  significand[1] = lo;
  return tokenValue(digits, k, p, neg, decimal, float32);
}

/**
 * scanNumber's last step: the value of the scanned significand ({@link significand}, `digits` digits)
 * times 10^k into {@link tokenNumber}, with {@link tokenEnd} (= `p`), {@link tokenInt} and
 * {@link tokenFloat32Only} set; false when plain double arithmetic cannot give it exactly.
 */
function tokenValue(digits: number, k: number, p: number, neg: boolean, decimal: boolean, float32: boolean): boolean {
  const hi = significand[0]!;
  const lo = significand[1]!;
  if (digits > 19) return false;
  let v: number;
  if (digits === 0) v = 0;
  else if (digits > 15) {
    if (k < -22 || k > 22) return false;
    if (float32) {
      if (decimalToFloat32(digits - 15, k)) {
        tokenEnd = p;
        tokenInt = false;
        tokenFloat32Only = true;
        if (neg) tokenNumber[0] = -tokenNumber[0]!;
        return true;
      }
    }
    v = decimalToDouble(hi, lo, digits - 15, k);
  } else if (k === 0) v = hi;
  else if (k > 0 && k <= 22) v = hi * POW10[k]!;
  else if (k < 0 && k >= -22) v = hi / POW10[-k]!;
  else return false;
  tokenEnd = p;
  tokenInt = !decimal;
  tokenFloat32Only = false;
  tokenNumber[0] = neg ? -v : v;
  return true;
}

/** The offset of the first byte at or after `p` that is not JSON whitespace. */
function skipWs(b: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else break;
  }
  return p;
}

/**
 * The array at `start` read in one scan when every element is a number this can convert
 * exactly (see the module comment): decimals of ≤ 19 significant digits with a power of ten
 * within ±22, and integers of ≤ 15 digits. undefined, having consumed nothing, for
 * anything else (fastNumberArray's scan then decides).
 */
export function directNumberArray(b: Buffer, start: number, end: number, makeInt: MakeInt): FastArray | undefined {
  const out: unknown[] = [];
  let p = start + 1;
  for (;;) {
    p = skipWs(b, p, end);
    const v = readNumber(b, p, end);
    if (v !== v) return undefined;
    p = skipWs(b, tokenEnd, end);
    if (tokenInt) out.push(makeInt(v === 0 ? 0 : v, null));
    else out.push(v);
    const c = p < end ? b[p]! : 0;
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c === RBRACKET) return { value: out, next: p + 1 };
    return undefined;
  }
}

/**
 * A predict body of the usual form, read in one scan: `{"instances": <rectangular nested
 * array of numbers>}`, with an optional `"signature_name": "<plain ASCII>"` member.
 */
export interface FastInstances {
  /** `instances`' shape: [rows, ...each instance's shape]. */
  readonly shape: number[];
  /**
   * Every number in row-major order, as the exact parser's value (a double; an integer as
   * its double, "-0" as 0) rounded to nearest float32, as a DT_FLOAT tensor stores it.
   */
  readonly values: Float32Array;
  /**
   * Whether `values` holds the doubles exactly: every double was a float32 already, and none
   * was read only to its float32 rounding (16–19 digit decimals, {@link decimalToFloat32}).
   */
  readonly exact: boolean;
  /** `signature_name` ('' when absent). */
  readonly signatureName: string;
  /** Set once `values` is handed out as a tensor's storage (later callers get a copy). */
  taken: boolean;
}

/** Deepest `instances` nesting read here (deeper bodies take the exact parser). */
const MAX_FAST_DEPTH = 8;

const INSTANCES_KEY = Buffer.from('"instances"', 'latin1');
const SIGNATURE_KEY = Buffer.from('"signature_name"', 'latin1');

/** Whether the bytes at `p` are `key`'s. */
function bytesAt(b: Buffer, p: number, end: number, key: Buffer): boolean {
  if (end - p < key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[p + i] !== key[i]) return false;
  return true;
}

/** The member name at `p`: 1 = "instances", 2 = "signature_name", 0 = anything else. */
function memberKey(b: Buffer, p: number, end: number): number {
  if (bytesAt(b, p, end, INSTANCES_KEY)) return 1;
  if (bytesAt(b, p, end, SIGNATURE_KEY)) return 2;
  return 0;
}

/**
 * The whole body as {@link FastInstances}, or null for anything else, in which case the
 * exact parser reads it (and gives its errors). Taken only when the exact parser would accept
 * the body, with `instances` a list of equally shaped instances whose leaves are all numbers
 * that {@link readNumber} converts exactly, at least one of them a decimal (all-integer bodies
 * keep the general path, where integer dtypes are converted), and nothing but whitespace after
 * the closing brace. Keys must be unescaped; repeated keys fall back.
 */
export function fastInstancesBody(b: Buffer): FastInstances | null {
  const end = b.length;
  let p = skipWs(b, 0, end);
  if (b[p] !== 0x7b) return null;
  let instances: NumericArray | null = null;
  let signatureName: string | undefined;
  for (;;) {
    p = skipWs(b, p + 1, end);
    const key = memberKey(b, p, end);
    if (key === 0) return null;
    p = skipWs(b, p + (key === 1 ? 11 : 16), end);
    if (b[p] !== 0x3a) return null;
    p = skipWs(b, p + 1, end);
    if (key === 1) {
      if (instances) return null;
      instances = numericArray(b, p, end);
      if (!instances) return null;
      p = tokenEnd;
    } else {
      if (signatureName !== undefined || b[p] !== 0x22) return null;
      const s = ++p;
      // Printable ASCII without escapes: the exact parser's string is these bytes.
      while (p < end && b[p]! >= 0x20 && b[p]! < 0x7f && b[p] !== 0x22 && b[p] !== 0x5c) p++;
      if (b[p] !== 0x22) return null;
      signatureName = b.toString('latin1', s, p);
      p++;
    }
    p = skipWs(b, p, end);
    if (b[p] === COMMA) continue;
    if (b[p] !== 0x7d) return null;
    break;
  }
  if (!instances || skipWs(b, p + 1, end) !== end) return null;
  // Fields named, not spread (a spread is a slower generic copy).
  return { shape: instances.shape, values: instances.values, exact: instances.exact, signatureName: signatureName ?? '', taken: false };
}

interface NumericArray {
  readonly shape: number[];
  readonly values: Float32Array;
  readonly exact: boolean;
}

/** numericArray's list lengths and counts by depth (1..MAX_FAST_DEPTH): no arrays per body. */
const fastLens = new Int32Array(MAX_FAST_DEPTH + 1);
const fastCounts = new Int32Array(MAX_FAST_DEPTH + 1);

/** Where numericArray collects values (grown by doubling; the result is an exact-size copy). */
let scratch = new Float32Array(1024);

/**
 * The nested array at `p` (a `[`) when it is rectangular (every list at one depth has the
 * same length, numbers only at the deepest), non-empty, holds at least one decimal and only
 * numbers {@link readNumber} converts; {@link tokenEnd} is then just after its `]`.
 */
function numericArray(b: Buffer, p: number, end: number): NumericArray | null {
  if (b[p] !== 0x5b) return null;
  let out = scratch;
  let n = 0;
  let decimals = 0;
  let exact = true;
  let rank = 0; // depth of the numbers, once the first is seen
  let depth = 0;
  const lens = fastLens; // length of the lists at each depth (the first one's; -1: none yet)
  const counts = fastCounts; // elements so far in the open list at each depth
  lens.fill(-1);
  for (;;) {
    // At the start of an element (or of the first list).
    if (b[p] === 0x5b) {
      depth++;
      if (depth > MAX_FAST_DEPTH || (rank !== 0 && depth > rank)) return null;
      counts[depth] = 0;
      p = skipWs(b, p + 1, end);
      if (b[p] === RBRACKET) return null; // empty list
      continue;
    }
    if (rank === 0) rank = depth;
    else if (depth !== rank) return null;
    if (!scanNumber(b, p, end, true)) return null;
    let v = tokenNumber[0]!;
    if (tokenFloat32Only) exact = false;
    if (n === out.length) {
      const grown = new Float32Array(2 * n);
      grown.set(out);
      out = scratch = grown;
    }
    if (tokenInt) v = v === 0 ? 0 : v;
    else decimals++;
    out[n++] = v;
    if (exact && out[n - 1] !== v) exact = false;
    counts[depth]!++;
    p = skipWs(b, tokenEnd, end);
    // After an element: a comma, or closing brackets (each closed list is an element of its parent).
    for (;;) {
      if (b[p] === COMMA) {
        p = skipWs(b, p + 1, end);
        break;
      }
      if (b[p] !== RBRACKET) return null;
      const len = counts[depth]!;
      if (lens[depth] === -1) lens[depth] = len;
      else if (lens[depth] !== len) return null;
      depth--;
      p++;
      if (depth === 0) {
        if (decimals === 0) return null;
        tokenEnd = p;
        const shape = new Array<number>(rank);
        for (let d = 0; d < rank; d++) shape[d] = lens[d + 1]!;
        return { shape, values: out.slice(0, n), exact };
      }
      counts[depth]!++;
      p = skipWs(b, p, end);
    }
  }
}
