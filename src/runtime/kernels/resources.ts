/**
 * tfs's own kernels for the state the freezer keeps live (`_Tfs*` ops, see
 * freeze/types.ts `TFS_OPS`): live-variable reads and writes, effect ordering
 * (`_TfsAfter`, `_TfsGroup`) and hash tables, all over the per-model
 * {@link ModelResources} registered here by model id (the `_tfs_model` attr).
 *
 * Custom ops get their attrs decoded by tfjs (string attrs lower-cased), so these ops
 * carry numeric attrs only.
 */
import { makeWide, readWide, wideArray, wideKindOf } from '../wide-values.js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import type { DTypeName } from '../../tensor/dtypes.js';
import { TFS_OPS } from '../freeze/types.js';
import { kernelInput, type KernelEntry } from './types.js';

// --- per-model resources ------------------------------------------------------------------

export interface LiveVariable {
  readonly name: string;
  value: tf.Tensor | undefined;
}

/** A table key or value: bytes, a number, or an exact int64/uint64 (wide-values.ts). */
type TableKey = string | number | bigint;
type TableValue = number | bigint | Uint8Array;

export interface TableState {
  readonly name: string;
  readonly keyDtype: DTypeName;
  readonly valueDtype: DTypeName;
  /** Undefined until an initializer ran (TF: "Table not initialized."). */
  entries: Map<TableKey, TableValue> | undefined;
}

export interface ModelResources {
  readonly variables: Map<number, LiveVariable>;
  readonly tables: Map<number, TableState>;
}

const models = new Map<number, ModelResources>();
let nextModelId = 1;

/** A fresh model id for this thread (the `_tfs_model` attr of stateful custom ops). */
export function allocateModelId(): number {
  return nextModelId++;
}

export function registerModelResources(id: number, r: ModelResources): void {
  models.set(id, r);
}

/** Forget a model's resources and free its variable tensors. */
export function releaseModelResources(id: number): void {
  const r = models.get(id);
  if (!r) return;
  for (const v of r.variables.values()) v.value?.dispose();
  models.delete(id);
}

function resources(node: GraphNode): ModelResources {
  const id = node.attrs['_tfs_model'] as number;
  const r = models.get(id);
  if (!r) throw Errors.runtimeResourcesMissing(id);
  return r;
}

function variable(node: GraphNode): LiveVariable {
  const v = resources(node).variables.get(node.attrs['_tfs_res'] as number);
  if (!v) throw Errors.runtimeUnknownVariable(String(node.attrs['_tfs_res']));
  return v;
}

function table(node: GraphNode): TableState {
  const t = resources(node).tables.get(node.attrs['_tfs_res'] as number);
  if (!t) throw Errors.runtimeUnknownTable(String(node.attrs['_tfs_res']));
  return t;
}

function current(v: LiveVariable): tf.Tensor {
  if (!v.value) throw Errors.uninitializedVariable(v.name);
  return v.value;
}

/** Replace a variable's value with `next` (kept outside any tidy), returning a copy. */
function store(v: LiveVariable, next: tf.Tensor): tf.Tensor {
  const kept = tf.keep(next.clone());
  v.value?.dispose();
  v.value = kept;
  return kept.clone();
}

const stringBytes = (t: tf.Tensor): Uint8Array[] => tf.engine().readSync(t.dataId) as Uint8Array[];
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

function tableKey(v: TableValue): TableKey {
  return v instanceof Uint8Array ? latin1(v) : v;
}

// --- variables and effects ------------------------------------------------------------------

/** A variable update computed from its current value. */
function update(node: GraphNode, next: (value: tf.Tensor) => tf.Tensor): tf.Tensor {
  const v = variable(node);
  return tf.tidy(() => store(v, next(current(v))));
}

// --- tables -----------------------------------------------------------------------------------

/** A tensor's elements as table keys or values of `dtype`: int64/uint32/uint64/float64 exactly. */
function keysOrValues(t: tf.Tensor, dtype: DTypeName): TableValue[] {
  if (t.dtype === 'string') return stringBytes(t);
  const kind = wideKindOf(dtype);
  if (kind) return Array.from(readWide(t, kind) as ArrayLike<number | bigint>);
  return Array.from(t.dataSync() as ArrayLike<number>);
}

function tableFind(node: GraphNode): tf.Tensor {
  const t = table(node);
  if (!t.entries) throw Errors.tableNotInitialized();
  const keys = kernelInput(node, 0);
  const def = kernelInput(node, 1);
  const keyVals = keysOrValues(keys, t.keyDtype);
  if (t.valueDtype === 'DT_STRING') {
    const d = stringBytes(def)[0] ?? new Uint8Array(0);
    const out = keyVals.map((k) => (t.entries!.get(tableKey(k)) as Uint8Array | undefined) ?? d);
    return tf.tensor(out, keys.shape, 'string');
  }
  const kind = wideKindOf(t.valueDtype);
  if (kind) {
    // Exact values (int64 beyond int32, float64): a stand-in with the values beside it.
    const d = keysOrValues(def, t.valueDtype)[0] ?? (kind === 'float64' ? 0 : 0n);
    const out = wideArray(kind, keyVals.length);
    keyVals.forEach((k, i) => (out[i] = (t.entries!.get(tableKey(k)) as number | bigint | undefined) ?? (d as number | bigint)));
    return makeWide(kind, out, keys.shape);
  }
  const d = Number(def.dataSync()[0] ?? 0);
  const out = keyVals.map((k) => (t.entries!.get(tableKey(k)) as number | undefined) ?? d);
  return tf.tensor(out, keys.shape, t.valueDtype === 'DT_FLOAT' ? 'float32' : 'int32');
}

