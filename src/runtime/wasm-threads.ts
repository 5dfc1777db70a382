/**
 * tfjs-backend-wasm's threaded SIMD build in Node. tfjs has no supported way to use it
 * there: its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false in Node, and forcing it on
 * fails because the pthread workers are started from Blob URLs (worker_threads needs a
 * file) and the factory handed to them references helpers of tfjs's bundle. So tfs starts
 * the build itself: the package's factory (wasm-threads-source.ts) with a real worker file
 * (wasm-pthread-worker.ts), then tfjs's public `BackendWasm` over the module, with the
 * thread count set through tfjs's `setThreadsCount`. Kernels are the package's, registered
 * for `wasm` as usual; the `.wasm` is the package's `tfjs-backend-wasm-threaded-simd.wasm`.
 *
 * The pthread workers are unref'd once loaded (Emscripten does it in Node), so they never keep
 * the process alive; disposing the backend terminates them.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { compileFactory, threadedSources } from './wasm-threads-source.js';

/** How long the module and its workers may take to start before tfs gives up on them. */
const START_TIMEOUT_MS = 30_000;

/** The threaded module as tfjs's BackendWasm expects it (the `tfjs` bridge tfjs's own init adds). */
type WasmModule = Record<string, unknown> & {
  cwrap: (name: string, ret: string | null, args: string[]) => unknown;
  PThread?: { terminateAllThreads(): void; runningWorkers: { unref(): void }[] };
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

type PThreadWorker = { onerror: (e: unknown) => void; loaded?: boolean };
type PThreads = { loadWasmModuleToWorker: (w: PThreadWorker, onLoaded?: () => void) => void };

/**
 * Emscripten throws a pthread worker's 'error' event (an uncaught exception: the process dies)
 * when the worker cannot start, e.g. when it inherits a node option workers refuse
 * (`--input-type`). Until a worker has loaded, such an error fails the start instead, so tfs
 * falls back to the single-threaded build. The module object is the config passed to the
 * factory, and its PThread exists once the factory returned.
 */
function catchWorkerErrorsUntilReady(module: WasmModule, fail: (e: Error) => void): void {
  const pthreads = module['PThread'] as PThreads | undefined;
  if (!pthreads) return;
  const load = pthreads.loadWasmModuleToWorker.bind(pthreads);
  pthreads.loadWasmModuleToWorker = (w, onLoaded) => {
    load(w, onLoaded);
    const thrower = w.onerror;
    w.onerror = (e) => {
      if (w.loaded) thrower(e);
      else fail(new Error(`a pthread worker failed to start: ${(e as Error).message ?? String(e)}`));
    };
  };
}

/** Instantiate the threaded module (its pthread workers loaded). */
async function instantiate(threads: number): Promise<WasmModule> {
  if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is not available');
  const src = threadedSources();
  const worker = fileURLToPath(new URL('./wasm-pthread-worker.js', import.meta.url));
  let aborted: ((e: Error) => void) | undefined;
  const abort = new Promise<never>((_, reject) => (aborted = reject));
  const config = {
    locateFile: (file: string, prefix: string) =>
      file.endsWith('.worker.js') ? worker : file.endsWith('.wasm') ? src.wasmFile : prefix + file,
    // Only its being a string matters: the worker file answers importScripts with the factory.
    mainScriptUrlOrBlob: worker,
    onAbort: (what: unknown) => aborted?.(new Error(`the threaded wasm module aborted: ${String(what)}`)),
  };
  const factory = compileFactory(src, 2 * threads);
  const starting = factory(config);
  catchWorkerErrorsUntilReady(config as unknown as WasmModule, (e) => aborted?.(e));
  let module: WasmModule;
  try {
    module = (await withTimeout(Promise.race([starting, abort]), START_TIMEOUT_MS, 'the threaded wasm module')) as WasmModule;
  } catch (e) {
    (config as unknown as WasmModule).PThread?.terminateAllThreads();
    throw e;
  }
  const c = module.cwrap.bind(module);
  module['tfjs'] = {
    init: c('init', null, []),
    initWithThreadsCount: c('init_with_threads_count', null, ['number']),
    getThreadsCount: c('get_threads_count', 'number', []),
    registerTensor: c('register_tensor', null, ['number', 'number', 'number']),
    disposeData: c('dispose_data', null, ['number']),
    dispose: c('dispose', null, []),
  };
  return module;
}

/**
 * A tfjs `wasm` backend on the threaded build with `threads` compute threads (the calling
 * thread and threads - 1 pthreads; 2 ≤ threads ≤ MAX_WASM_THREADS). Rejects when the
 * build cannot start here, after terminating whatever workers it started.
 */
export async function createThreadedWasmBackend(threads: number): Promise<tf.KernelBackend> {
  const module = await instantiate(threads);
  try {
    setThreadsCount(threads);
    const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    const got = (module['tfjs'] as { getThreadsCount(): number }).getThreadsCount();
    if (got !== threads) throw new Error(`the threaded wasm module runs ${got} thread(s), not ${threads}`);
    // Emscripten refs a worker while its pthread runs; the pool's threads run for the
    // module's life, and must not keep the process alive (a server that closed must exit).
    for (const w of module.PThread?.runningWorkers ?? []) w.unref();
    return backend;
  } catch (e) {
    module.PThread?.terminateAllThreads();
    throw e;
  }
}

/**
 * Replace the `wasm` backend factory tfjs-backend-wasm registered (not yet initialized) by
 * one that starts the threaded build with `threads` threads, and falls back to tfjs's own
 * single-threaded build when it cannot start, calling `onFallback` with the reason.
 * `onStarted` is called with the thread count when the threaded build runs.
 */
export function useThreadedWasm(threads: number, onStarted: (threads: number) => void, onFallback: (reason: Error) => void): void {
  const original = tf.findBackendFactory('wasm');
  if (!original) throw new Error('the wasm backend is not registered');
  tf.removeBackend('wasm');
  // wasm registers with priority 2 (its package's value).
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        const backend = await createThreadedWasmBackend(threads);
        onStarted(threads);
        return backend;
      } catch (e) {
        onFallback(e instanceof Error ? e : new Error(String(e)));
        return original();
      }
    },
    2,
  );
}
