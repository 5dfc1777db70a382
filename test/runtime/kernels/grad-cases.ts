/**
 * TensorFlow 2.21's gradient ops on fixtures/grad-cases.json (written by fixtures/grad_cases.py,
 * graph mode on x86-64): inputs, attrs and outputs, float32 values as bits.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelEntry } from '../../../src/runtime/kernels/types.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';
import { repoRoot } from '../../helpers/paths.js';
import { run, s } from './helpers.js';

interface Stored {
  shape: number[];
  bits?: number[];
  ints?: number[];
}
interface Case {
  inputs: Stored[];
  attrs: Record<string, string | number | number[]>;
  out: Stored;
}

export const GRAD_CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'grad-cases.json'), 'utf8')) as Record<string, Case>;

const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const tensorOf = (t: Stored): tf.Tensor => (t.bits ? tf.tensor(floats(t.bits), t.shape, 'float32') : tf.tensor(t.ints!, t.shape, 'int32'));

function rawAttrs(attrs: Case['attrs']): Record<string, AttrJson> {
  const raw: Record<string, AttrJson> = {};
  for (const [k, v] of Object.entries(attrs)) {
    raw[k] = Array.isArray(v) ? { list: { i: v } } : typeof v === 'string' ? s(v) : { i: v };
  }
  return raw;
}

/**
 * Runs case `name` through `op` of `table` and compares with TF: bit for bit when `rtol` is 0,
 * else within rtol relative + 1e-6 absolute.
 */
export function checkCase(table: readonly KernelEntry[], op: string, name: string, rtol = 0): void {
  const c = GRAD_CASES[name];
  assert.ok(c, `no case ${name}`);
  const [got] = run(table, op, c.inputs.map(tensorOf), rawAttrs(c.attrs));
  assert.deepEqual(got!.shape, c.out.shape, `${name}: shape`);
  const values = Array.from(got!.dataSync() as ArrayLike<number>);
  const want = c.out.bits ? Array.from(floats(c.out.bits)) : c.out.ints!;
  values.forEach((v, i) => {
    const w = want[i]!;
    const ok = rtol === 0 ? Object.is(v, w) || (Number.isNaN(v) && Number.isNaN(w)) : Math.abs(v - w) <= rtol * Math.abs(w) + 1e-6;
    assert.ok(ok, `${name}[${i}]: ${v}, TF ${w}`);
  });
}
