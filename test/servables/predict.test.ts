import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, TfsError } from '../../src/errors.js';
import { servableRequestOf, modelSpecFromProto } from '../../src/servables/model-spec.js';
import { type PredictCall, type PredictResult, runPredict, startPredict } from '../../src/servables/predict.js';
import type { ModelSpec } from '../../src/servables/model-spec.js';
import type { RequestOptions } from '../../src/servables/predict.js';
import { getModelMetadata } from '../../src/servables/metadata.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fakeCoreWithHalfPlusTwo } from '../helpers/fake-core.js';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: new Float32Array(values) });

async function rejects(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TfsError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

test('servableRequestOf: upstream texts and the three request kinds', () => {
  assert.throws(() => servableRequestOf(undefined), { message: 'Missing ModelSpec' });
  assert.throws(() => servableRequestOf({ name: '' }), { message: 'ModelSpec has no name specified.' });
  assert.deepEqual(servableRequestOf({ name: 'm' }), { name: 'm' });
  assert.deepEqual(servableRequestOf({ name: 'm', version: 3 }), { name: 'm', version: 3 });
  assert.deepEqual(servableRequestOf({ name: 'm', versionLabel: 'l' }), { name: 'm', label: 'l' });
  assert.throws(() => servableRequestOf({ name: 'm', version: 1, versionLabel: 'l' }), {
    message: 'Both model version (1) and model version label (l) cannot be supplied.',
  });
  assert.deepEqual(modelSpecFromProto({ name: 'm', version: { value: '7' }, signature_name: 's' }), {
    name: 'm',
    version: 7,
    signatureName: 's',
  });
  assert.deepEqual(modelSpecFromProto({ name: 'm', version: {} }), { name: 'm', version: 0 });
  assert.equal(modelSpecFromProto(null), undefined);
});

test('runPredict computes y = 0.5x + 2 and answers with the served model spec', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const r = await runPredict(core, { modelSpec: { name: 'half_plus_two', versionLabel: 'stable' }, inputs: { x: f32([3, 1], [1, 2, 3]) } }, { api: 'grpc' });
  assert.deepEqual([...(r.outputs['y']!.data as Float32Array)], [2.5, 3, 3.5]);
  assert.deepEqual(r.modelSpec, { name: 'half_plus_two', version: 123, signatureName: 'serving_default' });
  assert.equal(core.held, 0);
});

test('runPredict: model and signature errors per API', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const inputs = { x: f32([1, 1], [1]) };
  await rejects(runPredict(core, { inputs }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'Missing ModelSpec');
  await rejects(runPredict(core, { modelSpec: { name: 'nope' }, inputs }, { api: 'grpc' }), Code.NOT_FOUND, 'Servable not found for request: Latest(nope)');
  await rejects(
    runPredict(core, { modelSpec: { name: 'half_plus_two', version: 9 }, inputs }, { api: 'grpc' }),
    Code.NOT_FOUND,
    'Servable not found for request: Specific(half_plus_two, 9)',
  );
  await rejects(
    runPredict(core, { modelSpec: { name: 'half_plus_two', signatureName: 'zz' }, inputs }, { api: 'grpc' }),
    Code.FAILED_PRECONDITION,
    'Serving signature key "zz" not found.',
  );
  await rejects(
    runPredict(core, { modelSpec: { name: 'half_plus_two', signatureName: 'zz' }, inputs }, { api: 'rest' }),
    Code.INVALID_ARGUMENT,
    'Serving signature name: "zz" not found in signature def',
  );
  assert.equal(core.held, 0);
});

