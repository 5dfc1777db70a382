import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ModelConfig, ModelServerConfig, VersionPolicy } from '../../src/config/types.js';
import type { ConfigReloadEvent, LoadEvent, ServableStateEvent } from '../../src/core/events.js';
import { ServerCore, type ServerCoreOptions } from '../../src/server/server-core.js';
import { TfsError } from '../../src/errors.js';
import { captureLogger, fakeLoader, sleepMs, tempDir, waitFor, writeVersion } from '../core/lifecycle-helpers.js';

function model(name: string, basePath: string, policy: VersionPolicy = { kind: 'latest', numVersions: 1 }, labels: Record<string, number> = {}): ModelConfig {
  return { name, basePath, modelPlatform: 'tensorflow', versionPolicy: policy, versionLabels: labels };
}

const cfg = (...models: ModelConfig[]): ModelServerConfig => ({ models });

function fastOptions(loader: ServerCoreOptions['loader'], extra: Partial<ServerCoreOptions> = {}): ServerCoreOptions {
  return {
    loader,
    fileSystemPollWaitSeconds: 0.1,
    versionSettleMs: 10,
    fileSystemWatchDebounceMs: 20,
    maxNumLoadRetries: 0,
    loadRetryIntervalMicros: 1000,
    enableModelWarmup: false,
    ...extra,
  };
}

/** Assert a TfsError with this code name and message. */
function isErr(code: string, message: string | RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TfsError, `expected TfsError, got ${String(e)}`);
    assert.equal(e.codeName, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

const served = (core: ServerCore, name: string, version?: number): number => {
  const h = core.getServableHandle(version === undefined ? { name } : { name, version });
  h.release();
  return h.version;
};

const servedByLabel = (core: ServerCore, name: string, label: string): number => {
  const h = core.getServableHandle({ name, label });
  h.release();
  return h.version;
};

test('startup loads every model; status, handles and their errors match upstream', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'a'), 1);
  await writeVersion(join(dir, 'a'), 2);
  await writeVersion(join(dir, 'b'), '00000123');
  const fl = fakeLoader();
  const core = await ServerCore.create(
    cfg(model('a', join(dir, 'a'), { kind: 'all' }), model('b', join(dir, 'b'))),
    fastOptions(fl.load),
  );
  t.after(() => core.close());
  assert.equal(core.isReady(), true);
  // Startup returns once each model has an available version; a's other version may still be loading.
  await waitFor(() => core.getModelStatus('a').every((s) => s.state === 'AVAILABLE'), 5000, 'both versions of a');
  assert.deepEqual(core.getModelStatus('a'), [
    { version: 2, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } },
    { version: 1, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } },
  ]);
  assert.deepEqual(core.getModelStatus('b', 123), [{ version: 123, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } }]);
  assert.equal(served(core, 'a'), 2);
  assert.equal(served(core, 'a', 1), 1);
  assert.deepEqual(core.listAvailableServableIds(), [
    { name: 'a', version: 1 },
    { name: 'a', version: 2 },
    { name: 'b', version: 123 },
  ]);
  assert.throws(() => core.getServableHandle({ name: 'zzz' }), isErr('NOT_FOUND', 'Servable not found for request: Latest(zzz)'));
  assert.throws(() => core.getServableHandle({ name: 'a', version: 7 }), isErr('NOT_FOUND', 'Servable not found for request: Specific(a, 7)'));
  assert.throws(() => core.getServableHandle({ name: '' }), isErr('INVALID_ARGUMENT', 'ModelSpec has no name specified.'));
  assert.throws(() => core.getServableHandle({ name: 'a', label: 'x' }), isErr('INVALID_ARGUMENT', 'Unrecognized servable version label: x'));
  assert.throws(() => core.getModelStatus('zzz'), isErr('NOT_FOUND', 'Could not find any versions of model zzz'));
  assert.throws(() => core.getModelStatus('a', 9), isErr('NOT_FOUND', 'Could not find version 9 of model a'));
});

