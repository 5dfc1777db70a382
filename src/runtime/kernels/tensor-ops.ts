/**
 * Tensor and bitwise kernels: TensorScatterAdd/Sub/Max/Min, MatrixDiagV3, MatrixDiagPartV3,
 * CumulativeLogsumexp, RightShift, LeftShift, BitwiseXor, Invert. Integer results wrap
 * at the real TF type's width (int8 shifts wrap at 8 bits), read from the freezer's
 * exact dtype attr; types tfs stores ambiguously (uint32, int64, uint64) are refused.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrText, attrType, broadcastIndex, broadcastShape, numbersOf, rawAttr, sizeOf, stridesOf } from './util.js';

const WIDTH: Record<string, [bits: number, signed: boolean]> = {
  DT_INT8: [8, true],
  DT_INT16: [16, true],
  DT_INT32: [32, true],
  DT_UINT8: [8, false],
  DT_UINT16: [16, false],
};

function wrap(v: number, [bits, signed]: [number, boolean]): number {
  if (bits === 32) return v | 0;
  const m = 2 ** bits;
  const u = ((v % m) + m) % m;
  return signed && u >= m / 2 ? u - m : u;
}

function bitwise(node: GraphNode, op: string, f: (a: number, b: number, bits: number, signed: boolean) => number): tf.Tensor {
  const t = attrType(node, 'T', 'DT_INT32');
  const w = WIDTH[t];
  if (!w) throw Errors.kernelUnsupported(op, `type ${t}`);
  const a = kernelInput(node, 0);
  const b = node.inputs.length > 1 ? kernelInput(node, 1) : a;
  const shape = broadcastShape(a.shape, b.shape);
  const ai = broadcastIndex(shape, a.shape);
  const bi = broadcastIndex(shape, b.shape);
  const av = numbersOf(a);
  const bv = numbersOf(b);
  const out = Int32Array.from(ai, (x, i) => wrap(f(av[x]!, bv[bi[i]!]!, w[0], w[1]), w));
  return tf.tensor(out, shape, 'int32');
}

/** TF clamps the shift amount to [0, bits - 1]. */
const clampShift = (y: number, bits: number): number => Math.min(Math.max(y, 0), bits - 1);

type ScatterMode = 'add' | 'update' | 'sub' | 'max' | 'min';

/** One element of a tensor_scatter_nd_* op, as TF's functors combine them (max/min: std::max/min, NaN updates lose). */
function scatterOne(mode: ScatterMode, a: number, u: number): number {
  switch (mode) {
    case 'add':
      return a + u;
    case 'sub':
      return a - u;
    case 'max':
      return a < u ? u : a;
    case 'min':
      return u < a ? u : a;
    default:
      return u;
  }
}

