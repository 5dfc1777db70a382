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
