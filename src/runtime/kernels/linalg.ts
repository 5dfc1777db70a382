/**
 * Linear algebra as TensorFlow's CPU kernels compute it (Eigen): `MatrixDeterminant`,
 * `LogMatrixDeterminant`, `MatrixInverse` and `MatrixSolve` on an LU decomposition with
 * partial pivoting (the first row with the largest magnitude in the column, as Eigen's
 * `PartialPivLU`), `Cholesky` (Eigen's LLT on the lower triangle; a non-positive pivot gives
 * NaN in the lower triangle, as TF 2.21), `MatrixTriangularSolve` (lower/adjoint, batch dimensions broadcast), and
 * the deprecated `Batch*` names. Batched over leading dimensions; float32 and float64 (exact
 * float64 values through wide-values.ts). Computation is in float64; float32 results are
 * rounded once, so they sit within float32 rounding of TF's (which computes in float32).
 * Singular inputs: determinant 0 (log: sign 0, -inf), inverse and solve fail with TF's
 * "Input is not invertible." / "Input matrix is not invertible." (INVALID_ARGUMENT).
 * Checked against TF 2.21 in test/runtime/kernels/linalg.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { makeWide, readWide } from '../wide-values.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrType, broadcastShape, sizeOf } from './util.js';

interface Mat { data: Float64Array; shape: number[]; f64: boolean }

function floatType(node: GraphNode, op: string): boolean {
  const t = attrType(node, 'T', 'DT_FLOAT');
  if (t !== 'DT_FLOAT' && t !== 'DT_DOUBLE') throw Errors.kernelUnsupported(op, `matrices of type ${t}`);
  return t === 'DT_DOUBLE';
}

function matrixInput(node: GraphNode, i: number, f64: boolean, op: string): Mat {
  const t = kernelInput(node, i);
  if (t.shape.length < 2) throw Errors.kernelArgument(`${op}: input must have rank >= 2, got ${t.shape.length}`);
  const data = f64 ? Float64Array.from(readWide(t, 'float64') as Float64Array) : Float64Array.from(t.dataSync() as Float32Array);
  return { data, shape: t.shape, f64 };
}

function square(m: Mat, op: string): number {
  const n = m.shape[m.shape.length - 1]!;
  if (m.shape[m.shape.length - 2] !== n) {
    throw Errors.kernelArgument(`${op}: input matrices must be square, got [${m.shape.slice(-2).join(',')}]`);
  }
  return n;
}

function result(data: Float64Array, shape: number[], f64: boolean): tf.Tensor {
  if (f64) return makeWide('float64', data, shape);
  return tf.tensor(Float32Array.from(data), shape, 'float32');
}

/** Matrix `b` of a batch (n x m), transposed when asked. */
function slice(m: Mat, b: number, rows: number, cols: number, transpose = false): Float64Array {
  const a = m.data.subarray(b * rows * cols, (b + 1) * rows * cols);
  if (!transpose) return Float64Array.from(a);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

interface Lu { lu: Float64Array; perm: Int32Array; sign: number }

/** In-place LU with partial pivoting (row-major n x n), as Eigen's PartialPivLU. */
function luDecompose(a: Float64Array, n: number): Lu {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sign = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]!);
      if (v > best) [best, p] = [v, i];
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j]!, a[k * n + j]!];
      [perm[k], perm[p]] = [perm[p]!, perm[k]!];
      sign = -sign;
    }
    const piv = a[k * n + k]!;
    if (piv === 0) continue; // Eigen leaves a zero pivot's column as it is
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k]! /= piv);
      if (f !== 0) for (let j = k + 1; j < n; j++) a[i * n + j]! -= f * a[k * n + j]!;
    }
  }
  return { lu: a, perm, sign };
}

/** Solves A X = B (B: n x m, row-major) from A's LU. */
function luSolve({ lu, perm }: Lu, n: number, b: Float64Array, m: number): Float64Array {
  const x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) x[i * m + j] = b[perm[i]! * m + j]!;
  for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) {
    const f = lu[i * n + k]!;
    if (f !== 0) for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const f = lu[i * n + k]!;
      if (f !== 0) for (let j = 0; j < m; j++) x[i * m + j]! -= f * x[k * m + j]!;
    }
    const d = lu[i * n + i]!;
    for (let j = 0; j < m; j++) x[i * m + j]! /= d;
  }
  return x;
}

