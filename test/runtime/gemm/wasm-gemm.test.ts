/**
 * The GEMM wired into the wasm backend (runtime/wasm-gemm.ts): large MatMul / _FusedMatMul
 * calls (transposes, batch of A, bias + relu) run on it and agree with the cpu backend within
 * float32 rounding; small calls, a batch of B, and unsupported activations stay on tfjs's
 * kernel; a weight used twice keeps giving the same answer once its packing is cached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { wasmGemmCalls } from '../../../src/runtime/wasm-gemm.js';
import { seeded as seededSource } from '../../reliability/seeded.js';

/** Seeded floats in [-0.5, 0.5) (the reliability suite's mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  const r = seededSource(seed);
  return () => r.next() - 0.5;
}
const next = seeded(3);
const values = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next), shape);

/** Run `f` on wasm and on cpu (same inputs): the values, and how many GEMM calls the wasm run made. */
async function both(inputs: tf.Tensor[], f: (...x: tf.Tensor[]) => tf.Tensor): Promise<{ wasm: Float32Array; cpu: Float32Array; shape: number[]; calls: number }> {
  await tf.setBackend('wasm');
  const before = wasmGemmCalls();
  const xs = inputs.map((t) => tf.tensor(t.dataSync(), t.shape));
  const y = f(...xs);
  const calls = wasmGemmCalls() - before;
  const wasm = y.dataSync() as Float32Array;
  const shape = y.shape;
  tf.dispose([y, ...xs]);
  await tf.setBackend('cpu');
  const cs = inputs.map((t) => tf.tensor(t.dataSync(), t.shape));
  const z = f(...cs);
  const cpu = z.dataSync() as Float32Array;
  assert.deepEqual(z.shape, shape);
  tf.dispose([z, ...cs]);
  return { wasm, cpu, shape, calls };
}

function close(a: Float32Array, b: Float32Array, k: number): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 2 * k * 2 ** -24 * 4 + 1e-6, `element ${i}: ${a[i]} vs ${b[i]}`);
}

test('large MatMuls on the wasm backend run on the GEMM and agree with cpu', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  const a = values([40, 300]);
  const at = values([300, 40]);
  const b = values([300, 100]);
  const bt = values([100, 300]);
  const bias = values([100]);
  const a3 = values([2, 20, 300]);
  for (const [xs, f, shape] of [
    [[a, b], (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), [40, 100]],
    [[at, bt], (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, true, true), [40, 100]],
    [[a3, b], (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor3D, tf.expandDims(y, 0) as tf.Tensor3D), [2, 20, 100]],
    [[a, b, bias], (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: 'relu' }), [40, 100]],
    [[a, bt, bias], (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeB: true, bias: z, activation: 'relu6' }), [40, 100]],
  ] as const) {
    const r = await both([...xs], f as (...x: tf.Tensor[]) => tf.Tensor);
    assert.deepEqual(r.shape, shape);
    assert.equal(r.calls, 1, `${String(f)} ran on the GEMM`);
    close(r.wasm, r.cpu, 300);
  }
});

test('small MatMuls, a batch of B matrices and unsupported activations stay on tfjs', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  const small = await both([values([4, 8]), values([8, 4])], (x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D));
  assert.equal(small.calls, 0);
  close(small.wasm, small.cpu, 8);
  const batched = await both([values([2, 40, 300]), values([2, 300, 100])], (x, y) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D));
  assert.equal(batched.calls, 0);
  close(batched.wasm, batched.cpu, 300);
  const elu = await both([values([40, 300]), values([300, 100])], (x, y) => tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, activation: 'elu' }));
  assert.equal(elu.calls, 0);
  close(elu.wasm, elu.cpu, 300);
});

test('a weight used on several calls (packing cached from the second) gives the same products', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const w = values([512, 128]);
  const x = values([32, 512]);
  const before = wasmGemmCalls();
  const outs = [0, 1, 2].map(() => {
    const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    const v = y.dataSync().slice();
    y.dispose();
    return v;
  });
  assert.equal(wasmGemmCalls() - before, 3);
  assert.deepEqual(outs[1], outs[0]);
  assert.deepEqual(outs[2], outs[0]);
  tf.dispose([w, x]);
});
