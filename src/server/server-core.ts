/**
 * ServerCore: the model lifecycle behind every front end (upstream
 * tensorflow_serving/model_servers/server_core.cc).
 *
 * It wires FileSystemSource → (loader + warmup) → AspiredVersionsManager and keeps what
 * GetModelStatus, readiness and version labels need:
 *
 * ```
 * const core = await ServerCore.create(config, {
 *   loader: (name, version, dir) => loadSavedModelServable(name, version, dir),
 * });
 * const h = core.getServableHandle({ name: 'half_plus_two' });   // Latest(half_plus_two)
 * try { await h.servable.run('serving_default', inputs); } finally { h.release(); }
 * await core.reloadConfig(nextConfig);                           // add / remove / relabel
 * await core.close();
 * ```
 *
 * Upstream behaviour kept: startup waits until each configured model's newest version is
 * AVAILABLE or failed and fails with `<n> servable(s) did not become available: …`; a reload
 * validates, rebuilds the label map (before any model changes), reconfigures the source,
 * then waits for the *added* models (`<n> model(s) did not become available: …`); removed
 * models unload; changed policies apply at the next file-system poll (started right away).
 *
 * Beyond upstream, in the direction of availability: a reload that fails validation or
 * label rules leaves the running config in force (upstream already stored it); waiting for
 * added models does not block later reloads (so a fixed config can replace one whose model
 * never appears); see also FileSystemSource and AspiredVersionsManager.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isAbsolutePathOrUri } from '../config/model-server-config.js';
import type { ModelServerConfig } from '../config/types.js';
import { Errors, type TfsError, asTfsError } from '../errors.js';
import type { ModelServable } from '../core/servable.js';
import { type WarmupOptions, type WarmupReport, warmupServable } from '../servables/warmup.js';
import { FileSystemSource } from '../sources/file-system-source.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { AspiredVersionsManager, type ServableId, servableIdString } from '../core/aspired-versions-manager.js';
import { type ConfigReloadEvent, ServerCoreEvents, type ServerCoreEventMap, type ServableStateEvent } from '../core/events.js';
import { type LabelMap, computeLabelMap } from '../core/labels.js';
import type { ModelVersionStatus, ServableHandle, ServableRequest, ServerCoreApi } from '../core/server-core-api.js';
import { ServableStateMonitor, type TrackedState } from '../core/state-monitor.js';

/** Loads one version directory into a servable (production: `loadSavedModelServable`). */
export type ModelLoader = (name: string, version: number, dir: string, signal: AbortSignal) => Promise<ModelServable>;

/** Replays a version's warmup file (default: {@link warmupServable}). */
export type WarmupRunner = (servable: ModelServable, versionDir: string, opts: WarmupOptions) => Promise<WarmupReport | undefined>;

/** Options of {@link ServerCore} (the lifecycle flags of tensorflow_model_server, with their defaults). */
export interface ServerCoreOptions {
  /** Loads a version directory. Required. */
  readonly loader: ModelLoader;
  /** `--file_system_poll_wait_seconds`: default 1; 0 = poll once; negative = never poll. */
  readonly fileSystemPollWaitSeconds?: number;
  /** `--max_num_load_retries`: retries after a failed load, default 5. */
  readonly maxNumLoadRetries?: number;
  /** `--load_retry_interval_micros`: default 60 000 000 (1 min). */
  readonly loadRetryIntervalMicros?: number;
  /** `--num_load_threads`: concurrent loads after startup; default 0, meaning one at a time. */
  readonly numLoadThreads?: number;
  /** Concurrent loads during the initial load; default 4 × CPUs (as upstream). */
  readonly numInitialLoadThreads?: number;
  /** `--allow_version_labels_for_unavailable_models`: default false. */
  readonly allowVersionLabelsForUnavailableModels?: boolean;
  /** `--enable_model_warmup`: default true. */
  readonly enableModelWarmup?: boolean;
  /** `--num_request_iterations_for_warmup`: when > 0, replays each warmup record this many times. Default 0. */
  readonly numRequestIterationsForWarmup?: number;
  /** The warmup replayer (tests may inject one). */
  readonly warmup?: WarmupRunner;
  readonly logger?: Logger;
  /** React to file-system events between polls (chokidar); default true. */
  readonly watchFileSystem?: boolean;
  /** Debounce of file-system events, default 100 ms. */
  readonly fileSystemWatchDebounceMs?: number;
  /** Two looks this far apart must agree before a new version directory loads; default 100 ms. */
  readonly versionSettleMs?: number;
  /** An incomplete but unchanging version directory is loaded anyway after this long; default 3000 ms. */
  readonly incompleteVersionGraceMs?: number;
  /** close(): how long to wait for in-flight requests before disposing anyway; default 30 s. */
  readonly shutdownDrainTimeoutMs?: number;
}

