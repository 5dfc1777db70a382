/**
 * The two pieces of tfjs-backend-wasm's threaded SIMD build that its Node bundle keeps
 * private: the Emscripten factory (the JavaScript glue of
 * `tfjs-backend-wasm-threaded-simd.wasm`) and the pthread worker script. tfjs hands both to
 * workers as Blob URLs, which Node's `worker_threads` cannot start, and it turns threads off
 * in Node; wasm-threads.ts and wasm-pthread-worker.ts run them from real files instead.
 *
 * Both are read, unmodified, from the installed package's ES2017 bundle (the same build as
 * the `.wasm` next to it). No tfjs import here: the pthread workers load this file too.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import perfHooks from 'node:perf_hooks';

const require = createRequire(import.meta.url);

/**
 * Most compute threads of the threaded build: Emscripten preallocates 8 pthread workers
 * (PTHREAD_POOL_SIZE) and tfjs's C++ backend caps its pool at 8.
 */
export const MAX_WASM_THREADS = 8;

/** The bundle both pieces come from, and where they begin and end in it. */
const BUNDLE = 'tf-backend-wasm.fesm.js';
const FACTORY_START = 'var WasmBackendModuleThreadedSimd = (() => {';
const FACTORY_END = 'module.exports = WasmBackendModuleThreadedSimd;';
const WORKER_START = 'var wasmWorkerContents = `';
const WORKER_END = '`;\n';

export interface ThreadedSources {
  /** The package's dist folder (the `.wasm` files). */
  readonly dir: string;
  /** Source that declares `var WasmBackendModuleThreadedSimd` (the factory). */
  readonly factory: string;
  /** The pthread worker script (CommonJS-style: uses `require` and `__filename`). */
  readonly worker: string;
  /** The threaded `.wasm`. */
  readonly wasmFile: string;
}

/** The installed tfjs-backend-wasm's dist folder. */
export function wasmDistDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

function between(text: string, start: string, end: string, what: string): string {
  const a = text.indexOf(start);
  const b = a < 0 ? -1 : text.indexOf(end, a + start.length);
  // A second copy would mean a bundle layout this reader was not written for.
  if (a < 0 || b < 0 || text.indexOf(start, a + 1) >= 0) {
    throw new Error(`the ${what} of the threaded build was not found in @tensorflow/tfjs-backend-wasm/dist/${BUNDLE}`);
  }
  return text.slice(a, b);
}

let cached: ThreadedSources | undefined;

/** Read the factory and the worker script from the installed package (once per thread). */
export function threadedSources(): ThreadedSources {
  if (cached) return cached;
  const dir = wasmDistDir();
  const text = readFileSync(path.join(dir, BUNDLE), 'utf8');
  const factory = between(text, FACTORY_START, FACTORY_END, 'Emscripten factory');
  // The template literal's only escapes are `\n` inside the script's own string literals;
  // taken raw they stay escapes, as tfjs's `.replace(/\n/g, '\\n')` makes them.
  const worker = between(text, WORKER_START, WORKER_END, 'pthread worker script').slice(WORKER_START.length);
  if (worker.includes('${') || worker.includes('`')) throw new Error('the pthread worker script of the threaded build has an unexpected form');
  const wasmFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  cached = { dir, factory, worker, wasmFile };
  return cached;
}

/** An Emscripten module factory: resolves to the instantiated module. */
export type EmscriptenFactory = (config: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Evaluate the factory with the bindings the bundle gives it (`fs`, `path`, `perf_hooks`,
 * `os`, the global object). `logicalCores` is what `emscripten_num_logical_cores()` answers:
 * tfjs's C++ backend caps its thread pool at half of it (it assumes two hyperthreads per
 * core), so the caller passes twice the thread count it wants; undefined keeps the real count.
 */
export function compileFactory(src: ThreadedSources, logicalCores?: number): EmscriptenFactory {
  const osView = logicalCores === undefined ? os : { cpus: () => new Array<unknown>(logicalCores) };
  const make = new Function(
    'require', 'require$$0', 'require$$1', 'require$$3', 'require$$4', 'commonjsGlobal', '__dirname',
    `"use strict";${src.factory}\nreturn WasmBackendModuleThreadedSimd;`,
  ) as (...args: unknown[]) => EmscriptenFactory;
  return make(require, fs, path, perfHooks, osView, globalThis, src.dir);
}
