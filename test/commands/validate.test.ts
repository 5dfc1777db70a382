/** `tfs validate` as a user runs it (a child process of the CLI built with these tests). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { repoRoot } from '../helpers/paths.js';

const demo = (f: string) => join('fixtures', 'configs', 'demo', f);
const invalid = (c: string, f: string) => join('fixtures', 'configs', 'invalid', c, f);

function schemaValidator() {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'validate.schema.json'), 'utf8')) as Record<string, unknown>;
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
}

test('valid files: exit 0, and it prints what it understood (models, base paths, policies, labels, batching defaults)', async () => {
  const r = await runCliInProcess(['validate', demo('models.config'), demo('batching.config'), demo('monitoring.config')]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /fixtures\/configs\/demo\/models\.config: tensorflow\.serving\.ModelServerConfig \(model_config, detected from content\): valid/);
  assert.match(out, /model half_plus_two\n\s+base path:\s+\S*fixtures\/models\/half_plus_two {2}\(written: \.\.\/\.\.\/models\/half_plus_two\)/);
  assert.match(out, /model my_model\n(.*\n){2}\s+version policy: all versions\n\s+labels:\s+stable -> 1, canary -> 2/);
  assert.match(out, /max_batch_size\s+128\n/);
  assert.match(out, /thread_pool_name\s+batch_threads {2}\(default\)/);
  assert.match(out, /max_execution_batch_size\s+1000 {2}\(default\)/);
  assert.match(out, /prometheus: enabled, path \/monitoring\/prometheus\/metrics/);
  assert.match(out, /tensorflow_model_server would fail with: Expected model half_plus_two to have an absolute path or URI; got base_path\(\)=\.\.\/\.\.\/models\/half_plus_two/);
  assert.match(out, /3 files valid \(0 errors, \d+ warnings?\)\n$/);
  assert.match(r.stderr, /models\.config:7:16: warning: Expected model half_plus_two to have an absolute path or URI/);
});

test('invalid files: exit 1 with every error as file:line:column: message and how to fix it', async () => {
  const dup = invalid('duplicate-model-names', 'model.config');
  const bad = invalid('syntax-improperly-formatted', 'model_config.txt');
  const sizes = invalid('batching-sizes-not-increasing', 'batching.config');
  const r = await runCliInProcess(['validate', dup, bad, sizes, demo('batching.config')]);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`${dup}:4:18: Illegal to list model a multiple times in config list\n  fix: `), r.stderr);
  assert.ok(r.stderr.includes(`${bad}:1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".\n  fix: `), r.stderr);
  assert.ok(r.stderr.includes(`${sizes}:4:22: allowed_batch_sizes entries must be monotonically increasing\n  fix: `), r.stderr);
  assert.ok(r.stdout.includes(`tensorflow_model_server would fail with: Invalid protobuf file: '${bad}'`), r.stdout);
  assert.match(r.stdout, /3 of 4 files invalid \(3 errors, 0 warnings\)\n$/);
});

test('--json: the report matches schemas/cli/validate.schema.json, for valid and invalid files', async () => {
  const validate = schemaValidator();
  const ok = await runCliInProcess(['validate', '--json', demo('models.config'), demo('batching.config'), demo('monitoring.config'), join('fixtures', 'configs', 'valid', 'every_syntax_form.config')]);
  assert.equal(ok.code, 0, ok.stderr);
  const okReport = JSON.parse(ok.stdout) as { valid: boolean; files: { kind: string; config: { kind: string; models?: { name: string }[]; parameters?: { numBatchThreads: number }; defaulted?: string[] } }[] };
  assert.ok(validate(okReport), JSON.stringify(validate.errors));
  assert.equal(okReport.valid, true);
  assert.deepEqual(okReport.files.map((f) => f.kind), ['model_config', 'batching', 'monitoring', 'model_config']);
  assert.deepEqual(okReport.files[0]!.config.models!.map((m) => m.name), ['half_plus_two', 'my_model']);
  assert.equal(okReport.files[1]!.config.parameters!.numBatchThreads, 4);
  assert.deepEqual(okReport.files[1]!.config.defaulted, ['thread_pool_name', 'allowed_batch_sizes', 'enable_large_batch_splitting', 'max_execution_batch_size']);

  const cases = ['syntax-unclosed-brace/model.config', 'platform-both/model.config', 'ssl-paths-not-pem/ssl.config', 'batching-last-size-not-max/batching.config'];
  const bad = await runCliInProcess(['validate', '--json', ...cases.map((c) => join('fixtures', 'configs', 'invalid', c)), join('fixtures', 'configs', 'nope.config')]);
  assert.equal(bad.code, 1);
  const badReport = JSON.parse(bad.stdout) as { valid: boolean; errorCount: number; files: { valid: boolean; upstream: string | null; errors: { line: number; upstream?: boolean; message: string }[] }[] };
  assert.ok(validate(badReport), JSON.stringify(validate.errors));
  assert.equal(badReport.valid, false);
  assert.deepEqual(badReport.files.map((f) => f.valid), [false, false, false, false, false]);
  assert.equal(badReport.errorCount, 1 + 1 + 3 + 1 + 1);
  assert.equal(badReport.files[1]!.upstream, 'Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform, model name is a');
  assert.equal(badReport.files[2]!.upstream, null); // tfs's own SSL checks
  assert.match(badReport.files[4]!.errors[0]!.message, /cannot read .*nope\.config: No such file or directory/);
  // The schema is not a rubber stamp: a report with a wrong field fails it.
  assert.equal(validate({ ...badReport, files: [{ ...badReport.files[0], kind: 'yaml' }] }), false);
});

test('--kind reads a file as the given kind; an unknown kind is a usage error', async () => {
  const asBatching = await runCliInProcess(['validate', '--kind', 'batching', join('fixtures', 'configs', 'tutorial', 'model_config.pbtxt')]);
  assert.equal(asBatching.code, 1);
  assert.match(asBatching.stdout, /BatchingParameters \(batching, --kind\): INVALID/);
  assert.match(asBatching.stderr, /model_config\.pbtxt:2:19: Message type "tensorflow\.serving\.BatchingParameters" has no field named "model_config_list"\./);
  const unknown = await runCliInProcess(['validate', '--kind', 'yaml', demo('models.config')]);
  assert.notEqual(unknown.code, 0);
  // oclif wraps the message to the terminal width.
  assert.match(unknown.stderr.replace(/\s*›\s*/g, ' '), /Expected --kind=yaml to be one of: model_config, batching, monitoring, ssl/);
});
