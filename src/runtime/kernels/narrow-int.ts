/**
 * `_TfsWrapInt`: an int32 stand-in of an int8/uint8/int16/uint16 result wrapped to that type
 * (two's complement), as TF's kernels compute in the type (narrow-int-policy.ts decides where
 * the freezer puts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Errors } from '../../errors.js';
import { NARROW_INT_WIDTH, WRAP_INT_OP } from '../narrow-int-policy.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText, numbersOf } from './util.js';

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

export const NARROW_INT_KERNELS: readonly KernelEntry[] = [
  { op: WRAP_INT_OP, kernel: (node) => wrapToNarrowInt(kernelInput(node, 0), attrText(node, '_tfs_wrap', '')) },
];
