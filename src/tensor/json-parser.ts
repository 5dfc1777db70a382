/**
 * A JSON parser that reads request bodies the way tensorflow_model_server does
 * (rapidjson v1.1.0 with the iterative, NaN/Inf and stop-when-done flags; spec §1.10).
 *
 * Why not `JSON.parse`: upstream's dtype rules depend on whether a number was written
 * as an integer (`2`) or a decimal (`2.0`), it accepts `NaN`/`Infinity`, ignores bytes
 * after the first complete value, stops at a NUL byte, and reports errors with
 * rapidjson's texts and byte offsets. This parser reproduces all of that, never recurses
 * (any nesting depth is fine: the container stack is an array) and keeps strings' raw
 * bytes when they are not valid UTF-8.
 *
 * Value model ({@link JsonValue}):
 *  - `null`, `true`, `false`;
 *  - a JS `number` for a number written with a fraction/exponent, `NaN`/`Infinity`, or an
 *    integer outside the 64-bit ranges (rapidjson's "double");
 *  - {@link JsonInt} for an integer literal that fits int64 or uint64;
 *  - a JS `string` (valid UTF-8) or {@link JsonBytes} (any other byte string);
 *  - a JS array; a {@link JsonObject} (members in document order, duplicates kept).
 */
import { Errors } from '../errors.js';
import { fastNumberArray } from './json-fast.js';

/** An integer literal that fits int64 or uint64 (rapidjson Int/Uint/Int64/Uint64). */
export class JsonInt {
  constructor(
    /** The value as a JS number (exact when |value| ≤ 2^53). */
    readonly value: number,
    /** The exact value when it is not a safe integer, else null. */
    readonly big: bigint | null,
  ) {}

  /** The exact value as a bigint. */
  toBigInt(): bigint {
    return this.big ?? BigInt(this.value);
  }
}

/** JsonInts of 0..1023, shared (they are immutable): pixel and token ids need no object each. */
const SMALL_INTS: readonly JsonInt[] = Array.from({ length: 1024 }, (_, i) => new JsonInt(i, null));

const makeInt = (value: number, big: bigint | null): JsonInt =>
  big === null && value >= 0 && value < 1024 && (value | 0) === value ? SMALL_INTS[value]! : new JsonInt(value, big);

