/**
 * Stateless random kernels (kernels/random.ts) bit for bit against TF 2.21's CPU kernels:
 * the cases of fixtures/zoo/ops-oracle.json (fixtures/zoo/ops_oracle.py), on both backends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { RANDOM_KERNELS } from '../../../src/runtime/kernels/random.js';
import { run } from './helpers.js';
import { exactValues, num, oracleCases, rawAttrs, toTensor } from './oracle-cases.js';

const CASES = oracleCases((c) => RANDOM_KERNELS.some((k) => k.op === c.op));

for (const backend of ['wasm', 'cpu']) {
  test(`stateless random ops equal TF bit for bit (${backend}, ${CASES.length} cases)`, async () => {
    await initBackend('wasm');
    await tf.setBackend(backend);
    assert.ok(CASES.length >= 60);
    for (const c of CASES) {
      const inputs = c.inputs.map(toTensor);
      if (c.op.includes('Normal')) {
        // Refused: V8's log/sin/cos differ from glibc's logf/sincosf in the last place.
        assert.throws(() => run(RANDOM_KERNELS, c.op, inputs, rawAttrs(c)), /Box-Muller/, c.name);
        continue;
      }
      if (c.error !== undefined) {
        assert.throws(() => run(RANDOM_KERNELS, c.op, inputs, rawAttrs(c)), (e: Error) => e.message.includes(c.error!), c.name);
        continue;
      }
      const outs = run(RANDOM_KERNELS, c.op, inputs, rawAttrs(c));
      c.outputs!.forEach((want, j) => {
        const got = outs[j]!;
        assert.deepEqual(got.shape, want.shape, `${c.name} shape`);
        const exp = want.dtype.startsWith('float') ? want.values.map(num) : want.values;
        assert.deepEqual(exactValues(got, want.dtype), exp, `${c.name} output ${j}`);
      });
      tf.dispose([...inputs, ...outs]);
    }
  });
}

test('stateless random refuses ThreeFry and half outputs rather than answer differently', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const kc = [tf.tensor1d([5], 'int32'), tf.tensor1d([1], 'int32'), tf.tensor1d([0, 0], 'int32')];
  assert.throws(() => run(RANDOM_KERNELS, 'StatelessRandomUniformV2', [...kc, tf.scalar(2, 'int32')]), /ThreeFry/);
  assert.throws(() => run(RANDOM_KERNELS, 'StatelessRandomUniformV2', [...kc, tf.scalar(9, 'int32')]), /Unsupported algorithm id: 9/);
  const half = { _tfs_type_dtype: { s: Buffer.from('DT_HALF').toString('base64') } };
  assert.throws(() => run(RANDOM_KERNELS, 'StatelessRandomUniform', [tf.tensor1d([2], 'int32'), tf.tensor1d([1, 2], 'int32')], half), /DT_HALF/);
});