function minAbsPivot(lu: Float64Array, n: number): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, Math.abs(lu[i * n + i]!));
  return min;
}

const identity = (n: number): Float64Array => {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
};

function determinant(op: string) {
  return (node: GraphNode): tf.Tensor => {
    const m = matrixInput(node, 0, floatType(node, op), op);
    const n = square(m, op);
    const batch = sizeOf(m.shape.slice(0, -2));
    const out = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      const { lu, sign } = luDecompose(slice(m, b, n, n), n);
      let det = sign;
      for (let i = 0; i < n; i++) det *= lu[i * n + i]!;
      out[b] = det;
    }
    return result(out, m.shape.slice(0, -2), m.f64);
  };
}

function logDeterminant(node: GraphNode): tf.Tensor[] {
  const m = matrixInput(node, 0, floatType(node, 'LogMatrixDeterminant'), 'LogMatrixDeterminant');
  const n = square(m, 'LogMatrixDeterminant');
  const batch = sizeOf(m.shape.slice(0, -2));
  const signs = new Float64Array(batch);
  const logs = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    const { lu, sign } = luDecompose(slice(m, b, n, n), n);
    let s = sign;
    let l = 0;
    for (let i = 0; i < n; i++) {
      const d = lu[i * n + i]!;
      s *= Math.sign(d);
      l += Math.log(Math.abs(d));
    }
    // TF: a zero pivot gives sign 0 and log|det| -inf.
    [signs[b], logs[b]] = s === 0 ? [0, -Infinity] : [s, l];
  }
  const shape = m.shape.slice(0, -2);
  return [result(signs, shape, m.f64), result(logs, shape, m.f64)];
}

function inverse(op: string) {
  return (node: GraphNode): tf.Tensor => {
    const m = matrixInput(node, 0, floatType(node, op), op);
    const n = square(m, op);
    const adjoint = attrBool(node, 'adjoint', false);
    const batch = sizeOf(m.shape.slice(0, -2));
    const out = new Float64Array(m.data.length);
    for (let b = 0; b < batch; b++) {
      const f = luDecompose(slice(m, b, n, n, adjoint), n);
      if (n > 0 && !(minAbsPivot(f.lu, n) > 0)) throw Errors.kernelArgument('Input is not invertible.');
      out.set(luSolve(f, n, identity(n), n), b * n * n);
    }
    return result(out, m.shape, m.f64);
  };
}

function solve(op: string) {
  return (node: GraphNode): tf.Tensor => {
    const f64 = floatType(node, op);
    const a = matrixInput(node, 0, f64, op);
    const rhs = matrixInput(node, 1, f64, op);
    const n = square(a, op);
    const k = rhs.shape[rhs.shape.length - 1]!;
    if (rhs.shape[rhs.shape.length - 2] !== n || a.shape.length !== rhs.shape.length) {
      throw Errors.kernelArgument(`${op}: input matrix and rhs are incompatible: [${a.shape.join(',')}] vs [${rhs.shape.join(',')}]`);
    }
    const adjoint = attrBool(node, 'adjoint', false);
    const batch = sizeOf(a.shape.slice(0, -2));
    const out = new Float64Array(rhs.data.length);
    for (let b = 0; b < batch; b++) {
      const f = luDecompose(slice(a, b, n, n, adjoint), n);
      if (n > 0 && !(minAbsPivot(f.lu, n) > 0)) throw Errors.kernelArgument('Input matrix is not invertible.');
      out.set(luSolve(f, n, slice(rhs, b, n, k), k), b * n * k);
    }
    return result(out, rhs.shape, f64);
  };
}

/** Eigen's LLT on the lower triangle; the upper triangle of the result is zero. */
function choleskyOne(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let x = a[j * n + j]!;
    for (let k = 0; k < j; k++) x -= l[j * n + k]! * l[j * n + k]!;
    if (x <= 0) return undefined;
    const d = Math.sqrt(x);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / d;
    }
  }
  return l;
}

function nanLower(n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = NaN;
  return l;
}

