/**
 * Convolutions on the wasm backend through the GEMM (runtime/wasm-conv.ts): large Conv2D and
 * FusedConv2D calls (SAME with stride 2, dilation, bias + relu) run on it and agree with the
 * cpu backend within float32 rounding, also on a filter used several times (packing cached);
 * small ones and unsupported activations stay on XNNPACK, and TFS_WASM_CONV=0 keeps them all there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';
import { wasmConvCalls } from '../../src/runtime/wasm-conv.js';
import { seeded as seededSource } from '../reliability/seeded.js';

/** Seeded floats in [-0.5, 0.5) (the reliability suite's mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  const r = seededSource(seed);
  return () => r.next() - 0.5;
}
const next = seeded(5);
const values = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);

type Conv = (x: tf.Tensor4D, f: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor;

/** `f` on wasm three times (same filter tensor) and once on cpu: the outputs and the GEMM's conv calls on wasm. */
async function both(xShape: number[], fShape: number[], f: Conv): Promise<{ wasm: Float32Array[]; cpu: Float32Array; calls: number }> {
  const [xv, fv, bv] = [values(xShape), values(fShape), values([fShape[3]!])];
  const on = async (backend: string, reps: number): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const [x, w, b] = [tf.tensor4d(xv, xShape as [number, number, number, number]), tf.tensor4d(fv, fShape as [number, number, number, number]), tf.tensor1d(bv)];
    const outs = Array.from({ length: reps }, () => {
      const y = f(x, w, b);
      const v = y.dataSync().slice() as Float32Array;
      y.dispose();
      return v;
    });
    tf.dispose([x, w, b]);
    return outs;
  };
  const before = wasmConvCalls();
  const wasm = await on('wasm', 3);
  const calls = wasmConvCalls() - before;
  const [cpu] = await on('cpu', 1);
  return { wasm, cpu: cpu!, calls };
}

function close(a: Float32Array, b: Float32Array, k: number): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 2 * k * 2 ** -24 * 4 + 1e-6, `element ${i}: ${a[i]} vs ${b[i]}`);
}

test('large convolutions on the wasm backend run on the GEMM and agree with cpu', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  const cases: [number[], number[], Conv][] = [
    [[3, 29, 27, 6], [3, 3, 6, 40], (x, f) => tf.conv2d(x, f, 2, 'same')],
    [[2, 20, 21, 5], [3, 2, 5, 64], (x, f, b) => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'valid', bias: b, activation: 'relu' })],
    [[2, 24, 24, 7], [3, 3, 7, 20], (x, f, b) => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', dilations: 2, bias: b, activation: 'relu6' })],
  ];
  for (const [xs, fs, f] of cases) {
    const r = await both(xs, fs, f);
    assert.equal(r.calls, 3, `${String(f)} ran on the GEMM`);
    for (const w of r.wasm) close(w, r.cpu, fs[0]! * fs[1]! * fs[2]!);
    assert.deepEqual(r.wasm[1], r.wasm[0]);
    assert.deepEqual(r.wasm[2], r.wasm[0]);
  }
});

test('small convolutions and unsupported activations stay on XNNPACK', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  const small = await both([1, 6, 6, 3], [3, 3, 3, 4], (x, f) => tf.conv2d(x, f, 1, 'same'));
  assert.equal(small.calls, 0);
  close(small.wasm[0]!, small.cpu, 27);
  const elu = await both([3, 19, 17, 6], [3, 3, 6, 40], (x, f, b) => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', bias: b, activation: 'elu' }));
  assert.equal(elu.calls, 0);
  close(elu.wasm[0]!, elu.cpu, 54);
});

test('TFS_WASM_CONV=0 keeps convolutions on XNNPACK while MatMuls stay on the GEMM', async () => {
  const url = (p: string): string => new URL(p, import.meta.url).href;
  const script = `
    const tf = await import('@tensorflow/tfjs-core');
    const { initBackend } = await import(${JSON.stringify(url('../../src/runtime/backend.js'))});
    const { wasmConvCalls } = await import(${JSON.stringify(url('../../src/runtime/wasm-conv.js'))});
    const { wasmGemmCalls } = await import(${JSON.stringify(url('../../src/runtime/wasm-gemm.js'))});
    await initBackend('wasm');
    await tf.setBackend('wasm');
    tf.conv2d(tf.ones([3, 29, 27, 6]), tf.ones([3, 3, 6, 40]), 1, 'same').dataSync();
    tf.matMul(tf.ones([40, 300]), tf.ones([300, 100])).dataSync();
    console.log(JSON.stringify({ conv: wasmConvCalls(), gemm: wasmGemmCalls() }));`;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TFS_WASM_CONV: '0' }, cwd: process.cwd() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { conv: 0, gemm: 1 });
});
