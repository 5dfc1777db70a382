/**
 * TensorFlow's recorded outputs for the shared fixtures (`expected/tf_oracle_outputs.jsonl`,
 * `zoo/oracle.jsonl`) as runtime inputs and expectations, plus the comparison rule the
 * correctness suite uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupType } from '../../src/proto/root.js';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface OracleCase {
  /** Model directory name under savedmodels/ or zoo/ (`saved_model_counter`). */
  readonly model: string;
  readonly version: number;
  /** The version directory. */
  readonly dir: string;
  readonly signature: string;
  readonly inputs: Record<string, Tensor>;
  readonly outputs: Record<string, { dtype: DTypeName; shape: number[]; values: number[] }>;
  /** Which oracle file and line, for messages. */
  readonly where: string;
}

interface RawTensor {
  dtype: DTypeName;
  shape?: number[];
  values?: unknown;
  encoding?: 'utf8' | 'base64';
  serialized_tf_examples?: Record<string, number[]>[];
}

const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flat(Infinity) : [v]);

/** A serialized tf.Example with float features (how the shared oracle lists its examples). */
export function floatExample(features: Record<string, number[]>): Uint8Array {
  const Example = lookupType('tensorflow.Example');
  const feature: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(features)) feature[k] = { float_list: { value: v } };
  return Example.encode(Example.fromObject({ features: { feature } })).finish();
}

export function tensorOf(raw: RawTensor): Tensor {
  if (raw.serialized_tf_examples) {
    const data = raw.serialized_tf_examples.map(floatExample);
    return { dtype: 'DT_STRING', shape: [data.length], data };
  }
  const values = flat(raw.values);
  const shape = raw.shape ?? [];
  switch (raw.dtype) {
    case 'DT_FLOAT':
      return { dtype: raw.dtype, shape, data: Float32Array.from(values as number[]) };
    case 'DT_DOUBLE':
      return { dtype: raw.dtype, shape, data: Float64Array.from(values as number[]) };
    case 'DT_INT64':
      return { dtype: raw.dtype, shape, data: BigInt64Array.from((values as number[]).map((v) => BigInt(v))) };
    case 'DT_UINT8':
      return { dtype: raw.dtype, shape, data: Uint8Array.from(values as number[]) };
    case 'DT_INT32':
      return { dtype: raw.dtype, shape, data: Int32Array.from(values as number[]) };
    case 'DT_STRING':
      return {
        dtype: raw.dtype,
        shape,
        data: (values as string[]).map((s) => (raw.encoding === 'base64' ? new Uint8Array(Buffer.from(s, 'base64')) : new TextEncoder().encode(s))),
      };
    default:
      throw new Error(`oracle dtype ${raw.dtype} not handled by the test`);
  }
}

function parse(file: string, dirOf: (model: string, version: number) => string, line: string, i: number): OracleCase {
  const o = JSON.parse(line) as {
    model: string;
    version?: number;
    signature: string;
    inputs: Record<string, RawTensor>;
    outputs: Record<string, RawTensor>;
  };
  const [model, v] = o.version === undefined ? (o.model.split('/') as [string, string]) : [o.model, String(o.version)];
  const version = Number(v);
  const inputs: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(o.inputs)) inputs[k] = tensorOf(t);
  const outputs: OracleCase['outputs'] = {};
  for (const [k, t] of Object.entries(o.outputs)) {
    outputs[k] = { dtype: t.dtype, shape: t.shape ?? [], values: flat(t.values) as number[] };
  }
  return { model, version, dir: dirOf(model, version), signature: o.signature, inputs, outputs, where: `${file}:${i + 1}` };
}

function versionDir(root: string): (model: string, version: number) => string {
  return (model, version) => {
    // Upstream fixtures keep zero-padded version directory names (00000123).
    const candidates = [join(root, model, String(version)), join(root, model, String(version).padStart(8, '0'))];
    return candidates.find((c) => existsSync(join(c, 'saved_model.pb'))) ?? candidates[0]!;
  };
}

/** The calls of one oracle file whose models live under `modelsRoot`. */
export function oracleFile(file: string, modelsRoot: string, label = file): OracleCase[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.map((l, i) => parse(label, versionDir(modelsRoot), l, i));
}

/** Every oracle call, shared fixtures first (file order matters: the counter model is stateful). */
export function oracleCases(sharedFixtures: string): OracleCase[] {
  return [
    ...oracleFile(
      join(sharedFixtures, 'expected', 'tf_oracle_outputs.jsonl'),
      join(sharedFixtures, 'savedmodels'),
      'expected/tf_oracle_outputs.jsonl',
    ),
    ...oracleFile(join(sharedFixtures, 'zoo', 'oracle.jsonl'), join(sharedFixtures, 'zoo'), 'zoo/oracle.jsonl'),
  ];
}

/** Relative tolerance for float outputs, and the absolute floor used for values near 0. */
export const RTOL = 1e-5;
export const ATOL = 1e-6;

/** Compare one output; returns a description of the first mismatch, or undefined. */
export function mismatch(got: Tensor | undefined, want: OracleCase['outputs'][string]): string | undefined {
  if (!got) return 'missing';
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, want ${want.dtype}`;
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape.join(',')}], want [${want.shape.join(',')}]`;
  const g = Array.from(got.data as ArrayLike<number | bigint>, Number);
  const isFloat = want.dtype === 'DT_FLOAT' || want.dtype === 'DT_DOUBLE' || want.dtype === 'DT_HALF';
  for (let i = 0; i < want.values.length; i++) {
    const w = want.values[i]!;
    const x = g[i]!;
    const ok = isFloat ? Math.abs(x - w) <= RTOL * Math.abs(w) + ATOL : x === w;
    if (!ok) return `value[${i}] = ${x}, want ${w}`;
  }
  return undefined;
}
