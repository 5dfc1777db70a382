/**
 * JSON writers that reproduce tensorflow_model_server's output byte for byte:
 *
 *  - {@link RapidJsonPrettyWriter}: rapidjson's PrettyWriter (4-space indent, optional
 *    single-line arrays) used by upstream for predict/classify/regress/error bodies and
 *    for the `<dbg>` rendering of JSON values inside error messages;
 *  - {@link formatDecimal}: upstream's `WriteDecimal` float formatting (`%g` with 6
 *    significant digits, `%.9g`/`%.17g` when that does not round-trip, `.0` appended,
 *    bare `NaN`/`Infinity`/`-Infinity`);
 *  - {@link ProtoJsonWriter}: protobuf's JSON printer with whitespace (1-space indent),
 *    used for the status and metadata bodies.
 */

/** Strip trailing zeros (and a trailing '.') from a mantissa that has a decimal point. */
function stripZeros(m: string): string {
  if (m.indexOf('.') < 0) return m;
  let n = m.length;
  while (m.charCodeAt(n - 1) === 0x30) n--;
  if (m.charCodeAt(n - 1) === 0x2e) n--;
  return m.slice(0, n);
}

/** printf `%.<precision>g` of a finite number (C semantics: trailing zeros stripped, `e+06` exponents). */
export function formatG(v: number, precision: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let s = v.toPrecision(precision);
  let ePos = s.indexOf('e');
  if (ePos < 0) {
    // JS writes exponents -5 and -6 in fixed notation where C's %g switches to scientific.
    const digitsFrom = s.charCodeAt(0) === 0x2d ? 1 : 0;
    if (s.startsWith('0.0000', digitsFrom)) {
      s = v.toExponential(precision - 1);
      ePos = s.indexOf('e');
    } else {
      return stripZeros(s);
    }
  }
  const mant = stripZeros(s.slice(0, ePos));
  const sign = s.charAt(ePos + 1);
  const digits = s.slice(ePos + 2);
  return `${mant}e${sign}${digits.length < 2 ? '0' : ''}${digits}`;
}

