/**
 * The lifecycle's event bus: what ServerCore publishes for metrics, logs and tests
 * (upstream's `EventBus<ServableState>`, plus load, warmup and config-reload outcomes).
 *
 * Listen with `core.events.on('servableState', (e) => …)`. Listeners run synchronously
 * inside the lifecycle; they must not throw and should not do heavy work.
 */
import { EventEmitter } from 'node:events';
import type { TfsError } from '../errors.js';
import type { ManagerState } from './server-core-api.js';

/** A version changed state (START → LOADING → AVAILABLE → UNLOADING → END). */
export interface ServableStateEvent {
  readonly name: string;
  readonly version: number;
  readonly state: Exclude<ManagerState, 'UNKNOWN'>;
  /** Set when the version reached END because it failed to load (the status GetModelStatus reports). */
  readonly error?: TfsError;
}

/** One call of the loader finished (retries emit one event per attempt; warmup is reported separately). */
export interface LoadEvent {
  readonly name: string;
  readonly version: number;
  /** The version directory (upstream labels load metrics with `model_path`). */
  readonly path: string;
  readonly ok: boolean;
  /** Wall time of the loader call, in microseconds (warmup excluded). */
  readonly durationMicros: number;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly error?: TfsError;
}

/** Warmup of a version finished (only when the version has a warmup file). */
export interface WarmupEvent {
  readonly name: string;
  readonly version: number;
  /** The version directory (`model_path` label of upstream's warmup metrics). */
  readonly path: string;
  readonly ok: boolean;
  /** Records replayed (each counted once, however many iterations ran). */
  readonly records: number;
  readonly durationMicros: number;
  /** `OK`, or the failure as upstream prints a status (the `status` label of upstream's warmup latency metric). */
  readonly status: string;
  readonly error?: TfsError;
}

/** A config reload finished: through reloadConfig() (`api`) or the config-file poller (`file`). */
export interface ConfigReloadEvent {
  readonly ok: boolean;
  readonly source: 'api' | 'file';
  readonly error?: TfsError;
}

/** Event name → listener arguments. */
export interface ServerCoreEventMap {
  servableState: [ServableStateEvent];
  load: [LoadEvent];
  warmup: [WarmupEvent];
  configReload: [ConfigReloadEvent];
}

/**
 * Typed emitter of {@link ServerCoreEventMap}:
 * - `servableState` {name, version, state, error?}: every state transition of every version;
 * - `load` {name, version, path, ok, durationMicros, attempt, error?}: every load attempt;
 * - `warmup` {name, version, path, ok, records, durationMicros, status, error?}: every warmup run;
 * - `configReload` {ok, source, error?}: every config reload, and every config file that
 *   failed to read or parse (source `file`).
 */
export class ServerCoreEvents extends EventEmitter<ServerCoreEventMap> {
  constructor() {
    super({ captureRejections: false });
    // Metrics, health and tests may all listen; none of them is a leak.
    this.setMaxListeners(0);
  }
}
