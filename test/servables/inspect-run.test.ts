/**
 * `tfs inspect <dir> --run`: through the real CLI on the project's models, and through
 * its implementation (inspectRun) on every shared and zoo oracle call, whose inputs are
 * written as REST columnar JSON and whose printed `{"outputs": ...}` must match TensorFlow.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectRun } from '../../src/servables/inspect-run.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { runBuiltCli } from '../helpers/cli-build.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';
import { mismatch, oracleCases, oracleFile, type OracleCase } from '../runtime/oracle-data.js';

const HALF = join(fixtures, 'models', 'half_plus_two', '00000123');

/** A tensor as the nested JSON value REST's columnar `inputs` takes. */
function jsonValue(t: Tensor): unknown {
  const flat: unknown[] =
    t.dtype === 'DT_STRING'
      ? (t.data as Uint8Array[]).map((b) => ({ b64: Buffer.from(b).toString('base64') }))
      : Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  const nest = (dims: readonly number[], offset: number): [unknown, number] => {
    if (dims.length === 0) return [flat[offset], offset + 1];
    const out: unknown[] = [];
    for (let i = 0; i < dims[0]!; i++) {
      const [v, next] = nest(dims.slice(1), offset);
      out.push(v);
      offset = next;
    }
    return [out, offset];
  };
  return nest(t.shape, 0)[0];
}

function inputsJson(c: OracleCase): string {
  return JSON.stringify(Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, jsonValue(t)])));
}

/** Compare the printed `{"outputs": ...}` with TensorFlow's outputs. */
function checkPrinted(printed: string, c: OracleCase): string | undefined {
  const doc = JSON.parse(printed) as { outputs: unknown };
  const aliases = Object.keys(c.outputs).sort();
  const byAlias: Record<string, unknown> =
    aliases.length === 1 ? { [aliases[0]!]: doc.outputs } : (doc.outputs as Record<string, unknown>);
  for (const alias of aliases) {
    const want = c.outputs[alias]!;
    const v = byAlias[alias];
    const values = (Array.isArray(v) ? v.flat(Infinity) : [v]) as number[];
    const got: Tensor = {
      dtype: want.dtype,
      shape: want.shape,
      data: want.dtype === 'DT_INT64' ? BigInt64Array.from(values.map(BigInt)) : Float64Array.from(values),
    };
    if (values.length !== want.values.length) return `${alias}: ${values.length} values, want ${want.values.length}`;
    const m = mismatch(got, want);
    if (m) return `${alias}: ${m}`;
  }
  return undefined;
}

test('tfs inspect --run prints what REST columnar predict returns', async () => {
  const r = await runBuiltCli(['inspect', HALF, '--run', '--signature_def', 'serving_default', '--inputs', '{"x": [[1.0], [2.0], [3.0]]}']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { outputs: [[2.5], [3], [3.5]] });
  assert.equal(r.stdout, '{\n    "outputs": [\n        [\n            2.5\n        ],\n        [\n            3.0\n        ],\n        [\n            3.5\n        ]\n    ]\n}\n');
});

test('tfs inspect --run: @file inputs, a base path runs its latest version, --backend cpu', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-inspect-run-'));
  try {
    const cases = oracleFile(join(fixtures, 'models', 'oracle.jsonl'), join(fixtures, 'models')).filter(
      (c) => c.model === 'my_model' && c.version === 2,
    );
    const c = cases[1]!;
    const file = join(dir, 'inputs.json');
    writeFileSync(file, inputsJson(c));
    const r = await runBuiltCli(['inspect', join(fixtures, 'models', 'my_model'), '--run', '--inputs', `@${file}`, '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(checkPrinted(r.stdout, c), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tfs inspect --run errors: REST texts, exit code 1', async () => {
  const badSig = await runBuiltCli(['inspect', HALF, '--run', '--signature_def', 'nope', '--inputs', '{"x": [[1.0]]}']);
  assert.equal(badSig.code, 1);
  assert.match(badSig.stderr, /Error: Serving signature name: "nope" not found in signature def/);
  const badInput = await runBuiltCli(['inspect', HALF, '--run', '--inputs', '{"x": [[1.0], [2.0, 3.0]]}']);
  assert.equal(badInput.code, 1);
  assert.match(badInput.stderr, /^Error: /);
  const noInputs = await runBuiltCli(['inspect', HALF, '--run']);
  assert.equal(noInputs.code, 1);
  assert.match(noInputs.stderr, /Error: --inputs is required: signature serving_default takes x/);
});

test('every shared and zoo oracle call matches TensorFlow through inspect --run', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  let checked = 0;
  const failures: string[] = [];
  for (const c of oracleCases(shared)) {
    // Each --run loads the model afresh (as saved_model_cli run does), so the counter's
    // state does not carry over: only its calls that do not depend on earlier ones apply.
    if (c.model === 'saved_model_counter' && c.signature === 'incr_counter_by') continue;
    // half_plus_three's regress signature declares its serialized-Example input as DT_FLOAT
    // (note 3 of the fixtures README): REST predict converts JSON by the declared dtype, so
    // only the Regress API can feed it; TF Serving's predict refuses it the same way.
    if (c.model === 'saved_model_half_plus_three' && c.signature === 'tensorflow/serving/regress') continue;
    try {
      const noInputs = Object.keys(c.inputs).length === 0;
      const printed = await inspectRun({ dir: c.dir, signatureDef: c.signature, ...(noInputs ? {} : { inputs: inputsJson(c) }) });
      const m = checkPrinted(printed, c);
      if (m) failures.push(`${c.where} ${c.model}:${c.signature}: ${m}`);
    } catch (e) {
      failures.push(`${c.where} ${c.model}:${c.signature}: ${(e as Error).message}`);
    }
    checked++;
  }
  t.diagnostic(`inspect --run: ${checked - failures.length}/${checked} oracle calls matched`);
  assert.deepEqual(failures, []);
});
