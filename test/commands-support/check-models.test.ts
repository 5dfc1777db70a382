/** `tfs validate --check-models`: every model loaded as serve loads it, errors in serve's words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { checkModels } from '../../src/commands-support/check-models.js';
import { ServerCore } from '../../src/server/server-core.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { fixtures, repoRoot } from '../helpers/paths.js';

const halfPlusTwo = join(fixtures, 'models', 'half_plus_two');
const myModel = join(fixtures, 'models', 'my_model');
const unsupported = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'unsupported');

function tempConfig(t: { after: (fn: () => void) => void }, models: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-check-models-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'models.config');
  writeFileSync(file, `model_config_list {\n${models}}\n`);
  return { dir, file };
}

const model = (name: string, basePath: string, policy = ''): string =>
  `  config { name: "${name}" base_path: "${basePath}" model_platform: "tensorflow" ${policy}}\n`;

test('--check-models: good models load, one without its unsupported signatures; a missing base path and an empty one fail; exit 1', async (t) => {
  const { dir, file } = tempConfig(t, '');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(
    file,
    `model_config_list {\n${model('half_plus_two', halfPlusTwo)}${model('my_model', myModel, 'model_version_policy { all {} } ')}${model('bad', unsupported)}${model('gone', join(dir, 'nope'))}${model('empty', empty)}}\n`,
  );
  const r = await runCliInProcess(['validate', '--check-models', '--backend', 'wasm', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /: valid\n/);
  assert.match(r.stdout, /model half_plus_two: loads; loaded version 123 \(\d+ ms\)\n/);
  assert.match(r.stdout, /model my_model: loads; loaded versions 1 \(\d+ ms\), 2 \(\d+ ms\)\n/);
  assert.match(r.stdout, /model bad: loads; loaded version 1 \(\d+ ms\)\n {4}version 1 serves c; not served \(each request answers UNIMPLEMENTED\): a \(needs BesselK0e\); b \(needs BesselK0e\)\n/);
  assert.match(r.stdout, /2 of 5 models would fail to load\n$/);
  assert.ok(r.stderr.includes(`model gone: Could not find base path ${join(dir, 'nope')} for servable gone`), r.stderr);
  assert.ok(r.stderr.includes(`model empty: No versions of servable empty found under base path ${empty}.`), r.stderr);
});

test('--check-models --refuse_partial_models: the model with unsupported signatures fails with the load error listing every op', async (t) => {
  const { file } = tempConfig(t, model('bad', unsupported));
  const r = await runCliInProcess(['validate', '--check-models', '--refuse_partial_models', '--backend', 'wasm', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /model bad: FAILS\n/);
  assert.ok(
    r.stderr.includes(
      'model bad: {name: bad version: 1} due to error: UNIMPLEMENTED: Model bad version 1: The model uses operations that tfs does not support: BesselK0e (needed by a, b)',
    ),
    r.stderr,
  );
});

test('--check-models --json: the report validates, carries each version and its unserved signatures; valid is false with --refuse_partial_models', async (t) => {
  const { file } = tempConfig(t, model('half_plus_two', halfPlusTwo) + model('bad', unsupported));
  const partial = await runCliInProcess(['validate', '--check-models', '--backend', 'wasm', '--json', file]);
  assert.equal(partial.code, 0, partial.stderr);
  const served = JSON.parse(partial.stdout) as { valid: boolean; modelChecks: { models: { versions: { servedSignatures?: string[]; unservedSignatures?: { key: string; reason: string }[] }[] }[] }[] };
  assert.equal(served.valid, true);
  assert.deepEqual(served.modelChecks[0]!.models[1]!.versions[0]!.servedSignatures, ['c']);
  assert.deepEqual(served.modelChecks[0]!.models[1]!.versions[0]!.unservedSignatures, [
    { key: 'a', reason: 'needs BesselK0e' },
    { key: 'b', reason: 'needs BesselK0e' },
  ]);
  const r = await runCliInProcess(['validate', '--check-models', '--refuse_partial_models', '--backend', 'wasm', '--json', file]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { valid: boolean; modelChecks: { file: string; models: { name: string; ok: boolean; versions: { version: number; ok: boolean; code?: string }[] }[] }[] };
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'validate.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  assert.ok(validate(served), JSON.stringify(validate.errors));
  assert.equal(doc.valid, false);
  assert.deepEqual(
    doc.modelChecks[0]!.models.map((m) => [m.name, m.ok, m.versions.map((v) => [v.version, v.ok, v.code])]),
    [
      ['half_plus_two', true, [[123, true, undefined]]],
      ['bad', false, [[1, false, 'UNIMPLEMENTED']]],
    ],
  );
});

test('the error entry is the one tfs serve start-up fails with for the same model', async () => {
  const config = { models: [{ name: 'bad', basePath: unsupported, modelPlatform: 'tensorflow', versionPolicy: { kind: 'latest' as const, numVersions: 1 }, versionLabels: {} }] };
  const [check] = await checkModels(config.models, { backend: 'wasm', refusePartialModels: true });
  const entry = check!.versions[0]!.error!;
  await assert.rejects(
    ServerCore.create(config, { loader: (n, v, d) => loadSavedModelServable(n, v, d, { backend: 'wasm', refusePartialModels: true }), fileSystemPollWaitSeconds: 0, maxNumLoadRetries: 0 }),
    (e: Error) => {
      assert.ok(e.message.includes(entry), `${e.message}\nlacks\n${entry}`);
      return true;
    },
  );
});

test('an s3:// model is downloaded, loaded and checked, and its copy removed; a missing bucket is a model error', async (t) => {
  const { startS3Server } = await import('../helpers/s3-server.js');
  const s3 = await startS3Server(['models']);
  const cache = mkdtempSync(join(tmpdir(), 'tfs-check-models-s3-'));
  Object.assign(process.env, s3.env, { TFS_MODEL_CACHE_DIR: cache });
  t.after(async () => {
    await s3.close();
    rmSync(cache, { recursive: true, force: true });
  });
  await s3.putTree(join(halfPlusTwo, '00000123'), 'models', 'hp/123');
  const policy = { kind: 'latest' as const, numVersions: 1 };
  const [ok, missing] = await checkModels(
    [
      { name: 'hp', basePath: 's3://models/hp', modelPlatform: 'tensorflow', versionPolicy: policy, versionLabels: {} },
      { name: 'gone', basePath: 's3://nobucket/hp', modelPlatform: 'tensorflow', versionPolicy: policy, versionLabels: {} },
    ],
    { backend: 'wasm' },
  );
  assert.deepEqual([ok!.ok, ok!.versions.map((v) => [v.version, v.ok])], [true, [[123, true]]]);
  assert.match(missing!.errors[0] ?? '', /^Could not find base path s3:\/\/nobucket\/hp for servable gone with error NOT_FOUND: bucket nobucket does not exist/);
  assert.deepEqual(readdirSync(cache), [], 'the downloaded copy is removed after the check');
});
