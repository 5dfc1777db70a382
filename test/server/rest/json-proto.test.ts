import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSavedModel } from '../../../src/savedmodel/saved-model.js';
import { modelMetadataJson, modelStatusJson } from '../../../src/server/rest/json-proto.js';
import { sharedOrSkip } from '../../helpers/paths.js';

test('status JSON: protobuf printer layout, int64 as string, all rows', () => {
  const text = modelStatusJson([
    { version: 124, state: 'LOADING', status: { errorCode: 'OK', errorMessage: '' } },
    { version: 123, state: 'END', status: { errorCode: 'NOT_FOUND', errorMessage: 'gone "x"' } },
  ]);
  assert.equal(
    text,
    '{\n "model_version_status": [\n  {\n   "version": "124",\n   "state": "LOADING",\n   "status": {\n    "error_code": "OK",\n    "error_message": ""\n   }\n  },\n  {\n   "version": "123",\n   "state": "END",\n   "status": {\n    "error_code": "NOT_FOUND",\n    "error_message": "gone \\"x\\""\n   }\n  }\n ]\n}\n',
  );
});

/** The metadata JSON of a shared fixture, as the REST endpoint prints it, parsed back. */
function metadataOf(dir: string, name: string): unknown {
  const sm = readSavedModel(dir);
  const text = modelMetadataJson({ modelSpec: { name, version: 123 }, signatureDefMap: sm.signatureDefMap as Record<string, unknown> });
  assert.ok(text.startsWith('{\n"model_spec":{\n "name": '), 'upstream concatenation layout');
  assert.ok(text.endsWith('}\n}\n}\n'));
  return JSON.parse(text);
}

test('metadata JSON equals upstream expected files (half_plus_two cpu and 2_versions)', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const cases: [string, string, string][] = [
    ['saved_model_half_plus_two_cpu/00000123', 'default', 'half_plus_two_model_metadata.json'],
    ['saved_model_half_plus_two_2_versions/00000123', 'saved_model_half_plus_two_2_versions', 'saved_model_half_plus_two_2_versions_metadata.json'],
  ];
  for (const [dir, name, expected] of cases) {
    const want = JSON.parse(readFileSync(join(shared, 'expected', expected), 'utf8'));
    assert.deepEqual(metadataOf(join(shared, 'savedmodels', dir), name), want, dir);
  }
});

test('metadata JSON prints SignatureDef.defaults as protobuf JSON (TF2 half_plus_two)', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const got = metadataOf(join(shared, 'savedmodels', 'saved_model_half_plus_two_tf2_cpu/00000123'), 'm') as {
    metadata: { signature_def: { signature_def: Record<string, { defaults: Record<string, Record<string, unknown>> }> } };
  };
  const want = JSON.parse(readFileSync(join(shared, 'expected', 'saved_model_half_plus_two_tf2_2_versions_metadata.json'), 'utf8'));
  const sigs = got.metadata.signature_def.signature_def;
  const x = sigs['serving_default']!.defaults['x']!;
  // The fixture's defaults (x = [0.0]) which the upstream JSON file lacks (README note 3).
  assert.equal(x['dtype'], 'DT_FLOAT');
  assert.deepEqual(x['float_val'] ?? x['tensor_content'], x['float_val'] ? [0] : x['tensor_content']);
  assert.deepEqual(x['tensor_shape'], { dim: [{ size: '1', name: '' }], unknown_rank: false });
  assert.deepEqual(x['string_val'], []);
  // The upstream file predates SignatureDef.defaults on some entries (its init-op signature has
  // no `defaults` key at all): compare with empty defaults dropped on both sides.
  const dropEmptyDefaults = (m: Record<string, { defaults?: object }>): void => {
    for (const s of Object.values(m)) if (s.defaults && Object.keys(s.defaults).length === 0) delete s.defaults;
  };
  sigs['serving_default']!.defaults = {};
  dropEmptyDefaults(sigs);
  dropEmptyDefaults(want.metadata.signature_def.signature_def);
  assert.deepEqual(got.metadata.signature_def, want.metadata.signature_def);
});
