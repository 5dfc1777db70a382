/**
 * `tfs serve` start-up end to end: failures print upstream's
 * `Failed to start server. Error: <CODE>: <message>` and exit 255; the Docker image's
 * MODEL_NAME / MODEL_BASE_PATH convention; flags tfs only warns about.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_FLAGS, envVarOf } from '../../src/server/flags.js';
import { runBuiltCli } from '../helpers/cli-build.js';
import { fixtures } from '../helpers/paths.js';
import { postJson, serveFailure, startServe } from './serve-harness.js';

const HALF_PLUS_TWO = join(fixtures, 'models', 'half_plus_two');

/** The plain-text failure line tfs prints on stderr. */
function failureLine(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.startsWith('Failed to start server. Error: '));
  assert.ok(line, `no failure line in:\n${stderr}`);
  return line;
}

describe('start-up errors: a clear message and exit code 255', { concurrency: 2, timeout: 180_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfs-e2e-startup-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing base path', async () => {
    const missing = join(dir, 'no-such-model');
    const r = await serveFailure(['--model_name=m', `--model_base_path=${missing}`]);
    assert.equal(r.code, 255);
    assert.equal(failureLine(r.stderr), `Failed to start server. Error: NOT_FOUND: Could not find base path ${missing} for servable m`);
  });

  test('a config file that does not parse (upstream testBadModelConfig)', async () => {
    const file = join(dir, 'bad_model_config.txt');
    writeFileSync(file, 'improperly formatted file');
    const r = await serveFailure([`--model_config_file=${file}`]);
    assert.equal(r.code, 255);
    assert.match(failureLine(r.stderr), /^Failed to start server\. Error: INVALID_ARGUMENT: .*Error parsing text-format tensorflow\.serving\.ModelServerConfig/);
  });

  test('--batching_parameters_file without --enable_batching', async () => {
    const r = await serveFailure([`--model_base_path=${HALF_PLUS_TWO}`, '--batching_parameters_file=batching.config']);
    assert.equal(r.code, 255);
    assert.equal(
      failureLine(r.stderr),
      'Failed to start server. Error: INVALID_ARGUMENT: server_options.batching_parameters_file is set without setting server_options.enable_batching to true.',
    );
  });

  test('neither --model_base_path nor --model_config_file', async () => {
    const r = await serveFailure([]);
    assert.equal(r.code, 255);
    assert.equal(
      failureLine(r.stderr),
      'Failed to start server. Error: INVALID_ARGUMENT: Both server_options.model_base_path and server_options.model_config_file are empty!',
    );
  });

  test('a flag tfs cannot honour is refused, naming the flag and the reason', async () => {
    const r = await serveFailure([`--model_base_path=${HALF_PLUS_TWO}`, '--prefer_tflite_model=true']);
    assert.equal(r.code, 255);
    assert.equal(
      failureLine(r.stderr),
      'Failed to start server. Error: UNIMPLEMENTED: --prefer_tflite_model=true: TensorFlow Lite models are not supported. Remove the flag to start tfs.',
    );
  });

  test('a bad flag value prints the error and the usage', async () => {
    const r = await serveFailure([`--model_base_path=${HALF_PLUS_TWO}`, '--rest_api_timeout_in_ms=soon']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /^Illegal value 'soon' specified for int flag 'rest_api_timeout_in_ms'\nusage: tfs serve\nFlags:\n/);
  });

  test('a version that fails to load (upstream: "servable(s) did not become available")', async () => {
    const base = join(dir, 'broken');
    mkdirSync(join(base, '1'), { recursive: true });
    writeFileSync(join(base, '1', 'saved_model.pb'), 'not a SavedModel');
    const r = await serveFailure(['--model_name=broken', `--model_base_path=${base}`, '--max_num_load_retries=0']);
    assert.equal(r.code, 255);
    assert.match(failureLine(r.stderr), /^Failed to start server\. Error: UNKNOWN: 1 servable\(s\) did not become available: \{+name: broken version: 1\} due to error: DATA_LOSS: /);
  });

  test('a permanent load error fails start-up at once, with the default retry flags', async () => {
    // Upstream would retry this corrupt file 5 times, 60 s apart; the describe's timeout
    // (180 s) fails the test if tfs did.
    const base = join(dir, 'corrupt');
    mkdirSync(join(base, '1'), { recursive: true });
    writeFileSync(join(base, '1', 'saved_model.pb'), 'not a SavedModel');
    const r = await serveFailure(['--model_name=corrupt', `--model_base_path=${base}`]);
    assert.equal(r.code, 255);
    assert.match(failureLine(r.stderr), /\{name: corrupt version: 1\} due to error: DATA_LOSS: /);
    assert.match(r.stderr, /Not retrying servable: \{name: corrupt version: 1\}/);
  });

  test('a port already in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await serveFailure([`--model_base_path=${HALF_PLUS_TWO}`, `--rest_api_port=${port}`]);
      assert.equal(r.code, 255);
      assert.match(failureLine(r.stderr), /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});

describe('the Docker image convention and flags tfs only warns about', { timeout: 120_000 }, () => {
  test('MODEL_NAME / MODEL_BASE_PATH serve ${MODEL_BASE_PATH}/${MODEL_NAME}; unknown and ignored flags are logged', async () => {
    const s = await startServe(['--bogus_flag=1', '--tensorflow_inter_op_parallelism=2'], {
      env: { MODEL_NAME: 'half_plus_two', MODEL_BASE_PATH: join(fixtures, 'models') },
    });
    try {
      const r = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[4.0]] });
      assert.deepEqual(r, { status: 200, body: { predictions: [[4.0]] } });
      assert.ok(s.logs.some((l) => l.msg === 'unknown argument: --bogus_flag=1'));
      assert.ok(
        s.logs.some(
          (l) => l.level === 40 && l.msg?.startsWith('--tensorflow_inter_op_parallelism=2: the embedded runtime runs one op at a time') === true,
        ),
      );
      assert.equal(await s.stop('SIGTERM'), 0);
    } finally {
      await s.stop('SIGKILL');
    }
  });
});

describe('tfs serve --help and --version', { timeout: 120_000 }, () => {
  test('--help lists every flag with its default and environment variable', async () => {
    const r = await runBuiltCli(['serve', '--help']);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const f of SERVE_FLAGS) {
      assert.ok(help.includes(`--${f.type === 'bool' ? '[no-]' : ''}${f.name}`), `--${f.name}`);
      assert.ok(help.includes(`(env ${envVarOf(f.name)})`), envVarOf(f.name));
    }
    assert.match(help, /--port=<value> \[default: 8500\]/);
    assert.match(help, /--rest_api_port=<value> \[default: 8501\]/);
  });

  test("--version prints upstream's two lines and exits 0", async () => {
    const r = await runBuiltCli(['serve', '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TensorFlow ModelServer: tfs \d+\.\d+\.\d+\nTensorFlow Library: tfjs \d+\.\d+\.\d+\n$/);
  });
});
