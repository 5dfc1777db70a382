/**
 * Linear algebra kernels (kernels/linalg.ts) against TF 2.21: the cases of
 * fixtures/zoo/ops-oracle.json (fixtures/zoo/ops_oracle.py), on both backends. float64 results
 * within 1e-12 relative of TF's (Eigen computes in another order); float32 within float32
 * rounding of TF's float32 computation (1e-4 relative to the largest magnitude of the output).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { LINALG_KERNELS } from '../../../src/runtime/kernels/linalg.js';
import { run } from './helpers.js';
import { exactValues, num, oracleCases, rawAttrs, toTensor, type OracleCase } from './oracle-cases.js';

const CASES = oracleCases((c) => LINALG_KERNELS.some((k) => k.op === c.op));

/** The largest error relative to the output's largest magnitude, per case (NaN/Inf must match). */
export function relError(c: OracleCase, outs: tf.Tensor[]): number {
  let worst = 0;
  c.outputs!.forEach((want, j) => {
    assert.deepEqual(outs[j]!.shape, want.shape, `${c.name} shape`);
    const got = exactValues(outs[j]!, want.dtype) as number[];
    const exp = want.values.map(num);
    const scale = Math.max(1e-30, ...exp.filter(Number.isFinite).map(Math.abs));
    exp.forEach((w, i) => {
      // A failed Cholesky's upper triangle is uninitialized memory in TF.
      if (c.name.startsWith('chol_bad') && i % want.shape.at(-1)! > Math.floor(i / want.shape.at(-1)!) % want.shape.at(-2)!) return;
      if (!Number.isFinite(w)) assert.ok(Object.is(got[i], w) || (Number.isNaN(w) && Number.isNaN(got[i]!)), `${c.name}[${i}] ${got[i]} vs ${w}`);
      else worst = Math.max(worst, Math.abs(got[i]! - w) / scale);
    });
  });
  return worst;
}

for (const backend of ['wasm', 'cpu']) {
  test(`linalg ops agree with TF (${backend}, ${CASES.length} cases)`, async () => {
    await initBackend('wasm');
    await tf.setBackend(backend);
    assert.ok(CASES.length >= 36);
    for (const c of CASES) {
      const inputs = c.inputs.map(toTensor);
      if (c.error !== undefined) {
        assert.throws(() => run(LINALG_KERNELS, c.op, inputs, rawAttrs(c)), (e: Error) => e.message === c.error, c.name);
        continue;
      }
      const outs = run(LINALG_KERNELS, c.op, inputs, rawAttrs(c));
      const tol = c.outputs![0]!.dtype === 'float64' ? 1e-12 : 1e-5;
      const err = relError(c, outs);
      assert.ok(err <= tol, `${c.name}: relative error ${err} > ${tol}`);
      tf.dispose([...inputs, ...outs]);
    }
  });
}
