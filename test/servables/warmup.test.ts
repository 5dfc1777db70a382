import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServableStateEvent, WarmupEvent } from '../../src/core/events.js';
import { ServerCore } from '../../src/server/server-core.js';
import { TfsError } from '../../src/errors.js';
import { lookupType } from '../../src/proto/root.js';
import type { SignatureSpec } from '../../src/core/servable.js';
import {
  LOG_TYPE,
  WARMUP_FILE,
  encodeTfRecord,
  logTypeCase,
  readTfRecords,
  warmupServable,
} from '../../src/servables/warmup.js';
import { requestTensorFromProto } from '../../src/tensor/tensor-proto.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { sharedOrSkip } from '../helpers/paths.js';
import { FakeServable, captureLogger, fakeLoader, tempDir, waitFor, writeVersion } from '../core/lifecycle-helpers.js';

const PredictionLog = lookupType('tensorflow.serving.PredictionLog');

function predictLog(x: number, signature = 'serving_default'): Uint8Array {
  return PredictionLog.encode(
    PredictionLog.fromObject({
      predict_log: {
        request: {
          model_spec: { name: 'recorded-name', signature_name: signature },
          inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 }] }, float_val: [x] } },
        },
      },
    }),
  ).finish();
}

function regressLog(n: number): Uint8Array {
  const examples = Array.from({ length: n }, (_, i) => ({ features: { feature: { x: { float_list: { value: [i] } } } } }));
  return PredictionLog.encode(
    PredictionLog.fromObject({
      regress_log: { request: { model_spec: { name: 'm', signature_name: 'regress' }, input: { example_list: { examples } } } },
    }),
  ).finish();
}

function tfrecords(records: Uint8Array[]): Buffer {
  return Buffer.concat(records.map((r) => encodeTfRecord(r)));
}

async function withWarmupFile(dir: string, content: Uint8Array): Promise<string> {
  await mkdir(join(dir, 'assets.extra'), { recursive: true });
  await writeFile(join(dir, WARMUP_FILE), content);
  return join(dir, WARMUP_FILE);
}

function isErr(code: string, message: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TfsError, String(e));
    assert.equal(e.codeName, code);
    assert.equal(e.message, message);
    return true;
  };
}

/** A servable that records the inputs of every run, with a predict and a regress signature. */
class RecordingServable extends FakeServable {
  readonly seen: Array<{ key: string; inputs: Readonly<Record<string, Tensor>> }> = [];
  override readonly signatures = new Map<string, SignatureSpec>([
    [
      'serving_default',
      {
        key: 'serving_default',
        methodName: 'tensorflow/serving/predict',
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1] } },
        outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', shape: [-1] } },
        defaults: {},
      },
    ],
    [
      'regress',
      {
        key: 'regress',
        methodName: 'tensorflow/serving/regress',
        inputs: { inputs: { name: 'tf_example:0', dtype: 'DT_STRING', shape: [-1] } },
        outputs: { outputs: { name: 'y:0', dtype: 'DT_FLOAT', shape: [-1] } },
        defaults: {},
      },
    ],
  ]);

  override async run(key: string, inputs: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    this.seen.push({ key, inputs });
    if (key === 'regress') {
      const n = inputs['inputs']!.shape[0]!;
      return { outputs: { dtype: 'DT_FLOAT', shape: [n], data: new Float32Array(n) } };
    }
    return super.run(key, inputs);
  }
}

test('TFRecord framing: round trip, corrupted and truncated records', () => {
  const a = new TextEncoder().encode('first');
  const b = new Uint8Array(0);
  const buf = tfrecords([a, b]);
  assert.deepEqual(
    [...readTfRecords(buf)].map((r) => [r.offset, Buffer.from(r.data).toString()]),
    [
      [0, 'first'],
      [21, ''],
    ],
  );
  const badLengthCrc = Buffer.from(buf);
  badLengthCrc[8] = badLengthCrc[8]! ^ 1;
  assert.throws(() => [...readTfRecords(badLengthCrc)], { message: 'corrupted record at 0' });
  const badDataCrc = Buffer.from(buf);
  badDataCrc[12] = badDataCrc[12]! ^ 1; // first data byte
  assert.throws(() => [...readTfRecords(badDataCrc)], { message: 'corrupted record at 12' });
  assert.throws(() => [...readTfRecords(buf.subarray(0, 15))], { message: 'truncated record at 0' });
  assert.throws(() => [...readTfRecords(buf.subarray(0, 25))], { message: 'truncated record at 21' });
});

