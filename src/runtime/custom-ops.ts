/**
 * Custom ops tfs registers with tfjs-converter (`tf.registerOp`), per thread:
 *
 * - TensorFlow ops serving models need and tfjs lacks: ParseExample, ParseExampleV2,
 *   Softsign, Xlogy, Xdivy, Erfc (Keras gelu), Inv, Rint, TruncateDiv, TruncateMod,
 *   BroadcastGradientArgs, Bucketize, UnsortedSegmentSum, SegmentSum;
 * - tfs's own ops the freezer emits (`_Tfs*`, see freeze.ts TFS_OPS): live-variable reads
 *   and writes, effect ordering (`_TfsAfter`, `_TfsGroup`) and hash tables, all over the
 *   per-model {@link ModelResources} registered here by model id.
 *
 * Custom ops get their inputs as tfjs tensors and their attrs decoded by tfjs (string attrs
 * lower-cased, dtypes as tfjs dtypes), so tfs's ops carry numeric attrs only.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { registerOp, type GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../errors.js';
import type { DTypeName } from '../tensor/dtypes.js';
import {
  denseColumn,
  parseBatch,
  varLenColumn,
  type DenseColumn,
  type DenseSpec,
  type FeatureDtype,
} from './example-parser.js';
import { TFS_OPS } from './freeze/index.js';
import { CUSTOM_TF_OPS } from './op-registry.js';
import { FAMILY_OPS, KERNEL_FAMILIES } from './kernels/index.js';

// --- per-model resources ------------------------------------------------------------------

export interface LiveVariable {
  readonly name: string;
  value: tf.Tensor | undefined;
}

export interface TableState {
  readonly name: string;
  readonly keyDtype: DTypeName;
  readonly valueDtype: DTypeName;
  /** Undefined until an initializer ran (TF: "Table not initialized."). */
  entries: Map<string | number, number | Uint8Array> | undefined;
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

