/**
 * Exact kernels for int64, uint32, uint64 and float64 (`_TfsWide<Op>`): they read the exact
 * values beside their inputs (wide-values.ts), compute as TensorFlow does (integers wrap at
 * their width, float64 in float64) and attach the exact results to their outputs. The
 * freezer routes every op on such a type that has a kernel here (WIDE_OPS) to it, and puts
 * `_TfsWideCheck` in front of other ops that can receive values with an entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { makeWide, narrowChecked, readWide, wideArray, wideKindOf, wrapInt, type WideData, type WideKind } from '../wide-values.js';
import { kernelInput, type KernelEntry } from './types.js';
import { selectCondShape } from './select.js';
import { attrBool, attrText, attrType, broadcastIndex, broadcastShape, numbersOf, sizeOf, stridesOf } from './util.js';

export const WIDE_PREFIX = '_TfsWide';
export const WIDE_CHECK_OP = '_TfsWideCheck';
export const WIDE_CONST_OP = '_TfsWideConst';

type Val = bigint | number;

const kindOf = (node: GraphNode): WideKind => {
  const k = wideKindOf(attrText(node, '_tfs_wide'));
  if (!k) throw Errors.kernelArgument('wide kernel without a wide type');
  return k;
};

/** Exact values of input `i` as bigint (integer kinds) or number (float64). */
const input = (node: GraphNode, i: number, kind: WideKind): WideData => readWide(kernelInput(node, i), kind);

const divByZero = (): Error => Errors.kernelArgument('Integer division by zero');

function floorDivInt(a: bigint, b: bigint): bigint {
  if (b === 0n) throw divByZero();
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function floorModInt(a: bigint, b: bigint): bigint {
  if (b === 0n) throw divByZero();
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

function floorModFloat(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

const maxF = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b);
const minF = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b);

const INT_BINARY: Record<string, (a: bigint, b: bigint) => bigint> = {
  AddV2: (a, b) => a + b,
  BiasAdd: (a, b) => a + b,
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  FloorDiv: floorDivInt,
  FloorMod: floorModInt,
  Div: (a, b) => {
    if (b === 0n) throw divByZero();
    return a / b;
  },
  TruncateDiv: (a, b) => {
    if (b === 0n) throw divByZero();
    return a / b;
  },
  Maximum: (a, b) => (a > b ? a : b),
  Minimum: (a, b) => (a < b ? a : b),
  SquaredDifference: (a, b) => (a - b) * (a - b),
  Pow: (a, b) => {
    if (b < 0n) throw Errors.kernelArgument('Integers to negative integer powers are not allowed');
    return intPow(a, b);
  },
};

/** a ** b wrapped to 64 bits at every step (TF's integer pow wraps; the exact power may be huge). */
function intPow(a: bigint, b: bigint): bigint {
  let r = 1n;
  let base = BigInt.asIntN(64, a);
  let e = b;
  while (e > 0n) {
    if (e & 1n) r = BigInt.asIntN(64, r * base);
    base = BigInt.asIntN(64, base * base);
    e >>= 1n;
  }
  return r;
}

const FLOAT_BINARY: Record<string, (a: number, b: number) => number> = {
  AddV2: (a, b) => a + b,
  BiasAdd: (a, b) => a + b,
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  RealDiv: (a, b) => a / b,
  FloorDiv: (a, b) => Math.floor(a / b),
  FloorMod: floorModFloat,
  Maximum: maxF,
  Minimum: minF,
  SquaredDifference: (a, b) => (a - b) * (a - b),
  Pow: (a, b) => a ** b,
};

const COMPARE: Record<string, (a: Val, b: Val) => boolean> = {
  Equal: (a, b) => a === b,
  NotEqual: (a, b) => a !== b,
  Greater: (a, b) => a > b,
  GreaterEqual: (a, b) => a >= b,
  Less: (a, b) => a < b,
  LessEqual: (a, b) => a <= b,
};

/** Both operands' values and their broadcast index maps. */
function broadcastPair(node: GraphNode, kind: WideKind): { a: WideData; b: WideData; ia: Int32Array; ib: Int32Array; shape: number[] } {
  const ta = kernelInput(node, 0);
  const tb = kernelInput(node, 1);
  const shape = broadcastShape(ta.shape, tb.shape);
  return { a: input(node, 0, kind), b: input(node, 1, kind), ia: broadcastIndex(shape, ta.shape), ib: broadcastIndex(shape, tb.shape), shape };
}

function binary(node: GraphNode, op: string): tf.Tensor {
  const kind = kindOf(node);
  // BiasAdd broadcasts its 1-D bias over the last dim, as AddV2 does, in the default NHWC layout.
  if (op === 'BiasAdd' && attrText(node, 'data_format', 'NHWC') === 'NCHW') throw Errors.kernelUnsupported('BiasAdd', `data_format NCHW on ${kind}`);
  const { a, b, ia, ib, shape } = broadcastPair(node, kind);
  const out = wideArray(kind, ia.length);
  if (kind === 'float64') {
    const f = FLOAT_BINARY[op]!;
    for (let i = 0; i < ia.length; i++) out[i] = f(a[ia[i]!] as number, b[ib[i]!] as number);
  } else {
    const f = INT_BINARY[op]!;
    for (let i = 0; i < ia.length; i++) out[i] = wrapInt(kind, f(a[ia[i]!] as bigint, b[ib[i]!] as bigint));
  }
  return makeWide(kind, out, shape);
}

function compare(node: GraphNode, op: string): tf.Tensor {
  const kind = kindOf(node);
  const { a, b, ia, ib, shape } = broadcastPair(node, kind);
  const f = COMPARE[op]!;
  const out = new Uint8Array(ia.length);
  for (let i = 0; i < ia.length; i++) out[i] = f(a[ia[i]!]!, b[ib[i]!]!) ? 1 : 0;
  return tf.tensor(out, shape, 'bool');
}

const FLOAT_UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Square: (x) => x * x,
  Sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
  Exp: Math.exp,
  Expm1: Math.expm1,
  Log: Math.log,
  Log1p: Math.log1p,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Reciprocal: (x) => 1 / x,
  Inv: (x) => 1 / x,
  Tanh: Math.tanh,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Atan: Math.atan,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Floor: Math.floor,
  Ceil: Math.ceil,
  Relu: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0),
};

