/**
 * The SIMD MatMul of the plain-JS tier on wasm (src/runtime/plain-js-gemm.ts) must answer bit
 * for bit what tfjs-backend-wasm's fused MatMul (XNNPACK) answers, for every column block
 * (16, 8, 4 and single columns), with and without a bias, over values holding ±Inf,
 * denormals and signed zeros (NaN is refused by the tier before and after it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { simdGemm } from '../../src/runtime/plain-js-gemm.js';
import { seeded } from '../reliability/seeded.js';

const SPECIALS = [Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.17e-38, 3.4e38, -3.4e38, 1, -1];

function values(n: number, r: () => number, special: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = r() < special ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : (r() * 2 - 1) * 10 ** (r() * 4 - 2);
  }
  return out;
}

const bytes = (d: Float32Array): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

test('SIMD MatMul equals tfjs-backend-wasm fused MatMul bit for bit', async () => {
  assert.ok(simdGemm, 'Node 20 has WebAssembly SIMD');
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const r = seeded(20).next;
  // n covers every block mix: 16-, 8-, 4-column blocks and single columns.
  const shapes = [[5, 10, 64], [5, 64, 32], [5, 32, 1], [1, 1, 1], [3, 7, 29], [2, 40, 100], [11, 64, 63], [4, 3, 12]];
  let compared = 0;
  for (const [m, k, n] of shapes as [number, number, number][]) {
    for (let t = 0; t < 6; t++) {
      const special = t % 2 === 0 ? 0 : 0.1;
      const a = values(m * k, r, special);
      const b = values(k * n, r, special);
      const bias = t < 3 ? values(n, r, special) : undefined;
      const want = tf.tidy(() => {
        const y = tf.fused.matMul({ a: tf.tensor2d(a, [m, k]), b: tf.tensor2d(b, [k, n]), ...(bias ? { bias: tf.tensor1d(bias) } : {}) });
        return y.dataSync() as Float32Array;
      });
      const got = simdGemm.run(a, b, bias, m, k, n);
      // A NaN (Inf - Inf) is the tier's to refuse; which NaN comes out is not compared.
      if (want.some((x) => Number.isNaN(x))) continue;
      assert.ok(bytes(got).equals(bytes(want)), `${m}x${k}x${n} case ${t}`);
      compared++;
    }
  }
  assert.ok(compared >= 30, `${compared} cases compared`);
});
