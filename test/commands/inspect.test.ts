import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { inspect } from '../../src/savedmodel/inspect.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { fixtures, repoRoot, sharedOrSkip } from '../helpers/paths.js';

const models = join(fixtures, 'models');
const expectedDir = join(fixtures, 'generate', 'expected-inspect');

/** The tfs CLI of the build these tests were compiled into (dist/ under npm test). */
function tfs(args: readonly string[]): Promise<CliResult> {
  return runCliInProcess(args);
}

const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'inspect.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function checkJson(out: string): Record<string, unknown> {
  const doc = JSON.parse(out) as Record<string, unknown>;
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  return doc;
}

const OP_SUPPORT = '\nOp support in the tfs runtime';

/** stdout split into saved_model_cli's part and tfs's op-support section after it. */
function splitShow(stdout: string): { show: string; ops: string } {
  const i = stdout.indexOf(OP_SUPPORT);
  assert.ok(i >= 0, `no op-support section in:\n${stdout}`);
  return { show: stdout.slice(0, i), ops: stdout.slice(i + 1) };
}

const cases: [string, string][] = [
  ['half_plus_two/00000123', 'half_plus_two_00000123.txt'],
  ['my_model/1', 'my_model_1.txt'],
  ['my_model/2', 'my_model_2.txt'],
];

