/**
 * The cases of fixtures/zoo/ops-oracle.json (TF 2.21's values, written by
 * fixtures/zoo/ops_oracle.py) as tensors, and the measure of a kernel's answer against them.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { makeWide, readWide, wideKindOf } from '../../../src/runtime/wide-values.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';
import { s } from './helpers.js';

export interface OracleTensor { name?: string; dtype: string; shape: number[]; values: Array<number | string | boolean> }
export interface OracleCase { name: string; op: string; inputs: OracleTensor[]; attrs: Record<string, unknown>; outputs?: OracleTensor[]; error?: string }

const FILE = new URL('../../../../fixtures/zoo/ops-oracle.json', import.meta.url);
let cached: OracleCase[] | undefined;

export function oracleCases(filter: (c: OracleCase) => boolean): OracleCase[] {
  cached ??= (JSON.parse(readFileSync(FILE, 'utf8')) as { cases: OracleCase[] }).cases;
  return cached.filter(filter);
}

const DT: Record<string, string> = {
  float32: 'DT_FLOAT', float64: 'DT_DOUBLE', int32: 'DT_INT32', int64: 'DT_INT64', uint32: 'DT_UINT32', uint64: 'DT_UINT64', bool: 'DT_BOOL',
};
export const tfDtype = (name: string): string => DT[name] ?? name;

const num = (v: number | string | boolean): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));

export function toTensor(o: OracleTensor): tf.Tensor {
  const kind = wideKindOf(tfDtype(o.dtype));
  if (kind === 'float64') return makeWide(kind, Float64Array.from(o.values, num), o.shape);
  if (kind === 'int64') return makeWide(kind, BigInt64Array.from(o.values, (v) => BigInt(v as string)), o.shape);
  if (kind) return makeWide(kind, BigUint64Array.from(o.values, (v) => BigInt(v as string)), o.shape);
  if (o.dtype === 'bool') return tf.tensor(o.values as boolean[], o.shape, 'bool');
  return tf.tensor(o.values.map(num), o.shape, o.dtype === 'int32' ? 'int32' : 'float32');
}

/** The attrs as the freezer writes them: dtype attrs as `_tfs_type_*`, ints and bools as such. */
export function rawAttrs(c: OracleCase): Record<string, AttrJson> {
  const raw: Record<string, AttrJson> = {};
  for (const [k, v] of Object.entries(c.attrs)) {
    if (typeof v === 'string') raw[`_tfs_type_${k}`] = s(tfDtype(v));
    else if (typeof v === 'boolean') raw[k] = { b: v };
    else if (typeof v === 'number') raw[k] = { i: v } as AttrJson;
  }
  for (const i of c.inputs) {
    // Type attrs TF infers from an input (the graph's node carries them).
    if (i.name === 'input' || i.name === 'x' || i.name === 'a' || i.name === 'matrix') raw['_tfs_type_T'] ??= s(tfDtype(i.dtype));
    if (i.name === 'minval') raw['_tfs_type_dtype'] ??= s(tfDtype(i.dtype));
  }
  return raw;
}

/** The exact values of a kernel's result as the oracle writes them (64-bit integers as strings). */
export function exactValues(t: tf.Tensor, dtype: string): Array<number | string | boolean> {
  const kind = wideKindOf(tfDtype(dtype));
  if (kind === 'float64') return Array.from(readWide(t, kind) as Float64Array);
  if (kind) return Array.from(readWide(t, kind) as BigInt64Array, (v) => String(v));
  return Array.from(t.dataSync() as ArrayLike<number>);
}

/** Units in the last place between two floats of the type (0 when both are the same NaN/Inf). */
export function ulps(got: number, want: number, f32: boolean): number {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Infinity;
  const ord = (v: number): bigint => {
    const b = f32 ? BigInt(new Uint32Array(Float32Array.of(v).buffer)[0]!) : new BigInt64Array(Float64Array.of(v).buffer)[0]!;
    const signBit = f32 ? 0x80000000n : -(2n ** 63n);
    if (f32) return b >= 0x80000000n ? -(b - 0x80000000n) : b;
    return b < 0n ? -(b - signBit) : b;
  };
  const d = ord(got) - ord(want);
  return Number(d < 0n ? -d : d);
}

export { num };