const INT_UNARY: Record<string, (x: bigint) => bigint> = {
  Neg: (x) => -x,
  Abs: (x) => (x < 0n ? -x : x),
  Square: (x) => x * x,
  Sign: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
  Relu: (x) => (x > 0n ? x : 0n),
};

function unary(node: GraphNode, op: string): tf.Tensor {
  const kind = kindOf(node);
  const x = input(node, 0, kind);
  const out = wideArray(kind, x.length);
  if (kind === 'float64') {
    const f = FLOAT_UNARY[op]!;
    for (let i = 0; i < x.length; i++) out[i] = f(x[i] as number);
  } else {
    const f = INT_UNARY[op];
    if (!f) throw Errors.kernelUnsupported(op, kind);
    for (let i = 0; i < x.length; i++) out[i] = wrapInt(kind, f(x[i] as bigint));
  }
  return makeWide(kind, out, kernelInput(node, 0).shape);
}

/** Reduction geometry: for each output element, the input flat indices it reduces. */
function reduceGeometry(shape: readonly number[], axesIn: readonly number[], keep: boolean): { outShape: number[]; groups: number[][] } {
  const rank = shape.length;
  const axes = new Set(axesIn.map((a) => (a < 0 ? a + rank : a)));
  for (const a of axes) if (a < 0 || a >= rank) throw Errors.kernelArgument(`Invalid reduction dimension (${a} for input with ${rank} dimension(s)`);
  const kept = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const outShape = keep ? kept : shape.filter((_, i) => !axes.has(i));
  const groups: number[][] = Array.from({ length: sizeOf(kept) }, () => []);
  const is = stridesOf(shape);
  const ks = stridesOf(kept);
  const n = sizeOf(shape);
  for (let f = 0; f < n; f++) {
    let o = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(f / is[d]!) % shape[d]!;
      if (!axes.has(d)) o += c * ks[d]!;
    }
    groups[o]!.push(f);
  }
  return { outShape, groups };
}