test('startup fails like upstream when a model fails to load, and leaves nothing running', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'good'), 1);
  const badDir = await writeVersion(join(dir, 'bad'), 3, 'fail');
  const fl = fakeLoader();
  await assert.rejects(
    ServerCore.create(cfg(model('good', join(dir, 'good')), model('bad', join(dir, 'bad'))), fastOptions(fl.load)),
    isErr('UNKNOWN', `1 servable(s) did not become available: {{{name: bad version: 3} due to error: INVALID_ARGUMENT: bad model at ${badDir}}, }`),
  );
  await waitFor(() => fl.loaded.every((s) => s.disposed), 2000, 'good model disposed after the failed startup');
});

test('labels at startup need --allow_version_labels_for_unavailable_models', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'm'), 1);
  await writeVersion(join(dir, 'm'), 2);
  const config = cfg(model('m', join(dir, 'm'), { kind: 'specific', versions: [1, 2] }, { stable: 1, canary: 2 }));
  const fl = fakeLoader();
  await assert.rejects(
    ServerCore.create(config, fastOptions(fl.load)),
    isErr('FAILED_PRECONDITION', 'Request to assign label to version 2 of model m, which is not currently available for inference'),
  );
  const core = await ServerCore.create(config, fastOptions(fl.load, { allowVersionLabelsForUnavailableModels: true }));
  t.after(() => core.close());
  // Startup returns once the model has an available version; the other may still be loading.
  await waitFor(() => core.getModelStatus('m', 1)[0]?.state === 'AVAILABLE', 5000, 'v1');
  await waitFor(() => core.getModelStatus('m', 2)[0]?.state === 'AVAILABLE', 5000, 'v2');
  assert.equal(servedByLabel(core, 'm', 'stable'), 1);
  assert.equal(served(core, 'm'), 2);
});

test('a core without a config: labels are not initialised yet and nothing is ready', async () => {
  const core = new ServerCore(fastOptions(fakeLoader().load));
  assert.throws(() => core.getServableHandle({ name: 'm', label: 'stable' }), isErr('UNAVAILABLE', 'Model labels does not init yet.stable'));
  assert.equal(core.isReady(), false);
  assert.deepEqual(core.currentConfig(), { models: [] });
  await core.reloadConfig({ models: [], isEmpty: true });
  assert.throws(() => core.getServableHandle({ name: 'm', label: 'stable' }), isErr('UNAVAILABLE', 'Model labels does not init yet.stable'));
  await core.close();
  await assert.rejects(core.reloadConfig(cfg()), isErr('UNAVAILABLE', 'Server is shutting down'));
});

test('copy a version in while serving, then delete it: states and what is served follow the disk', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const fl = fakeLoader({ delayMs: 20 });
  const core = await ServerCore.create(cfg(model('m', base)), fastOptions(fl.load));
  t.after(() => core.close());
  assert.equal(served(core, 'm'), 1);

  await writeVersion(base, 2);
  await waitFor(() => core.getModelStatus('m')[0]?.state === 'AVAILABLE' && core.getModelStatus('m')[0]?.version === 2, 5000, 'v2 AVAILABLE');
  await waitFor(() => core.getModelStatus('m', 1)[0]?.state === 'END', 5000, 'v1 END');
  assert.equal(served(core, 'm'), 2);
  assert.deepEqual(
    core.getModelStatus('m').map((r) => [r.version, r.state]),
    [
      [2, 'AVAILABLE'],
      [1, 'END'],
    ],
  );

  await rm(join(base, '2'), { recursive: true });
  await waitFor(() => core.getModelStatus('m', 2)[0]?.state === 'END', 5000, 'v2 END after deletion');
  await waitFor(() => core.getModelStatus('m', 1)[0]?.state === 'AVAILABLE', 5000, 'v1 back');
  assert.equal(served(core, 'm'), 1);
});

test('a failed version is reported with its error and the old version keeps serving', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const fl = fakeLoader();
  const core = await ServerCore.create(cfg(model('m', base)), fastOptions(fl.load));
  t.after(() => core.close());
  const bad = await writeVersion(base, 2, 'fail');
  await waitFor(() => core.getModelStatus('m')[0]?.state === 'END', 5000, 'v2 failed');
  assert.deepEqual(core.getModelStatus('m'), [
    { version: 2, state: 'END', status: { errorCode: 'INVALID_ARGUMENT', errorMessage: `bad model at ${bad}` } },
    { version: 1, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } },
  ]);
  assert.equal(served(core, 'm'), 1);
  assert.equal(core.isReady(), true);
});

