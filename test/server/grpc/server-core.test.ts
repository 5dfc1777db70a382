/**
 * ModelService against the real lifecycle (ServerCore over the project's fixture model
 * directories). The loader here builds FakeServables, so this checks the gRPC ↔ lifecycle
 * contract (reload applies, status follows, removed models stop serving) independently of
 * the runtime; the runtime-backed tests are in fixture-models.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ModelServerConfig } from '../../../src/config/types.js';
import { ServerCore } from '../../../src/server/server-core.js';
import { Code } from '../../../src/errors.js';
import { halfPlusTwo } from '../../helpers/fake-core.js';
import { untilVersionsAvailable } from '../../helpers/available.js';
import { fixtures } from '../../helpers/paths.js';
import { call, makeTensorProto, statusOf } from './client.js';
import { type Harness, startGrpc } from './harness.js';

const models = join(fixtures, 'models');
const modelConfig = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  base_path: join(models, name),
  model_platform: 'tensorflow',
  ...extra,
});

let core: ServerCore;
let h: Harness;

before(async () => {
  const config: ModelServerConfig = {
    models: [
      {
        name: 'half_plus_two',
        basePath: join(models, 'half_plus_two'),
        modelPlatform: 'tensorflow',
        versionPolicy: { kind: 'latest', numVersions: 1 },
        versionLabels: {},
      },
    ],
  };
  core = await ServerCore.create(config, {
    loader: async (name, version) => halfPlusTwo(name, version),
    fileSystemPollWaitSeconds: 0,
    watchFileSystem: false,
    enableModelWarmup: false,
    versionSettleMs: 0,
  });
  h = await startGrpc({ core });
});

after(async () => {
  await h.close();
  await core.close();
});

const predict = (name: string, label?: string): object => ({
  model_spec: { name, ...(label ? { version_label: label } : {}) },
  inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [2]) },
});

test('the initial model serves and reports AVAILABLE', async () => {
  const s = await call(h.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two' } });
  assert.deepEqual(s.res.model_version_status, [{ version: '123', state: 'AVAILABLE', status: {} }]);
  const p = await call(h.prediction, 'Predict', predict('half_plus_two'));
  assert.deepEqual(p.res.outputs.y.float_val, [3]);
});

test('HandleReloadConfigRequest adds a model and answers once it is available; labels follow in a second reload', async () => {
  const myModel = (labels?: Record<string, number>): Record<string, unknown> =>
    modelConfig('my_model', { model_version_policy: { specific: { versions: [1, 2] } }, ...(labels ? { version_labels: labels } : {}) });
  const reload = (configs: Record<string, unknown>[]): Promise<{ err: unknown }> =>
    call(h.model, 'HandleReloadConfigRequest', { config: { model_config_list: { config: configs } } });
  // Upstream refuses labels on versions that are not available yet (no --allow_version_labels_for_unavailable_models).
  const early = await call(h.model, 'HandleReloadConfigRequest', {
    config: { model_config_list: { config: [modelConfig('half_plus_two'), myModel({ stable: 1 })] } },
  });
  assert.deepEqual(statusOf(early), [
    Code.FAILED_PRECONDITION,
    'Request to assign label to version 1 of model my_model, which is not currently available for inference',
  ]);
  const r = await call(h.model, 'HandleReloadConfigRequest', {
    config: { model_config_list: { config: [modelConfig('half_plus_two'), myModel()] } },
  });
  assert.equal(r.err, null, (r.err as Error | null)?.message);
  // The reload answers once my_model has a version AVAILABLE; the other may still be loading.
  await untilVersionsAvailable(core, 'my_model', [1, 2]);
  const s = await call(h.model, 'GetModelStatus', { model_spec: { name: 'my_model' } });
  assert.deepEqual(
    s.res.model_version_status.map((v: { version: string; state: string }) => [v.version, v.state]),
    [
      ['2', 'AVAILABLE'],
      ['1', 'AVAILABLE'],
    ],
  );
  assert.equal((await reload([modelConfig('half_plus_two'), myModel({ stable: 1, canary: 2 })])).err, null);
  const canary = await call(h.prediction, 'Predict', predict('my_model', 'canary'));
  assert.equal(canary.res.model_spec.version.value, '2');
  const stable = await call(h.prediction, 'Predict', predict('my_model', 'stable'));
  assert.equal(stable.res.model_spec.version.value, '1');
});

test('a reload that drops a model stops serving it; a bad label fails the RPC and keeps the config', async () => {
  const r = await call(h.model, 'HandleReloadConfigRequest', {
    config: { model_config_list: { config: [modelConfig('my_model', { model_version_policy: { all: {} } })] } },
  });
  assert.equal(r.err, null, r.err?.details);
  let gone = await call(h.prediction, 'Predict', predict('half_plus_two'));
  for (let i = 0; i < 50 && !gone.err; i++) {
    await new Promise((res) => setTimeout(res, 20));
    gone = await call(h.prediction, 'Predict', predict('half_plus_two'));
  }
  assert.deepEqual(statusOf(gone), [Code.NOT_FOUND, 'Servable not found for request: Latest(half_plus_two)']);

  const bad = await call(h.model, 'HandleReloadConfigRequest', {
    config: { model_config_list: { config: [modelConfig('my_model', { version_labels: { stable: 7 } })] } },
  });
  assert.equal(bad.err?.code, Code.FAILED_PRECONDITION);
  assert.equal(bad.err!.details, 'Request to assign label to version 7 of model my_model, which is not currently available for inference');
  assert.equal(core.currentConfig().models[0]?.versionPolicy.kind, 'all', 'the running config stays in force');
});