function reduce(node: GraphNode, op: string): tf.Tensor {
  const kind = kindOf(node);
  const x = input(node, 0, kind);
  const { outShape, groups } = reduceGeometry(kernelInput(node, 0).shape, numbersOf(kernelInput(node, 1)), attrBool(node, 'keep_dims', false));
  const out = wideArray(kind, groups.length);
  groups.forEach((g, o) => {
    if (kind === 'float64') {
      const v = g.map((i) => x[i] as number);
      if (op === 'Sum' || op === 'Mean') out[o] = v.reduce((s, y) => s + y, 0) / (op === 'Mean' ? v.length : 1);
      else if (op === 'Prod') out[o] = v.reduce((s, y) => s * y, 1);
      else if (op === 'Max') out[o] = v.reduce(maxF, -Infinity);
      else out[o] = v.reduce(minF, Infinity);
    } else {
      const v = g.map((i) => x[i] as bigint);
      if (op === 'Sum') out[o] = wrapInt(kind, v.reduce((s, y) => s + y, 0n));
      else if (op === 'Prod') out[o] = wrapInt(kind, v.reduce((s, y) => s * y, 1n));
      else if (op === 'Mean') out[o] = v.length === 0 ? 0n : wrapInt(kind, v.reduce((s, y) => s + y, 0n)) / BigInt(v.length);
      else if (v.length === 0) out[o] = extreme(kind, op === 'Max');
      else out[o] = v.reduce((s, y) => (op === 'Max' ? (y > s ? y : s) : y < s ? y : s));
    }
  });
  return makeWide(kind, out, outShape);
}

/** The identity of Max (the type's lowest value) or Min (its highest), as TF returns for empty reductions. */
function extreme(kind: WideKind, max: boolean): bigint {
  if (kind === 'int64') return max ? -(2n ** 63n) : 2n ** 63n - 1n;
  return max ? 0n : 2n ** (kind === 'uint32' ? 32n : 64n) - 1n;
}

function argExtreme(node: GraphNode, max: boolean): tf.Tensor {
  const kind = kindOf(node);
  const t = kernelInput(node, 0);
  const x = input(node, 0, kind);
  const axis = numbersOf(kernelInput(node, 1))[0] ?? 0;
  const { outShape, groups } = reduceGeometry(t.shape, [axis], false);
  const out = new Int32Array(groups.length);
  groups.forEach((g, o) => {
    let best = 0;
    for (let j = 1; j < g.length; j++) {
      const v = x[g[j]!]!;
      const b = x[g[best]!]!;
      if (max ? v > b : v < b) best = j;
    }
    out[o] = best;
  });
  const outType = attrType(node, 'output_type', 'DT_INT64');
  return outType === 'DT_INT64' ? makeWide('int64', BigInt64Array.from(out, (v) => BigInt(v)), outShape) : tf.tensor(out, outShape, 'int32');
}

function matMul(node: GraphNode): tf.Tensor {
  const kind = kindOf(node);
  const ta = kernelInput(node, 0);
  const tb = kernelInput(node, 1);
  const a = input(node, 0, kind);
  const b = input(node, 1, kind);
  const trA = attrBool(node, 'transpose_a', false);
  const trB = attrBool(node, 'transpose_b', false);
  if (ta.rank !== 2 || tb.rank !== 2) throw Errors.kernelArgument('In[0] and In[1] must be matrices');
  const [ar, ac] = ta.shape as [number, number];
  const [br, bc] = tb.shape as [number, number];
  const m = trA ? ac : ar;
  const k = trA ? ar : ac;
  const n = trB ? br : bc;
  if ((trB ? bc : br) !== k) throw Errors.kernelArgument(`Matrix size-incompatible: In[0]: [${ar},${ac}], In[1]: [${br},${bc}]`);
  const at = (i: number, p: number): Val => a[trA ? p * ac + i : i * ac + p]!;
  const bt = (p: number, j: number): Val => b[trB ? j * bc + p : p * bc + j]!;
  const out = wideArray(kind, m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (kind === 'float64') {
        let s = 0;
        for (let p = 0; p < k; p++) s += (at(i, p) as number) * (bt(p, j) as number);
        out[i * n + j] = s;
      } else {
        let s = 0n;
        for (let p = 0; p < k; p++) s += (at(i, p) as bigint) * (bt(p, j) as bigint);
        out[i * n + j] = wrapInt(kind, s);
      }
    }
  }
  return makeWide(kind, out, [m, n]);
}

