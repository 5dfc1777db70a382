/**
 * PredictionService end to end over a loopback socket: a proto-loader client (its own
 * codec) against the tfs gRPC server on the shared FakeCore (real y = 0.5x + 2 maths,
 * upstream's resolution texts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { Code } from '../../../src/errors.js';
import { protoFiles, protosDir } from '../../../src/proto/root.js';
import type { GrpcCallEvent } from '../../../src/server/grpc/handler.js';
import { keptArrays } from '../../../src/server/grpc/tensor-pool.js';
import { fakeCoreWithHalfPlusTwo, type FakeCore, halfPlusTwo } from '../../helpers/fake-core.js';
import { VALUE_DTYPES, echoServable } from '../../helpers/grpc-fake-core.js';
import { call, makeNdarray, makeTensorProto, norm, statusOf, type Val } from './client.js';
import { type Harness, startGrpc } from './harness.js';

const f32 = (values: number[], shape = [values.length, 1]): Record<string, unknown> => makeTensorProto('DT_FLOAT', shape, values);
const example = (x: number): object => ({ features: { feature: { x: { float_list: { value: [x] } } } } });

let core: FakeCore;
let h: Harness;
let contentServer: Harness;
const events: GrpcCallEvent[] = [];

before(async () => {
  core = fakeCoreWithHalfPlusTwo();
  core.addServable(halfPlusTwo('half_plus_two', 124));
  core.addServable(echoServable());
  h = await startGrpc({ core, onCallDone: (e) => events.push(e) });
  contentServer = await startGrpc({ core, serializeAsTensorContent: true });
});

after(async () => {
  await h.close();
  await contentServer.close();
});

describe('Predict', () => {
  test('half_plus_two: x=[2.0] as tensor_content (make_tensor_proto) → y=[3.0] in float_val, version 124 (latest)', async () => {
    const r = await call(h.prediction, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: f32([2]) } });
    assert.equal(r.err, null);
    const y = r.res.outputs.y;
    assert.equal(y.dtype, 'DT_FLOAT');
    assert.deepEqual(y.float_val, [3]);
    assert.equal(y.tensor_content, undefined, 'typed fields by default, as upstream');
    assert.deepEqual(makeNdarray(y), { dtype: 'DT_FLOAT', shape: [1, 1], values: [3] });
    assert.deepEqual(r.res.model_spec, {
      name: 'half_plus_two',
      version: { value: '124' },
      signature_name: 'serving_default',
      version_choice: 'version',
    });
  });

  test('specific version, version label and signature_name; typed float_val input', async () => {
    const byVersion = await call(h.prediction, 'Predict', {
      model_spec: { name: 'half_plus_two', version: { value: 123 }, signature_name: 'serving_default' },
      inputs: { x: makeTensorProto('DT_FLOAT', [3, 1], [2, 3, 4], true) },
    });
    assert.equal(byVersion.err, null);
    assert.deepEqual(makeNdarray(byVersion.res.outputs.y).values, [3, 3.5, 4]);
    assert.equal(byVersion.res.model_spec.version.value, '123');
    const byLabel = await call(h.prediction, 'Predict', {
      model_spec: { name: 'half_plus_two', version_label: 'stable' },
      inputs: { x: f32([10]) },
    });
    assert.equal(byLabel.err, null);
    assert.deepEqual(byLabel.res.outputs.y.float_val, [7]);
    // The response names the version served, even when a label was used.
    assert.equal(byLabel.res.model_spec.version.value, '123');
  });

  test('tensor_content arrays are reused across calls: concurrent echo calls (reply = the request array) each get their own values', async () => {
    const echoF = VALUE_DTYPES.find((d) => d.name === 'DT_FLOAT')!.short;
    const send = (k: number): Promise<void> => {
      const vals = Array.from({ length: 64 }, (_, i) => k * 1000 + i);
      const req = { model_spec: { name: 'echo', signature_name: `echo_${echoF}` }, inputs: { x: f32(vals, [64]) } };
      return call(h.prediction, 'Predict', req).then((r) => {
        assert.equal(r.err, null);
        assert.deepEqual(makeNdarray(r.res.outputs.y).values, vals, `call ${k}`);
      });
    };
    await Promise.all(Array.from({ length: 6 }, (_, k) => send(k)));
    assert.ok(keptArrays() > 0, 'a served call gives its arrays back');
    await Promise.all(Array.from({ length: 6 }, (_, k) => send(k + 6)));
    await send(12);
  });

  test('broadcast: a single float_val value fills the shape', async () => {
    const r = await call(h.prediction, 'Predict', {
      model_spec: { name: 'half_plus_two' },
      inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 3 }, { size: 1 }] }, float_val: [4] } },
    });
    assert.equal(r.err, null);
    assert.deepEqual(makeNdarray(r.res.outputs.y).values, [4, 4, 4]);
  });

  test('output_filter selects outputs; unknown and duplicate aliases fail with upstream texts', async () => {
    const spec = { name: 'half_plus_two', signature_name: 'multi_out' };
    const x = makeTensorProto('DT_FLOAT', [2], [1, 2]);
    const all = await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x } });
    assert.deepEqual(Object.keys(all.res.outputs).sort(), ['double', 'same']);
    const one = await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x }, output_filter: ['double'] });
    assert.deepEqual(Object.keys(one.res.outputs), ['double']);
    assert.deepEqual(one.res.outputs.double.float_val, [2, 4]);
    assert.deepEqual(statusOf(await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x }, output_filter: ['nope'] })), [
      Code.INVALID_ARGUMENT,
      'output tensor alias not found in signature: nope Outputs expected to be in the set {double,same}.',
    ]);
    assert.deepEqual(
      statusOf(await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x }, output_filter: ['same', 'same'] })),
      [Code.INVALID_ARGUMENT, 'duplicate output tensor alias: same'],
    );
  });

  test('model spec resolution errors carry upstream codes and texts', async () => {
    const x = { x: f32([1]) };
    const cases: [object, number, string][] = [
      [{ inputs: x }, Code.INVALID_ARGUMENT, 'Missing ModelSpec'],
      [{ model_spec: {}, inputs: x }, Code.INVALID_ARGUMENT, 'ModelSpec has no name specified.'],
      [{ model_spec: { name: 'nope' }, inputs: x }, Code.NOT_FOUND, 'Servable not found for request: Latest(nope)'],
      [
        { model_spec: { name: 'half_plus_two', version: { value: 7 } }, inputs: x },
        Code.NOT_FOUND,
        'Servable not found for request: Specific(half_plus_two, 7)',
      ],
      [
        { model_spec: { name: 'half_plus_two', version_label: 'canary' }, inputs: x },
        Code.INVALID_ARGUMENT,
        'Unrecognized servable version label: canary',
      ],
      [
        { model_spec: { name: 'half_plus_two', signature_name: 'nope' }, inputs: x },
        Code.FAILED_PRECONDITION,
        'Serving signature key "nope" not found.',
      ],
    ];
    for (const [req, code, text] of cases) assert.deepEqual(statusOf(await call(h.prediction, 'Predict', req)), [code, text]);
  });

  test('bad inputs: undecodable tensor, wrong count, unknown alias, wrong dtype', async () => {
    const spec = { name: 'half_plus_two' };
    const negative = { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: -1 }] }, float_val: [1] };
    assert.deepEqual(statusOf(await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x: negative } })), [
      Code.INVALID_ARGUMENT,
      'tensor parsing error: x',
    ]);
    const shortContent = { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }, { size: 1 }] }, tensor_content: Buffer.alloc(4) };
    assert.deepEqual(statusOf(await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x: shortContent } })), [
      Code.INVALID_ARGUMENT,
      'tensor parsing error: x',
    ]);
    // The input-count check comes before any tensor is decoded, as upstream.
    assert.deepEqual(statusOf(await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x: negative, z: negative } })), [
      Code.INVALID_ARGUMENT,
      'input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. Missing but required: {}.',
    ]);
    const wrongAlias = await call(h.prediction, 'Predict', { model_spec: spec, inputs: { z: f32([1]) } });
    assert.equal(wrongAlias.err?.code, Code.INVALID_ARGUMENT);
    assert.match(wrongAlias.err!.details, /^Signature input alias: x\(feed name: x:0\) not found in request/);
    const wrongDtype = await call(h.prediction, 'Predict', { model_spec: spec, inputs: { x: makeTensorProto('DT_INT32', [1, 1], [1]) } });
    assert.equal(wrongDtype.err?.code, Code.INVALID_ARGUMENT);
    assert.equal(core.held, 0, 'every request released its servable handle');
  });

  test('every value dtype round-trips: tensor_content and typed requests; typed and tensor_content responses', async () => {
    const samples: Record<string, Val[]> = {
      DT_FLOAT: [1.5, -2],
      DT_DOUBLE: [1.1, 1e300],
      DT_INT32: [-2, 2147483647],
      DT_UINT8: [255, 7],
      DT_INT16: [-32768, 32767],
      DT_INT8: [-128, 127],
      DT_STRING: [Buffer.from('héllo'), Buffer.from([0xff, 0])],
      DT_COMPLEX64: [1, 2, -3, 4.5],
      DT_INT64: ['-9223372036854775808', '9007199254740993'],
      DT_BOOL: [true, false],
      DT_BFLOAT16: [0x3f80, 0xc000],
      DT_UINT16: [65535, 1234],
      DT_COMPLEX128: [1.25, -2, 1e-300, 4],
      DT_HALF: [0x3c00, 0x7c00],
      DT_UINT32: [4294967295, 7],
      DT_UINT64: ['18446744073709551615', '9007199254740993'],
    };
    for (const d of VALUE_DTYPES) {
      const vals = samples[d.name]!;
      for (const typed of [false, true]) {
        const req = { model_spec: { name: 'echo', signature_name: `echo_${d.short}` }, inputs: { x: makeTensorProto(d.name, [2], vals, typed) } };
        for (const [srv, viaContent] of [
          [h, false],
          [contentServer, true],
        ] as const) {
          const r = await call(srv.prediction, 'Predict', req);
          assert.equal(r.err, null, `${d.name}: ${r.err?.details}`);
          const y = r.res.outputs.y;
          assert.equal(y.dtype, d.name);
          assert.equal(y.tensor_content !== undefined && y.tensor_content.length > 0, viaContent, `${d.name} encoding`);
          const nd = makeNdarray(y);
          assert.deepEqual(nd.shape, [2]);
          const want = d.name === 'DT_FLOAT' || d.name === 'DT_COMPLEX64' ? vals.map((v) => Math.fround(v as number)) : vals;
          assert.deepEqual(norm(nd.values), norm(want), `${d.name} typed=${typed} content=${viaContent}`);
        }
      }
    }
  });

  test('onCallDone reports method, model and code', async () => {
    events.length = 0;
    await call(h.prediction, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: f32([1]) } });
    await call(h.prediction, 'Predict', { model_spec: { name: 'nope' }, inputs: {} });
    assert.deepEqual(
      events.map((e) => [e.path, e.method, e.modelName, e.code]),
      [
        ['/tensorflow.serving.PredictionService/Predict', 'Predict', 'half_plus_two', 0],
        ['/tensorflow.serving.PredictionService/Predict', 'Predict', 'nope', Code.NOT_FOUND],
      ],
    );
    assert.ok(events.every((e) => e.durationMs >= 0));
  });

  test('bytes that are not a PredictRequest fail the call, not the server', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const err = await new Promise<{ code: number; details: string } | null>((resolve) =>
      h.prediction.makeUnaryRequest('/tensorflow.serving.PredictionService/Predict', (b: Buffer) => b, (b: Buffer) => b, garbage, (e) =>
        resolve(e),
      ),
    );
    // The client's fault: INVALID_ARGUMENT (upstream, like grpc-js alone, says INTERNAL; a deliberate difference).
    assert.equal(err?.code, Code.INVALID_ARGUMENT);
    assert.match(err.details, /^Could not parse the request as tensorflow\.serving\.PredictRequest: /);
    const ok = await call(h.prediction, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: f32([2]) } });
    assert.deepEqual(ok.res.outputs.y.float_val, [3]);
  });

  test('error messages over 1024 bytes are truncated with ...TRUNCATED', async () => {
    const name = 'm'.repeat(2000);
    const r = await call(h.prediction, 'Predict', { model_spec: { name }, inputs: {} });
    assert.equal(r.err?.code, Code.NOT_FOUND);
    const full = `Servable not found for request: Latest(${name})`;
    assert.equal(r.err?.details, `${full.slice(0, 1024)}...TRUNCATED`);
  });
});

describe('Classify, Regress, MultiInference', () => {
  const input = { example_list: { examples: [example(2), example(10)] } };

  test('Classify classify_x_to_y: x=2 → score 3, empty label', async () => {
    const r = await call(h.prediction, 'Classify', {
      model_spec: { name: 'half_plus_two', signature_name: 'classify_x_to_y' },
      input,
    });
    assert.equal(r.err, null, r.err?.details);
    assert.deepEqual(r.res.result.classifications, [{ classes: [{ score: 3 }] }, { classes: [{ score: 7 }] }]);
    assert.equal(r.res.model_spec.signature_name, 'classify_x_to_y');
    assert.equal(r.res.model_spec.version.value, '124');
  });

  test('Regress regress_x_to_y: x=2 → 3, with a context example merged in', async () => {
    const r = await call(h.prediction, 'Regress', { model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' }, input });
    assert.equal(r.err, null, r.err?.details);
    assert.deepEqual(r.res.result.regressions, [{ value: 3 }, { value: 7 }]);
    const ctx = await call(h.prediction, 'Regress', {
      model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' },
      input: { example_list_with_context: { examples: [{}], context: example(4) } },
    });
    assert.equal(ctx.err, null, ctx.err?.details);
    assert.deepEqual(ctx.res.result.regressions, [{ value: 4 }]);
  });

  test('Classify/Regress errors: empty input, missing signature, missing spec', async () => {
    assert.deepEqual(
      statusOf(await call(h.prediction, 'Regress', { model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' }, input: {} })),
      [Code.INVALID_ARGUMENT, 'Input is empty.'],
    );
    assert.deepEqual(statusOf(await call(h.prediction, 'Classify', { model_spec: { name: 'half_plus_two', signature_name: 'nope' }, input })), [
      Code.INVALID_ARGUMENT,
      'No signature was found with the name: nope',
    ]);
    assert.deepEqual(statusOf(await call(h.prediction, 'Classify', { input })), [Code.INVALID_ARGUMENT, 'Missing ModelSpec']);
  });

  test('MultiInference: one classify and one regress task, results in request order', async () => {
    const r = await call(h.prediction, 'MultiInference', {
      tasks: [
        { model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' }, method_name: 'tensorflow/serving/regress' },
        { model_spec: { name: 'half_plus_two', signature_name: 'classify_x_to_y' }, method_name: 'tensorflow/serving/classify' },
      ],
      input: { example_list: { examples: [example(2)] } },
    });
    assert.equal(r.err, null, r.err?.details);
    assert.equal(r.res.results.length, 2);
    assert.deepEqual(r.res.results[0].regression_result, { regressions: [{ value: 3 }] });
    assert.equal(r.res.results[0].result, 'regression_result');
    assert.deepEqual(r.res.results[1].classification_result, { classifications: [{ classes: [{ score: 3 }] }] });
    assert.deepEqual(r.res.results[1].model_spec, {
      name: 'half_plus_two',
      version: { value: '124' },
      signature_name: 'classify_x_to_y',
      version_choice: 'version',
    });
  });

  test('MultiInference errors carry upstream texts', async () => {
    const task = (name: string, sig: string, method = 'tensorflow/serving/regress'): object => ({
      model_spec: { name, signature_name: sig },
      method_name: method,
    });
    const inp = { example_list: { examples: [example(1)] } };
    const cases: [object, number, string][] = [
      [{ tasks: [], input: inp }, Code.INVALID_ARGUMENT, 'ModelSpec has no name specified.'],
      [{ tasks: [task('nope', 'regress_x_to_y')], input: inp }, Code.NOT_FOUND, 'Servable not found for request: Latest(nope)'],
      [
        { tasks: [task('half_plus_two', 'regress_x_to_y'), task('', 'regress_x_to_y2')], input: inp },
        Code.INVALID_ARGUMENT,
        'Found ModelSpec with an empty model name.',
      ],
      [
        { tasks: [task('half_plus_two', 'regress_x_to_y'), task('echo', 'regress_x_to_y2')], input: inp },
        Code.INVALID_ARGUMENT,
        'All ModelSpecs in a MultiInferenceRequest must access the same model name.',
      ],
      [
        { tasks: [task('half_plus_two', 'regress_x_to_y'), task('half_plus_two', 'regress_x_to_y')], input: inp },
        Code.INVALID_ARGUMENT,
        'Duplicate evaluation of signature: regress_x_to_y',
      ],
      [
        { tasks: [task('half_plus_two', 'nope')], input: inp },
        Code.INVALID_ARGUMENT,
        'Requested signature not found in model graph: nope',
      ],
      [
        { tasks: [task('half_plus_two', 'regress_x_to_y', 'tensorflow/serving/predict')], input: inp },
        Code.UNIMPLEMENTED,
        'Unsupported signature method_name: tensorflow/serving/predict',
      ],
      [
        { tasks: [task('half_plus_two', 'regress_x_to_y'), task('half_plus_two', 'regress_x2_to_y3')], input: inp },
        Code.INVALID_ARGUMENT,
        'Input tensor must be the same for all Signatures.',
      ],
      [{ tasks: [task('half_plus_two', 'regress_x_to_y')], input: {} }, Code.INVALID_ARGUMENT, 'Input is empty.'],
    ];
    for (const [req, code, text] of cases) assert.deepEqual(statusOf(await call(h.prediction, 'MultiInference', req)), [code, text]);
    assert.equal(core.held, 0);
  });
});

describe('GetModelMetadata', () => {
  test('signature_def packed in an Any of type tensorflow.serving.SignatureDefMap', async () => {
    const r = await call(h.prediction, 'GetModelMetadata', {
      model_spec: { name: 'half_plus_two', version: { value: 123 } },
      metadata_field: ['signature_def'],
    });
    assert.equal(r.err, null, r.err?.details);
    assert.deepEqual(r.res.model_spec, { name: 'half_plus_two', version: { value: '123' }, version_choice: 'version' });
    const any = r.res.metadata.signature_def;
    assert.equal(any.type_url, 'type.googleapis.com/tensorflow.serving.SignatureDefMap');
    // Decode the Any with a Root of our own (not the server's).
    const root = new protobuf.Root();
    root.resolvePath = (_o, target) => (target.startsWith('google/protobuf/') ? target : join(protosDir, target));
    root.loadSync(protoFiles(), { keepCase: true });
    const T = root.lookupType('tensorflow.serving.SignatureDefMap');
    const map = T.toObject(T.decode(any.value), { enums: String, longs: String }) as any;
    assert.ok(map.signature_def.serving_default);
    assert.equal(map.signature_def.serving_default.method_name, 'tensorflow/serving/predict');
    assert.equal(map.signature_def.serving_default.inputs.x.name, 'x:0');
    assert.equal(map.signature_def.serving_default.inputs.x.dtype, 'DT_FLOAT');
    assert.deepEqual(
      map.signature_def.serving_default.inputs.x.tensor_shape.dim.map((d: any) => d.size),
      ['-1', '1'],
    );
    assert.equal(map.signature_def.classify_x_to_y.method_name, 'tensorflow/serving/classify');
  });

  test('metadata_field checks come before the model lookup', async () => {
    assert.deepEqual(statusOf(await call(h.prediction, 'GetModelMetadata', { model_spec: { name: 'nope' } })), [
      Code.INVALID_ARGUMENT,
      'GetModelMetadataRequest must specify at least one metadata_field',
    ]);
    assert.deepEqual(
      statusOf(await call(h.prediction, 'GetModelMetadata', { model_spec: { name: 'nope' }, metadata_field: ['signature_def', 'x'] })),
      [Code.INVALID_ARGUMENT, 'Metadata field x is not supported'],
    );
    assert.deepEqual(statusOf(await call(h.prediction, 'GetModelMetadata', { metadata_field: ['signature_def'] })), [
      Code.INVALID_ARGUMENT,
      'Missing ModelSpec',
    ]);
    assert.deepEqual(
      statusOf(await call(h.prediction, 'GetModelMetadata', { model_spec: { name: 'nope' }, metadata_field: ['signature_def'] })),
      [Code.NOT_FOUND, 'Servable not found for request: Latest(nope)'],
    );
  });
});

describe('deadlines, cancellation and the concurrency cap', () => {
  const slow = (ms: number): object => ({
    model_spec: { name: 'half_plus_two', signature_name: 'slow' },
    inputs: { x: makeTensorProto('DT_FLOAT', [1], [ms]) },
  });

  // A run of 10 minutes ends only through its abort signal: without the abort the handle stays
  // held and the test fails at its timeout (no wall-clock bound that a slow machine could miss).
  const UNENDING = 600_000;

  test('a deadline shorter than the model run gives DEADLINE_EXCEEDED and aborts the run', { timeout: 60_000 }, async () => {
    const r = await call(h.prediction, 'Predict', slow(UNENDING), 100);
    assert.equal(r.err?.code, Code.DEADLINE_EXCEEDED);
    await core.untilHeld(0);
  });

  test('a client cancel aborts the run', { timeout: 60_000 }, async () => {
    const fn = (h.prediction as any).Predict;
    const c = fn.call(h.prediction, slow(UNENDING), () => undefined);
    await core.untilHeld(1); // the run started
    c.cancel();
    await core.untilHeld(0);
  });

  test('--grpc_max_threads caps calls executing at once; the rest wait', async () => {
    const capped = await startGrpc({ core, maxConcurrentCalls: 1 });
    try {
      // Wait for the second call to reach the limiter (an event, not a poll).
      const limiter = capped.grpc.limiter!;
      // A call takes a free slot with tryEnter, and queues with acquire when there is none.
      const acquire = limiter.acquire.bind(limiter);
      const tryEnter = limiter.tryEnter.bind(limiter);
      let arrived = 0;
      let onSecond!: () => void;
      const second = new Promise<void>((resolve) => (onSecond = resolve));
      const arrive = (): void => {
        if (++arrived === 2) onSecond();
      };
      limiter.tryEnter = () => {
        const entered = tryEnter();
        if (entered) arrive();
        return entered;
      };
      limiter.acquire = (signal, watch) => {
        const p = acquire(signal, watch);
        arrive();
        return p;
      };
      const t0 = Date.now();
      const p1 = call(capped.prediction, 'Predict', slow(150));
      const p2 = call(capped.prediction, 'Predict', slow(150));
      await second;
      assert.equal(capped.grpc.limiter!.active, 1);
      assert.equal(capped.grpc.limiter!.queued, 1);
      const [r1, r2] = await Promise.all([p1, p2]);
      assert.equal(r1.err, null);
      assert.equal(r2.err, null);
      assert.ok(Date.now() - t0 >= 290, 'the second call ran after the first');
      // A queued call whose deadline passes while waiting fails with DEADLINE_EXCEEDED.
      const p3 = call(capped.prediction, 'Predict', slow(300));
      const p4 = call(capped.prediction, 'Predict', slow(1), 100);
      assert.equal((await p4).err?.code, Code.DEADLINE_EXCEEDED);
      assert.equal((await p3).err, null);
      assert.equal(capped.grpc.limiter!.queued, 0);
    } finally {
      await capped.close();
    }
  });
});
