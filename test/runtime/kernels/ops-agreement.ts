/**
 * Prints, per op of kernels/random.ts, linalg.ts and special.ts, the agreement with TF 2.21 over
 * the cases of fixtures/zoo/ops-oracle.json: values compared, values bit-identical, the largest
 * distance in ulps of the output type, and the largest absolute and relative error (finite values).
 *
 *   npx tsc -p tsconfig.json && node dist/test/runtime/kernels/ops-agreement.js [wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { LINALG_KERNELS } from '../../../src/runtime/kernels/linalg.js';
import { RANDOM_KERNELS } from '../../../src/runtime/kernels/random.js';
import { SPECIAL_KERNELS } from '../../../src/runtime/kernels/special.js';
import type { KernelEntry } from '../../../src/runtime/kernels/types.js';
import { run } from './helpers.js';
import { exactValues, num, oracleCases, rawAttrs, toTensor, type OracleCase } from './oracle-cases.js';
import { ulps } from './oracle-cases.js';

interface Row { n: number; same: number; ulp: number; abs: number; rel: number; refused: number }

function measure(table: readonly KernelEntry[], c: OracleCase, row: Row): void {
  const inputs = c.inputs.map(toTensor);
  let outs: tf.Tensor[];
  try {
    outs = run(table, c.op, inputs, rawAttrs(c));
  } catch {
    row.refused++;
    return;
  }
  c.outputs!.forEach((want, j) => {
    const got = exactValues(outs[j]!, want.dtype);
    const f32 = want.dtype === 'float32';
    const cols = want.shape.at(-1) ?? 1;
    want.values.forEach((w, i) => {
      // A failed Cholesky's upper triangle is uninitialized memory in TF.
      if (c.name.startsWith('chol_bad') && i % cols > Math.floor(i / cols) % cols) return;
      row.n++;
      const g = got[i]!;
      if (!want.dtype.startsWith('float')) {
        if (String(g) === String(w)) row.same++;
        else row.ulp = Infinity;
        return;
      }
      const wn = num(w);
      const u = ulps(g as number, wn, f32);
      if (u === 0) row.same++;
      row.ulp = Math.max(row.ulp, u);
      if (Number.isFinite(wn)) {
        const d = Math.abs((g as number) - wn);
        row.abs = Math.max(row.abs, d);
        if (wn !== 0) row.rel = Math.max(row.rel, d / Math.abs(wn));
      }
    });
  });
  tf.dispose([...inputs, ...outs]);
}

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'wasm';
  await initBackend('wasm');
  await tf.setBackend(backend);
  const rows = new Map<string, Row>();
  for (const table of [RANDOM_KERNELS, LINALG_KERNELS, SPECIAL_KERNELS]) {
    for (const c of oracleCases((k) => table.some((e) => e.op === k.op) && k.outputs !== undefined)) {
      const key = `${c.op} ${c.outputs![0]!.dtype}`;
      const row = rows.get(key) ?? { n: 0, same: 0, ulp: 0, abs: 0, rel: 0, refused: 0 };
      measure(table, c, row);
      rows.set(key, row);
    }
  }
  process.stdout.write(`backend ${backend}\n| op dtype | values | identical | max ulp | max abs | max rel | cases refused |\n| --- | --- | --- | --- | --- | --- | --- |\n`);
  for (const [k, r] of rows) {
    process.stdout.write(`| ${k} | ${r.n} | ${r.same} | ${r.ulp} | ${r.abs.toExponential(2)} | ${r.rel.toExponential(2)} | ${r.refused} |\n`);
  }
}

await main();