function cholesky(op: string) {
  return (node: GraphNode): tf.Tensor => {
    const m = matrixInput(node, 0, floatType(node, op), op);
    const n = square(m, op);
    const batch = sizeOf(m.shape.slice(0, -2));
    const out = new Float64Array(m.data.length);
    for (let b = 0; b < batch; b++) {
      // TF 2.21 answers a matrix LLT cannot decompose with NaN in its lower triangle.
      out.set(choleskyOne(slice(m, b, n, n), n) ?? nanLower(n), b * n * n);
    }
    return result(out, m.shape, m.f64);
  };
}

/** Forward (lower) or back substitution on one n x n triangle and an n x k right side. */
function triangularOne(t: Float64Array, n: number, rhs: Float64Array, k: number, lower: boolean): Float64Array {
  const x = Float64Array.from(rhs);
  for (let s = 0; s < n; s++) {
    const i = lower ? s : n - 1 - s;
    for (let q = 0; q < s; q++) {
      const c = lower ? q : n - 1 - q;
      const f = t[i * n + c]!;
      for (let j = 0; j < k; j++) x[i * k + j]! -= f * x[c * k + j]!;
    }
    const d = t[i * n + i]!;
    for (let j = 0; j < k; j++) x[i * k + j]! /= d;
  }
  return x;
}

function batchOffsets(outBatch: number[], shape: number[]): (b: number) => number {
  const own = shape.slice(0, -2);
  const pad = outBatch.length - own.length;
  return (b) => {
    let rem = b;
    let off = 0;
    let stride = 1;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      const c = rem % outBatch[d]!;
      rem = Math.floor(rem / outBatch[d]!);
      const dim = d - pad >= 0 ? own[d - pad]! : 1;
      if (dim !== 1) off += c * stride;
      stride *= dim;
    }
    return off;
  };
}

function triangularSolve(op: string) {
  return (node: GraphNode): tf.Tensor => {
    const f64 = floatType(node, op);
    const a = matrixInput(node, 0, f64, op);
    const rhs = matrixInput(node, 1, f64, op);
    const n = square(a, op);
    const k = rhs.shape[rhs.shape.length - 1]!;
    if (rhs.shape[rhs.shape.length - 2] !== n) {
      throw Errors.kernelArgument(`${op}: input matrix and rhs are incompatible: [${a.shape.join(',')}] vs [${rhs.shape.join(',')}]`);
    }
    const adjoint = attrBool(node, 'adjoint', false);
    // With adjoint, the triangle that is used is the other one of the transpose.
    const lower = attrBool(node, 'lower', true) !== adjoint;
    const outBatch = broadcastShape(a.shape.slice(0, -2), rhs.shape.slice(0, -2));
    const aOff = batchOffsets(outBatch, a.shape);
    const rOff = batchOffsets(outBatch, rhs.shape);
    const batch = sizeOf(outBatch);
    const out = new Float64Array(batch * n * k);
    for (let b = 0; b < batch; b++) {
      const t = slice(a, aOff(b), n, n, adjoint);
      out.set(triangularOne(t, n, slice(rhs, rOff(b), n, k), k, lower), b * n * k);
    }
    return result(out, [...outBatch, n, k], f64);
  };
}

const ENTRIES: Array<[string[], (op: string) => (node: GraphNode) => tf.Tensor | tf.Tensor[]]> = [
  [['MatrixDeterminant', 'BatchMatrixDeterminant'], determinant],
  [['LogMatrixDeterminant'], () => logDeterminant],
  [['MatrixInverse', 'BatchMatrixInverse'], inverse],
  [['MatrixSolve', 'BatchMatrixSolve'], solve],
  [['Cholesky', 'BatchCholesky'], cholesky],
  [['MatrixTriangularSolve', 'BatchMatrixTriangularSolve'], triangularSolve],
];

/** Ops computing float64 themselves (the freezer keeps their inputs and outputs wide). */
export const LINALG_EXACT_OPS: ReadonlySet<string> = new Set(ENTRIES.flatMap(([ops]) => ops));

export const LINALG_KERNELS: readonly KernelEntry[] = ENTRIES.flatMap(([ops, make]) => ops.map((op) => ({ op, kernel: make(op) })));
