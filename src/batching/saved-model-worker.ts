/**
 * The loader batch worker threads run for SavedModels: initialise the thread's runtime
 * backend (tfjs state is per thread), then load the version as the I/O thread did.
 * Referenced by {@link savedModelWorkerSource}; never imported by the I/O thread.
 */
import type { BackendName } from '../runtime/backend.js';
import { initBackend } from '../runtime/backend.js';
import { loadSavedModelServable } from '../servables/saved-model-servable.js';
import type { ModelServable } from '../core/servable.js';
import type { SavedModelWorkerOptions } from './worker-source.js';

/** Load `dir` in this worker thread (WorkerSource export). */
export async function loadSavedModelInWorker(
  name: string,
  version: number,
  dir: string,
  opts: SavedModelWorkerOptions = {},
): Promise<ModelServable> {
  await initBackend((opts.backend ?? 'wasm') as BackendName, opts.wasmThreads ? { wasmThreads: opts.wasmThreads } : {});
  return loadSavedModelServable(name, version, dir, {
    ...(opts.tags && opts.tags.length > 0 ? { tags: opts.tags } : {}),
    ...(opts.backend ? { backend: opts.backend as BackendName } : {}),
    ...(opts.refusePartialModels ? { refusePartialModels: true } : {}),
  });
}
