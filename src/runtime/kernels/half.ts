/**
 * `_TfsRoundHalf`: a float32 stand-in of a float16/bfloat16 result rounded to that type, as
 * TF rounds every op's result (half-policy.ts decides where the freezer puts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../tensor/tensor.js';
import { HALF_ROUND_OP } from '../half-policy.js';
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

export const HALF_KERNELS: readonly KernelEntry[] = [
  { op: HALF_ROUND_OP, kernel: (node) => roundToNarrow(kernelInput(node, 0), attrText(node, '_tfs_half', 'half')) },
];
