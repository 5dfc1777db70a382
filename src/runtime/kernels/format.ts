/**
 * C printf's `%[flags][width][.precision](d|f|e|g)` for AsString, which formats with
 * snprintf. JS's toFixed/toExponential round exact ties away from zero where glibc rounds
 * them to even (printf("%.2f", 0.125) is "0.12"), so ties are detected on the exact
 * decimal expansion and rounded to even.
 */
export interface PrintfSpec {
  /** Flag characters from AsString's `fill`: ' ', '+', '-', '0' or '#'. */
  readonly flags: string;
  readonly width: number;
  /** -1: the default (6 for f/e/g). */
  readonly precision: number;
  readonly conv: 'd' | 'f' | 'e' | 'g';
}

/** Digits `t` cut after `keep` fraction digits when the rest is exactly a half and the kept digit even. */
function tieToEven(exact: string, rounded: string, keepChars: number): string {
  const tail = exact.slice(keepChars).replace('.', '');
  if (!/^50*$/.test(tail)) return rounded;
  const cut = exact.slice(0, keepChars).replace(/\.$/, '');
  const last = cut.replace('.', '').slice(-1);
  return Number(last) % 2 === 0 ? cut : rounded;
}

function fixed(a: number, p: number): string {
  if (a >= 1e21) return `${BigInt(a).toString()}${p > 0 ? `.${'0'.repeat(p)}` : ''}`;
  const exact = a.toFixed(100);
  const dot = exact.indexOf('.');
  return tieToEven(exact, a.toFixed(p), dot + (p > 0 ? 1 + p : 0));
}

function exponential(a: number, p: number): string {
  const exact = a.toExponential(100);
  const mant = exact.slice(0, exact.indexOf('e'));
  const rounded = a.toExponential(p);
  const rm = rounded.slice(0, rounded.indexOf('e'));
  const chosen = tieToEven(mant, rm, p > 0 ? 2 + p : 1);
  // A tie kept by truncation keeps the exact value's exponent.
  const exp = Number((chosen === rm ? rounded : exact).slice((chosen === rm ? rounded : exact).indexOf('e') + 1));
  const digits = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
  return `${chosen}e${exp < 0 ? '-' : '+'}${digits}`;
}

function general(a: number, p: number, alt: boolean): string {
  const P = p < 0 ? 6 : p === 0 ? 1 : p;
  const e = exponential(a, P - 1);
  const X = Number(e.slice(e.indexOf('e') + 1));
  let s = P > X && X >= -4 ? fixed(a, P - 1 - X) : e;
  if (!alt) {
    const ei = s.indexOf('e');
    let m = ei < 0 ? s : s.slice(0, ei);
    const tail = ei < 0 ? '' : s.slice(ei);
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    s = m + tail;
  }
  return s;
}

function body(v: number | bigint, spec: PrintfSpec): string {
  // exact int64/uint64 values (wide-as-string.ts): only %d reaches here with a bigint
  if (typeof v === 'bigint') return (v < 0n ? -v : v).toString();
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return Number.isNaN(a) ? 'nan' : 'inf';
  const p = spec.precision;
  const alt = spec.flags.includes('#');
  switch (spec.conv) {
    case 'd':
      return a.toString();
    case 'f': {
      const s = fixed(a, p < 0 ? 6 : p);
      return alt && !s.includes('.') ? `${s}.` : s;
    }
    case 'e':
      return exponential(a, p < 0 ? 6 : p);
    case 'g':
      return general(a, p, alt);
  }
}

/** One value formatted as snprintf would (a bigint: an exact 64-bit integer, %d). */
export function printf(v: number | bigint, spec: PrintfSpec): string {
  const neg = typeof v === 'bigint' ? v < 0n : v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
  const b = body(v, spec);
  const len = sign.length + b.length;
  if (len >= spec.width) return sign + b;
  const pad = spec.width - len;
  if (spec.flags.includes('-')) return sign + b + ' '.repeat(pad);
  if (spec.flags.includes('0') && (typeof v === 'bigint' || Number.isFinite(v))) return sign + '0'.repeat(pad) + b;
  return ' '.repeat(pad) + sign + b;
}
