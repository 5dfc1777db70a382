/**
 * The gRPC API on real SavedModels: ServerCore + the SavedModel runtime behind the tfs
 * gRPC server, called with a proto-loader client the way upstream's tests and the
 * tutorial's Python client call tensorflow_model_server. Expected values are upstream's
 * asserts and TensorFlow's own outputs (fixtures/models/oracle.jsonl).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../../src/config/types.js';
import { ServerCore } from '../../../src/server/server-core.js';
import { loadSavedModelServable } from '../../../src/servables/saved-model-servable.js';
import { fixtures, hasShared, sharedFixtures, sharedOrSkip } from '../../helpers/paths.js';
import { call, makeNdarray, makeTensorProto } from './client.js';
import { type Harness, startGrpc } from './harness.js';

interface OracleCase {
  model: string;
  version: number;
  signature: string;
  inputs: Record<string, { dtype: string; shape: number[]; values: unknown }>;
  outputs: Record<string, { dtype: string; shape: number[]; values: unknown }>;
}

const oracle: OracleCase[] = readFileSync(join(fixtures, 'models', 'oracle.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as OracleCase);

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const example = (x: number): object => ({ features: { feature: { x: { float_list: { value: [x] } } } } });

const model = (name: string, basePath: string, policy: ModelConfig['versionPolicy'] = { kind: 'latest', numVersions: 1 }): ModelConfig => ({
  name,
  basePath,
  modelPlatform: 'tensorflow',
  versionPolicy: policy,
  versionLabels: {},
});

let core: ServerCore;
let h: Harness;

before(async () => {
  const models = [
    model('half_plus_two', join(fixtures, 'models', 'half_plus_two')),
    model('my_model', join(fixtures, 'models', 'my_model'), { kind: 'all' }),
  ];
  if (hasShared) {
    const sm = join(sharedFixtures, 'savedmodels');
    // Upstream's test serves saved_model_half_plus_two_cpu under the default model name.
    models.push(model('default', join(sm, 'saved_model_half_plus_two_cpu')));
    models.push(model('half_plus_two_tf2', join(sm, 'saved_model_half_plus_two_tf2_cpu')));
  }
  core = await ServerCore.create(
    { models },
    {
      loader: (name, version, dir) => loadSavedModelServable(name, version, dir),
      fileSystemPollWaitSeconds: 0,
      watchFileSystem: false,
    },
  );
  h = await startGrpc({ core });
});

after(async () => {
  await h.close();
  await core.close();
});

describe('project fixtures', () => {
  test('half_plus_two: x=[[2.0]] as tensor_content → y=[[3.0]], version 123', async () => {
    const r = await call(h.prediction, 'Predict', {
      model_spec: { name: 'half_plus_two' },
      inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [2]) },
    });
    assert.equal(r.err, null, r.err?.details);
    assert.deepEqual(r.res.outputs.y.float_val, [3]);
    assert.deepEqual(makeNdarray(r.res.outputs.y).shape, [1, 1]);
    assert.equal(r.res.model_spec.version.value, '123');
    assert.equal(r.res.model_spec.signature_name, 'serving_default');
  });

  test('every serving_default oracle case, through tensor_content and through typed float_val', async () => {
    for (const c of oracle.filter((o) => o.signature === 'serving_default')) {
      for (const typed of [false, true]) {
        const inputs = Object.fromEntries(
          Object.entries(c.inputs).map(([alias, t]) => [alias, makeTensorProto(t.dtype, t.shape, flat(t.values), typed)]),
        );
        const r = await call(h.prediction, 'Predict', { model_spec: { name: c.model, version: { value: c.version } }, inputs });
        assert.equal(r.err, null, r.err?.details);
        for (const [alias, want] of Object.entries(c.outputs)) {
          const got = makeNdarray(r.res.outputs[alias]);
          assert.deepEqual(got.shape, want.shape, `${c.model} v${c.version} ${alias}`);
          const w = flat(want.values);
          got.values.forEach((v, i) => assert.ok(Math.abs((v as number) - w[i]!) <= 1e-5 * Math.max(1, Math.abs(w[i]!)), `${c.model}[${i}]: ${v} vs ${w[i]}`));
        }
      }
    }
  });

  test("the tutorial's gRPC snippet: my_model, serving_default, dense_input float32 [5,10] via make_tensor_proto → dense_1", async () => {
    const c = oracle.find((o) => o.model === 'my_model' && o.inputs['dense_input']!.shape[0] === 5 && o.version === 2)!;
    const r = await call(
      h.prediction,
      'Predict',
      {
        model_spec: { name: 'my_model', signature_name: 'serving_default' },
        inputs: { dense_input: makeTensorProto('DT_FLOAT', [5, 10], flat(c.inputs['dense_input']!.values)) },
      },
      10_000, // the snippet's timeout=10.0
    );
    assert.equal(r.err, null, r.err?.details);
    const out = makeNdarray(r.res.outputs.dense_1);
    assert.deepEqual(out.shape, [5, 1]);
    const want = flat(c.outputs['dense_1']!.values);
    out.values.forEach((v, i) => assert.ok(Math.abs((v as number) - want[i]!) <= 1e-5, `${v} vs ${want[i]}`));
    assert.equal(r.res.model_spec.version.value, '2', 'latest version');
  });

  test('Classify, Regress and MultiInference on half_plus_two (TF2 ParseExampleV2 signatures)', async () => {
    const input = { example_list: { examples: [example(2), example(10), example(20)] } };
    const cls = await call(h.prediction, 'Classify', { model_spec: { name: 'half_plus_two', signature_name: 'classify_x_to_y' }, input });
    assert.equal(cls.err, null, cls.err?.details);
    assert.deepEqual(
      cls.res.result.classifications.map((c: { classes: { score: number }[] }) => c.classes.map((x) => x.score)),
      [[3], [7], [12]],
    );
    const reg = await call(h.prediction, 'Regress', {
      model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' },
      input: { example_list: { examples: [example(2), example(80)] } },
    });
    assert.equal(reg.err, null, reg.err?.details);
    assert.deepEqual(reg.res.result.regressions, [{ value: 3 }, { value: 42 }]);
    const multi = await call(h.prediction, 'MultiInference', {
      tasks: [
        { model_spec: { name: 'half_plus_two', signature_name: 'regress_x_to_y' }, method_name: 'tensorflow/serving/regress' },
        { model_spec: { name: 'half_plus_two', signature_name: 'classify_x_to_y' }, method_name: 'tensorflow/serving/classify' },
      ],
      input: { example_list: { examples: [example(2)] } },
    });
    assert.equal(multi.err, null, multi.err?.details);
    assert.deepEqual(multi.res.results[0].regression_result.regressions, [{ value: 3 }]);
    assert.deepEqual(multi.res.results[1].classification_result.classifications, [{ classes: [{ score: 3 }] }]);
  });
});

describe('upstream fixtures and asserts (tensorflow_model_server_test.py)', () => {
  test('saved_model_half_plus_two_cpu served as "default": Predict x=[[2.0]] → y=[[3.0]], version 123, with output_filter', async (t) => {
    if (!sharedOrSkip(t)) return;
    for (const output_filter of [[], ['y']]) {
      const r = await call(h.prediction, 'Predict', {
        model_spec: { name: 'default', signature_name: 'serving_default' },
        inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [2]) },
        output_filter,
      });
      assert.equal(r.err, null, r.err?.details);
      assert.deepEqual(Object.keys(r.res.outputs), ['y']);
      assert.equal(r.res.outputs.y.dtype, 'DT_FLOAT');
      assert.deepEqual(r.res.outputs.y.float_val, [3]);
      assert.deepEqual(r.res.model_spec, { name: 'default', signature_name: 'serving_default', version: { value: '123' }, version_choice: 'version' });
    }
  });

  test(
    'VerifyPredictRequest as upstream sends it: x of shape [1] into the [-1,1] placeholder',
    async (t) => {
      if (!sharedOrSkip(t)) return;
      const r = await call(h.prediction, 'Predict', { model_spec: { name: 'default' }, inputs: { x: makeTensorProto('DT_FLOAT', [1], [2]) } });
      assert.equal(r.err, null, r.err?.details);
      assert.deepEqual(r.res.outputs.y.float_val, [3]);
    },
  );

  test('saved_model_half_plus_two_tf2_cpu: Classify, Regress and MultiInference with x=2.0 → 3.0', async (t) => {
    if (!sharedOrSkip(t)) return;
    const input = { example_list: { examples: [example(2)] } };
    const cls = await call(h.prediction, 'Classify', { model_spec: { name: 'half_plus_two_tf2', signature_name: 'classify_x_to_y' }, input });
    assert.equal(cls.err, null, cls.err?.details);
    assert.deepEqual(cls.res.result.classifications, [{ classes: [{ score: 3 }] }]);
    const reg = await call(h.prediction, 'Regress', { model_spec: { name: 'half_plus_two_tf2', signature_name: 'regress_x_to_y' }, input });
    assert.equal(reg.err, null, reg.err?.details);
    assert.deepEqual(reg.res.result.regressions, [{ value: 3 }]);
    const multi = await call(h.prediction, 'MultiInference', {
      tasks: [
        { model_spec: { name: 'half_plus_two_tf2', signature_name: 'regress_x_to_y' }, method_name: 'tensorflow/serving/regress' },
        { model_spec: { name: 'half_plus_two_tf2', signature_name: 'classify_x_to_y' }, method_name: 'tensorflow/serving/classify' },
      ],
      input,
    });
    assert.equal(multi.err, null, multi.err?.details);
    assert.deepEqual(
      multi.res.results.map((x: { regression_result?: unknown; classification_result?: unknown }) => x.regression_result ?? x.classification_result),
      [{ regressions: [{ value: 3 }] }, { classifications: [{ classes: [{ score: 3 }] }] }],
    );
  });
});