function tensorScatter(node: GraphNode, mode: ScatterMode): tf.Tensor {
  const t = kernelInput(node, 0);
  const idxT = kernelInput(node, 1);
  const upd = kernelInput(node, 2);
  const depth = idxT.shape[idxT.rank - 1] ?? 0;
  const n = sizeOf(idxT.shape.slice(0, -1));
  const slice = sizeOf(t.shape.slice(depth));
  const strides = stridesOf(t.shape);
  const idx = numbersOf(idxT);
  const out = numbersOf(t);
  const u = numbersOf(upd);
  const isFloat = t.dtype === 'float32';
  // int8/uint8/int16/uint16 are carried as int32: wrap each result to the real type, as TF computes in it.
  const w = isFloat ? undefined : WIDTH[attrType(node, 'T', 'DT_INT32')];
  if (!isFloat && !w) throw Errors.kernelUnsupported('TensorScatter', `type ${attrType(node, 'T')}`);
  for (let k = 0; k < n; k++) {
    let base = 0;
    for (let d = 0; d < depth; d++) {
      const c = idx[k * depth + d]!;
      if (c < 0 || c >= t.shape[d]!) {
        throw Errors.kernelArgument(`indices[${k}] = [${idx.slice(k * depth, (k + 1) * depth).join(', ')}] does not index into shape [${t.shape.join(',')}]`);
      }
      base += c * strides[d]!;
    }
    for (let e = 0; e < slice; e++) {
      const s = scatterOne(mode, out[base + e]!, u[k * slice + e]!);
      out[base + e] = isFloat ? Math.fround(s) : wrap(s, w!);
    }
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw Errors.kernelUnsupported('TensorScatter', `type ${t.dtype}`);
  return tf.tensor(out, t.shape, t.dtype);
}

interface Diags {
  readonly lo: number;
  readonly hi: number;
  readonly superRight: boolean;
  readonly subRight: boolean;
}

function diagsOf(node: GraphNode, kT: tf.Tensor): Diags {
  const k = numbersOf(kT);
  const lo = k[0] ?? 0;
  const hi = k.length > 1 ? k[1]! : lo;
  if (lo > hi) throw Errors.kernelArgument(`lower_diag_index must not be larger than upper_diag_index: ${lo} > ${hi}`);
  const align = attrText(node, 'align', 'RIGHT_LEFT');
  const [sup, sub] = align.split('_');
  return { lo, hi, superRight: sup === 'RIGHT', subRight: sub === 'RIGHT' };
}

/** Where element j of diagonal d starts, given the alignment (TF's offset rule). */
function diagOffset(g: Diags, d: number, rows: number, cols: number, maxLen: number): number {
  const len = Math.min(rows + Math.min(0, d), cols - Math.max(0, d));
  const right = d >= 0 ? g.superRight : g.subRight;
  return right ? maxLen - len : 0;
}

function matrixDiag(node: GraphNode): tf.Tensor {
  const diag = kernelInput(node, 0);
  const g = diagsOf(node, kernelInput(node, 1));
  let rows = numbersOf(kernelInput(node, 2))[0]!;
  let cols = numbersOf(kernelInput(node, 3))[0]!;
  const pad = numbersOf(kernelInput(node, 4))[0]!;
  const single = g.lo === g.hi;
  const maxLen = diag.shape[diag.rank - 1]!;
  const batchShape = diag.shape.slice(0, single ? -1 : -2);
  const minRows = maxLen - Math.min(g.hi, 0);
  const minCols = maxLen + Math.max(g.lo, 0);
  if (rows < 0 && cols < 0) rows = cols = Math.max(minRows, minCols);
  else if (rows < 0) rows = minRows;
  else if (cols < 0) cols = minCols;
  const nd = g.hi - g.lo + 1;
  const batch = sizeOf(batchShape);
  const dv = numbersOf(diag);
  const out = new Array<number>(batch * rows * cols).fill(pad);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < rows; m++) {
      for (let n = 0; n < cols; n++) {
        const d = n - m;
        if (d < g.lo || d > g.hi) continue;
        const di = g.hi - d;
        const j = n - Math.max(d, 0) + diagOffset(g, d, rows, cols, maxLen);
        if (j < 0 || j >= maxLen) continue;
        out[(b * rows + m) * cols + n] = dv[(b * nd + (single ? 0 : di)) * maxLen + j]!;
      }
    }
  }
  return tf.tensor(out, [...batchShape, rows, cols], diag.dtype);
}

function matrixDiagPart(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const g = diagsOf(node, kernelInput(node, 1));
  const pad = numbersOf(kernelInput(node, 2))[0]!;
  const [rows, cols] = [x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];
  const batchShape = x.shape.slice(0, -2);
  const maxLen = Math.max(...Array.from({ length: g.hi - g.lo + 1 }, (_, i) => Math.min(rows + Math.min(0, g.hi - i), cols - Math.max(0, g.hi - i))));
  const nd = g.hi - g.lo + 1;
  const xv = numbersOf(x);
  const out: number[] = [];
  for (let b = 0; b < sizeOf(batchShape); b++) {
    for (let di = 0; di < nd; di++) {
      const d = g.hi - di;
      const off = diagOffset(g, d, rows, cols, maxLen);
      for (let j = 0; j < maxLen; j++) {
        const m = j - off + Math.max(-d, 0);
        const n = j - off + Math.max(d, 0);
        out.push(m >= 0 && m < rows && n >= 0 && n < cols ? xv[(b * rows + m) * cols + n]! : pad);
      }
    }
  }
  const shape = g.lo === g.hi ? [...batchShape, maxLen] : [...batchShape, nd, maxLen];
  return tf.tensor(out, shape, x.dtype);
}

