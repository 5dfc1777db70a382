/**
 * How batch worker threads load a SavedModel version: pass
 * `savedModelWorkerSource(name, version, dir, { tags, backend })` as `WrapOptions.workerSource`
 * when wrapping a servable loaded by `loadSavedModelServable` with the same arguments.
 */
import type { WorkerSource } from './worker-protocol.js';

/** Structured-cloneable load options (what `loadSavedModelServable` takes, minus the logger). */
export interface SavedModelWorkerOptions {
  /** MetaGraph tag set (default `['serve']`). */
  readonly tags?: readonly string[];
  /** `--backend` value (`wasm`, `cpu`, `tensorflow`, `auto`); default wasm. */
  readonly backend?: string;
  /** `--refuse_partial_models` (see `SavedModelServableOptions.refusePartialModels`). */
  readonly refusePartialModels?: boolean;
  /** The worker's wasm compute threads (server/loaders.ts wasmThreadPlan; default 1). */
  readonly wasmThreads?: number;
}

/** WorkerSource that loads SavedModel `dir` as version `version` of `name` in a worker thread. */
export function savedModelWorkerSource(name: string, version: number, dir: string, opts: SavedModelWorkerOptions = {}): WorkerSource {
  return {
    module: new URL('./saved-model-worker.js', import.meta.url).href,
    exportName: 'loadSavedModelInWorker',
    args: [name, version, dir, { ...(opts.tags ? { tags: [...opts.tags] } : {}), ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.refusePartialModels ? { refusePartialModels: true } : {}), ...(opts.wasmThreads && opts.wasmThreads > 1 ? { wasmThreads: opts.wasmThreads } : {}) }],
  };
}
