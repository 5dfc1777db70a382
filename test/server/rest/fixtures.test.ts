/**
 * The REST API on real SavedModels run by the embedded runtime: the project's own
 * fixtures (half_plus_two TF2 and the tutorial's my_model v1/v2, checked against the
 * TF oracle in fixtures/models/oracle.jsonl) and upstream's half_plus_two from
 * ../shared with the values upstream's tests assert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRestApp } from '../../../src/server/rest/app.js';
import { loadSavedModelServable } from '../../../src/servables/saved-model-servable.js';
import type { ModelServable } from '../../../src/core/servable.js';
import { FakeCore, type FakeServable } from '../../helpers/fake-core.js';
import { fixtures, sharedOrSkip } from '../../helpers/paths.js';

interface OracleLine {
  model: string;
  version: number;
  signature: string;
  inputs: Record<string, { values: unknown; examples?: Record<string, number[]>[] }>;
  outputs: Record<string, { values: unknown }>;
}

const oracle: OracleLine[] = readFileSync(join(fixtures, 'models', 'oracle.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as OracleLine);

/** A core over real servables (the FakeCore resolves versions and labels with upstream's texts). */
function coreOf(servables: ModelServable[]): FakeCore {
  const core = new FakeCore();
  for (const s of servables) core.addServable(s as unknown as FakeServable);
  return core;
}

function close(a: unknown, b: unknown, path = ''): void {
  if (Array.isArray(b)) {
    assert.ok(Array.isArray(a) && a.length === b.length, `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    b.forEach((v, i) => close(a[i], v, `${path}[${i}]`));
  } else if (typeof b === 'number') {
    assert.equal(typeof a, 'number', path);
    assert.ok(Math.abs((a as number) - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${path}: ${String(a)} vs ${b}`);
  } else {
    assert.deepEqual(a, b, path);
  }
}

test('project fixtures: predict, classify and regress match the TF oracle', async (t) => {
  const servables = await Promise.all([
    loadSavedModelServable('half_plus_two', 123, join(fixtures, 'models', 'half_plus_two', '00000123')),
    loadSavedModelServable('my_model', 1, join(fixtures, 'models', 'my_model', '1')),
    loadSavedModelServable('my_model', 2, join(fixtures, 'models', 'my_model', '2')),
  ]);
  t.after(() => Promise.all(servables.map((s) => s.dispose())));
  const core = coreOf(servables);
  const app = buildRestApp({ core });
  for (const line of oracle) {
    const url = `/v1/models/${line.model}/versions/${line.version}`;
    const [alias, input] = Object.entries(line.inputs)[0]!;
    const [outAlias, output] = Object.entries(line.outputs)[0]!;
    if (input.examples) {
      const verb = outAlias === 'scores' || outAlias === 'classes' ? 'classify' : 'regress';
      // Features written with a decimal point, so they are float lists as the model parses them.
      const dec = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));
      const examples = input.examples.map(
        (e) => `{${Object.entries(e).map(([k, v]) => `${JSON.stringify(k)}: [${v.map(dec).join(', ')}]`).join(', ')}}`,
      );
      const body = `{"signature_name": ${JSON.stringify(line.signature)}, "examples": [${examples.join(', ')}]}`;
      const res = await app.inject({ method: 'POST', url: `${url}:${verb}`, payload: body });
      assert.equal(res.statusCode, 200, `${line.model} ${line.signature}: ${res.body}`);
      const rows = output.values as number[][];
      const want = verb === 'classify' ? rows.map((r) => r.map((s) => ['', s])) : rows.map((r) => r[0]);
      close((res.json() as { results: unknown }).results, want, `${line.model} ${line.signature}`);
      continue;
    }
    assert.equal(alias.length > 0, true);
    const row = await app.inject({ method: 'POST', url: `${url}:predict`, payload: JSON.stringify({ signature_name: line.signature, instances: input.values }) });
    assert.equal(row.statusCode, 200, row.body);
    close((row.json() as { predictions: unknown }).predictions, output.values, `${line.model} v${line.version} row`);
    const col = await app.inject({ method: 'POST', url: `${url}:predict`, payload: JSON.stringify({ inputs: { [alias]: input.values } }) });
    assert.equal(col.statusCode, 200, col.body);
    close((col.json() as { outputs: unknown }).outputs, output.values, `${line.model} v${line.version} columnar`);
  }
  // The tutorial's metadata and status calls on my_model.
  const md = (await app.inject({ method: 'GET', url: '/v1/models/my_model/metadata' })).json() as any;
  assert.equal(md.model_spec.version, '2');
  assert.equal(md.metadata.signature_def.signature_def.serving_default.inputs.dense_input.dtype, 'DT_FLOAT');
  const st = (await app.inject({ method: 'GET', url: '/v1/models/my_model' })).json() as any;
  assert.deepEqual(st.model_version_status.map((s: any) => s.version), ['2', '1']);
  // A wrong feature count is the model's INVALID_ARGUMENT, as a 400 JSON error.
  const bad = await app.inject({ method: 'POST', url: '/v1/models/my_model:predict', payload: '{"instances": [[1.0, 2.0]]}' });
  assert.equal(bad.statusCode, 400);
  assert.match((bad.json() as { error: string }).error, /./);
  assert.equal(core.held, 0);
});

