/**
 * Ragged kernels (TensorFlow's ragged_*_op.cc): RaggedTensorToTensor, RaggedGather,
 * RaggedRange, RaggedBincount. Row partitions are computed in JS numbers; splits and
 * row ids are int64 in TF, int32 in tfs (checked).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrInt, attrTexts, attrType, bytesOf, intTensor, numbersOf, sizeOf } from './util.js';

type Values = number[] | Uint8Array[];

const elementsOf = (t: tf.Tensor): Values => (t.dtype === 'string' ? bytesOf(t) : numbersOf(t));

function tensorOf(vals: Values, shape: number[], dtype: tf.DataType): tf.Tensor {
  return dtype === 'string' ? tf.tensor(vals as Uint8Array[], shape, 'string') : tf.tensor(vals as number[], shape, dtype);
}

/** One level of row partition: each child's row and its position in that row. */
interface Level {
  readonly rowOf: number[];
  readonly posOf: number[];
  readonly width: number;
}

function levelFromRowIds(rowids: number[], nrows: number): Level {
  const posOf: number[] = [];
  let width = 0;
  let prev = -1;
  let pos = 0;
  for (const r of rowids) {
    if (r < prev || r < 0 || r >= nrows) throw Errors.kernelArgument(`Invalid value_rowids: ${r} (nrows ${nrows})`);
    pos = r === prev ? pos + 1 : 0;
    prev = r;
    posOf.push(pos);
    width = Math.max(width, pos + 1);
  }
  return { rowOf: rowids, posOf, width };
}

function levelFromSplits(splits: number[]): Level {
  const rowids: number[] = [];
  for (let r = 0; r + 1 < splits.length; r++) {
    if (splits[r + 1]! < splits[r]!) throw Errors.kernelArgument('Invalid row_splits: not sorted');
    for (let j = splits[r]!; j < splits[r + 1]!; j++) rowids.push(r);
  }
  return levelFromRowIds(rowids, Math.max(0, splits.length - 1));
}

/** The outer row count and the partition levels, outermost first. */
function partitions(node: GraphNode, parts: tf.Tensor[]): { nrows: number; levels: Level[] } {
  const types = attrTexts(node, 'row_partition_types');
  let k = 0;
  let nrows: number;
  if (types[0] === 'FIRST_DIM_SIZE') {
    nrows = numbersOf(parts[0]!)[0]!;
    k = 1;
  } else nrows = Math.max(0, parts[0]!.size - 1);
  const levels: Level[] = [];
  let count = nrows;
  for (; k < parts.length; k++) {
    const vals = numbersOf(parts[k]!);
    if (types[k] === 'ROW_SPLITS') levels.push(levelFromSplits(vals));
    else if (types[k] === 'VALUE_ROWIDS') levels.push(levelFromRowIds(vals, count));
    else throw Errors.kernelUnsupported('RaggedTensorToTensor', `row partition type ${types[k]}`);
    count = levels[levels.length - 1]!.rowOf.length;
  }
  return { nrows, levels };
}

/** The output shape: computed dims where `shape` says -1 (or has unknown rank). */
function targetShape(shapeT: tf.Tensor, computed: number[]): number[] {
  const given = shapeT.rank === 0 ? [] : numbersOf(shapeT);
  if (given.length === 0) return computed;
  if (given.length !== computed.length) {
    throw Errors.kernelArgument(`shape must have rank ${computed.length}, got [${given.join(',')}]`);
  }
  return given.map((d, i) => (d < 0 ? computed[i]! : d));
}

function raggedToTensor(node: GraphNode): tf.Tensor {
  const values = kernelInput(node, 1);
  const def = kernelInput(node, 2);
  const { nrows, levels } = partitions(node, node.inputs.slice(3));
  const inner = values.shape.slice(1);
  const shape = targetShape(kernelInput(node, 0), [nrows, ...levels.map((l) => l.width), ...inner]);
  const ragged = levels.length + 1;
  if (shape.slice(ragged).some((d, i) => d !== inner[i])) {
    throw Errors.kernelUnsupported('RaggedTensorToTensor', `an output shape [${shape.join(',')}] whose inner dimensions differ from the values' [${inner.join(',')}]`);
  }
  const innerSize = sizeOf(inner);
  const defs = elementsOf(def);
  if (defs.length !== 1 && defs.length !== innerSize) throw Errors.kernelArgument('default_value must be a scalar or have the shape of one value row');
  const total = sizeOf(shape);
  const out: (number | Uint8Array)[] = Array.from({ length: total }, (_, f) => defs[defs.length === 1 ? 0 : f % innerSize]!);
  const vals = elementsOf(values);
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  for (let v = 0; v < values.shape[0]!; v++) {
    let flat = 0;
    let child = v;
    let inside = true;
    for (let l = levels.length - 1; l >= 0 && inside; l--) {
      const pos = levels[l]!.posOf[child]!;
      if (pos >= shape[l + 1]!) inside = false;
      flat += pos * strides[l + 1]!;
      child = levels[l]!.rowOf[child]!;
    }
    if (!inside || child >= shape[0]!) continue;
    flat += child * strides[0]!;
    for (let e = 0; e < innerSize; e++) out[flat + e] = vals[v * innerSize + e]!;
  }
  return tensorOf(out as Values, shape, values.dtype);
}

