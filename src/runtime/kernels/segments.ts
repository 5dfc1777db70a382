/**
 * Segment and sparse reductions (segment_reduction_ops, sparse_reduce_op, sparse_reorder_op):
 * SegmentMean/Max/Min/Prod, UnsortedSegmentMax/Min/Prod, SparseSegmentSqrtN, SparseSegmentSum/Mean/SqrtN
 * WithNumSegments, SparseReduceSum,
 * SparseReorder. Rows are reduced in JS in TF's order; float32 results are rounded per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrType, intTensor, numbersOf, sizeOf, stridesOf } from './util.js';

type Reducer = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sqrtn';

const LOWEST: Record<string, number> = { DT_FLOAT: -3.4028234663852886e38, DT_INT32: -2147483648, DT_INT16: -32768, DT_INT8: -128, DT_UINT8: 0, DT_UINT16: 0 };
const HIGHEST: Record<string, number> = { DT_FLOAT: 3.4028234663852886e38, DT_INT32: 2147483647, DT_INT16: 32767, DT_INT8: 127, DT_UINT8: 255, DT_UINT16: 65535 };

function step(r: Reducer, acc: number, v: number, isFloat: boolean): number {
  const x = r === 'max' ? (v > acc || Number.isNaN(v) ? v : acc) : r === 'min' ? (v < acc || Number.isNaN(v) ? v : acc) : r === 'prod' ? (isFloat ? acc * v : Math.imul(acc, v)) : acc + v;
  return isFloat ? Math.fround(x) : x;
}

/**
 * Reduce rows of `data` (shape [n, ...inner]) into `nseg` segments; `seg[i]` is row i's
 * segment (-1 drops it). Empty segments get `empty`.
 */
function reduceRows(node: GraphNode, data: tf.Tensor, rows: number[], seg: number[], nseg: number, r: Reducer, emptyZero = false): tf.Tensor {
  const t = attrType(node, 'T', data.dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32');
  const isFloat = data.dtype === 'float32';
  if (!isFloat && t !== 'DT_INT32' && t !== 'DT_INT16' && t !== 'DT_INT8' && t !== 'DT_UINT8' && t !== 'DT_UINT16') {
    throw Errors.kernelUnsupported('segment reduction', `type ${t}`);
  }
  const inner = sizeOf(data.shape.slice(1));
  const x = numbersOf(data);
  const init = r === 'max' ? (LOWEST[t] ?? -Infinity) : r === 'min' ? (HIGHEST[t] ?? Infinity) : r === 'prod' ? 1 : 0;
  const out = new Float64Array(nseg * inner).fill(init);
  const count = new Float64Array(nseg);
  rows.forEach((row, i) => {
    const s = seg[i]!;
    if (s < 0) return;
    count[s]!++;
    for (let e = 0; e < inner; e++) out[s * inner + e] = step(r, out[s * inner + e]!, x[row * inner + e]!, isFloat);
  });
  for (let s = 0; s < nseg; s++) {
    const c = count[s]!;
    if ((r === 'mean' || r === 'sqrtn') && c > 0) {
      const d = r === 'mean' ? c : Math.fround(Math.sqrt(c));
      for (let e = 0; e < inner; e++) out[s * inner + e] = isFloat ? Math.fround(out[s * inner + e]! / d) : Math.trunc(out[s * inner + e]! / d);
    } else if (c === 0 && emptyZero) out.fill(0, s * inner, (s + 1) * inner);
    else if (c === 0 && (r === 'max' || r === 'min') && !(t in LOWEST)) throw Errors.kernelUnsupported('segment reduction', `an empty segment of type ${t}`);
  }
  const shape = [nseg, ...data.shape.slice(1)];
  return isFloat ? tf.tensor(Float32Array.from(out), shape, 'float32') : intTensor(out, shape, 'segment reduction', t);
}

/** Sorted segment ops: ids must be non-decreasing; the output has last id + 1 rows, 0 for empty segments. */
function sorted(node: GraphNode, r: Reducer): tf.Tensor {
  const data = kernelInput(node, 0);
  const ids = numbersOf(kernelInput(node, 1));
  if (ids.length !== (data.shape[0] ?? 1)) throw Errors.kernelArgument('segment_ids should be the same size as dimension 0 of input.');
  ids.forEach((id, i) => {
    if (id < 0 || (i > 0 && id < ids[i - 1]!)) throw Errors.kernelArgument(`segment ids are not increasing`);
  });
  const nseg = ids.length === 0 ? 0 : ids[ids.length - 1]! + 1;
  // An empty segment is 0, except for a product: 1 (TF's identity for each reduction but max/min).
  return reduceRows(node, data, ids.map((_, i) => i), ids, nseg, r === 'max' || r === 'min' || r === 'prod' ? r : 'mean', r !== 'prod');
}

function unsorted(node: GraphNode, r: Reducer): tf.Tensor {
  const data = kernelInput(node, 0);
  const idsT = kernelInput(node, 1);
  const nseg = numbersOf(kernelInput(node, 2))[0]!;
  const ids = numbersOf(idsT);
  if (data.shape.slice(0, idsT.rank).some((d, i) => d !== idsT.shape[i])) {
    throw Errors.kernelArgument('data.shape = [' + data.shape.join(',') + '] does not start with segment_ids.shape = [' + idsT.shape.join(',') + ']');
  }
  ids.forEach((id, i) => {
    if (id >= nseg) throw Errors.kernelArgument(`segment_ids[${i}] = ${id} is out of range [0, ${nseg})`);
  });
  // Rows are the flattened leading dims of data matched by segment_ids.
  const flat = tf.reshape(data, [ids.length, ...data.shape.slice(idsT.rank)]);
  try {
    return reduceRows(node, flat, ids.map((_, i) => i), ids, nseg, r);
  } finally {
    flat.dispose();
  }
}

function sparseSegment(node: GraphNode, r: Reducer): tf.Tensor {
  const data = kernelInput(node, 0);
  const idx = numbersOf(kernelInput(node, 1));
  const seg = numbersOf(kernelInput(node, 2));
  const n = data.shape[0] ?? 0;
  idx.forEach((i, k) => {
    if (i < 0 || i >= n) throw Errors.kernelArgument(`Bad: indices[${k}] == ${i} out of range [0, ${n})`);
  });
  seg.forEach((s, k) => {
    if (s < 0 || (k > 0 && s < seg[k - 1]!)) throw Errors.kernelArgument('segment ids are not increasing');
  });
  const nseg = node.inputs.length > 3 ? numbersOf(kernelInput(node, 3))[0]! : seg.length === 0 ? 0 : seg[seg.length - 1]! + 1;
  return reduceRows(node, data, idx, seg, nseg, r);
}

function sparseReduceSum(node: GraphNode): tf.Tensor {
  const indices = numbersOf(kernelInput(node, 0));
  const values = numbersOf(kernelInput(node, 1));
  const shape = numbersOf(kernelInput(node, 2));
  const rank = shape.length;
  const axesT = numbersOf(kernelInput(node, 3)).map((a) => (a < 0 ? a + rank : a));
  const axes = new Set(axesT.length === 0 ? [...Array(rank).keys()] : axesT);
  const keep = attrBool(node, 'keep_dims', false);
  const outShape = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const strides = stridesOf(outShape);
  const isFloat = kernelInput(node, 1).dtype === 'float32';
  const out = new Float64Array(sizeOf(outShape));
  values.forEach((v, k) => {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!axes.has(d)) o += indices[k * rank + d]! * strides[d]!;
    out[o] = isFloat ? Math.fround(out[o]! + v) : out[o]! + v;
  });
  const finalShape = keep ? outShape : shape.filter((_, i) => !axes.has(i));
  return isFloat ? tf.tensor(Float32Array.from(out), finalShape, 'float32') : intTensor(out, finalShape, 'SparseReduceSum', attrType(node, 'T'));
}

