/**
 * The lifecycle with real SavedModels and the production loader (loadSavedModelServable):
 * versions copied into and deleted from a temp base path while requests run through the
 * shared Predict implementation.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/config/types.js';
import type { WarmupEvent } from '../../src/core/events.js';
import { ServerCore, type ServerCoreOptions } from '../../src/server/server-core.js';
import { runPredict } from '../../src/servables/predict.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fixtures, sharedOrSkip } from '../helpers/paths.js';
import { copyTree, tempDir, waitFor } from './lifecycle-helpers.js';

const options: ServerCoreOptions = {
  loader: (name, version, dir) => loadSavedModelServable(name, version, dir),
  fileSystemPollWaitSeconds: 0.1,
  versionSettleMs: 20,
  fileSystemWatchDebounceMs: 30,
  maxNumLoadRetries: 0,
  // bad_half_plus_two never becomes a complete SavedModel: hand it to the loader quickly.
  incompleteVersionGraceMs: 300,
};

function model(name: string, basePath: string, extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name,
    basePath,
    modelPlatform: 'tensorflow',
    versionPolicy: { kind: 'latest', numVersions: 1 },
    versionLabels: {},
    ...extra,
  };
}

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: new Float32Array(values) });

/** State of a version, or undefined while it is not tracked yet. */
function stateOf(core: ServerCore, name: string, version: number): string | undefined {
  try {
    return core.getModelStatus(name, version)[0]?.state;
  } catch {
    return undefined;
  }
}

async function predict(core: ServerCore, name: string, inputs: Record<string, Tensor>, version?: number) {
  const r = await runPredict(core, { modelSpec: { name, ...(version === undefined ? {} : { version }) }, inputs }, { api: 'grpc' });
  return { version: r.modelSpec.version, outputs: r.outputs };
}

test('my_model (project fixture): copy version 2 in under concurrent requests, then delete it', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'my_model');
  await copyTree(join(fixtures, 'models', 'my_model', '1'), join(base, '1'));
  const core = await ServerCore.create({ models: [model('my_model', base)] }, options);
  t.after(() => core.close());
  // TensorFlow's outputs for an all-zero input (fixtures/models/oracle.jsonl).
  const expected: Record<number, number> = { 1: 0.49722820520401, 2: 0.5019524693489075 };
  const zeros = { dense_input: f32([1, 10], new Array(10).fill(0)) };

  let stop = false;
  const failures: string[] = [];
  const seen = new Set<number>();
  let served = 0;
  const client = async (): Promise<void> => {
    while (!stop) {
      try {
        const r = await predict(core, 'my_model', zeros);
        const y = (r.outputs['dense_1']!.data as Float32Array)[0]!;
        if (Math.abs(y - expected[r.version]!) > 1e-5) failures.push(`version ${r.version} answered ${y}`);
        seen.add(r.version);
        served++;
      } catch (e) {
        failures.push(String(e));
      }
      // A model run may settle without leaving the microtask queue: let timers and I/O run.
      await new Promise((r) => setImmediate(r));
    }
  };
  const clients = [client(), client(), client()];
  await waitFor(() => served > 5, 10_000, 'requests on version 1');
  await copyTree(join(fixtures, 'models', 'my_model', '2'), join(base, '2'));
  await waitFor(() => stateOf(core, 'my_model', 1) === 'END', 10_000, 'version 1 unloaded');
  const afterSwap = served;
  await waitFor(() => served > afterSwap + 5, 10_000, 'requests on version 2');
  await rm(join(base, '2'), { recursive: true });
  await waitFor(() => stateOf(core, 'my_model', 1) === 'AVAILABLE', 10_000, 'version 1 back');
  stop = true;
  await Promise.all(clients);
  assert.deepEqual(failures, []);
  assert.deepEqual([...seen].sort(), [1, 2]);
  assert.deepEqual(
    core.getModelStatus('my_model').map((s) => [s.version, s.state, s.status.errorCode]),
    [
      [2, 'END', 'OK'],
      [1, 'AVAILABLE', 'OK'],
    ],
  );
});

test('saved_model_half_plus_two_2_versions: version copied in, labels, and a broken version next to them', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const src = join(shared, 'savedmodels', 'saved_model_half_plus_two_2_versions');
  const base = join(dir, 'half');
  await copyTree(join(src, '00000123'), join(base, '00000123'));
  const core = await ServerCore.create({ models: [model('half', base, { versionPolicy: { kind: 'all' } })] }, options);
  t.after(() => core.close());
  const x = { x: f32([2, 1], [1, 2]) };
  let r = await predict(core, 'half', x);
  assert.equal(r.version, 123);
  assert.deepEqual([...(r.outputs['y']!.data as Float32Array)], [2.5, 3]);

  await copyTree(join(src, '00000124'), join(base, '00000124'));
  await waitFor(() => stateOf(core, 'half', 124) === 'AVAILABLE', 10_000, '124');
  r = await predict(core, 'half', x);
  assert.equal(r.version, 124);
  assert.equal((await predict(core, 'half', x, 123)).version, 123, 'all {}: both versions serve');

  await core.reloadConfig({ models: [model('half', base, { versionPolicy: { kind: 'all' }, versionLabels: { stable: 123, canary: 124 } })] });
  const viaLabel = await runPredict(core, { modelSpec: { name: 'half', versionLabel: 'stable' }, inputs: x }, { api: 'grpc' });
  assert.equal(viaLabel.modelSpec.version, 123);

  // Not a SavedModel: after the grace period it is loaded, fails, and is reported; the others keep serving.
  const broken = join(dir, 'broken');
  await copyTree(join(shared, 'savedmodels', 'bad_half_plus_two', '00000123'), join(broken, '00000123'));
  await assert.rejects(
    core.reloadConfig({
      models: [model('half', base, { versionPolicy: { kind: 'all' }, versionLabels: { stable: 123 } }), model('broken', broken)],
    }),
    (e: Error) => /^1 model\(s\) did not become available: \{\{\{name: broken version: 123\} due to error: NOT_FOUND: /.test(e.message),
  );
  assert.equal(core.getModelStatus('broken')[0]?.status.errorCode, 'NOT_FOUND');
  assert.equal((await predict(core, 'half', x)).version, 124);
});

test('keras_traffic_sign_cnn: its real warmup file is replayed before the version is AVAILABLE', async (t) => {
  const shared = sharedOrSkip(t);
  if (!shared) return;
  const warmups: WarmupEvent[] = [];
  const base = join(shared, 'savedmodels', 'keras_traffic_sign_cnn');
  const core = new ServerCore({ ...options, fileSystemPollWaitSeconds: 0 });
  t.after(() => core.close());
  core.events.on('warmup', (e) => warmups.push(e));
  await core.reloadConfig({ models: [model('traffic', base)] });
  assert.equal(core.getModelStatus('traffic')[0]?.state, 'AVAILABLE');
  assert.equal(warmups.length, 1);
  assert.equal(warmups[0]!.ok, true, warmups[0]!.status);
  assert.ok(warmups[0]!.records >= 1);
  assert.equal(warmups[0]!.path, join(base, '1'));
});
