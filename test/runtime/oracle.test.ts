/**
 * Correctness suite: every signature of every shared fixture and zoo model, run on
 * TensorFlow's oracle inputs through the production loader (loadSavedModelServable), must
 * match TensorFlow's outputs: same dtype and shape, integers exactly, floats within
 * RTOL = 1e-5 relative plus an absolute floor ATOL = 1e-6 for values near 0. Run on the
 * wasm and the cpu backends (the oracle batches are at most 7 rows, so cpu runs them all).
 * The counter model's calls are stateful and run in file order (get, incr, reset, incr,
 * incr_by 3 → 0, 1, 0, 1, 4).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TfsError } from '../../src/errors.js';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { ModelServable } from '../../src/core/servable.js';
import { sharedOrSkip } from '../helpers/paths.js';
import { ATOL, RTOL, mismatch, oracleCases } from './oracle-data.js';

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`every shared and zoo signature matches TensorFlow on ${backend}`, async (t) => {
    const shared = sharedOrSkip(t);
    if (!shared) return;
    await initBackend('wasm');
    const cases = oracleCases(shared);
    const servables = new Map<string, ModelServable>();
    const failures: string[] = [];
    const signatures = new Map<string, boolean>();
    let calls = 0;
    let matched = 0;
    try {
      for (const c of cases) {
        let s = servables.get(c.dir);
        if (!s) {
          s = await loadSavedModelServable(c.model, c.version, c.dir, { backend });
          servables.set(c.dir, s);
        }
        const sigKey = `${c.model}/${c.version}:${c.signature}`;
        calls++;
        const before = tf.memory().numTensors;
        let problem: string | undefined;
        try {
          const out = await s.run(c.signature, c.inputs);
          for (const [alias, want] of Object.entries(c.outputs)) {
            const m = mismatch(out[alias], want);
            if (m) problem = `${alias}: ${m}`;
          }
        } catch (e) {
          problem = `run failed: ${(e as Error).message}`;
        }
        const after = tf.memory().numTensors;
        if (after !== before) problem = `${problem ?? ''} leaked ${after - before} tensors`;
        if (problem) failures.push(`${c.where} ${sigKey}: ${problem}`);
        else matched++;
        signatures.set(sigKey, (signatures.get(sigKey) ?? true) && !problem);
      }
    } finally {
      for (const s of servables.values()) await s.dispose();
    }
    const sigOk = [...signatures.values()].filter(Boolean).length;
    t.diagnostic(
      `${backend}: ${sigOk}/${signatures.size} signatures matched TensorFlow (${matched}/${calls} oracle calls, ` +
        `${servables.size} model versions; tolerance ${RTOL} relative + ${ATOL} absolute)`,
    );
    assert.deepEqual(failures, []);
    assert.ok(calls > 0 && matched === calls);
  });
}

test('bad_half_plus_two (a legacy session bundle, not a SavedModel) fails to load with a clear error', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const dir = join(shared, 'savedmodels', 'bad_half_plus_two', '00000123');
  await assert.rejects(loadSavedModelServable('bad_half_plus_two', 123, dir), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.match(e.message, /Could not find SavedModel \.pb or \.pbtxt at supplied export directory path/);
    return true;
  });
});
