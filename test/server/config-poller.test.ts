import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelServerConfig } from '../../src/config/model-server-config.js';
import type { ModelServerConfig } from '../../src/config/types.js';
import { ConfigPoller } from '../../src/server/config-poller.js';
import type { ConfigReloadEvent } from '../../src/core/events.js';
import { ServerCore } from '../../src/server/server-core.js';
import { Code, TfsError } from '../../src/errors.js';
import { captureLogger, fakeLoader, sleepMs, tempDir, waitFor, writeVersion } from '../core/lifecycle-helpers.js';

function configText(models: Array<{ name: string; base: string; policy?: string; labels?: Record<string, number> }>): string {
  const body = models
    .map((m) => {
      const labels = Object.entries(m.labels ?? {})
        .map(([k, v]) => `    version_labels { key: '${k}' value: ${v} }\n`)
        .join('');
      const policy = m.policy ? `    model_version_policy { ${m.policy} }\n` : '';
      return `  config {\n    name: '${m.name}'\n    base_path: '${m.base}'\n    model_platform: 'tensorflow'\n${policy}${labels}  }\n`;
    })
    .join('');
  return `model_config_list {\n${body}}\n`;
}

const version = (core: ServerCore, name: string, label?: string): number | undefined => {
  try {
    const h = core.getServableHandle(label ? { name, label } : { name });
    h.release();
    return h.version;
  } catch {
    return undefined;
  }
};

test('editing the config file: add a model, move a label; a broken file keeps the running config', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await writeVersion(a, 1);
  await writeVersion(b, 1);
  await writeVersion(b, 2);
  const file = join(dir, 'models.config');
  await writeFile(file, configText([{ name: 'a', base: a }]));
  const cap = captureLogger();
  const core = await ServerCore.create(loadModelServerConfig(file), {
    loader: fakeLoader().load,
    fileSystemPollWaitSeconds: 0.1,
    versionSettleMs: 10,
    enableModelWarmup: false,
    logger: cap.logger,
  });
  t.after(() => core.close());
  const events: ConfigReloadEvent[] = [];
  core.events.on('configReload', (e) => events.push(e));
  const poller = new ConfigPoller({ file, pollWaitSeconds: 0.1, core, logger: cap.logger });
  t.after(() => poller.stop());
  poller.start();

  // Add b with two versions and a label.
  const specific = 'specific { versions: 1 versions: 2 }';
  await writeFile(file, configText([{ name: 'a', base: a }, { name: 'b', base: b, policy: specific }]));
  await waitFor(() => version(core, 'b', undefined) === 2 && core.getModelStatus('b', 1)[0]?.state === 'AVAILABLE', 5000, 'b loaded');
  await writeFile(file, configText([{ name: 'a', base: a }, { name: 'b', base: b, policy: specific, labels: { stable: 1 } }]));
  await waitFor(() => version(core, 'b', 'stable') === 1, 5000, 'label stable -> 1');

  // A syntax error: logged with upstream's prefix, reported as an event; nothing changes.
  await writeFile(file, 'model_config_list { config { name: ');
  await waitFor(() => cap.has('Failed to read ModelServerConfig file: '), 5000, 'parse failure logged');
  const parseLine = cap.lines.find((l) => l.msg.startsWith('Failed to read ModelServerConfig file: '))!;
  assert.equal(parseLine.level, 'error');
  assert.ok(parseLine.msg.includes(`Invalid protobuf file: '${file}'`), parseLine.msg);
  await waitFor(() => events.some((e) => !e.ok && e.source === 'file' && e.error?.code === Code.INVALID_ARGUMENT), 5000, 'event');
  assert.equal(version(core, 'a'), 1);
  assert.equal(version(core, 'b', 'stable'), 1);

  // A config the core rejects (label on a version that is not loaded): upstream's reload log line.
  await writeFile(file, configText([{ name: 'a', base: a }, { name: 'b', base: b, policy: specific, labels: { stable: 9 } }]));
  await waitFor(
    () =>
      cap.has(
        'PollFilesystemAndReloadConfig failed to ReloadConfig: Request to assign label to version 9 of model b, which is not currently available for inference',
      ),
    5000,
    'reload failure logged',
  );
  assert.equal(version(core, 'b', 'stable'), 1);

  // Move the label and drop a.
  await writeFile(file, configText([{ name: 'b', base: b, policy: specific, labels: { stable: 2 } }]));
  await waitFor(() => version(core, 'b', 'stable') === 2, 5000, 'label moved');
  await waitFor(() => core.getModelStatus('a')[0]?.state === 'END', 5000, 'a unloaded');
  assert.ok(events.some((e) => e.ok && e.source === 'file'));
});

test('polls immediately, then every period; stop() ends it; 0 disables polling', async () => {
  const calls: number[] = [];
  const config: ModelServerConfig = { models: [] };
  const reloads: ModelServerConfig[] = [];
  const core = { reloadConfig: async (c: ModelServerConfig) => void reloads.push(c) };
  const poller = new ConfigPoller({
    file: '/x',
    pollWaitSeconds: 0.05,
    core,
    loadConfig: () => {
      calls.push(Date.now());
      return config;
    },
  });
  poller.start();
  const atStart = calls.length;
  await waitFor(() => calls.length >= 4, 3000, 'four polls');
  await poller.stop();
  assert.equal(atStart, 1, 'first run at once (inside start())');
  const n = calls.length;
  assert.ok(calls[3]! - calls[0]! >= 120, 'spaced by the period');
  await sleepMs(120);
  assert.equal(calls.length, n, 'no poll after stop');
  assert.equal(reloads.length, n);

  const off = new ConfigPoller({ file: '/x', pollWaitSeconds: 0, core, loadConfig: () => config });
  assert.equal(off.enabled, false);
  off.start();
  await sleepMs(50);
  assert.equal(reloads.length, n);
  await off.stop();
});

test('a reload stuck waiting for a model does not stall polling', async () => {
  let pending = 0;
  let calls = 0;
  const core = {
    reloadConfig: (_c: ModelServerConfig, o?: { signal?: AbortSignal }) =>
      new Promise<void>((_, reject) => {
        pending++;
        o?.signal?.addEventListener('abort', () => reject(new TfsError(Code.CANCELLED, 'stopped')));
      }),
  };
  const poller = new ConfigPoller({
    file: '/x',
    pollWaitSeconds: 0.05,
    core,
    loadConfig: () => {
      calls++;
      return { models: [] };
    },
  });
  poller.start();
  await waitFor(() => calls >= 3, 3000, 'polls continue');
  await poller.stop();
  assert.ok(pending >= 3);
});
