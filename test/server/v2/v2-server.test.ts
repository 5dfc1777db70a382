/**
 * The Open Inference Protocol on a real `tfs serve` (startServer, loopback sockets): every
 * REST endpoint and gRPC RPC, JSON and binary inference against TensorFlow's outputs for
 * every model of ../shared/fixtures/zoo, malformed binary requests, and the server still
 * serving afterwards. The client (test/helpers/v2-client.ts) is written from the protocol.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { parseServeFlags } from '../../../src/server/flags.js';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { assertClose } from '../../e2e/oracle.js';
import { fixtures, hasShared, sharedFixtures, SHARED_MISSING } from '../../helpers/paths.js';
import { V2GrpcClient, V2RestClient, type V2Tensor } from '../../helpers/v2-client.js';

const V2_OF: Record<string, string> = { DT_FLOAT: 'FP32', DT_DOUBLE: 'FP64', DT_INT32: 'INT32', DT_INT64: 'INT64', DT_STRING: 'BYTES', DT_BOOL: 'BOOL' };

/** Compare V2 output values with an oracle tensor: floats within tolerance, the rest exactly. */
function same(actual: unknown[], o: { dtype: string; values: unknown; encoding?: string }, what: string): void {
  const expected = [o.values].flat(Infinity);
  if (o.dtype === 'DT_FLOAT' || o.dtype === 'DT_DOUBLE') return assertClose(actual.map(Number), expected, what);
  const norm = (v: unknown): unknown =>
    v instanceof Uint8Array ? Buffer.from(v).toString(o.encoding === 'base64' ? 'base64' : 'utf8') : typeof v === 'bigint' ? Number(v) : v;
  assert.deepEqual(actual.map(norm), expected, what);
}

let server: RunningServer;
let rest: V2RestClient;
let grpcClient: V2GrpcClient;

before(async () => {
  const dir = join(fixtures, 'models', 'half_plus_two');
  server = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two', `--model_base_path=${dir}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  rest = new V2RestClient(`http://127.0.0.1:${server.restPort}`);
  grpcClient = new V2GrpcClient(`127.0.0.1:${server.grpcPort}`);
});

after(async () => {
  grpcClient.close();
  await server.shutdown(1000);
});

const x = (data: number[]): V2Tensor => ({ name: 'x', datatype: 'FP32', shape: [data.length, 1], data });

test('REST health, server and model metadata, readiness', async () => {
  assert.deepEqual(await rest.get('/v2/health/live'), { status: 200, body: { live: true } });
  assert.deepEqual(await rest.get('/v2/health/ready'), { status: 200, body: { ready: true } });
  const meta = await rest.get('/v2');
  assert.equal(meta.status, 200);
  assert.ok(meta.body.extensions.includes('binary_tensor_data'));
  const m = await rest.get('/v2/models/half_plus_two');
  assert.equal(m.status, 200);
  assert.deepEqual(m.body, {
    name: 'half_plus_two',
    versions: ['123'],
    platform: 'tensorflow_savedmodel',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  });
  assert.equal((await rest.get('/v2/models/half_plus_two/versions/123')).status, 200);
  assert.deepEqual(await rest.get('/v2/models/half_plus_two/ready'), { status: 200, body: { name: 'half_plus_two', ready: true } });
  assert.equal((await rest.get('/v2/models/half_plus_two/versions/123/ready')).status, 200);
  const unknown = await rest.get('/v2/models/nope');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, "Request for unknown model: 'nope' is not found");
  assert.equal((await rest.get('/v2/models/half_plus_two/versions/7')).status, 404);
  assert.equal((await rest.get('/v2/models/nope/ready')).status, 404);
  assert.equal((await rest.get('/v2/models/half_plus_two/versions/abc')).status, 400);
  assert.equal((await rest.get('/v2/nothing/here')).status, 404);
});