for (const [dir, expected] of cases) {
  test(`tfs inspect ${dir} prints exactly what saved_model_cli show --all printed, then op support`, async () => {
    const r = await tfs(['inspect', join(models, dir)]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const { show, ops } = splitShow(r.stdout);
    assert.equal(show, readFileSync(join(expectedDir, expected), 'utf8'));
    assert.match(ops, /^Op support in the tfs runtime, MetaGraphDef with tag-set: 'serve':\n/);
    assert.match(ops, /signature_def\['serving_default'\]: all ops supported\n/);
    assert.doesNotMatch(ops, /NOT SUPPORTED/);
  });
}

test('--json validates against the schema and carries the signatures', async () => {
  const r = await tfs(['inspect', join(models, 'half_plus_two', '00000123'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = checkJson(r.stdout) as {
    format: string;
    metaGraphs: { tags: string[]; tensorflowVersion: string; signatures: { key: string; methodName: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[]; ops: string[] }[];
    concreteFunctions: { name: string }[];
  };
  assert.equal(doc.format, 'pb');
  assert.equal(doc.metaGraphs.length, 1);
  const mg = doc.metaGraphs[0]!;
  assert.deepEqual(mg.tags, ['serve']);
  assert.equal(mg.tensorflowVersion, '2.21.0');
  assert.deepEqual(mg.signatures.map((s) => s.key), ['__saved_model_init_op', 'classify_x_to_y', 'regress_x_to_y', 'serving_default']);
  const sd = mg.signatures.find((s) => s.key === 'serving_default')!;
  assert.deepEqual(sd.inputs, { x: { dtype: 'DT_FLOAT', shape: [-1, 1], name: 'serving_default_x:0' } });
  assert.equal(mg.signatures.find((s) => s.key === 'classify_x_to_y')!.methodName, 'tensorflow/serving/classify');
  assert.deepEqual(mg.signatures.find((s) => s.key === '__saved_model_init_op')!.outputs, {
    __saved_model_init_op: { dtype: 'DT_INVALID', shape: null, name: 'NoOp' },
  });
  assert.ok(mg.ops.includes('ParseExampleV2'));
  assert.deepEqual(doc.concreteFunctions.map((f) => f.name), ['classify_xy', 'predict', 'regress_xy']);
});

test('a base path lists its versions and shows the latest (text and --json)', async () => {
  const r = await tfs(['inspect', join(models, 'my_model')]);
  assert.equal(r.code, 0, r.stderr);
  const [first, second, ...rest] = r.stdout.split('\n');
  assert.equal(first, 'The given base path contains the following versions: 1, 2');
  assert.equal(second, `Showing the latest version, 2 (${join(models, 'my_model', '2')}):`);
  assert.equal(splitShow(rest.join('\n')).show, readFileSync(join(expectedDir, 'my_model_2.txt'), 'utf8'));
  const j = await tfs(['inspect', join(models, 'my_model'), '--json']);
  const doc = checkJson(j.stdout);
  assert.deepEqual([doc['versions'], doc['version'], doc['dir']], [[1, 2], 2, join(models, 'my_model', '2')]);
});

test('--tag_set lists SignatureDef keys; --signature_def shows one signature', async () => {
  const keys = await tfs(['inspect', join(models, 'half_plus_two', '00000123'), '--tag_set', 'serve']);
  assert.equal(
    splitShow(keys.stdout).show,
    [
      'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:',
      'SignatureDef key: "__saved_model_init_op"',
      'SignatureDef key: "classify_x_to_y"',
      'SignatureDef key: "regress_x_to_y"',
      'SignatureDef key: "serving_default"',
      '',
    ].join('\n'),
  );
  const one = await tfs(['inspect', join(models, 'my_model', '1'), '--signature_def', 'serving_default']);
  assert.equal(one.code, 0, one.stderr);
  const oneSplit = splitShow(one.stdout);
  assert.equal(oneSplit.ops, "Op support in the tfs runtime, MetaGraphDef with tag-set: 'serve':\n  signature_def['serving_default']: all ops supported\n");
  assert.equal(
    oneSplit.show,
    [
      'The given SavedModel SignatureDef contains the following input(s):',
      "  inputs['dense_input'] tensor_info:",
      '      dtype: DT_FLOAT',
      '      shape: (-1, 10)',
      '      name: serving_default_dense_input:0',
      'The given SavedModel SignatureDef contains the following output(s):',
      "  outputs['dense_1'] tensor_info:",
      '      dtype: DT_FLOAT',
      '      shape: (-1, 1)',
      '      name: StatefulPartitionedCall:0',
      'Method name is: tensorflow/serving/predict',
      '',
    ].join('\n'),
  );
  const j = await tfs(['inspect', join(models, 'my_model', '1'), '--tag_set', 'serve', '--signature_def', 'serving_default', '--json']);
  const doc = checkJson(j.stdout) as { metaGraphs: { signatures: { key: string }[] }[]; concreteFunctions: unknown };
  assert.deepEqual(doc.metaGraphs[0]!.signatures.map((s) => s.key), ['serving_default']);
  assert.equal(doc.concreteFunctions, null);
});

test('misuse: unknown tag set, unknown signature, not a SavedModel -> exit 1 with the reason', async () => {
  const tags = await tfs(['inspect', join(models, 'my_model', '1'), '--tag_set', 'serve,gpu']);
  assert.equal(tags.code, 1);
  assert.equal(tags.stdout, '');
  assert.match(tags.stderr, /^Error: Could not find meta graph def matching supplied tags: \{ serve gpu \}\. To inspect available tag-sets/);
  assert.match(tags.stderr, /has the tag sets: 'serve'/);
  const sig = await tfs(['inspect', join(models, 'my_model', '1'), '--signature_def', 'nope']);
  assert.equal(sig.code, 1);
  assert.match(sig.stderr, /SignatureDef key "nope" not found/);
  assert.match(sig.stderr, /signature keys: __saved_model_init_op, serving_default/);
  const none = await tfs(['inspect', join(models, 'no_such_model')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Could not find SavedModel \.pb or \.pbtxt at supplied export directory path: .*no_such_model\./);
  const missingArg = await tfs(['inspect']);
  assert.notEqual(missingArg.code, 0);
  assert.match(missingArg.stderr, /dir/);
});

test('--json: an error is a JSON document on stdout (code, id, message), exit 1', async () => {
  const r = await tfs(['inspect', join(models, 'no_such_model'), '--json']);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout) as { error: { code: string; id: string; message: string } };
  assert.equal(doc.error.code, 'NOT_FOUND');
  assert.equal(doc.error.id, 'TFS_ERR_SAVED_MODEL_NOT_FOUND');
  assert.match(doc.error.message, /^Could not find SavedModel \.pb or \.pbtxt at supplied export directory path: /);
});

test('every shared SavedModel: the --json report validates; bad_half_plus_two fails naming what is missing', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const root = join(shared, 'savedmodels');
  const dirs = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory() && d !== 'bad_half_plus_two');
  // The report is what the command prints with --json; validating it in-process keeps this
  // test fast (one CLI process per model would take seconds).
  for (const d of [...dirs.map((x) => join(root, x)), ...readdirSync(join(shared, 'zoo')).map((x) => join(shared, 'zoo', x))]) {
    if (!statSync(d).isDirectory()) continue;
    checkJson(JSON.stringify(inspect(d).report));
  }
  assert.ok(dirs.length >= 24, `${dirs.length} models inspected`);
  const r = await tfs(['inspect', join(root, 'bad_half_plus_two'), '--json']);
  assert.equal(r.code, 1);
  const { error } = JSON.parse(r.stdout) as { error: { message: string; hint: string } };
  assert.match(error.message, /Could not find SavedModel \.pb or \.pbtxt at supplied export directory path: .*bad_half_plus_two\/00000123\./);
  assert.match(error.hint, /legacy SessionBundle export/);
});

const unsupportedModel = join(repoRoot, 'test', 'runtime', 'fixtures', 'models', 'unsupported', '1');

test('op support: the ops the runtime lacks, per signature, in text and --json (what a load refuses)', async () => {
  const r = await tfs(['inspect', unsupportedModel]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    splitShow(r.stdout).ops,
    [
      "Op support in the tfs runtime, MetaGraphDef with tag-set: 'serve':",
      "  signature_def['a']: NOT SUPPORTED",
      '    ops the runtime lacks: BesselK0e',
      "  signature_def['b']: NOT SUPPORTED",
      '    ops the runtime lacks: BesselK0e',
      "  signature_def['c']: all ops supported",
      '  tfs serve serves c; a, b answer every request with UNIMPLEMENTED (with --refuse_partial_models it refuses this model)',
      '',
    ].join('\n'),
  );
  const j = await tfs(['inspect', unsupportedModel, '--json']);
  assert.equal(j.code, 0, j.stderr);
  const doc = checkJson(j.stdout) as {
    opSupport: { tags: string[]; supported: boolean; servedSignatures: string[]; signatures: { key: string; supported: boolean; unsupportedOps: string[] }[] }[];
  };
  assert.equal(doc.opSupport.length, 1);
  const [mg] = doc.opSupport;
  assert.deepEqual(mg!.tags, ['serve']);
  assert.equal(mg!.supported, false);
  assert.deepEqual(mg!.servedSignatures, ['c']);
  assert.deepEqual(
    mg!.signatures.map((s) => [s.key, s.supported, s.unsupportedOps]),
    [
      ['a', false, ['BesselK0e']],
      ['b', false, ['BesselK0e']],
      ['c', true, []],
    ],
  );
  const one = await tfs(['inspect', unsupportedModel, '--signature_def', 'c']);
  assert.match(splitShow(one.stdout).ops, /^Op support.*\n {2}signature_def\['c'\]: all ops supported\n$/);
});

test('op support: half_plus_two is fully supported in --json', async () => {
  const j = await tfs(['inspect', join(models, 'half_plus_two', '00000123'), '--json']);
  const doc = checkJson(j.stdout) as { opSupport: { supported: boolean; signatures: { key: string }[] }[] };
  assert.equal(doc.opSupport[0]!.supported, true);
  assert.deepEqual(doc.opSupport[0]!.signatures.map((s) => s.key), ['classify_x_to_y', 'regress_x_to_y', 'serving_default']);
});
