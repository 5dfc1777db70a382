/**
 * `_TfsStridedSlice`: StridedSlice whose new_axis_mask is set, as TF's ValidateStridedSliceOp
 * reads the sparse spec (strided_slice_op.cc). tfjs mishandles a new axis next to shrunk or
 * reversed axes: `x[:, tf.newaxis, 2, ::-2]` read the wrong elements (a WRONG answer), and
 * `x[1, ::-1, tf.newaxis]` or `x[-1, tf.newaxis, ::-1, 1:4:2]` returned tensors with fewer values
 * than their shape (probe12). Slices without a new axis stay on tfjs's kernel.
 *
 * The sparse spec (one entry per begin element; ellipsis, new axis and shrink bits) expands to
 * one dense entry per input dim; each dense dim's begin/end are canonicalised (negative indices,
 * masks, clamping, a shrunk index must be in range), then the kept elements are gathered in
 * row-major order and reshaped to the final shape (new axes as 1, shrunk dims dropped).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInt, numbersOf } from './util.js';

export const STRIDED_SLICE_OP = '_TfsStridedSlice';

const NEW_AXIS = -1;
const SHRINK = -2;

export interface Masks {
  begin: number;
  end: number;
  ellipsis: number;
  newAxis: number;
  shrink: number;
}

interface DenseDim {
  begin: number;
  end: number;
  stride: number;
  beginMasked: boolean;
  endMasked: boolean;
  shrink: boolean;
}

const bit = (mask: number, i: number): boolean => ((mask >>> i) & 1) === 1;

/** TF's BuildDenseSpec: one entry per input dim, and the final shape's source per output dim. */
function denseSpec(rank: number, begin: number[], end: number[], strides: number[], m: Masks): { dims: DenseDim[]; gather: number[] } {
  let sparseDims = begin.length;
  let ellipsis = m.ellipsis;
  let seen = false;
  let addAfterEllipsis = 0;
  for (let i = 0; i < sparseDims; i++) {
    if (seen && bit(m.newAxis, i)) addAfterEllipsis++;
    if (bit(ellipsis, i)) seen = true;
  }
  if (!seen) ellipsis |= 1 << sparseDims++; // an implicit ellipsis at the end
  const dims: DenseDim[] = [];
  const gather: number[] = [];
  for (let i = 0; i < sparseDims; i++) {
    if (bit(ellipsis, i)) {
      const next = Math.min(rank - (sparseDims - i) + 1 + addAfterEllipsis, rank);
      while (dims.length < next) {
        gather.push(dims.length);
        dims.push({ begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true, shrink: false });
      }
    } else if (bit(m.newAxis, i)) {
      gather.push(NEW_AXIS);
    } else {
      if (dims.length === rank) throw Errors.kernelArgument(`Index out of range using input dim ${dims.length}; input has only ${rank} dims`);
      const shrink = bit(m.shrink, i);
      gather.push(shrink ? SHRINK : dims.length);
      dims.push({ begin: begin[i]!, end: end[i]!, stride: strides[i]!, beginMasked: bit(m.begin, i), endMasked: bit(m.end, i), shrink });
    }
  }
  return { dims, gather };
}

/** One dense dim's first index, stride and count (TF's canonicalisation). */
function dimRange(d: DenseDim, size: number): [number, number, number] {
  const s = d.stride;
  if (s === 0) throw Errors.kernelArgument('strides[i] must be non-zero');
  if (d.shrink) {
    const i = d.begin < 0 ? size + d.begin : d.begin;
    if (i < 0 || i >= size) throw Errors.kernelArgument(`slice index ${d.begin} of dimension of size ${size} out of bounds.`);
    return [i, 1, 1];
  }
  const lo = s > 0 ? 0 : -1;
  const hi = s > 0 ? size : size - 1;
  const canon = (x: number, masked: boolean, isEnd: boolean): number => {
    if (masked) return (s > 0) !== isEnd ? lo : hi;
    const fwd = x < 0 ? size + x : x;
    return Math.min(Math.max(fwd, lo), hi);
  };
  const b = canon(d.begin, d.beginMasked, false);
  const e = canon(d.end, d.endMasked, true);
  const len = e - b;
  const count = len === 0 || len < 0 !== s < 0 ? 0 : Math.ceil(len / s);
  return [b, s, count];
}

/** The five mask attrs of a StridedSlice / StridedSliceGrad node. */
export function masksOf(node: GraphNode): Masks {
  return {
    begin: attrInt(node, 'begin_mask', 0), end: attrInt(node, 'end_mask', 0), ellipsis: attrInt(node, 'ellipsis_mask', 0),
    newAxis: attrInt(node, 'new_axis_mask', 0), shrink: attrInt(node, 'shrink_axis_mask', 0),
  };
}

/** x[begin:end:strides] with TF's mask semantics, any dtype. */
export function tfStridedSlice(x: tf.Tensor, begin: number[], end: number[], strides: number[], masks: Masks): tf.Tensor {
  const { dims, gather } = denseSpec(x.rank, begin, end, strides, masks);
  const ranges = dims.map((d, i) => dimRange(d, x.shape[i]!));
  const finalShape = gather.filter((g) => g !== SHRINK).map((g) => (g === NEW_AXIS ? 1 : ranges[g]![2]));
  const total = ranges.reduce((p, r) => p * r[2], 1);
  const src = x.dataSync() as ArrayLike<unknown>;
  const out: unknown[] = new Array(total);
  const stridesIn = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((p, v) => p * v, 1));
  const pos = new Array<number>(ranges.length).fill(0);
  for (let k = 0; k < total; k++) {
    let at = 0;
    for (let i = 0; i < ranges.length; i++) at += (ranges[i]![0] + pos[i]! * ranges[i]![1]) * stridesIn[i]!;
    out[k] = src[at];
    for (let i = ranges.length - 1; i >= 0 && ++pos[i]! === ranges[i]![2]; i--) pos[i] = 0;
  }
  return tf.tensor(out as never, finalShape, x.dtype);
}

function stridedSlice(node: GraphNode): tf.Tensor {
  const [begin, end, strides] = [1, 2, 3].map((i) => numbersOf(kernelInput(node, i)));
  return tfStridedSlice(kernelInput(node, 0), begin!, end!, strides!, masksOf(node));
}

export const STRIDED_SLICE_KERNELS: readonly KernelEntry[] = [{ op: STRIDED_SLICE_OP, kernel: stridedSlice }];