function sparseReorder(node: GraphNode): tf.Tensor[] {
  const idxT = kernelInput(node, 0);
  const valsT = kernelInput(node, 1);
  const [n, rank] = [idxT.shape[0]!, idxT.shape[1]!];
  const idx = numbersOf(idxT);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    for (let d = 0; d < rank; d++) {
      const c = idx[a * rank + d]! - idx[b * rank + d]!;
      if (c !== 0) return c;
    }
    return a - b;
  });
  const outIdx = order.flatMap((i) => idx.slice(i * rank, (i + 1) * rank));
  const perm = tf.tensor1d(order, 'int32');
  try {
    return [intTensor(outIdx, [n, rank], 'SparseReorder indices'), tf.gather(valsT, perm)];
  } finally {
    perm.dispose();
  }
}

export const SEGMENT_KERNELS: readonly KernelEntry[] = [
  { op: 'SegmentMean', kernel: (node) => sorted(node, 'mean') },
  { op: 'SegmentMax', kernel: (node) => sorted(node, 'max') },
  { op: 'SegmentMin', kernel: (node) => sorted(node, 'min') },
  { op: 'SegmentProd', kernel: (node) => sorted(node, 'prod') },
  { op: 'UnsortedSegmentMax', kernel: (node) => unsorted(node, 'max') },
  { op: 'UnsortedSegmentMin', kernel: (node) => unsorted(node, 'min') },
  { op: 'UnsortedSegmentProd', kernel: (node) => unsorted(node, 'prod') },
  { op: 'SparseSegmentSqrtN', kernel: (node) => sparseSegment(node, 'sqrtn') },
  { op: 'SparseSegmentSqrtNWithNumSegments', kernel: (node) => sparseSegment(node, 'sqrtn') },
  { op: 'SparseSegmentSumWithNumSegments', kernel: (node) => sparseSegment(node, 'sum') },
  { op: 'SparseSegmentMeanWithNumSegments', kernel: (node) => sparseSegment(node, 'mean') },
  { op: 'SparseReduceSum', kernel: sparseReduceSum },
  { op: 'SparseReorder', kernel: sparseReorder },
];
