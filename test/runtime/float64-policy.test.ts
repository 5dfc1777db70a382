/**
 * float64 never gives a different answer (src/runtime/float64-policy.ts, FINDINGS W1/W5):
 * computing ops are refused at load with op, dtype and signatures; exact ops, casts and
 * float32-exact values pass.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { float64Refusal } from '../../src/runtime/float64-policy.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { fixtures } from '../helpers/paths.js';

const types = (t: Record<string, string>) => (a: string): string => t[a] ?? '';

test('nodes computing in float64 are refused, exact ones pass', () => {
  assert.equal(float64Refusal('AddV2', types({ T: 'DT_DOUBLE' })), 'AddV2 on float64');
  assert.equal(float64Refusal('MatMul', types({ T: 'DT_DOUBLE' })), 'MatMul on float64');
  assert.equal(float64Refusal('AddV2', types({ T: 'DT_FLOAT' })), undefined);
  // Round (half to even, as tfjs) of a float32 value is that float32 value's rounding (Keras RandAugment rounds float64)
  for (const op of ['Identity', 'Reshape', 'ConcatV2', 'Greater', 'Maximum', 'Neg', 'GatherV2', 'Round']) {
    assert.equal(float64Refusal(op, types({ T: 'DT_DOUBLE' })), undefined, op);
  }
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_UINT16', DstT: 'DT_DOUBLE' })), undefined);
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_UINT32', DstT: 'DT_DOUBLE' })), 'Cast uint32 to float64');
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_INT64', DstT: 'DT_DOUBLE' })), 'Cast int64 to float64');
  assert.equal(float64Refusal('Cast', types({ SrcT: 'DT_DOUBLE', DstT: 'DT_FLOAT' })), undefined);
});

test('a TF model computing in float64 loads and gives TF\'s float64 answers (dtype_float64 of the zoo)', async () => {
  const dir = join(fixtures, 'zoo', 'models', 'dtype_float64', '1');
  const s = await loadSavedModelServable('f64', 1, dir, { backend: 'cpu' });
  try {
    const x = { x: { dtype: 'DT_DOUBLE' as const, shape: [1, 3], data: Float64Array.of(1.00000000005, 1.000000000001, 1.0) } };
    // TF 2.21: tiny_diff d = (x - 1) * 1e12, gt = x > 1 + 5e-11; matmul with 1 + k·1e-9; to_f32.
    const tiny = await s.run('tiny_diff', x);
    assert.deepEqual([...(tiny['d']!.data as Float64Array)], [50.00000413701855, 1.000088900582341, 0.0]);
    assert.deepEqual([...(tiny['gt']!.data as Uint8Array)], [0, 0, 0]);
    const mm = await s.run('matmul', x);
    assert.deepEqual([...(mm['y']!.data as Float64Array)], [3.0000000090510004, 3.000000012051, 3.0000000150509996]);
    const f = await s.run('to_f32', x);
    assert.deepEqual([...(f['f32']!.data as Float32Array)], [1, 1, 1]);
    assert.deepEqual([...(f['i']!.data as BigInt64Array)], [1000000000050n, 1000000000001n, 1000000000000n]);
  } finally {
    await s.dispose();
  }
});
