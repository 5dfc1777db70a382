/**
 * `tfs serve --runtime tensorflow`: zoo models served from TensorFlow's own runtime through
 * the native addon, over REST (fastify inject) and gRPC (loopback). Needs the addon built
 * (`tfs native install`, or `npm run test:native` which builds it): without it every test
 * here SKIPS with the reason (CI has no TensorFlow).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { ADDON_FILE, loadNativeAddon, nativeDir } from '../../src/native/addon.js';
import { loadNativeServable } from '../../src/servables/native-servable.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import { buildRestApp } from '../../src/server/rest/app.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';
import { call, connect, makeNdarray, makeTensorProto, statusOf } from '../server/grpc/client.js';

const zoo = (model: string): string => join(fixtures, 'zoo', 'models', model);
const SKIP = `the native addon is not built in ${nativeDir()} (run \`tfs native install\` or npm run test:native; needs TensorFlow)`;

function addonOrSkip(t: TestContext): boolean {
  if (existsSync(join(nativeDir(), ADDON_FILE))) return true;
  t.skip(SKIP);
  return false;
}

async function serve(t: TestContext, model: string, ...args: string[]): Promise<RunningServer> {
  const values = parseServeFlags(
    ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--runtime=tensorflow', `--model_name=${model}`, `--model_base_path=${zoo(model)}`, ...args],
    {},
  ).values;
  const s = await startServer({ flags: values, logger: pino({ level: 'silent' }) });
  t.after(() => s.shutdown(0));
  return s;
}

const INT64 = ['9223372036854775807', '-9223372036854775808', '9007199254740993', '-9007199254740995', '4611686018427400249', '-1'];

test('REST and gRPC: int64 beyond 2^53 exact both ways; metadata identical to the embedded runtime', async (t) => {
  if (!addonOrSkip(t)) return;
  const s = await serve(t, 'dtype_int64');
  const app = buildRestApp({ core: s.core });
  t.after(() => app.close());
  const body = `{"signature_name": "identity", "instances": [[${INT64.slice(0, 3).join(', ')}], [${INT64.slice(3).join(', ')}]]}`;
  const res = await app.inject({ method: 'POST', url: '/v1/models/dtype_int64:predict', payload: body });
  assert.equal(res.statusCode, 200, res.body);
  // Compared as text: JSON.parse would round the values this test is about.
  assert.equal(res.body.replace(/\s+/g, ''), `{"predictions":[[${INT64.slice(0, 3).join(',')}],[${INT64.slice(3).join(',')}]]}`);
  const neg = await app.inject({ method: 'POST', url: '/v1/models/dtype_int64:predict', payload: `{"signature_name": "add_one", "inputs": {"x": [[${INT64.slice(0, 3).join(', ')}]]}}` });
  assert.equal(neg.statusCode, 200, neg.body);
  // TF's wrap-around: -(-2^63) = -2^63 and 2^63-1 + 1 = -2^63.
  assert.match(neg.body.replace(/\s+/g, ''), /"neg":\[\[-9223372036854775807,-9223372036854775808,-9007199254740993\]\]/);
  assert.match(neg.body.replace(/\s+/g, ''), /"y":\[\[-9223372036854775808,-9223372036854775807,9007199254740994\]\]/);

  // The same over gRPC, both as tensor_content and as int64_val.
  const c = connect(s.grpcPort!);
  t.after(() => c.close());
  for (const typed of [false, true]) {
    const r = await call(c.prediction, 'Predict', {
      model_spec: { name: 'dtype_int64', signature_name: 'identity' },
      inputs: { x: makeTensorProto('DT_INT64', [2, 3], INT64, typed) },
    });
    assert.equal(statusOf(r), undefined);
    assert.deepEqual(makeNdarray(r.res.outputs.y), { dtype: 'DT_INT64', shape: [2, 3], values: INT64 });
  }

  // The embedded runtime refuses this model (int64 constants beyond int32), so the metadata is
  // compared on one it serves: half_plus_two, from both runtimes.
  const hp = join(fixtures, 'models', 'half_plus_two', '00000123');
  const [native, embedded] = await Promise.all([loadNativeServable('half_plus_two', 123, hp), loadSavedModelServable('half_plus_two', 123, hp)]);
  t.after(() => Promise.all([native.dispose(), embedded.dispose()]));
  assert.deepEqual(native.signatureDefMap, embedded.signatureDefMap);
  assert.deepEqual([...native.signatures.entries()], [...embedded.signatures.entries()]);
  const md = await app.inject({ method: 'GET', url: '/v1/models/dtype_int64/metadata' });
  assert.deepEqual(Object.keys(JSON.parse(md.body).metadata.signature_def.signature_def).sort(), [
    '__saved_model_init_op', 'add_one', 'argmax', 'compare', 'floordiv_mod', 'identity', 'range_from_int64',
  ]);
});

test('gRPC: int64 and raw (non-UTF-8) string bytes exact both ways; TF statuses keep their code and text', async (t) => {
  if (!addonOrSkip(t)) return;
  const s = await serve(t, 'dtype_string_bytes');
  const c = connect(s.grpcPort!);
  t.after(() => c.close());
  const bytes = [Buffer.from([0xff, 0xfe, 0x00, 0x61]), Buffer.from([0x80, 0x81]), Buffer.alloc(0), Buffer.from('été')];
  const r = await call(c.prediction, 'Predict', {
    model_spec: { name: 'dtype_string_bytes', signature_name: 'identity' },
    inputs: { x: makeTensorProto('DT_STRING', [2, 2], bytes) },
  });
  assert.equal(statusOf(r), undefined);
  const y = makeNdarray(r.res.outputs.y);
  assert.deepEqual(y.shape, [2, 2]);
  assert.deepEqual(y.values, bytes);

  // A feed of the wrong dtype reaches TensorFlow, whose session refuses it with its own text.
  const wrong = await call(c.prediction, 'Predict', {
    model_spec: { name: 'dtype_string_bytes', signature_name: 'identity' },
    inputs: { x: makeTensorProto('DT_INT64', [1, 2], ['1', '2']) },
  });
  assert.deepEqual(statusOf(wrong), [3, 'Expects arg[0] to be string but int64 is provided']);
});

test('native servable: concurrent runs off the event loop, each answer its own; dispose waits for runs in flight', async (t) => {
  if (!addonOrSkip(t)) return;
  const s = await loadNativeServable('dtype_int64', 1, join(zoo('dtype_int64'), '1'));
  const calls = Array.from({ length: 64 }, (_, i) => {
    const x = BigInt64Array.from([BigInt(i) << 40n, -(2n ** 62n) - BigInt(i), 2n ** 53n + BigInt(i)]);
    return s.run('identity', { x: { dtype: 'DT_INT64', shape: [1, 3], data: x } }).then((out) => [x, out['y']!] as const);
  });
  const disposed = s.dispose();
  for (const [x, y] of await Promise.all(calls)) {
    assert.equal(y.dtype, 'DT_INT64');
    assert.deepEqual(y.shape, [1, 3]);
    assert.deepEqual(y.data, x);
  }
  await disposed;
  await assert.rejects(s.run('identity', {}), /has been unloaded/);
});

/** The tfs_runtime_device series of a running server, as `runtime device` strings. */
async function devicesOf(s: RunningServer, model: string): Promise<string[]> {
  const m = await s.metrics.registry.getSingleMetric('tfs_runtime_device')!.get();
  return m.values.filter((v) => v.labels['model_name'] === model && v.value === 1).map((v) => `${String(v.labels['runtime'])} ${String(v.labels['device'])}`);
}