/** SelectV2 (numpy broadcasting of all three) and Select (TF's scalar / row / elementwise layouts, select.ts). */
function select(node: GraphNode, v2: boolean): tf.Tensor {
  const kind = kindOf(node);
  const tc = kernelInput(node, 0);
  const tt = kernelInput(node, 1);
  const te = kernelInput(node, 2);
  const cShape = v2 ? tc.shape : selectCondShape(tc.shape, tt.shape, te.shape);
  const c = tc.dataSync() as ArrayLike<number>;
  const a = input(node, 1, kind);
  const b = input(node, 2, kind);
  const shape = broadcastShape(broadcastShape(cShape, tt.shape), te.shape);
  const ic = broadcastIndex(shape, cShape);
  const ia = broadcastIndex(shape, tt.shape);
  const ib = broadcastIndex(shape, te.shape);
  const out = wideArray(kind, ia.length);
  for (let i = 0; i < ia.length; i++) out[i] = c[ic[i]!] ? a[ia[i]!]! : b[ib[i]!]!;
  return makeWide(kind, out, shape);
}

/** Cumsum / Cumprod along an axis (exclusive / reverse as TF), wrapping integers. */
function cumulative(node: GraphNode, prod: boolean): tf.Tensor {
  const kind = kindOf(node);
  const t = kernelInput(node, 0);
  const x = input(node, 0, kind);
  const rank = t.rank;
  let axis = numbersOf(kernelInput(node, 1))[0] ?? 0;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) throw Errors.kernelArgument(`axis must be in range [-${rank}, ${rank})`);
  const exclusive = attrBool(node, 'exclusive', false);
  const reverse = attrBool(node, 'reverse', false);
  const len = t.shape[axis]!;
  const stride = stridesOf(t.shape)[axis]!;
  const out = wideArray(kind, x.length);
  for (let base = 0; base < x.length; base++) {
    if (Math.floor(base / stride) % len !== 0) continue; // one pass per line along the axis
    let acc: Val = kind === 'float64' ? (prod ? 1 : 0) : prod ? 1n : 0n;
    for (let j = 0; j < len; j++) {
      const i = base + (reverse ? len - 1 - j : j) * stride;
      const v = x[i]!;
      const next =
        kind === 'float64'
          ? prod ? (acc as number) * (v as number) : (acc as number) + (v as number)
          : wrapInt(kind, prod ? (acc as bigint) * (v as bigint) : (acc as bigint) + (v as bigint));
      out[i] = exclusive ? acc : next;
      acc = next;
    }
  }
  return makeWide(kind, out, t.shape);
}

/** (Unsorted)SegmentSum: ids index the leading dims of the data (negative ids dropped, as TF). */
function segmentSum(node: GraphNode, sorted: boolean): tf.Tensor {
  const kind = kindOf(node);
  const t = kernelInput(node, 0);
  const x = input(node, 0, kind);
  const ids = numbersOf(kernelInput(node, 1));
  const idRank = kernelInput(node, 1).rank;
  const num = sorted ? (ids.length === 0 ? 0 : ids[ids.length - 1]! + 1) : (numbersOf(kernelInput(node, 2))[0] ?? 0);
  const inner = sizeOf(t.shape.slice(idRank));
  const out = wideArray(kind, num * inner);
  ids.forEach((id, k) => {
    if (id < 0) return;
    if (id >= num) throw Errors.kernelArgument(`segment_ids[${k}] = ${id} is out of range [0, ${num})`);
    for (let j = 0; j < inner; j++) {
      const o = id * inner + j;
      if (kind === 'float64') out[o] = (out[o] as number) + (x[k * inner + j] as number);
      else out[o] = wrapInt(kind, (out[o] as bigint) + (x[k * inner + j] as bigint));
    }
  });
  return makeWide(kind, out, [num, ...t.shape.slice(idRank)]);
}

function addN(node: GraphNode): tf.Tensor {
  const kind = kindOf(node);
  const xs = node.inputs.map((_, i) => input(node, i, kind));
  const out = wideArray(kind, xs[0]?.length ?? 0);
  for (let i = 0; i < out.length; i++) {
    if (kind === 'float64') out[i] = xs.reduce((s, x) => s + (x[i] as number), 0);
    else out[i] = wrapInt(kind, xs.reduce((s, x) => s + (x[i] as bigint), 0n));
  }
  return makeWide(kind, out, kernelInput(node, 0).shape);
}

/**
 * Moving ops on wide values run on element indices: `_TfsWideIota` gives data input k's
 * flat indices (after those of inputs 0..k-1), the op itself (tfjs's) moves them, and
 * `_TfsWideTake` picks the exact values by the moved indices.
 */
function iota(node: GraphNode): tf.Tensor {
  const k = Number(attrText(node, '_tfs_wide_index', '0'));
  let offset = 0;
  for (let i = 0; i < k; i++) offset += kernelInput(node, i).size;
  const t = kernelInput(node, k);
  return tf.tensor(Int32Array.from({ length: t.size }, (_, i) => offset + i), t.shape, 'int32');
}