test('reloadConfig: added models are awaited, removed ones unload, failures use upstream text, labels move', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'a'), 1);
  await writeVersion(join(dir, 'b'), 1);
  await writeVersion(join(dir, 'b'), 2);
  const badDir = await writeVersion(join(dir, 'bad'), 4, 'fail');
  const fl = fakeLoader({ delayMs: 30 });
  const reloads: ConfigReloadEvent[] = [];
  const core = await ServerCore.create(cfg(model('a', join(dir, 'a'))), fastOptions(fl.load));
  t.after(() => core.close());
  core.events.on('configReload', (e) => reloads.push(e));
  const bSpecific = { kind: 'specific', versions: [1, 2] } as const;

  // Add b: the call resolves once b's newest version is AVAILABLE (upstream waits for Latest).
  await core.reloadConfig(cfg(model('a', join(dir, 'a')), model('b', join(dir, 'b'), bSpecific)));
  assert.equal(core.getModelStatus('b')[0]?.state, 'AVAILABLE');
  await waitFor(() => core.getModelStatus('b', 1)[0]?.state === 'AVAILABLE', 5000, 'b/1');

  // Labels on available versions; move one; unknown labels; a label on an unloaded version is refused.
  await core.reloadConfig(cfg(model('a', join(dir, 'a')), model('b', join(dir, 'b'), bSpecific, { stable: 1, canary: 2 })));
  assert.equal(servedByLabel(core, 'b', 'stable'), 1);
  await core.reloadConfig(cfg(model('a', join(dir, 'a')), model('b', join(dir, 'b'), bSpecific, { stable: 2, canary: 2 })));
  const h = core.getServableHandle({ name: 'b', label: 'stable' });
  h.release();
  assert.equal(h.version, 2);
  const running = core.currentConfig();
  await assert.rejects(
    core.reloadConfig(cfg(model('b', join(dir, 'b'), bSpecific, { stable: 5 }))),
    isErr('FAILED_PRECONDITION', 'Request to assign label to version 5 of model b, which is not currently available for inference'),
  );
  assert.equal(core.currentConfig(), running, 'the running config stays in force');
  assert.equal(served(core, 'a'), 1, 'model a was not removed by the rejected config');
  assert.equal(servedByLabel(core, 'b', 'canary'), 2);

  // Add a failing model: upstream's reload text; the others are untouched.
  await assert.rejects(
    core.reloadConfig(cfg(model('a', join(dir, 'a')), model('b', join(dir, 'b'), bSpecific), model('bad', join(dir, 'bad')))),
    isErr('UNKNOWN', `1 model(s) did not become available: {{{name: bad version: 4} due to error: INVALID_ARGUMENT: bad model at ${badDir}}, }`),
  );
  assert.equal(served(core, 'a'), 1);
  assert.equal(served(core, 'b'), 2);

  // Remove a: it unloads, its END status stays visible.
  await core.reloadConfig(cfg(model('b', join(dir, 'b'), bSpecific)));
  await waitFor(() => core.getModelStatus('a')[0]?.state === 'END', 5000, 'a unloaded');
  assert.throws(() => core.getServableHandle({ name: 'a' }), isErr('NOT_FOUND', 'Servable not found for request: Latest(a)'));
  assert.deepEqual(core.currentConfig().models.map((m) => m.name), ['b']);

  // A changed policy applies at once: b drops to its latest version.
  await core.reloadConfig(cfg(model('b', join(dir, 'b'))));
  await waitFor(() => core.getModelStatus('b', 1)[0]?.state === 'END', 5000, 'b/1 unloaded by the new policy');
  assert.equal(served(core, 'b'), 2);

  assert.deepEqual(
    reloads.map((e) => [e.ok, e.source, e.error?.codeName]),
    [
      [true, 'api', undefined],
      [true, 'api', undefined],
      [true, 'api', undefined],
      [false, 'api', 'FAILED_PRECONDITION'],
      [false, 'api', 'UNKNOWN'],
      [true, 'api', undefined],
      [true, 'api', undefined],
    ],
  );
});

