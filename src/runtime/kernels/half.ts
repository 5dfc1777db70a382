/**
 * `_TfsRoundHalf`: a float32 stand-in of a float16/bfloat16 result rounded to that type, as
 * TF rounds every op's result (half-policy.ts decides where the freezer puts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../tensor/tensor.js';
import { HALF_ROUND_OP, HALF_SIGMOID_OP } from '../half-policy.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText } from './util.js';

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

function halfSigmoid(t: tf.Tensor, kind: string): tf.Tensor {
  const v = t.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = narrowSigmoid(v[i]!, kind);
  return tf.tensor(out, t.shape, 'float32');
}

export const HALF_KERNELS: readonly KernelEntry[] = [
  { op: HALF_ROUND_OP, kernel: (node) => roundToNarrow(kernelInput(node, 0), attrText(node, '_tfs_half', 'half')) },
  { op: HALF_SIGMOID_OP, kernel: (node) => halfSigmoid(kernelInput(node, 0), attrText(node, '_tfs_half', 'half')) },
];