test('REST infer: JSON (flat and nested data), id echoed, outputs chosen, binary in and out', async () => {
  const r = await rest.inferJson('half_plus_two', [x([1, 2, 3])], { id: 'req-1' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.id, 'req-1');
  assert.equal(r.body.model_version, '123');
  assert.deepEqual(r.body.outputs, [{ name: 'y', datatype: 'FP32', shape: [3, 1], data: [2.5, 3, 3.5] }]);
  const nested = await rest.post('/v2/models/half_plus_two/versions/123/infer', {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], data: [[4], [6]] }],
    outputs: [{ name: 'y' }],
  });
  assert.deepEqual(nested.body.outputs[0].data, [4, 5]);
  const bin = await rest.inferBinary('half_plus_two', [x([0, 10])]);
  assert.equal(bin.status, 200, JSON.stringify(bin.body));
  assert.deepEqual(bin.response!.outputs, [{ name: 'y', datatype: 'FP32', shape: [2, 1], data: [2, 7] }]);
  assert.deepEqual(bin.body.outputs[0].parameters, { binary_data_size: 8 });
  // Binary input, JSON output.
  const mixed = await rest.inferBinary('half_plus_two', [x([2])], []);
  assert.equal(mixed.status, 200);
  assert.deepEqual(mixed.body.outputs[0].data, [3]);
});

test('REST infer errors: 400 for bad requests, 404 for unknown models, and the server keeps serving', async () => {
  const base = `http://127.0.0.1:${server.restPort}/v2/models/half_plus_two/infer`;
  const send = async (body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(base, { method: 'POST', body, headers });
    return { status: res.status, body: await res.json() };
  };
  const header = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  const floats = Buffer.from(new Float32Array([1, 2]).buffer);
  const head = header({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: 8 } }] });
  const cases: Array<[string, Promise<{ status: number; body: any }>, number, RegExp]> = [
    ['header length beyond the body', send(Buffer.concat([head, floats]), { 'Inference-Header-Content-Length': '100000' }), 400, /Inference-Header-Content-Length/],
    ['negative header length', send(Buffer.concat([head, floats]), { 'Inference-Header-Content-Length': '-5' }), 400, /Inference-Header-Content-Length/],
    [
      'negative binary_data_size',
      send(Buffer.concat([header({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: -8 } }] }), floats]), {
        'Inference-Header-Content-Length': String(header({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: -8 } }] }).length),
      }),
      400,
      /negative/,
    ],
    [
      'binary_data_size not matching the shape',
      send(Buffer.concat([header({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 1], parameters: { binary_data_size: 8 } }] }), floats]), {
        'Inference-Header-Content-Length': String(header({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 1], parameters: { binary_data_size: 8 } }] }).length),
      }),
      400,
      /unexpected total byte size 8 for input 'x', expecting 12/,
    ],
    ['bytes left over after the inputs', send(Buffer.concat([head, floats, floats]), { 'Inference-Header-Content-Length': String(head.length) }), 400, /16 bytes follow/],
    ['data count not matching the shape', send(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 1], data: [1, 2] }] })), 400, /needs 3 elements/],
    ['unknown datatype', send(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP8', shape: [1, 1], data: [1] }] })), 400, /unknown datatype 'FP8'/],
    ['wrong datatype', send(JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 1], data: [1] }] })), 400, /unexpected datatype INT32 for inference input 'x', expecting FP32/],
    ['unknown input', send(JSON.stringify({ inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 1], data: [1] }] })), 400, /unexpected inference input 'z'/],
    ['unknown output', send(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }], outputs: [{ name: 'q' }] })), 400, /unexpected inference output 'q'/],
    ['not JSON', send('{"inputs": ['), 400, /./],
    ['no inputs', send('{}'), 400, /no 'inputs'/],
  ];
  for (const [what, p, status, re] of cases) {
    const r = await p;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, re, what);
  }
  const unknown = await rest.inferJson('nope', [x([1])]);
  assert.equal(unknown.status, 404);
  assert.equal((await rest.inferJson('half_plus_two', [x([1])], {}, '9')).status, 404);
  const still = await rest.inferJson('half_plus_two', [x([2])]);
  assert.deepEqual(still.body.outputs[0].data, [3]);
});