function input(node: GraphNode, i: number): tf.Tensor {
  const t = node.inputs[i];
  if (!t) throw Errors.customOpInputMissing(i);
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

function tableKey(t: TableState, v: Uint8Array | number): string | number {
  return typeof v === 'number' ? v : latin1(v);
}

// --- tf.Example parsing ------------------------------------------------------------------------

const featureDtype = (tfjsDtype: unknown): FeatureDtype =>
  tfjsDtype === 'float32' ? 'float' : tfjsDtype === 'string' ? 'string' : 'int64';

function defaultsOf(t: tf.Tensor, dtype: FeatureDtype): DenseSpec['defaults'] {
  if (t.size === 0) return undefined;
  if (dtype === 'string') return stringBytes(t);
  return Array.from(t.dataSync() as ArrayLike<number>);
}

function keysOf(t: tf.Tensor): string[] {
  return stringBytes(t).map((b) => new TextDecoder().decode(b));
}

function columnTensor(values: DenseColumn, shape: number[], dtype: FeatureDtype, what: string): tf.Tensor {
  if (dtype === 'string') return tf.tensor(values as Uint8Array[], shape, 'string');
  if (dtype === 'float') return tf.tensor(Float32Array.from(values as number[]), shape, 'float32');
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint;
    if (v < -2147483648 || v > 2147483647) throw Errors.int32Refusal(what, 'int64', String(v));
    out[i] = Number(v);
  }
  return tf.tensor(out, shape, 'int32');
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
    const rows = varLenColumn(examples, key, dtype, names);
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
    outSparseIdx.push(tf.tensor(Int32Array.from(idx), [vals.length, scalar ? 1 : 2], 'int32'));
    outSparseVal.push(columnTensor(vals as DenseColumn, [vals.length], dtype, `sparse feature ${key}`));
    outSparseShape.push(tf.tensor(Int32Array.from(scalar ? [maxLen] : [n, maxLen]), [scalar ? 1 : 2], 'int32'));
  });
  const outDense = p.denseKeys.map((key, j) => {
    const dtype = p.denseTypes[j] ?? 'float';
    const shape = p.denseShapes[j];
    if (!shape || shape.some((d) => d < 0)) {
      throw Errors.varLenDenseFeature(key);
    }
    const def = p.denseDefaults[j];
    const spec: DenseSpec = { key, dtype, shape, defaults: def ? defaultsOf(def, dtype) : undefined };
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

const dtypeList = (v: unknown): FeatureDtype[] => ((v as unknown[] | undefined) ?? []).map(featureDtype);

function parseExampleV1(node: GraphNode): tf.Tensor[] {
  const nSparse = Number(node.attrs['Nsparse'] ?? 0);
  const nDense = Number(node.attrs['Ndense'] ?? 0);
  const ins = node.inputs;
  const sparseKeys = ins.slice(2, 2 + nSparse).map((t) => keysOf(t)[0] ?? '');
  const denseKeys = ins.slice(2 + nSparse, 2 + nSparse + nDense).map((t) => keysOf(t)[0] ?? '');
  return runParse({
    serialized: input(node, 0),
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
    serialized: input(node, 0),
    names: ins[1],
    sparseKeys: keysOf(input(node, 2)),
    sparseTypes: dtypeList(node.attrs['sparse_types']),
    denseKeys: keysOf(input(node, 3)),
    denseTypes,
    denseShapes: (node.attrs['dense_shapes'] as (number[] | undefined)[] | undefined) ?? [],
    denseDefaults: ins.slice(5, 5 + denseTypes.length),
    raggedKeys: keysOf(input(node, 4)),
    raggedTypes: dtypeList(node.attrs['ragged_value_types']),
    raggedSplitInt64: true,
  });
}

// --- small math ops ------------------------------------------------------------------------

function broadcastGradientArgs(node: GraphNode): tf.Tensor[] {
  const s0 = Array.from(input(node, 0).dataSync());
  const s1 = Array.from(input(node, 1).dataSync());
  const rank = Math.max(s0.length, s1.length);
  const a = [...Array(rank - s0.length).fill(1), ...s0];
  const b = [...Array(rank - s1.length).fill(1), ...s1];
  const r0: number[] = [];
  const r1: number[] = [];
  const same = a.every((d, i) => d === b[i]);
  if (!same) {
    for (let i = 0; i < rank; i++) {
      if (a[i] !== b[i] && a[i] !== 1 && b[i] !== 1) {
        throw Errors.incompatibleShapes(s0, s1);
      }
      if (a[i] === 1) r0.push(i);
      if (b[i] === 1) r1.push(i);
    }
  }
  return [tf.tensor1d(r0, 'int32'), tf.tensor1d(r1, 'int32')];
}

function bucketize(node: GraphNode): tf.Tensor {
  const x = input(node, 0);
  const bounds = (node.attrs['boundaries'] as number[] | undefined) ?? [];
  const vals = x.dataSync();
  const out = new Int32Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    // Index of the first boundary greater than the value (TF's upper_bound).
    let lo = 0;
    let hi = bounds.length;
    const v = vals[i]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bounds[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return tf.tensor(out, x.shape, 'int32');
}

// --- int64 arithmetic with overflow checks ---------------------------------------------------

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/**
 * Overflow test for the float32 shadow: a wrapped int32 result differs from the true
 * value by a multiple of 2^32, while the shadow's rounding error stays far below 2^30.
 */
const WRAP_GAP = 2 ** 30;

const INT64_NAMES: Record<number, string> = {
  1: 'Add',
  2: 'Sub',
  3: 'Mul',
  4: 'Square',
  5: 'Neg',
  6: 'Abs',
  7: 'Sum',
  8: 'Prod',
  9: 'Cumsum',
  10: 'Pow',
  11: 'AddN',
};

/**
 * An int64 op computed exactly in int32 (tfjs's integer type) and again in float32 as a
 * shadow; when the shadow shows the true result leaves int32's range, the call fails
 * instead of returning wrapped values.
 */
function int64Checked(node: GraphNode): tf.Tensor {
  const code = Number(node.attrs['_tfs_op']);
  const keep = Boolean(node.attrs['keep_dims']);
  const compute = (xs: tf.Tensor[]): tf.Tensor => {
    const [a, b] = xs as [tf.Tensor, tf.Tensor];
    switch (code) {
      case 1:
        return tf.add(a, b);
      case 2:
        return tf.sub(a, b);
      case 3:
        return tf.mul(a, b);
      case 4:
        return tf.square(a);
      case 5:
        return tf.neg(a);
      case 6:
        return tf.abs(a);
      case 7:
        return tf.sum(a, Array.from(b.dataSync()), keep);
      case 8:
        return tf.prod(a, Array.from(b.dataSync()), keep);
      case 9:
        return tf.cumsum(a, Number(b.dataSync()[0]), Boolean(node.attrs['exclusive']), Boolean(node.attrs['reverse']));
      case 10:
        return tf.pow(a, b);
      case 11:
        return tf.addN(xs);
      default:
        throw Errors.unknownCheckedInt64Op(code);
    }
  };
  return tf.tidy(() => {
    const ins = node.inputs;
    // Reduction axes stay integers; every data operand gets a float32 shadow.
    const dataCount = code === 7 || code === 8 || code === 9 ? 1 : ins.length;
    const exact = compute(ins);
    const shadow = compute(ins.map((t, i) => (i < dataCount ? tf.cast(t, 'float32') : t)));
    if (shadow.size > 0) {
      const gap = tf.max(tf.abs(tf.sub(tf.cast(exact, 'float32'), shadow))).dataSync()[0]!;
      if (!(gap <= WRAP_GAP)) {
        const big = tf.max(tf.abs(shadow)).dataSync()[0]!;
        // e.g. "int64 Mul result: int64 value 6000000000 does not fit in int32; ..."
        throw Errors.int32Refusal(`int64 ${INT64_NAMES[code] ?? 'arithmetic'} result`, 'int64', String(big));
      }
    }
    return exact;
  });
}

// --- registration -------------------------------------------------------------------------

let registered = false;

/** Register every custom op in this thread's tfjs-converter. Idempotent. */
export function registerCustomOps(): void {
  if (registered) return;
  registered = true;
  for (const family of KERNEL_FAMILIES) for (const k of family) registerOp(k.op, k.kernel);

  registerOp('ParseExample', (node) => parseExampleV1(node));
  registerOp('ParseExampleV2', (node) => parseExampleV2(node));
  registerOp('Softsign', (node) => tf.tidy(() => tf.div(input(node, 0), tf.add(tf.abs(input(node, 0)), 1))));
  registerOp('Xlogy', (node) =>
    tf.tidy(() => {
      const x = input(node, 0);
      const y = input(node, 1);
      const prod = tf.mul(x, tf.log(y));
      return tf.where(tf.equal(x, 0), tf.zerosLike(prod), prod);
    }),
  );
  registerOp('Xdivy', (node) =>
    tf.tidy(() => {
      const x = input(node, 0);
      const y = input(node, 1);
      const q = tf.div(x, y);
      return tf.where(tf.equal(x, 0), tf.zerosLike(q), q);
    }),
  );
  registerOp('Erfc', (node) => tf.tidy(() => tf.sub(1, tf.erf(input(node, 0)))));
  registerOp('Inv', (node) => tf.reciprocal(input(node, 0)));
  registerOp('Rint', (node) => tf.round(input(node, 0)));
  registerOp('TruncateDiv', (node) =>
    tf.tidy(() => {
      const x = input(node, 0);
      const y = input(node, 1);
      if (x.dtype !== 'int32') return tf.div(x, y);
      // Integer division rounding toward zero (TF's TruncateDiv), unlike FloorDiv.
      const q = tf.floorDiv(tf.abs(x), tf.abs(y));
      return tf.mul(q, tf.mul(tf.sign(x), tf.sign(y)));
    }),
  );
  registerOp('TruncateMod', (node) =>
    tf.tidy(() => {
      const x = input(node, 0);
      const y = input(node, 1);
      // The remainder takes the sign of the dividend (C's %), unlike FloorMod.
      const r = tf.mod(tf.abs(x), tf.abs(y));
      return tf.mul(r, tf.sign(x));
    }),
  );
  registerOp('BroadcastGradientArgs', (node) => broadcastGradientArgs(node));
  registerOp('Bucketize', (node) => bucketize(node));
  registerOp('UnsortedSegmentSum', (node) => {
    const num = Number(input(node, 2).dataSync()[0]);
    return tf.unsortedSegmentSum(input(node, 0), input(node, 1) as tf.Tensor1D, num);
  });
  registerOp('SegmentSum', (node) => {
    const ids = input(node, 1);
    const idv = ids.dataSync();
    const num = idv.length === 0 ? 0 : Number(idv[idv.length - 1]) + 1;
    return tf.unsortedSegmentSum(input(node, 0), ids as tf.Tensor1D, num);
  });

  registerOp(TFS_OPS.int64Checked, (node) => int64Checked(node));
  registerOp(TFS_OPS.castToInt64Checked, (node) =>
    tf.tidy(() => {
      const x = input(node, 0);
      const t = tf.mul(tf.sign(x), tf.floor(tf.abs(x)));
      if (x.size > 0) {
        const hi = tf.max(t).dataSync()[0]!;
        const lo = tf.min(t).dataSync()[0]!;
        if (hi > INT32_MAX || lo < INT32_MIN) throw Errors.int32Refusal('cast to int64', 'int64', String(hi > INT32_MAX ? hi : lo));
      }
      return tf.cast(t, 'int32');
    }),
  );
  registerOp(TFS_OPS.after, (node) => input(node, 0).clone());
  registerOp(TFS_OPS.group, () => tf.scalar(0, 'int32'));
  registerOp(TFS_OPS.varRead, (node) => current(variable(node)).clone());
  registerOp(TFS_OPS.varAssign, (node) => store(variable(node), input(node, 0)));
  registerOp(TFS_OPS.varAssignAdd, (node) => {
    const v = variable(node);
    return tf.tidy(() => store(v, tf.add(current(v), input(node, 0))));
  });
  registerOp(TFS_OPS.varAssignSub, (node) => {
    const v = variable(node);
    return tf.tidy(() => store(v, tf.sub(current(v), input(node, 0))));
  });
  registerOp(TFS_OPS.applyGradientDescent, (node) => {
    const v = variable(node);
    return tf.tidy(() => store(v, tf.sub(current(v), tf.mul(input(node, 0), input(node, 1)))));
  });

  registerOp(TFS_OPS.tableFind, (node) => {
    const t = table(node);
    if (!t.entries) throw Errors.tableNotInitialized();
    const keys = input(node, 0);
    const def = input(node, 1);
    const keyVals: (Uint8Array | number)[] =
      keys.dtype === 'string' ? stringBytes(keys) : Array.from(keys.dataSync() as ArrayLike<number>);
    if (t.valueDtype === 'DT_STRING') {
      const d = stringBytes(def)[0] ?? new Uint8Array(0);
      const out = keyVals.map((k) => (t.entries!.get(tableKey(t, k)) as Uint8Array | undefined) ?? d);
      return tf.tensor(out, keys.shape, 'string');
    }
    const d = Number(def.dataSync()[0] ?? 0);
    const out = keyVals.map((k) => (t.entries!.get(tableKey(t, k)) as number | undefined) ?? d);
    return tf.tensor(out, keys.shape, t.valueDtype === 'DT_FLOAT' || t.valueDtype === 'DT_DOUBLE' ? 'float32' : 'int32');
  });
  registerOp(TFS_OPS.tableSize, (node) => {
    const t = table(node);
    return tf.scalar(t.entries?.size ?? 0, 'int32');
  });
  registerOp(TFS_OPS.tableInit, (node) => {
    const t = table(node);
    const keys = input(node, 0);
    const vals = input(node, 1);
    const ks: (Uint8Array | number)[] = keys.dtype === 'string' ? stringBytes(keys) : Array.from(keys.dataSync() as ArrayLike<number>);
    const vs: (Uint8Array | number)[] = vals.dtype === 'string' ? stringBytes(vals) : Array.from(vals.dataSync() as ArrayLike<number>);
    if (ks.length !== vs.length) {
      throw Errors.tableValueShape(ks.length, vs.length);
    }
    const entries = t.entries ?? new Map();
    ks.forEach((k, i) => entries.set(tableKey(t, k), vs[i]!));
    t.entries = entries;
    return tf.scalar(0, 'int32');
  });
  registerOp(TFS_OPS.tableInitFromFile, (node) => {
    const t = table(node);
    const path = new TextDecoder().decode(stringBytes(input(node, 0))[0] ?? new Uint8Array(0));
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
    const pick = (line: string, lineNo: number, index: number, dtype: DTypeName): number | Uint8Array => {
      let field: string;
      if (index === -2) field = line;
      else if (index === -1) return lineNo + offset;
      else {
        const cols = line.split(delim);
        if (index >= cols.length) {
          throw Errors.tableColumns(path, lineNo, line, index + 1, cols.length);
        }
        field = cols[index]!;
      }
      if (dtype === 'DT_STRING') return Buffer.from(field, 'latin1');
      const v = Number(field);
      if (!Number.isFinite(v)) throw Errors.tableFieldNotNumber(field, lineNo);
      return v;
    };
    const entries = t.entries ?? new Map();
    used.forEach((line, i) => {
      const k = pick(line, i, keyIndex, t.keyDtype);
      const v = pick(line, i, valueIndex, t.valueDtype);
      entries.set(tableKey(t, k), v);
    });
    t.entries = entries;
    return tf.scalar(0, 'int32');
  });
}

/** Whether the runtime can execute op `op` (tfjs-converter ops or tfs custom ops). */
export function isCustomOp(op: string): boolean {
  return CUSTOM_TF_OPS.has(op) || FAMILY_OPS.has(op) || (Object.values(TFS_OPS) as string[]).includes(op);
}
