/**
 * Config reloads end to end: editing the --model_config_file while it is polled
 * (upstream's testModelConfigReload, with my_model in place of half_plus_three), a broken
 * edit that keeps the running config, and gRPC HandleReloadConfigRequest.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, connect, type TestClients } from '../server/grpc/client.js';
import { fixtures } from '../helpers/paths.js';
import { getJson, postJson, startServe, type Serve } from './serve-harness.js';

const base = (name: string): string => join(fixtures, 'models', name);
const modelConfig = (...names: string[]): string =>
  `model_config_list {\n${names.map((n) => `  config { name: "${n}" base_path: "${base(n)}" model_platform: "tensorflow" }\n`).join('')}}\n`;
const TEN = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

describe('config file polling (--model_config_file_poll_wait_seconds=1)', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  let s: Serve;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tfs-e2e-reload-'));
    file = join(dir, 'models.config');
    writeFileSync(file, modelConfig('half_plus_two'));
    s = await startServe([`--model_config_file=${file}`, '--model_config_file_poll_wait_seconds=1']);
  });
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('replacing half_plus_two by my_model in the file loads my_model and unloads half_plus_two', async () => {
    assert.deepEqual((await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[2.0]] })).body, { predictions: [[3.0]] });

    writeFileSync(file, modelConfig('my_model'));
    await s.waitForLog((l) => l.msg === 'Successfully loaded servable version {name: my_model version: 2}', 60_000, 'my_model loaded');
    const r = await postJson(`${s.rest}/v1/models/my_model:predict`, { instances: [TEN] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.predictions.length, 1);

    await s.waitForLog((l) => l.msg === 'Done unloading servable version {name: half_plus_two version: 123}', 60_000, 'half_plus_two unloaded');
    const gone = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[2.0]] });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { error: 'Servable not found for request: Latest(half_plus_two)' });
  });

  test('a broken edit is logged and the running config stays', async () => {
    writeFileSync(file, 'improperly formatted file');
    const err = await s.waitForLog((l) => l.msg?.startsWith('Failed to read ModelServerConfig file:') === true, 30_000, 'read error');
    assert.match(err.msg!, /Error parsing text-format tensorflow\.serving\.ModelServerConfig|improperly/);
    const r = await postJson(`${s.rest}/v1/models/my_model:predict`, { instances: [TEN] });
    assert.equal(r.status, 200);
    assert.equal((await getJson(`${s.rest}/readyz`)).status, 200);
  });
});

describe('gRPC HandleReloadConfigRequest', { timeout: 120_000 }, () => {
  let s: Serve;
  let clients: TestClients;
  before(async () => {
    s = await startServe(['--model_name=half_plus_two', `--model_base_path=${base('half_plus_two')}`]);
    clients = connect(s.grpcPort);
  });
  after(async () => {
    clients?.close();
    await s?.stop('SIGKILL');
  });

  const configMsg = (...models: { name: string; labels?: Record<string, number>; all?: boolean }[]): object => ({
    config: {
      model_config_list: {
        config: models.map((m) => ({
          name: m.name,
          base_path: base(m.name),
          model_platform: 'tensorflow',
          ...(m.all ? { model_version_policy: { all: {} } } : {}),
          ...(m.labels ? { version_labels: m.labels } : {}),
        })),
      },
    },
  });

  test('adding my_model (all versions, labels) answers once it is available; labels then route', async () => {
    const r = await call(clients.model, 'HandleReloadConfigRequest', configMsg({ name: 'half_plus_two' }, { name: 'my_model', all: true }), 60_000);
    assert.equal(r.err, null, r.err?.details);
    assert.equal(r.res.status?.error_code ?? 'OK', 'OK');
    // The reload waited for my_model: it answers at once.
    const st = await getJson(`${s.rest}/v1/models/my_model`);
    assert.ok(st.body.model_version_status.some((v: any) => v.state === 'AVAILABLE'), JSON.stringify(st.body));

    // Labels on now-available versions: a second reload.
    const again = await call(
      clients.model,
      'HandleReloadConfigRequest',
      configMsg({ name: 'half_plus_two' }, { name: 'my_model', all: true, labels: { stable: 1, canary: 2 } }),
      60_000,
    );
    assert.equal(again.err, null, again.err?.details);
    assert.equal(again.res.status?.error_code ?? 'OK', 'OK');
    const md = await getJson(`${s.rest}/v1/models/my_model/labels/canary/metadata`);
    assert.equal(md.status, 200, JSON.stringify(md.body));
    assert.equal(md.body.model_spec.version, '2');
  });

  test('a label on a version that is not available is refused with upstream\'s text and changes nothing', async () => {
    const r = await call(
      clients.model,
      'HandleReloadConfigRequest',
      configMsg({ name: 'half_plus_two', labels: { stable: 7 } }, { name: 'my_model', all: true, labels: { stable: 1, canary: 2 } }),
      60_000,
    );
    const status = r.err ? { code: r.err.code, message: r.err.details } : { code: r.res.status?.error_code, message: r.res.status?.error_message };
    assert.notEqual(status.code ?? 0, 0);
    assert.notEqual(status.code, 'OK');
    assert.match(
      String(status.message),
      /Request to assign label to version 7 of model half_plus_two, which is not currently available for inference/,
    );
    assert.equal((await postJson(`${s.rest}/v1/models/my_model/labels/stable:predict`, { instances: [TEN] })).status, 200);
  });
});