test('gRPC GRPCInferenceService: health, metadata, ModelInfer typed and raw, status codes', async () => {
  assert.deepEqual(await grpcClient.call('ServerLive', {}), { live: true });
  assert.deepEqual(await grpcClient.call('ServerReady', {}), { ready: true });
  assert.deepEqual(await grpcClient.call('ModelReady', { name: 'half_plus_two', version: '' }), { ready: true });
  assert.deepEqual(await grpcClient.call('ModelReady', { name: 'nope', version: '' }), { ready: false });
  const sm = await grpcClient.call('ServerMetadata', {});
  assert.ok(sm.extensions.includes('model_repository'));
  const mm = await grpcClient.call('ModelMetadata', { name: 'half_plus_two', version: '' });
  assert.equal(mm.platform, 'tensorflow_savedmodel');
  assert.deepEqual(mm.inputs, [{ name: 'x', datatype: 'FP32', shape: ['-1', '1'] }]);
  const typed = await grpcClient.inferTyped('half_plus_two', [x([1, 3])]);
  assert.deepEqual(typed.outputs, [{ name: 'y', datatype: 'FP32', shape: [2, 1], data: [2.5, 3.5] }]);
  const raw = await grpcClient.inferRaw('half_plus_two', [x([5])], '123');
  assert.equal(raw.model_version, '123');
  assert.deepEqual(raw.outputs[0]!.data, [4.5]);
  const code = async (p: Promise<unknown>): Promise<number> => p.then(() => 0, (e: { code: number }) => e.code);
  assert.equal(await code(grpcClient.inferRaw('nope', [x([1])])), 5); // NOT_FOUND
  assert.equal(await code(grpcClient.inferRaw('half_plus_two', [{ ...x([1]), shape: [2, 1] }])), 3); // INVALID_ARGUMENT
  assert.equal(await code(grpcClient.call('ModelMetadata', { name: 'half_plus_two', version: 'x' })), 3);
});

test('metrics: V2 requests are counted under Triton names', async () => {
  const text = await server.metrics.registry.getSingleMetricAsString('nv_inference_request_success');
  assert.match(text, /nv_inference_request_success\{model="half_plus_two",version="123"\} [1-9]/);
  const failures = await server.metrics.registry.getSingleMetricAsString('nv_inference_request_failure');
  assert.match(failures, /model="half_plus_two"/);
});

