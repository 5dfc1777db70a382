/**
 * The worker file Emscripten starts for each pthread of tfjs-backend-wasm's threaded build
 * (wasm-threads.ts names it in `locateFile`). It runs the package's own pthread worker
 * script, whose Node branch wires `worker_threads` messages to Emscripten's protocol, then
 * answers that script's `importScripts(mainScript)` with the factory read from the same
 * bundle (tfjs would pass a Blob, which Node cannot import).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileFactory, threadedSources } from './wasm-threads-source.js';

const src = threadedSources();
const require = createRequire(import.meta.url);
// The package's own worker script, compiled as a function of its two CommonJS bindings.
new Function('require', '__filename', src.worker)(require, fileURLToPath(import.meta.url));
const factory = compileFactory(src);
// The worker script set a file-reading importScripts; the one script it is asked for is the factory.
(globalThis as Record<string, unknown>)['importScripts'] = () => {
  (globalThis as Record<string, unknown>)['WasmBackendModuleThreadedSimd'] = factory;
};
