/**
 * `tfs serve` end to end with the README demo's configuration (the flags of `npm start`):
 * REST and gRPC predictions on the project's fixtures checked against TensorFlow's outputs,
 * versions and labels, status and metadata, request logging, the metrics page, and SIGINT.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, connect, makeNdarray, makeTensorProto, type TestClients } from '../server/grpc/client.js';
import { assertClose, oracleCall } from './oracle.js';
import { getJson, npmStartServeArgs, postJson, startServe, type Serve } from './serve-harness.js';

describe('tfs serve: the npm start demo', { timeout: 120_000 }, () => {
  let s: Serve;
  let grpc: TestClients;

  before(async () => {
    s = await startServe([...npmStartServeArgs(), '--log_requests']);
    // Start-up waits for each model's latest version; version 1 of my_model loads right after.
    await s.waitForLog((l) => l.msg === 'Successfully loaded servable version {name: my_model version: 1}', 30_000, 'my_model version 1');
    grpc = connect(s.grpcPort);
  });
  after(async () => {
    grpc?.close();
    await s?.stop('SIGKILL');
  });

  test('start-up logs name the ports and the models with their versions', () => {
    const line = s.logs.find((l) => l.msg?.startsWith('Serving '))!;
    // Start-up waits for one available version per model (as upstream), so the line may name
    // only version 1 or only version 2 when the other is still loading on a busy machine.
    assert.match(line.msg!, /^Serving half_plus_two version 123; my_model versions? [12](, [12])? \(labels stable=1, canary=2\); gRPC port \d+, REST port \d+$/);
    assert.equal(line['grpcPort'], s.grpcPort);
    assert.ok(s.logs.some((l) => l.msg === `Running gRPC ModelServer at 127.0.0.1:${s.grpcPort} ...`));
    assert.ok(s.logs.some((l) => l.msg === `Exporting HTTP/REST API at:localhost:${s.restPort} ...`));
    assert.ok(s.logs.some((l) => l.msg === 'Successfully loaded servable version {name: half_plus_two version: 123}'));
  });

  test('REST status: my_model versions 2 and 1 AVAILABLE', async () => {
    const r = await getJson(`${s.rest}/v1/models/my_model`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.model_version_status.map((v: any) => [v.version, v.state, v.status.error_code]),
      [
        ['2', 'AVAILABLE', 'OK'],
        ['1', 'AVAILABLE', 'OK'],
      ],
    );
  });

  test('REST predict on half_plus_two (batching on)', async () => {
    const r = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[1.0], [2.0], [5.0]] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { predictions: [[2.5], [3.0], [4.5]] });
    const col = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { inputs: { x: [[2.0], [3.0]] } });
    assert.deepEqual(col.body, { outputs: [[3.0], [3.5]] });
  });

  test("REST predict on my_model (10 features): latest, versions/N and labels match TensorFlow's outputs", async () => {
    for (const [path, version] of [
      ['', 2],
      ['/versions/1', 1],
      ['/versions/2', 2],
      ['/labels/stable', 1],
      ['/labels/canary', 2],
    ] as const) {
      const o = oracleCall('my_model', version, 5);
      const r = await postJson(`${s.rest}/v1/models/my_model${path}:predict`, { instances: o.inputs['dense_input']!.values });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      assertClose(r.body.predictions, o.outputs['dense_1']!.values, `my_model${path}`);
    }
    const unknown = await postJson(`${s.rest}/v1/models/my_model/labels/nope:predict`, { instances: [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]] });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { error: 'Unrecognized servable version label: nope' });
  });

  test('REST metadata by label names the version it resolved', async () => {
    const r = await getJson(`${s.rest}/v1/models/my_model/labels/stable/metadata`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.model_spec, { name: 'my_model', signature_name: '', version: '1' });
    const sig = r.body.metadata.signature_def.signature_def.serving_default;
    assert.deepEqual(Object.keys(sig.inputs), ['dense_input']);
    assert.deepEqual(Object.keys(sig.outputs), ['dense_1']);
  });

  test("gRPC Predict on my_model (the tutorial's client request) matches TensorFlow's outputs", async () => {
    const o = oracleCall('my_model', 2, 5);
    const x = o.inputs['dense_input']!;
    const r = await call(
      grpc.prediction,
      'Predict',
      {
        model_spec: { name: 'my_model', signature_name: 'serving_default' },
        inputs: { dense_input: makeTensorProto('DT_FLOAT', x.shape, (x.values as number[][]).flat()) },
      },
      20_000,
    );
    assert.equal(r.err, null, r.err?.details);
    assert.equal(r.res.model_spec.version.value, '2');
    const y = makeNdarray(r.res.outputs.dense_1);
    assert.deepEqual(y.shape, [5, 1]);
    assertClose(y.values, o.outputs['dense_1']!.values, 'dense_1');
  });

  test('gRPC Predict by label and GetModelStatus', async () => {
    const r = await call(
      grpc.prediction,
      'Predict',
      {
        model_spec: { name: 'my_model', version_label: 'stable' },
        inputs: { dense_input: makeTensorProto('DT_FLOAT', [1, 10], Array(10).fill(0.5)) },
      },
      20_000,
    );
    assert.equal(r.err, null, r.err?.details);
    assert.equal(r.res.model_spec.version.value, '1');
    const st = await call(grpc.model, 'GetModelStatus', { model_spec: { name: 'half_plus_two' } }, 20_000);
    assert.equal(st.err, null);
    assert.deepEqual(
      st.res.model_version_status.map((v: any) => [v.version, v.state]),
      [['123', 'AVAILABLE']],
    );
  });

  test('--log_requests: one line per request with model, version, API, entrypoint, latency and status', async () => {
    const line = await s.waitForLog((l) => (l['request'] as any)?.api === 'Predict' && (l['request'] as any)?.version === 1, 10_000, 'gRPC request log');
    const req = line['request'] as Record<string, unknown>;
    assert.equal(req['entrypoint'], 'GRPC');
    assert.equal(req['model'], 'my_model');
    assert.equal(req['status'], 'OK');
    assert.equal(typeof req['latencyMs'], 'number');
    const rest = await s.waitForLog(
      (l) => (l['request'] as any)?.entrypoint === 'REST' && (l['request'] as any)?.status === 'INVALID_ARGUMENT',
      10_000,
      'REST error request log',
    );
    assert.equal((rest['request'] as any).httpStatus, 400);
    assert.equal((rest['request'] as any).api, 'predict');
  });

  test('metrics: upstream names and the tutorial names; the exact-path rule', async () => {
    const page = await fetch(`${s.rest}/monitoring/prometheus/metrics`);
    assert.equal(page.status, 200);
    const text = await page.text();
    assert.match(text, /^:tensorflow:serving:request_count\{model_name="my_model",status="OK"\} \d+$/m);
    assert.match(text, /^:tensorflow:serving:request_count\{model_name="half_plus_two",status="OK"\} 2$/m);
    assert.match(text, /^tensorflow_serving_request_count\{model_name="my_model",status="OK"\} \d+$/m);
    assert.match(text, /^:tensorflow:serving:request_log_count\{model_name="my_model",status_code="OK"\} \d+$/m);
    assert.match(text, /^:tensorflow:serving:runtime_latency_count\{model_name="my_model",API="Predict",runtime="TF1"\} \d+$/m);
    assert.match(text, /^:tensorflow:serving:batching_session:wrapped_run_count\{\} \d+$/m);
    const q = await fetch(`${s.rest}/monitoring/prometheus/metrics?format=json`);
    assert.equal(q.status, 400);
    assert.equal(await q.text(), 'Unexpected path: /monitoring/prometheus/metrics?format=json. Should be /monitoring/prometheus/metrics');
  });

  test('SIGINT drains and exits 0', async () => {
    grpc.close();
    const code = await s.stop('SIGINT');
    assert.equal(code, 0, s.output().stderr.slice(-3000));
    assert.ok(s.logs.some((l) => l.msg?.startsWith('Received SIGINT: draining')));
    assert.ok(s.logs.some((l) => l.msg === 'Server stopped'));
  });
});
