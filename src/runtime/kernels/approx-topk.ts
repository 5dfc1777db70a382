/**
 * `ApproxTopK` (tf.math.approx_max_k, ScaNN-style retrieval heads): refused at load before
 * probe14. TF's CPU kernel (registered for is_max_k=true and reduction_dimension=-1 only; other
 * settings have no CPU kernel, so a CPU TensorFlow Serving fails them too) answers the exact
 * top k, sorted, ties to the lower index (TF 2.21: approx_max_k([[1,3,3,2,3]], 2) gives indices
 * [1, 2]), which is what TopKV2 answers: this runs tfjs's topk. NaN inputs are refused: TF's
 * order for them (approx_max_k([[nan,1,nan,2,-0,0]], 5) = [nan,2,1,nan,-0]) is its own.
 * `aggregate_to_topk=false` (per-bin results of another shape) is refused rather than guessed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrInt, attrType } from './util.js';

const OP = 'ApproxTopK';
const TYPES = new Set(['DT_FLOAT', 'DT_INT32']);

function approxTopK(node: GraphNode): tf.Tensor[] {
  const x = kernelInput(node, 0);
  const k = attrInt(node, 'k', -1);
  const dim = attrInt(node, 'reduction_dimension', -1);
  const type = attrType(node, 'T', x.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT');
  if (!attrBool(node, 'is_max_k', true)) throw Errors.kernelUnsupported(OP, 'is_max_k=false (approx_min_k: TensorFlow has no CPU kernel for it)');
  if (!attrBool(node, 'aggregate_to_topk', true)) throw Errors.kernelUnsupported(OP, 'aggregate_to_topk=false');
  if (!TYPES.has(type)) throw Errors.kernelUnsupported(OP, `T ${type}`);
  if (x.rank === 0) throw Errors.kernelArgument('ApproxTopK: operand must have rank 1 or more');
  if (dim !== -1 && dim !== x.rank - 1) {
    throw Errors.kernelUnsupported(OP, `reduction_dimension ${dim} (TensorFlow's CPU kernel reduces the last dimension only)`);
  }
  const n = x.shape[x.rank - 1]!;
  if (k < 0 || k > n) throw Errors.kernelArgument(`ApproxTopK: k must be in [0, ${n}], got ${k}`);
  if (x.dtype === 'float32' && (x.dataSync() as Float32Array).some(Number.isNaN)) {
    throw Errors.kernelUnsupported(OP, 'the order of NaN values');
  }
  const { values, indices } = tf.topk(x, k, true);
  return [values, indices];
}

export const APPROX_TOPK_KERNELS: readonly KernelEntry[] = [{ op: OP, kernel: approxTopK }];
