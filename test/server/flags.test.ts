import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeFlags, unsupportedFlagNotes, usageText, FlagError, SERVE_FLAGS } from '../../src/server/flags.js';

test('defaults are upstream defaults', () => {
  const p = parseServeFlags([], {});
  assert.equal(p.values['port'], 8500);
  assert.equal(p.values['rest_api_port'], 8501, 'as the Docker image runs it');
  assert.equal(p.values['rest_api_timeout_in_ms'], 30000);
  assert.equal(p.values['model_name'], 'default');
  assert.equal(p.values['enable_model_warmup'], true);
  assert.equal(p.values['file_system_poll_wait_seconds'], 1);
  assert.equal(p.values['max_num_load_retries'], 5);
  assert.equal(p.values['saved_model_tags'], 'serve');
  assert.equal(p.explicit.size, 0);
});

test('upstream --name=value, bare booleans and true/false/1/0 in any case', () => {
  const p = parseServeFlags(
    ['--port=9000', '--rest_api_port=9001', '--enable_batching', '--rest_api_enable_cors_support=TRUE', '--enable_model_warmup=0', '--model_config_file=/c/m.pbtxt'],
    {},
  );
  assert.equal(p.values['port'], 9000);
  assert.equal(p.values['rest_api_port'], 9001);
  assert.equal(p.values['enable_batching'], true);
  assert.equal(p.values['rest_api_enable_cors_support'], true);
  assert.equal(p.values['enable_model_warmup'], false);
  assert.equal(p.values['model_config_file'], '/c/m.pbtxt');
});

test('kebab-case with a separate value, and --no-flag', () => {
  const p = parseServeFlags(['--rest-api-port', '8601', '--model-name', 'm', '--no-enable-model-warmup'], {});
  assert.equal(p.values['rest_api_port'], 8601);
  assert.equal(p.values['model_name'], 'm');
  assert.equal(p.values['enable_model_warmup'], false);
});

test('environment: TFS_* per flag, and the Docker MODEL_NAME / MODEL_BASE_PATH convention', () => {
  const p = parseServeFlags([], { TFS_REST_API_PORT: '8501', MODEL_NAME: 'my_model' });
  assert.equal(p.values['rest_api_port'], 8501);
  assert.equal(p.values['model_name'], 'my_model');
  assert.equal(p.values['model_base_path'], '/models/my_model');
  const q = parseServeFlags(['--model_base_path=/x'], { MODEL_NAME: 'a', MODEL_BASE_PATH: '/srv/models/' });
  assert.equal(q.values['model_base_path'], '/x', 'the command line wins over the environment');
  const r = parseServeFlags([], { MODEL_NAME: 'a', MODEL_BASE_PATH: '/srv/models/' });
  assert.equal(r.values['model_base_path'], '/srv/models/a');
});

test('bad values are errors; unknown arguments are collected (upstream prints and continues)', () => {
  assert.throws(() => parseServeFlags(['--port=abc'], {}), FlagError);
  assert.throws(() => parseServeFlags(['--enable_batching=maybe'], {}), /Illegal value 'maybe'/);
  assert.throws(() => parseServeFlags(['--model_name'], {}), /expects a value/);
  const p = parseServeFlags(['--bogus=1', 'stray'], {});
  assert.deepEqual(p.unknown, ['--bogus=1', 'stray']);
});

test('flags tfs cannot honour are reported, not silently ignored', () => {
  const p = parseServeFlags(['--use_alts_credentials=true', '--tensorflow_intra_op_parallelism=4', '--enable_batching'], {});
  const notes = unsupportedFlagNotes(p);
  assert.equal(notes.errors.length, 1);
  assert.match(notes.errors[0]!, /--use_alts_credentials=true/);
  assert.equal(notes.warnings.length, 1);
  assert.match(notes.warnings[0]!, /--tensorflow_intra_op_parallelism=4/);
  // Setting an ignored flag to its default says nothing.
  assert.deepEqual(unsupportedFlagNotes(parseServeFlags(['--flush_filesystem_caches=true'], {})), { errors: [], warnings: [] });
});

test('usage lists every flag with its default', () => {
  const u = usageText();
  for (const s of SERVE_FLAGS) assert.ok(u.includes(`--${s.name}=`), s.name);
  assert.match(u, /\t--port=8500\tint32\t/);
  assert.match(u, /\t--saved_model_tags="serve"\tstring\t/);
});
