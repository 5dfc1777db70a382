/**
 * The embedded runtime's public API: run TensorFlow SavedModels on tfjs.
 *
 * ```ts
 * import { initBackend, loadSavedModelServable } from 'tfserving';
 * await initBackend('wasm');
 * const model = await loadSavedModelServable('half_plus_two', 123, 'fixtures/models/half_plus_two/00000123');
 * const { y } = await model.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [2, 1], data: Float32Array.of(1, 2) } });
 * await model.dispose();
 * ```
 *
 * (A loaded model is a servable: `loadSavedModelServable` lives in src/servables/, one
 * layer up, and `tfs` re-exports both.) See README.md in this directory for how models are frozen and what the runtime supports.
 */
export {
  BACKEND_NAMES,
  TENSORFLOW_PACKAGES,
  bridgedWasmKernels,
  defaultBackend,
  initBackend,
  isBackendName,
  resolveBackend,
  type BackendName,
  type ConcreteBackend,
} from './backend.js';
export { ModelRuntime, isExecutableOp, problemsBySignature, type ModelRuntimeOptions, type SignatureProblems } from './model-runtime.js';
export {
  freezeSavedModel,
  INIT_OP_SIGNATURE_KEY,
  type FreezeOptions,
  type FreezeSource,
  type FrozenModel,
  type FrozenSignature,
} from './freeze/index.js';
export { freezeSourceOf } from './source.js';
