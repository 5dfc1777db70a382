/**
 * Special functions TF computes element-wise and tfjs lacks: `Lgamma`, `Digamma`, `Igamma`,
 * `Igammac`, `Betainc`, `Zeta`, `Polygamma`, `BesselI0e`, `BesselI1e`, `Erfinv`, `Ndtri`,
 * `Xlog1py` (0 where x is 0, as TF).
 * float32 only (float64 stays refused at load by float64-policy.ts: these are computed in
 * float64 here, accurate to ~1e-13 relative, not to Eigen's double results' last bits); each
 * value is computed in float64 from the float32 input and rounded once, so results sit within
 * a few float32 ulps of TF's float32 Eigen/glibc results (measured per op in
 * test/runtime/kernels/special.test.ts). Poles, NaN and infinities follow TF 2.21's answers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrType, broadcastIndex, broadcastShape } from './util.js';

const LANCZOS = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 0.000009984369578019572, 1.5056327351493116e-7];
const LOG_SQRT_2PI = 0.9189385332046728;

/** log|Γ(x)|: Lanczos (g = 7) for x ≥ 0.5, reflection below; +inf at the poles. */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Infinity;
  if (x <= 0 && Math.floor(x) === x) return Infinity;
  if (x < 0.5) {
    const s = Math.abs(Math.sin(Math.PI * (x - 2 * Math.round(x / 2))));
    return Math.log(Math.PI / s) - lgamma(1 - x);
  }
  if (x === 1 || x === 2) return 0;
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ψ(x): recurrence up to x ≥ 10, then the asymptotic series; reflection for x < 0. */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Math.floor(x) === x) return NaN;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * (x - Math.round(x)));
  let acc = 0;
  let y = x;
  while (y < 10) acc -= 1 / y++;
  const y2 = 1 / (y * y);
  const series = y2 * (1 / 12 - y2 * (1 / 120 - y2 * (1 / 252 - y2 * (1 / 240 - y2 * (1 / 132 - y2 * (691 / 32760 - y2 / 12))))));
  return acc + Math.log(y) - 0.5 / y - series;
}

/** exp(-|x|) I0(x) and exp(-|x|) I1(x): the power series (all terms positive), asymptotic for |x| > 40. */
export function besselIe(x: number, order: 0 | 1): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const sign = order === 1 && x < 0 ? -1 : 1;
  if (ax === Infinity) return 0;
  if (ax > 40) {
    const mu = 4 * order * order;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 30; k++) {
      term *= -(mu - (2 * k - 1) ** 2) / (k * 8 * ax);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return (sign * sum) / Math.sqrt(2 * Math.PI * ax);
  }
  const q = (ax * ax) / 4;
  let term = order === 0 ? Math.exp(-ax) : (ax / 2) * Math.exp(-ax);
  let sum = term;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * (k + order));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sign * sum;
}