function take(node: GraphNode): tf.Tensor {
  const kind = kindOf(node);
  const idx = kernelInput(node, 0);
  const parts = node.inputs.slice(1).map((_, j) => input(node, j + 1, kind));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const flat = wideArray(kind, total);
  let at = 0;
  for (const p of parts) {
    (flat as { set(a: ArrayLike<unknown>, o: number): void }).set(p, at);
    at += p.length;
  }
  const ix = idx.dataSync() as Int32Array;
  const out = wideArray(kind, ix.length);
  for (let i = 0; i < ix.length; i++) out[i] = flat[ix[i]!]!;
  return makeWide(kind, out, idx.shape);
}

/**
 * float64 `Softmax` / `LogSoftmax` over the last dim, as TF's Eigen kernel (softmax_op_functor.h):
 * shift by the row's max, exp, sum; softmax multiplies by the sum's reciprocal, log-softmax
 * subtracts the sum's log.
 */
function softmax(node: GraphNode, log: boolean): tf.Tensor {
  const kind = kindOf(node);
  if (kind !== 'float64') throw Errors.kernelUnsupported(log ? 'LogSoftmax' : 'Softmax', kind);
  const t = kernelInput(node, 0);
  if (t.rank < 1) throw Errors.kernelArgument(`logits must have >= 1 dimension, got [${t.shape.join(',')}]`);
  const x = input(node, 0, kind) as Float64Array;
  const n = t.shape[t.rank - 1]!;
  const out = new Float64Array(x.length);
  for (let r = 0; n > 0 && r < x.length / n; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    // As the float32 Softmax (backend.ts): rows with NaN or +Inf are refused, not guessed.
    if (row.some((v) => Number.isNaN(v) || v === Infinity)) {
      throw Errors.kernelUnsupported(log ? 'LogSoftmax' : 'Softmax', 'a row of logits holding NaN or +Inf (TF itself answers it differently with and without oneDNN)');
    }
    const max = row.reduce((m, v) => (v > m ? v : m), -Infinity);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(row[i]! - max);
    const [scale, logSum] = [1 / sum, Math.log(sum)];
    for (let i = 0; i < n; i++) out[r * n + i] = log ? row[i]! - max - logSum : Math.exp(row[i]! - max) * scale;
  }
  return makeWide(kind, out, t.shape);
}

export const WIDE_IOTA_OP = `${WIDE_PREFIX}Iota`;
export const WIDE_TAKE_OP = `${WIDE_PREFIX}Take`;

/** Ops that only move elements, by their data inputs (the others are shapes, axes, indices). */
export const WIDE_MOVE_DATA: Readonly<Record<string, (inputs: number) => number[]>> = {
  Reshape: () => [0],
  ExpandDims: () => [0],
  Squeeze: () => [0],
  Transpose: () => [0],
  Slice: () => [0],
  StridedSlice: () => [0],
  GatherV2: () => [0],
  Gather: () => [0],
  GatherNd: () => [0],
  Tile: () => [0],
  ReverseV2: () => [0],
  Reverse: () => [0],
  BroadcastTo: () => [0],
  Fill: () => [1],
  Pack: (n) => Array.from({ length: n }, (_, i) => i),
  ConcatV2: (n) => Array.from({ length: n - 1 }, (_, i) => i),
  Concat: (n) => Array.from({ length: n - 1 }, (_, i) => i + 1),
};

export const WIDE_BINARY_OPS = [...new Set([...Object.keys(INT_BINARY), ...Object.keys(FLOAT_BINARY)])];
export const WIDE_COMPARE_OPS = Object.keys(COMPARE);
export const WIDE_UNARY_OPS = Object.keys(FLOAT_UNARY);
export const WIDE_REDUCE_OPS = ['Sum', 'Prod', 'Max', 'Min', 'Mean'];

/** Ops whose integer form has no kernel here (float64 only). */
export const FLOAT64_ONLY_OPS: ReadonlySet<string> = new Set([
  ...Object.keys(FLOAT_BINARY).filter((o) => !(o in INT_BINARY)),
  ...Object.keys(FLOAT_UNARY).filter((o) => !(o in INT_UNARY)),
  'Softmax',
  'LogSoftmax',
]);

