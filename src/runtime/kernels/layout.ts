/**
 * Layout ops computed in plain JS on any dtype (bool and string included), where tfjs's own
 * kernel is wrong or crashes (fixtures/zoo/FINDINGS.md W2-W4, P1-P3, R3):
 *
 * - `MatrixBandPart`: tfjs-converter reads `num_upper` from input 1 (it is input 2), and wasm
 *   corrupts its heap on bool;
 * - `Reverse` / `ReverseV2` of bool or string: wasm returns garbage on bool, tfjs refuses strings;
 * - `Tile` of bool or string: wasm aborts on strings;
 * - `GatherV2` with `batch_dims` != 0: wasm reads out of bounds;
 * - `Select` / `SelectV2` of strings: tfjs's where refuses them; of bools: tfjs-backend-wasm's where
 *   picks bool operands wrongly (FINDINGS.md, "Legacy Select").
 *
 * The freezer renames these nodes to the `_Tfs*` names below (`layoutReplacement` in control-names.ts), since
 * tfjs-converter would otherwise run its own mapping. They only move elements, so computing
 * them on the flat values is exact for every dtype.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { LAYOUT_OPS } from './control-names.js';
import { broadcastIndex, broadcastShape } from './util.js';
import { selectCondShape } from './select.js';


/** A tensor's values as a flat array (bytes for strings), and how to build one back. */
type Flat = ArrayLike<unknown> & { length: number };

function flatOf(t: tf.Tensor): Flat {
  return t.dtype === 'string' ? (tf.engine().readSync(t.dataId) as Uint8Array[]) : t.dataSync();
}

function build(values: Flat, size: number, shape: number[], like: tf.Tensor, pick: (i: number) => number): tf.Tensor {
  if (like.dtype === 'string') {
    const out = new Array<Uint8Array>(size);
    for (let i = 0; i < size; i++) out[i] = (pick(i) < 0 ? new Uint8Array(0) : values[pick(i)]) as Uint8Array;
    return tf.tensor(out, shape, 'string');
  }
  const src = values as unknown as tf.TypedArray;
  const out = new (src.constructor as new (n: number) => tf.TypedArray)(size);
  for (let i = 0; i < size; i++) {
    const j = pick(i);
    out[i] = j < 0 ? 0 : (src[j] as number);
  }
  return tf.tensor(out, shape, like.dtype);
}

const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
};

const ints = (t: tf.Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);

/** TF's MatrixBandPart (matrix_band_part_op.cc): zero outside the band, -1 = keep all. */
function bandPart(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const lower = ints(kernelInput(node, 1))[0]!;
  const upper = ints(kernelInput(node, 2))[0]!;
  if (x.rank < 2) throw Errors.bandPartRank(`[${x.shape.join(',')}]`);
  const m = x.shape[x.rank - 2]!;
  const n = x.shape[x.rank - 1]!;
  if (lower > m) throw Errors.bandPartLimit('num_lower', 'rows', m, lower);
  if (upper > n) throw Errors.bandPartLimit('num_upper', 'columns', n, upper);
  const values = flatOf(x);
  return build(values, x.size, x.shape, x, (i) => {
    const col = i % n;
    const row = Math.floor(i / n) % m;
    const keep = (lower < 0 || row - col <= lower) && (upper < 0 || col - row <= upper);
    return keep ? i : -1;
  });
}

/** Reverse `x` along `axes` (already normalised, each in [0, rank)). */
function reverseAxes(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const st = strides(x.shape);
  const flip = new Set(axes);
  const values = flatOf(x);
  return build(values, x.size, x.shape, x, (i) => {
    let j = 0;
    let rest = i;
    for (let d = 0; d < x.rank; d++) {
      const c = Math.floor(rest / st[d]!);
      rest -= c * st[d]!;
      j += (flip.has(d) ? x.shape[d]! - 1 - c : c) * st[d]!;
    }
    return j;
  });
}

function normAxis(axis: number, rank: number, what: string): number {
  if (axis < -rank || axis >= rank) throw Errors.axisOutOfRange(what, axis, rank);
  return axis < 0 ? axis + rank : axis;
}

/** ReverseV2(tensor, axis): axes as int indices. */
function reverseV2(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  return reverseAxes(x, ints(kernelInput(node, 1)).map((a) => normAxis(a, x.rank, 'axis')));
}

/** Reverse(tensor, dims): one bool per dimension. */
function reverseV1(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const dims = ints(kernelInput(node, 1));
  if (dims.length !== x.rank) throw Errors.reverseDimsLength(x.rank, dims.length);
  return reverseAxes(x, dims.flatMap((b, d) => (b ? [d] : [])));
}