/** %g text of the number whose significant digits are `digits` (first digit at 10^x), sign included. */
function gFromDigits(neg: boolean, digits: string, x: number, precision: number): string {
  let out: string;
  if (x < -4 || x >= precision) {
    const mant = stripZeros(digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits);
    const ax = Math.abs(x);
    out = `${mant}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else if (x >= 0) {
    out = stripZeros(`${digits.slice(0, x + 1)}.${digits.slice(x + 1)}`);
  } else {
    out = stripZeros(`0.${'0'.repeat(-x - 1)}${digits}`);
  }
  return neg ? `-${out}` : out;
}

/**
 * {@link formatG} with printf's rounding of exact decimal ties (half to even; JS's
 * toPrecision rounds them away from zero): 453419.5625 → `453419.562` at 9 digits.
 */
export function formatGTiesEven(v: number, precision: number): string {
  const a = Math.abs(v);
  const probe = a.toExponential(precision); // precision + 1 significant digits
  if (probe.charCodeAt(precision + 1) === 0x35 /* the digit after the kept ones is 5 */) {
    const long = a.toExponential(Math.min(100, precision + 40));
    const ePos = long.indexOf('e');
    const digits = long[0]! + long.slice(2, ePos);
    const tie = /^50*$/.test(digits.slice(precision));
    if (tie && Number(digits.charAt(precision - 1)) % 2 === 0) {
      return gFromDigits(v < 0, digits.slice(0, precision), Number(long.slice(ePos + 1)), precision);
    }
  }
  return formatG(v, precision);
}

/**
 * Upstream's `WriteDecimal`: the text of a float (isFloat32) or double output value.
 * Examples: 3 → `3.0`, 9000000 → `9e+06`, 1234567 → `1234567.0`, float 1/3 → `0.333333343`.
 */
export function formatDecimal(v: number, isFloat32: boolean): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  // Whole numbers below 10^6 print exactly with 6 significant digits: `3.0`, `-42.0`.
  if (Number.isInteger(v) && v < 1e6 && v > -1e6) return v === 0 && 1 / v < 0 ? '-0.0' : `${v}.0`;
  return (isFloat32 && formatFloat32(v)) || formatDecimalReference(v, isFloat32);
}

/**
 * The reference {@link formatDecimal} (three conversions per value): `%.6g` when it reads
 * back, else `%.9g` / `%.17g` with printf's ties-to-even. Kept for doubles, for the rare
 * float32 values {@link formatFloat32} declines, and as the oracle of its property test.
 */
export function formatDecimalReference(v: number, isFloat32: boolean): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Number.isInteger(v) && v < 1e6 && v > -1e6) return v === 0 && 1 / v < 0 ? '-0.0' : `${v}.0`;
  // A 6-digit rendering can only be an exact decimal tie if the value has 7 significant
  // digits, and then it does not read back: ties only matter for the full-precision form.
  let s = formatG(v, 6);
  const back = Number(s);
  if ((isFloat32 ? Math.fround(back) : back) !== v) s = formatGTiesEven(v, isFloat32 ? 9 : 17);
  if (s.indexOf('.') < 0 && s.indexOf('e') < 0) s += '.0';
  return s;
}

/** Exact powers of ten 10^0..10^22 (each a double without rounding). */
const EXACT_POW10: number[] = [];
for (let i = 0; i <= 22; i++) EXACT_POW10.push(Number(`1e${i}`));

/**
 * {@link formatDecimalReference} for a finite, non-zero float32 value from one `toPrecision(9)`
 * call, or '' when a case needs the reference (a 6-digit rounding that the 9 digits cannot
 * decide, a carry into a new decade, a possible 9-digit tie, an inexact power of ten):
 *  - the `%.6g` digits are the 9 digits rounded half up, unless digits 7–9 are exactly `500`
 *    (then the 9-digit rounding may have crossed the 6-digit midpoint);
 *  - they read back when digits × 10^(x-5), correctly rounded, then rounded to float32, is v
 *    (the same double `Number()` of the `%.6g` text gives);
 *  - a 9-digit tie needs an exact decimal expansion of 10 significant digits, so at most 14
 *    fractional bits: values with more cannot be ties, and JS's half-away rounding is printf's.
 */
function formatFloat32(v: number): string {
  const neg = v < 0;
  const s = (neg ? -v : v).toPrecision(9);
  let digits: string;
  let x: number;
  const ePos = s.indexOf('e');
  if (ePos >= 0) {
    digits = s.charAt(0) + s.slice(2, ePos);
    x = Number(s.slice(ePos + 1));
  } else if (s.charCodeAt(0) === 0x30) {
    // 0.000ddddddddd: x = -(zeros after the point + 1)
    let z = 2;
    while (s.charCodeAt(z) === 0x30) z++;
    digits = s.slice(z);
    x = 1 - z;
  } else {
    const dot = s.indexOf('.');
    digits = dot < 0 ? s : s.slice(0, dot) + s.slice(dot + 1);
    x = (dot < 0 ? s.length : dot) - 1;
  }
  const tail = Number(digits.slice(6));
  if (tail === 500) return '';
  const m6 = Number(digits.slice(0, 6)) + (tail > 500 ? 1 : 0);
  if (m6 === 1000000) return '';
  const k = x - 5;
  if (k > 22 || k < -22) return '';
  const back = k >= 0 ? m6 * EXACT_POW10[k]! : m6 / EXACT_POW10[-k]!;
  let out: string;
  if (Math.fround(back) === (neg ? -v : v)) {
    out = gFromDigits(neg, String(m6), x, 6);
  } else {
    // At most 14 fractional bits and not whole (a whole float32 is never a 10-digit tie).
    if (Number.isInteger(v * 16384) && !Number.isInteger(v)) return '';
    out = gFromDigits(neg, digits, x, 9);
  }
  return out.indexOf('.') < 0 && out.indexOf('e') < 0 ? `${out}.0` : out;
}

/**
 * rapidjson's `Writer::Double` text (Grisu shortest digits, then its Prettify rules):
 * `2.0`, `0.1`, `1e21`, `1.5e-7`. Used for nested numbers in `<dbg>` renderings.
 */
export function formatRapidJsonDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const neg = v < 0;
  const e = Math.abs(v).toExponential(); // shortest round-trip digits
  const ePos = e.indexOf('e');
  const digits = e.slice(0, ePos).replace('.', '');
  const length = digits.length;
  const kk = Number(e.slice(ePos + 1)) + 1; // position of the decimal point
  const k = kk - length;
  let s: string;
  if (k >= 0 && kk <= 21) s = `${digits}${'0'.repeat(k)}.0`;
  else if (kk > 0 && kk <= 21) s = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  else if (kk > -6 && kk <= 0) s = `0.${'0'.repeat(-kk)}${digits}`;
  else if (length === 1) s = `${digits}e${kk - 1}`;
  else s = `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
  return neg ? `-${s}` : s;
}

const HEX = '0123456789ABCDEF';
const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** A JSON string literal as rapidjson's Writer writes it (escapes `"`, `\` and control characters only). */
export function quoteJson(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      out += SHORT_ESCAPES[c] ?? `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      out += s[i];
    }
  }
  return `${out}"`;
}

interface Level {
  inArray: boolean;
  count: number;
}

const INDENTS: string[] = [];
function indent(n: number): string {
  let s = INDENTS[n];
  if (s === undefined) {
    s = ' '.repeat(4 * n);
    INDENTS[n] = s;
  }
  return s;
}

/** Thrown internally when a length-limited writer is full. */
export class WriterFull extends Error {}

/**
 * rapidjson's PrettyWriter (4-space indent). `singleLineArrays` is rapidjson's
 * `kFormatSingleLineArray` and may be toggled between values as upstream does.
 */
export class RapidJsonPrettyWriter {
  out = '';
  singleLineArrays = false;
  private readonly levels: Level[] = [];

  /** @param limit stop (throw WriterFull) once the output reaches this many characters. */
  constructor(private readonly limit = Infinity) {}

  private prefix(): void {
    const top = this.levels[this.levels.length - 1];
    if (!top) return;
    if (top.inArray) {
      if (top.count > 0) this.out += this.singleLineArrays ? ', ' : ',';
      if (!this.singleLineArrays) this.out += `\n${indent(this.levels.length)}`;
    } else {
      if (top.count > 0) this.out += top.count % 2 === 0 ? ',\n' : ': ';
      else this.out += '\n';
      if (top.count % 2 === 0) this.out += indent(this.levels.length);
    }
    top.count++;
  }

  private check(): void {
    if (this.out.length >= this.limit) throw new WriterFull();
  }

  startObject(): void {
    this.prefix();
    this.levels.push({ inArray: false, count: 0 });
    this.out += '{';
    this.check();
  }

  endObject(): void {
    const l = this.levels.pop()!;
    if (l.count > 0) this.out += `\n${indent(this.levels.length)}`;
    this.out += '}';
    this.check();
  }

  startArray(): void {
    this.prefix();
    this.levels.push({ inArray: true, count: 0 });
    this.out += '[';
    this.check();
  }

  endArray(): void {
    const l = this.levels.pop()!;
    if (l.count > 0 && !this.singleLineArrays) this.out += `\n${indent(this.levels.length)}`;
    this.out += ']';
    this.check();
  }

  key(s: string): void {
    this.prefix();
    this.out += quoteJson(s);
    this.check();
  }

  string(s: string): void {
    this.prefix();
    this.out += quoteJson(s);
    this.check();
  }

  /** A value written verbatim (numbers, true/false/null). */
  raw(text: string): void {
    this.prefix();
    this.out += text;
    this.check();
  }
}

/** A plain-object view of a protobuf message for {@link ProtoJsonWriter}. */
export type ProtoJsonValue = string | number | boolean | null | ProtoJsonValue[] | { [k: string]: ProtoJsonValue };

/**
 * protobuf's JSON printer with `add_whitespace` (1-space indent per level, `"key": value`,
 * empty objects `{}` and arrays `[]`), plus the trailing newline it ends documents with.
 * Takes an already-shaped value (field selection and int64-as-string are the caller's).
 */
export function protoJsonPretty(value: ProtoJsonValue): string {
  return `${writeProto(value)}\n`;
}

function writeProto(root: ProtoJsonValue): string {
  // Iterative to stay safe on any depth: a stack of pending emit steps.
  let out = '';
  type Step = { v: ProtoJsonValue; depth: number } | string;
  const stack: Step[] = [{ v: root, depth: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (typeof step === 'string') {
      out += step;
      continue;
    }
    const { v, depth } = step;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out += '[]';
        continue;
      }
      out += '[';
      const pad = ' '.repeat(depth + 1);
      const parts: Step[] = [];
      v.forEach((item, i) => {
        parts.push(`${i > 0 ? ',' : ''}\n${pad}`, { v: item, depth: depth + 1 });
      });
      parts.push(`\n${' '.repeat(depth)}]`);
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) {
        out += '{}';
        continue;
      }
      out += '{';
      const pad = ' '.repeat(depth + 1);
      const parts: Step[] = [];
      keys.forEach((k, i) => {
        parts.push(`${i > 0 ? ',' : ''}\n${pad}${quoteJson(k)}: `, { v: v[k]!, depth: depth + 1 });
      });
      parts.push(`\n${' '.repeat(depth)}}`);
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    } else if (typeof v === 'string') {
      out += quoteJson(v);
    } else {
      out += String(v);
    }
  }
  return out;
}