function raggedGather(node: GraphNode): tf.Tensor[] {
  const rank = attrInt(node, 'PARAMS_RAGGED_RANK', node.inputs.length - 2);
  const splits = node.inputs.slice(0, rank).map(numbersOf);
  const params = kernelInput(node, rank);
  const indicesT = kernelInput(node, rank + 1);
  const indices = numbersOf(indicesT);
  const nrows = splits[0]!.length - 1;
  const outSplits: number[][] = [];
  // Outer uniform dimensions of a multi-dimensional `indices` become uniform row splits.
  for (let d = 0; d + 1 < indicesT.rank; d++) {
    const rows = sizeOf(indicesT.shape.slice(0, d + 1));
    const w = indicesT.shape[d + 1]!;
    outSplits.push(Array.from({ length: rows + 1 }, (_, i) => i * w));
  }
  const levelSplits: number[][] = splits.map(() => [0]);
  const valueRows: number[] = [];
  indices.forEach((ix, k) => {
    if (ix < 0 || ix >= nrows) throw Errors.kernelArgument(`indices[${k}] = ${ix} is not in [0, ${nrows})`);
    let lo = ix;
    let hi = ix + 1;
    splits.forEach((s, l) => {
      const out = levelSplits[l]!;
      for (let r = lo; r < hi; r++) out.push(out[out.length - 1]! + s[r + 1]! - s[r]!);
      [lo, hi] = [s[lo]!, s[hi]!];
    });
    for (let r = lo; r < hi; r++) valueRows.push(r);
  });
  const inner = sizeOf(params.shape.slice(1));
  const pv = elementsOf(params);
  const picked = valueRows.flatMap((r) => pv.slice(r * inner, (r + 1) * inner) as (number | Uint8Array)[]);
  const gathered = tensorOf(picked as Values, [valueRows.length, ...params.shape.slice(1)], params.dtype);
  return [...[...outSplits, ...levelSplits].map((s) => intTensor(s, [s.length], 'RaggedGather splits')), gathered];
}

function rangeValues(start: number, limit: number, delta: number, isFloat: boolean): number[] {
  if (delta === 0) throw Errors.kernelArgument('Requires delta != 0');
  let size: number;
  if ((delta > 0 && limit < start) || (delta < 0 && limit > start)) size = 0;
  else if (isFloat) size = Math.ceil(Math.abs(Math.fround(Math.fround(limit - start) / delta)));
  else size = Math.ceil(Math.abs(limit - start) / Math.abs(delta));
  const out: number[] = [];
  // TF accumulates `value += delta` in T (float32 here).
  let v = start;
  for (let i = 0; i < size; i++) {
    out.push(v);
    v = isFloat ? Math.fround(v + delta) : v + delta;
  }
  return out;
}

function raggedRange(node: GraphNode): tf.Tensor[] {
  const ins = [0, 1, 2].map((i) => kernelInput(node, i));
  const n = Math.max(...ins.map((t) => (t.rank === 0 ? 1 : t.shape[0]!)));
  const rank1 = ins.some((t) => t.rank === 1);
  for (const t of ins) if (t.rank > 1 || (t.rank === 1 && t.shape[0] !== n)) throw Errors.kernelArgument('starts, limits, and deltas must have the same shape');
  const [s, l, d] = ins.map(numbersOf) as [number[], number[], number[]];
  const at = (a: number[], t: tf.Tensor, i: number): number => a[t.rank === 0 ? 0 : i]!;
  const isFloat = ins[0]!.dtype === 'float32';
  const splits = [0];
  const vals: number[] = [];
  for (let i = 0; i < (rank1 ? n : 1); i++) {
    vals.push(...rangeValues(at(s, ins[0]!, i), at(l, ins[1]!, i), at(d, ins[2]!, i), isFloat));
    splits.push(vals.length);
  }
  const dense = isFloat ? tf.tensor(vals, [vals.length], 'float32') : intTensor(vals, [vals.length], 'RaggedRange values', attrType(node, 'T'));
  return [intTensor(splits, [splits.length], 'RaggedRange splits'), dense];
}

function raggedBincount(node: GraphNode): tf.Tensor {
  const splits = numbersOf(kernelInput(node, 0));
  const values = numbersOf(kernelInput(node, 1));
  const size = numbersOf(kernelInput(node, 2))[0]!;
  const weightsT = kernelInput(node, 3);
  const weights = weightsT.size > 0 ? numbersOf(weightsT) : undefined;
  const binary = attrBool(node, 'binary_output', false);
  if (size < 0) throw Errors.kernelArgument(`size (${size}) must be non-negative`);
  const nrows = Math.max(0, splits.length - 1);
  const out = new Float64Array(nrows * size);
  for (let r = 0; r < nrows; r++) {
    for (let j = splits[r]!; j < splits[r + 1]!; j++) {
      const v = values[j]!;
      if (v < 0) throw Errors.kernelArgument('Input must be non-negative');
      if (v >= size) continue;
      const at = r * size + v;
      out[at] = binary ? 1 : weights ? Math.fround(out[at]! + weights[j]!) : out[at]! + 1;
    }
  }
  const t = attrType(node, 'T', 'DT_FLOAT');
  if (t === 'DT_FLOAT' || t === 'DT_DOUBLE') return tf.tensor(Float32Array.from(out), [nrows, size], 'float32');
  return intTensor(out, [nrows, size], 'RaggedBincount', t);
}

export const RAGGED_KERNELS: readonly KernelEntry[] = [
  { op: 'RaggedTensorToTensor', kernel: raggedToTensor },
  { op: 'RaggedGather', kernel: raggedGather },
  { op: 'RaggedRange', kernel: raggedRange },
  { op: 'RaggedBincount', kernel: raggedBincount },
];
