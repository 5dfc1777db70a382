/**
 * The shape of a custom kernel: one TensorFlow op name and the function that runs it on
 * tfjs tensors. Each op family keeps its kernels in one table (`<family>.ts` exports
 * `<FAMILY>_KERNELS`), and `index.ts` lists the families; adding an op means adding one
 * entry to one table.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';

export interface KernelEntry {
  /** The TensorFlow op name as it appears in the frozen graph. */
  readonly op: string;
  readonly kernel: OpExecutor;
}

/** Input `i` of a custom-op node, or a clear error when the graph did not wire it. */
export function kernelInput(node: GraphNode, i: number): tf.Tensor {
  const t = node.inputs[i];
  if (!t) throw Errors.customOpInputMissing(i);
  return t;
}
