/**
 * The load policy for signatures the runtime cannot serve (model-runtime.ts): problems of
 * some signatures leave those out; a problem of the model itself (the init op, anything not
 * one signature's) or of every signature refuses the model as one error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, TfsError } from '../../src/errors.js';
import { problemsBySignature } from '../../src/runtime/model-runtime.js';
import { lookupType } from '../../src/proto/root.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { makeTensor } from '../../src/tensor/tensor.js';
import { repoRoot } from '../helpers/paths.js';

const unsupported = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'unsupported', '1');

test('problemsBySignature: ops and errors per signature; undefined when a problem is the init op or no signature', () => {
  const ops = new Map([
    ['BesselK0e', new Set(['a', 'b'])],
    ['Const int64 beyond int32', new Set(['b'])],
  ]);
  assert.deepEqual(
    problemsBySignature(['a', 'b', 'c'], ops, ['a: input s is not a dense tensor']),
    new Map([
      ['a', { ops: ['BesselK0e'], errors: ['input s is not a dense tensor'] }],
      ['b', { ops: ['BesselK0e', 'Const int64 beyond int32'], errors: [] }],
    ]),
  );
  assert.deepEqual(problemsBySignature(['a'], new Map(), []), new Map());
  assert.equal(problemsBySignature(['a', 'b'], new Map([['HashTableV2', new Set(['init op'])]]), []), undefined);
  assert.equal(problemsBySignature(['a', 'b'], new Map(), ['init op: cycle through node x']), undefined);
});

test('a model whose every signature needs an unsupported op is refused, listing them all', async (t) => {
  // The fixture without its one supported signature (c).
  const dir = mkdtempSync(join(tmpdir(), 'tfs-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const SavedModel = lookupType('tensorflow.SavedModel');
  const sm = SavedModel.toObject(SavedModel.decode(readFileSync(join(unsupported, 'saved_model.pb'))), { longs: String, bytes: Array }) as {
    meta_graphs: { signature_def: Record<string, unknown> }[];
  };
  for (const mg of sm.meta_graphs) delete mg.signature_def['c'];
  writeFileSync(join(dir, 'saved_model.pb'), SavedModel.encode(SavedModel.fromObject(sm)).finish());
  symlinkSync(join(unsupported, 'variables'), join(dir, 'variables'));
  await assert.rejects(loadSavedModelServable('none', 1, dir, { backend: 'cpu' }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.equal(e.message, 'Model none version 1: The model uses operations that tfs does not support: BesselK0e (needed by a, b)');
    return true;
  });
});

test('the served signature of a partial model runs; unserved ones answer UNIMPLEMENTED from run() too', async (t) => {
  const s = await loadSavedModelServable('p', 1, unsupported, { backend: 'cpu' });
  t.after(() => s.dispose());
  assert.deepEqual([...s.signatures.keys()], ['a', 'b', 'c']);
  assert.deepEqual([...(s.unservedSignatures ?? new Map()).entries()].map(([k, u]) => [k, u.reason]), [
    ['a', 'needs BesselK0e'],
    ['b', 'needs BesselK0e'],
  ]);
  const x = makeTensor('DT_FLOAT', [2], new Float32Array([1, 2]));
  const out = await s.run('c', { x });
  assert.deepEqual([...(out['y']!.data as Float32Array)], [2, 4]);
  await assert.rejects(s.run('b', { x }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.equal(e.message, 'Model p version 1: The model uses operations that tfs does not support: BesselK0e (needed by b)');
    return true;
  });
});
