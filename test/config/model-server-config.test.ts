import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupType, toObjectOptions } from '../../src/proto/root.js';
import { Code } from '../../src/errors.js';
import { ConfigError } from '../../src/config/validation.js';
import {
  checkModelServerConfigText,
  isAbsolutePathOrUri,
  loadModelServerConfig,
  modelServerConfigFromProto,
  parseModelServerConfig,
  singleModelConfig,
} from '../../src/config/model-server-config.js';

function rejects(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e;
  }
  assert.fail('accepted');
}

test('a config is normalised: base paths, platform, version policies (num_versions 0 means 1), labels, sampling', () => {
  const cfg = parseModelServerConfig(
    `model_config_list {
       config { name: "a" base_path: "/m/a" model_platform: "tensorflow" }
       config { name: "b" base_path: "s3://bucket/b" model_type: TENSORFLOW model_version_policy { latest { num_versions: 0 } } }
       config { name: "c" base_path: "/m/c" model_platform: "tensorflow" model_version_policy { latest { num_versions: 3 } } }
       config { name: "d" base_path: "/m/d" model_platform: "tensorflow" model_version_policy { all {} }
                version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 2 } }
       config { name: "e" base_path: "/m/e" model_platform: "tensorflow" model_version_policy { specific { versions: [3, 7] } }
                logging_config { sampling_config { sampling_rate: 0.25 } } }
     }`,
    '/etc/tfs/models.config',
  );
  assert.deepEqual(
    cfg.models.map((m) => [m.name, m.basePath, m.modelPlatform, m.versionPolicy, m.versionLabels, m.sampling]),
    [
      ['a', '/m/a', 'tensorflow', { kind: 'latest', numVersions: 1 }, {}, undefined],
      ['b', 's3://bucket/b', 'tensorflow', { kind: 'latest', numVersions: 1 }, {}, undefined],
      ['c', '/m/c', 'tensorflow', { kind: 'latest', numVersions: 3 }, {}, undefined],
      ['d', '/m/d', 'tensorflow', { kind: 'all' }, { stable: 1, canary: 2 }, undefined],
      ['e', '/m/e', 'tensorflow', { kind: 'specific', versions: [3, 7] }, {}, { samplingRate: 0.25 }],
    ],
  );
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.models[0]));
  assert.equal(cfg.isEmpty, undefined);
});

test('an empty file is an empty config (no action on reload); an empty list has no models', () => {
  assert.deepEqual(parseModelServerConfig('# nothing\n', '/x'), { models: [], isEmpty: true });
  assert.deepEqual(parseModelServerConfig('model_config_list {}', '/x'), { models: [] });
});

test('relative base paths resolve against the config file directory, with a warning quoting upstream', () => {
  const cfg = parseModelServerConfig('model_config_list { config { name: "m" base_path: "../models/m" model_platform: "tensorflow" } }', '/srv/conf/models.config');
  assert.equal(cfg.models[0]!.basePath, '/srv/models/m');
  const check = checkModelServerConfigText('model_config_list { config { name: "m" base_path: "models/m" model_platform: "tensorflow" } }', '/srv/conf/models.config');
  const w = check.issues.find((i) => i.severity === 'warning' && i.message.startsWith('Expected model m to have an absolute path or URI; got base_path()=models/m'));
  assert.ok(w, JSON.stringify(check.issues));
  assert.deepEqual([w.line, w.column], [1, 51]);
});

test('syntax errors carry both upstream texts and the position', () => {
  const e = rejects(() => parseModelServerConfig('improperly formatted file', '/cfg/bad.txt'));
  assert.equal(e.code, Code.INVALID_ARGUMENT);
  assert.equal(
    e.message,
    `Invalid protobuf file: '/cfg/bad.txt': Error parsing text-format tensorflow.serving.ModelServerConfig: 1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".`,
  );
  assert.deepEqual(e.location, { file: '/cfg/bad.txt', line: 1, column: 12 });
  assert.equal(e.issues.length, 1);
  assert.match(e.details, /^\/cfg\/bad\.txt:1:12: Message type/);
});

