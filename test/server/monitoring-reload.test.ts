/**
 * --monitoring_config_file re-read while serving, on a real `tfs serve` (in-process, real
 * listeners) over half_plus_two: the metrics page moves, an invalid edit and a deleted file
 * keep it, `enable: false` turns it off, a ConfigMap-style symlink swap is seen, and each
 * outcome is counted in tfs_config_reload_count{kind="monitoring"}.
 *
 * Every wait is on a `reload` event (bounded), never on a poll interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { checkMonitoringConfigText } from '../../src/config/monitoring.js';
import { ConfigError } from '../../src/config/validation.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { type MonitoringReloader, type MonitoringReloadEvent, monitoringPollSeconds } from '../../src/server/monitoring-reload.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';

/** Resolves with the next `reload` event matching `pred`; rejects after `ms` (a bound, not a wait). */
function nextReload(r: MonitoringReloader, pred: (e: MonitoringReloadEvent) => boolean, ms = 30_000): Promise<MonitoringReloadEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      r.events.off('reload', on);
      reject(new Error(`no matching reload event within ${ms} ms`));
    }, ms);
    const on = (e: MonitoringReloadEvent): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      r.events.off('reload', on);
      resolve(e);
    };
    r.events.on('reload', on);
  });
}

const flags = (...args: string[]): ReturnType<typeof parseServeFlags>['values'] =>
  parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two', `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, ...args], {}).values;

const config = (path: string, enable = true): string => `prometheus_config { enable: ${enable} path: "${path}" }\n`;

async function get(s: RunningServer, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${s.restPort}${path}`);
  return { status: res.status, body: await res.text() };
}

test('poll interval: the flag, else the model config interval when polling, else read once', () => {
  assert.equal(monitoringPollSeconds(-1, 0), 0);
  assert.equal(monitoringPollSeconds(-1, 30), 30);
  assert.equal(monitoringPollSeconds(0, 30), 0, '0 = read once, as upstream');
  assert.equal(parseServeFlags([], {}).values['monitoring_config_file_poll_wait_seconds'], -1);
});

test('serve: the metrics page follows monitoring.pbtxt while serving; invalid or missing files keep it; counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-mreload-'));
  const file = join(dir, 'monitoring.pbtxt');
  writeFileSync(file, config('/monitoring/prometheus/metrics'));
  const s = await startServer({ flags: flags(`--monitoring_config_file=${file}`, '--monitoring_config_file_poll_wait_seconds=1'), logger: pino({ level: 'silent' }) });
  const r = s.monitoringReload!;
  try {
    assert.equal(r.enabled, true);
    assert.match((await get(s, '/monitoring/prometheus/metrics')).body, /# TYPE /);

    const moved = nextReload(r, (e) => e.outcome === 'applied');
    writeFileSync(file, config('/metrics'));
    const e = await moved;
    assert.equal(e.old!.prometheus.path, '/monitoring/prometheus/metrics');
    assert.equal(e.new!.prometheus.path, '/metrics');
    const page = await get(s, '/metrics');
    assert.equal(page.status, 200);
    assert.match(page.body, /# TYPE :tensorflow:serving:request_count counter/);
    assert.equal((await get(s, '/monitoring/prometheus/metrics')).status, 404, 'the old path is no longer served');

    const bad = 'prometheus_config { enable: maybe }\n';
    const invalid = nextReload(r, (x) => x.outcome === 'invalid');
    writeFileSync(file, bad);
    const inv = await invalid;
    assert.equal(inv.message, new ConfigError('monitoring', file, checkMonitoringConfigText(bad, file).issues).details, 'the same text as tfs validate');
    assert.match(inv.message!, /monitoring\.pbtxt:1:\d+: /);
    assert.equal((await get(s, '/metrics')).status, 200, 'the invalid edit kept the running config');

    const missing = nextReload(r, (x) => x.outcome === 'missing');
    unlinkSync(file);
    await missing;
    assert.equal((await get(s, '/metrics')).status, 200, 'a deleted file kept the running config');

    const off = nextReload(r, (x) => x.outcome === 'applied');
    writeFileSync(file, config('/metrics', false));
    await off;
    assert.equal((await get(s, '/metrics')).status, 404, 'enable: false turns the page off');

    const live = JSON.parse((await get(s, '/debug/config')).body) as { monitoring: { file: string; poll_wait_seconds: number; prometheus_config: unknown } };
    assert.deepEqual(live.monitoring, { file, poll_wait_seconds: 1, prometheus_config: { enable: false, path: '/metrics' } });
    const counts = await s.metrics.registry.getSingleMetricAsString('tfs_config_reload_count');
    assert.match(counts, /^tfs_config_reload_count\{kind="monitoring",source="file",status="OK"\} 2$/m);
    assert.match(counts, /^tfs_config_reload_count\{kind="monitoring",source="file",status="INVALID_ARGUMENT"\} 1$/m);
    assert.match(counts, /^tfs_config_reload_count\{kind="monitoring",source="file",status="NOT_FOUND"\} 1$/m);
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: a ConfigMap-style update (..data symlink swapped) turns export on, following --model_config_file_poll_wait_seconds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-mreload-cm-'));
  // The kubelet's layout: monitoring.pbtxt -> ..data/monitoring.pbtxt, ..data -> ..v1.
  mkdirSync(join(dir, '..v1'));
  writeFileSync(join(dir, '..v1', 'monitoring.pbtxt'), config('/metrics', false));
  symlinkSync('..v1', join(dir, '..data'));
  symlinkSync(join('..data', 'monitoring.pbtxt'), join(dir, 'monitoring.pbtxt'));
  const models = join(dir, 'models.config');
  writeFileSync(models, `model_config_list { config { name: "half_plus_two" base_path: "${join(fixtures, 'models', 'half_plus_two')}" model_platform: "tensorflow" } }\n`);
  const s = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', `--model_config_file=${models}`, '--model_config_file_poll_wait_seconds=1', `--monitoring_config_file=${join(dir, 'monitoring.pbtxt')}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  const r = s.monitoringReload!;
  try {
    assert.equal(r.enabled, true, 'polled at the model config interval');
    assert.equal((await get(s, '/metrics')).status, 404);
    const on = nextReload(r, (e) => e.outcome === 'applied');
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'monitoring.pbtxt'), config('/metrics'));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await on;
    assert.equal((await get(s, '/metrics')).status, 200);
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
