/**
 * How `tfs serve` loads a model version: the SavedModel on the embedded runtime, or in
 * TensorFlow's own runtime with `--runtime tensorflow|auto` (or a caller's loader), wrapped for
 * batching when enabled, then timed for runtime_latency.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Batcher } from '../batching/batching-servable.js';
import type { ExecutionMode } from '../batching/executor.js';
import type { WorkerSource } from '../batching/worker-protocol.js';
import { savedModelWorkerSource } from '../batching/worker-source.js';
import { loadBatchingParameters } from '../config/batching.js';
import type { BatchingParameters } from '../config/types.js';
import type { ModelServable } from '../core/servable.js';
import type { TfsMetrics } from '../metrics/metrics.js';
import { timedServable } from '../metrics/timed-servable.js';
import type { BackendName } from '../runtime/backend.js';
import { nativeDir, tryLoadNativeAddon } from '../native/addon.js';
import type { Logger } from '../util/logger.js';
import { bool, num, str } from './flag-access.js';
import type { FlagValues } from './flags.js';
import type { ModelLoader } from './server-core.js';

/** How a model version is loaded: in this thread, and (optionally) in batch worker threads. */
interface BaseLoader {
  readonly load: ModelLoader;
  /** What a batch worker thread loads for this version (undefined: batches run in-thread). */
  readonly workerSource?: (name: string, version: number, dir: string) => WorkerSource;
}

/** The wasm backend's compute threads: in the I/O thread's runtime, and in each batch worker's. */
export interface WasmThreadPlan {
  readonly main: number;
  readonly perWorker: number;
}

/** tfjs's threaded wasm build runs at most 8 threads (its preallocated pthread pool). */
const MAX_WASM_THREADS = 8;

/**
 * `--tensorflow_intra_op_parallelism` for the embedded runtime: N > 1 runs the wasm backend on
 * tfjs's threaded SIMD build with N threads per op (at most 8, the build's limit). 0, the
 * default, keeps the single-threaded build, unlike upstream's "all cores": on the 2-core
 * machine of `npm run bench:wasm-threads`, shared with other load, 2 threads made batch-1
 * calls 12-19x slower and batch 128 still 0.65-0.88x (perf_mlp, small_cnn; 3 rounds), start-up
 * 0.8 s instead of 0.17 s and +85 MiB RSS (8 preallocated pthread workers): the pool's threads
 * wait on each other when a core is taken, and the event loop needs a core for HTTP/gRPC. The I/O thread's runtime gets
 * all N: it runs one batch or request at a time. Batch worker threads run in parallel with
 * each other, so the threads are shared among them: each gets min(N, CPUs) / workers (at
 * least 1), so that workers × threads never exceeds the cores. The worker count is
 * `--batch_worker_threads`, or the bound of its default min(num_batch_threads, CPUs): the number
 * of CPUs (on 2 cores: 2 workers × 1 thread, the single-threaded build, as before).
 */
export function wasmThreadPlan(f: FlagValues, cpus: number = availableParallelism()): WasmThreadPlan {
  const asked = num(f, 'tensorflow_intra_op_parallelism');
  const main = Math.max(1, Math.min(MAX_WASM_THREADS, asked > 0 ? asked : 1));
  const workers = num(f, 'batch_worker_threads') > 0 ? num(f, 'batch_worker_threads') : cpus;
  return { main, perWorker: Math.max(1, Math.floor(Math.min(main, cpus) / workers)) };
}

/** The default loader: a SavedModel on the embedded runtime (imported lazily: it pulls in tfjs). */
async function savedModelLoader(f: FlagValues, logger: Logger): Promise<BaseLoader> {
  const { loadSavedModelServable } = await import('../servables/saved-model-servable.js');
  const tags = str(f, 'saved_model_tags')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const backend = str(f, 'backend') as BackendName;
  const refusePartialModels = bool(f, 'refuse_partial_models');
  const wasmThreads = wasmThreadPlan(f).perWorker;
  return {
    load: (name, version, dir) => loadSavedModelServable(name, version, dir, { tags, backend, logger, refusePartialModels }),
    workerSource: (name, version, dir) => savedModelWorkerSource(name, version, dir, { tags, backend, refusePartialModels, wasmThreads }),
  };
}

/**
 * `--runtime tensorflow`: the SavedModel in a TensorFlow session through the native addon, with
 * the session flags. No worker source: TensorFlow runs off the event loop already, so batches
 * run in-thread and TensorFlow's own thread pools do the work.
 */
async function nativeLoader(f: FlagValues, logger: Logger): Promise<BaseLoader> {
  const { loadNativeServable } = await import('../servables/native-servable.js');
  const tags = str(f, 'saved_model_tags')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const session = {
    sessionParallelism: num(f, 'tensorflow_session_parallelism'),
    intraOpParallelism: num(f, 'tensorflow_intra_op_parallelism'),
    interOpParallelism: num(f, 'tensorflow_inter_op_parallelism'),
    perProcessGpuMemoryFraction: num(f, 'per_process_gpu_memory_fraction'),
    threadSpinning: bool(f, 'tensorflow_thread_spinning'),
  };
  return { load: (name, version, dir) => loadNativeServable(name, version, dir, { tags, session, logger }) };
}