/** Extra options of {@link ServerCore.reloadConfig}. */
export interface ReloadOptions {
  /** Who asked, for the `configReload` event: `api` (default) or the config-file poller (`file`). */
  readonly source?: ConfigReloadEvent['source'];
  /** Stop waiting for added models (the config stays applied). */
  readonly signal?: AbortSignal;
}

/**
 * Waits, like upstream's fresh ServableStateMonitor in `WaitUntilModelsAvailable`, until
 * each named model has a version that is AVAILABLE or END, counting only states published
 * after the waiter was created.
 */
class ModelWaiter {
  private readonly monitor = new ServableStateMonitor();
  private readonly pending: Set<string>;
  private readonly reached = new Map<string, TrackedState | 'removed'>();
  private settle!: () => void;
  readonly done: Promise<void>;

  constructor(names: readonly string[]) {
    this.pending = new Set(names);
    this.done = new Promise<void>((resolve) => {
      this.settle = resolve;
    });
    if (this.pending.size === 0) this.settle();
  }

  /** A state was published (ServerCore feeds every one, before public listeners run). */
  handle(e: ServableStateEvent): void {
    if (!this.pending.has(e.name)) return;
    this.monitor.handle(e);
    const s = this.monitor.reachedGoalOrEnd(e.name, 'AVAILABLE');
    if (s) this.mark(e.name, s);
  }

  /** A later config dropped the model: stop waiting for it. */
  modelRemoved(name: string): void {
    if (this.pending.has(name)) this.mark(name, 'removed');
  }

  private mark(name: string, s: TrackedState | 'removed'): void {
    this.reached.set(name, s);
    this.pending.delete(name);
    if (this.pending.size === 0) this.settle();
  }

  /** Resolves when every model is settled; rejects with the first signal's reason when one aborts. */
  async wait(signals: readonly AbortSignal[]): Promise<void> {
    const aborted = signals.find((s) => s.aborted);
    if (aborted) throw asTfsError(aborted.reason);
    const any = AbortSignal.any([...signals]);
    let onAbort: (() => void) | undefined;
    const abortPromise = new Promise<never>((_, reject) => {
      onAbort = () => reject(asTfsError(any.reason));
      any.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.done, abortPromise]);
    } finally {
      any.removeEventListener('abort', onAbort!);
      abortPromise.catch(() => undefined);
    }
  }

  /** Upstream's entries for every model that did not become AVAILABLE, ordered by name then version. */
  failures(): string[] {
    const out: Array<[string, number, string]> = [];
    for (const [name, s] of this.reached) {
      if (s === 'removed') {
        out.push([name, Number.NEGATIVE_INFINITY, `{name: ${name}} removed from the config before it became available`]);
      } else if (s.state !== 'AVAILABLE') {
        const id = servableIdString({ name, version: s.version });
        out.push([name, s.version, s.error ? `${id} due to error: ${s.error.toString()}` : id]);
      }
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    return out.map((e) => e[2]);
  }
}

/**
 * The model lifecycle: versions on disk → loaded, ref-counted servables; status; labels; reload.
 *
 * Events (`core.events`, a typed EventEmitter, see {@link ServerCoreEventMap}):
 * - `servableState` `{name, version, state, error?}` on every state change
 *   (START, LOADING, AVAILABLE, UNLOADING, END; `error` when END follows a failed load);
 * - `load` `{name, version, path, ok, durationMicros, attempt, error?}` after every call of
 *   the loader (warmup not included; retries are further attempts);
 * - `warmup` `{name, version, path, ok, records, durationMicros, status, error?}` after
 *   replaying a version's warmup file;
 * - `configReload` `{ok, source, error?}` after every reload (`api`: reloadConfig;
 *   `file`: the config-file poller, including files that failed to read or parse).
 */
export class ServerCore implements ServerCoreApi {
  /** Lifecycle events for metrics, health and tests. */
  readonly events = new ServerCoreEvents();
  private readonly monitor = new ServableStateMonitor();
  private readonly manager: AspiredVersionsManager;
  private readonly source: FileSystemSource;
  private readonly logger: Logger;
  private readonly opts: Required<
    Pick<
      ServerCoreOptions,
      | 'maxNumLoadRetries'
      | 'loadRetryIntervalMicros'
      | 'numLoadThreads'
      | 'numInitialLoadThreads'
      | 'allowVersionLabelsForUnavailableModels'
      | 'enableModelWarmup'
      | 'numRequestIterationsForWarmup'
      | 'shutdownDrainTimeoutMs'
    >
  >;
  private readonly loader: ModelLoader;
  private readonly warmup: WarmupRunner;
  private config: ModelServerConfig | undefined;
  private labels: LabelMap | undefined;
  /** Config changes are applied one at a time. */
  private configLock: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<ModelWaiter>();
  private readonly closeController = new AbortController();
  private closed = false;

