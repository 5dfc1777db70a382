/**
 * AspiredVersionsManager: turns "these versions of model m should be served" (the aspired
 * versions a Source emits) into loads and unloads, and hands out ref-counted handles.
 *
 * Mirrors upstream's AspiredVersionsManager + BasicManager + LoaderHarness
 * (tensorflow_serving/core): one {@link LoaderHarness} per version with an explicit
 * state, the availability-preserving policy choosing the next action per model, load
 * retries, and quiescing (an unloading version gives out no new handles and is disposed
 * only after the last handle is released). Differences, all in the direction of
 * availability: the manager reacts to changes at once instead of on a 100 ms tick, and a
 * version waiting between load retries does not hold a load slot, so one broken model
 * never delays the loads of the others.
 *
 * Every state change is published through `onState` (START, LOADING, AVAILABLE,
 * UNLOADING, END; END carries the load error when loading failed).
 */
import { once } from 'node:events';
import { Code, Errors, type TfsError, asTfsError } from '../errors.js';
import type { ModelServable } from './servable.js';
import type { Logger } from '../util/logger.js';
import type { ServableStateEvent } from './events.js';
import { Semaphore, sleep } from './semaphore.js';
import type { ServableHandle } from './server-core-api.js';
import { type HarnessState, availabilityPreservingAction } from './version-policy.js';

/** A model version: TF Serving's ServableId. */
export interface ServableId {
  readonly name: string;
  readonly version: number;
}

/** Upstream's `ServableId::DebugString()`: `{name: m version: 1}`. */
export function servableIdString(id: ServableId): string {
  return `{name: ${id.name} version: ${id.version}}`;
}

/** One aspired version: its number and the directory it loads from. */
export interface AspiredVersion {
  readonly version: number;
  readonly path: string;
}

/**
 * Loads one version (the loader plus warmup); `attempt` is 1 for the first try, 2 for the
 * first retry... Must reject with the load error on failure. `signal` aborts on shutdown.
 */
export type VersionLoader = (id: ServableId, path: string, signal: AbortSignal, attempt: number) => Promise<ModelServable>;

export interface AspiredVersionsManagerOptions {
  readonly load: VersionLoader;
  /** Retries after the first failed attempt (`--max_num_load_retries`, default 5). */
  readonly maxNumLoadRetries: number;
  /** Wait between attempts (`--load_retry_interval_micros`, default 60 s). */
  readonly loadRetryIntervalMicros: number;
  /** Concurrent loads (at least 1). */
  readonly loadConcurrency: number;
  readonly logger: Logger;
  readonly onState: (e: ServableStateEvent) => void;
}

const STATE_OF: Record<HarnessState, ServableStateEvent['state']> = {
  new: 'START',
  loadRequested: 'START',
  loading: 'LOADING',
  ready: 'AVAILABLE',
  quiescing: 'UNLOADING',
  unloading: 'UNLOADING',
  disabled: 'END',
  error: 'END',
};

/**
 * One request's hold on a loaded version: a plain object with a method (no closure per
 * request). A second release must not steal another request's reference.
 */
class HarnessHandle implements ServableHandle {
  private released = false;
  readonly name: string;
  readonly version: number;

  constructor(
    private readonly harness: LoaderHarness,
    readonly servable: ModelServable,
  ) {
    this.name = harness.name;
    this.version = harness.version;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.harness.dropRef();
  }
}