/** Tile(input, multiples). */
function tile(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const reps = ints(kernelInput(node, 1));
  if (reps.length !== x.rank) throw Errors.tileMultiplesLength(x.rank, reps.length);
  const shape = x.shape.map((s, d) => s * reps[d]!);
  const size = shape.reduce((a, b) => a * b, 1);
  const outSt = strides(shape);
  const inSt = strides(x.shape);
  const values = flatOf(x);
  return build(values, size, shape, x, (i) => {
    let j = 0;
    let rest = i;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(rest / outSt[d]!);
      rest -= c * outSt[d]!;
      j += (c % x.shape[d]!) * inSt[d]!;
    }
    return j;
  });
}

/** GatherV2(params, indices, axis) with batch_dims (TF's gather_op.cc shapes). */
function gatherBatched(node: GraphNode): tf.Tensor {
  const params = kernelInput(node, 0);
  const indices = kernelInput(node, 1);
  let batchDims = Number(node.attrs['batch_dims'] ?? 0);
  if (batchDims < 0) batchDims += indices.rank;
  const axis = normAxis(ints(kernelInput(node, 2))[0]!, params.rank, 'axis');
  if (batchDims < 0 || batchDims > indices.rank || batchDims > axis) throw Errors.gatherBatchDims(batchDims, axis, indices.rank);
  for (let d = 0; d < batchDims; d++) {
    if (params.shape[d] !== indices.shape[d]) throw Errors.gatherBatchShape(d, params.shape[d]!, indices.shape[d]!);
  }
  const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  const batch = prod(params.shape.slice(0, batchDims));
  const outer = prod(params.shape.slice(batchDims, axis));
  const limit = params.shape[axis]!;
  const inner = prod(params.shape.slice(axis + 1));
  const nIdx = prod(indices.shape.slice(batchDims));
  const idx = ints(indices);
  idx.forEach((v, k) => {
    if (v < 0 || v >= limit) throw Errors.gatherIndexOutOfRange(coords(k, indices.shape), v, limit);
  });
  const shape = [...params.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...params.shape.slice(axis + 1)];
  const values = flatOf(params);
  return build(values, batch * outer * nIdx * inner, shape, params, (i) => {
    const e = i % inner;
    const k = Math.floor(i / inner) % nIdx;
    const o = Math.floor(i / (inner * nIdx)) % outer;
    const b = Math.floor(i / (inner * nIdx * outer));
    return ((b * outer + o) * limit + idx[b * nIdx + k]!) * inner + e;
  });
}

/** A flat index as TF prints a position (`0,1`). */
function coords(flat: number, shape: readonly number[]): string {
  const st = strides(shape);
  return shape.map((_, d) => Math.floor(flat / st[d]!) % shape[d]!).join(',');
}

/** TF's SelectV2 (numpy broadcasting of all three) or Select (`v1`), on strings and bools. */
function select(node: GraphNode, v1: boolean): tf.Tensor {
  const [c, t, e] = [0, 1, 2].map((i) => kernelInput(node, i)) as [tf.Tensor, tf.Tensor, tf.Tensor];
  // Select: TF's scalar / row / elementwise layouts (select.ts); SelectV2: numpy broadcasting.
  const cShape = v1 ? selectCondShape(c.shape, t.shape, e.shape) : c.shape;
  const out = broadcastShape(broadcastShape(cShape, t.shape), e.shape);
  const [ci, ti, ei] = [cShape, t.shape, e.shape].map((s) => broadcastIndex(out, s)) as [Int32Array, Int32Array, Int32Array];
  const cond = c.dataSync();
  const [tv, ev] = [flatOf(t), flatOf(e)];
  const pick = (i: number): unknown => (cond[ci[i]!] ? tv[ti[i]!] : ev[ei[i]!]);
  if (t.dtype === 'string') return tf.tensor(Array.from({ length: ci.length }, (_, i) => pick(i) as Uint8Array), out, 'string');
  const values = new ((tv as tf.TypedArray).constructor as new (n: number) => tf.TypedArray)(ci.length);
  for (let i = 0; i < ci.length; i++) values[i] = pick(i) as number;
  return tf.tensor(values, out, t.dtype);
}

export const LAYOUT_KERNELS: readonly KernelEntry[] = [
  { op: LAYOUT_OPS.bandPart, kernel: (node) => bandPart(node) },
  { op: LAYOUT_OPS.reverse, kernel: (node) => reverseV1(node) },
  { op: LAYOUT_OPS.reverseV2, kernel: (node) => reverseV2(node) },
  { op: LAYOUT_OPS.tile, kernel: (node) => tile(node) },
  { op: LAYOUT_OPS.gather, kernel: (node) => gatherBatched(node) },
  { op: LAYOUT_OPS.select, kernel: (node) => select(node, true) },
  { op: LAYOUT_OPS.selectV2, kernel: (node) => select(node, false) },
];
