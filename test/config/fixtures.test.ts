/**
 * Every config we ship (fixtures/configs/{demo,tutorial,valid}) and every upstream config in
 * ../shared/fixtures/configs is read as tensorflow_model_server reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';
import { validateConfigFiles, validateConfigText } from '../../src/config/validate-files.js';
import { loadModelServerConfig, parseModelServerConfig } from '../../src/config/model-server-config.js';
import { loadBatchingParameters } from '../../src/config/batching.js';
import { ConfigError } from '../../src/config/validation.js';

const configs = join(fixtures, 'configs');

test('every shipped valid config validates, as the kind its name says', () => {
  const expectKind: Record<string, string> = {
    'demo/models.config': 'model_config',
    'demo/batching.config': 'batching',
    'demo/monitoring.config': 'monitoring',
    'tutorial/model_config.pbtxt': 'model_config',
    'tutorial/batching_config.pbtxt': 'batching',
    'valid/every_syntax_form.config': 'model_config',
  };
  // serve-flags.txt holds `npm start`'s command-line flags, not a config file.
  const files = ['demo', 'tutorial', 'valid']
    .flatMap((d) => readdirSync(join(configs, d)).map((f) => `${d}/${f}`))
    .filter((f) => f !== 'demo/serve-flags.txt');
  assert.deepEqual(files.sort(), Object.keys(expectKind).sort());
  for (const f of files) {
    const r = validateConfigFiles([join(configs, f)]).files[0]!;
    assert.equal(r.kind, expectKind[f], f);
    assert.ok(r.valid, `${f}: ${JSON.stringify(r.errors)}`);
  }
});

test('the demo config: half_plus_two and my_model (all versions, labels stable/canary) next to fixtures/models', () => {
  const cfg = loadModelServerConfig(join(configs, 'demo', 'models.config'));
  assert.deepEqual(cfg.models, [
    { name: 'half_plus_two', basePath: join(fixtures, 'models', 'half_plus_two'), modelPlatform: 'tensorflow', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} },
    { name: 'my_model', basePath: join(fixtures, 'models', 'my_model'), modelPlatform: 'tensorflow', versionPolicy: { kind: 'all' }, versionLabels: { stable: 1, canary: 2 } },
  ]);
  const b = loadBatchingParameters(join(configs, 'demo', 'batching.config'));
  assert.deepEqual([b.maxBatchSize, b.batchTimeoutMicros, b.maxEnqueuedBatches, b.numBatchThreads, b.padVariableLengthInputs], [128, 1000, 1000, 4, true]);
});

test("the tutorial's model_config.pbtxt: specific versions 1 and 2, latest 2", () => {
  const cfg = loadModelServerConfig(join(configs, 'tutorial', 'model_config.pbtxt'));
  assert.deepEqual(
    cfg.models.map((m) => [m.name, m.basePath, m.versionPolicy]),
    [
      ['classifier', '/models/classifier', { kind: 'specific', versions: [1, 2] }],
      ['regressor', '/models/regressor', { kind: 'latest', numVersions: 2 }],
    ],
  );
});

test('every syntax form in one file means what it says', () => {
  const cfg = loadModelServerConfig(join(configs, 'valid', 'every_syntax_form.config'));
  const [a, b, c] = cfg.models;
  assert.deepEqual(a, {
    name: 'half_plus_two',
    basePath: '/models/half_plus_two',
    modelPlatform: 'tensorflow',
    versionPolicy: { kind: 'specific', versions: [1, 2, 3] },
    versionLabels: { stable: 1, canary: 2, next: 3 },
    sampling: { samplingRate: 0.5 },
  });
  assert.equal(b!.basePath, 's3://bucket/models/x');
  assert.deepEqual(b!.versionPolicy, { kind: 'latest', numVersions: 2 });
  assert.deepEqual(c!.versionPolicy, { kind: 'all' });
});

test('../shared upstream configs: good ones valid (placeholders substituted as upstream tests do), bad one rejected with upstream text', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const dir = join(shared, 'configs');
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['bad_model_config.txt', 'batching_config.txt', 'good_model_config.txt', 'monitoring_config.txt', 'traffic_sign_model.config']);
  const kinds: Record<string, string> = {
    'bad_model_config.txt': 'model_config',
    'batching_config.txt': 'batching',
    'good_model_config.txt': 'model_config',
    'monitoring_config.txt': 'monitoring',
    'traffic_sign_model.config': 'model_config',
  };
  for (const f of files) {
    const r = validateConfigFiles([join(dir, f)]).files[0]!;
    assert.equal(r.kind, kinds[f], f);
    assert.equal(r.valid, f !== 'bad_model_config.txt', `${f}: ${JSON.stringify(r.errors)}`);
  }

  // good_model_config.txt with its ${...} placeholders filled in, as upstream's test does.
  const tmp = mkdtempSync(join(tmpdir(), 'tfs-good-'));
  try {
    const text = readFileSync(join(dir, 'good_model_config.txt'), 'utf8')
      .replace('${TEST_HALF_PLUS_TWO_DIR}', join(shared, 'savedmodels', 'saved_model_half_plus_two_cpu'))
      .replace('${TEST_HALF_PLUS_THREE_DIR}', join(shared, 'savedmodels', 'saved_model_half_plus_three'));
    const file = join(tmp, 'good_model_config.txt');
    writeFileSync(file, text);
    const cfg = loadModelServerConfig(file);
    assert.deepEqual(
      cfg.models.map((m) => [m.name, m.basePath]),
      [
        ['half_plus_two', join(shared, 'savedmodels', 'saved_model_half_plus_two_cpu')],
        ['half_plus_three', join(shared, 'savedmodels', 'saved_model_half_plus_three')],
      ],
    );
    const report = validateConfigText(text, file);
    assert.deepEqual([report.valid, report.warnings, report.upstream], [true, [], null]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // Unsubstituted, the placeholders are flagged (and upstream would reject the relative path).
  const raw = validateConfigFiles([join(dir, 'good_model_config.txt')]).files[0]!;
  assert.ok(raw.warnings.some((w) => w.message.includes('unexpanded variable: ${TEST_HALF_PLUS_TWO_DIR}')));
  assert.equal(raw.upstream, 'Expected model half_plus_two to have an absolute path or URI; got base_path()=${TEST_HALF_PLUS_TWO_DIR}');

  const bad = join(dir, 'bad_model_config.txt');
  assert.throws(
    () => parseModelServerConfig(readFileSync(bad, 'utf8'), bad),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith(`Invalid protobuf file: '${bad}'`) &&
      e.message.includes('Error parsing text-format tensorflow.serving.ModelServerConfig: 1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".') &&
      e.location?.line === 1 &&
      e.location.column === 12,
  );
});
