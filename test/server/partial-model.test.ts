/**
 * A model with a signature the runtime cannot serve (test/runtime/fixtures/models/unsupported:
 * signatures a and b need BesselK0e, c computes x * 2). By default the version loads and is
 * AVAILABLE with c served; a and b stay in the metadata and every request to them gets
 * UNIMPLEMENTED naming the op and the signature, over REST (inject), gRPC (loopback) and V2;
 * the server keeps serving. `--refuse_partial_models` refuses the model, as before.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Code, TfsError } from '../../src/errors.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { buildRestApp } from '../../src/server/rest/app.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { repoRoot } from '../helpers/paths.js';
import { V2GrpcClient, V2RestClient } from '../helpers/v2-client.js';
import { call, connect, makeNdarray, makeTensorProto, type TestClients } from './grpc/client.js';

const base = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'unsupported');
const BESSEL_A = 'Model partial version 1: The model uses operations that tfs does not support: BesselK0e (needed by a)';

let server: RunningServer;
let grpcClients: TestClients;
const logLines: { level: number; msg: string }[] = [];

before(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) logLines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  server = await startServer({
    // Batching on: every request below also crosses the batching servable.
    flags: parseServeFlags(
      ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--backend=wasm', '--enable_batching', '--model_name=partial', `--model_base_path=${base}`],
      {},
    ).values,
    logger: pino({ level: 'info' }, stream),
  });
  grpcClients = connect(server.grpcPort!);
});

after(async () => {
  grpcClients.close();
  await server.shutdown(1000);
});

test('the model is AVAILABLE; one warning at load names the signatures not served and why', () => {
  const [status] = server.core.getModelStatus('partial');
  assert.equal(status?.state, 'AVAILABLE');
  const warnings = logLines.filter((l) => l.level === 40 && l.msg.includes('is served without'));
  assert.equal(warnings.length, 1, JSON.stringify(logLines.map((l) => l.msg)));
  assert.equal(
    warnings[0]!.msg,
    'model partial version 1 is served without 2 of its 3 signatures, which answer UNIMPLEMENTED (--refuse_partial_models refuses such models): signature a (needs BesselK0e); signature b (needs BesselK0e)',
  );
});

test('REST: metadata lists every signature; c answers, a and b get 501 naming the op and signature, repeatedly', async () => {
  const app = buildRestApp({ core: server.core });
  const meta = await app.inject({ method: 'GET', url: '/v1/models/partial/metadata' });
  assert.equal(meta.statusCode, 200);
  assert.deepEqual(Object.keys(meta.json().metadata.signature_def.signature_def).sort(), ['__saved_model_init_op', 'a', 'b', 'c']);
  for (let i = 0; i < 2; i++) {
    const bad = await app.inject({ method: 'POST', url: '/v1/models/partial:predict', payload: { signature_name: 'a', inputs: { s: ['A'], x: [1] } } });
    assert.equal(bad.statusCode, 501);
    assert.deepEqual(bad.json(), { error: BESSEL_A });
    // Even a request with the wrong inputs gets the signature's error, not an input error.
    const wrong = await app.inject({ method: 'POST', url: '/v1/models/partial:predict', payload: { signature_name: 'b', instances: [{ nope: 1 }] } });
    assert.equal(wrong.statusCode, 501);
    assert.match(wrong.json().error, /BesselK0e \(needed by b\)$/);
    const good = await app.inject({ method: 'POST', url: '/v1/models/partial:predict', payload: { signature_name: 'c', instances: [1, 2.5] } });
    assert.equal(good.statusCode, 200, good.body);
    assert.deepEqual(good.json(), { predictions: [2, 5] });
  }
  await app.close();
});

test('gRPC: Predict on c answers, on a gets UNIMPLEMENTED with the same text; GetModelMetadata still answers', async () => {
  const bad = await call(grpcClients.prediction, 'Predict', {
    model_spec: { name: 'partial', signature_name: 'a' },
    inputs: { s: makeTensorProto('DT_STRING', [1], ['A']), x: makeTensorProto('DT_FLOAT', [1], [1]) },
  });
  assert.equal(bad.err?.code, Code.UNIMPLEMENTED);
  assert.equal(bad.err?.details, BESSEL_A);
  const good = await call(grpcClients.prediction, 'Predict', {
    model_spec: { name: 'partial', signature_name: 'c' },
    inputs: { x: makeTensorProto('DT_FLOAT', [3], [1, -2, 0.5]) },
  });
  assert.equal(good.err, null, good.err?.details);
  assert.deepEqual(makeNdarray(good.res.outputs.y).values, [2, -4, 1]);
  const meta = await call(grpcClients.prediction, 'GetModelMetadata', { model_spec: { name: 'partial' }, metadata_field: ['signature_def'] });
  assert.equal(meta.err, null, meta.err?.details);
});

test('V2: infer on c answers; on a, 501 over REST and UNIMPLEMENTED over gRPC', async () => {
  const rest = new V2RestClient(`http://127.0.0.1:${server.restPort}`);
  const good = await rest.inferJson('partial', [{ name: 'x', datatype: 'FP32', shape: [2], data: [3, 4] }], { parameters: { signature_name: 'c' } });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.deepEqual(good.body.outputs[0].data, [6, 8]);
  const bad = await rest.inferJson('partial', [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }], { parameters: { signature_name: 'b' } });
  assert.equal(bad.status, 501);
  assert.match(bad.body.error, /BesselK0e \(needed by b\)$/);
  const v2grpc = new V2GrpcClient(`127.0.0.1:${server.grpcPort}`);
  try {
    await assert.rejects(v2grpc.inferRaw('partial', [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }], '', 'b'), (e: { code: number; details: string }) => {
      assert.equal(e.code, Code.UNIMPLEMENTED);
      assert.match(e.details, /BesselK0e \(needed by b\)$/);
      return true;
    });
  } finally {
    v2grpc.close();
  }
});

test('the served version (timed, batching) reports its unserved signatures and refuses their runs', async () => {
  const handle = server.core.getServableHandle({ name: 'partial' });
  try {
    assert.deepEqual([...(handle.servable.unservedSignatures?.keys() ?? [])], ['a', 'b']);
    await assert.rejects(handle.servable.run('a', {}), (e: unknown) => e instanceof TfsError && e.message === BESSEL_A);
  } finally {
    handle.release();
  }
});

test('--refuse_partial_models (refusePartialModels) refuses the model, listing every unsupported op', async () => {
  await assert.rejects(loadSavedModelServable('partial', 1, join(base, '1'), { refusePartialModels: true }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.equal(e.message, 'Model partial version 1: The model uses operations that tfs does not support: BesselK0e (needed by a, b)');
    return true;
  });
});
