/**
 * The fast path of json-parser.ts for the usual request payload: arrays of plain JSON
 * numbers (each row of `{"instances": [[0.1, 2, -3e-2], ...]}`).
 *
 * It scans the bytes once to check that the array holds nothing but numbers, brackets,
 * commas and whitespace, and to note for each number what the exact parser would make of it
 * (a decimal → JS number; an integer → JsonInt, exact as a bigint past 2^53). Then one
 * native `JSON.parse` of the whole array (correctly rounded, as the exact parser's result)
 * gives the values. Anything else returns null, having consumed nothing, and the exact parser
 * decides: empty arrays, `NaN`/`Infinity`, exponents of 3+ digits (which may overflow: "Number
 * too big"), integers of 300+ digits, strings, objects, syntax errors, nesting deeper than
 * {@link MAX_FAST_DEPTH}. The result is the exact parser's, value for value (test/tensor/json-fast.test.ts).
 */
/** Builds the parser's integer value (json-parser.ts passes `new JsonInt(value, big)`). */
export type MakeInt = (value: number, big: bigint | null) => unknown;

/**
 * Nesting the fast path takes in one go. 1: each innermost row is one fast array, its
 * enclosing arrays go through the exact parser's container stack. Taking a whole
 * `[[...], ...]` body in one JSON.parse measured no faster (bench:micro parse.*: 1.06-1.19x
 * the per-row time on this machine), so rows it is; the scan and the walk support deeper.
 */
export const MAX_FAST_DEPTH = 1;

const COMMA = 0x2c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

// A number's kind: 0 = decimal, 1 = integer of <= 15 digits, 2 = longer integer.

/** A parsed array and the offset just after its closing bracket. */
export interface FastArray {
  /** JSON.parse's arrays, integers replaced by `makeInt`'s values (json-parser's JsonValue[]). */
  readonly value: unknown[];
  readonly next: number;
}


/**
 * At the number starting at `p`: its end × 4 + its kind; or -1 when it is not a plain number
 * the fast path takes.
 */
function scanNumber(b: Uint8Array, p: number, end: number): number {
  let c = b[p]!;
  if (c === MINUS) c = ++p < end ? b[p]! : 0;
  const intStart = p;
  if (c === ZERO) p++;
  else if (c >= 0x31 && c <= NINE) {
    p++;
    while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
  } else return -1;
  const intDigits = p - intStart;
  if (intDigits > 300) return -1;
  let kind = intDigits <= 15 ? 1 : 2;
  if (p < end && b[p] === DOT) {
    const f = ++p;
    while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
    if (p === f) return -1;
    kind = 0;
  }
  if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
    p++;
    if (p < end && (b[p] === PLUS || b[p] === MINUS)) p++;
    const e = p;
    while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
    // Exponents of 3+ digits may overflow ("Number too big"): the exact path decides.
    if (p === e || p - e > 2) return -1;
    kind = 0;
  }
  return p * 4 + kind;
}

/** The array at `start` (a `[`) if it holds only numbers and non-empty arrays of them; else null. */
export function fastNumberArray(b: Buffer, start: number, end: number, makeInt: MakeInt): FastArray | null {
  let p = start + 1;
  let depth = 1;
  let expectValue = true;
  const kinds: number[] = []; // per number, in document order
  const bigs: number[] = []; // start, end of each kind-2 integer
  for (;;) {
    let w = p < end ? b[p]! : 0;
    while (w === 0x20 || w === 0x0a || w === 0x0d || w === 0x09) w = ++p < end ? b[p]! : 0;
    if (p >= end) return null;
    const c = b[p]!;
    if (expectValue) {
      if (c === LBRACKET) {
        if (++depth > MAX_FAST_DEPTH) return null;
        p++;
        continue;
      }
      const r = scanNumber(b, p, end);
      if (r < 0) return null; // also `]` of an empty array or after a trailing comma
      const kind = r % 4;
      const q = (r - kind) / 4;
      kinds.push(kind);
      if (kind === 2) bigs.push(p, q);
      p = q;
      expectValue = false;
    } else if (c === COMMA) {
      p++;
      expectValue = true;
    } else if (c === RBRACKET) {
      p++;
      if (--depth === 0) break;
    } else {
      return null;
    }
  }
  const value = JSON.parse(b.toString('latin1', start, p)) as unknown[];
  walkIndex = 0;
  walkBig = 0;
  classify(value, b, kinds, bigs, makeInt);
  return { value, next: p };
}

/** Replace each integer of `arr` (in place, document order) by what the exact parser makes of it. */
// The walk's position in `kinds` and in the big-integer offsets (module state: parsing is synchronous).
let walkIndex = 0;
let walkBig = 0;

function classify(arr: unknown[], b: Buffer, kinds: readonly number[], bigs: readonly number[], makeInt: MakeInt): void {
  for (let j = 0; j < arr.length; j++) {
    const v = arr[j];
    // A nested array (only when MAX_FAST_DEPTH > 1).
    if (typeof v !== 'number') {
      classify(v as unknown[], b, kinds, bigs, makeInt);
      continue;
    }
    const k = kinds[walkIndex++];
    if (k === 1) arr[j] = makeInt(v === 0 ? 0 : v, null);
    else if (k === 2) {
      const exact = BigInt(b.toString('latin1', bigs[walkBig]!, bigs[walkBig + 1]!));
      walkBig += 2;
      // Past int64/uint64 the exact parser keeps rapidjson's double.
      if (exact >= INT64_MIN && exact <= UINT64_MAX) arr[j] = makeInt(Number(exact), Number.isSafeInteger(v) ? null : exact);
    }
  }
}