test('logTypeCase: field numbers of PredictionLog.log_type', () => {
  assert.equal(logTypeCase(predictLog(1)), LOG_TYPE.predict_log);
  assert.equal(logTypeCase(regressLog(1)), LOG_TYPE.regress_log);
  assert.equal(logTypeCase(new Uint8Array([0x2a, 0x00])), LOG_TYPE.session_run_log);
  assert.equal(logTypeCase(new Uint8Array(0)), 0);
});

test('replays predict and regress logs through the shared implementations, N iterations each', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const path = await withWarmupFile(dir, tfrecords([predictLog(1), predictLog(2), regressLog(3), new Uint8Array(0)]));
  const s = new RecordingServable('m', 1);
  const reports: unknown[] = [];
  const report = await warmupServable(s, dir, { numRequestIterations: 2, logger: cap.logger, onReport: (r) => reports.push(r) });
  assert.equal(report?.ok, true);
  assert.equal(report?.records, 4);
  assert.equal(report?.status, 'OK');
  assert.deepEqual(reports, [report]);
  assert.deepEqual(
    s.seen.map((r) => r.key),
    ['serving_default', 'serving_default', 'serving_default', 'serving_default', 'regress', 'regress'],
  );
  assert.deepEqual([...(s.seen[2]!.inputs['x']!.data as Float32Array)], [2]);
  assert.equal(s.seen[4]!.inputs['inputs']!.shape[0], 3);
  assert.ok(cap.has(`Starting to read warmup data for model at ${path} with model-warmup-options num_request_iterations { value: 2 }`));
  assert.ok(cap.has(new RegExp(`^Finished reading warmup data for model at ${path}\\. Number of warmup records read: 4\\. Elapsed time \\(microseconds\\): \\d+\\.$`)));
});

test('records for a signature the version does not serve are skipped, with one warning; the others run', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  await withWarmupFile(dir, tfrecords([predictLog(1), regressLog(2), regressLog(3)]));
  const s = new RecordingServable('m', 1);
  const partial = Object.assign(s, {
    unservedSignatures: new Map([['regress', { reason: 'needs BesselK0e', error: () => new TfsError(12, 'not served') }]]),
  });
  const report = await warmupServable(partial, dir, { logger: cap.logger });
  assert.equal(report?.ok, true);
  assert.equal(report?.records, 3);
  assert.deepEqual(s.seen.map((r) => r.key), ['serving_default']);
  assert.ok(cap.has('Warmup skipped the records of signatures this version does not serve: regress (2 records: needs BesselK0e)'));
});

test('no warmup file: nothing runs', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  assert.equal(await warmupServable(new FakeServable('m', 1), dir, { logger: cap.logger }), undefined);
  assert.ok(cap.has(`No warmup data file found at ${join(dir, WARMUP_FILE)}`));
});

test('warmup failures carry upstream\'s codes and texts', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = new RecordingServable('m', 1);
  const path = join(dir, WARMUP_FILE);
  const cases: Array<[Uint8Array, string, string]> = [
    [tfrecords([predictLog(1), new Uint8Array([0x2a, 0x00])]), 'UNIMPLEMENTED', 'Unsupported log_type for warmup: 5'],
    [tfrecords([new TextEncoder().encode('malformed_record')]), 'INVALID_ARGUMENT', `Failed to parse warmup record: malformed_record from ${path}`],
    [tfrecords(Array.from({ length: 1001 }, () => new Uint8Array(0))), 'INVALID_ARGUMENT', `Number of warmup records exceeds the maximum (1000) at ${path}`],
    [
      Buffer.concat([tfrecords([predictLog(1)]), Buffer.from([1, 2, 3])]),
      'DATA_LOSS',
      `truncated record at ${encodeTfRecord(predictLog(1)).length}. Please verify your warmup data is in TFRecord format.`,
    ],
    [tfrecords([predictLog(1, 'nope')]), 'FAILED_PRECONDITION', 'Serving signature key "nope" not found.'],
  ];
  for (const [content, code, message] of cases) {
    await withWarmupFile(dir, content);
    let reported: { ok: boolean; status: string } | undefined;
    await assert.rejects(
      warmupServable(s, dir, { onReport: (r) => (reported = r) }),
      isErr(code, message),
    );
    assert.deepEqual(reported && { ok: reported.ok, status: reported.status }, { ok: false, status: `${code}: ${message}` });
  }
  // Exactly 1000 records is fine.
  await withWarmupFile(dir, tfrecords(Array.from({ length: 1000 }, () => new Uint8Array(0))));
  assert.equal((await warmupServable(s, dir))?.records, 1000);
});