  /**
   * A core with no config yet: its first {@link reloadConfig} is the initial load. Most
   * callers want {@link ServerCore.create}, which does that and fails like upstream.
   */
  constructor(options: ServerCoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.loader = options.loader;
    this.warmup = options.warmup ?? warmupServable;
    this.opts = {
      maxNumLoadRetries: Math.max(0, options.maxNumLoadRetries ?? 5),
      loadRetryIntervalMicros: Math.max(0, options.loadRetryIntervalMicros ?? 60_000_000),
      numLoadThreads: Math.max(1, options.numLoadThreads ?? 0),
      numInitialLoadThreads: Math.max(1, options.numInitialLoadThreads ?? 4 * Math.max(1, cpus().length)),
      allowVersionLabelsForUnavailableModels: options.allowVersionLabelsForUnavailableModels ?? false,
      enableModelWarmup: options.enableModelWarmup ?? true,
      numRequestIterationsForWarmup: Math.max(0, options.numRequestIterationsForWarmup ?? 0),
      shutdownDrainTimeoutMs: options.shutdownDrainTimeoutMs ?? 30_000,
    };
    this.manager = new AspiredVersionsManager({
      load: (id, path, signal, attempt) => this.loadVersion(id, path, signal, attempt),
      maxNumLoadRetries: this.opts.maxNumLoadRetries,
      loadRetryIntervalMicros: this.opts.loadRetryIntervalMicros,
      loadConcurrency: this.opts.numLoadThreads,
      logger: this.logger,
      onState: (e) => this.onState(e),
    });
    this.source = new FileSystemSource({
      pollWaitSeconds: options.fileSystemPollWaitSeconds ?? 1,
      logger: this.logger,
      ...(options.watchFileSystem === undefined ? {} : { watch: options.watchFileSystem }),
      ...(options.fileSystemWatchDebounceMs === undefined ? {} : { watchDebounceMs: options.fileSystemWatchDebounceMs }),
      ...(options.versionSettleMs === undefined ? {} : { settleMs: options.versionSettleMs }),
      ...(options.incompleteVersionGraceMs === undefined ? {} : { incompleteVersionGraceMs: options.incompleteVersionGraceMs }),
    });
    this.source.setAspiredVersionsCallback((name, versions) => this.manager.setAspiredVersions(name, versions));
  }

  /**
   * Build a core and load `config`: resolves once every configured model's newest version is
   * AVAILABLE; rejects (after closing the core) with upstream's UNKNOWN
   * `<n> servable(s) did not become available: {{name: m version: v} due to error: …}, }`
   * when one failed, or with the config/label error. As upstream, a model without any
   * version keeps it waiting: pass `signal` to give up (the rejection is its reason).
   */
  static async create(config: ModelServerConfig, options: ServerCoreOptions, signal?: AbortSignal): Promise<ServerCore> {
    const core = new ServerCore(options);
    try {
      await core.reloadConfig(config, signal ? { signal } : {});
    } catch (e) {
      await core.close();
      throw e;
    }
    return core;
  }

  /**
   * Apply a new config (upstream `ReloadConfig`, also behind HandleReloadConfigRequest):
   * validate it, rebuild the label map, unload removed models, (re)configure the others, and
   * wait until every added model has a version AVAILABLE or failed. Rejects with upstream's
   * texts; when validation or labels fail, the running config stays in force.
   */
  async reloadConfig(config: ModelServerConfig, options: ReloadOptions = {}): Promise<void> {
    const source = options.source ?? 'api';
    try {
      await this.applyAndWait(config, options.signal);
    } catch (e) {
      const error = asTfsError(e);
      this.emit('configReload', { ok: false, source, error });
      throw error;
    }
    this.emit('configReload', { ok: true, source });
  }

  /** The config in force (no models before the first one is applied). */
  currentConfig(): ModelServerConfig {
    return this.config ?? { models: [] };
  }