const entries = (ops: readonly string[], k: (node: GraphNode, op: string) => tf.Tensor): KernelEntry[] =>
  ops.map((op) => ({ op: WIDE_PREFIX + op, kernel: (node: GraphNode) => k(node, op) }));

export const WIDE_MATH_KERNELS: readonly KernelEntry[] = [
  ...entries(WIDE_BINARY_OPS, binary),
  ...entries(WIDE_COMPARE_OPS, compare),
  ...entries(WIDE_UNARY_OPS, unary),
  ...entries(WIDE_REDUCE_OPS, reduce),
  { op: `${WIDE_PREFIX}ArgMax`, kernel: (node) => argExtreme(node, true) },
  { op: `${WIDE_PREFIX}ArgMin`, kernel: (node) => argExtreme(node, false) },
  { op: `${WIDE_PREFIX}MatMul`, kernel: matMul },
  { op: `${WIDE_PREFIX}Softmax`, kernel: (node) => softmax(node, false) },
  { op: `${WIDE_PREFIX}LogSoftmax`, kernel: (node) => softmax(node, true) },
  { op: `${WIDE_PREFIX}SelectV2`, kernel: (node) => select(node, true) },
  { op: `${WIDE_PREFIX}Select`, kernel: (node) => select(node, false) },
  { op: `${WIDE_PREFIX}Cumsum`, kernel: (node) => cumulative(node, false) },
  { op: `${WIDE_PREFIX}Cumprod`, kernel: (node) => cumulative(node, true) },
  { op: `${WIDE_PREFIX}AddN`, kernel: addN },
  { op: `${WIDE_PREFIX}UnsortedSegmentSum`, kernel: (node) => segmentSum(node, false) },
  { op: `${WIDE_PREFIX}SegmentSum`, kernel: (node) => segmentSum(node, true) },
  { op: WIDE_IOTA_OP, kernel: iota },
  { op: WIDE_TAKE_OP, kernel: take },
  { op: WIDE_CHECK_OP, kernel: (node) => narrowChecked(kernelInput(node, 0), attrText(node, '_tfs_what', 'input')) },
];

/** Sources from which a Cast to an integer wide type gives values the stand-in holds exactly. */
const CAST_EXACT_FROM: Record<WideKind, ReadonlySet<string>> = {
  int64: new Set(['DT_INT32', 'DT_INT16', 'DT_INT8', 'DT_UINT8', 'DT_UINT16', 'DT_BOOL']),
  uint64: new Set(['DT_UINT8', 'DT_UINT16', 'DT_BOOL']),
  uint32: new Set(['DT_UINT8', 'DT_UINT16', 'DT_BOOL']),
  float64: new Set(['DT_FLOAT', 'DT_HALF', 'DT_BFLOAT16', 'DT_BOOL', 'DT_INT8', 'DT_UINT8', 'DT_INT16', 'DT_UINT16']),
};

const ROUTED = new Set([...WIDE_BINARY_OPS, ...WIDE_COMPARE_OPS, ...WIDE_UNARY_OPS, ...WIDE_REDUCE_OPS, 'ArgMax', 'ArgMin', 'MatMul', 'SelectV2', 'Select', 'Cumsum', 'Cumprod', 'AddN', 'UnsortedSegmentSum', 'SegmentSum', 'Softmax', 'LogSoftmax']);

/**
 * The wide kernel a TF node runs as, with the wide type it computes in, or undefined when the
 * node has none (it then reads stand-ins, behind `_TfsWideCheck`). `typeOf(attr)`: the
 * node's dtype attr (`DT_*`, '' when absent).
 */
export function wideRoute(op: string, typeOf: (attr: string) => string): { op: string; kind: string } | undefined {
  if (op === 'Cast') {
    const src = typeOf('SrcT');
    const dst = typeOf('DstT');
    const sk = wideKindOf(src);
    const dk = wideKindOf(dst);
    if (sk || (dk && !CAST_EXACT_FROM[dk].has(src))) return { op: `${WIDE_PREFIX}Cast`, kind: src };
    return undefined;
  }
  // AsString: exact ids formatted (wide-as-string.ts)
  if (!ROUTED.has(op) && op !== 'AsString') return undefined;
  const t = typeOf('T');
  const kind = wideKindOf(t);
  if (!kind || (kind !== 'float64' && FLOAT64_ONLY_OPS.has(op))) return undefined;
  return { op: WIDE_PREFIX + op, kind: t };
}