test('metrics say which runtime and device a version runs on: embedded (tfjs backend), no addon needed', async (t) => {
  const values = parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=dtype_int64', `--model_base_path=${zoo('dtype_int64')}`], {}).values;
  const s = await startServer({ flags: values, logger: pino({ level: 'silent' }) });
  t.after(() => s.shutdown(0));
  assert.deepEqual(await devicesOf(s, 'dtype_int64'), ['embedded wasm']);
});

test('metrics say which runtime and device a version runs on: TensorFlow lists the session devices', async (t) => {
  if (!addonOrSkip(t)) return;
  const s = await serve(t, 'dtype_int64');
  const devices = await devicesOf(s, 'dtype_int64');
  assert.ok(devices.includes('tensorflow /job:localhost/replica:0/task:0/device:CPU:0'), devices.join('; '));
  assert.ok(devices.every((d) => d.startsWith('tensorflow /job:localhost/')), devices.join('; '));
});

test('native servable: output_filter picks and orders outputs; unknown and repeated aliases fail with upstream texts', async (t) => {
  if (!addonOrSkip(t)) return;
  const s = await loadNativeServable('dtype_int64', 1, join(zoo('dtype_int64'), '1'));
  t.after(() => s.dispose());
  const x = { dtype: 'DT_INT64', shape: [1, 3], data: BigInt64Array.from([5n, -2n, 7n]) } as const;
  const all = await s.run('compare', { x });
  assert.deepEqual(Object.keys(all), ['eq', 'gt', 'max']);
  const some = await s.run('compare', { x }, { outputFilter: ['max', 'eq'] });
  assert.deepEqual(Object.keys(some), ['max', 'eq']);
  assert.deepEqual(some['max'], all['max']);
  assert.deepEqual(some['eq'], all['eq']);
  await assert.rejects(s.run('compare', { x }, { outputFilter: ['nope'] }), /nope/);
  await assert.rejects(s.run('compare', { x }, { outputFilter: ['eq', 'eq'] }), /eq/);
  await assert.rejects(s.run('compare', { x, z: x }), /z/);
});

test('REST: a Keras 3 model saved with tf.saved_model.save answers with TensorFlow\'s values (its captured variables restored)', async (t) => {
  if (!addonOrSkip(t)) return;
  if (!loadNativeAddon().features?.includes('restoreCaptured')) {
    t.skip(`the addon in ${nativeDir()} predates restoring captured variables (rebuild it: tfs native install)`);
    return;
  }
  // TensorFlow's graph loader alone fails this signature with "Could not find variable sequential/dense_1/kernel".
  const s = await serve(t, 'k3_tf_save_mlp');
  const app = buildRestApp({ core: s.core });
  t.after(() => app.close());
  const x = [0.22817710041999817, -0.6037706732749939, -0.8298947215080261, 0.21559065580368042, -0.11768341809511185];
  const res = await app.inject({ method: 'POST', url: '/v1/models/k3_tf_save_mlp:predict', payload: { signature_name: 'logits', instances: [x] } });
  assert.equal(res.statusCode, 200, res.body);
  const [row] = (JSON.parse(res.body) as { predictions: { class: number; logits: number[] }[] }).predictions;
  // tf.saved_model.load's answer for this row (fixtures/zoo/oracle.jsonl).
  const want = [0.07771651446819305, 0.28707554936408997, 0.4599553346633911];
  assert.equal(row!.class, 2);
  row!.logits.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `logits[${i}] = ${v}, TF gives ${want[i]}`));
});
