/**
 * A gRPC fuzzer with a fixed seed (test/reliability/seeded.ts; TFS_FUZZ_SEED overrides it,
 * the seed is printed): 2,400 adversarial calls over a real loopback socket (bytes that are
 * not protobuf, truncated and bit-flipped messages, wrong and unknown dtypes, huge and
 * negative dimensions, tensor_content of the wrong size, rank above 254, unknown models,
 * signatures, versions and labels). Every call must get a real status: never UNKNOWN,
 * never INTERNAL (all of them are the client's fault), never an empty error text.
 * Afterwards every model still answers exactly as before, and the server is still ready.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { lookupType } from '../../src/proto/root.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';
import { call, connect, makeNdarray, makeTensorProto } from '../server/grpc/client.js';
import { type Seeded, seedFromEnv, seeded } from './seeded.js';

const CASES = 2400;
const SEED = seedFromEnv(0x6f2c18);
const CONCURRENCY = 16;

const METHODS = [
  ['/tensorflow.serving.PredictionService/Predict', 'tensorflow.serving.PredictRequest'],
  ['/tensorflow.serving.PredictionService/Classify', 'tensorflow.serving.ClassificationRequest'],
  ['/tensorflow.serving.PredictionService/Regress', 'tensorflow.serving.RegressionRequest'],
  ['/tensorflow.serving.PredictionService/MultiInference', 'tensorflow.serving.MultiInferenceRequest'],
  ['/tensorflow.serving.PredictionService/GetModelMetadata', 'tensorflow.serving.GetModelMetadataRequest'],
  ['/tensorflow.serving.ModelService/GetModelStatus', 'tensorflow.serving.GetModelStatusRequest'],
] as const;

interface Case {
  readonly path: string;
  readonly bytes: Buffer;
  readonly what: string;
}

function modelSpec(r: Seeded): Record<string, unknown> {
  const spec: Record<string, unknown> = { name: r.pick(['half_plus_two', 'half_plus_two', 'my_model', 'nope', '', '\u0000', 'x'.repeat(5000)]) };
  switch (r.int(6)) {
    case 0: spec['version'] = { value: r.pick([1, 123, 0, -1, '9007199254740993', '9223372036854775807', '-9223372036854775808']) }; break;
    case 1: spec['version_label'] = r.pick(['stable', 'canary', 'nope', '']); break;
    case 2: spec['version'] = { value: 123 }; spec['version_label'] = 'stable'; break;
    default: break;
  }
  if (r.int(2) === 0) spec['signature_name'] = r.pick(['', 'serving_default', 'nope', 'regress_x_to_y', 'classify_x_to_y', 'tensorflow/serving/predict']);
  return spec;
}

/** A TensorProto plain object with adversarial dtype, shape and values. */
function tensor(r: Seeded): Record<string, unknown> {
  const dtype = r.pick([1, 1, 1, 2, 3, 7, 9, 10, 19, 20, 21, 0, 999, -3]);
  let dims: unknown[];
  switch (r.int(7)) {
    case 0: dims = [{ size: 1 << 30 }, { size: 1 << 30 }]; break;
    case 1: dims = [{ size: r.pick([-1, -5, '-9223372036854775808']) }]; break;
    case 2: dims = Array.from({ length: 255 + r.int(800) }, () => ({ size: 1 })); break;
    case 3: dims = [{ size: '9223372036854775807' }, { size: 2 }]; break;
    case 4: dims = []; break;
    default: dims = Array.from({ length: 1 + r.int(3) }, () => ({ size: r.int(4) })); break;
  }
  const t: Record<string, unknown> = { dtype, tensor_shape: r.int(10) === 0 ? { unknown_rank: true, dim: dims } : { dim: dims } };
  switch (r.int(6)) {
    case 0: t['tensor_content'] = r.bytes(r.int(64)); break;
    case 1: t['string_val'] = [r.bytes(r.int(16)), Buffer.from('a')]; break;
    case 2: t['int64_val'] = ['9223372036854775807', -1, 3]; break;
    case 3: t['half_val'] = [1, 70000]; break;
    default: t['float_val'] = Array.from({ length: r.int(12) }, () => r.next() * 10); break;
  }
  return t;
}

function message(r: Seeded, type: string): Record<string, unknown> {
  const example = { features: { feature: { x: { float_list: { value: [r.next()] } }, [r.pick(['y', 'z'])]: { bytes_list: { value: [r.bytes(3)] } } } } };
  const input = r.int(2) === 0
    ? { example_list: { examples: r.int(4) === 0 ? [] : [example] } }
    : { example_list_with_context: { examples: [example], context: example } };
  switch (type) {
    case 'tensorflow.serving.PredictRequest': {
      const inputs: Record<string, unknown> = {};
      for (let i = r.int(3); i >= 0; i--) inputs[r.pick(['x', 'x', 'y', 'nope', ''])] = tensor(r);
      return { model_spec: modelSpec(r), inputs, ...(r.int(4) === 0 ? { output_filter: [r.pick(['y', 'nope', ''])] } : {}) };
    }
    case 'tensorflow.serving.MultiInferenceRequest':
      return {
        tasks: Array.from({ length: r.int(3) }, () => ({ model_spec: modelSpec(r), method_name: r.pick(['tensorflow/serving/regress', 'tensorflow/serving/classify', 'nope']) })),
        input,
      };
    case 'tensorflow.serving.GetModelMetadataRequest':
      return { model_spec: modelSpec(r), metadata_field: [r.pick(['signature_def', 'nope', ''])] };
    case 'tensorflow.serving.GetModelStatusRequest':
      return { model_spec: modelSpec(r) };
    default:
      return { model_spec: modelSpec(r), input };
  }
}

