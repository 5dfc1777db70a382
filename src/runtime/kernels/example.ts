/**
 * tf.Example parsing kernels: `ParseExample` and `ParseExampleV2` (dense, sparse and ragged
 * features, defaults, TF's parser error texts) over example-parser.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import {
  denseColumn,
  parseBatch,
  varLenDenseColumn,
  varLenColumn,
  type DenseColumn,
  type DenseSpec,
  type FeatureDtype,
} from '../example-parser.js';
import { makeWide } from '../wide-values.js';
import { kernelInput, type KernelEntry } from './types.js';

export const stringBytes = (t: tf.Tensor): Uint8Array[] => tf.engine().readSync(t.dataId) as Uint8Array[];

export const featureDtype = (tfjsDtype: unknown): FeatureDtype =>
  tfjsDtype === 'float32' ? 'float' : tfjsDtype === 'string' ? 'string' : 'int64';

export function defaultsOf(t: tf.Tensor, dtype: FeatureDtype): DenseSpec['defaults'] {
  if (t.size === 0) return undefined;
  if (dtype === 'string') return stringBytes(t);
  return Array.from(t.dataSync() as ArrayLike<number>);
}

export function keysOf(t: tf.Tensor): string[] {
  return stringBytes(t).map((b) => new TextDecoder().decode(b));
}

export function columnTensor(values: DenseColumn, shape: number[], dtype: FeatureDtype, _what: string): tf.Tensor {
  if (dtype === 'string') return tf.tensor(values as Uint8Array[], shape, 'string');
  if (dtype === 'float') return tf.tensor(Float32Array.from(values as number[]), shape, 'float32');
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint;
    // Past int32: the exact values ride beside the stand-in (wide-values.ts); the freezer
    // checks every consumer of a parser's outputs that reads the stand-in (freeze/basic.ts).
    if (v < -2147483648 || v > 2147483647) return makeWide('int64', BigInt64Array.from(values as (number | bigint)[], (x) => BigInt(x)), shape);
    out[i] = Number(v);
  }
  return tf.tensor(out, shape, 'int32');
}

/** A VarLen feature's rows as a SparseTensor: [indices, values, dense shape] ([batch, longest row], or [longest] for one example). */
export function sparseTensors(rows: readonly DenseColumn[], dtype: FeatureDtype, scalar: boolean, what: string): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const idx: number[] = [];
  const vals: (number | bigint | Uint8Array)[] = [];
  let maxLen = 0;
  rows.forEach((r, i) => {
    maxLen = Math.max(maxLen, r.length);
    for (let k = 0; k < r.length; k++) {
      if (scalar) idx.push(k);
      else idx.push(i, k);
      vals.push(r[k]!);
    }
  });
  return [
    tf.tensor(Int32Array.from(idx), [vals.length, scalar ? 1 : 2], 'int32'),
    columnTensor(vals as DenseColumn, [vals.length], dtype, what),
    tf.tensor(Int32Array.from(scalar ? [maxLen] : [rows.length, maxLen]), [scalar ? 1 : 2], 'int32'),
  ];
}

interface ParseSpec {
  serialized: tf.Tensor;
  names: tf.Tensor | undefined;
  sparseKeys: string[];
  sparseTypes: FeatureDtype[];
  denseKeys: string[];
  denseTypes: FeatureDtype[];
  denseShapes: (number[] | undefined)[];
  denseDefaults: tf.Tensor[];
  raggedKeys: string[];
  raggedTypes: FeatureDtype[];
  raggedSplitInt64: boolean;
}

