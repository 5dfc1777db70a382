/**
 * `_TfsPowHalf` / `_TfsPowMinusHalf`: a float `Pow` whose exponent is a constant 0.5 or -0.5 in
 * every element. TF's grappler (arithmetic optimizer, ConvertPow) rewrites such a node to
 * `Sqrt` / `Rsqrt` before the graph runs, and those differ from C's pow at the edges:
 * `sqrt(-inf)` is NaN (pow gives +inf), `sqrt(-0)` is -0 (pow +0), `rsqrt(-inf)` NaN (pow 0),
 * `rsqrt(-0)` -inf (pow +inf). fuse.ts picks the nodes. The result is broadcast against the
 * exponent (multiplied by ones of its shape, exact) so the output shape stays Pow's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { kernelInput, type KernelEntry } from './types.js';

export const POW_HALF_OP = '_TfsPowHalf';
export const POW_MINUS_HALF_OP = '_TfsPowMinusHalf';

function powAsRoot(node: GraphNode, root: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const x = kernelInput(node, 0);
  const y = kernelInput(node, 1);
  return tf.tidy(() => tf.mul(root(x), tf.onesLike(y)));
}

export const POW_CONST_KERNELS: readonly KernelEntry[] = [
  { op: POW_HALF_OP, kernel: (node) => powAsRoot(node, tf.sqrt) },
  { op: POW_MINUS_HALF_OP, kernel: (node) => powAsRoot(node, tf.rsqrt) },
];
