/**
 * batching.pbtxt and per-model batching_params.pbtxt re-read while serving, on real files:
 * the BatchingReloader alone (invalid edits, a file that disappears, a ConfigMap-style symlink
 * swap), then `tfs serve` in-process on half_plus_two (max_batch_size raised without a restart,
 * an edit under concurrent load, per-model files, /debug/config, the reload metric).
 *
 * Every wait is on a `reload` event (bounded), never on a poll interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Batcher } from '../../src/batching/batching-servable.js';
import { checkBatchingParametersText } from '../../src/config/batching.js';
import { ConfigError } from '../../src/config/validation.js';
import { BatchingReloader, type BatchingReloadEvent, batchingPollSeconds } from '../../src/server/batching-reload.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { FakeServable } from '../batching/fake-servable.js';
import { fixtures } from '../helpers/paths.js';

/** Resolves with the next `reload` event matching `pred`; rejects after `ms` (a bound, not a wait). */
function nextReload(r: BatchingReloader, pred: (e: BatchingReloadEvent) => boolean, ms = 30_000): Promise<BatchingReloadEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      r.events.off('reload', on);
      reject(new Error(`no matching reload event within ${ms} ms`));
    }, ms);
    const on = (e: BatchingReloadEvent): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      r.events.off('reload', on);
      resolve(e);
    };
    r.events.on('reload', on);
  });
}

const FILE_V1 = 'max_batch_size { value: 2 }\nbatch_timeout_micros { value: 0 }\nnum_batch_threads { value: 1 }\n';
const FILE_V2 = 'max_batch_size { value: 8 }\nbatch_timeout_micros { value: 0 }\nnum_batch_threads { value: 1 }\n';

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

test('poll interval: the flag, else the model config interval when polling, else read once', () => {
  assert.equal(batchingPollSeconds(-1, 0), 0);
  assert.equal(batchingPollSeconds(-1, 30), 30);
  assert.equal(batchingPollSeconds(0, 30), 0, '0 = read once, as upstream');
  assert.equal(batchingPollSeconds(5, 30), 5);
  assert.equal(parseServeFlags([], {}).values['batching_parameters_file_poll_wait_seconds'], -1);
});

