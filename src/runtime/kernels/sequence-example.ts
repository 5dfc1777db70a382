/**
 * `ParseSequenceExampleV2` (tf.io.parse_sequence_example / parse_single_sequence_example): a
 * batch (or one) serialized tf.SequenceExample into context features and feature lists, as
 * TF's kernel answers (example_proto_fast_parsing.cc; checked against TF 2.21 in
 * test/runtime/kernels/sequence-example.test.ts):
 * - context dense and sparse features as ParseExample's (defaults, TF's errors);
 * - dense feature lists (FixedLenSequenceFeature): [batch, longest list, ...shape], padded
 *   with 0 (or ""), plus each example's length; a list missing from an example is an error
 *   unless `feature_list_dense_missing_assumed_empty` is true for it (allow_missing), then empty.
 * Context ragged features and sparse or ragged feature lists are refused per request
 * (UNIMPLEMENTED), naming the feature.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { denseColumn, exampleName, kindName, parseSequenceExample, varLenColumn, type DenseColumn, type FeatureDtype, type SequenceExample } from '../example-parser.js';
import { columnTensor, defaultsOf, dtypeList, keysOf, sparseTensors, stringBytes } from './example.js';
import { kernelInput, type KernelEntry } from './types.js';

/** One dense feature list over the batch: padded values and lengths. */
function denseList(seqs: readonly SequenceExample[], key: string, dtype: FeatureDtype, shape: readonly number[], optional: boolean, names: readonly string[] | undefined): { values: DenseColumn; steps: number; lengths: number[] } {
  const stride = shape.reduce((a, b) => a * b, 1);
  const lists = seqs.map((sq, i) => {
    const steps = sq.lists.get(key);
    if (!steps) {
      if (optional) return [] as (number | bigint | Uint8Array)[];
      throw Errors.kernelArgument(`Name: ${exampleName(names, i)}, Feature list '${key}' is required but could not be found.  Did you mean to include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?`);
    }
    const flat: (number | bigint | Uint8Array)[] = [];
    for (const f of steps) {
      const kind = kindName(f.kind);
      if (f.kind !== 'none' && kind !== dtype) throw Errors.exampleDtypeMismatch(exampleName(names, i), key, i, kind, dtype);
      if (f.kind !== 'none') for (const v of f.values) flat.push(v);
    }
    if (stride === 0 ? flat.length > 0 : flat.length % stride !== 0) {
      throw Errors.kernelArgument(`Feature list '${key}' has an unexpected number of values.  Total values size: ${flat.length} is not consistent with output shape: [?,${shape.join(',')}]`);
    }
    return flat;
  });
  const lengths = lists.map((l) => (stride === 0 ? 0 : l.length / stride));
  const steps = Math.max(0, ...lengths);
  const pad = dtype === 'string' ? new Uint8Array(0) : 0;
  const values: (number | bigint | Uint8Array)[] = [];
  for (const l of lists) {
    for (const v of l) values.push(v);
    for (let k = l.length; k < steps * stride; k++) values.push(pad);
  }
  return { values: values as DenseColumn, steps, lengths };
}

function refuseUnsupported(node: GraphNode): void {
  const what: [number, string][] = [
    [4, 'context ragged features'],
    [5, 'sparse feature lists (VarLenFeature in sequence_features)'],
    [7, 'ragged feature lists'],
  ];
  for (const [i, text] of what) {
    const keys = keysOf(kernelInput(node, i));
    if (keys.length > 0) throw Errors.kernelUnsupported('ParseSequenceExampleV2', `${text} (${keys.join(', ')})`);
  }
}

/** Context sparse features as ParseExample's: [indices, values, shapes] per key. */
function contextSparse(seqs: readonly SequenceExample[], keys: readonly string[], types: readonly FeatureDtype[], scalar: boolean, names: readonly string[] | undefined): tf.Tensor[][] {
  return keys.map((key, j) => {
    const dtype = types[j] ?? 'float';
    return sparseTensors(varLenColumn(seqs.map((s) => s.context), key, dtype, names), dtype, scalar, `context sparse feature ${key}`);
  });
}

function parseSequenceExampleV2(node: GraphNode): tf.Tensor[] {
  const serialized = kernelInput(node, 0);
  if (serialized.rank > 1) throw Errors.parseExampleSerializedShape(serialized.shape);
  refuseUnsupported(node);
  const scalar = serialized.rank === 0;
  const namesT = kernelInput(node, 1);
  const names = namesT.size > 0 ? keysOf(namesT) : undefined;
  const seqs = stringBytes(serialized).map((b) => {
    try {
      return parseSequenceExample(b);
    } catch {
      throw Errors.exampleUnparsable(Buffer.from(b).toString('latin1'));
    }
  });
  const n = seqs.length;
  const sparse = contextSparse(seqs, keysOf(kernelInput(node, 2)), dtypeList(node.attrs['context_sparse_types']), scalar, names);
  const denseKeys = keysOf(kernelInput(node, 3));
  const denseTypes = dtypeList(node.attrs['Tcontext_dense']);
  const denseShapes = (node.attrs['context_dense_shapes'] as number[][] | undefined) ?? [];
  const dense = denseKeys.map((key, j) => {
    const shape = denseShapes[j] ?? [];
    if (shape.some((d) => d < 0)) throw Errors.varLenDenseFeature(key);
    const def = node.inputs[9 + j];
    const dtype = denseTypes[j] ?? 'float';
    const col = denseColumn(seqs.map((s) => s.context), { key, dtype, shape, defaults: def ? defaultsOf(def, dtype) : undefined }, names);
    return columnTensor(col, scalar ? [...shape] : [n, ...shape], dtype, `context feature ${key}`);
  });
  const listKeys = keysOf(kernelInput(node, 6));
  const listTypes = dtypeList(node.attrs['feature_list_dense_types']);
  const listShapes = (node.attrs['feature_list_dense_shapes'] as number[][] | undefined) ?? [];
  // one bool per dense feature list: true = allow_missing (a missing list is empty)
  const optional = Array.from(kernelInput(node, 8).dataSync() as ArrayLike<number>, Boolean);
  const lists = listKeys.map((key, j) => {
    const shape = listShapes[j] ?? [];
    const dtype = listTypes[j] ?? 'float';
    const l = denseList(seqs, key, dtype, shape, optional[j] ?? false, names);
    return {
      values: columnTensor(l.values, scalar ? [l.steps, ...shape] : [n, l.steps, ...shape], dtype, `feature list ${key}`),
      lengths: tf.tensor(Int32Array.from(l.lengths), scalar ? [] : [n], 'int32'),
    };
  });
  return [
    ...sparse.map((s) => s[0]!), ...sparse.map((s) => s[1]!), ...sparse.map((s) => s[2]!),
    ...dense,
    ...lists.map((l) => l.values), ...lists.map((l) => l.lengths),
  ];
}

export const SEQUENCE_EXAMPLE_KERNELS: readonly KernelEntry[] = [{ op: 'ParseSequenceExampleV2', kernel: parseSequenceExampleV2 }];
