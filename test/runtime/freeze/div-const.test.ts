/**
 * Division by a constant (freeze/div-const.ts) on the zoo model image_resize_exact, written by
 * TensorFlow: TF Serving's Grappler computes x / c as x * fl(1/c), so tfs freezes such a float32
 * RealDiv as a Mul by a Reciprocal, and keeps a division whose divisor is computed at run time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freezeSavedModel } from '../../../src/runtime/freeze/index.js';
import { isExecutableOp } from '../../../src/runtime/model-runtime.js';
import { freezeSourceOf } from '../../../src/runtime/source.js';
import { readSavedModel } from '../../../src/savedmodel/saved-model.js';
import { loadSavedModelServable } from '../../../src/servables/saved-model-servable.js';
import { repoRoot } from '../../helpers/paths.js';

const dir = join(repoRoot, 'fixtures', 'zoo', 'models', 'image_resize_exact', '1');
const f32 = Math.fround;

test('a float32 RealDiv by a constant is frozen as Mul by its Reciprocal; by a computed divisor it stays a RealDiv', () => {
  const frozen = freezeSavedModel(freezeSourceOf(readSavedModel(dir)), { modelId: 0, isExecutable: isExecutableOp });
  const ops = frozen.graph.node.map((n) => n.op);
  const recips = frozen.graph.node.filter((n) => n.op === 'Reciprocal' && n.name.endsWith('/_tfs_reciprocal'));
  assert.ok(recips.length >= 3, `reciprocals: ${recips.map((n) => n.name).join(', ')}`);
  // resize_with_pad divides the image size by the ratio it computes: a true division, as in TF
  assert.ok(ops.includes('RealDiv'));
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`x / 24.0 answers TF's x * fl(1/24) on ${backend} (23 / 24: 0.9583334, not the quotient 0.9583333)`, async () => {
    const s = await loadSavedModelServable('div', 1, dir, { backend });
    try {
      const out = await s.run('div', { x: { dtype: 'DT_INT32', shape: [1, 4], data: Int32Array.of(23, 23, 23, 23) } });
      const got = [...(out['per_row']!.data as Float32Array)];
      const want = [3, 7, 24, 0.1].map((c) => f32(23 * f32(1 / f32(c))));
      assert.deepEqual(got, want);
      assert.notEqual(want[2], f32(23 / 24)); // the case that tells the two apart
    } finally {
      await s.dispose();
    }
  });
}

const idsDir = join(repoRoot, 'fixtures', 'zoo', 'models', 'int64_ids_as_string', '1');

for (const backend of ['wasm', 'cpu'] as const) {
  test(`a float64 x / 3.0 answers TF's x * fl(1/3) on ${backend} (as_string shows the last bits)`, async () => {
    // TF 2.21: as_string(cast(27207843771247, float64) / 3.0, precision=3) = 9069281257082.332
    // (x * fl(1/3)); the true quotient is 9069281257082.333984375, printed .334
    const s = await loadSavedModelServable('ids', 1, idsDir, { backend });
    try {
      const x = BigInt64Array.of(27207843771247n, 9007199254740993n);
      const out = await s.run('ids', { x: { dtype: 'DT_INT64', shape: [1, 2], data: x } });
      const f64 = (out['f64']!.data as unknown as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1'));
      assert.equal(f64[0], '9069281257082.332');
      const text = (out['text']!.data as unknown as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1'));
      assert.deepEqual(text, ['27207843771247', '9007199254740993']);
    } finally {
      await s.dispose();
    }
  });
}
