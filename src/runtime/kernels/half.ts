/**
 * `_TfsRoundHalf`: a float32 stand-in of a float16/bfloat16 result rounded to that type, as
 * TF rounds every op's result (half-policy.ts decides where the freezer puts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../tensor/tensor.js';
import { HALF_ROUND_OP, HALF_SIGMOID_OP, NARROW_UNARY_OPS, narrowUnaryOp } from '../half-policy.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText } from './util.js';
import type { GraphNode } from '@tensorflow/tfjs-converter';

/** Inputs (as float32 values) where TF's result is not the rule's: `<op>/<kind>` -> input -> TF's value. */
const NARROW_EXCEPTIONS: Readonly<Record<string, ReadonlyMap<number, number>>> = {
  'Tanh/half': new Map([[0.0283966064453125, 0.0283966064453125], [-0.0283966064453125, -0.0283966064453125]]),
  'Expm1/half': new Map([[-0.6630859375, -0.48486328125]]),
  'Log/half': new Map([[0.0025424957275390625, -5.9765625]]),
  'Log1p/half': new Map([[0.005870819091796875, 0.005855560302734375], [26672, 10.1875]]),
  'Exp/bfloat16': new Map([[6.84375, 936]]),
  'Erf/half': new Map([[1554 / 2 ** 20, 1753 / 2 ** 20], [-1554 / 2 ** 20, -1753 / 2 ** 20]]),
};

/** `t` (float32) with every value rounded to float16 (`half`) or bfloat16, round-to-nearest-even. */
export function roundToNarrow(t: tf.Tensor, kind: string): tf.Tensor {
  if (t.dtype !== 'float32') return tf.clone(t);
  const v = t.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  if (kind === 'bfloat16') for (let i = 0; i < v.length; i++) out[i] = bfloat16ToFloat(floatToBfloat16(v[i]!));
  else for (let i = 0; i < v.length; i++) out[i] = halfToFloat(floatToHalf(v[i]!));
  return tf.tensor(out, t.shape, 'float32');
}

/** `v` rounded to float16 (`half`) or bfloat16, round-to-nearest-even. */
function narrowOf(kind: string): (v: number) => number {
  return kind === 'bfloat16' ? (v) => bfloat16ToFloat(floatToBfloat16(v)) : (v) => halfToFloat(floatToHalf(v));
}

const FLT_MIN = 2 ** -126;

/**
 * Sigmoid of one float16/bfloat16 value as TF's CPU kernel computes it: Eigen's
 * `scalar_logistic_op` for these types works in the narrow type, each step a float32
 * operation rounded to it: e = exp(x), then e / (1 + e), and 1 where e is infinite. A float32
 * exp below FLT_MIN is flushed to 0 (TF runs with denormals off), which bfloat16 can hold.
 * Checked against TF 2.21 for all 2 x 65536 inputs (fixconv branch, FINDINGS.md).
 */
export function narrowSigmoid(x: number, kind: string): number {
  const narrow = narrowOf(kind);
  let f = Math.fround(Math.exp(x));
  if (f < FLT_MIN) f = 0;
  const e = narrow(f);
  if (e === Infinity) return 1;
  return narrow(Math.fround(e / narrow(Math.fround(1 + e))));
}

/** erf by its Taylor series (double; |x| >= 4 is ±1, as every narrow type rounds it). */
function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** A float32 exp as TF's narrow kernels see it: below FLT_MIN flushed to 0 (denormals off). */
function exp32(x: number): number {
  const f = Math.fround(Math.exp(x));
  return f < FLT_MIN ? 0 : f;
}

type Unary = (x: number, narrow: (v: number) => number) => number;
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473768;
/**
 * log(epsilon) + 2 in the type (softplus_op.h), with Eigen's NumTraits epsilon: bits 0x0800 =
 * 2^-13 for float16 (not its 2^-10 machine epsilon: TF's thresholds are ±7.0078125) and 2^-7
 * for bfloat16 (±2.84375).
 */
