/**
 * The straight-line fast path (src/runtime/straight-line.ts) must give exactly what
 * tfjs-converter's executor gives. An output filter sends a run through the executor, so
 * running the same inputs with and without one compares the two paths byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import { ModelRuntime } from '../../src/runtime/model-runtime.js';
import { setPlainJsEnabled } from '../../src/runtime/plain-js.js';
import { freezeSourceOf } from '../../src/runtime/source.js';
import { readSavedModel } from '../../src/savedmodel/saved-model.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fixtures } from '../helpers/paths.js';

function bytes(t: Tensor): Buffer {
  const d = t.data as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

for (const backend of ['wasm', 'cpu'] as ConcreteBackend[]) {
  test(`straight-line programs equal the converter's executor byte for byte (${backend})`, async () => {
    await initBackend(backend);
    // The plain-JS tier (plain-js.ts) would take these calls first; its own test compares it.
    setPlainJsEnabled(false);
    const cases: Array<{ dir: string; name: string; input: string; output: string; row: number }> = [
      { dir: join(fixtures, 'models', 'half_plus_two', '00000123'), name: 'half_plus_two', input: 'x', output: 'y', row: 1 },
      { dir: join(fixtures, 'models', 'my_model', '1'), name: 'my_model', input: 'dense_input', output: 'dense_1', row: 10 },
      { dir: join(fixtures, 'models', 'my_model', '2'), name: 'my_model', input: 'dense_input', output: 'dense_1', row: 10 },
    ];
    for (const c of cases) {
      const s = await ModelRuntime.load(freezeSourceOf(readSavedModel(c.dir)), { backend, name: c.name });
      try {
        // Otherwise both runs below would take the executor and the comparison would prove nothing.
        assert.equal(s.runsStraightLine('serving_default'), true, `${c.dir} compiles to a straight-line program`);
        for (const batch of [1, 3, 17]) {
          const data = Float32Array.from({ length: batch * c.row }, (_, i) => Math.sin(i * 0.37) * 3);
          const inputs = { [c.input]: { dtype: 'DT_FLOAT' as const, shape: [batch, c.row], data } };
          const before = tf.memory().numTensors;
          // The straight-line path frees its intermediates on the backend itself: count its buffers too.
          const buffersBefore = tf.engine().backend.numDataIds();
          const bytesBefore = tf.memory().numBytes;
          // The straight-line run calls the backend's kernels itself, never the engine's runKernel.
          const engine = tf.engine();
          const runKernel = engine.runKernel;
          let engineCalls = 0;
          engine.runKernel = ((...args: Parameters<typeof runKernel>) => {
            engineCalls++;
            return runKernel.apply(engine, args);
          }) as typeof runKernel;
          let fast;
          try {
            fast = await s.run('serving_default', inputs);
          } finally {
            engine.runKernel = runKernel;
          }
          assert.equal(engineCalls, 0, `${c.dir}: the straight-line run went through the engine`);
          const slow = await s.run('serving_default', inputs, { outputFilter: [c.output] });
          assert.deepEqual(fast[c.output]!.shape, [batch, 1]);
          assert.ok(bytes(fast[c.output]!).equals(bytes(slow[c.output]!)), `${c.dir} batch ${batch}: fast and executor paths differ`);
          assert.equal(tf.memory().numTensors, before, 'no tensor leaks on either path');
          assert.equal(tf.engine().backend.numDataIds(), buffersBefore, 'no backend buffer leaks on either path');
          assert.equal(tf.memory().numBytes, bytesBefore, 'tracked bytes back where they were');
        }
      } finally {
        s.dispose();
      }
    }
    setPlainJsEnabled(true);
  });
}