function cumulativeLogsumexp(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const rank = x.rank;
  let axis = numbersOf(kernelInput(node, 1))[0]!;
  if (axis < 0) axis += rank;
  const exclusive = attrBool(node, 'exclusive', false);
  const reverse = attrBool(node, 'reverse', false);
  const len = x.shape[axis]!;
  const stride = stridesOf(x.shape)[axis]!;
  const xv = numbersOf(x);
  const out = new Float64Array(xv.length);
  const outer = sizeOf(x.shape.slice(0, axis));
  const lse = (a: number, b: number): number => {
    if (a === -Infinity) return b;
    if (b === -Infinity) return a;
    const m = Math.max(a, b);
    return m + Math.log1p(Math.exp(Math.min(a, b) - m));
  };
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < stride; s++) {
      let acc = -Infinity;
      for (let k = 0; k < len; k++) {
        const i = o * len * stride + (reverse ? len - 1 - k : k) * stride + s;
        if (exclusive) {
          out[i] = acc;
          acc = lse(acc, xv[i]!);
        } else {
          acc = lse(acc, xv[i]!);
          out[i] = acc;
        }
      }
    }
  }
  return tf.tensor(Float32Array.from(out), x.shape, 'float32');
}

const shapeText = (dims: readonly number[]): string => `[${dims.map((d) => (d < 0 ? '?' : String(d))).join(',')}]`;

/**
 * `EnsureShape`: the input unchanged when its shape is compatible with the `shape` attr (-1:
 * any size), else TF's error. (tfjs-converter reads the shape as a second input, which TF's
 * op does not have, and fails with a TypeError; the freezer renames the op to this one.)
 */
function ensureShape(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const want = rawAttr(node, 'shape')?.shape;
  if (want && !want.unknownRank) {
    const dims = want.dim.map((d) => Number(d.size));
    if (dims.length !== x.rank || dims.some((d, i) => d >= 0 && d !== x.shape[i])) {
      const name = ((node as unknown as { inputNames?: string[] }).inputNames?.[0] ?? 'input').replace(/:0$/, '');
      throw Errors.kernelArgument(`Shape of tensor ${name} ${shapeText(x.shape)} is not compatible with expected shape ${shapeText(dims)}.`);
    }
  }
  return tf.clone(x);
}

export const TENSOR_KERNELS: readonly KernelEntry[] = [
  { op: '_TfsEnsureShape', kernel: ensureShape },
  { op: 'TensorScatterAdd', kernel: (node) => tensorScatter(node, 'add') },
  { op: 'TensorScatterSub', kernel: (node) => tensorScatter(node, 'sub') },
  { op: 'TensorScatterMax', kernel: (node) => tensorScatter(node, 'max') },
  { op: 'TensorScatterMin', kernel: (node) => tensorScatter(node, 'min') },
  // tfjs's own TensorScatterUpdate writes into its input's buffer, so another op reading
  // the same tensor saw the updates; freeze.ts renames the op to this copy-on-write kernel.
  { op: '_TfsTensorScatterUpdate', kernel: (node) => tensorScatter(node, 'update') },
  { op: 'MatrixDiagV3', kernel: matrixDiag },
  { op: 'MatrixDiagPartV3', kernel: matrixDiagPart },
  { op: 'CumulativeLogsumexp', kernel: cumulativeLogsumexp },
  { op: 'LeftShift', kernel: (node) => bitwise(node, 'LeftShift', (a, b, bits) => a * 2 ** clampShift(b, bits)) },
  {
    op: 'RightShift',
    // Signed types shift arithmetically, unsigned ones logically (values are stored non-negative).
    kernel: (node) => bitwise(node, 'RightShift', (a, b, bits) => Math.floor(a / 2 ** clampShift(b, bits))),
  },
  { op: 'BitwiseXor', kernel: (node) => bitwise(node, 'BitwiseXor', (a, b) => a ^ b) },
  { op: 'BitwiseOr', kernel: (node) => bitwise(node, 'BitwiseOr', (a, b) => a | b) },
  // tfjs-converter's BitwiseAnd reads an input name its op list does not define (null).
  { op: '_TfsBitwiseAnd', kernel: (node) => bitwise(node, 'BitwiseAnd', (a, b) => a & b) },
  { op: 'Invert', kernel: (node) => bitwise(node, 'Invert', (a) => ~a) },
];
