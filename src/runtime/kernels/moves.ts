/**
 * Moving and counting ops tfjs lacks: Roll, ReverseSequence, DynamicPartition,
 * UniqueWithCounts, HistogramFixedWidth, Bitcast (between types of one width). The moving ones compute element indices in JS and
 * gather, so any dtype moves exactly; checked against TF 2.21 in test/runtime/kernels/moves.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../tensor/tensor.js';
import { attrType, intTensor, numbersOf, rawAttr, sizeOf, stridesOf } from './util.js';

/** Rows `rows` of `x` along axis 0 (strings too, which tfjs's gather op refuses). */
function pick(x: tf.Tensor, rows: readonly number[]): tf.Tensor {
  if (x.dtype !== 'string') return tf.tidy(() => tf.gather(x, tf.tensor1d(Array.from(rows), 'int32')));
  const bytes = tf.engine().readSync(x.dataId) as Uint8Array[];
  const inner = sizeOf(x.shape.slice(1));
  const out = rows.flatMap((r) => bytes.slice(r * inner, (r + 1) * inner));
  return tf.tensor(out, [rows.length, ...x.shape.slice(1)], 'string');
}

/** `x` with element k of the result taken from flat element `src[k]`. */
function take(x: tf.Tensor, src: ArrayLike<number>, shape: readonly number[]): tf.Tensor {
  return tf.tidy(() => tf.reshape(pick(tf.reshape(x, [-1]), Array.from(src)), [...shape]));
}

/** Visit every multi-index of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    fn(idx, k);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function roll(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const shifts = numbersOf(kernelInput(node, 1));
  const axes = numbersOf(kernelInput(node, 2));
  if (shifts.length !== axes.length) throw Errors.kernelArgument('shift and axis must have the same size');
  const shift = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    const ax = a < 0 ? a + x.rank : a;
    if (ax < 0 || ax >= x.rank) throw Errors.kernelArgument(`axis ${a} is out of range`);
    shift[ax] = shift[ax]! + shifts[i]!;
  });
  const strides = stridesOf(x.shape);
  const src = new Int32Array(x.size);
  forEachIndex(x.shape, (idx, k) => {
    let s = 0;
    for (let d = 0; d < x.rank; d++) {
      const n = x.shape[d]!;
      s += ((((idx[d]! - shift[d]!) % n) + n) % n) * strides[d]!;
    }
    src[k] = s;
  });
  return take(x, src, x.shape);
}

function reverseSequence(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const lens = numbersOf(kernelInput(node, 1));
  const seqAxis = Number(rawAttr(node, 'seq_dim')?.i ?? 0);
  const batchAxis = Number(rawAttr(node, 'batch_dim')?.i ?? 0);
  lens.forEach((l, i) => {
    if (l < 0 || l > x.shape[seqAxis]!) throw Errors.kernelArgument(`seq_lens(${i}) > input.dims(${seqAxis})`);
  });
  const strides = stridesOf(x.shape);
  const src = new Int32Array(x.size);
  forEachIndex(x.shape, (idx, k) => {
    const len = lens[idx[batchAxis]!]!;
    const j = idx[seqAxis]!;
    src[k] = k + (j < len ? len - 1 - 2 * j : 0) * strides[seqAxis]!;
  });
  return take(x, src, x.shape);
}

function dynamicPartition(node: GraphNode): tf.Tensor[] {
  const data = kernelInput(node, 0);
  const partsT = kernelInput(node, 1);
  const parts = numbersOf(partsT);
  const n = Number(rawAttr(node, 'num_partitions')?.i ?? 1);
  const inner = data.shape.slice(partsT.rank);
  const rows: number[][] = Array.from({ length: n }, () => []);
  parts.forEach((p, k) => {
    if (p < 0 || p >= n) throw Errors.kernelArgument(`partitions[${k}] = ${p} is not in [0, ${n})`);
    rows[p]!.push(k);
  });
  return tf.tidy(() => {
    const flat = tf.reshape(data, [parts.length, ...inner]);
    return rows.map((r) => pick(flat, r));
  });
}

function uniqueWithCounts(node: GraphNode): tf.Tensor[] {
  const x = kernelInput(node, 0);
  if (x.rank !== 1) throw Errors.kernelArgument('unique expects a 1D vector.');
  const keys: unknown[] =
    x.dtype === 'string'
      ? (tf.engine().readSync(x.dataId) as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1'))
      : numbersOf(x);
  if (keys.some((k) => typeof k === 'number' && Number.isNaN(k))) throw Errors.kernelUnsupported('UniqueWithCounts', 'NaN keys');
  const first = new Map<unknown, number>();
  const firstAt: number[] = [];
  const counts: number[] = [];
  const idx = keys.map((k, i) => {
    let u = first.get(k);
    if (u === undefined) {
      u = firstAt.length;
      first.set(k, u);
      firstAt.push(i);
      counts.push(0);
    }
    counts[u]!++;
    return u;
  });
  const y = pick(x, firstAt);
  return [y, intTensor(idx, [idx.length], 'UniqueWithCounts idx'), intTensor(counts, [counts.length], 'UniqueWithCounts count')];
}

/** TF's histogram_op.cc: bin = floor((v - lo) / ((hi - lo) / nbins)) in double, clamped to the bins. */
function histogramFixedWidth(node: GraphNode): tf.Tensor {
  const values = numbersOf(kernelInput(node, 0));
  const [lo, hi] = numbersOf(kernelInput(node, 1)) as [number, number];
  const nbins = numbersOf(kernelInput(node, 2))[0]!;
  if (nbins <= 0) throw Errors.kernelArgument(`nbins should be a positive number, but got '${nbins}'`);
  if (!(lo < hi)) throw Errors.kernelArgument(`value_range should satisfy value_range[0] < value_range[1], but got '[${lo}, ${hi}]'`);
  if (values.some(Number.isNaN)) throw Errors.kernelUnsupported('HistogramFixedWidth', 'NaN values');
  const step = (hi - lo) / nbins;
  const out = new Array<number>(nbins).fill(0);
  for (const v of values) out[Math.trunc(Math.max(0, Math.min(nbins - 1, (v - lo) / step)))]!++;
  return intTensor(out, [nbins], 'HistogramFixedWidth');
}

