/**
 * startServer() in-process on the project's fixtures: upstream's start-up checks, the drain
 * sequence (readiness first), per-model batching parameters and batch worker threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseServeFlags } from '../../src/server/flags.js';
import { StartupError, checkStartupFlags, startServer, type RunningServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';

const flags = (...args: string[]): ReturnType<typeof parseServeFlags>['values'] =>
  parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args], {}).values;

function capture(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function predict(s: RunningServer, model: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/${model}:predict`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test("upstream's start-up checks, with upstream's texts", () => {
  const fails = (args: string[], text: string): void => {
    assert.throws(
      () => checkStartupFlags(flags('--model_base_path=/m', ...args)),
      (e: unknown) => e instanceof StartupError && e.message === text,
      text,
    );
  };
  fails(['--port=-1'], 'At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.');
  fails(['--ssl_config_file=ssl.config', '--use_alts_credentials'], 'Either use_alts_credentials must be false or ssl_config_file must be empty.');
  fails(
    ['--tensorflow_session_parallelism=2', '--tensorflow_intra_op_parallelism=2', '--tensorflow_inter_op_parallelism=2'],
    'Either configure server_options.tensorflow_session_parallelism or (server_options.tensorflow_intra_op_parallelism, server_options.tensorflow_inter_op_parallelism) separately. You cannot configure all.',
  );
  fails(['--port=9000', '--rest_api_port=9000'], '--rest_api_port (9000) must differ from --port (9000).');
  fails(['--batch_execution=gpu'], '--batch_execution must be one of auto, in-thread, workers (got "gpu").');
  assert.throws(() => checkStartupFlags(parseServeFlags([], {}).values), /Both server_options.model_base_path and server_options.model_config_file are empty!/);
  // A UNIX socket alone is enough for gRPC; two free ports (0) are fine.
  checkStartupFlags(flags('--model_base_path=/m', '--port=-1', '--grpc_socket_path=/tmp/x.sock'));
  checkStartupFlags(flags('--model_base_path=/m'));
});

test('drain: readiness goes false at once, new API calls get 503, in-flight requests finish, then the listeners close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-server-drain-'));
  // Batching is on: the drain flushes its queue (the request below is held by its body instead).
  writeFileSync(join(dir, 'batching.config'), 'max_batch_size { value: 32 } batch_timeout_micros { value: 5000000 } num_batch_threads { value: 1 }');
  const s = await startServer({
    flags: flags(
      '--model_name=half_plus_two',
      `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`,
      '--enable_batching',
      `--batching_parameters_file=${join(dir, 'batching.config')}`,
    ),
    logger: pino({ level: 'silent' }),
  });
  try {
    assert.equal(s.isReady(), true);
    // A request whose body is still arriving is in flight (queued batches are flushed the
    // moment the drain starts, so they cannot hold one). The server has its headers once it
    // answers `Expect: 100-continue`.
    const body = JSON.stringify({ instances: [[4]] });
    const req = request({
      host: '127.0.0.1',
      port: s.restPort,
      path: '/v1/models/half_plus_two:predict',
      method: 'POST',
      headers: { 'content-length': body.length, expect: '100-continue' },
    });
    const inFlight = new Promise<{ status: number; body: any }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', () => resolve()));
    const closed = s.shutdown(20_000);
    assert.equal(s.isReady(), false);
    const readyz = await fetch(`http://127.0.0.1:${s.restPort}/readyz`);
    assert.equal(readyz.status, 503);
    assert.deepEqual(await predict(s, 'half_plus_two', { instances: [[1]] }), { status: 503, body: { error: 'Server is shutting down' } });
    req.end(body);
    assert.deepEqual(await inFlight, { status: 200, body: { predictions: [[4]] } });
    await closed;
    await assert.rejects(fetch(`http://127.0.0.1:${s.restPort}/readyz`));
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--enable_per_model_batching_parameters: the version's batching_params.pbtxt, and no batching for a model without one", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-server-permodel-'));
  cpSync(join(fixtures, 'models', 'half_plus_two'), join(dir, 'half_plus_two'), { recursive: true });
  cpSync(join(fixtures, 'models', 'my_model'), join(dir, 'my_model'), { recursive: true });
  writeFileSync(join(dir, 'half_plus_two', '00000123', 'batching_params.pbtxt'), 'max_batch_size { value: 8 } batch_timeout_micros { value: 0 }');
  writeFileSync(
    join(dir, 'models.config'),
    `model_config_list { config { name: "half_plus_two" base_path: "${dir}/half_plus_two" model_platform: "tensorflow" } config { name: "my_model" base_path: "${dir}/my_model" model_platform: "tensorflow" } }`,
  );
  const { logger, lines } = capture();
  const s = await startServer({
    flags: flags(`--model_config_file=${join(dir, 'models.config')}`, '--enable_batching', '--enable_per_model_batching_parameters'),
    logger,
  });
  try {
    const own = lines.find((l) => l.msg === 'Batching half_plus_two version 123 with its own batching_params.pbtxt');
    assert.ok(own, 'per-model parameters logged');
    assert.equal(own.batching.maxBatchSize, 8);
    assert.ok(!lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Batching my_model')));

    assert.deepEqual(await predict(s, 'half_plus_two', { instances: [[2]] }), { status: 200, body: { predictions: [[3]] } });
    // Larger than the model's own max_batch_size: upstream's batching error.
    const big = await predict(s, 'half_plus_two', { instances: Array.from({ length: 9 }, (_, i) => [i]) });
    assert.equal(big.status, 400, JSON.stringify(big.body));
    assert.equal(big.body.error, 'Task size 9 is larger than maximum input batch size 8');
    const ten = Array(10).fill(0.5);
    assert.equal((await predict(s, 'my_model', { instances: [ten, ten, ten, ten, ten, ten, ten, ten, ten] })).status, 200, 'my_model is not batched');
    const batched = await s.metrics.registry.getSingleMetricAsString('tensorflow_serving_batch_size');
    assert.match(batched, /model_name="half_plus_two"/);
    assert.doesNotMatch(batched, /model_name="my_model"/);
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--batch_execution=workers: batches run on worker threads holding their own copy of the model', async () => {
  const { logger, lines } = capture();
  const s = await startServer({
    flags: flags('--model_name=my_model', `--model_base_path=${join(fixtures, 'models', 'my_model')}`, '--enable_batching', '--batch_execution=workers', '--batch_worker_threads=1'),
    logger,
  });
  try {
    // Served in-thread until the worker has loaded its copy; wait for the switch.
    for (let i = 0; i < 600 && !lines.some((l) => l.msg === 'batching: running batches on worker threads'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const ready = lines.find((l) => l.msg === 'batching: running batches on worker threads');
    assert.ok(ready, 'the worker thread started');
    assert.equal(ready.workers, 1);
    const ten = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    const inThread = await startServer({
      flags: flags('--model_name=my_model', `--model_base_path=${join(fixtures, 'models', 'my_model')}`),
      logger: pino({ level: 'silent' }),
    });
    try {
      const a = await predict(s, 'my_model', { instances: [ten, ten.map((x) => -x)] });
      const b = await predict(inThread, 'my_model', { instances: [ten, ten.map((x) => -x)] });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.deepEqual(a.body, b.body, 'same answers from the worker thread and the main thread');
    } finally {
      await inThread.shutdown(0);
    }
  } finally {
    await s.shutdown(0);
  }
});

test('the initial load is counted in the model-load metrics (metrics listen before the first load)', async () => {
  const s = await startServer({
    flags: flags('--model_name=half_plus_two', `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--port=0', '--rest_api_port=-1'),
    logger: pino({ level: 'silent' }),
  });
  try {
    const attempts = await s.metrics.registry.getSingleMetricAsString(':tensorflow:cc:saved_model:load_attempt_count');
    assert.match(attempts, /model_path="[^"]*half_plus_two[^"]*00000123",status="success"\} 1$/m);
  } finally {
    await s.shutdown(0);
  }
});