  /**
   * Hold a loaded version: Latest (highest AVAILABLE), Specific, or by label. Throws
   * NOT_FOUND `Servable not found for request: Latest(m)` / `Specific(m, v)`,
   * INVALID_ARGUMENT `Unrecognized servable version label: l`, UNAVAILABLE
   * `Model labels does not init yet.l` (no config applied yet). Call release() when done.
   */
  getServableHandle(req: ServableRequest): ServableHandle {
    if (!req.name) throw Errors.modelSpecNoName();
    if (req.version !== undefined && req.label !== undefined) throw Errors.versionAndLabel(req.version, req.label);
    const version = req.label !== undefined ? this.versionForLabel(req.name, req.label) : req.version;
    const handle = this.manager.getHandle(req.name, version);
    if (handle) return handle;
    throw version === undefined ? Errors.servableNotFoundLatest(req.name) : Errors.servableNotFoundSpecific(req.name, version);
  }

  /**
   * Status of every version ever tracked for `name`, highest first (including END and
   * failed ones), or of one version. Throws NOT_FOUND `Could not find any versions of model
   * m` / `Could not find version v of model m`.
   */
  getModelStatus(name: string, version?: number): ModelVersionStatus[] {
    if (version !== undefined) {
      const s = this.monitor.state(name, version);
      if (!s) throw Errors.noSuchVersionOfModel(name, version);
      return [statusRow(s)];
    }
    const rows = this.monitor.versionStates(name);
    if (rows.length === 0) throw Errors.noVersionsOfModel(name);
    return rows.map(statusRow);
  }

  /** True when a config is applied and every configured model has an AVAILABLE version. */
  isReady(): boolean {
    if (!this.config || this.closed) return false;
    return this.config.models.every((m) => this.manager.availableVersions(m.name).length > 0);
  }

  /** Every AVAILABLE version (upstream `ListAvailableServableIds`). */
  listAvailableServableIds(): ServableId[] {
    const out: ServableId[] = [];
    for (const name of this.manager.managedNames().sort()) {
      for (const version of this.manager.availableVersions(name)) out.push({ name, version });
    }
    return out;
  }

  /** The label → version map of a model (empty when it has none). */
  versionLabels(name: string): ReadonlyMap<string, number> {
    return this.labels?.get(name) ?? new Map();
  }

  /** Poll every base path now instead of at the next period (for tests and tools). */
  pollFileSystemNow(): Promise<void> {
    return this.source.pollNow();
  }

  /**
   * Stop watching, cancel pending loads, unload every version (waiting for in-flight
   * requests up to `shutdownDrainTimeoutMs`) and stop timers. Reloads still waiting reject.
   */
  async close(): Promise<void> {
    if (this.closed) {
      await this.manager.close(this.opts.shutdownDrainTimeoutMs);
      return;
    }
    this.closed = true;
    this.closeController.abort(Errors.serverShuttingDown());
    await this.source.close();
    await this.manager.close(this.opts.shutdownDrainTimeoutMs);
  }

  // ---------------------------------------------------------------------------------------

  private emit<K extends keyof ServerCoreEventMap>(name: K, ...args: ServerCoreEventMap[K]): void {
    try {
      (this.events.emit as (n: K, ...a: ServerCoreEventMap[K]) => boolean)(name, ...args);
    } catch (e) {
      // A listener's bug must not break the lifecycle.
      this.logger.error({ err: e }, `A '${name}' event listener threw: ${String(e)}`);
    }
  }

  /** Status bookkeeping first (so a throwing listener cannot corrupt it), then the public event. */
  private onState(e: ServableStateEvent): void {
    this.monitor.handle(e);
    for (const w of this.waiters) w.handle(e);
    // An s3:// version's local copy goes once the manager is done with it (when no longer aspired).
    if (e.state === 'END') this.source.releaseVersion(e.name, e.version);
    this.emit('servableState', e);
  }

  private versionForLabel(name: string, label: string): number {
    if (!this.labels) throw Errors.labelsNotInitialized(label);
    const v = this.labels.get(name)?.get(label);
    if (v === undefined) throw Errors.unknownVersionLabel(label);
    return v;
  }

  private async applyAndWait(config: ModelServerConfig, signal: AbortSignal | undefined): Promise<void> {
    if (this.closed) throw Errors.serverShuttingDown();
    const applied = await this.withConfigLock(() => this.apply(config));
    if (!applied) return;
    const { waiter, first } = applied;
    try {
      if (waiter) {
        await waiter.wait(signal ? [this.closeController.signal, signal] : [this.closeController.signal]);
        const failures = waiter.failures();
        if (failures.length > 0) throw Errors.didNotBecomeAvailable(first ? 'servable' : 'model', failures);
      }
    } finally {
      if (waiter) this.waiters.delete(waiter);
      if (first) this.manager.setLoadConcurrency(this.opts.numLoadThreads);
    }
    this.logger.info('Finished adding/updating models');
  }

