/**
 * Worker body for runtime.test.ts: a worker_threads Worker gets its own tfjs engine, so it
 * initializes its own backend, loads a model and runs it, then reports the outputs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';

const { dir, backend } = workerData as { dir: string; backend: 'wasm' | 'cpu' };
const used = await initBackend(backend);
const s = await loadSavedModelServable('half_plus_two', 123, dir);
const out = await s.run('serving_default', { x: { dtype: 'DT_FLOAT', shape: [3, 1], data: Float32Array.of(1, 2, 3) } });
const tensorsWhileLoaded = tf.memory().numTensors;
await s.dispose();
parentPort!.postMessage({
  backend: used,
  activeBackend: tf.getBackend(),
  y: Array.from(out['y']!.data as Float32Array),
  tensorsWhileLoaded,
  tensorsAfterDispose: tf.memory().numTensors,
});
