/**
 * Exact 64-bit values beside tfjs tensors. tfjs has no int64, uint32, uint64 or float64:
 * tfs carries such a tensor as a tfjs *stand-in* (int32 for the integer types, float32 for
 * float64) and, when some value does not fit the stand-in exactly, keeps the exact values in
 * a side table keyed by the tensor's `dataId` (shared by tfjs clones and reshapes, which
 * keep the flat values, so the entry stays true for them).
 *
 * The invariant: a tensor of a wide TF type either has an entry (its exact values) or its
 * stand-in holds the exact values. Wide kernels (kernels/wide.ts) read the entry or the
 * stand-in and write results the same way; every other op reads the stand-in, so the
 * freezer puts a `_TfsWideCheck` in front of it wherever a value with an entry can arrive
 * (it fails the call when the values do not fit, never truncates).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Errors } from '../errors.js';

export type WideKind = 'int64' | 'uint64' | 'uint32' | 'float64';
export type WideData = BigInt64Array | BigUint64Array | Float64Array;

interface WideEntry {
  readonly kind: WideKind;
  readonly data: WideData;
}

const SIDE = new WeakMap<object, WideEntry>();

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

/** The wide kind of a TF dtype name (`DT_INT64` …), or undefined for other types. */
export function wideKindOf(dtype: string): WideKind | undefined {
  switch (dtype) {
    case 'DT_INT64':
      return 'int64';
    case 'DT_UINT64':
      return 'uint64';
    case 'DT_UINT32':
      return 'uint32';
    case 'DT_DOUBLE':
      return 'float64';
    default:
      return undefined;
  }
}

export const isIntKind = (k: WideKind): boolean => k !== 'float64';

/** A zeroed array for `n` values of `kind`. */
export function wideArray(kind: WideKind, n: number): WideData {
  if (kind === 'float64') return new Float64Array(n);
  return kind === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
}

/** Wrap an integer to `kind`'s width (TF's integer arithmetic wraps). */
export function wrapInt(kind: WideKind, v: bigint): bigint {
  if (kind === 'int64') return BigInt.asIntN(64, v);
  return BigInt.asUintN(kind === 'uint32' ? 32 : 64, v);
}

/** The exact values of `t`, a tensor standing for `kind` (its entry, else its stand-in). */
export function readWide(t: tf.Tensor, kind: WideKind): WideData {
  const e = SIDE.get(t.dataId);
  if (e) {
    if (e.kind === kind) return e.data;
    // The same dataId read as another kind (a bitcast-free reinterpretation does not happen in
    // TF graphs); convert value by value.
    return convertWide(e.data, kind);
  }
  const raw = t.dataSync() as ArrayLike<number>;
  const out = wideArray(kind, raw.length);
  if (kind === 'float64') (out as Float64Array).set(raw);
  else for (let i = 0; i < raw.length; i++) out[i] = wrapInt(kind, BigInt(Math.trunc(raw[i]!)));
  return out;
}

function convertWide(data: WideData, kind: WideKind): WideData {
  const out = wideArray(kind, data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (kind === 'float64') out[i] = Number(v);
    else out[i] = wrapInt(kind, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  }
  return out;
}

/** Whether `v` is held exactly by the stand-in type (int32, or float32 for float64). */
function fits(v: bigint | number): boolean {
  if (typeof v === 'bigint') return v >= INT32_MIN && v <= INT32_MAX;
  return Number.isNaN(v) || Math.fround(v) === v;
}

/** The first value of `data` its stand-in cannot hold, or undefined. */
export function firstMisfit(data: WideData): bigint | number | undefined {
  for (const v of data) if (!fits(v)) return v;
  return undefined;
}

/** A tfjs tensor standing for exact `data` of `kind` (the caller owns it). */
export function makeWide(kind: WideKind, data: WideData, shape: readonly number[]): tf.Tensor {
  const n = data.length;
  let t: tf.Tensor;
  let misfit = false;
  if (kind === 'float64') {
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = data[i] as number;
      s[i] = v;
      if (!misfit && !fits(v)) misfit = true;
    }
    t = tf.tensor(s, [...shape], 'float32');
  } else {
    const s = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = data[i] as bigint;
      if (fits(v)) s[i] = Number(v);
      else {
        misfit = true;
        s[i] = v < 0n ? -2147483648 : 2147483647;
      }
    }
    t = tf.tensor(s, [...shape], 'int32');
  }
  if (misfit) SIDE.set(t.dataId, { kind, data });
  return t;
}

/** The exact values attached to `t`, if any. */
export function wideEntry(t: tf.Tensor): { kind: WideKind; data: WideData } | undefined {
  return SIDE.get(t.dataId);
}

/**
 * `t` for an op that reads the stand-in: a clone when the stand-in is exact, else the error
 * naming the value (an int64 beyond int32 or a float64 float32 cannot hold).
 */
export function narrowChecked(t: tf.Tensor, what: string): tf.Tensor {
  const e = SIDE.get(t.dataId);
  if (e) {
    const v = firstMisfit(e.data);
    if (v !== undefined) {
      if (typeof v === 'number') throw Errors.float64Inexact(what, v);
      throw Errors.int32Refusal(what, e.kind, v.toString());
    }
  }
  return tf.clone(t);
}
