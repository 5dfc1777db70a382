/**
 * Batching parameters reloaded while serving (tfs's own; upstream reads them once).
 *
 * With `--batching_parameters_file_poll_wait_seconds N` (or, when that flag is unset, the
 * model config's poll interval) the server-wide `--batching_parameters_file` and, with
 * `--enable_per_model_batching_parameters`, each loaded version's `batching_params.pbtxt` are
 * re-read every N seconds on the shared {@link PollLoop}. Reading the path anew each time is
 * what makes a Kubernetes ConfigMap update visible: the kubelet swaps a `..data` symlink, so
 * a file watcher on the old inode would miss it.
 *
 * For each file whose text changed since the last poll:
 *  - valid, with other parameters: they are applied ({@link Batcher.update} or the version's
 *    {@link BatchingServable.setOwnParams}): queued requests finish in the batches they are in,
 *    new requests go to new queues; logged with the old and new values; counted as
 *    `tfs_config_reload_count{kind="batching",source="file",status="OK"}`;
 *  - invalid: logged with every error as `file:line:column: message` (what `tfs validate`
 *    prints) and counted with status INVALID_ARGUMENT; the running parameters stay;
 *  - gone or unreadable: a warning (counted NOT_FOUND); the running parameters stay.
 * Each outcome is also a `reload` event on {@link BatchingReloader.events} (tests wait on it).
 *
 * A version loaded without its own file (no batching for it, as upstream) is not wrapped for
 * batching, so a file added later takes effect when a new version loads.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Batcher } from '../batching/batching-servable.js';
import { checkBatchingParametersText } from '../config/batching.js';
import type { BatchingParameters } from '../config/types.js';
import { ConfigError } from '../config/validation.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { PollLoop } from './config-poller.js';

/** What one poll found for one file whose text changed. */
export interface BatchingReloadEvent {
  readonly file: string;
  /** For a per-model batching_params.pbtxt: the version it belongs to. */
  readonly model?: { readonly name: string; readonly version: number };
  /** applied: new parameters in force; unchanged: new text, same parameters; invalid / missing: the old ones stay. */
  readonly outcome: 'applied' | 'unchanged' | 'invalid' | 'missing';
  readonly old?: BatchingParameters;
  readonly new?: BatchingParameters;
  /** invalid: every error as `file:line:column: message`; missing: why the file could not be read. */
  readonly message?: string;
}

export interface BatchingReloaderOptions {
  readonly batcher: Batcher;
  /** The --batching_parameters_file (absolute); undefined when batching runs on defaults. */
  readonly file?: string | undefined;
  /** --enable_per_model_batching_parameters: also poll each version's own file. */
  readonly perModel: boolean;
  /** Seconds between polls (> 0 to poll). */
  readonly pollWaitSeconds: number;
  readonly logger?: Logger;
  /** Counts one reload outcome (status `OK`, `INVALID_ARGUMENT`, `NOT_FOUND`). */
  readonly count?: (status: string) => void;
}

/** One polled file and how its parameters are read and replaced. */
interface Target {
  readonly file: string;
  readonly model?: { readonly name: string; readonly version: number };
  current(): BatchingParameters | undefined;
  apply(p: BatchingParameters): void;
}

/** Marks a file last seen missing (no file text is this). */
const MISSING = '\u0000missing';

const STATUS: Record<BatchingReloadEvent['outcome'], string | undefined> = {
  applied: 'OK',
  unchanged: undefined,
  invalid: 'INVALID_ARGUMENT',
  missing: 'NOT_FOUND',
};

/** BatchingParameters field → proto field name, for logs and /debug/config. */
const PROTO_NAMES: Record<keyof BatchingParameters, string> = {
  maxBatchSize: 'max_batch_size',
  batchTimeoutMicros: 'batch_timeout_micros',
  maxEnqueuedBatches: 'max_enqueued_batches',
  numBatchThreads: 'num_batch_threads',
  threadPoolName: 'thread_pool_name',
  allowedBatchSizes: 'allowed_batch_sizes',
  padVariableLengthInputs: 'pad_variable_length_inputs',
  enableLargeBatchSplitting: 'enable_large_batch_splitting',
  maxExecutionBatchSize: 'max_execution_batch_size',
};

/** The parameters with proto field names (plain values, not wrappers). */
export function batchingParametersJson(p: BatchingParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, name] of Object.entries(PROTO_NAMES)) out[name] = p[k as keyof BatchingParameters];
  return out;
}

/** `max_batch_size 2 -> 8, batch_timeout_micros 0 -> 1000` (only the fields that changed). */
export function describeChange(old: BatchingParameters | undefined, next: BatchingParameters): string {
  if (!old) return 'now in force';
  const a = batchingParametersJson(old);
  const b = batchingParametersJson(next);
  const changed = Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return changed.map((k) => `${k} ${JSON.stringify(a[k])} -> ${JSON.stringify(b[k])}`).join(', ') || 'no change';
}

/** The batching poll interval: the flag, or when unset (< 0) the model config's interval, or 0. */
export function batchingPollSeconds(batchingFlag: number, modelConfigPollSeconds: number): number {
  if (batchingFlag >= 0) return batchingFlag;
  return modelConfigPollSeconds > 0 ? modelConfigPollSeconds : 0;
}

