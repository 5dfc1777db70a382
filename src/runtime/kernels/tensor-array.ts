/**
 * TF1 TensorArray ops (`TensorArrayV3` and friends, written by TF1 `while_loop`s and
 * `tf.compat.v1` graphs) as plain tensors, like tensor-list.ts.
 *
 * Every TensorArray op that reads or writes takes the array's "flow" tensor, and every
 * write returns a new flow: TF threads the flow through loops to order the writes. tfs
 * makes the flow carry the values: it is the dense list `[size, ...element_shape]`
 * (see tensor-list.ts for unknown element shapes), so a write returns the updated list
 * and the executor owns every value. The handle is a scalar holding 1 when the array
 * may grow (`dynamic_size`), else 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { CONTROL_OP_NAMES } from './control-names.js';
import { concatList, gather, getItem, reserve, setItem, splitList } from './tensor-list.js';

const N = CONTROL_OP_NAMES;

const scalarArg = (t: tf.Tensor): number => Number(t.dataSync()[0]);
const growable = (node: GraphNode): boolean => scalarArg(kernelInput(node, 0)) === 1;

/** A shape attr as the list helpers take it (null: unknown rank). */
function shapeAttr(node: GraphNode, name: string): number[] | null {
  const s = node.attrs[name] as number[] | undefined;
  return Array.isArray(s) ? s : null;
}

function create(node: GraphNode): tf.Tensor[] {
  const size = scalarArg(kernelInput(node, 0));
  if (size < 0) throw Errors.kernelError(`Size should be >= 0.`);
  const dtype = (node.attrs['dtype'] as tf.DataType | undefined) ?? 'float32';
  const handle = tf.scalar(node.attrs['dynamic_size'] ? 1 : 0, 'int32');
  return [handle, reserve(size, shapeAttr(node, 'element_shape'), dtype)];
}

function scatter(node: GraphNode): tf.Tensor {
  const indices = Array.from(kernelInput(node, 1).dataSync());
  const value = kernelInput(node, 2);
  const grow = growable(node);
  if (indices.length !== value.shape[0]) {
    throw Errors.kernelError(`Expected len(indices) == values.shape[0], but saw: ${indices.length} vs. ${value.shape[0] ?? 0}`);
  }
  return tf.tidy(() => {
    const rows = indices.length > 0 ? tf.unstack(value, 0) : [];
    let out = kernelInput(node, 3).clone();
    indices.forEach((i, k) => {
      out = setItem(out, i, rows[k]!, grow);
    });
    return out;
  });
}

export const TENSOR_ARRAY_KERNELS: readonly KernelEntry[] = [
  { op: N.TensorArrayV3, kernel: create },
  {
    op: N.TensorArrayWriteV3,
    kernel: (node) => setItem(kernelInput(node, 3), scalarArg(kernelInput(node, 1)), kernelInput(node, 2), growable(node)),
  },
  { op: N.TensorArrayReadV3, kernel: (node) => getItem(kernelInput(node, 2), scalarArg(kernelInput(node, 1)), null) },
  {
    op: N.TensorArrayGatherV3,
    kernel: (node) => gather(kernelInput(node, 2), kernelInput(node, 1), shapeAttr(node, 'element_shape')),
  },
  { op: N.TensorArrayScatterV3, kernel: scatter },
  { op: N.TensorArraySizeV3, kernel: (node) => tf.scalar(kernelInput(node, 1).shape[0]!, 'int32') },
  { op: N.TensorArrayConcatV3, kernel: (node) => concatList(kernelInput(node, 1), null) },
  {
    // The split replaces the array's values; its size must match unless it may grow.
    op: N.TensorArraySplitV3,
    kernel: (node) => {
      const size = kernelInput(node, 3).shape[0]!;
      const lengths = kernelInput(node, 2);
      if (!growable(node) && lengths.size !== size) {
        throw Errors.kernelError(`TensorArray's size is not equal to the size of lengths (${size} vs. ${lengths.size}), and the TensorArray is not marked as dynamically resizeable`);
      }
      return splitList(kernelInput(node, 1), lengths);
    },
  },
];
