/**
 * Helpers the kernel families share: the node's attrs as the graph wrote them, string
 * tensors as bytes, and integer results checked against tfjs's int32 storage.
 *
 * Why raw attrs: tfjs-converter hands custom ops their string attrs lower-cased and
 * decoded as Latin-1 (`[A-Z]` would become `[a-z]`), and int64/unsigned dtypes as
 * 'int32'. The executor passes a NodeValueImpl whose `node.rawAttrs` still holds the
 * GraphDef JSON tfs built (graph-json.ts: bytes as base64, dtypes as `DT_*` names).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import type { AttrJson } from '../graph-json.js';

function rawAttrs(node: GraphNode): Record<string, AttrJson> {
  const inner = (node as unknown as { node?: { rawAttrs?: Record<string, AttrJson> } }).node;
  return inner?.rawAttrs ?? {};
}

export function rawAttr(node: GraphNode, name: string): AttrJson | undefined {
  return rawAttrs(node)[name];
}

/** A bytes (`s`) attr exactly as written, or `def`. */
export function attrBytes(node: GraphNode, name: string, def?: Uint8Array): Uint8Array | undefined {
  const s = rawAttr(node, name)?.s;
  return s === undefined ? def : new Uint8Array(Buffer.from(s, 'base64'));
}

/** A string attr decoded as UTF-8 (case kept), or `def`. */
export function attrText(node: GraphNode, name: string, def = ''): string {
  const b = attrBytes(node, name);
  return b === undefined ? def : Buffer.from(b).toString('utf8');
}

export function attrTexts(node: GraphNode, name: string): string[] {
  return (rawAttr(node, name)?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrInt(node: GraphNode, name: string, def: number): number {
  const a = rawAttr(node, name);
  return a?.i === undefined ? def : Number(a.i);
}

export function attrInts(node: GraphNode, name: string): number[] {
  return (rawAttr(node, name)?.list?.i ?? []).map(Number);
}

export function attrFloat(node: GraphNode, name: string, def: number): number {
  const a = rawAttr(node, name);
  return a?.f === undefined ? def : Number(a.f);
}

export function attrBool(node: GraphNode, name: string, def: boolean): boolean {
  const a = rawAttr(node, name);
  return a?.b === undefined ? def : Boolean(a.b);
}

/** A dtype attr as TensorFlow names it (`DT_INT64`, `DT_UINT16`: the freezer's exact copy), or `def`. */
export function attrType(node: GraphNode, name: string, def = ''): string {
  return attrText(node, `_tfs_type_${name}`, '') || (rawAttr(node, name)?.type ?? def);
}

/** An int or list-of-int attr exactly (int64 beyond 2^53 too), from the freezer's copy. */
export function attrBigInts(node: GraphNode, name: string): bigint[] {
  const exact = attrText(node, `_tfs_int_${name}`, '');
  if (exact !== '') return exact.split(',').map((v) => BigInt(v));
  const a = rawAttr(node, name);
  return a?.i !== undefined ? [BigInt(a.i)] : (a?.list?.i ?? []).map((v) => BigInt(v));
}

/** The elements of a string tensor as bytes. */
export function bytesOf(t: tf.Tensor): Uint8Array[] {
  if (t.dtype !== 'string') throw Errors.kernelArgument(`expected a string tensor, got ${t.dtype}`);
  return tf.engine().readSync(t.dataId) as Uint8Array[];
}

export function stringTensor(values: Uint8Array[], shape: readonly number[]): tf.Tensor {
  return tf.tensor(values, [...shape], 'string');
}

/** The elements of a numeric tensor as JS numbers (int64 arrives as int32). */
export function numbersOf(t: tf.Tensor): number[] {
  if (t.dtype === 'string') throw Errors.kernelArgument('expected a numeric tensor, got a string tensor');
  return Array.from(t.dataSync() as ArrayLike<number>);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * An integer result as tfjs's int32 tensor; `dtype` is the TF type (e.g. DT_INT64) the
 * values stand for. A value outside int32 is refused instead of wrapped.
 */
export function intTensor(values: ArrayLike<number | bigint>, shape: readonly number[], what: string, dtype = 'DT_INT64'): tf.Tensor {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < INT32_MIN || v > INT32_MAX) throw Errors.int32Refusal(what, dtype.replace(/^DT_/, '').toLowerCase(), String(v));
    out[i] = Number(v);
  }
  return tf.tensor(out, [...shape], 'int32');
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The broadcast shape of two shapes (numpy rules), or a TF-worded error. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw Errors.incompatibleShapes([...a], [...b]);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each element of `out` (a broadcast shape), the flat index into an operand of `shape`. */
export function broadcastIndex(out: readonly number[], shape: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const os = stridesOf(out);
  const is = stridesOf(shape);
  const off = out.length - shape.length;
  for (let f = 0; f < n; f++) {
    let rem = f;
    let src = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / os[d]!);
      rem -= c * os[d]!;
      if (d >= off && shape[d - off]! !== 1) src += c * is[d - off]!;
    }
    idx[f] = src;
  }
  return idx;
}