test('rule violations use upstream texts, list every error with its position, and say how to fix it', () => {
  const e = rejects(() =>
    parseModelServerConfig(
      `model_config_list {
  config { name: "a" base_path: "/a" model_platform: "tensorflow" }
  config { name: "a" base_path: "/b" model_platform: "tensorflow" }
  config { name: "c" base_path: "/c" model_platform: "onnx" }
}`,
      '/cfg/m.config',
    ),
  );
  assert.equal(e.code, Code.INVALID_ARGUMENT);
  assert.equal(e.message, 'Illegal to list model a multiple times in config list');
  assert.deepEqual(e.location, { file: '/cfg/m.config', line: 3, column: 18 });
  assert.deepEqual(
    e.issues.map((i) => `${i.line}:${i.column}: ${i.message}`),
    ['3:18: Illegal to list model a multiple times in config list', '4:54: Model c requests unsupported platform onnx'],
  );
  assert.ok(e.issues.every((i) => i.upstream === true && (i.hint ?? '').length > 0));
});

test('custom_model_config is refused (UNIMPLEMENTED, upstream text)', () => {
  const e = rejects(() => parseModelServerConfig('custom_model_config { type_url: "x" }', '/c'));
  assert.equal(e.code, Code.UNIMPLEMENTED);
  assert.equal(e.message, 'ModelServer does not yet support custom model config.');
});

test('loadModelServerConfig reads the file; a missing file is INVALID_ARGUMENT naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-msc-'));
  try {
    mkdirSync(join(dir, 'conf'));
    const file = join(dir, 'conf', 'models.config');
    writeFileSync(file, 'model_config_list { config { name: "x" base_path: "../x" model_platform: "tensorflow" } }');
    assert.equal(loadModelServerConfig(file).models[0]!.basePath, join(dir, 'x'));
    const e = rejects(() => loadModelServerConfig(join(dir, 'nope.config')));
    assert.equal(e.code, Code.INVALID_ARGUMENT);
    assert.equal(e.message, `Invalid protobuf file: '${join(dir, 'nope.config')}': No such file or directory`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('modelServerConfigFromProto: a decoded HandleReloadConfigRequest config, relative paths rejected as upstream', () => {
  const T = lookupType('tensorflow.serving.ModelServerConfig');
  const wire = T.encode(
    T.fromObject({
      model_config_list: {
        config: [
          { name: 'a', base_path: '/m/a', model_platform: 'tensorflow', version_labels: { stable: 123 }, model_version_policy: { specific: { versions: [123, 124] } } },
        ],
      },
    }),
  ).finish();
  const decoded = T.toObject(T.decode(wire), toObjectOptions);
  const cfg = modelServerConfigFromProto(decoded);
  assert.deepEqual(cfg.models[0], {
    name: 'a',
    basePath: '/m/a',
    modelPlatform: 'tensorflow',
    versionPolicy: { kind: 'specific', versions: [123, 124] },
    versionLabels: { stable: 123 },
  });
  const rel = T.toObject(T.decode(T.encode(T.fromObject({ model_config_list: { config: [{ name: 'r', base_path: 'rel/x', model_platform: 'tensorflow' }] } })).finish()), toObjectOptions);
  const e = rejects(() => modelServerConfigFromProto(rel));
  assert.equal(e.message, 'Expected model r to have an absolute path or URI; got base_path()=rel/x');
  assert.equal(e.location, undefined);
  assert.equal(e.issues[0]!.line, 0);
  assert.deepEqual(modelServerConfigFromProto(T.toObject(T.decode(new Uint8Array(0)), toObjectOptions)), { models: [], isEmpty: true });
  // Plain toObject (Long objects, no virtual oneof fields, no empty arrays) means the same.
  assert.deepEqual(modelServerConfigFromProto(T.toObject(T.decode(wire))), cfg);
});

test('singleModelConfig is what --model_name/--model_base_path build', () => {
  assert.deepEqual(singleModelConfig('default', '/models/x'), {
    models: [{ name: 'default', basePath: '/models/x', modelPlatform: 'tensorflow', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} }],
  });
  assert.equal(singleModelConfig('m', 'gs://b/m').models[0]!.basePath, 'gs://b/m');
  assert.equal(singleModelConfig('m', 'rel/m').models[0]!.basePath, join(process.cwd(), 'rel/m'));
});

test('absolute paths and URIs', () => {
  for (const p of ['/m', 'gs://b/m', 's3://b/m', 'file:///m', 'hdfs://n:9000/m']) assert.ok(isAbsolutePathOrUri(p), p);
  for (const p of ['m', './m', '../m', 'c:m', '']) assert.ok(!isAbsolutePathOrUri(p), p);
});