const softplusThreshold = (narrow: (v: number) => number): number =>
  narrow(narrow(Math.log(narrow(1 + 2 ** -9) === 1 ? 2 ** -7 : 2 ** -13)) + 2);

/**
 * Unary ops TF computes step by step in the narrow type (Eigen's functors, each step a float32
 * operation rounded to the type), or as one float32 function whose result, rounded, is not
 * always the correctly rounded value (TF's own float32 approximations): those inputs are in
 * NARROW_EXCEPTIONS. Each was checked against TF 2.21 on all 2 x 65536 inputs.
 */
const NARROW_UNARY: Readonly<Record<string, Unary>> = {
  Elu: (x, n) => (x < 0 ? n(n(exp32(x)) - 1) : x),
  Selu: (x, n) => (x < 0 ? n(n(SELU_SCALE_ALPHA) * n(n(exp32(x)) - 1)) : n(n(SELU_SCALE) * x)),
  Softplus: (x, n) => {
    const t = softplusThreshold(n);
    if (x > -t) return x;
    const e = n(exp32(x));
    return x < t ? e : n(Math.fround(Math.log1p(e)));
  },
  Softsign: (x, n) => n(Math.fround(x / n(Math.abs(x) + 1))),
  Tanh: (x, n) => n(Math.fround(Math.tanh(x))),
  Expm1: (x, n) => n(Math.fround(Math.expm1(x))),
  Log: (x, n) => n(Math.fround(Math.log(x))),
  Log1p: (x, n) => n(Math.fround(Math.log1p(x))),
  Erf: (x, n) => n(Math.fround(erf(x))),
  Exp: (x, n) => n(exp32(x)),
  Sqrt: (x, n) => n(Math.fround(Math.sqrt(x))),
  Rsqrt: (x, n) => n(Math.fround(1 / Math.sqrt(x))),
  Reciprocal: (x, n) => n(Math.fround(1 / x)),
  Square: (x, n) => n(Math.fround(x * x)),
  Sin: (x, n) => n(Math.fround(Math.sin(x))),
  Cos: (x, n) => n(Math.fround(Math.cos(x))),
};


/** One value of `op` on a narrow type, as TF's CPU kernel gives it. */
export function narrowUnary(op: string, x: number, kind: string): number {
  const narrow = narrowOf(kind);
  const patched = NARROW_EXCEPTIONS[`${op}/${kind}`]?.get(x);
  if (patched !== undefined) return patched;
  // bfloat16 can hold float32 subnormals; TF computes with denormals off, so they read as zero
  // (Elu's select still passes the input itself through, and so does Expm1 where exp(x) is 1)
  const daz = Math.abs(x) < FLT_MIN ? x * 0 : x;
  if (op === 'Elu' && !(daz < 0)) return x;
  if (op === 'Expm1' && daz === 0) return x;
  const r = NARROW_UNARY[op]!(daz, narrow);
  return narrow(Math.abs(r) < FLT_MIN ? r * 0 : r); // and a float32 result below FLT_MIN is flushed
}

function mapNarrow(t: tf.Tensor, f: (x: number) => number): tf.Tensor {
  const v = t.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f(v[i]!);
  return tf.tensor(out, t.shape, 'float32');
}

export const HALF_KERNELS: readonly KernelEntry[] = [
  { op: HALF_ROUND_OP, kernel: (node) => roundToNarrow(kernelInput(node, 0), attrText(node, '_tfs_half', 'half')) },
  { op: HALF_SIGMOID_OP, kernel: (node) => mapNarrow(kernelInput(node, 0), (x) => narrowSigmoid(x, attrText(node, '_tfs_half', 'half'))) },
  ...NARROW_UNARY_OPS.map((op) => ({
    op: narrowUnaryOp(op),
    kernel: (node: GraphNode) => mapNarrow(kernelInput(node, 0), (x) => narrowUnary(op, x, attrText(node, '_tfs_half', 'half'))),
  })),
];