function tableInit(node: GraphNode): tf.Tensor {
  const t = table(node);
  const ks = keysOrValues(kernelInput(node, 0), t.keyDtype);
  const vs = keysOrValues(kernelInput(node, 1), t.valueDtype);
  if (ks.length !== vs.length) {
    throw Errors.tableValueShape(ks.length, vs.length);
  }
  const entries = t.entries ?? new Map();
  ks.forEach((k, i) => entries.set(tableKey(k), vs[i]!));
  t.entries = entries;
  return tf.scalar(0, 'int32');
}

/** How `InitializeTableFromTextFile` reads its file (the op's attrs). */
interface TextFileSpec {
  readonly path: string;
  readonly delim: string;
  readonly offset: number;
}

/** Field `index` of a vocabulary line: -2 the whole line, -1 the line number, else a column. */
function pickField(spec: TextFileSpec, line: string, lineNo: number, index: number, dtype: DTypeName): TableValue {
  const kind = wideKindOf(dtype);
  const intKind = kind !== undefined && kind !== 'float64';
  let field: string;
  if (index === -2) field = line;
  else if (index === -1) return intKind ? BigInt(lineNo + spec.offset) : lineNo + spec.offset;
  else {
    const cols = line.split(spec.delim);
    if (index >= cols.length) {
      throw Errors.tableColumns(spec.path, lineNo, line, index + 1, cols.length);
    }
    field = cols[index]!;
  }
  if (dtype === 'DT_STRING') return Buffer.from(field, 'latin1');
  if (intKind) {
    if (!/^[+-]?\d+$/.test(field.trim())) throw Errors.tableFieldNotNumber(field, lineNo);
    return BigInt(field.trim());
  }
  const v = Number(field);
  if (!Number.isFinite(v)) throw Errors.tableFieldNotNumber(field, lineNo);
  return v;
}

function tableInitFromFile(node: GraphNode): tf.Tensor {
  const t = table(node);
  const path = new TextDecoder().decode(stringBytes(kernelInput(node, 0))[0] ?? new Uint8Array(0));
  const keyIndex = Number(node.attrs['key_index']);
  const valueIndex = Number(node.attrs['value_index']);
  const vocabSize = Number(node.attrs['vocab_size'] ?? -1);
  const offset = Number(node.attrs['offset'] ?? 0);
  const delim = String.fromCodePoint(...((node.attrs['_tfs_delimiter'] as number[] | undefined) ?? [9]));
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw Errors.tableFileUnreadable(path, (e as Error).message);
  }
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const used = vocabSize >= 0 ? lines.slice(0, vocabSize) : lines;
  if (vocabSize >= 0 && lines.length < vocabSize) {
    throw Errors.tableVocabSize(path, vocabSize, lines.length);
  }
  const spec: TextFileSpec = { path, delim, offset };
  const entries = t.entries ?? new Map();
  used.forEach((line, i) => {
    const k = pickField(spec, line, i, keyIndex, t.keyDtype);
    const v = pickField(spec, line, i, valueIndex, t.valueDtype);
    entries.set(tableKey(k), v);
  });
  t.entries = entries;
  return tf.scalar(0, 'int32');
}

export const RESOURCE_KERNELS: readonly KernelEntry[] = [
  { op: TFS_OPS.after, kernel: (node) => kernelInput(node, 0).clone() },
  { op: TFS_OPS.group, kernel: () => tf.scalar(0, 'int32') },
  { op: TFS_OPS.varRead, kernel: (node) => current(variable(node)).clone() },
  { op: TFS_OPS.varAssign, kernel: (node) => store(variable(node), kernelInput(node, 0)) },
  { op: TFS_OPS.varAssignAdd, kernel: (node) => update(node, (v) => tf.add(v, kernelInput(node, 0))) },
  { op: TFS_OPS.varAssignSub, kernel: (node) => update(node, (v) => tf.sub(v, kernelInput(node, 0))) },
  {
    op: TFS_OPS.applyGradientDescent,
    kernel: (node) => update(node, (v) => tf.sub(v, tf.mul(kernelInput(node, 0), kernelInput(node, 1)))),
  },
  { op: TFS_OPS.tableFind, kernel: (node) => tableFind(node) },
  { op: TFS_OPS.tableSize, kernel: (node) => tf.scalar(table(node).entries?.size ?? 0, 'int32') },
  { op: TFS_OPS.tableInit, kernel: (node) => tableInit(node) },
  { op: TFS_OPS.tableInitFromFile, kernel: (node) => tableInitFromFile(node) },
];