/** One call: a generated message, then (often) a mutation of its bytes. */
function nextCase(r: Seeded): Case {
  const [path, type] = r.pick(METHODS);
  const T = lookupType(type);
  const valid = Buffer.from(T.encode(T.fromObject(message(r, type))).finish());
  switch (r.int(8)) {
    case 0: return { path, bytes: r.bytes(r.int(200)), what: 'random bytes' };
    case 1: return { path, bytes: valid.subarray(0, r.int(valid.length)), what: 'truncated' };
    case 2: {
      const b = Buffer.from(valid);
      for (let i = 1 + r.int(4); i > 0 && b.length > 0; i--) b[r.int(b.length)] = r.int(256);
      return { path, bytes: b, what: 'bytes mutated' };
    }
    case 3: return { path, bytes: Buffer.concat([valid, Buffer.from([r.int(256), r.int(256)]), r.bytes(r.int(8))]), what: 'trailing field' };
    case 4: return { path, bytes: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), what: 'length beyond the end' };
    default: return { path, bytes: valid, what: 'adversarial message' };
  }
}

function rawCall(client: grpc.Client, c: Case): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      c.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      c.bytes,
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
    );
  });
}

function writeConfig(dir: string): string {
  const file = join(dir, 'models.config');
  writeFileSync(
    file,
    `model_config_list { config { name: "half_plus_two" base_path: "${join(fixtures, 'models', 'half_plus_two')}" model_platform: "tensorflow" } ` +
      `config { name: "my_model" base_path: "${join(fixtures, 'models', 'my_model')}" model_platform: "tensorflow" } }`,
  );
  return file;
}

const TEN = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

test(`gRPC fuzzer: ${CASES} seeded calls, every one a proper status, no poisoned state`, async () => {
  console.log(`gRPC fuzzer seed: 0x${SEED.toString(16)} (TFS_FUZZ_SEED reproduces it)`);
  const dir = mkdtempSync(join(tmpdir(), 'tfs-grpc-fuzz-'));
  const s = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', `--model_config_file=${writeConfig(dir)}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  const raw = new grpc.Client(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
  const clients = connect(s.grpcPort!);
  const myModel = (): Promise<unknown> =>
    fetch(`http://127.0.0.1:${s.restPort}/v1/models/my_model:predict`, { method: 'POST', body: JSON.stringify({ instances: [TEN] }) }).then((r) => r.json());
  try {
    const before = await myModel();
    const r = seeded(SEED);
    const failures: string[] = [];
    const codes = new Map<number, number>();
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < CASES) {
        started++;
        const c = nextCase(r);
        const res = await rawCall(raw, c);
        codes.set(res.code, (codes.get(res.code) ?? 0) + 1);
        const where = `${c.path} (${c.what}) ${c.bytes.subarray(0, 48).toString('hex')}`;
        if (res.code === grpc.status.UNKNOWN || res.code === grpc.status.INTERNAL) failures.push(`${res.code} ${res.details} <- ${where}`);
        else if (res.code !== 0 && res.details === '') failures.push(`${res.code} with no message <- ${where}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`gRPC fuzzer status codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => a[0] - b[0])))}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad statuses (seed 0x${SEED.toString(16)})`);
    assert.ok((codes.get(grpc.status.INVALID_ARGUMENT) ?? 0) > CASES / 10, 'the fuzzer reaches request validation');

    // Bytes that are not a PredictRequest: INVALID_ARGUMENT naming the message type (grpc-js alone says INTERNAL).
    const bad = await rawCall(raw, { path: METHODS[0][0], bytes: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), what: '' });
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /^Could not parse the request as tensorflow\.serving\.PredictRequest: /);

    // Not poisoned: every model answers as before, and the server is ready.
    const ok = await call(clients.prediction, 'Predict', {
      model_spec: { name: 'half_plus_two' },
      inputs: { x: makeTensorProto('DT_FLOAT', [3], [1, 2, 3]) },
    });
    assert.equal(ok.err, null);
    assert.deepEqual(makeNdarray(ok.res.outputs.y).values, [2.5, 3, 3.5]);
    assert.deepEqual(await myModel(), before);
    assert.equal(s.isReady(), true);
  } finally {
    raw.close();
    clients.close();
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