test('upstream half_plus_two (../shared): values upstream asserts', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const s = await loadSavedModelServable('default', 123, join(shared, 'savedmodels', 'saved_model_half_plus_two_cpu', '00000123'));
  t.after(() => s.dispose());
  const app = buildRestApp({ core: coreOf([s]) });
  const post = async (verb: string, body: string) => {
    const r = await app.inject({ method: 'POST', url: `/v1/models/default:${verb}`, payload: body });
    return { status: r.statusCode, json: r.json() as unknown, body: r.body };
  };
  assert.deepEqual((await post('classify', '{"signature_name":"classify_x_to_y","examples":[{"x":2.0}]}')).json, { results: [[['', 3.0]]] });
  assert.deepEqual((await post('regress', '{"signature_name":"regress_x_to_y","examples":[{"x":2.0}]}')).json, { results: [3.0] });
  assert.deepEqual((await post('regress', '{"signature_name":"regress_x_to_y","examples":[{"x":80.0}]}')).json, { results: [42] });
  assert.deepEqual((await post('classify', '{"signature_name":"classify_x_to_y","examples":[{"x":20.0}]}')).json, { results: [[['', 12]]] });
  assert.deepEqual((await post('classify', '{"signature_name":"classify_x_to_y","examples":[{"x":10.0}]}')).json, { results: [[['', 7]]] });
  assert.deepEqual((await post('predict', '{"instances": [[2.0], [3.0], [4.0]]}')).json, { predictions: [[3.0], [3.5], [4.0]] });
  const status = await app.inject({ method: 'GET', url: '/v1/models/default' });
  assert.deepEqual(status.json(), {
    model_version_status: [{ version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
  });
  const md = await app.inject({ method: 'GET', url: '/v1/models/default/metadata' });
  assert.deepEqual(md.json(), JSON.parse(readFileSync(join(shared, 'expected', 'half_plus_two_model_metadata.json'), 'utf8')));
});

test(
  'upstream half_plus_two (../shared): [3] and [2,2] inputs to the [-1,1] placeholder, as upstream tests feed them',
  async (t) => {
    const shared = sharedOrSkip(t);
    if (!shared) return;
    const s = await loadSavedModelServable('default', 123, join(shared, 'savedmodels', 'saved_model_half_plus_two_cpu', '00000123'));
    t.after(() => s.dispose());
    const app = buildRestApp({ core: coreOf([s]) });
    for (const [key, out] of [['instances', 'predictions'], ['inputs', 'outputs']] as const) {
      const r = await app.inject({ method: 'POST', url: '/v1/models/default:predict', payload: `{"${key}": [2.0, 3.0, 4.0]}` });
      assert.deepEqual(r.json(), { [out]: [3.0, 3.5, 4.0] });
    }
    // http_rest_api_handler_test feeds [2,2] to the same [-1,1] placeholder.
    const r = await app.inject({ method: 'POST', url: '/v1/models/default:predict', payload: '{"instances": [[1.0, 2.0], [3.0, 4.0]]}' });
    assert.deepEqual(r.json(), { predictions: [[2.5, 3.0], [3.5, 4.0]] });
  },
);