/** erf(x) for |x| < 3: the series exp(-x²) Σ 2^n x^(2n+1) / (2n+1)!! (positive terms). */
function erfSmall(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 3: the continued fraction (modified Lentz). */
function erfcLarge(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

export function erfc(x: number): number {
  if (x >= 3) return erfcLarge(x);
  if (x <= -3) return 2 - erfcLarge(-x);
  return 1 - erfSmall(x);
}

/** The p-quantile of the standard normal: Acklam's rational start, then Halley steps on erfc. */
export function ndtri(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0; // the iteration would leave ~1e-18
  if (p > 0.5) return -ndtriLower(1 - p); // exact for a float32 p
  return ndtriLower(p);
}

/** The quantile for p ≤ 0.5. */
function ndtriLower(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 4; i++) {
    const e = 0.5 * erfc(-x / Math.SQRT2) - p;
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

/**
 * erf⁻¹(x) as Eigen computes it for float32: ndtri((x + 1) / 2) / √2 with x + 1 rounded to
 * float32 first (near ±1 that rounding decides TF's answer: erfinv(1 - 2^-24) is +inf in TF).
 */
export function erfinv(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  if (x === 0) return x;
  return ndtri(Math.fround(x + 1) / 2) * Math.SQRT1_2;
}

/** The regularized lower incomplete gamma P(a, x) (series) or Q (continued fraction). */
function igammaPair(a: number, x: number): [number, number] {
  const pre = Math.exp(a * Math.log(x) - x - lgamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 2000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const p = Math.min(1, sum * pre);
    return [p, 1 - p];
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 2000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = Math.abs(d) < tiny ? tiny : d;
    c = b + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  const q = Math.min(1, pre * h);
  return [1 - q, q];
}

export function igamma(a: number, x: number, upper: boolean): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN;
  if (x === 0) return upper ? 1 : 0;
  if (x === Infinity) return upper ? 0 : 1;
  if (a === Infinity) return upper ? 1 : 0;
  return igammaPair(a, x)[upper ? 1 : 0];
}

/** The continued fraction of the regularized incomplete beta (modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m < 3000; m++) {
    const m2 = 2 * m;
    for (const aa of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + aa * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      c = Math.abs(c) < tiny ? tiny : c;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-16) break;
  }
  return h;
}

export function betainc(a: number, b: number, x: number): number {
  // cephes incbet's order: a NaN a or b passes its domain checks, so x = 0 or 1 still answers.
  if (a <= 0 || b <= 0) return NaN;
  if (x === 0 || x === 1) return x;
  if ([a, b, x].some(Number.isNaN) || x < 0 || x > 1) return NaN;
  const lbeta = lgamma(a + b) - lgamma(a) - lgamma(b);
  const front = Math.exp(lbeta + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betacf(a, b, x)) / a;
  return 1 - (front * betacf(b, a, 1 - x)) / b;
}

/** (2j)! / B_2j: the Euler-Maclaurin coefficients of the Hurwitz zeta function. */
const ZETA_A = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1892437580.3183792, 7.47242496e10,
  -2950130727918.164, 116467828143500.67, -4597978722407473, 181521054019435460, -7166165256175667000];

/** C's pow where JS's differs: 1 to any power is 1. */
const powC = (b: number, e: number): number => (b === 1 ? 1 : b ** e);

/** The Hurwitz zeta function ζ(x, q) by Euler-Maclaurin summation (x > 1). */
export function zeta(x: number, q: number): number {
  if (Number.isNaN(x) || Number.isNaN(q)) return NaN;
  if (x === 1) return Infinity;
  if (x < 1) return NaN;
  if (q <= 0 && q === Math.floor(q)) return x === Math.floor(x) && x % 2 === 0 ? Infinity : NaN; // Eigen's pole rule
  if (q <= 0 && x !== Math.floor(x)) return NaN;
  // TF's float32 Euler-Maclaurin sum goes wrong for negative q (ζ(2, -7.98): TF -48798.8, true
  // 3180.1; a quarter of q in (-10, -7) off by more than 1e-4): refused, not answered differently.
  if (q < 0) throw Errors.kernelUnsupported('Zeta/Polygamma', `a negative q (${q}), where TF's float32 result is not reproducible`);
  let s = powC(q, -x);
  let a = q;
  let b = 0;
  let i = 0;
  while (i < 9 || a <= 9) {
    i++;
    a += 1;
    b = powC(a, -x);
    s += b;
    if (Math.abs(b / s) < 1.1e-16) return s;
  }
  const w = a;
  s += (b * w) / (x - 1) - 0.5 * b;
  let fac = 1;
  let k = 0;
  for (let j = 0; j < 12; j++) {
    fac *= x + k;
    b /= w;
    const t = (fac * b) / ZETA_A[j]!;
    s += t;
    if (Math.abs(t / s) < 1.1e-16) break;
    k += 1;
    fac *= x + k;
    b /= w;
    k += 1;
  }
  return s;
}

export function polygamma(n: number, x: number): number {
  if (Number.isNaN(n) || Number.isNaN(x) || n !== Math.floor(n) || n < 0) return NaN;
  if (n === 0) return digamma(x);
  let fact = 1;
  for (let k = 2; k <= n; k++) fact *= k;
  return (n % 2 === 1 ? 1 : -1) * fact * zeta(n + 1, x);
}

// --- kernels -------------------------------------------------------------------------

function float32Only(node: GraphNode, op: string): void {
  const t = attrType(node, 'T', 'DT_FLOAT');
  if (t !== 'DT_FLOAT') throw Errors.kernelUnsupported(op, `values of type ${t}`);
}

function unary(op: string, f: (x: number) => number): KernelEntry {
  return {
    op,
    kernel: (node) => {
      float32Only(node, op);
      const x = kernelInput(node, 0);
      const v = x.dataSync() as Float32Array;
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = f(v[i]!);
      return tf.tensor(out, x.shape, 'float32');
    },
  };
}

/** An element-wise function of several inputs, broadcast as TF's cwise ops. */
function nary(op: string, f: (...args: number[]) => number): KernelEntry {
  return {
    op,
    kernel: (node) => {
      float32Only(node, op);
      const ins = node.inputs.map((_, i) => kernelInput(node, i));
      const shape = ins.reduce<number[]>((s, t) => broadcastShape(s, t.shape), []);
      const idx = ins.map((t) => broadcastIndex(shape, t.shape));
      const vals = ins.map((t) => t.dataSync() as Float32Array);
      const out = new Float32Array(idx[0]!.length);
      for (let i = 0; i < out.length; i++) out[i] = f(...vals.map((v, k) => v[idx[k]![i]!]!));
      return tf.tensor(out, shape, 'float32');
    },
  };
}

export const SPECIAL_KERNELS: readonly KernelEntry[] = [
  unary('Lgamma', lgamma),
  unary('Digamma', digamma),
  unary('BesselI0e', (x) => besselIe(x, 0)),
  unary('BesselI1e', (x) => besselIe(x, 1)),
  unary('Erfinv', erfinv),
  unary('Ndtri', ndtri),
  nary('Igamma', (a, x) => igamma(a!, x!, false)),
  nary('Igammac', (a, x) => igamma(a!, x!, true)),
  nary('Betainc', (a, b, x) => betainc(a!, b!, x!)),
  nary('Zeta', (x, q) => zeta(x!, q!)),
  nary('Polygamma', (n, x) => polygamma(n!, x!)),
  nary('Xlog1py', (x, y) => (x === 0 ? 0 : x! * Math.log1p(y!))),
];
