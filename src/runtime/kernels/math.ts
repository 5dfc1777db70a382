/**
 * Element-wise and shape kernels serving models need and tfjs lacks: `Softsign`, `Xlogy`,
 * `Xdivy`, `Erfc` (Keras `gelu`), `Inv`, `Rint`, `TruncateDiv`, `TruncateMod`,
 * `BroadcastGradientArgs`, `Bucketize`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';

function broadcastGradientArgs(node: GraphNode): tf.Tensor[] {
  const s0 = Array.from(kernelInput(node, 0).dataSync());
  const s1 = Array.from(kernelInput(node, 1).dataSync());
  const rank = Math.max(s0.length, s1.length);
  const a = [...Array(rank - s0.length).fill(1), ...s0];
  const b = [...Array(rank - s1.length).fill(1), ...s1];
  const r0: number[] = [];
  const r1: number[] = [];
  const same = a.every((d, i) => d === b[i]);
  if (!same) {
    for (let i = 0; i < rank; i++) {
      if (a[i] !== b[i] && a[i] !== 1 && b[i] !== 1) {
        throw Errors.incompatibleShapes(s0, s1);
      }
      if (a[i] === 1) r0.push(i);
      if (b[i] === 1) r1.push(i);
    }
  }
  return [tf.tensor1d(r0, 'int32'), tf.tensor1d(r1, 'int32')];
}

function bucketize(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const bounds = (node.attrs['boundaries'] as number[] | undefined) ?? [];
  const vals = x.dataSync();
  const out = new Int32Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    // Index of the first boundary greater than the value (TF's upper_bound).
    let lo = 0;
    let hi = bounds.length;
    const v = vals[i]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bounds[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return tf.tensor(out, x.shape, 'int32');
}

function truncateDiv(node: GraphNode): tf.Tensor {
  return tf.tidy(() => {
    const x = kernelInput(node, 0);
    const y = kernelInput(node, 1);
    if (x.dtype !== 'int32') return tf.div(x, y);
    // Integer division rounding toward zero (TF's TruncateDiv), unlike FloorDiv.
    const q = tf.floorDiv(tf.abs(x), tf.abs(y));
    return tf.mul(q, tf.mul(tf.sign(x), tf.sign(y)));
  });
}

function truncateMod(node: GraphNode): tf.Tensor {
  return tf.tidy(() => {
    const x = kernelInput(node, 0);
    const y = kernelInput(node, 1);
    // The remainder takes the sign of the dividend (C's %), unlike FloorMod.
    const r = tf.mod(tf.abs(x), tf.abs(y));
    return tf.mul(r, tf.sign(x));
  });
}

/** `x op y`, but 0 where x is 0 (Xlogy, Xdivy: TF defines 0 * log(0) and 0 / 0 as 0). */
function zeroWhereXIsZero(node: GraphNode, op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x = kernelInput(node, 0);
    const r = op(x, kernelInput(node, 1));
    return tf.where(tf.equal(x, 0), tf.zerosLike(r), r);
  });
}

export const MATH_KERNELS: readonly KernelEntry[] = [
  { op: 'Softsign', kernel: (node) => tf.tidy(() => tf.div(kernelInput(node, 0), tf.add(tf.abs(kernelInput(node, 0)), 1))) },
  { op: 'Xlogy', kernel: (node) => zeroWhereXIsZero(node, (x, y) => tf.mul(x, tf.log(y))) },
  { op: 'Xdivy', kernel: (node) => zeroWhereXIsZero(node, (x, y) => tf.div(x, y)) },
  { op: 'Erfc', kernel: (node) => tf.tidy(() => tf.sub(1, tf.erf(kernelInput(node, 0)))) },
  { op: 'Inv', kernel: (node) => tf.reciprocal(kernelInput(node, 0)) },
  { op: 'Rint', kernel: (node) => tf.round(kernelInput(node, 0)) },
  { op: 'TruncateDiv', kernel: (node) => truncateDiv(node) },
  { op: 'TruncateMod', kernel: (node) => truncateMod(node) },
  { op: 'BroadcastGradientArgs', kernel: (node) => broadcastGradientArgs(node) },
  { op: 'Bucketize', kernel: (node) => bucketize(node) },
];