test("every model of ../shared/fixtures/zoo over REST JSON, REST binary and gRPC matches TensorFlow's outputs", async (t) => {
  if (!hasShared) {
    if (process.env['CI']) throw new Error(SHARED_MISSING);
    t.skip(SHARED_MISSING);
    return;
  }
  const zoo = join(sharedFixtures, 'zoo');
  const calls = readFileSync(join(zoo, 'oracle.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const models = [...new Set(calls.map((c: any) => c.model as string))];
  const s = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', `--model_repository=${zoo}`, '--model_control_mode=explicit'], {}).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    const r = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
    const g = new V2GrpcClient(`127.0.0.1:${s.grpcPort}`);
    for (const m of models) assert.equal((await r.post(`/v2/repository/models/${m}/load`)).status, 200, m);
    let checked = 0;
    for (const c of calls) {
      const versions = calls.filter((o: any) => o.model === c.model).map((o: any) => o.version as number);
      if (c.version !== Math.max(...versions)) continue; // latest{1}: the newest version is loaded
      const inputs: V2Tensor[] = Object.entries(c.inputs as Record<string, any>).map(([name, i]) => ({
        name,
        datatype: V2_OF[i.dtype]!,
        shape: i.shape,
        data: [i.values].flat(Infinity).map((v: any) => (i.encoding === 'base64' ? new Uint8Array(Buffer.from(v, 'base64')) : v)),
      }));
      // JSON carries BYTES as UTF-8 text: raw bytes (serialized Examples) go binary or gRPC only.
      const textOnly = Object.values(c.inputs as Record<string, any>).every((i) => i.encoding !== 'base64');
      if (textOnly) {
        const json = await r.inferJson(c.model, inputs, { parameters: { signature_name: c.signature } });
        assert.equal(json.status, 200, `${c.model}/${c.signature}: ${JSON.stringify(json.body)}`);
        for (const [name, o] of Object.entries(c.outputs as Record<string, any>)) {
          const got = json.body.outputs.find((x: any) => x.name === name);
          assert.deepEqual(got.shape, o.shape);
          same(got.data, o, `${c.model} ${name} json`);
        }
      }
      const bin = await r.inferBinary(c.model, inputs, Object.keys(c.outputs), undefined, { signature_name: c.signature });
      assert.equal(bin.status, 200, `${c.model}/${c.signature} binary: ${JSON.stringify(bin.body)}`);
      const viaGrpc = await g.inferRaw(c.model, inputs, '', c.signature);
      for (const [name, o] of Object.entries(c.outputs as Record<string, any>)) {
        same(bin.response!.outputs.find((x) => x.name === name)!.data, o, `${c.model} ${name} binary`);
        same(viaGrpc.outputs.find((x) => x.name === name)!.data, o, `${c.model} ${name} grpc`);
      }
      checked++;
    }
    assert.ok(checked > 0);
    g.close();
  } finally {
    await s.shutdown(1000);
  }
});

test('batching applies to V2: a REST JSON, a REST binary and a gRPC request fill one batch of 3', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'tfs-v2-batching-'));
  // A batch runs when 3 rows are queued (the 60 s timeout never fires in this test).
  writeFileSync(join(dir, 'batching.config'), 'max_batch_size { value: 3 } batch_timeout_micros { value: 60000000 } num_batch_threads { value: 1 }');
  const s = await startServer({
    flags: parseServeFlags([
      '--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two',
      `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--enable_batching', `--batching_parameters_file=${join(dir, 'batching.config')}`,
      '--batch_execution=in-thread',
    ], {}).values,
    logger: pino({ level: 'silent' }),
  });
  const r = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
  const g = new V2GrpcClient(`127.0.0.1:${s.grpcPort}`);
  try {
    const [a, b, c] = await Promise.all([r.inferJson('half_plus_two', [x([2])]), r.inferBinary('half_plus_two', [x([4])]), g.inferRaw('half_plus_two', [x([6])])]);
    assert.deepEqual(a.body.outputs[0].data, [3]);
    assert.deepEqual(b.response!.outputs[0]!.data, [4]);
    assert.deepEqual(c.outputs[0]!.data, [5]);
    const text = await s.metrics.registry.getSingleMetricAsString('tensorflow_serving_batch_size');
    assert.match(text, /tensorflow_serving_batch_size_sum\{[^}]*\} 3\b/);
    assert.match(text, /tensorflow_serving_batch_size_count\{[^}]*\} 1\b/);
  } finally {
    g.close();
    await s.shutdown(1000);
  }
});

test('drain: during shutdown a /v2 request is refused with 503 while an in-flight one finishes', async () => {
  const s = await startServer({
    flags: parseServeFlags([
      '--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two',
      `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`,
    ], {}).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    // A V2 request whose body is still arriving is in flight; the server has its headers
    // once it answers `Expect: 100-continue`.
    const body = JSON.stringify({ inputs: [x([4])] });
    const req = request({
      host: '127.0.0.1',
      port: s.restPort,
      path: '/v2/models/half_plus_two/infer',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    const inFlight = new Promise<{ status: number; body: any }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', () => resolve()));
    const closed = s.shutdown(20_000);
    const r = new V2RestClient(`http://127.0.0.1:${s.restPort}`);
    const refused = await r.inferJson('half_plus_two', [x([1])]);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, 'Server is shutting down');
    req.end(body);
    const done = await inFlight;
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.outputs[0].data, [4]);
    await closed;
  } finally {
    await s.shutdown(0);
  }
});
