/**
 * The copy-free SIMD MaxPool on wasm (src/runtime/wasm-pool.ts) against the cpu backend's MaxPool,
 * which tfs already makes TF's (NaN skipped, windows start at -FLT_MAX; backend.ts maxPoolLikeTf).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { fastMaxPool } from '../../src/runtime/wasm-pool.js';

const LOWEST = -3.4028234663852886e38;

/** Reproducible values with NaN, -Inf and +Inf sprinkled in. */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const r = s / 2 ** 32;
    out[i] = r < 0.05 ? NaN : r < 0.08 ? -Infinity : r < 0.09 ? Infinity : r * 8 - 6;
  }
  return out;
}

type Case = { shape: [number, number, number, number]; k: [number, number]; s: [number, number]; pad: 'valid' | 'same' };
const CASES: Case[] = [
  { shape: [3, 26, 26, 16], k: [2, 2], s: [2, 2], pad: 'valid' },
  { shape: [2, 11, 11, 32], k: [2, 2], s: [2, 2], pad: 'valid' },
  { shape: [2, 9, 7, 4], k: [3, 2], s: [2, 3], pad: 'valid' },
  { shape: [1, 5, 6, 8], k: [3, 3], s: [1, 1], pad: 'valid' },
  { shape: [2, 8, 8, 12], k: [2, 2], s: [2, 2], pad: 'same' }, // SAME that pads nothing
  // SAME that pads: windows clipped at the edges (TF ignores the padding)
  { shape: [2, 7, 9, 8], k: [3, 3], s: [1, 1], pad: 'same' },
  { shape: [2, 13, 13, 16], k: [2, 2], s: [2, 2], pad: 'same' },
  { shape: [1, 6, 11, 4], k: [3, 4], s: [2, 3], pad: 'same' },
  { shape: [1, 3, 2, 4], k: [5, 5], s: [1, 1], pad: 'same' }, // windows wider than the input
];

test('wasm MaxPool fast path equals the cpu (TF-corrected) MaxPool, NaN and infinities included', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  for (const [i, c] of CASES.entries()) {
    const xs = values(c.shape.reduce((a, b) => a * b), i + 1);
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xs, c.shape);
      if (backend === 'wasm') {
        const args = { inputs: { x }, backend: tf.backend(), attrs: { filterSize: c.k, strides: c.s, pad: c.pad } };
        const direct = fastMaxPool(args as unknown as Parameters<tf.KernelFunc>[0]);
        assert.ok(direct, `fast path taken for ${JSON.stringify(c)}`);
        tf.engine().backend.disposeData(direct.dataId);
      }
      const y = tf.maxPool(x, c.k, c.s, c.pad);
      return y.dataSync() as Float32Array;
    };
    assert.deepEqual(await run('wasm'), await run('cpu'), JSON.stringify(c));
  }
});

test('wasm MaxPool fast path: a window of NaN and -Inf only is -FLT_MAX; calls it cannot take fall through', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const x = tf.tensor4d([NaN, -Infinity, NaN, 1, -Infinity, NaN, -Infinity, -2], [1, 2, 1, 4]);
  assert.deepEqual(Array.from(tf.maxPool(x, [2, 1], 1, 'valid').dataSync()), [LOWEST, LOWEST, LOWEST, 1]);
  const args = (shape: [number, number, number, number], pad: 'same' | 'valid' | number) => ({
    inputs: { x: tf.zeros(shape) }, backend: tf.backend(), attrs: { filterSize: 3, strides: 1, pad },
  }) as unknown as Parameters<tf.KernelFunc>[0];
  assert.equal(fastMaxPool(args([1, 4, 4, 3], 'valid')), undefined, 'channels not a multiple of 4');
  assert.equal(fastMaxPool(args([1, 4, 4, 4], 3)), undefined, 'windows wholly in the padding');
  assert.ok(fastMaxPool(args([1, 4, 4, 4], 'same')), 'SAME padding taken');
});
