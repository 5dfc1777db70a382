import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseServeFlags, unknownArgumentText, unsupportedFlagNotes, usageText, FlagError, SERVE_FLAGS } from '../../src/server/flags.js';
import { sharedOrSkip } from '../helpers/paths.js';

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
  // As the image's entrypoint: MODEL_NAME defaults to "model".
  const d = parseServeFlags([], { MODEL_BASE_PATH: '/srv/models' });
  assert.equal(d.values['model_name'], 'model');
  assert.equal(d.values['model_base_path'], '/srv/models/model');
  // Neither set: nothing from Docker (upstream's "Both ... are empty!" check applies).
  assert.equal(parseServeFlags([], { MODEL_NAME: '' }).explicit.has('model_base_path'), false);
  // TFS_* beats MODEL_*, the command line beats both.
  const e = parseServeFlags(['--model_name=cli'], { MODEL_NAME: 'docker', TFS_MODEL_NAME: 'env', TFS_ENABLE_BATCHING: 'true' });
  assert.equal(e.values['model_name'], 'cli');
  assert.equal(e.values['enable_batching'], true);
  assert.equal(parseServeFlags([], { MODEL_NAME: 'docker', TFS_MODEL_NAME: 'env' }).values['model_name'], 'env');
  // A bad environment value names its variable.
  assert.throws(() => parseServeFlags([], { TFS_PORT: 'eighty' }), /Illegal value 'eighty' specified for int flag 'port' \(from TFS_PORT\)/);
});

test('bad values are errors; unknown arguments are collected (upstream prints and continues)', () => {
  assert.throws(() => parseServeFlags(['--port=abc'], {}), FlagError);
  assert.throws(() => parseServeFlags(['--enable_batching=maybe'], {}), /Illegal value 'maybe'/);
  assert.throws(() => parseServeFlags(['--model_name'], {}), /expects a value/);
  assert.throws(() => parseServeFlags(['--model_name', '--port=1'], {}), /Flag '--model_name' expects a value/);
  assert.throws(() => parseServeFlags(['--port=2147483648'], {}), /out of range/, 'int32');
  assert.equal(parseServeFlags(['--load_retry_interval_micros=3000000000'], {}).values['load_retry_interval_micros'], 3e9, 'int64');
  assert.equal(parseServeFlags(['--port', '-1'], {}).values['port'], -1);
  assert.equal(parseServeFlags(['--enable_batching', 'false'], {}).values['enable_batching'], false);
  const p = parseServeFlags(['--bogus=1', 'stray'], {});
  assert.deepEqual(p.unknown, ['--bogus=1', 'stray']);
});

test('flags tfs cannot honour are reported, not silently ignored', () => {
  const p = parseServeFlags(['--use_alts_credentials=true', '--tensorflow_inter_op_parallelism=4', '--enable_batching'], {});
  const notes = unsupportedFlagNotes(p);
  assert.equal(notes.errors.length, 1);
  assert.match(notes.errors[0]!, /--use_alts_credentials=true/);
  assert.equal(notes.warnings.length, 1);
  assert.match(notes.warnings[0]!, /--tensorflow_inter_op_parallelism=4/);
  // The embedded runtime takes intra-op parallelism (the wasm backend's threads): no note.
  assert.deepEqual(unsupportedFlagNotes(parseServeFlags(['--tensorflow_intra_op_parallelism=2'], {})), { errors: [], warnings: [] });
  // An ignored flag is reported even at its default: `--enable_profiler` must not look like it did something.
  const profiler = unsupportedFlagNotes(parseServeFlags(['--enable_profiler'], {}));
  assert.equal(profiler.errors.length, 0);
  assert.match(profiler.warnings[0]!, /^--enable_profiler=true: .*; the flag is accepted and has no effect\.$/);
  // An unsupported flag at its default is harmless and says nothing.
  assert.deepEqual(unsupportedFlagNotes(parseServeFlags(['--use_alts_credentials=false'], {})), { errors: [], warnings: [] });
});

test('an unknown flag keeps upstream\'s warning and suggests the closest flag', () => {
  assert.equal(unknownArgumentText('--enable_batchin'), 'unknown argument: --enable_batchin (did you mean --enable_batching?)');
  assert.equal(unknownArgumentText('--rest-api-prot=8501'), 'unknown argument: --rest-api-prot=8501 (did you mean --rest_api_port?)');
  assert.equal(unknownArgumentText('--model_config_fil=x'), 'unknown argument: --model_config_fil=x (did you mean --model_config_file?)');
  assert.equal(unknownArgumentText('--completely_different'), 'unknown argument: --completely_different');
  assert.equal(unknownArgumentText('stray'), 'unknown argument: stray');
});

test('usage lists every flag with its default', () => {
  const u = usageText();
  for (const s of SERVE_FLAGS) assert.ok(u.includes(`--${s.name}=`), s.name);
  assert.match(u, /\t--port=8500\tint32\t/);
  assert.match(u, /\t--saved_model_tags="serve"\tstring\t/);
});

test('the flag table is tensorflow_model_server\'s (tfserving-spec.md §4): every flag, its type and default', (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const spec = readFileSync(join(shared, '..', 'docs', 'tfserving-spec.md'), 'utf8');
  const section = spec.slice(spec.indexOf('## 4. `tensorflow_model_server` command line'), spec.indexOf('## 5. Prometheus metrics'));
  const rows = [...section.matchAll(/^\| `--([a-z0-9_]+)` \| (\w+) \| ([^|]+) \|/gm)].map((m) => ({ name: m[1]!, type: m[2]!, def: m[3]!.trim() }));
  assert.equal(rows.length, 48, 'rows of the spec table');
  const byName = new Map(SERVE_FLAGS.map((s) => [s.name, s]));
  const cpus = availableParallelism();
  for (const row of rows) {
    const flag = byName.get(row.name);
    assert.ok(flag, `--${row.name} is in the table`);
    assert.ok(!flag.tfsOnly, row.name);
    const type = flag.type === 'int' ? 'int32' : flag.type;
    assert.equal(type, row.type, `--${row.name} type`);
    // Defaults as the spec writes them: `serve`, "", **true**, 4 × CPUs, 60000000 (1 min)...
    const written = row.def.replace(/[`*]/g, '').replace(/ \(.*\)$/, '');
    const expected =
      row.name === 'rest_api_port'
        ? 8501 // tfs decision: the Docker image's port (upstream's 0 disables REST)
        : written === '""'
          ? ''
          : written === '4 × CPUs'
            ? 4 * cpus
            : written === 'CPUs'
              ? cpus
              : written === 'true' || written === 'false'
                ? written === 'true'
                : /^-?\d+$/.test(written)
                  ? Number(written)
                  : written;
    assert.deepEqual(flag.default, expected, `--${row.name} default (spec: ${row.def})`);
  }
  // Every other flag is a tfs addition, marked as such.
  const specNames = new Set(rows.map((r) => r.name));
  for (const f of SERVE_FLAGS) if (!specNames.has(f.name)) assert.ok(f.tfsOnly, `--${f.name} is tfs-only`);
});

test('usage prints int64 flags as int64 and marks tfs-only and ignored flags', () => {
  const u = usageText();
  assert.match(u, /\t--load_retry_interval_micros=60000000\tint64\t/);
  assert.match(u, /\t--shutdown_grace_period_ms=10000\tint32\t.*\[tfs only\]/);
  assert.match(u, /\t--rest_api_num_threads=\d+\tint32\t.*\[tfs: ignored: /);
  assert.match(u, /\t--prefer_tflite_model=false\tbool\t.*\[tfs: unsupported: /);
});