/** A JSON string whose bytes are not valid UTF-8 (kept byte-exact; rapidjson does not validate). */
export class JsonBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A JSON object: members in document order, duplicate keys kept (lookups return the first). */
export class JsonObject {
  readonly keys: string[] = [];
  readonly values: JsonValue[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** The first member named `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.values[i];
  }

  has(key: string): boolean {
    return this.keys.indexOf(key) >= 0;
  }
}

export type JsonValue = null | boolean | number | JsonInt | string | JsonBytes | JsonValue[] | JsonObject;

/** rapidjson's `GetParseError_En` texts (v1.1.0). */
export const RAPIDJSON_ERRORS = {
  documentEmpty: 'The document is empty.',
  rootNotSingular: 'The document root must not be followed by other values.',
  valueInvalid: 'Invalid value.',
  objectMissName: 'Missing a name for object member.',
  objectMissColon: 'Missing a colon after a name of object member.',
  objectMissCommaOrCurly: "Missing a comma or '}' after an object member.",
  arrayMissCommaOrSquare: "Missing a comma or ']' after an array element.",
  unicodeEscapeInvalidHex: 'Incorrect hex digit after \\u escape in string.',
  surrogateInvalid: 'The surrogate pair in string is invalid.',
  escapeInvalid: 'Invalid escape character in string.',
  missQuotationMark: 'Missing a closing quotation mark in string.',
  invalidEncoding: 'Invalid encoding in string.',
  numberTooBig: 'Number too big to be stored in double.',
  missFraction: 'Miss fraction part in number.',
  missExponent: 'Miss exponent in number.',
  termination: 'Terminate parsing due to Handler error.',
  unspecific: 'Unspecific syntax error.',
} as const;

// Parser states (rapidjson's IterativeParsingState, the ones we need).
const START = 0;
const FINISH = 1;
const OBJ_INIT = 2;
const MEMBER_KEY = 3;
const KV_DELIM = 4;
const MEMBER_VALUE = 5;
const MEMBER_DELIM = 6;
const ARR_INIT = 7;
const ELEMENT = 8;
const ELEM_DELIM = 9;

// Character codes.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

class ParseFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(Number(`1e${i}`));

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A frame of the container stack: the container and the state to return to when it closes. */
interface Frame {
  container: JsonValue[] | JsonObject;
  /** Member key waiting for its value (objects only). */
  key: string;
  returnState: number;
}

class Parser {
  pos = 0;
  /** End of input: the buffer length or the first NUL byte (rapidjson's stream ends there). */
  readonly end: number;
  /** Buffer for strings with escapes, allocated on first use. */
  private scratch: Uint8Array | undefined;
  /** The open containers, innermost last. */
  private readonly stack: Frame[] = [];
  /** The root value once it is complete. */
  private root: JsonValue = null;

  constructor(
    private readonly b: Buffer,
    /** Whether arrays of plain numbers take json-fast.ts's path (false: the exact parser alone, for tests). */
    private readonly fast = true,
  ) {
    const nul = b.indexOf(0);
    this.end = nul < 0 ? b.length : nul;
    // rapidjson's UTF-8 input stream skips a byte-order mark (offsets still count it).
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3;
  }

  private skipWs(): void {
    const b = this.b;
    let p = this.pos;
    const end = this.end;
    while (p < end) {
      const c = b[p]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  parse(): JsonValue {
    let state = START;
    const b = this.b;
    this.skipWs();
    while (this.pos < this.end) {
      const c = b[this.pos]!;
      if (state === START || state === ARR_INIT || state === ELEM_DELIM || state === KV_DELIM) state = this.value(c, state);
      else state = this.punctuation(c, state);
      // Stop when done: bytes after the first complete root value are ignored.
      if (state === FINISH) return this.root;
      this.skipWs();
    }
    throw this.stateError(state);
  }

  /** Attach a finished value to the enclosing container (or make it the root). */
  private attach(v: JsonValue): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.root = v;
    } else if (Array.isArray(top.container)) {
      top.container.push(v);
    } else {
      top.container.keys.push(top.key);
      top.container.values.push(v);
    }
  }

  /** At the start of a value (states START, ARR_INIT, ELEM_DELIM, KV_DELIM): the next state. */
  private value(c: number, state: number): number {
    const valueState = state === START ? FINISH : state === KV_DELIM ? MEMBER_VALUE : ELEMENT;
    if (c === LBRACKET && this.fast) {
      // Fast path for the usual payload: an array (nested or not) of plain JSON numbers.
      const numbers = fastNumberArray(this.b, this.pos, this.end, makeInt);
      if (numbers) {
        this.pos = numbers.next;
        this.attach(numbers.value as JsonValue[]);
        return valueState;
      }
    }
    if (c === LBRACKET || c === LBRACE) {
      const container: JsonValue[] | JsonObject = c === LBRACKET ? [] : new JsonObject();
      this.stack.push({ container, key: '', returnState: valueState });
      this.pos++;
      return c === LBRACKET ? ARR_INIT : OBJ_INIT;
    }
    if (c === RBRACKET && state === ARR_INIT) return this.close();
    if (c === RBRACKET || c === RBRACE || c === COMMA || c === COLON) throw this.stateError(state);
    this.attach(this.scalar(c));
    return valueState;
  }

  /** Between values (object keys, `:`, `,`, closing brackets): the next state. */
  private punctuation(c: number, state: number): number {
    switch (state) {
      case OBJ_INIT:
      case MEMBER_DELIM:
        if (c === QUOTE) {
          this.stack[this.stack.length - 1]!.key = this.key();
          return MEMBER_KEY;
        }
        if (c === RBRACE && state === OBJ_INIT) return this.close();
        throw this.stateError(state);
      case MEMBER_KEY:
        if (c !== COLON) throw this.stateError(state);
        this.pos++;
        return KV_DELIM;
      case MEMBER_VALUE:
        if (c === COMMA) {
          this.pos++;
          return MEMBER_DELIM;
        }
        if (c === RBRACE) return this.close();
        throw this.stateError(state);
      default: // ELEMENT
        if (c === COMMA) {
          this.pos++;
          return ELEM_DELIM;
        }
        if (c === RBRACKET) return this.close();
        throw this.stateError(state);
    }
  }

  private close(): number {
    const frame = this.stack.pop()!;
    this.pos++;
    this.attach(frame.container);
    return frame.returnState;
  }

  /** rapidjson's HandleError: the message for an unexpected token (or end of input) in `state`. */
  private stateError(state: number): ParseFailure {
    const E = RAPIDJSON_ERRORS;
    switch (state) {
      case START:
        return new ParseFailure(E.documentEmpty, this.pos);
      case FINISH:
        return new ParseFailure(E.rootNotSingular, this.pos);
      case OBJ_INIT:
      case MEMBER_DELIM:
        return new ParseFailure(E.objectMissName, this.pos);
      case MEMBER_KEY:
        return new ParseFailure(E.objectMissColon, this.pos);
      case MEMBER_VALUE:
        return new ParseFailure(E.objectMissCommaOrCurly, this.pos);
      case KV_DELIM:
      case ARR_INIT:
      case ELEM_DELIM:
        return new ParseFailure(E.valueInvalid, this.pos);
      default:
        return new ParseFailure(E.arrayMissCommaOrSquare, this.pos);
    }
  }

  private peek(): number {
    return this.pos < this.end ? this.b[this.pos]! : 0;
  }

  private scalar(c: number): JsonValue {
    switch (c) {
      case QUOTE: {
        const s = this.stringBytes();
        return s;
      }
      case 0x74: // t
        this.literal('true');
        return true;
      case 0x66: // f
        this.literal('false');
        return false;
      case 0x6e: // n
        this.literal('null');
        return null;
      default:
        return this.number();
    }
  }

  private literal(word: string): void {
    // The first character already matched (it selected this literal).
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      if (this.peek() !== word.charCodeAt(i)) throw new ParseFailure(RAPIDJSON_ERRORS.valueInvalid, this.pos);
      this.pos++;
    }
  }

  private key(): string {
    const v = this.stringBytes();
    return typeof v === 'string' ? v : Buffer.from(v.bytes).toString('utf8');
  }

  /** Parse a string starting at the opening quote. */
  private stringBytes(): string | JsonBytes {
    const b = this.b;
    const start = this.pos + 1;
    let p = start;
    const end = this.end;
    let ascii = true;
    // Fast path: no escapes.
    while (p < end) {
      const c = b[p]!;
      if (c === QUOTE) {
        this.pos = p + 1;
        return ascii ? b.toString('latin1', start, p) : decodeUtf8(b, start, p);
      }
      if (c === BACKSLASH) break;
      if (c < 0x20) throw new ParseFailure(RAPIDJSON_ERRORS.escapeInvalid, p);
      if (c >= 0x80) ascii = false;
      p++;
    }
    if (p >= end) throw new ParseFailure(RAPIDJSON_ERRORS.missQuotationMark, end);
    return this.escapedString(start, p);
  }

  /** The slow path of {@link stringBytes}: bytes `start..p` have no escape, `p` is the first backslash. */
  private escapedString(start: number, p: number): string | JsonBytes {
    const b = this.b;
    const end = this.end;
    let out = (this.scratch ??= new Uint8Array(Math.max(256, p - start + 16)));
    if (out.length < p - start + 4) out = this.growScratch(p - start + 4);
    let n = 0;
    for (let i = start; i < p; i++) out[n++] = b[i]!;
    for (;;) {
      if (p >= end) throw new ParseFailure(RAPIDJSON_ERRORS.missQuotationMark, end);
      const c = b[p]!;
      if (c === QUOTE) {
        this.pos = p + 1;
        return decodeUtf8(out, 0, n);
      }
      // Room for one more code point (4 bytes of UTF-8).
      if (n + 4 > out.length) out = this.growScratch(n + 4);
      if (c === BACKSLASH) {
        n = putUtf8(out, n, this.escape(p));
        p = this.pos;
        continue;
      }
      if (c < 0x20) throw new ParseFailure(RAPIDJSON_ERRORS.escapeInvalid, p);
      out[n++] = c;
      p++;
    }
  }

  /** The scratch buffer grown to hold at least `size` bytes (contents kept). */
  private growScratch(size: number): Uint8Array {
    const old = this.scratch!;
    const bigger = new Uint8Array(Math.max(size, old.length * 2));
    bigger.set(old);
    this.scratch = bigger;
    return bigger;
  }

  /** The code point of the escape whose backslash is at `escapeOffset`; sets pos after it. */
  private escape(escapeOffset: number): number {
    const b = this.b;
    const end = this.end;
    let p = escapeOffset + 1;
    const e = p < end ? b[p]! : 0;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      this.pos = p + 1;
      return simple;
    }
    if (e !== 0x75 /* u */) throw new ParseFailure(RAPIDJSON_ERRORS.escapeInvalid, escapeOffset);
    p++;
    let cp = this.hex4(p, escapeOffset);
    p += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (!(p + 1 < end && b[p] === BACKSLASH && b[p + 1] === 0x75)) {
        throw new ParseFailure(RAPIDJSON_ERRORS.surrogateInvalid, escapeOffset);
      }
      p += 2;
      const lo = this.hex4(p, escapeOffset);
      p += 4;
      if (lo < 0xdc00 || lo > 0xdfff) throw new ParseFailure(RAPIDJSON_ERRORS.surrogateInvalid, escapeOffset);
      cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
    }
    this.pos = p;
    return cp;
  }

  private hex4(p: number, escapeOffset: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = p + i < this.end ? this.b[p + i]! : 0;
      let d: number;
      if (c >= ZERO && c <= NINE) d = c - ZERO;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else throw new ParseFailure(RAPIDJSON_ERRORS.unicodeEscapeInvalidHex, escapeOffset);
      v = v * 16 + d;
    }
    return v;
  }

  private number(): JsonValue {
    const b = this.b;
    const startOffset = this.pos;
    let p = this.pos;
    const end = this.end;
    let minus = false;
    if (p < end && b[p] === MINUS) {
      minus = true;
      p++;
    }
    const at = (i: number): number => (i < end ? b[i]! : 0);
    let c = at(p);
    if (c === 0x4e /* N */ || c === 0x49 /* I */) return this.nonFinite(p, minus);
    const intStart = p;
    if (c === ZERO) {
      p++;
    } else if (c >= 0x31 && c <= NINE) {
      p++;
      while ((c = at(p)) >= ZERO && c <= NINE) p++;
    } else {
      throw new ParseFailure(RAPIDJSON_ERRORS.valueInvalid, p);
    }
    const intDigits = p - intStart;
    let fracDigits = -1; // -1: no fraction part
    if (at(p) === DOT) {
      p++;
      const fracStart = p;
      while ((c = at(p)) >= ZERO && c <= NINE) p++;
      fracDigits = p - fracStart;
      if (fracDigits === 0) throw new ParseFailure(RAPIDJSON_ERRORS.missFraction, p);
    }
    c = at(p);
    if (c === 0x65 || c === 0x45) {
      const e10 = this.exponent(p + 1, startOffset, Math.max(0, fracDigits));
      return this.decimal(minus, intStart, intDigits, Math.max(0, fracDigits), e10, startOffset);
    }
    this.pos = p;
    if (fracDigits >= 0) return this.decimal(minus, intStart, intDigits, fracDigits, 0, startOffset);
    return this.integer(minus, intStart, intDigits, startOffset);
  }

  /** `NaN`, `Inf`, `Infinity` (after an optional minus at p - 1). */
  private nonFinite(p: number, minus: boolean): number {
    let value: number;
    if (this.b[p] === 0x4e /* N */) {
      p = this.expect(p, 'NaN');
      value = NaN;
    } else {
      p = this.expect(p, 'Inf');
      if (p < this.end && this.b[p] === 0x69 /* i */) p = this.expect(p, 'inity');
      value = minus ? -Infinity : Infinity;
    }
    this.pos = p;
    return value;
  }

  /** The exponent digits from `p` (just after `e`/`E`); sets pos after them, returns the signed exponent. */
  private exponent(p: number, startOffset: number, fracDigits: number): number {
    const b = this.b;
    const end = this.end;
    let c = p < end ? b[p]! : 0;
    let expMinus = false;
    if (c === PLUS) p++;
    else if (c === MINUS) {
      expMinus = true;
      p++;
    }
    c = p < end ? b[p]! : 0;
    if (!(c >= ZERO && c <= NINE)) throw new ParseFailure(RAPIDJSON_ERRORS.missExponent, p);
    const maxExp = 308 + fracDigits;
    let exp = 0;
    while (p < end && (c = b[p]!) >= ZERO && c <= NINE) {
      if (exp < 1e9) exp = exp * 10 + (c - ZERO);
      p++;
      if (!expMinus && exp > maxExp) throw new ParseFailure(RAPIDJSON_ERRORS.numberTooBig, startOffset);
    }
    this.pos = p;
    return expMinus ? -exp : exp;
  }

  /** An integer literal ending at pos: int64/uint64 when it fits, else a double (rapidjson switches over). */
  private integer(minus: boolean, intStart: number, intDigits: number, startOffset: number): JsonValue {
    const b = this.b;
    const p = this.pos;
    if (intDigits <= 15) {
      let v = 0;
      for (let i = intStart; i < p; i++) v = v * 10 + (b[i]! - ZERO);
      return new JsonInt(minus ? (v === 0 ? 0 : -v) : v, null);
    }
    const big = BigInt(b.toString('latin1', intStart, p));
    const signed = minus ? -big : big;
    if (signed >= INT64_MIN && signed <= UINT64_MAX) {
      const n = Number(signed);
      return new JsonInt(n, Number.isSafeInteger(n) ? null : signed);
    }
    const d = Number(b.toString('latin1', startOffset, p));
    if (!Number.isFinite(d) || intDigits > 309) throw new ParseFailure(RAPIDJSON_ERRORS.numberTooBig, startOffset);
    return d;
  }

  /**
   * A decimal literal ending at pos, with `exp` its written exponent: exact fast path when the
   * significand fits 2^53 and the power of ten is exact, else the native (correctly rounded) parse.
   */
  private decimal(minus: boolean, intStart: number, intDigits: number, fracDigits: number, exp: number, startOffset: number): number {
    const b = this.b;
    const p = this.pos;
    if (intDigits + fracDigits <= 15) {
      let m = 0;
      for (let i = intStart; i < p; i++) {
        const d = b[i]!;
        if (d >= ZERO && d <= NINE) m = m * 10 + (d - ZERO);
        else if (d !== DOT) break;
      }
      const e10 = exp - fracDigits;
      if (e10 >= -22 && e10 <= 22) {
        const v = e10 >= 0 ? m * POW10[e10]! : m / POW10[-e10]!;
        return minus ? -v : v;
      }
    }
    return Number(b.toString('latin1', startOffset, p));
  }

  /** Consume `word` at p; on mismatch fail with "Invalid value." at the mismatching byte. */
  private expect(p: number, word: string): number {
    for (let i = 0; i < word.length; i++) {
      const c = p < this.end ? this.b[p]! : 0;
      if (c !== word.charCodeAt(i)) throw new ParseFailure(RAPIDJSON_ERRORS.valueInvalid, p);
      p++;
    }
    return p;
  }
}

/** Escape letter → byte (rapidjson's table: `\" \\ \/ \b \f \n \r \t`). */
const ESCAPES: Record<number, number> = {
  0x22: 0x22,
  0x5c: 0x5c,
  0x2f: 0x2f,
  0x62: 0x08,
  0x66: 0x0c,
  0x6e: 0x0a,
  0x72: 0x0d,
  0x74: 0x09,
};

/**
 * UTF-8 encode code point `cp` into `out` at `n` (room for 4 bytes assumed); returns the new
 * length. A lone surrogate is encoded as-is, as rapidjson does.
 */
function putUtf8(out: Uint8Array, n: number, cp: number): number {
  if (cp < 0x80) {
    out[n++] = cp;
  } else if (cp < 0x800) {
    out[n++] = 0xc0 | (cp >> 6);
    out[n++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[n++] = 0xe0 | (cp >> 12);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  } else {
    out[n++] = 0xf0 | (cp >> 18);
    out[n++] = 0x80 | ((cp >> 12) & 0x3f);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  }
  return n;
}

/** Decode bytes as UTF-8, keeping them as JsonBytes when they are not valid UTF-8. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | JsonBytes {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  const s = view.toString('utf8');
  // U+FFFD appears when decoding replaced invalid input (or the text really contains it).
  if (s.indexOf('\ufffd') >= 0 && !Buffer.from(s, 'utf8').equals(view)) return new JsonBytes(Uint8Array.from(view));
  return s;
}

/**
 * Parse a request body as upstream does. Throws TfsError INVALID_ARGUMENT with upstream's
 * texts: `JSON Parse error: The document is empty` (zero-length body) or
 * `JSON Parse error: <rapidjson message> at offset: <byte offset>`.
 */
export function parseJson(body: Uint8Array | string): JsonValue {
  return parseWith(body, true);
}

/** {@link parseJson} without the fast path for numeric arrays: the reference its tests compare with. */
export function parseJsonExact(body: Uint8Array | string): JsonValue {
  return parseWith(body, false);
}

function parseWith(body: Uint8Array | string, fast: boolean): JsonValue {
  const buf =
    typeof body === 'string'
      ? Buffer.from(body, 'utf8')
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length === 0) throw Errors.jsonDocumentEmpty();
  try {
    return new Parser(buf, fast).parse();
  } catch (e) {
    if (e instanceof ParseFailure) throw Errors.jsonParseError(e.message, e.offset);
    throw e;
  }
}

/** rapidjson's type name of a value, as upstream prints it in errors (`Null False True Object Array String Number`). */
export function jsonTypeName(v: JsonValue): string {
  if (v === null) return 'Null';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number' || v instanceof JsonInt) return 'Number';
  if (typeof v === 'string' || v instanceof JsonBytes) return 'String';
  if (Array.isArray(v)) return 'Array';
  return 'Object';
}

/** True for `{"b64": "<string>"}`: exactly one member, named b64, with a string value. */
export function isBase64Object(v: JsonValue): boolean {
  if (!(v instanceof JsonObject) || v.size !== 1 || v.keys[0] !== 'b64') return false;
  const s = v.values[0];
  return typeof s === 'string' || s instanceof JsonBytes;
}
