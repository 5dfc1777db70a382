/**
 * The REST API over a real socket (127.0.0.1, ephemeral port) with the tutorial's
 * request shapes: `{"instances": <5x10 list>}` to my_model, versions 1 and 2, metadata
 * and status GETs, and a client that goes away mid-request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { buildRestApp, listenRest } from '../../../src/server/rest/app.js';
import { FakeCore, halfPlusTwo, tutorialMlp } from '../../helpers/fake-core.js';

test('tutorial REST snippets over a socket', async (t) => {
  const core = new FakeCore()
    .addServable(tutorialMlp('my_model', 1))
    .addServable(tutorialMlp('my_model', 2))
    .addServable(halfPlusTwo());
  const app = buildRestApp({ core });
  const port = await listenRest(app, 0, '127.0.0.1');
  t.after(() => app.close());
  const base = `http://127.0.0.1:${port}`;

  // np.random.randn(5, 10).tolist(), sent as requests' json= does (Content-Type: application/json).
  const inputData = Array.from({ length: 5 }, (_, r) => Array.from({ length: 10 }, (_, c) => Math.sin(r * 10 + c) * 1.7));
  const post = async (path: string, body: unknown) => {
    const res = await request(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, json: (await res.body.json()) as any };
  };

  const latest = await post('/v1/models/my_model:predict', { instances: inputData });
  assert.equal(latest.status, 200);
  const predictions = latest.json['predictions'] as number[][];
  assert.equal(predictions.length, 5);
  for (const p of predictions) {
    assert.equal(p.length, 1);
    assert.ok(p[0]! > 0 && p[0]! < 1);
  }
  // Latest is version 2 (negated weights): v1 + v2 = 1 for each row.
  const v1 = (await post('/v1/models/my_model/versions/1:predict', { instances: inputData })).json['predictions'] as number[][];
  const v2 = (await post('/v1/models/my_model/versions/2:predict', { instances: inputData })).json['predictions'] as number[][];
  assert.deepEqual(v2, predictions);
  v1.forEach((p, i) => assert.ok(Math.abs(p[0]! + v2[i]![0]! - 1) < 1e-6));

  const metadata = await request(`${base}/v1/models/my_model/metadata`);
  assert.equal(metadata.statusCode, 200);
  const md = (await metadata.body.json()) as any;
  assert.equal(md.model_spec.version, '2');
  assert.equal(md.metadata.signature_def.signature_def.serving_default.inputs.dense_input.dtype, 'DT_FLOAT');

  const status = await request(`${base}/v1/models/my_model`);
  assert.equal(status.statusCode, 200);
  assert.deepEqual(((await status.body.json()) as any).model_version_status.map((s: any) => [s.version, s.state]), [
    ['2', 'AVAILABLE'],
    ['1', 'AVAILABLE'],
  ]);

  // Upstream's half_plus_two asserts through the same socket, and a 404 JSON error.
  assert.deepEqual((await post('/v1/models/half_plus_two:predict', { instances: [2.0, 3.0, 4.0] })).json, { predictions: [3.0, 3.5, 4.0] });
  const missing = await post('/v1/models/half:predict', { instances: [1] });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { error: 'Servable not found for request: Latest(half)' });
});

test('a client that disconnects: the run completes, the handle is released, the server keeps serving', async (t) => {
  const core = new FakeCore().addServable(halfPlusTwo());
  const servable = [...core.models.get('half_plus_two')!.versions.values()][0]!.servable!;
  const app = buildRestApp({ core, restApiTimeoutMs: 60_000 });
  const port = await listenRest(app, 0, '127.0.0.1');
  t.after(() => app.close());
  const ac = new AbortController();
  const pending = request(`http://127.0.0.1:${port}/v1/models/half_plus_two:predict`, {
    method: 'POST',
    body: '{"signature_name": "slow", "instances": [300]}',
    signal: ac.signal,
  });
  while (servable.runs === 0) await new Promise((r) => setTimeout(r, 5));
  const held = (): number => core.held;
  assert.equal(held(), 1);
  // As upstream, the disconnect does not cancel the run; its answer is dropped.
  ac.abort();
  await assert.rejects(pending);
  const t0 = Date.now();
  while (held() !== 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(held(), 0, 'the handle is released once the run completes');
  const after = await request(`http://127.0.0.1:${port}/v1/models/half_plus_two:predict`, { method: 'POST', body: '{"instances": [2.0]}' });
  assert.equal(after.statusCode, 200);
  assert.deepEqual(await after.body.json(), { predictions: [3.0] });
});
