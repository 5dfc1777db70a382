/**
 * GetModelMetadata over gRPC on real SavedModels against upstream's expected responses
 * (../shared/fixtures/expected/*.json). Only the SavedModel reader is involved: the
 * servables here come from readSavedModel (they are never run).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { protoFiles, protosDir } from '../../../src/proto/root.js';
import { readSavedModel } from '../../../src/savedmodel/saved-model.js';
import type { ModelServable } from '../../../src/core/servable.js';
import { FakeCore } from '../../helpers/fake-core.js';
import { fixtures, hasShared, sharedFixtures, sharedOrSkip } from '../../helpers/paths.js';
import { call } from './client.js';
import { type Harness, startGrpc } from './harness.js';

function metadataOnly(name: string, version: number, dir: string): ModelServable {
  const sm = readSavedModel(dir);
  return {
    name,
    version,
    signatures: sm.signatures,
    signatureDefMap: sm.signatureDefMap,
    run: () => Promise.reject(new Error('metadata-only servable')),
    dispose: async () => undefined,
  };
}

let h: Harness;
let signatureDefMapType: protobuf.Type;

before(async () => {
  const core = new FakeCore();
  const add = (name: string, version: number, dir: string): void => {
    const s = metadataOnly(name, version, dir);
    core.models.set(name, { versions: new Map([[version, { servable: s as never, state: 'AVAILABLE' }]]), labels: new Map() });
  };
  add('half_plus_two', 123, join(fixtures, 'models', 'half_plus_two', '00000123'));
  if (hasShared) {
    const sm = join(sharedFixtures, 'savedmodels');
    add('default', 123, join(sm, 'saved_model_half_plus_two_cpu', '00000123'));
    add('saved_model_half_plus_two_2_versions', 123, join(sm, 'saved_model_half_plus_two_2_versions', '00000123'));
    add('tf2', 123, join(sm, 'saved_model_half_plus_two_tf2_cpu', '00000123'));
  }
  h = await startGrpc({ core });
  // Our own Root (not the server's) to open the Any.
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (target.startsWith('google/protobuf/') ? target : join(protosDir, target));
  root.loadSync(protoFiles(), { keepCase: true });
  signatureDefMapType = root.lookupType('tensorflow.serving.SignatureDefMap');
});

after(() => h.close());

/** The Any's SignatureDefMap in proto3 JSON form with defaults, as upstream's expected files print it. */
async function metadataJson(name: string): Promise<{ model_spec: unknown; signature_def: Record<string, unknown> }> {
  const r = await call(h.prediction, 'GetModelMetadata', { model_spec: { name }, metadata_field: ['signature_def'] });
  assert.equal(r.err, null, r.err?.details);
  const any = r.res.metadata.signature_def;
  assert.equal(any.type_url, 'type.googleapis.com/tensorflow.serving.SignatureDefMap');
  const obj = signatureDefMapType.toObject(signatureDefMapType.decode(any.value), {
    longs: String,
    enums: String,
    defaults: true,
    oneofs: false,
  });
  // Unset message fields come out as null with `defaults`; JSON printing omits them.
  const json = JSON.parse(JSON.stringify(obj, (_k, v: unknown) => (v === null ? undefined : v))) as { signature_def: Record<string, unknown> };
  return { model_spec: r.res.model_spec, signature_def: json.signature_def };
}

function expected(file: string): { signature_def: Record<string, unknown> } {
  const e = JSON.parse(readFileSync(join(sharedFixtures, 'expected', file), 'utf8')) as {
    metadata: { signature_def: { signature_def: Record<string, unknown> } };
  };
  return { signature_def: e.metadata.signature_def.signature_def };
}

test('project fixture half_plus_two: every SignatureDef of the MetaGraph, TensorInfo as stored', async () => {
  const got = await metadataJson('half_plus_two');
  assert.deepEqual(got.model_spec, { name: 'half_plus_two', version: { value: '123' }, version_choice: 'version' });
  assert.ok(Object.hasOwn(got.signature_def, 'serving_default'));
  const sd = got.signature_def['serving_default'] as { method_name: string; inputs: Record<string, { dtype: string; name: string }> };
  assert.equal(sd.method_name, 'tensorflow/serving/predict');
  assert.equal(sd.inputs['x']?.dtype, 'DT_FLOAT');
});

test('upstream half_plus_two_model_metadata.json (saved_model_half_plus_two_cpu served as "default")', async (t) => {
  if (!sharedOrSkip(t)) return;
  assert.deepEqual((await metadataJson('default')).signature_def, expected('half_plus_two_model_metadata.json').signature_def);
});

test('upstream saved_model_half_plus_two_2_versions_metadata.json', async (t) => {
  if (!sharedOrSkip(t)) return;
  assert.deepEqual(
    (await metadataJson('saved_model_half_plus_two_2_versions')).signature_def,
    expected('saved_model_half_plus_two_2_versions_metadata.json').signature_def,
  );
});

test('upstream saved_model_half_plus_two_tf2_2_versions_metadata.json (apart from serving_default.defaults, see fixtures README note 3)', async (t) => {
  if (!sharedOrSkip(t)) return;
  const got = (await metadataJson('tf2')).signature_def;
  const want = expected('saved_model_half_plus_two_tf2_2_versions_metadata.json').signature_def;
  // The served model declares SignatureDef.defaults x=[0.0] that the upstream JSON (of another export) lacks.
  const sd = got['serving_default'] as { defaults: Record<string, unknown> };
  assert.deepEqual(Object.keys(sd.defaults), ['x']);
  sd.defaults = {};
  // That JSON also prints no `defaults` key for __saved_model_init_op (an empty map either way on the wire).
  const dropEmptyDefaults = (m: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(m).map(([k, v]) => {
        const { defaults, ...rest } = v as { defaults?: Record<string, unknown> };
        return [k, defaults && Object.keys(defaults).length > 0 ? v : rest];
      }),
    );
  assert.deepEqual(dropEmptyDefaults(got), dropEmptyDefaults(want));
});
