/**
 * The REST API through fastify inject(): the URL grammar, endpoint table, status and
 * metadata bodies, predict/classify/regress, errors and HTTP codes of spec §1, on a
 * fake core that computes half_plus_two for real.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { buildRestApp, type RestAppOptions, type RestRequestInfo, NOT_FOUND_HTML } from '../../../src/server/rest/app.js';
import { Errors } from '../../../src/errors.js';
import { FakeCore, fakeCoreWithHalfPlusTwo, halfPlusTwo } from '../../helpers/fake-core.js';

type App = ReturnType<typeof buildRestApp>;

function makeApp(extra: Partial<RestAppOptions> = {}, core: FakeCore = fakeCoreWithHalfPlusTwo()): { app: App; core: FakeCore } {
  return { app: buildRestApp({ core, ...extra }), core };
}

async function call(app: App, method: string, url: string, payload?: string | Buffer, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: method as 'GET', url, ...(payload !== undefined ? { payload } : {}), headers });
  return { status: res.statusCode, body: res.body, headers: res.headers, json: () => JSON.parse(res.body.replace(/\bNaN\b/g, '"NaN"')) as any };
}

async function expectError(app: App, method: string, url: string, payload: string | undefined, status: number, message: string): Promise<void> {
  const r = await call(app, method, url, payload);
  assert.equal(r.status, status, `${method} ${url} ${payload ?? ''}: ${r.body}`);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.body, `{\n    "error": ${JSON.stringify(message)}\n}`);
}

test('URL grammar: malformed requests (http_rest_api_handler_test cases)', async () => {
  const { app } = makeApp();
  const cases: [string, string][] = [
    ['GET', '/v1/foo'],
    ['POST', '/v1/foo'],
    ['POST', '/v1/models'],
    ['GET', '/v1/models/debug/model_name'],
    ['GET', '/v1/models/foo:predict'],
    ['GET', '/v1/models/foo/version/50:predict'],
    ['POST', '/v1/models/foo/version/50:predict'],
    ['POST', '/v1/models/foo/versions/HELLO:regress'],
    ['POST', '/v1/models/foo/metadata'],
    ['POST', '/v1/models/foo/label/some_label:regress'],
    ['POST', '/v1/models/foo/versions/50/labels/some_label:regress'],
    ['POST', '/v1/models/foo/versions/some_label:regress'],
    ['GET', '/v1/models/foo/'],
    ['POST', '/v1/models/half_plus_two:predict?x=1'],
    ['POST', '/v1/models/half_plus_two:PREDICT'],
    ['POST', '/v1/models/half_plus_two:explain'],
    ['PUT', '/v1/models/half_plus_two'],
    ['DELETE', '/v1/models/half_plus_two'],
    ['PATCH', '/v1/models/half_plus_two:predict'],
    ['HEAD', '/v1/models/half_plus_two'],
  ];
  for (const [method, url] of cases) {
    const r = await call(app, method, url, method === 'GET' || method === 'HEAD' ? undefined : '{}');
    assert.equal(r.status, 400, `${method} ${url}`);
    if (method !== 'HEAD') assert.equal(r.body, `{\n    "error": "Malformed request: ${method} ${url}"\n}`);
  }
});

test('URL grammar: case quirks, percent-decoding, query strings, missing name', async () => {
  const { app } = makeApp();
  // Case-insensitive match, lowercase dispatch: /METADATA is a status request.
  const meta = await call(app, 'GET', '/V1/Models/half_plus_two/METADATA');
  assert.equal(meta.status, 200);
  assert.ok(meta.json().model_version_status);
  const pred = await call(app, 'POST', '/V1/MODELS/half_plus_two/VERSIONS/123:predict', '{"instances": [1.0]}');
  assert.equal(pred.status, 200);
  // Percent-decoded names and labels; '+' stays '+'; bad escapes stay as written.
  assert.equal((await call(app, 'POST', '/v1/models/half%5Fplus%5ftwo/labels/st%61ble:predict', '{"instances": [1.0]}')).status, 200);
  await expectError(app, 'GET', '/v1/models/a+b', undefined, 404, 'Could not find any versions of model a+b');
  await expectError(app, 'GET', '/v1/models/a%zz', undefined, 404, 'Could not find any versions of model a%zz');
  await expectError(app, 'GET', '/v1/models/%E2%9C%93', undefined, 404, 'Could not find any versions of model ✓');
  // The query is part of the name for GETs.
  await expectError(app, 'GET', '/v1/models/foo?x=1', undefined, 404, 'Could not find any versions of model foo?x=1');
  await expectError(app, 'GET', '/v1/models', undefined, 400, 'Missing model name in request.');
});

test("URL grammar: int64 version overflow answers 400 with upstream's text (tfs: never an empty body); versions are exact", async () => {
  const { app } = makeApp();
  for (const [url, digits] of [
    ['/v1/models/m/versions/18446744073709551615:predict', '18446744073709551615'],
    ['/v1/models/m/versions/9223372036854775808', '9223372036854775808'],
  ] as const) {
    const r = await call(app, url.endsWith('predict') ? 'POST' : 'GET', url, url.endsWith('predict') ? '{}' : undefined);
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), { error: `Failed to convert version: ${digits} to numeric.` });
    assert.equal(r.headers['content-type'], 'application/json');
  }
  // Beyond 2^53: looked up (and reported) with its exact digits, never rounded to a double.
  for (const digits of ['9223372036854775807', '9007199254740993']) {
    const r = await call(app, 'GET', `/v1/models/half_plus_two/versions/${digits}`);
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { error: `Could not find version ${digits} of model half_plus_two` });
    const p = await call(app, 'POST', `/v1/models/half_plus_two/versions/${digits}:predict`, '{"instances": [1]}');
    assert.deepEqual(JSON.parse(p.body), { error: `Could not find version ${digits} of model half_plus_two` });
  }
});

test('non-/v1 paths get libevent\'s HTML 404; probes answer beside them', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const { app } = makeApp({}, core);
  for (const url of ['/', '/foo', '/v2/models/x', '/V1', '/v1']) {
    const r = await call(app, 'GET', url);
    assert.equal(r.status, 404, url);
    assert.equal(r.body, NOT_FOUND_HTML);
    assert.equal(r.headers['connection'], 'close');
    assert.match(String(r.headers['content-type']), /^text\/html/);
  }
  assert.equal((await call(app, 'POST', '/healthz', '{}')).status, 404, 'probes are GET-only');
  const live = await call(app, 'GET', '/healthz');
  assert.equal(live.status, 200);
  assert.equal((await call(app, 'GET', '/readyz')).status, 200);
  core.ready = false;
  const notReady = await call(app, 'GET', '/readyz');
  assert.equal(notReady.status, 503);
  assert.deepEqual(notReady.json(), { ready: false });
  assert.equal((await call(app, 'GET', '/healthz')).status, 200);
});

test('OPTIONS preflight and CORS headers', async () => {
  const plain = makeApp().app;
  assert.equal((await call(plain, 'OPTIONS', '/v1/models/x', undefined, { origin: 'http://example.com' })).status, 200);
  const noOrigin = await call(plain, 'OPTIONS', '/v1/models/x');
  assert.equal(noOrigin.status, 400);
  assert.deepEqual(JSON.parse(noOrigin.body), { error: 'Origin header is missing in CORS preflight' });
  assert.equal((await call(plain, 'OPTIONS', '/v1/models/x', undefined, { origin: 'example.com' })).status, 400);
  assert.equal(noOrigin.headers['access-control-allow-origin'], undefined);
  assert.equal((await call(plain, 'GET', '/v1/models/half_plus_two')).headers['access-control-allow-origin'], undefined);

  const cors = makeApp({ enableCors: true }).app;
  for (const r of [
    await call(cors, 'OPTIONS', '/v1/models/x', undefined, { origin: 'https://a.b' }),
    await call(cors, 'GET', '/v1/models/half_plus_two'),
    await call(cors, 'POST', '/v1/models/nope:predict', '{}'),
  ]) {
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-methods'], 'POST, GET');
    assert.equal(r.headers['access-control-allow-headers'], 'Content-Type');
  }
});

test('model status: all versions descending, one version, errors, label ignored', async () => {
  const core = new FakeCore()
    .addServable(halfPlusTwo('m', 1))
    .addServable(halfPlusTwo('m', 3))
    .addFailedVersion('m', 2, Errors.modelLoad('boom'));
  const { app } = makeApp({}, core);
  const all = await call(app, 'GET', '/v1/models/m');
  assert.equal(all.status, 200);
  assert.ok(all.body.endsWith('}\n'));
  assert.deepEqual(all.json(), {
    model_version_status: [
      { version: '3', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
      { version: '2', state: 'END', status: { error_code: 'FAILED_PRECONDITION', error_message: 'boom' } },
      { version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
    ],
  });
  assert.deepEqual((await call(app, 'GET', '/v1/models/m/versions/1')).json().model_version_status.length, 1);
  assert.equal((await call(app, 'GET', '/v1/models/m/labels/whatever')).json().model_version_status.length, 3);
  await expectError(app, 'GET', '/v1/models/m/versions/9', undefined, 404, 'Could not find version 9 of model m');
  await expectError(app, 'GET', '/v1/models/x', undefined, 404, 'Could not find any versions of model x');
});

test('model metadata: latest, version, label and their errors', async () => {
  const { app, core } = makeApp();
  const r = await call(app, 'GET', '/v1/models/half_plus_two/metadata');
  assert.equal(r.status, 200);
  const md = r.json();
  assert.deepEqual(md.model_spec, { name: 'half_plus_two', signature_name: '', version: '123' });
  assert.deepEqual(md.metadata.signature_def.signature_def.serving_default.inputs.x, {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: [{ size: '-1', name: '' }, { size: '1', name: '' }], unknown_rank: false },
    name: 'x:0',
  });
  assert.equal((await call(app, 'GET', '/v1/models/half_plus_two/versions/123/metadata')).status, 200);
  assert.equal((await call(app, 'GET', '/v1/models/half_plus_two/labels/stable/metadata')).status, 200);
  await expectError(app, 'GET', '/v1/models/nope/metadata', undefined, 404, 'Servable not found for request: Latest(nope)');
  await expectError(app, 'GET', '/v1/models/half_plus_two/versions/7/metadata', undefined, 404, 'Servable not found for request: Specific(half_plus_two, 7)');
  await expectError(app, 'GET', '/v1/models/half_plus_two/labels/canary/metadata', undefined, 400, 'Unrecognized servable version label: canary');
  assert.equal(core.held, 0);
});

test('predict: upstream values in row and columnar form, all URL forms', async () => {
  const { app, core } = makeApp();
  const p = (url: string, body: string) => call(app, 'POST', url, body);
  const row = await p('/v1/models/half_plus_two:predict', '{"instances": [2.0, 3.0, 4.0]}');
  assert.equal(row.status, 200);
  assert.equal(row.headers['content-type'], 'application/json');
  assert.equal(row.body, '{\n    "predictions": [3.0, 3.5, 4.0\n    ]\n}');
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"inputs": [2.0, 3.0, 4.0]}')).json(), { outputs: [3.0, 3.5, 4.0] });
  assert.deepEqual((await p('/v1/models/half_plus_two/versions/123:predict', '{"instances": [[1.0, 2.0], [3.0, 4.0]]}')).json(), {
    predictions: [[2.5, 3.0], [3.5, 4.0]],
  });
  assert.deepEqual((await p('/v1/models/half_plus_two/labels/stable:predict', '{"instances": [{"x": [1.0]}]}')).json(), { predictions: [[2.5]] });
  // signature_name, several outputs, trailing garbage ignored, NaN in and out.
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"signature_name": "multi_out", "instances": [1, NaN]} trailing')).json(), {
    predictions: [
      { double: 2.0, same: 1.0 },
      { double: 'NaN', same: 'NaN' },
    ],
  });
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"signature_name": "multi_out", "inputs": [1]}')).json(), {
    outputs: { double: [2.0], same: [1.0] },
  });
  // Strings: `_bytes` outputs come back as b64 objects.
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"signature_name": "echo_bytes", "instances": ["hi", {"b64": "AP8="}]}')).json(), {
    predictions: [
      { out: 'hi', out_bytes: { b64: 'aGk=' } },
      { out: '\u0000\ufffd', out_bytes: { b64: 'AP8=' } },
    ],
  });
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"signature_name": "int64_times_two", "inputs": [4611686018427387903]}')).body, '{\n    "outputs": [\n        9223372036854775806\n    ]\n}');
  assert.deepEqual((await p('/v1/models/half_plus_two:predict', '{"signature_name": "bool_not", "inputs": [[true, false]]}')).json(), { outputs: [[false, true]] });
  assert.equal(core.held, 0);
});

test('predict: error table (model, signature, JSON, dtype, shape)', async () => {
  const { app, core } = makeApp();
  const url = '/v1/models/half_plus_two:predict';
  await expectError(app, 'POST', '/v1/models/half:predict', '{"instances": [1]}', 404, 'Servable not found for request: Latest(half)');
  await expectError(app, 'POST', '/v1/models/half_plus_two/versions/9:predict', '{"instances": [1]}', 404, 'Servable not found for request: Specific(half_plus_two, 9)');
  await expectError(app, 'POST', '/v1/models/half_plus_two/labels/x:predict', '{"instances": [1]}', 400, 'Unrecognized servable version label: x');
  // JSON errors come before model lookup.
  await expectError(app, 'POST', '/v1/models/half:predict', '{', 400, 'JSON Parse error: Missing a name for object member. at offset: 1');
  await expectError(app, 'POST', url, '', 400, 'JSON Parse error: The document is empty');
  await expectError(app, 'POST', url, '   ', 400, 'JSON Parse error: The document is empty. at offset: 3');
  await expectError(app, 'POST', url, '{"instances": [1]', 400, "JSON Parse error: Missing a comma or '}' after an object member. at offset: 17");
  await expectError(app, 'POST', url, '[1]', 400, 'JSON Value: [1] Is not object');
  await expectError(app, 'POST', url, '{"signature_name": "nope", "instances": [1]}', 400, 'Serving signature name: "nope" not found in signature def');
  await expectError(app, 'POST', url, '{"signature_name": "no_inputs", "instances": [1]}', 400, 'Failed to get input map for signature: no_inputs');
  await expectError(app, 'POST', url, '{"instances": ["a"]}', 400, "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float");
  await expectError(app, 'POST', url, '{"inputs": [[1], [2, 3]]}', 400, 'Encountered list at unexpected size: 2 at level: 1 expected size: 1');
  await expectError(app, 'POST', url, '{"signature_name": "half_input", "inputs": [1.0]}', 501, 'Conversion of JSON Value: 1.0 to type: half');
  await expectError(app, 'POST', url, '{"signature_name": "two_inputs", "instances": [{"a": [1], "b": [1, 2]}]}', 400, 'Incompatible shapes');
  assert.equal(core.held, 0);
});

test('predict: Content-Type is ignored; gzip bodies are decompressed; body limit answers 413', async () => {
  const { app } = makeApp({ bodyLimit: 4096 });
  const url = '/v1/models/half_plus_two:predict';
  const body = '{"instances": [1.0]}';
  for (const ct of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'not a type;;', 'application/json; charset=latin1']) {
    const r = await call(app, 'POST', url, body, ct === undefined ? {} : { 'content-type': ct });
    assert.equal(r.status, 200, String(ct));
  }
  const gz = await call(app, 'POST', url, gzipSync(body), { 'content-encoding': 'gzip' });
  assert.deepEqual(gz.json(), { predictions: [2.5] });
  const bad = await call(app, 'POST', url, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
  assert.equal(bad.status, 400);
  assert.match(bad.json().error, /^Failed to decompress gzip request body: /);
  const big = `{"instances": [${'1.0,'.repeat(2000)}1.0]}`;
  const tooBig = await call(app, 'POST', url, big);
  assert.equal(tooBig.status, 413);
  assert.deepEqual(tooBig.json(), { error: 'Request body is larger than the limit of 4096 bytes' });
  // A gzip bomb is cut at the limit on the uncompressed size.
  const bomb = await call(app, 'POST', url, gzipSync(big), { 'content-encoding': 'gzip' });
  assert.equal(bomb.status, 413);
});

test('classify and regress: upstream values and errors', async () => {
  const { app, core } = makeApp();
  const c = await call(app, 'POST', '/v1/models/half_plus_two:classify', '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}');
  assert.equal(c.status, 200);
  assert.equal(c.body, '{\n    "results": [[["", 3.0]]\n    ]\n}');
  assert.deepEqual((await call(app, 'POST', '/v1/models/half_plus_two:classify', '{"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}, {"x": 10.0}]}')).json(), {
    results: [[['', 12]], [['', 7]]],
  });
  const r = await call(app, 'POST', '/v1/models/half_plus_two:regress', '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}');
  assert.equal(r.body, '{\n    "results": [3.0]\n}');
  assert.deepEqual((await call(app, 'POST', '/v1/models/half_plus_two/versions/123:regress', '{"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]}')).json(), { results: [42] });
  // Context features merge into each example.
  assert.deepEqual((await call(app, 'POST', '/v1/models/half_plus_two:regress', '{"signature_name": "regress_x_to_y", "context": {"x": 4.0}, "examples": [{}, {}]}')).json(), {
    results: [4, 4],
  });
  await expectError(app, 'POST', '/v1/models/half_plus_two:regress', '{"examples": [{"x": 1.0}]}', 400, 'No regression inputs found in SignatureDef: inputs {\n  key: "x"\n  value {\n    name: "x:0"\n    dtype: DT_FLOAT\n    tensor_shape {\n      dim {\n        size: -1\n      }\n      dim {\n        size: 1\n      }\n    }\n  }\n}\noutputs {\n  key: "y"\n  value {\n    name: "y:0"\n    dtype: DT_FLOAT\n    tensor_shape {\n      dim {\n        size: -1\n      }\n      dim {\n        size: 1\n      }\n    }\n  }\n}\nmethod_name: "tensorflow/serving/predict"\n');
  await expectError(app, 'POST', '/v1/models/half_plus_two:classify', '{"signature_name": "zz", "examples": [{"x": 1.0}]}', 400, 'No signature was found with the name: zz');
  await expectError(app, 'POST', '/v1/models/nope:classify', '{"examples": [{"x": 1.0}]}', 404, 'Servable not found for request: Latest(nope)');
  await expectError(app, 'POST', '/v1/models/nope:classify', '{"examples": []}', 400, `JSON Value: {\n    "examples": []\n} 'examples' value is an empty array`);
  // An int64 feature where the model parses a float feature: the model's error comes back.
  const wrongKind = await call(app, 'POST', '/v1/models/half_plus_two:regress', '{"signature_name": "regress_x_to_y", "examples": [{"x": 2}]}');
  assert.equal(wrongKind.status, 400);
  assert.equal(core.held, 0);
});

test('--rest_api_timeout_in_ms: a slow run answers 504 and the handle is released', { timeout: 60_000 }, async () => {
  const { app, core } = makeApp({ restApiTimeoutMs: 50 });
  // A 10-minute run ends only through the timeout's abort: if it did not, the answer and the
  // release would not come and the test fails at its timeout.
  await expectError(app, 'POST', '/v1/models/half_plus_two:predict', '{"signature_name": "slow", "instances": [600000]}', 504, 'Timed out waiting for notification');
  await core.untilHeld(0);
  assert.equal(core.held, 0);
  // Fast runs are unaffected, and 0 disables the timeout.
  assert.equal((await call(app, 'POST', '/v1/models/half_plus_two:predict', '{"signature_name": "slow", "instances": [1]}')).status, 200);
  const none = makeApp({ restApiTimeoutMs: 0 }).app;
  assert.equal((await call(none, 'POST', '/v1/models/half_plus_two:predict', '{"signature_name": "slow", "instances": [80]}')).status, 200);
});

test('metrics hooks and the Prometheus path', async () => {
  const seen: RestRequestInfo[] = [];
  const { app } = makeApp({
    metrics: { onRequest: (i) => seen.push(i) },
    metricsPath: '/monitoring/prometheus/metrics',
    metricsHandler: () => ({ contentType: 'text/plain; version=0.0.4', body: '# metrics\n' }),
  });
  await call(app, 'POST', '/v1/models/half_plus_two:predict', '{"instances": [1.0]}');
  await call(app, 'POST', '/v1/models/nope:classify', '{"examples": [{}]}');
  await call(app, 'GET', '/v1/models/half_plus_two');
  await call(app, 'GET', '/v1/bad');
  assert.deepEqual(
    seen.map((s) => [s.modelName, s.api, s.codeName, s.httpStatus]),
    [
      ['half_plus_two', 'predict', 'OK', 200],
      ['nope', 'classify', 'NOT_FOUND', 404],
      ['half_plus_two', '', 'OK', 200],
      ['', '', 'INVALID_ARGUMENT', 400],
    ],
  );
  assert.ok(seen.every((s) => s.latencySeconds >= 0 && s.latencySeconds < 5));
  const m = await call(app, 'GET', '/monitoring/prometheus/metrics');
  assert.equal(m.status, 200);
  assert.equal(m.body, '# metrics\n');
  assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4');
});