/** Which runtime `--runtime` means here: `auto` is tensorflow when the addon loads, else embedded (said once). */
export function resolveRuntime(f: FlagValues, logger: Logger, dir: string = nativeDir()): 'embedded' | 'tensorflow' {
  const runtime = str(f, 'runtime');
  if (runtime === 'embedded') return 'embedded';
  const r = tryLoadNativeAddon(dir);
  if ('addon' in r) {
    logger.info({ runtime: 'tensorflow', tensorflow: r.addon.version(), addonDir: dir }, `Runtime: TensorFlow ${r.addon.version()} (native addon in ${dir})`);
    return 'tensorflow';
  }
  if (runtime === 'tensorflow') throw r.reason;
  logger.info({ runtime: 'embedded', reason: r.reason.message }, `--runtime auto: using the embedded runtime, TensorFlow's is not available: ${r.reason.message}`);
  return 'embedded';
}

/** Upstream's per-model batching file, read from the version directory. */
const PER_MODEL_BATCHING_FILE = 'batching_params.pbtxt';

/**
 * The loader tfs serve uses: `base` (the SavedModel loader), then batching when enabled
 * (server-wide parameters, or with --enable_per_model_batching_parameters the version's own
 * batching_params.pbtxt, as upstream's GetPerModelBatchingParams: no file = no batching for
 * that model), then runtime_latency timing; records mlmd_map for versions with an MLMD id.
 */
function servingLoader(base: BaseLoader, batcher: Batcher | undefined, perModel: boolean, metrics: TfsMetrics, logger: Logger): ModelLoader {
  return async (name, version, dir, signal) => {
    // Read the per-model parameters first: a bad file fails the load before the model is read.
    let batching: { params?: BatchingParameters; paramsFile?: string } | undefined = perModel ? undefined : batcher && {};
    if (batcher && perModel) {
      const file = join(dir, PER_MODEL_BATCHING_FILE);
      if (existsSync(file)) {
        batching = { params: loadBatchingParameters(file), paramsFile: file };
        logger.info({ model: name, version, batching: batching.params }, `Batching ${name} version ${version} with its own ${PER_MODEL_BATCHING_FILE}`);
      }
    }
    let servable: ModelServable = await base.load(name, version, dir, signal);
    const placement = servable.placement;
    if (placement) {
      metrics.recordPlacement(name, version, placement);
      const what = placement.runtime === 'tensorflow' ? 'TensorFlow runtime' : 'embedded runtime';
      logger.info({ model: name, version, runtime: placement.runtime, devices: placement.devices }, `Model ${name} version ${version} runs in the ${what} on ${placement.devices.join(', ')}`);
    }
    if (batcher && batching) {
      servable = batcher.wrap(servable, {
        ...batching,
        ...(base.workerSource ? { workerSource: base.workerSource(name, version, dir) } : {}),
      });
    }
    if (existsSync(join(dir, 'assets.extra', 'mlmd_uuid'))) metrics.recordMlmd(name, version);
    return timedServable(servable, metrics);
  };
}

/** The Batcher for `--enable_batching` (undefined when batching is off). */
function createBatcher(f: FlagValues, batching: BatchingParameters | undefined, metrics: TfsMetrics, logger: Logger): Batcher | undefined {
  if (!batching) return undefined;
  logger.info({ batching }, 'Request batching is enabled');
  return new Batcher(batching, {
    observer: metrics.batching,
    logger,
    execution: str(f, 'batch_execution') as ExecutionMode,
    ...(num(f, 'batch_worker_threads') > 0 ? { maxWorkers: num(f, 'batch_worker_threads') } : {}),
  });
}

/**
 * The ModelLoader for ServerCore: `override` (a caller's loader, e.g. in tests) or the
 * SavedModel loader, with batching (`batching` = the server-wide parameters) and timing.
 */
export async function createServingLoader(
  f: FlagValues,
  batching: BatchingParameters | undefined,
  metrics: TfsMetrics,
  logger: Logger,
  override?: ModelLoader,
): Promise<{ loader: ModelLoader; batcher: Batcher | undefined; perModel: boolean }> {
  const batcher = createBatcher(f, batching, metrics, logger);
  const perModelFlag = bool(f, 'enable_per_model_batching_parameters');
  if (perModelFlag && !batcher) {
    logger.warn('--enable_per_model_batching_parameters has no effect without --enable_batching');
  }
  const base: BaseLoader = override
    ? { load: override }
    : resolveRuntime(f, logger) === 'tensorflow'
      ? await nativeLoader(f, logger)
      : await savedModelLoader(f, logger);
  const perModel = batcher !== undefined && perModelFlag;
  return { loader: servingLoader(base, batcher, perModel, metrics, logger), batcher, perModel };
}
