/**
 * Config-file polling (`--model_config_file_poll_wait_seconds`, upstream server.cc
 * `PollFilesystemAndReloadConfig`): re-read the model config file every N seconds and apply
 * it, whether or not it changed. The first run starts at once; the period is measured from
 * the start of the previous run. N <= 0 means the file is read only at startup (no poller).
 *
 * A file that cannot be read or parsed is logged as `Failed to read ModelServerConfig file:
 * <message>` and reported as a `configReload` event (`ok: false`, `source: 'file'`); a
 * reload that fails is logged as `PollFilesystemAndReloadConfig failed to ReloadConfig:
 * <message>`. Either way the running config stays in force.
 *
 * Unlike upstream, a reload still waiting for an added model does not hold back the next
 * poll, so fixing the file always takes effect.
 */
import { loadModelServerConfig } from '../config/model-server-config.js';
import type { ModelServerConfig } from '../config/types.js';
import { asTfsError } from '../errors.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type { ServerCoreEvents } from '../core/events.js';
import type { ReloadOptions } from './server-core.js';

/** What the poller drives: ServerCore, or anything with the same reload call. */
export interface ConfigReloadTarget {
  reloadConfig(config: ModelServerConfig, options?: ReloadOptions): Promise<void>;
  /** Where read/parse failures are reported (`configReload`, source `file`). */
  readonly events?: ServerCoreEvents;
}

export interface ConfigPollerOptions {
  /** The --model_config_file. */
  readonly file: string;
  /** --model_config_file_poll_wait_seconds (> 0 to poll). */
  readonly pollWaitSeconds: number;
  readonly core: ConfigReloadTarget;
  /** Reads and validates the file; default the config parser's `loadModelServerConfig`. */
  readonly loadConfig?: (file: string) => ModelServerConfig | Promise<ModelServerConfig>;
  readonly logger?: Logger;
}

/** Outcome of one poll. */
export type PollOutcome = { readonly ok: true } | { readonly ok: false; readonly stage: 'read' | 'reload'; readonly message: string };

/**
 * The polling cadence shared by the config pollers (model config here, batching parameters in
 * batching-reload.ts): `run` now, then every `periodSeconds` measured from the start of the
 * previous run. A run still going after a period does not hold back the next one.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly periodSeconds: number,
    private readonly run: () => Promise<unknown>,
  ) {}

  /** Start (first run now). Idempotent; no-op after stop(). */
  start(): void {
    if (this.stopped || this.started) return;
    this.started = true;
    this.tick();
  }

  /** Stop; resolves when the runs in progress have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
  }

  private tick(): void {
    if (this.stopped) return;
    const startedAt = Date.now();
    const run = this.run();
    this.inflight.add(run);
    void run.finally(() => this.inflight.delete(run));
    // The next run does not wait longer than a period for a run still going.
    void this.finishedOrOnePeriod(run).then(() => {
      if (this.stopped) return;
      const delay = Math.max(0, startedAt + this.periodSeconds * 1000 - Date.now());
      this.timer = setTimeout(() => this.tick(), delay);
    });
  }

  /** Resolves when `run` settles, or after one period, so a long run never stalls polling. */
  private finishedOrOnePeriod(run: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.periodSeconds * 1000);
      void run.finally(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export class ConfigPoller {
  private readonly loadConfig: (file: string) => ModelServerConfig | Promise<ModelServerConfig>;
  private readonly logger: Logger;
  private stopped = false;
  private readonly stopController = new AbortController();
  private readonly loop: PollLoop;

  constructor(private readonly opts: ConfigPollerOptions) {
    this.loadConfig = opts.loadConfig ?? loadModelServerConfig;
    this.logger = opts.logger ?? silentLogger;
    this.loop = new PollLoop(opts.pollWaitSeconds, () => this.pollOnce());
  }

  /** Whether this poller polls at all (pollWaitSeconds > 0). */
  get enabled(): boolean {
    return this.opts.pollWaitSeconds > 0;
  }

  /** Start polling (first run now). No-op when pollWaitSeconds <= 0. */
  start(): void {
    if (!this.enabled || this.stopped) return;
    this.loop.start();
  }

  /**
   * Read the file and apply it once. Resolves when the reload finished (including the wait
   * for added models); never rejects.
   */
  async pollOnce(): Promise<PollOutcome> {
    let config: ModelServerConfig;
    try {
      config = await this.loadConfig(this.opts.file);
    } catch (e) {
      const error = asTfsError(e);
      this.logger.error(`Failed to read ModelServerConfig file: ${error.message}`);
      try {
        this.opts.core.events?.emit('configReload', { ok: false, source: 'file', error });
      } catch (listenerError) {
        this.logger.error({ err: listenerError }, `A 'configReload' event listener threw: ${String(listenerError)}`);
      }
      return { ok: false, stage: 'read', message: error.message };
    }
    if (this.stopped) return { ok: true };
    try {
      await this.opts.core.reloadConfig(config, { source: 'file', signal: this.stopController.signal });
      return { ok: true };
    } catch (e) {
      const message = asTfsError(e).message;
      if (!this.stopped) this.logger.error(`PollFilesystemAndReloadConfig failed to ReloadConfig: ${message}`);
      return { ok: false, stage: 'reload', message };
    }
  }

  /** Stop polling; reloads still waiting for models stop waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    await this.loop.stop();
  }
}
