/**
 * Sparse ops of `tf.sparse` that serving graphs use on embedding-style inputs, as TF's CPU
 * kernels compute them (checked against TF 2.21, test/runtime/kernels/sparse-ops.test.ts):
 *
 * - `SparseReduceMax` (sparse_reduce_op.cc): TF reorders the entries so that the kept dims
 *   come first, then folds each group from the lowest value with `v < acc ? acc : v`. So a NaN
 *   wins only where it comes first or alone ([nan, 1] → 1, [1, nan] → nan, [nan] → nan), and an
 *   output position no entry maps to is 0, not -inf.
 * - `SparseTensorDenseMatMul` (sparse_tensor_dense_matmul_op.cc): each entry adds its value
 *   times a row of B to a row of the output, in the order the entries come (not sorted):
 *   float32 sums round at every step, so 1e8 + 1 - 1e8 is 0 in one order and 1 in another.
 *
 * float32 and int32 values; other types are refused per request (UNIMPLEMENTED).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrType, numbersOf, stridesOf } from './util.js';

const INT32_MIN = -2147483648;

function valueType(node: GraphNode, op: string): 'float32' | 'int32' {
  const t = attrType(node, 'T');
  if (t === 'DT_FLOAT') return 'float32';
  if (t === 'DT_INT32') return 'int32';
  throw Errors.kernelUnsupported(op, `values of type ${t.replace(/^DT_/, '').toLowerCase() || 'unknown'}`);
}

/** Lexicographic comparison of entries a and b over `dims` of a row-major [n, rank] index list. */
function compareOn(idx: readonly number[], rank: number, dims: readonly number[], a: number, b: number): number {
  for (const d of dims) {
    const c = idx[a * rank + d]! - idx[b * rank + d]!;
    if (c !== 0) return c;
  }
  return 0;
}

function sparseReduceMax(node: GraphNode): tf.Tensor {
  const dtype = valueType(node, 'SparseReduceMax');
  const idx = numbersOf(kernelInput(node, 0));
  const values = numbersOf(kernelInput(node, 1));
  const shape = numbersOf(kernelInput(node, 2));
  const rank = shape.length;
  const axesIn = numbersOf(kernelInput(node, 3));
  for (const a of axesIn) {
    if (a < -rank || a >= rank) throw Errors.kernelArgument(`Invalid reduction dimension ${a}, for input with ${rank} dimensions.`);
  }
  const reduced = new Set(axesIn.length === 0 ? [...Array(rank).keys()] : axesIn.map((a) => (a < 0 ? a + rank : a)));
  const kept = [...Array(rank).keys()].filter((d) => !reduced.has(d));
  const order = [...kept, ...[...Array(rank).keys()].filter((d) => reduced.has(d))];
  const outShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const strides = stridesOf(outShape);
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const seen = new Uint8Array(out.length);
  const entries = values.map((_, k) => k).sort((a, b) => compareOn(idx, rank, order, a, b) || a - b);
  const lowest = dtype === 'float32' ? -Infinity : INT32_MIN;
  for (const k of entries) {
    let o = 0;
    for (const d of kept) o += idx[k * rank + d]! * strides[d]!;
    const acc = seen[o] ? out[o]! : lowest;
    const v = values[k]!;
    out[o] = v < acc ? acc : v;
    seen[o] = 1;
  }
  const finalShape = attrBool(node, 'keep_dims', false) ? outShape : kept.map((d) => shape[d]!);
  return tf.tensor(dtype === 'float32' ? Float32Array.from(out) : Int32Array.from(out), finalShape, dtype);
}

function sparseDenseMatMul(node: GraphNode): tf.Tensor {
  const dtype = valueType(node, 'SparseTensorDenseMatMul');
  const idx = numbersOf(kernelInput(node, 0));
  const values = numbersOf(kernelInput(node, 1));
  const aShape = numbersOf(kernelInput(node, 2));
  const bT = kernelInput(node, 3);
  const b = numbersOf(bT);
  const [adjA, adjB] = [attrBool(node, 'adjoint_a', false), attrBool(node, 'adjoint_b', false)];
  if (aShape.length !== 2 || bT.rank !== 2) throw Errors.kernelArgument('Tensor a_shape and b must be matrices');
  const [m, k] = adjA ? [aShape[1]!, aShape[0]!] : [aShape[0]!, aShape[1]!];
  const [bRows, bCols] = bT.shape as [number, number];
  const [bk, n] = adjB ? [bCols, bRows] : [bRows, bCols];
  if (k !== bk) throw Errors.kernelArgument(`Cannot multiply A and B because inner dimension does not match: ${k} vs. ${bk}.  Did you forget a transpose?  Dimensions of A: [${aShape.join(', ')}).  Dimensions of B: [${bT.shape.join(',')}]`);
  const out = new Float64Array(m * n);
  const round = dtype === 'float32' ? Math.fround : (x: number): number => x | 0;
  for (let e = 0; e < values.length; e++) {
    const row = idx[e * 2 + (adjA ? 1 : 0)]!;
    const col = idx[e * 2 + (adjA ? 0 : 1)]!;
    if (row < 0 || row >= m) throw Errors.kernelArgument(`m (${row}) from index[${e},${adjA ? 1 : 0}] out of bounds (>=${m})`);
    if (col < 0 || col >= k) throw Errors.kernelArgument(`k (${col}) from index[${e},${adjA ? 0 : 1}] out of bounds (>=${k})`);
    const v = values[e]!;
    for (let j = 0; j < n; j++) {
      const bv = adjB ? b[j * bCols + col]! : b[col * bCols + j]!;
      out[row * n + j] = round(out[row * n + j]! + (dtype === 'float32' ? Math.fround(v * bv) : Math.imul(v, bv)));
    }
  }
  return tf.tensor(dtype === 'float32' ? Float32Array.from(out) : Int32Array.from(out), [m, n], dtype);
}

export const SPARSE_OPS_KERNELS: readonly KernelEntry[] = [
  { op: 'SparseReduceMax', kernel: sparseReduceMax },
  { op: 'SparseTensorDenseMatMul', kernel: sparseDenseMatMul },
];