test('reloader: a valid edit applies, an invalid one is reported as tfs validate does and changes nothing, a missing file keeps the parameters', async () => {
  const dir = tmp('tfs-breload-');
  const file = join(dir, 'batching.pbtxt');
  writeFileSync(file, FILE_V1);
  const batcher = new Batcher(checkBatchingParametersText(FILE_V1, file).parameters!, { execution: 'in-thread' });
  const s = batcher.wrap(new FakeServable());
  const counted: string[] = [];
  const r = new BatchingReloader({ batcher, file, perModel: false, pollWaitSeconds: 1, count: (st) => counted.push(st) });
  try {
    assert.deepEqual(await r.pollOnce(), [], 'the first read finds the running parameters');
    writeFileSync(file, FILE_V2);
    const [applied] = await r.pollOnce();
    assert.equal(applied!.outcome, 'applied');
    assert.equal(applied!.old!.maxBatchSize, 2);
    assert.equal(applied!.new!.maxBatchSize, 8);
    assert.equal(s.params.maxBatchSize, 8);

    const bad = 'max_batch_size { value: 4 }\nnum_batch_threads { value: -3 }\n';
    writeFileSync(file, bad);
    const [invalid] = await r.pollOnce();
    assert.equal(invalid!.outcome, 'invalid');
    const validateText = new ConfigError('batching', file, checkBatchingParametersText(bad, file).issues).details;
    assert.equal(invalid!.message, validateText, 'the same text as tfs validate');
    assert.match(invalid!.message!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: `));
    assert.equal(s.params.maxBatchSize, 8, 'the running parameters stay');
    assert.deepEqual(await r.pollOnce(), [], 'the same bad text is reported once');

    writeFileSync(file, 'max_batch_size { value: 4 '); // a syntax error
    const [syntax] = await r.pollOnce();
    assert.equal(syntax!.outcome, 'invalid');
    assert.match(syntax!.message!, /batching\.pbtxt:1:\d+: /);

    unlinkSync(file);
    const [missing] = await r.pollOnce();
    assert.equal(missing!.outcome, 'missing');
    assert.equal(missing!.message, 'No such file or directory');
    assert.equal(s.params.maxBatchSize, 8);
    assert.deepEqual(await r.pollOnce(), [], 'a missing file is reported once');

    writeFileSync(file, FILE_V1);
    const [back] = await r.pollOnce();
    assert.equal(back!.outcome, 'applied');
    assert.equal(s.params.maxBatchSize, 2);
    assert.deepEqual(counted, ['OK', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'NOT_FOUND', 'OK']);
  } finally {
    await r.stop();
    await s.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reloader: a ConfigMap-style update (the ..data symlink swapped to a new directory) is detected by polling', async () => {
  const dir = tmp('tfs-breload-cm-');
  // What the kubelet writes: ..<timestamp>/ holds the files, ..data links to it, and each key
  // is a link through ..data. An update writes a new directory and renames a new ..data over.
  mkdirSync(join(dir, '..2026_12_05_v1'));
  writeFileSync(join(dir, '..2026_12_05_v1', 'batching.pbtxt'), FILE_V1);
  symlinkSync('..2026_12_05_v1', join(dir, '..data'));
  symlinkSync('..data/batching.pbtxt', join(dir, 'batching.pbtxt'));
  const file = join(dir, 'batching.pbtxt');
  const batcher = new Batcher(checkBatchingParametersText(FILE_V1, file).parameters!, { execution: 'in-thread' });
  const s = batcher.wrap(new FakeServable());
  const r = new BatchingReloader({ batcher, file, perModel: false, pollWaitSeconds: 1 });
  try {
    const applied = nextReload(r, (e) => e.outcome === 'applied');
    r.start();
    mkdirSync(join(dir, '..2026_12_05_v2'));
    writeFileSync(join(dir, '..2026_12_05_v2', 'batching.pbtxt'), FILE_V2);
    symlinkSync('..2026_12_05_v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_12_05_v1'), { recursive: true });
    const e = await applied;
    assert.equal(e.new!.maxBatchSize, 8);
    assert.equal(s.params.maxBatchSize, 8);
  } finally {
    await r.stop();
    await s.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

const flags = (...args: string[]): ReturnType<typeof parseServeFlags>['values'] =>
  parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', ...args], {}).values;

async function predict(s: RunningServer, rows: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${s.restPort}/v1/models/half_plus_two:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances: Array.from({ length: rows }, (_, i) => [i]) }),
  });
  return { status: res.status, body: await res.json() };
}

const expected = (rows: number): number[][] => Array.from({ length: rows }, (_, i) => [i / 2 + 2]);

test('serve: max_batch_size raised in batching.pbtxt takes effect without a restart; edits under load fail no request', async () => {
  const dir = tmp('tfs-breload-serve-');
  const file = join(dir, 'batching.pbtxt');
  writeFileSync(file, FILE_V1);
  const s = await startServer({
    flags: flags(
      '--model_name=half_plus_two',
      `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`,
      '--enable_batching',
      `--batching_parameters_file=${file}`,
      '--batching_parameters_file_poll_wait_seconds=1',
    ),
    logger: pino({ level: 'silent' }),
  });
  const r = s.batchingReload!;
  try {
    assert.equal(r.enabled, true);
    assert.deepEqual(await predict(s, 3), { status: 400, body: { error: 'Task size 3 is larger than maximum input batch size 2' } });

    // Clients keep sending 1-2 rows (always admissible) while the file changes twice.
    let stop = false;
    const results: number[] = [];
    const client = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const rows = 1 + (i % 2);
        const res = await predict(s, rows);
        results.push(res.status);
        assert.deepEqual(res.body, { predictions: expected(rows) });
      }
    };
    const clients = Array.from({ length: 6 }, client);
    const raised = nextReload(r, (e) => e.outcome === 'applied' && e.new!.maxBatchSize === 8);
    const t0 = performance.now();
    writeFileSync(file, FILE_V2);
    await raised;
    const detectedMs = performance.now() - t0;
    assert.deepEqual(await predict(s, 3), { status: 200, body: { predictions: expected(3) } });
    const threads = nextReload(r, (e) => e.outcome === 'applied' && e.new!.numBatchThreads === 2);
    writeFileSync(file, FILE_V2.replace('num_batch_threads { value: 1 }', 'num_batch_threads { value: 2 }').replace('value: 0', 'value: 500'));
    await threads;
    stop = true;
    await Promise.all(clients);
    assert.ok(results.length > 0);
    console.log(`# ${results.length} requests while batching.pbtxt changed twice, ${results.filter((st) => st !== 200).length} failed; first change live after ${Math.round(detectedMs)} ms (poll 1 s)`);
    assert.deepEqual(
      results.filter((st) => st !== 200),
      [],
      `${results.length} requests during the edits`,
    );

    const invalid = nextReload(r, (e) => e.outcome === 'invalid');
    writeFileSync(file, 'max_batch_size { value: "many" }\n');
    const bad = await invalid;
    assert.match(bad.message!, /batching\.pbtxt:1:\d+: /);
    assert.equal((await predict(s, 3)).status, 200, 'the invalid edit kept the running parameters');

    const live = (await (await fetch(`http://127.0.0.1:${s.restPort}/debug/config`)).json()) as any;
    assert.equal(live.batching.file, file);
    assert.equal(live.batching.poll_wait_seconds, 1);
    assert.equal(live.batching.parameters.max_batch_size, 8);
    assert.equal(live.batching.parameters.num_batch_threads, 2);
    assert.deepEqual(
      live.batching.models.map((m: any) => [m.name, m.version, m.parameters.batch_timeout_micros]),
      [['half_plus_two', 123, 500]],
    );
    const counts = await s.metrics.registry.getSingleMetricAsString('tfs_config_reload_count');
    assert.match(counts, /^tfs_config_reload_count\{kind="batching",source="file",status="OK"\} 2$/m);
    assert.match(counts, /^tfs_config_reload_count\{kind="batching",source="file",status="INVALID_ARGUMENT"\} 1$/m);
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("serve: a version's own batching_params.pbtxt is re-read, following --model_config_file_poll_wait_seconds", async () => {
  const dir = tmp('tfs-breload-permodel-');
  cpSync(join(fixtures, 'models', 'half_plus_two'), join(dir, 'half_plus_two'), { recursive: true });
  const own = join(dir, 'half_plus_two', '00000123', 'batching_params.pbtxt');
  writeFileSync(own, FILE_V1);
  writeFileSync(join(dir, 'models.config'), `model_config_list { config { name: "half_plus_two" base_path: "${dir}/half_plus_two" model_platform: "tensorflow" } }`);
  const s = await startServer({
    flags: flags(
      `--model_config_file=${join(dir, 'models.config')}`,
      '--model_config_file_poll_wait_seconds=1',
      '--enable_batching',
      '--enable_per_model_batching_parameters',
    ),
    logger: pino({ level: 'silent' }),
  });
  const r = s.batchingReload!;
  try {
    assert.equal(r.pollWaitSeconds, 1, 'follows --model_config_file_poll_wait_seconds');
    assert.equal((await predict(s, 3)).status, 400);
    const applied = nextReload(r, (e) => e.outcome === 'applied');
    writeFileSync(own, FILE_V2);
    const e = await applied;
    assert.deepEqual(e.model, { name: 'half_plus_two', version: 123 });
    assert.equal(e.file, own);
    assert.deepEqual(await predict(s, 3), { status: 200, body: { predictions: expected(3) } });
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
