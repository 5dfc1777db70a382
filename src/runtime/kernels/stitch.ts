/**
 * DynamicStitch and ParallelDynamicStitch, which TF1's `embedding_lookup` over partitioned
 * variables ends with: `merged[indices[m][i, ...], ...] = data[m][i, ...]`, the output's first
 * dimension is the largest index + 1, rows no index names are zero (empty for strings), and
 * a duplicated index keeps the value written last in the order of m, then i (TF leaves
 * ParallelDynamicStitch's duplicates unspecified; the same rule applies). Checked against
 * TF 2.21 in test/runtime/kernels/stitch.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { bytesOf, numbersOf, sizeOf, stringTensor } from './util.js';

const shapeText = (s: readonly number[]): string => `[${s.join(',')}]`;

/** TF's checks: data[m] starts with indices[m]'s shape and continues with data[0]'s row shape. */
function checkShapes(indices: readonly tf.Tensor[], data: readonly tf.Tensor[]): number[] {
  const rowShape = data[0]!.shape.slice(indices[0]!.rank);
  data.forEach((d, m) => {
    const ix = indices[m]!;
    if (d.rank < ix.rank || ix.shape.some((n, k) => d.shape[k] !== n)) {
      throw Errors.kernelArgument(`data[${m}].shape = ${shapeText(d.shape)} does not start with indices[${m}].shape = ${shapeText(ix.shape)}`);
    }
    const rest = d.shape.slice(ix.rank);
    if (rest.length !== rowShape.length || rest.some((n, k) => n !== rowShape[k])) {
      throw Errors.kernelArgument(
        `Need data[0].shape[${indices[0]!.rank}:] = data[${m}].shape[${ix.rank}:], got data[0].shape = ${shapeText(data[0]!.shape)}, ` +
          `data[${m}].shape = ${shapeText(d.shape)}, indices[0].shape = ${shapeText(indices[0]!.shape)}, indices[${m}].shape = ${shapeText(ix.shape)}`,
      );
    }
  });
  return rowShape;
}

/**
 * For each output row, the row of the concatenated data rows it takes, or -1 for none.
 * `srcRows[m]` is where data[m]'s rows start in that concatenation.
 */
function sourceRows(indexLists: readonly number[][]): Int32Array {
  let max = -1;
  for (const list of indexLists) for (const v of list) max = Math.max(max, v);
  const src = new Int32Array(max + 1).fill(-1);
  let base = 0;
  for (const list of indexLists) {
    list.forEach((v, i) => {
      if (v < 0 || v > max) throw Errors.kernelArgument(`indices[${i}] is out of range`);
      src[v] = base + i;
    });
    base += list.length;
  }
  return src;
}

function stitch(node: GraphNode): tf.Tensor {
  const n = node.inputs.length / 2;
  if (!Number.isInteger(n) || n < 1) throw Errors.kernelArgument(`DynamicStitch needs N indices and N data inputs, got ${node.inputs.length} inputs`);
  const indices = Array.from({ length: n }, (_, m) => kernelInput(node, m));
  const data = Array.from({ length: n }, (_, m) => kernelInput(node, n + m));
  const rowShape = checkShapes(indices, data);
  const src = sourceRows(indices.map(numbersOf));
  const outShape = [src.length, ...rowShape];
  const inner = sizeOf(rowShape);
  if (data[0]!.dtype === 'string') {
    const rows = data.flatMap((d) => bytesOf(d));
    const out: Uint8Array[] = [];
    for (const s of src) for (let k = 0; k < inner; k++) out.push(s < 0 ? new Uint8Array(0) : rows[s * inner + k]!);
    return stringTensor(out, outShape);
  }
  return tf.tidy(() => {
    // Row 0 is the zero row; data rows follow, so source row s sits at s + 1.
    const flat = [tf.zeros([1, inner], data[0]!.dtype), ...data.map((d) => tf.reshape(d, [-1, inner]))];
    const picked = tf.gather(tf.concat(flat, 0), tf.tensor1d(Array.from(src, (s) => s + 1), 'int32'));
    return tf.reshape(picked, outShape);
  });
}

export const STITCH_KERNELS: readonly KernelEntry[] = [
  { op: 'DynamicStitch', kernel: stitch },
  { op: 'ParallelDynamicStitch', kernel: stitch },
];
