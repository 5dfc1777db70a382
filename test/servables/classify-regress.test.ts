import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, TfsError } from '../../src/errors.js';
import {
  classificationResultFrom,
  regressionResultFrom,
  runClassify,
  runRegress,
  serializeInputExamples,
  signatureDebugString,
} from '../../src/servables/classify-regress.js';
import { lookupType } from '../../src/proto/root.js';
import { utf8 } from '../../src/tensor/tensor.js';
import { fakeCoreWithHalfPlusTwo, halfPlusTwo } from '../helpers/fake-core.js';

const ex = (x: number) => ({ features: { feature: { x: { float_list: { value: [x] } } } } });

async function rejects(p: Promise<unknown>, code: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TfsError, String(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

test('classify and regress on half_plus_two (upstream values)', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const spec = (s: string) => ({ name: 'half_plus_two', signatureName: s });
  const c = await runClassify(core, { modelSpec: spec('classify_x_to_y'), input: { example_list: { examples: [ex(2), ex(20), ex(10)] } } }, { api: 'grpc' });
  assert.deepEqual(c.result, {
    classifications: [{ classes: [{ label: '', score: 3 }] }, { classes: [{ label: '', score: 12 }] }, { classes: [{ label: '', score: 7 }] }],
  });
  assert.deepEqual(c.modelSpec, { name: 'half_plus_two', version: 123, signatureName: 'classify_x_to_y' });
  const r = await runRegress(core, { modelSpec: spec('regress_x_to_y'), input: { example_list: { examples: [ex(80)] } } }, { api: 'rest' });
  assert.deepEqual(r.result, { regressions: [{ value: 42 }] });
  // The context's features merge into every example (serialize(context) ++ serialize(example)).
  const rc = await runRegress(
    core,
    { modelSpec: spec('regress_x_to_y'), input: { example_list_with_context: { context: ex(4), examples: [{}, {}] } } },
    { api: 'grpc' },
  );
  assert.deepEqual(rc.result, { regressions: [{ value: 4 }, { value: 4 }] });
  assert.equal(core.held, 0);
});

test('classify/regress signature validation texts', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const input = { example_list: { examples: [ex(1)] } };
  const spec = (s?: string) => ({ name: 'half_plus_two', ...(s ? { signatureName: s } : {}) });
  await rejects(runClassify(core, { modelSpec: spec('zz'), input }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'No signature was found with the name: zz');
  // serving_default has input `x` (not `inputs`): FAILED_PRECONDITION with the SignatureDef's debug string.
  await rejects(runClassify(core, { modelSpec: spec(), input }, { api: 'grpc' }), Code.FAILED_PRECONDITION, /^No classification inputs found in SignatureDef: inputs \{\n {2}key: "x"/);
  await rejects(runRegress(core, { modelSpec: spec('two_inputs'), input }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'Expected one input Tensor.');
  await rejects(runRegress(core, { modelSpec: spec('multi_out'), input }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'Expected one output Tensor.');
  await rejects(runClassify(core, { modelSpec: spec('regress_x_to_y'), input }, { api: 'grpc' }), Code.FAILED_PRECONDITION, /^Expected classification signature outputs to contain at least one of "classes" or "scores"\. Signature was: /);
  await rejects(runRegress(core, { modelSpec: spec('classify_x_to_y'), input }, { api: 'grpc' }), Code.FAILED_PRECONDITION, /^No regression outputs found in SignatureDef: /);
  await rejects(
    runRegress(core, { modelSpec: spec('classify_x_to_y'), input }, { api: 'grpc', enableSignatureMethodNameCheck: true }),
    Code.INVALID_ARGUMENT,
    'Expected regression signature method_name to be tensorflow/serving/regress. Was: tensorflow/serving/classify',
  );
  await rejects(runRegress(core, { modelSpec: spec('regress_x_to_y'), input: { example_list: { examples: [] } } }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'Input is empty.');
  await rejects(runRegress(core, { modelSpec: spec('regress_x_to_y'), input: {} }, { api: 'grpc' }), Code.INVALID_ARGUMENT, 'Input is empty.');
  assert.equal(core.held, 0);
});

test('serializeInputExamples: wire bytes decode back, context is prepended', () => {
  const T = lookupType('tensorflow.Example');
  const [a] = serializeInputExamples({ example_list: { examples: [ex(2)] } });
  assert.deepEqual(T.toObject(T.decode(a!)), ex(2));
  const ctx = { features: { feature: { c: { bytes_list: { value: [utf8('hi')] } } } } };
  const [b] = serializeInputExamples({ example_list_with_context: { context: ctx, examples: [ex(3)] } });
  const merged = T.toObject(T.decode(b!), { bytes: String }) as { features: { feature: Record<string, unknown> } };
  assert.deepEqual(Object.keys(merged.features.feature).sort(), ['c', 'x']);
});

test('result builders check shapes and dtypes with upstream texts', () => {
  const f = (shape: number[], v: number[]) => ({ dtype: 'DT_FLOAT' as const, shape, data: new Float32Array(v) });
  assert.deepEqual(
    classificationResultFrom(
      { classes: { dtype: 'DT_STRING', shape: [1, 2], data: [utf8('a'), utf8('b')] }, scores: f([1, 2], [0.25, 0.75]) },
      1,
    ),
    { classifications: [{ classes: [{ label: 'a', score: 0.25 }, { label: 'b', score: 0.75 }] }] },
  );
  assert.deepEqual(classificationResultFrom({ classes: { dtype: 'DT_STRING', shape: [1, 1], data: [utf8('a')] } }, 1), {
    classifications: [{ classes: [{ label: 'a', score: 0 }] }],
  });
  assert.throws(() => classificationResultFrom({ scores: f([2], [1, 2]) }, 2), { message: 'Expected Tensor shape: [batch_size num_classes] but got [2]' });
  assert.throws(() => classificationResultFrom({ scores: f([3, 1], [1, 2, 3]) }, 2), { message: 'Expected scores output batch size of 2. Got: 3' });
  assert.throws(
    () => classificationResultFrom({ scores: { dtype: 'DT_INT32', shape: [1, 1], data: new Int32Array(1) } }, 1),
    { message: 'Expected scores Tensor of DT_FLOAT. Got: DT_INT32' },
  );
  assert.throws(
    () => classificationResultFrom({ classes: { dtype: 'DT_STRING', shape: [1, 2], data: [utf8('a'), utf8('b')] }, scores: f([1, 1], [1]) }, 1),
    { message: 'Tensors class and score should match in dim_size(1). Got 2 vs. 1' },
  );
  assert.deepEqual(regressionResultFrom({ outputs: f([2], [1, 2]) }, 2), { regressions: [{ value: 1 }, { value: 2 }] });
  assert.throws(() => regressionResultFrom({ outputs: f([1, 2], [1, 2]) }, 1), {
    message: 'Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [1,2]',
  });
  assert.throws(() => regressionResultFrom({ outputs: f([2, 1], [1, 2]) }, 3), { message: 'Input batch size did not match output batch size: 3 vs. 2' });
});

test('signatureDebugString prints protobuf text format', () => {
  const s = halfPlusTwo();
  const text = signatureDebugString(s, 'classify_x_to_y');
  assert.match(text, /method_name: "tensorflow\/serving\/classify"/);
  assert.match(text, /unknown_rank: true/);
});