/** One version under management: its state, its servable once loaded, and its handle count. */
class LoaderHarness implements ServableId {
  state: HarnessState = 'new';
  aspired = true;
  servable: ModelServable | undefined;
  error: TfsError | undefined;
  refs = 0;
  /** Aborted when the version stops being aspired: cancels pending load retries. */
  retryCancel = new AbortController();
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly version: number,
    readonly path: string,
  ) {}

  /** A new handle on the loaded servable; the caller checked state === 'ready'. */
  acquire(): ServableHandle {
    this.refs++;
    return new HarnessHandle(this, this.servable!);
  }

  /** A handle was released (once per handle: {@link HarnessHandle} guards it). */
  dropRef(): void {
    this.refs--;
    if (this.refs === 0) this.notifyDrained();
  }

  /** Resolves once no handle is held. */
  waitDrained(): Promise<void> {
    if (this.refs === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Load failures that the same files can never fix: an op or feature the runtime lacks
 * (UNIMPLEMENTED), a malformed model or signature (INVALID_ARGUMENT), a corrupt file
 * (DATA_LOSS). Upstream retries every failure `--max_num_load_retries` times, 60 s apart,
 * which only delays the error by five minutes; tfs reports these at once. A new version
 * directory is a new load and is tried again.
 */
export function isPermanentLoadError(e: TfsError): boolean {
  return e.code === Code.UNIMPLEMENTED || e.code === Code.INVALID_ARGUMENT || e.code === Code.DATA_LOSS;
}

export class AspiredVersionsManager {
  private readonly streams = new Map<string, Map<number, LoaderHarness>>();
  /** Versions re-aspired while their previous harness was still unloading; started once it is gone. */
  private readonly deferred = new Map<string, Map<number, AspiredVersion>>();
  private readonly loadSlots: Semaphore;
  private readonly inflight = new Set<Promise<void>>();
  private readonly closeController = new AbortController();
  private manageScheduled = false;
  private closed = false;
  private drainTimeoutMs = 30_000;

  constructor(private readonly opts: AspiredVersionsManagerOptions) {
    this.loadSlots = new Semaphore(opts.loadConcurrency);
  }

  /** Change how many loads may run at once (the initial load uses more than later ones). */
  setLoadConcurrency(n: number): void {
    this.loadSlots.setLimit(n);
  }

  /**
   * The Target side: the complete list of versions model `name` should serve. Versions left
   * out stop being aspired (and unload once the policy allows); new ones are managed from
   * START. An empty list unloads the whole model.
   */
  setAspiredVersions(name: string, versions: readonly AspiredVersion[]): void {
    if (this.closed) return;
    let stream = this.streams.get(name);
    const next = new Map<number, AspiredVersion>();
    for (const v of versions) next.set(v.version, v);
    if (stream) {
      for (const h of stream.values()) {
        if (h.aspired && !next.has(h.version)) {
          h.aspired = false;
          h.retryCancel.abort();
        }
      }
    }
    const deferred = this.deferred.get(name);
    if (deferred) {
      for (const v of [...deferred.keys()]) if (!next.has(v)) deferred.delete(v);
      if (deferred.size === 0) this.deferred.delete(name);
    }
    for (const v of next.values()) {
      const h = stream?.get(v.version);
      if (!h) {
        stream ??= this.stream(name);
        this.manage(name, stream, v);
        continue;
      }
      if (h.aspired) continue;
      switch (h.state) {
        case 'new':
        case 'loadRequested':
        case 'loading':
        case 'ready':
          // Still (or about to be) serving: simply keep it.
          h.aspired = true;
          if (h.retryCancel.signal.aborted) h.retryCancel = new AbortController();
          break;
        case 'error':
        case 'disabled':
          // A finished harness: start over with a fresh one.
          stream!.delete(h.version);
          this.manage(name, stream!, v);
          break;
        case 'quiescing':
        case 'unloading': {
          // Load it again once the unload finishes.
          let d = this.deferred.get(name);
          if (!d) {
            d = new Map();
            this.deferred.set(name, d);
          }
          d.set(v.version, v);
          break;
        }
      }
    }
    this.scheduleManage();
  }

  /**
   * A handle on version `version` of `name`, or on its highest AVAILABLE version when
   * `version` is undefined; undefined when there is none. Unloading versions give no handles.
   */
  getHandle(name: string, version?: number): ServableHandle | undefined {
    const stream = this.streams.get(name);
    if (!stream) return undefined;
    if (version !== undefined) {
      const h = stream.get(version);
      return h && h.state === 'ready' ? h.acquire() : undefined;
    }
    let best: LoaderHarness | undefined;
    for (const h of stream.values()) {
      if (h.state === 'ready' && (!best || h.version > best.version)) best = h;
    }
    return best?.acquire();
  }

  /** AVAILABLE versions of a model, ascending. */
  availableVersions(name: string): number[] {
    const stream = this.streams.get(name);
    if (!stream) return [];
    return [...stream.values()]
      .filter((h) => h.state === 'ready')
      .map((h) => h.version)
      .sort((a, b) => a - b);
  }

  /** Names of models with at least one managed version. */
  managedNames(): string[] {
    return [...this.streams.keys()];
  }

  /**
   * Stop: cancel pending loads and retries, unload every version (waiting up to
   * `drainTimeoutMs` for in-flight requests to release their handles) and wait for all
   * loads and unloads to finish.
   */
  async close(drainTimeoutMs = 30_000): Promise<void> {
    if (this.closed) {
      await this.settled();
      return;
    }
    this.closed = true;
    this.drainTimeoutMs = drainTimeoutMs;
    this.closeController.abort(Errors.serverShuttingDown());
    this.deferred.clear();
    for (const stream of this.streams.values()) {
      for (const h of stream.values()) {
        h.aspired = false;
        h.retryCancel.abort();
        if (h.state === 'ready') this.startUnload(h);
      }
    }
    await this.settled();
  }

  private async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private stream(name: string): Map<number, LoaderHarness> {
    let s = this.streams.get(name);
    if (!s) {
      s = new Map();
      this.streams.set(name, s);
    }
    return s;
  }

  private manage(name: string, stream: Map<number, LoaderHarness>, v: AspiredVersion): void {
    const h = new LoaderHarness(name, v.version, v.path);
    stream.set(v.version, h);
    this.publish(h);
  }

  private publish(h: LoaderHarness): void {
    const state = STATE_OF[h.state];
    this.opts.onState({
      name: h.name,
      version: h.version,
      state,
      ...(h.state === 'error' && h.error ? { error: h.error } : {}),
    });
  }

  private scheduleManage(): void {
    if (this.manageScheduled || this.closed) return;
    this.manageScheduled = true;
    setImmediate(() => this.manageState());
  }

  /** One pass: drop finished non-aspired harnesses, then apply the policy per model until it proposes nothing. */
  private manageState(): void {
    this.manageScheduled = false;
    if (this.closed) return;
    for (const [name, stream] of this.streams) {
      for (const h of [...stream.values()]) {
        if (h.aspired) continue;
        if (h.state === 'new' || h.state === 'error' || h.state === 'disabled') {
          stream.delete(h.version);
          // A version dropped before it started loading ends without having loaded.
          if (h.state === 'new') {
            h.state = 'disabled';
            this.publish(h);
          }
          const d = this.deferred.get(name);
          const again = d?.get(h.version);
          if (d && again) {
            d.delete(h.version);
            if (d.size === 0) this.deferred.delete(name);
            this.manage(name, stream, again);
          }
        }
      }
      for (;;) {
        const action = availabilityPreservingAction(
          [...stream.values()].map((h) => ({ version: h.version, state: h.state, aspired: h.aspired })),
        );
        if (!action) break;
        const h = stream.get(action.version)!;
        if (action.action === 'load') this.startLoad(h);
        else this.startUnload(h);
      }
      if (stream.size === 0 && !this.deferred.has(name)) this.streams.delete(name);
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private startLoad(h: LoaderHarness): void {
    h.state = 'loadRequested';
    this.track(
      this.runLoad(h).catch((e: unknown) => {
        this.opts.logger.error({ err: e }, `Servable ${servableIdString(h)} load bookkeeping failed: ${String(e)}`);
      }),
    );
  }

  private async runLoad(h: LoaderHarness): Promise<void> {
    const log = this.opts.logger;
    const id = servableIdString(h);
    const cancelled = (): boolean => !h.aspired || this.closed;
    try {
      await this.loadSlots.acquire(this.closeController.signal);
    } catch {
      this.fail(h, Errors.loadCancelled());
      return;
    }
    let holdingSlot = true;
    const releaseSlot = (): void => {
      if (holdingSlot) this.loadSlots.release();
      holdingSlot = false;
    };
    try {
      if (cancelled()) {
        log.info(`Load cancelled for servable: ${id}`);
        this.fail(h, Errors.loadCancelled());
        return;
      }
      h.state = 'loading';
      this.publish(h);
      log.info(`Loading servable version ${id}`);
      let lastError: TfsError | undefined;
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) {
          // Waiting between retries frees the slot so other models keep loading.
          releaseSlot();
          try {
            await sleep(
              this.opts.loadRetryIntervalMicros / 1000,
              AbortSignal.any([h.retryCancel.signal, this.closeController.signal]),
            );
            await this.loadSlots.acquire(this.closeController.signal);
            holdingSlot = true;
          } catch {
            log.info(`Load cancelled for servable: ${id}`);
            break;
          }
          log.info(`Retrying of Loading servable: ${id} retry: ${attempt - 1}`);
        }
        try {
          const servable = await this.opts.load(h, h.path, this.closeController.signal, attempt);
          if (this.closed) {
            // Shutting down: nobody will serve it.
            await servable.dispose().catch(() => undefined);
            h.state = 'disabled';
            this.publish(h);
            return;
          }
          h.servable = servable;
          h.state = 'ready';
          this.publish(h);
          log.info(`Successfully loaded servable version ${id}`);
          return;
        } catch (e) {
          lastError = asTfsError(e);
          log.error(`Servable: ${id} load failure: ${lastError.toString()}`);
          if (attempt > this.opts.maxNumLoadRetries) break;
          if (isPermanentLoadError(lastError)) {
            log.error(`Not retrying servable: ${id}: ${lastError.codeName} will not change by retrying`);
            break;
          }
          if (cancelled()) {
            log.info(`Load cancelled for servable: ${id}`);
            break;
          }
        }
      }
      const err = lastError ?? Errors.loadCancelled();
      log.error(`Servable ${id} cannot be loaded: ${err.toString()}`);
      this.fail(h, err);
    } finally {
      releaseSlot();
      this.scheduleManage();
    }
  }

  /**
   * Wait until no request holds `h`. Normally that wait is unbounded (requests finish on their
   * own deadlines); once the manager is closing it is capped at the close's drain timeout.
   * Returns false when the cap was hit.
   */
  private async drainedOrShutdownTimeout(h: LoaderHarness): Promise<boolean> {
    if (h.refs === 0) return true;
    const stop = new AbortController();
    const shutdownCap = (async (): Promise<boolean> => {
      if (!this.closeController.signal.aborted) {
        await once(this.closeController.signal, 'abort', { signal: stop.signal });
      }
      await sleep(this.drainTimeoutMs, stop.signal);
      return false;
    })().catch(() => true);
    try {
      return await Promise.race([h.waitDrained().then(() => true), shutdownCap]);
    } finally {
      stop.abort();
    }
  }

  private fail(h: LoaderHarness, err: TfsError): void {
    h.state = 'error';
    h.error = err;
    this.publish(h);
  }

  private startUnload(h: LoaderHarness): void {
    h.state = 'quiescing';
    this.publish(h);
    this.track(
      this.runUnload(h).catch((e: unknown) => {
        this.opts.logger.error({ err: e }, `Servable ${servableIdString(h)} unload bookkeeping failed: ${String(e)}`);
      }),
    );
  }

  private async runUnload(h: LoaderHarness): Promise<void> {
    const log = this.opts.logger;
    const id = servableIdString(h);
    log.info(`Quiescing servable version ${id}`);
    if (!(await this.drainedOrShutdownTimeout(h))) {
      log.warn(`Unloading servable version ${id} while ${h.refs} request(s) still hold it (shutdown drain timeout)`);
    }
    log.info(`Done quiescing servable version ${id}`);
    h.state = 'unloading';
    log.info(`Unloading servable version ${id}`);
    const servable = h.servable;
    h.servable = undefined;
    try {
      await servable?.dispose();
    } catch (e) {
      log.error(`Servable ${id} cannot be unloaded: ${asTfsError(e).toString()}`);
    }
    h.state = 'disabled';
    this.publish(h);
    log.info(`Done unloading servable version ${id}`);
    this.scheduleManage();
  }
}
