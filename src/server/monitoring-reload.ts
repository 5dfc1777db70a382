/**
 * The monitoring config reloaded while serving (tfs's own; upstream reads it once).
 *
 * With `--monitoring_config_file_poll_wait_seconds N` (or, when that flag is unset, the model
 * config's poll interval) `--monitoring_config_file` is re-read every N seconds on the shared
 * {@link PollLoop}, by path each time, so a ConfigMap update (a swapped `..data` symlink) is
 * seen. For a file whose text changed since the last poll:
 *  - valid, with another config: the metrics page follows it from the next request
 *    (`prometheus_config.enable` turns export on or off, `path` moves it); logged with the old
 *    and new values; counted as `tfs_config_reload_count{kind="monitoring",source="file",status="OK"}`;
 *  - invalid: logged with every error as `file:line:column: message` (what `tfs validate`
 *    prints), counted with status INVALID_ARGUMENT; the running config stays;
 *  - gone or unreadable: a warning, counted NOT_FOUND; the running config stays.
 * Each outcome is also a `reload` event on {@link MonitoringReloader.events} (tests wait on it).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { checkMonitoringConfigText } from '../config/monitoring.js';
import type { MonitoringConfig } from '../config/types.js';
import { ConfigError } from '../config/validation.js';
import type { LiveMetricsEndpoint } from '../metrics/exposition.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { batchingPollSeconds } from './batching-reload.js';
import { PollLoop } from './config-poller.js';

/** What one poll found, when the file's text changed (or it went missing). */
export interface MonitoringReloadEvent {
  readonly file: string;
  readonly outcome: 'applied' | 'unchanged' | 'invalid' | 'missing';
  readonly old?: MonitoringConfig | undefined;
  readonly new?: MonitoringConfig;
  /** invalid: every error as `file:line:column: message`; missing: why it could not be read. */
  readonly message?: string;
}

export interface MonitoringReloaderOptions {
  /** The --monitoring_config_file (absolute). */
  readonly file: string;
  readonly endpoint: LiveMetricsEndpoint;
  /** Seconds between polls (> 0 to poll). */
  readonly pollWaitSeconds: number;
  readonly logger?: Logger;
  /** Counts one reload outcome (status `OK`, `INVALID_ARGUMENT`, `NOT_FOUND`). */
  readonly count?: (status: string) => void;
}

const STATUS: Record<MonitoringReloadEvent['outcome'], string | undefined> = {
  applied: 'OK',
  unchanged: undefined,
  invalid: 'INVALID_ARGUMENT',
  missing: 'NOT_FOUND',
};

/** `enabled at /metrics` / `disabled`. */
function describe(c: MonitoringConfig | undefined): string {
  return c?.prometheus.enable ? `enabled at ${c.prometheus.path}` : 'disabled';
}

/** The monitoring poll interval: the flag, or when unset (< 0) the model config's interval, or 0. */
export const monitoringPollSeconds = batchingPollSeconds;

export class MonitoringReloader {
  readonly events = new EventEmitter<{ reload: [MonitoringReloadEvent] }>();
  private readonly logger: Logger;
  private readonly loop: PollLoop;
  /** The text last read; undefined before the first poll, null when last seen missing. */
  private seen: string | null | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: MonitoringReloaderOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.loop = new PollLoop(opts.pollWaitSeconds, () => this.pollOnce());
  }

  get enabled(): boolean {
    return this.opts.pollWaitSeconds > 0;
  }

  /** Start polling (first poll now). No-op when not {@link enabled}. */
  start(): void {
    if (this.enabled) this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Check the file once (polls never overlap); resolves with what changed, if anything. */
  pollOnce(): Promise<MonitoringReloadEvent | undefined> {
    const run = this.chain.then(() => this.check());
    this.chain = run.catch(() => undefined);
    return run.then((e) => {
      if (e) {
        const status = STATUS[e.outcome];
        if (status) this.opts.count?.(status);
        this.events.emit('reload', e);
      }
      return e;
    });
  }

  private async check(): Promise<MonitoringReloadEvent | undefined> {
    const { file, endpoint } = this.opts;
    const first = this.seen === undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (this.seen === null) return undefined;
      this.seen = null;
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'No such file or directory' : err.message;
      this.logger.warn({ file, reason }, `Monitoring config file ${file} cannot be read (${reason}); keeping the running config`);
      return { file, outcome: 'missing', message: reason };
    }
    if (this.seen === text) return undefined;
    this.seen = text;
    const check = checkMonitoringConfigText(text, file);
    const old = endpoint.config;
    if (!check.config) {
      const details = new ConfigError('monitoring', file, check.issues).details;
      this.logger.error({ file, errors: details }, `Invalid monitoring config file; keeping the running config:\n${details}`);
      return { file, outcome: 'invalid', message: details, old };
    }
    const next = check.config;
    if (JSON.stringify(old) === JSON.stringify(next)) return first ? undefined : { file, outcome: 'unchanged', old, new: next };
    endpoint.set(next);
    this.logger.info({ file, old: old?.prometheus, new: next.prometheus }, `Monitoring config reloaded from ${file}: Prometheus export ${describe(old)} -> ${describe(next)}`);
    return { file, outcome: 'applied', old, new: next };
  }

  /** The live config, for /debug/config. */
  describe(): Record<string, unknown> {
    const c = this.opts.endpoint.config;
    return {
      file: this.opts.file,
      poll_wait_seconds: this.enabled ? this.opts.pollWaitSeconds : 0,
      prometheus_config: c ? { enable: c.prometheus.enable, path: c.prometheus.path } : null,
    };
  }
}