test('runPredict: input count, alias, default and output_filter checks', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const spec = { name: 'half_plus_two' };
  await rejects(
    runPredict(core, { modelSpec: spec, inputs: { x: f32([1, 1], [1]), w: f32([1], [1]) } }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'input size does not match signature: 2!=1 len({w,x}) != len({x}). Sent extra: {w}. Missing but required: {}.',
  );
  await rejects(
    runPredict(core, { modelSpec: spec, inputs: {} }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'input size does not match signature: 0!=1 len({}) != len({x}). Sent extra: {}. Missing but required: {x}.',
  );
  await rejects(
    runPredict(core, { modelSpec: spec, inputs: { z: f32([1, 1], [1]) } }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'Signature input alias: x(feed name: x:0) not found in request and no default value provided. Inputs expected to be in the request {z}, or default input alias set: ',
  );
  // with_default: k has a default (10), so x alone is enough, and a wrong name is caught.
  const wd = { name: 'half_plus_two', signatureName: 'with_default' };
  const r = await runPredict(core, { modelSpec: wd, inputs: { x: f32([2], [1, 2]) } }, { api: 'grpc' });
  assert.deepEqual([...(r.outputs['y']!.data as Float32Array)], [10, 20]);
  await rejects(
    runPredict(core, { modelSpec: wd, inputs: { q: f32([2], [1, 2]) } }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'Signature input alias: x(feed name: wx:0) not found in request and no default value provided. Inputs expected to be in the request {q}, or default input alias set: k',
  );
  await rejects(
    runPredict(core, { modelSpec: wd, inputs: { x: f32([2], [1, 2]), k: f32([1], [1]), q: f32([1], [1]) } }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'input size does not match signature: 3!=2 len({k,q,x}) != len({k,x}). Sent extra: {q}. Missing but required: {}.',
  );
  const mo = { name: 'half_plus_two', signatureName: 'multi_out' };
  const x = { x: f32([2], [1, 2]) };
  const only = await runPredict(core, { modelSpec: mo, inputs: x, outputFilter: ['same'] }, { api: 'grpc' });
  assert.deepEqual(Object.keys(only.outputs), ['same']);
  await rejects(
    runPredict(core, { modelSpec: mo, inputs: x, outputFilter: ['nope'] }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'output tensor alias not found in signature: nope Outputs expected to be in the set {double,same}.',
  );
  await rejects(
    runPredict(core, { modelSpec: mo, inputs: x, outputFilter: ['same', 'same'] }, { api: 'grpc' }),
    Code.INVALID_ARGUMENT,
    'duplicate output tensor alias: same',
  );
  assert.equal(core.held, 0);
});

test('runPredict: method-name check only when enabled', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const s = [...core.models.get('half_plus_two')!.versions.values()][0]!.servable!;
  (s.signatures.get('no_inputs') as { methodName: string }).methodName = 'custom';
  const req = { modelSpec: { name: 'half_plus_two', signatureName: 'no_inputs' }, inputs: {} };
  const r = await runPredict(core, req, { api: 'grpc' });
  assert.equal((r.outputs['c']!.data as Float32Array)[0], 42);
  await rejects(
    runPredict(core, req, { api: 'grpc', enableSignatureMethodNameCheck: true }),
    Code.INTERNAL,
    'Expected prediction signature method_name to be one of {tensorflow/serving/predict, tensorflow/serving/classify, tensorflow/serving/regress}. Was: custom',
  );
});

test('runPredict: an aborted deadline answers DEADLINE_EXCEEDED and the handle is released after the run', { timeout: 60_000 }, async () => {
  const core = fakeCoreWithHalfPlusTwo();
  // A 10-minute run ends only through the abort: without it the test fails at its timeout.
  const req = { modelSpec: { name: 'half_plus_two', signatureName: 'slow' }, inputs: { x: f32([1], [600_000]) } };
  await rejects(runPredict(core, req, { api: 'rest', signal: AbortSignal.timeout(30) }), Code.DEADLINE_EXCEEDED, 'Timed out waiting for notification');
  await core.untilHeld(0);
  assert.equal(core.held, 0);
  const ac = new AbortController();
  const p = runPredict(core, req, { api: 'grpc', signal: ac.signal });
  ac.abort();
  await rejects(p, Code.CANCELLED, 'Cancelled');
});

/** startPredict as a promise, failing the test if its call hears more than one answer. */
function started(core: ReturnType<typeof fakeCoreWithHalfPlusTwo>, spec: ModelSpec, inputs: Record<string, Tensor>, opts: RequestOptions): Promise<PredictResult> {
  return new Promise((resolve, reject) => {
    let answers = 0;
    const once = (): void => {
      answers++;
      assert.equal(answers, 1, 'startPredict answered twice');
    };
    const call: PredictCall = {
      inputs: () => inputs,
      predicted: (r) => {
        once();
        resolve(r);
      },
      failed: (e) => {
        once();
        reject(e);
      },
    };
    startPredict(core, spec, call, opts);
  });
}

test('startPredict: same answers and errors as runPredict, one callback each, handle released', { timeout: 60_000 }, async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const r = await started(core, { name: 'half_plus_two' }, { x: f32([2], [1, 3]) }, { api: 'rest' });
  assert.deepEqual([...(r.outputs['y']!.data as Float32Array)], [2.5, 3.5]);
  assert.deepEqual(r.modelSpec, { name: 'half_plus_two', version: 123, signatureName: 'serving_default' });
  assert.equal(core.held, 0);
  await rejects(started(core, { name: 'nope' }, {}, { api: 'rest' }), Code.NOT_FOUND, 'Servable not found for request: Latest(nope)');
  await rejects(started(core, { name: 'half_plus_two', signatureName: 's' }, {}, { api: 'rest' }), Code.INVALID_ARGUMENT, 'Serving signature name: "s" not found in signature def');
  assert.equal(core.held, 0);
  // The deadline answers at once; the 10-minute run ends through the abort, and only then is the handle released.
  const slow = { x: f32([1], [600_000]) };
  await rejects(started(core, { name: 'half_plus_two', signatureName: 'slow' }, slow, { api: 'rest', signal: AbortSignal.timeout(30) }), Code.DEADLINE_EXCEEDED, 'Timed out waiting for notification');
  await core.untilHeld(0);
  const ac = new AbortController();
  ac.abort();
  await rejects(started(core, { name: 'half_plus_two' }, { x: f32([1], [1]) }, { api: 'grpc', signal: ac.signal }), Code.CANCELLED, 'Cancelled');
  assert.equal(core.held, 0);
});

test('getModelMetadata: field checks before model lookup, then the signature map', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  await rejects(getModelMetadata(core, { metadataFields: ['signature_def'] }), Code.INVALID_ARGUMENT, 'Missing ModelSpec');
  await rejects(
    getModelMetadata(core, { modelSpec: { name: 'nope' }, metadataFields: [] }),
    Code.INVALID_ARGUMENT,
    'GetModelMetadataRequest must specify at least one metadata_field',
  );
  await rejects(
    getModelMetadata(core, { modelSpec: { name: 'nope' }, metadataFields: ['signature_def', 'x'] }),
    Code.INVALID_ARGUMENT,
    'Metadata field x is not supported',
  );
  await rejects(
    getModelMetadata(core, { modelSpec: { name: 'nope' }, metadataFields: ['signature_def'] }),
    Code.NOT_FOUND,
    'Servable not found for request: Latest(nope)',
  );
  const md = await getModelMetadata(core, { modelSpec: { name: 'half_plus_two', versionLabel: 'stable' }, metadataFields: ['signature_def'] });
  assert.deepEqual(md.modelSpec, { name: 'half_plus_two', version: 123 });
  assert.equal((md.signatureDefMap['serving_default'] as { method_name: string }).method_name, 'tensorflow/serving/predict');
  assert.equal(core.held, 0);
});
