/** TensorFlow's outputs for the project's fixture models (fixtures/models/oracle.jsonl). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers/paths.js';

export interface OracleTensor {
  dtype: string;
  shape: number[];
  values: unknown;
}

export interface OracleCall {
  model: string;
  version: number;
  signature: string;
  inputs: Record<string, OracleTensor>;
  outputs: Record<string, OracleTensor>;
}

export function oracle(): OracleCall[] {
  return readFileSync(join(fixtures, 'models', 'oracle.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OracleCall);
}

/** The oracle call for `model`/`version` whose first input has `rows` rows. */
export function oracleCall(model: string, version: number, rows: number): OracleCall {
  const c = oracle().find((o) => o.model === model && o.version === version && Object.values(o.inputs)[0]!.shape[0] === rows);
  assert.ok(c, `no oracle call for ${model} v${version} with ${rows} rows`);
  return c;
}

/** Asserts `actual` (nested arrays or flat) equals `expected` within TF-vs-tfjs float tolerance (1e-5 rel + 1e-6 abs). */
export function assertClose(actual: unknown, expected: unknown, what = 'values'): void {
  const a = [actual].flat(Infinity) as number[];
  const e = [expected].flat(Infinity) as number[];
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = 1e-6 + 1e-5 * Math.abs(e[i]!);
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}