  private withConfigLock<T>(fn: () => T): Promise<T> {
    const run = this.configLock.then(fn);
    this.configLock = run.catch(() => undefined);
    return run;
  }

  /** Validate and apply a config (no waiting). Undefined for an empty config (no action). */
  private apply(config: ModelServerConfig): { waiter: ModelWaiter | undefined; first: boolean } | undefined {
    if (this.closed) throw Errors.serverShuttingDown();
    if (config.isEmpty) {
      this.logger.info('Taking no action for empty config.');
      return undefined;
    }
    this.validate(config);
    const labels = computeLabelMap(config.models, this.labels, {
      allowVersionLabelsForUnavailableModels: this.opts.allowVersionLabelsForUnavailableModels,
      isAvailable: (model, version) => this.monitor.state(model, version)?.state === 'AVAILABLE',
    });
    const first = this.config === undefined;
    const oldNames = new Set(this.config?.models.map((m) => m.name) ?? []);
    const newNames = new Set(config.models.map((m) => m.name));
    const added = config.models.filter((m) => !oldNames.has(m.name)).map((m) => m.name);
    this.config = config;
    this.labels = labels;
    this.logger.info('Adding/updating models.');
    for (const m of config.models) this.logger.info(` (Re-)adding model: ${m.name}`);
    for (const w of this.waiters) for (const name of oldNames) if (!newNames.has(name)) w.modelRemoved(name);
    // Subscribe before the source changes anything, so no state is missed.
    const waiter = added.length > 0 ? new ModelWaiter(added) : undefined;
    if (waiter) this.waiters.add(waiter);
    if (first) this.manager.setLoadConcurrency(this.opts.numInitialLoadThreads);
    this.source.updateConfig(config.models.map((m) => ({ name: m.name, basePath: m.basePath, policy: m.versionPolicy })));
    if (first) this.source.start();
    return { waiter, first };
  }

  /** server_core.cc's checks (the config parser applies them too; configs may come from elsewhere). */
  private validate(config: ModelServerConfig): void {
    const seen = new Set<string>();
    for (const m of config.models) {
      if (seen.has(m.name)) throw Errors.modelListedTwice(m.name);
      seen.add(m.name);
      if (!isAbsolutePathOrUri(m.basePath)) throw Errors.basePathNotAbsolute(m.name, m.basePath);
    }
    for (const m of config.models) {
      const old = this.config?.models.find((o) => o.name === m.name);
      if (old && old.modelPlatform !== m.modelPlatform) throw Errors.platformChanged(m.name, old.modelPlatform, m.modelPlatform);
    }
    for (const m of config.models) {
      if (m.modelPlatform !== 'tensorflow') throw Errors.unsupportedPlatform(m.name, m.modelPlatform);
    }
  }

  /** Loader, then warmup (a warmup failure fails the load, as upstream). */
  private async loadVersion(id: ServableId, path: string, signal: AbortSignal, attempt: number): Promise<ModelServable> {
    const t0 = performance.now();
    let servable: ModelServable;
    try {
      servable = await this.loader(id.name, id.version, path, signal);
    } catch (e) {
      const error = asTfsError(e);
      this.emit('load', { ...id, path, ok: false, durationMicros: micros(t0), attempt, error });
      throw error;
    }
    this.emit('load', { ...id, path, ok: true, durationMicros: micros(t0), attempt });
    if (!this.opts.enableModelWarmup) return servable;
    try {
      await this.warmup(servable, path, {
        numRequestIterations: this.opts.numRequestIterationsForWarmup,
        logger: this.logger,
        signal,
        onReport: (r) => this.emit('warmup', { name: id.name, version: id.version, path, ...r }),
      });
    } catch (e) {
      const err: TfsError = asTfsError(e);
      await servable.dispose().catch((d: unknown) => {
        this.logger.error(`Disposing ${servableIdString(id)} after its failed warmup failed: ${String(d)}`);
      });
      throw err;
    }
    return servable;
  }
}

function statusRow(s: TrackedState): ModelVersionStatus {
  return {
    version: s.version,
    state: s.state,
    status: s.error ? { errorCode: s.error.codeName, errorMessage: s.error.message } : { errorCode: 'OK', errorMessage: '' },
  };
}


/** Microseconds since `t0` (a performance.now() value). */
function micros(t0: number): number {
  return Math.round((performance.now() - t0) * 1000);
}