test('a reload waiting for a model that never appears does not block the next reload', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'a'), 1);
  const fl = fakeLoader();
  const core = await ServerCore.create(cfg(model('a', join(dir, 'a'))), fastOptions(fl.load));
  t.after(() => core.close());
  const typo = join(dir, 'no-such-dir');
  const waiting = core.reloadConfig(cfg(model('a', join(dir, 'a')), model('ghost', typo)));
  let settled = false;
  void waiting.finally(() => {
    settled = true;
  }).catch(() => undefined);
  await sleepMs(300);
  assert.equal(settled, false, 'still waiting, as upstream');
  await core.reloadConfig(cfg(model('a', join(dir, 'a'))));
  await assert.rejects(waiting, isErr('UNKNOWN', /^1 model\(s\) did not become available: \{\{\{name: ghost\} removed from the config/));
  assert.equal(served(core, 'a'), 1);
});

test('create() can be abandoned with a signal while a model has no versions', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const cap = captureLogger();
  const ac = new AbortController();
  setTimeout(() => ac.abort(new TfsError(14, 'gave up waiting')), 300);
  await assert.rejects(
    ServerCore.create(cfg(model('empty', dir)), fastOptions(fakeLoader().load, { logger: cap.logger }), ac.signal),
    isErr('UNAVAILABLE', 'gave up waiting'),
  );
  assert.ok(cap.has(`No versions of servable empty found under base path ${dir}.`));
});

test('events: state transitions and load attempts, in order', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await writeVersion(join(dir, 'm'), 1);
  const states: ServableStateEvent[] = [];
  const loads: LoadEvent[] = [];
  const core = new ServerCore(fastOptions(fakeLoader().load));
  core.events.on('servableState', (e) => states.push(e));
  core.events.on('load', (e) => loads.push(e));
  core.events.on('load', () => {
    throw new Error('a broken listener must not break loading');
  });
  core.events.on('servableState', () => {
    throw new Error('nor status tracking or the wait for added models');
  });
  await core.reloadConfig(cfg(model('m', join(dir, 'm'))));
  await core.close();
  assert.deepEqual(
    states.map((s) => s.state),
    ['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END'],
  );
  assert.equal(loads.length, 1);
  assert.equal(loads[0]!.ok, true);
  assert.equal(loads[0]!.path, join(dir, 'm', '1'));
  assert.ok(loads[0]!.durationMicros >= 0);
  assert.throws(() => core.getServableHandle({ name: 'm' }), isErr('NOT_FOUND', 'Servable not found for request: Latest(m)'));
});

test('no request fails while versions swap under concurrent load', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const base = join(dir, 'm');
  await writeVersion(base, 1);
  const fl = fakeLoader({ delayMs: 25, runDelayMs: 3 });
  const core = await ServerCore.create(cfg(model('m', base)), fastOptions(fl.load, { fileSystemPollWaitSeconds: 0.05 }));
  t.after(() => core.close());
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const seen = new Set<number>();
  const client = async (): Promise<void> => {
    while (!stop) {
      try {
        const h = core.getServableHandle({ name: 'm' });
        try {
          const out = await h.servable.run('serving_default', {});
          const y = (out['y']!.data as Float32Array)[0]!;
          if (y !== h.version) failures.push(`handle ${h.version} answered ${y}`);
          seen.add(y);
          ok++;
        } finally {
          h.release();
        }
      } catch (e) {
        failures.push(String(e));
      }
      await new Promise((r) => setImmediate(r));
    }
  };
  const clients = Array.from({ length: 8 }, () => client());
  for (const next of [2, 3, 4]) {
    await writeVersion(base, next);
    await waitFor(() => core.getModelStatus('m', next - 1)[0]?.state === 'END', 5000, `v${next - 1} unloaded`);
    await rm(join(base, String(next - 1)), { recursive: true });
  }
  stop = true;
  await Promise.all(clients);
  assert.deepEqual(failures, []);
  assert.ok(ok > 50, `served ${ok} requests`);
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4]);
  assert.equal(served(core, 'm'), 4);
  // Every replaced version was disposed, and only after its last request.
  assert.equal(fl.loaded.filter((s) => s.disposed).length, 3);
});