export class BatchingReloader {
  /** `reload` once per outcome (see the file comment). */
  readonly events = new EventEmitter<{ reload: [BatchingReloadEvent] }>();
  private readonly logger: Logger;
  private readonly loop: PollLoop;
  /** File → the text last read (or MISSING). */
  private readonly seen = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: BatchingReloaderOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.loop = new PollLoop(opts.pollWaitSeconds, () => this.pollOnce());
  }

  /** Whether there is anything to poll, every pollWaitSeconds > 0. */
  get enabled(): boolean {
    return this.opts.pollWaitSeconds > 0 && (this.opts.file !== undefined || this.opts.perModel);
  }

  get pollWaitSeconds(): number {
    return this.opts.pollWaitSeconds;
  }

  /** Start polling (first poll now). No-op when not {@link enabled}. */
  start(): void {
    if (this.enabled) this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Check every file once (polls never overlap); resolves with what changed. */
  pollOnce(): Promise<BatchingReloadEvent[]> {
    const run = this.chain.then(() => this.checkAll());
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The files polled now: the server's, then each batched version's own. */
  private targets(): Target[] {
    const { batcher, file } = this.opts;
    const list: Target[] = [];
    if (file !== undefined) list.push({ file, current: () => batcher.params, apply: (p) => batcher.update(p) });
    if (this.opts.perModel) {
      for (const s of batcher.servables()) {
        if (s.paramsFile === undefined) continue;
        list.push({ file: s.paramsFile, model: { name: s.name, version: s.version }, current: () => s.ownParams, apply: (p) => s.setOwnParams(p) });
      }
    }
    return list;
  }

  private async checkAll(): Promise<BatchingReloadEvent[]> {
    const targets = this.targets();
    const live = new Set(targets.map((t) => t.file));
    for (const f of this.seen.keys()) if (!live.has(f)) this.seen.delete(f); // unloaded versions
    const events: BatchingReloadEvent[] = [];
    for (const t of targets) {
      const e = await this.check(t);
      if (!e) continue;
      events.push(e);
      const status = STATUS[e.outcome];
      if (status) this.opts.count?.(status);
      this.events.emit('reload', e);
    }
    return events;
  }

  /** Read one file; apply it when its text changed and it holds other valid parameters. */
  private async check(t: Target): Promise<BatchingReloadEvent | undefined> {
    const where = { file: t.file, ...(t.model ? { model: t.model } : {}) };
    const first = !this.seen.has(t.file);
    let text: string;
    try {
      text = await readFile(t.file, 'utf8');
    } catch (e) {
      if (this.seen.get(t.file) === MISSING) return undefined;
      this.seen.set(t.file, MISSING);
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'No such file or directory' : err.message;
      this.logger.warn({ ...where, reason }, `Batching parameters file ${t.file} cannot be read (${reason}); keeping the running parameters`);
      return { ...where, outcome: 'missing', message: reason };
    }
    if (this.seen.get(t.file) === text) return undefined;
    this.seen.set(t.file, text);
    const check = checkBatchingParametersText(text, t.file);
    const old = t.current();
    if (!check.parameters) {
      const details = new ConfigError('batching', t.file, check.issues).details;
      this.logger.error({ ...where, errors: details }, `Invalid batching parameters file; keeping the running parameters:\n${details}`);
      return { ...where, outcome: 'invalid', message: details, ...(old ? { old } : {}) };
    }
    const next = check.parameters;
    if (old && JSON.stringify(old) === JSON.stringify(next)) {
      // The first read at start-up finds what is already running: nothing to report.
      return first ? undefined : { ...where, outcome: 'unchanged', old, new: next };
    }
    t.apply(next);
    const change = describeChange(old, next);
    this.logger.info(
      { ...where, old: old && batchingParametersJson(old), new: batchingParametersJson(next) },
      `Batching parameters reloaded from ${t.file}${t.model ? ` (${t.model.name} version ${t.model.version})` : ''}: ${change}`,
    );
    return { ...where, outcome: 'applied', ...(old ? { old } : {}), new: next };
  }

  /** The live parameters, for /debug/config. */
  describe(): Record<string, unknown> {
    const { batcher } = this.opts;
    return {
      file: this.opts.file ?? null,
      poll_wait_seconds: this.enabled ? this.opts.pollWaitSeconds : 0,
      parameters: batchingParametersJson(batcher.params),
      models: batcher.servables().map((s) => ({
        name: s.name,
        version: s.version,
        file: s.paramsFile ?? null,
        parameters: batchingParametersJson(s.params),
      })),
    };
  }
}

/** The reloader `tfs serve` runs when batching is on (see the file comment for the flags). */
export function createBatchingReloader(opts: {
  readonly flags: Readonly<Record<string, number | boolean | string>>;
  /** The --batching_parameters_file resolved against the working directory, or undefined. */
  readonly file: string | undefined;
  readonly batcher: Batcher;
  readonly perModel: boolean;
  readonly count: (status: string) => void;
  readonly logger: Logger;
}): BatchingReloader {
  const seconds = batchingPollSeconds(
    Number(opts.flags['batching_parameters_file_poll_wait_seconds'] ?? -1),
    Number(opts.flags['model_config_file_poll_wait_seconds'] ?? 0),
  );
  const reloader = new BatchingReloader({ batcher: opts.batcher, file: opts.file, perModel: opts.perModel, pollWaitSeconds: seconds, logger: opts.logger, count: opts.count });
  if (reloader.enabled) opts.logger.info({ pollWaitSeconds: seconds }, `Polling batching parameters every ${seconds} s`);
  return reloader;
}

/** Fastify's route registration, as much of it as /debug/config needs. */
interface RouteHost {
  get(path: string, handler: () => Promise<unknown>): unknown;
}

/**
 * `GET /debug/config` (tfs's own): the configuration in force now, so a reload can be checked
 * from outside: the live batching parameters (server-wide and per model version) and how
 * often the files are polled.
 */
export function registerDebugConfig(app: RouteHost, describe: () => Record<string, unknown>): void {
  app.get('/debug/config', async () => describe());
}