test('ServerCore: warmup runs before AVAILABLE; a failing warmup fails the load; it can be turned off', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const good = await writeVersion(join(dir, 'good'), 1);
  await withWarmupFile(good, tfrecords([predictLog(1), predictLog(2)]));
  const bad = await writeVersion(join(dir, 'bad'), 1);
  await withWarmupFile(bad, tfrecords([predictLog(1, 'nope')]));
  const fl = fakeLoader();
  const warmups: WarmupEvent[] = [];
  const runsAtAvailable: number[] = [];
  const core = new ServerCore({ loader: fl.load, fileSystemPollWaitSeconds: 0.1, versionSettleMs: 5, maxNumLoadRetries: 0 });
  t.after(() => core.close());
  core.events.on('warmup', (e) => warmups.push(e));
  core.events.on('servableState', (e: ServableStateEvent) => {
    if (e.state === 'AVAILABLE') runsAtAvailable.push(fl.loaded.find((s) => s.name === e.name)!.runs);
  });
  const model = (name: string) => ({
    name,
    basePath: join(dir, name),
    modelPlatform: 'tensorflow',
    versionPolicy: { kind: 'latest', numVersions: 1 } as const,
    versionLabels: {},
  });
  await assert.rejects(
    core.reloadConfig({ models: [model('good'), model('bad')] }),
    isErr(
      'UNKNOWN',
      '1 servable(s) did not become available: {{{name: bad version: 1} due to error: FAILED_PRECONDITION: Serving signature key "nope" not found.}, }',
    ),
  );
  assert.deepEqual(runsAtAvailable, [2], 'good was warmed up (2 runs) before it became AVAILABLE');
  assert.deepEqual(
    warmups.map((w) => [w.name, w.ok, w.records, w.status]).sort(),
    [
      ['bad', false, 0, 'FAILED_PRECONDITION: Serving signature key "nope" not found.'],
      ['good', true, 2, 'OK'],
    ],
  );
  await waitFor(() => fl.loaded.find((s) => s.name === 'bad')?.disposed === true, 2000, 'bad servable disposed');

  const noWarmup = await ServerCore.create({ models: [model('bad')] }, { loader: fl.load, enableModelWarmup: false, versionSettleMs: 5 });
  assert.equal(noWarmup.getModelStatus('bad')[0]?.state, 'AVAILABLE');
  await noWarmup.close();
});

test('the warmup file of keras_traffic_sign_cnn decodes: predict logs with decodable tensors', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const buf = await readFile(join(shared, 'savedmodels', 'keras_traffic_sign_cnn', '1', WARMUP_FILE));
  const records = [...readTfRecords(buf)];
  assert.ok(records.length >= 1 && records.length <= 1000);
  for (const r of records) {
    assert.equal(logTypeCase(r.data), LOG_TYPE.predict_log);
    const log = PredictionLog.decode(r.data) as unknown as { predict_log: { request: { inputs: Record<string, unknown> } } };
    const inputs = Object.entries(log.predict_log.request.inputs);
    assert.ok(inputs.length > 0);
    for (const [alias, proto] of inputs) {
      const tensor = requestTensorFromProto(proto as Parameters<typeof requestTensorFromProto>[0], alias);
      assert.ok(tensor.shape.length > 0, `${alias} has a shape`);
    }
  }
});