/** Bit patterns of the types Bitcast handles, from and to the stand-in's value (same width per group). */
const BITS: Readonly<Record<string, { width: number; to: (v: number) => number; from: (b: number) => number; float?: boolean }>> = {
  DT_INT8: { width: 1, to: (v) => v & 0xff, from: (b) => (b << 24) >> 24 },
  DT_UINT8: { width: 1, to: (v) => v & 0xff, from: (b) => b },
  DT_INT16: { width: 2, to: (v) => v & 0xffff, from: (b) => (b << 16) >> 16 },
  DT_UINT16: { width: 2, to: (v) => v & 0xffff, from: (b) => b },
  DT_HALF: { width: 2, to: floatToHalf, from: halfToFloat, float: true },
  DT_BFLOAT16: { width: 2, to: floatToBfloat16, from: bfloat16ToFloat, float: true },
  DT_INT32: { width: 4, to: (v) => v | 0, from: (b) => b | 0 },
  DT_FLOAT: { width: 4, to: (v) => new Int32Array(Float32Array.of(v).buffer)[0]!, from: (b) => new Float32Array(Int32Array.of(b).buffer)[0]!, float: true },
};

/** tf.bitcast between types of the same width (the shape stays); other pairs fail the call. */
function bitcast(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const src = attrType(node, 'T');
  const dst = attrType(node, 'type');
  const a = BITS[src];
  const b = BITS[dst];
  if (!a || !b || a.width !== b.width) throw Errors.kernelUnsupported('Bitcast', `a bitcast from ${src} to ${dst}`);
  const v = numbersOf(x);
  // A NaN's payload is not kept by the float32 stand-in.
  if (a.float && !b.float && v.some(Number.isNaN)) throw Errors.kernelUnsupported('Bitcast', 'the bits of a NaN');
  const out = v.map((e) => b.from(a.to(e)));
  return b.float ? tf.tensor(Float32Array.from(out), x.shape, 'float32') : tf.tensor(Int32Array.from(out), x.shape, 'int32');
}

export const MOVE_KERNELS: readonly KernelEntry[] = [
  { op: 'Roll', kernel: roll },
  { op: 'ReverseSequence', kernel: reverseSequence },
  { op: 'DynamicPartition', kernel: dynamicPartition },
  { op: 'UniqueWithCounts', kernel: uniqueWithCounts },
  { op: 'HistogramFixedWidth', kernel: histogramFixedWidth },
  { op: 'Bitcast', kernel: bitcast },
];
