/**
 * float16/bfloat16 never drift from TF (src/runtime/half-policy.ts): each op's result is
 * rounded to the type as TF rounds it, composite ops TF accumulates in the narrow type are
 * refused at load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { halfPlan } from '../../src/runtime/half-policy.js';
import { roundToNarrow } from '../../src/runtime/kernels/half.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { repoRoot } from '../helpers/paths.js';
import { mismatch, oracleFile } from './oracle-data.js';

const types = (t: Record<string, string>) => (a: string): string => t[a] ?? '';

test('float16/bfloat16 nodes: rounded, passed or refused', () => {
  assert.deepEqual(halfPlan('AddV2', types({ T: 'DT_HALF' })), { round: 'half' });
  assert.deepEqual(halfPlan('MatMul', types({ T: 'DT_BFLOAT16' })), { round: 'bfloat16' });
  assert.deepEqual(halfPlan('Cast', types({ SrcT: 'DT_FLOAT', DstT: 'DT_HALF' })), { round: 'half' });
  assert.equal(halfPlan('Cast', types({ SrcT: 'DT_HALF', DstT: 'DT_FLOAT' })), undefined);
  assert.equal(halfPlan('Reshape', types({ T: 'DT_HALF' })), undefined);
  assert.equal(halfPlan('AddV2', types({ T: 'DT_FLOAT' })), undefined);
  assert.deepEqual(halfPlan('Sum', types({ T: 'DT_HALF' })), { refuse: 'Sum on float16' });
  assert.deepEqual(halfPlan('Softmax', types({ T: 'DT_HALF' })), { refuse: 'Softmax on float16' });
  assert.deepEqual(halfPlan('Mean', types({ T: 'DT_BFLOAT16' })), { refuse: 'Mean on bfloat16' });
});

test('roundToNarrow rounds to nearest even, overflows to infinity', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // np.float16([1 + 2**-11, 1 + 3 * 2**-11, 70000, 1e-8, -0.1]), bfloat16(1 + 2**-8)
  const h = roundToNarrow(tf.tensor1d([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 1e-8, -0.1]), 'half');
  assert.deepEqual(Array.from(h.dataSync()), [1, 1 + 2 ** -9, Infinity, 0, Math.fround(-0.0999755859375)]);
  assert.deepEqual(Array.from(roundToNarrow(tf.tensor1d([1 + 2 ** -8, 3]), 'bfloat16').dataSync()), [1, 3]);
});

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`a Keras mixed_float16 model gives TF's float32 outputs (${backend})`, async () => {
    await initBackend('wasm');
    const zoo = join(repoRoot, 'fixtures', 'zoo');
    const lines = readFileSync(join(zoo, 'oracle.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"model": "k3_mixed_float16"'));
    const dir = mkdtempSync(join(tmpdir(), 'tfs-half-'));
    writeFileSync(join(dir, 'oracle.jsonl'), lines.join('\n'));
    const cases = oracleFile(join(dir, 'oracle.jsonl'), join(zoo, 'models'), 'fixtures/zoo/oracle.jsonl');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(cases.length, 6);
    const s = await loadSavedModelServable('k3_mixed_float16', 1, cases[0]!.dir, { backend });
    try {
      for (const c of cases) {
        const out = await s.run(c.signature, c.inputs);
        for (const [alias, want] of Object.entries(c.outputs)) assert.equal(mismatch(out[alias], want), undefined, `${c.signature} ${alias}`);
      }
    } finally {
      await s.dispose();
    }
  });
}