function runParse(p: ParseSpec): tf.Tensor[] {
  const serialized = stringBytes(p.serialized);
  const batchShape = p.serialized.shape;
  if (batchShape.length > 1) {
    throw Errors.parseExampleSerializedShape(batchShape);
  }
  const scalar = batchShape.length === 0;
  const names = p.names && p.names.size > 0 ? keysOf(p.names) : undefined;
  const examples = parseBatch(serialized);
  const n = examples.length;
  const outSparseIdx: tf.Tensor[] = [];
  const outSparseVal: tf.Tensor[] = [];
  const outSparseShape: tf.Tensor[] = [];
  p.sparseKeys.forEach((key, j) => {
    const dtype = p.sparseTypes[j] ?? 'float';
    const [idx, vals, shape] = sparseTensors(varLenColumn(examples, key, dtype, names), dtype, scalar, `sparse feature ${key}`);
    outSparseIdx.push(idx);
    outSparseVal.push(vals);
    outSparseShape.push(shape);
  });
  const outDense = p.denseKeys.map((key, j) => {
    const dtype = p.denseTypes[j] ?? 'float';
    const shape = p.denseShapes[j];
    // A leading -1 is a FixedLenSequenceFeature (padded rows); unknown dims elsewhere are refused.
    if (!shape || shape.slice(1).some((d) => d < 0)) {
      throw Errors.varLenDenseFeature(key);
    }
    const def = p.denseDefaults[j];
    const spec: DenseSpec = { key, dtype, shape, defaults: def ? defaultsOf(def, dtype) : undefined };
    if (shape[0] === -1) {
      const { values, rows } = varLenDenseColumn(examples, spec, names);
      const rest = shape.slice(1);
      return columnTensor(values, scalar ? [rows, ...rest] : [n, rows, ...rest], dtype, `dense feature ${key}`);
    }
    const col = denseColumn(examples, spec, names);
    return columnTensor(col, scalar ? [...shape] : [n, ...shape], dtype, `dense feature ${key}`);
  });
  const outRaggedVal: tf.Tensor[] = [];
  const outRaggedSplits: tf.Tensor[] = [];
  p.raggedKeys.forEach((key, j) => {
    const dtype = p.raggedTypes[j] ?? 'float';
    const rows = varLenColumn(examples, key, dtype, names);
    const vals: (number | bigint | Uint8Array)[] = [];
    const splits = [0];
    for (const r of rows) {
      for (const v of r) vals.push(v);
      splits.push(vals.length);
    }
    outRaggedVal.push(columnTensor(vals as DenseColumn, [vals.length], dtype, `ragged feature ${key}`));
    if (!scalar) outRaggedSplits.push(tf.tensor(Int32Array.from(splits), [splits.length], 'int32'));
  });
  return [...outSparseIdx, ...outSparseVal, ...outSparseShape, ...outDense, ...outRaggedVal, ...outRaggedSplits];
}

export const dtypeList = (v: unknown): FeatureDtype[] => ((v as unknown[] | undefined) ?? []).map(featureDtype);

function parseExampleV1(node: GraphNode): tf.Tensor[] {
  const nSparse = Number(node.attrs['Nsparse'] ?? 0);
  const nDense = Number(node.attrs['Ndense'] ?? 0);
  const ins = node.inputs;
  const sparseKeys = ins.slice(2, 2 + nSparse).map((t) => keysOf(t)[0] ?? '');
  const denseKeys = ins.slice(2 + nSparse, 2 + nSparse + nDense).map((t) => keysOf(t)[0] ?? '');
  return runParse({
    serialized: kernelInput(node, 0),
    names: ins[1],
    sparseKeys,
    sparseTypes: dtypeList(node.attrs['sparse_types']),
    denseKeys,
    denseTypes: dtypeList(node.attrs['Tdense']),
    denseShapes: (node.attrs['dense_shapes'] as (number[] | undefined)[] | undefined) ?? [],
    denseDefaults: ins.slice(2 + nSparse + nDense, 2 + nSparse + 2 * nDense),
    raggedKeys: [],
    raggedTypes: [],
    raggedSplitInt64: false,
  });
}

function parseExampleV2(node: GraphNode): tf.Tensor[] {
  const ins = node.inputs;
  const denseTypes = dtypeList(node.attrs['Tdense']);
  return runParse({
    serialized: kernelInput(node, 0),
    names: ins[1],
    sparseKeys: keysOf(kernelInput(node, 2)),
    sparseTypes: dtypeList(node.attrs['sparse_types']),
    denseKeys: keysOf(kernelInput(node, 3)),
    denseTypes,
    denseShapes: (node.attrs['dense_shapes'] as (number[] | undefined)[] | undefined) ?? [],
    denseDefaults: ins.slice(5, 5 + denseTypes.length),
    raggedKeys: keysOf(kernelInput(node, 4)),
    raggedTypes: dtypeList(node.attrs['ragged_value_types']),
    raggedSplitInt64: true,
  });
}

export const EXAMPLE_KERNELS: readonly KernelEntry[] = [
  { op: 'ParseExample', kernel: (node) => parseExampleV1(node) },
  { op: 'ParseExampleV2', kernel: (node) => parseExampleV2(node) },
];
