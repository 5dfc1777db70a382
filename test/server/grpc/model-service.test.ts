/** ModelService (GetModelStatus, HandleReloadConfigRequest) over a loopback socket. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, TfsError } from '../../../src/errors.js';
import { halfPlusTwo } from '../../helpers/fake-core.js';
import { RecordingCore } from '../../helpers/grpc-fake-core.js';
import { call, statusOf } from './client.js';
import { type Harness, startGrpc } from './harness.js';

let core: RecordingCore;
let h: Harness;
let metric = 0;

before(async () => {
  core = new RecordingCore();
  core.addServable(halfPlusTwo('half_plus_two', 123), { stable: 123 });
  core.addServable(halfPlusTwo('half_plus_two', 124));
  core.addFailedVersion('broken', 1, new TfsError(Code.FAILED_PRECONDITION, 'Could not load model'));
  h = await startGrpc({
    core,
    metricReader: (name) => (name === '/tensorflow/serving/test_counter' ? metric : undefined),
  });
});

after(() => h.close());

describe('GetModelStatus', () => {
  test('all tracked versions, newest first, with state and status', async () => {
    const r = await call(h.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two' } });
    assert.equal(r.err, null);
    // proto3 defaults (error_code OK = 0, empty message) are not on the wire.
    assert.deepEqual(r.res.model_version_status, [
      { version: '124', state: 'AVAILABLE', status: {} },
      { version: '123', state: 'AVAILABLE', status: {} },
    ]);
    const broken = await call(h.model, 'GetModelStatus', { model_spec: { name: 'broken' } });
    assert.deepEqual(broken.res.model_version_status, [
      { version: '1', state: 'END', status: { error_code: 'FAILED_PRECONDITION', error_message: 'Could not load model' } },
    ]);
  });

  test('version narrows; version_label is ignored, as upstream', async () => {
    const one = await call(h.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two', version: { value: 123 } } });
    assert.deepEqual(
      one.res.model_version_status.map((s: { version: string }) => s.version),
      ['123'],
    );
    const label = await call(h.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two', version_label: 'nope' } });
    assert.equal(label.err, null);
    assert.equal(label.res.model_version_status.length, 2);
  });

  test('errors carry upstream texts', async () => {
    assert.deepEqual(statusOf(await call(h.model, 'GetModelStatus', {})), [Code.INVALID_ARGUMENT, 'Missing ModelSpec']);
    assert.deepEqual(statusOf(await call(h.model, 'GetModelStatus', { model_spec: { name: 'nope' } })), [
      Code.NOT_FOUND,
      'Could not find any versions of model nope',
    ]);
    assert.deepEqual(
      statusOf(await call(h.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two', version: { value: 9 } } })),
      [Code.NOT_FOUND, 'Could not find version 9 of model half_plus_two'],
    );
  });
});

describe('HandleReloadConfigRequest', () => {
  const config = {
    model_config_list: {
      config: [
        {
          name: 'm',
          base_path: '/models/m',
          model_platform: 'tensorflow',
          model_version_policy: { specific: { versions: [1, 2] } },
          version_labels: { stable: 1, canary: 2 },
        },
        { name: 'n', base_path: '/models/n', model_platform: 'tensorflow' },
      ],
    },
  };

  test('a ModelConfigList reaches core.reloadConfig normalised; the response status is OK', async () => {
    const before = core.configs.length;
    const r = await call(h.model, 'HandleReloadConfigRequest', { config });
    assert.equal(r.err, null, r.err?.details);
    // error_code OK (0) is the proto3 default: the status message is present and empty.
    assert.deepEqual(r.res.status, {});
    assert.equal(core.configs.length, before + 1);
    const got = core.configs.at(-1)!;
    assert.deepEqual(
      got.models.map((m) => [m.name, m.basePath, m.modelPlatform, m.versionPolicy, m.versionLabels]),
      [
        ['m', '/models/m', 'tensorflow', { kind: 'specific', versions: [1, 2] }, { stable: 1, canary: 2 }],
        ['n', '/models/n', 'tensorflow', { kind: 'latest', numVersions: 1 }, {}],
      ],
    );
  });

  test('only model_config_list is accepted', async () => {
    const text =
      'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported';
    assert.deepEqual(statusOf(await call(h.model, 'HandleReloadConfigRequest', {})), [Code.INVALID_ARGUMENT, text]);
    const custom = { config: { custom_model_config: { type_url: 'type.googleapis.com/x.Y', value: Buffer.from([]) } } };
    assert.deepEqual(statusOf(await call(h.model, 'HandleReloadConfigRequest', custom)), [Code.INVALID_ARGUMENT, text]);
  });

  test('an invalid config fails the RPC with the validator text (relative base_path, as upstream)', async () => {
    const before = core.configs.length;
    const r = await call(h.model, 'HandleReloadConfigRequest', {
      config: { model_config_list: { config: [{ name: 'rel', base_path: 'models/rel', model_platform: 'tensorflow' }] } },
    });
    assert.equal(r.err?.code, Code.INVALID_ARGUMENT);
    assert.match(r.err!.details, /Expected model rel to have an absolute path or URI; got base_path\(\)=models\/rel/);
    assert.equal(core.configs.length, before, 'an invalid config never reaches the core');
  });

  test('a failing reload fails the RPC with the same code and message', async () => {
    core.failWith = new TfsError(Code.NOT_FOUND, 'No versions of servable m found under base path /models/m');
    try {
      assert.deepEqual(statusOf(await call(h.model, 'HandleReloadConfigRequest', { config })), [
        Code.NOT_FOUND,
        'No versions of servable m found under base path /models/m',
      ]);
    } finally {
      core.failWith = undefined;
    }
  });

  test('the RPC waits for the reload; metric_names report increases of known metrics', async () => {
    // The reload is held open until the test lets it go, and the metric only moves as the
    // reload finishes: an RPC that answered (or read the metrics) before the reload
    // completed would report no increase.
    metric = 10;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const reloadStarted = new Promise<void>((r) => (started = r));
    const order: string[] = [];
    core.duringReload = async () => {
      started();
      await gate;
      metric = 13;
      order.push('reload done');
    };
    try {
      const pending = call(h.model, 'HandleReloadConfigRequest', {
        config,
        metric_names: ['/tensorflow/serving/test_counter', '/unknown/metric'],
      }).then((r) => {
        order.push('answered');
        return r;
      });
      await reloadStarted;
      assert.deepEqual(order, [], 'no answer while the reload runs');
      release();
      const r = await pending;
      assert.deepEqual(order, ['reload done', 'answered']);
      assert.equal(r.err, null);
      assert.deepEqual(r.res.metric, [
        { name: '/tensorflow/serving/test_counter', int64_value_increase: '3', value_increase: 'int64_value_increase' },
      ]);
    } finally {
      core.duringReload = undefined;
    }
  });
});
