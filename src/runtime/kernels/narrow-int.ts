/**
 * `_TfsWrapInt`: an int32 stand-in of an int8/uint8/int16/uint16 result wrapped to that type
 * (two's complement), as TF's kernels compute in the type (narrow-int-policy.ts decides where
 * the freezer puts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Errors } from '../../errors.js';
import { INT_MEAN_OP, INT_POW_OP, INT_PROD_OP, INT_SQUARE_OP, NARROW_INT_WIDTH, WRAP_INT_OP } from '../narrow-int-policy.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrText, broadcastIndex, broadcastShape, numbersOf, sizeOf } from './util.js';

/** `v` wrapped to a `bits`-wide integer, as a C cast to that type does. */
export function wrapInt(v: number, bits: number, signed: boolean): number {
  if (bits >= 32) return v | 0;
  const m = 2 ** bits;
  const u = ((v % m) + m) % m;
  return signed && u >= m / 2 ? u - m : u;
}

/** `t` (int32) with every value wrapped to `type` (`DT_INT8`, `DT_UINT8`, `DT_INT16`, `DT_UINT16`). */
export function wrapToNarrowInt(t: tf.Tensor, type: string): tf.Tensor {
  const w = NARROW_INT_WIDTH[type];
  if (!w) throw Errors.kernelUnsupported(WRAP_INT_OP, `type ${type}`);
  const v = numbersOf(t);
  // Some tfjs kernels (wasm's UnsortedSegmentSum) answer int32 inputs in float32: exact while
  // every value is an integer float32 holds exactly.
  if (t.dtype !== 'int32' && !(t.dtype === 'float32' && v.every((x) => Number.isInteger(x) && Math.abs(x) <= 2 ** 24))) {
    throw Errors.kernelUnsupported(WRAP_INT_OP, `a ${t.dtype} stand-in`);
  }
  return tf.tensor(Int32Array.from(v, (x) => wrapInt(x, w[0], w[1])), t.shape, 'int32');
}

/** Reduces `x` over `axes` with `combine` from `init`; `finish(acc, count)` gives each result. */
function reduceInt(x: tf.Tensor, axesT: tf.Tensor, keepDims: boolean, init: number, combine: (a: number, v: number) => number,
  finish: (acc: number, count: number) => number): tf.Tensor {
  const rank = x.rank;
  const axes = new Set(numbersOf(axesT).map((a) => {
    if (a < -rank || a >= rank) throw Errors.kernelArgument(`Invalid reduction dimension (${a} for input with ${rank} dimension(s))`);
    return a < 0 ? a + rank : a;
  }));
  const outShape = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const count = sizeOf(x.shape.filter((_, i) => axes.has(i)));
  const v = numbersOf(x);
  const acc = new Float64Array(sizeOf(outShape)).fill(init);
  const strides = x.shape.map((_, i) => sizeOf(outShape.slice(i + 1)));
  for (let flat = 0; flat < v.length; flat++) {
    let rest = flat;
    let o = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const c = rest % x.shape[i]!;
      rest = (rest - c) / x.shape[i]!;
      if (!axes.has(i)) o += c * strides[i]!;
    }
    acc[o] = combine(acc[o]!, v[flat]!);
  }
  const out = Int32Array.from(acc, (a) => finish(a, count));
  return tf.tensor(out, keepDims ? outShape : x.shape.filter((_, i) => !axes.has(i)), 'int32');
}

/** TF's integer `Mean`: the exact sum over the axes divided by their size, truncated toward zero. */
export function intMean(x: tf.Tensor, axes: tf.Tensor, keepDims: boolean): tf.Tensor {
  return reduceInt(x, axes, keepDims, 0, (a, v) => a + v, (a, n) => (n === 0 ? 0 : Math.trunc(a / n)));
}

/** TF's integer `Prod`, modulo 2^32 (tfjs's cpu kernel multiplies in float64 and loses the low bits). */
export function intProd(x: tf.Tensor, axes: tf.Tensor, keepDims: boolean): tf.Tensor {
  return reduceInt(x, axes, keepDims, 1, (a, v) => Math.imul(a, v), (a) => a | 0);
}

/** TF's integer `Square`, modulo 2^32 (tfjs's cpu kernel squares in float32). */
export function intSquare(x: tf.Tensor): tf.Tensor {
  return tf.tensor(Int32Array.from(numbersOf(x), (v) => Math.imul(v, v)), x.shape, 'int32');
}

/** x^y modulo 2^32 by repeated squaring (TF's integer pow); a negative exponent is TF's error. */
function powMod32(x: number, y: number): number {
  if (y < 0) throw Errors.kernelArgument('Integers to negative integer powers are not allowed');
  let r = 1;
  let b = x | 0;
  for (let e = y; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r = Math.imul(r, b);
    b = Math.imul(b, b);
  }
  return r;
}

/** TF's integer `Pow` (broadcasting), modulo 2^32 (tfjs computes it in float32). */
export function intPow(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = broadcastShape(a.shape, b.shape);
  const ai = broadcastIndex(shape, a.shape);
  const bi = broadcastIndex(shape, b.shape);
  const av = numbersOf(a);
  const bv = numbersOf(b);
  return tf.tensor(Int32Array.from(ai, (x, i) => powMod32(av[x]!, bv[bi[i]!]!)), shape, 'int32');
}

export const NARROW_INT_KERNELS: readonly KernelEntry[] = [
  { op: INT_MEAN_OP, kernel: (node) => intMean(kernelInput(node, 0), kernelInput(node, 1), attrBool(node, 'keep_dims', false)) },
  { op: INT_PROD_OP, kernel: (node) => intProd(kernelInput(node, 0), kernelInput(node, 1), attrBool(node, 'keep_dims', false)) },
  { op: INT_SQUARE_OP, kernel: (node) => intSquare(kernelInput(node, 0)) },
  { op: INT_POW_OP, kernel: (node) => intPow(kernelInput(node, 0), kernelInput(node, 1)) },
  { op: WRAP_INT_OP, kernel: (node) => wrapToNarrowInt(kernelInput(node, 0), attrText(node, '_tfs_wrap', '')) },
];
