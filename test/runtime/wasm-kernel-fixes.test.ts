/**
 * wasm kernels that answer wrongly in some cases run on cpu's kernel there (backend.ts
 * WASM_WRONG); each case against TensorFlow's answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/runtime/backend.js';

test('wasm: Equal/NotEqual on strings, float OneHot, GatherV2 with empty operands', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const enc = (v: string[]): tf.Tensor => tf.tensor(v.map((x) => new TextEncoder().encode(x)), [v.length], 'string');
  assert.deepEqual(Array.from(tf.equal(enc(['a', '', 'b']), enc(['a', 'x', 'b'])).dataSync()), [1, 0, 1]);
  assert.deepEqual(Array.from(tf.notEqual(enc(['a', '']), enc(['a', 'x'])).dataSync()), [0, 1]);
  // tf.one_hot([1, 3], 4, on_value=2.0, off_value=-1.0)
  assert.deepEqual(Array.from(tf.oneHot(tf.tensor1d([1, 3], 'int32'), 4, 2, -1, 'float32').dataSync()), [-1, 2, -1, -1, -1, -1, -1, 2]);
  const g = tf.gather(tf.tensor1d([], 'int32'), tf.tensor1d([], 'int32'));
  assert.deepEqual(g.shape, [0]);
  // tf.gather(x, i, axis=1, batch_dims=1)
  const b = tf.gather(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1);
  assert.deepEqual(Array.from(b.dataSync()), [3, 1, 5, 5]);
});

test('wasm: SparseToDense of strings (aborted the module) runs on cpu', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const vals = tf.tensor(['a', 'b'].map((x) => new TextEncoder().encode(x)), [2], 'string');
  const d = tf.sparseToDense(tf.tensor2d([[0, 0], [1, 1]], [2, 2], 'int32'), vals, [2, 3], tf.scalar(new Uint8Array(0), 'string'));
  // tf.sparse.to_dense(tf.SparseTensor([[0, 0], [1, 1]], [b"a", b"b"], [2, 3]))
  assert.deepEqual((tf.engine().readSync(d.dataId) as Uint8Array[]).map((b) => Buffer.from(b).toString('latin1')), ['a', '', '', '', 'b', '']);
});

test('wasm: Cast to bool is x != 0 (was truncated like int32), MaxPoolWithArgmax indices as TF', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // tf.cast([0.3, -0.2, 0.0, nan, 2.5, -1e-9], tf.bool)
    const x = tf.tensor1d([0.3, -0.2, 0, NaN, 2.5, -1e-9]);
    assert.deepEqual(Array.from(tf.cast(x, 'bool').dataSync()), [1, 1, 0, 1, 1, 1], b);
    assert.deepEqual(Array.from(tf.cast(tf.tensor1d([0, 2, -7], 'int32'), 'bool').dataSync()), [0, 1, 1], b);
    // tf.nn.max_pool_with_argmax(cos(1.7 i) * i as [4, 4, 4, 1], 2, 2, 'VALID')[1]
    const v = tf.tensor4d(Array.from({ length: 64 }, (_, i) => Math.fround(Math.cos(i * 1.7) * i)), [4, 4, 4, 1]);
    const [, idx] = tf.engine().runKernel('MaxPoolWithArgmax', { x: v }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid', includeBatchInIndex: false }) as tf.Tensor[];
    assert.deepEqual(Array.from(idx!.dataSync()), [4, 7, 8, 15, 0, 6, 13, 10, 5, 2, 12, 15, 0, 7, 8, 15], b);
  }
});

test('TopKV2 over NaN fails the call (TF orders NaN by its own sort), on wasm and cpu', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // tf.sort([nan, 0.5, -0.2, nan, 1.0]) is [nan, -0.2, 0.5, nan, 1.0] in TF 2.21
    assert.throws(() => tf.topk(tf.tensor1d([NaN, 0.5, -0.2, NaN, 1]), 5), /TopKV2: tfs cannot compute the order of NaN/, b);
    assert.deepEqual(Array.from(tf.topk(tf.tensor1d([0.5, -0.2, 1]), 3).indices.dataSync()), [2, 0, 1], b);
  }
});

test('NaN operands propagate as in TF (wasm dropped them); cpu float FloorDiv is floor(x / y) in float', async () => {
  await initBackend('wasm');
  const n = (): tf.Tensor => tf.tensor1d([NaN, 5, -5]);
  const v = (t: tf.Tensor): number[] => Array.from(t.dataSync());
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // tf.maximum(1.0, [nan, 5, -5]), tf.minimum(1.0, ...), tf.nn.relu6(...), tf.raw_ops.ClipByValue(t=..., -1.0, 1.0), tf.sign(...)
    assert.deepEqual(v(tf.maximum(tf.scalar(1), n())), [NaN, 5, 1], b);
    assert.deepEqual(v(tf.minimum(tf.scalar(1), n())), [NaN, 1, -5], b);
    assert.deepEqual(v(tf.relu6(n())), [NaN, 5, 0], b);
    assert.deepEqual(v(tf.clipByValue(n(), -1, 1)), [NaN, 1, -1], b);
    assert.deepEqual(v(tf.sign(n())), [NaN, 1, -1], b);
    // tf.math.floordiv([-inf, nan, -1e30, 7.5], 2.0) = [-inf, nan, -5e29, 3]
    const q = v(tf.floorDiv(tf.tensor1d([-Infinity, NaN, -1e30, 7.5]), tf.scalar(2)));
    assert.deepEqual(q, [-Infinity, NaN, Math.fround(-5e29), 3], b);
    assert.deepEqual(v(tf.floorDiv(tf.tensor1d([-7, 7], 'int32'), tf.scalar(2, 'int32'))), [-4, 3], b);
  }
});

test('Cumsum/Cumprod with a negative axis count from the end (tfjs answered shape [undefined, …], wasm overran)', async () => {
  await initBackend('wasm');
  const x = (): tf.Tensor => tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // tf.cumsum(x, axis=-1), tf.cumsum(x, axis=-2, exclusive=True), tf.math.cumprod(x, axis=-1, reverse=True)
    const s = tf.cumsum(x(), -1);
    assert.deepEqual(s.shape, [2, 3], b);
    assert.deepEqual(Array.from(s.dataSync()), [1, 3, 6, 4, 9, 15], b);
    assert.deepEqual(Array.from(tf.cumsum(x(), -2, true).dataSync()), [0, 0, 0, 1, 2, 3], b);
    assert.deepEqual(Array.from(tf.cumprod(x(), -1, false, true).dataSync()), [6, 6, 3, 120, 30, 6], b);
    // tf.cumsum(x, axis=2): InvalidArgumentError, ScanOp's text
    assert.throws(() => tf.cumsum(x(), 2), /ScanOp: Expected scan axis in the range \[-2, 2\), but got 2/, b);
    assert.throws(() => tf.cumsum(x(), -3), /but got -3/, b);
  }
});

test('Softmax over NaN or +Inf logits fails the call (TF with oneDNN and without differ); -Inf still computes', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // TF 2.21 (oneDNN): tf.nn.softmax([[inf, 1, nan, 2]]) = [[nan, 0, nan, 0]]; TF_ENABLE_ONEDNN_OPTS=0: all NaN
    assert.throws(() => tf.softmax(tf.tensor2d([[Infinity, 1, NaN, 2]])), /Softmax: tfs cannot compute a row of logits holding NaN or \+Inf/, b);
    assert.throws(() => tf.softmax(tf.tensor2d([[NaN, 1, 2, 3]])), /Softmax/, b);
    // tf.nn.softmax([[-inf, -inf, 1, 2]]) = [[0, 0, 0.26894143, 0.7310586]] with and without oneDNN
    const s = Array.from(tf.softmax(tf.tensor2d([[-Infinity, -Infinity, 1, 2]])).dataSync());
    assert.deepEqual(s.slice(0, 2), [0, 0], b);
    assert.ok(Math.abs(s[2]! - 0.26894143) < 1e-6 && Math.abs(s[3]! - 0.7310586) < 1e-6, b);
  }
});

test('Pow with a constant 0.5 / -0.5 exponent runs as Sqrt / Rsqrt, as grappler rewrites it', async () => {
  await initBackend('wasm');
  const { POW_CONST_KERNELS, POW_HALF_OP, POW_MINUS_HALF_OP } = await import('../../src/runtime/kernels/pow-const.js');
  const run = (op: string, x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
    const k = POW_CONST_KERNELS.find((e) => e.op === op)!.kernel;
    return k({ inputs: [x, y] } as unknown as Parameters<typeof k>[0]) as tf.Tensor;
  };
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const x = tf.tensor1d([-Infinity, -0, 4, 0]);
    // A saved tf.function's tf.pow(x, 0.5), tf.pow(x, -0.5) in TF 2.21: [nan, -0, 2, 0], [nan, -inf, 0.5, inf]
    // (eager tf.pow, not rewritten, gives [inf, 0, 2, 0] and [0, inf, 0.5, inf])
    assert.deepEqual(Array.from(run(POW_HALF_OP, x, tf.scalar(0.5)).dataSync()), [NaN, -0, 2, 0], b);
    assert.deepEqual(Array.from(run(POW_MINUS_HALF_OP, x, tf.scalar(-0.5)).dataSync()), [NaN, -Infinity, 0.5, Infinity], b);
    // the exponent's shape still broadcasts: pow([4], [[0.5], [0.5]]) has shape [2, 1]
    const r = run(POW_HALF_OP, tf.tensor1d([4]), tf.tensor2d([[0.5], [0.5]]));
    assert.deepEqual(r.shape, [2, 1], b);
    assert.deepEqual(Array.from(r.dataSync()), [2, 2], b);
  }
});

test('Pow of ±1 with an infinite or NaN exponent is 1 as C pow (cpu used Math.pow: NaN)', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // tf.pow([[1], [-1], [2]], [inf, -inf, nan]) in TF 2.21 (eager, no rewrite)
    const p = tf.pow(tf.tensor2d([[1], [-1], [2]]), tf.tensor1d([Infinity, -Infinity, NaN]));
    assert.deepEqual(p.shape, [3, 3], b);
    assert.deepEqual(Array.from(p.dataSync()), [1, 1, 1, 1, 1, NaN, Infinity, 0, NaN], b);
  }
});

test('wasm: MaxPool3D of a window of negative values is its maximum (tfjs wasm answered FLT_MIN)', async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const [b, d, h, w, c] = [7, 4, 4, 4, 3];
  // Distinct values in a scrambled order, every window with one true maximum, most all negative.
  const xs = Array.from({ length: b * d * h * w * c }, (_, i) => ((i * 7919) % 1361) - 1200);
  const at = (n: number, z: number, y: number, x: number, k: number): number => xs[(((n * d + z) * h + y) * w + x) * c + k]!;
  const want: number[] = [];
  for (let n = 0; n < b; n++) for (let z = 0; z < d; z += 2) for (let y = 0; y < h; y += 2) for (let x = 0; x < w; x += 2) for (let k = 0; k < c; k++) {
    let m = -Infinity;
    for (let i = 0; i < 8; i++) m = Math.max(m, at(n, z + (i >> 2), y + ((i >> 1) & 1), x + (i & 1), k));
    want.push(m);
  }
  const got = tf.maxPool3d(tf.tensor5d(xs, [b, d, h, w, c]), 2, 2, 'valid');
  assert.deepEqual(Array.from(got.dataSync()), want);
});

test('MaxPool/MaxPool3D skip NaN and start at -FLT_MAX as TF does (tfjs: -Inf; wasm mixed NaN in)', async () => {
  await initBackend('wasm');
  const lowest = Math.fround(-3.4028234663852886e38);
  // TF 2.21: tf.nn.max_pool2d(x, 2, 2, 'VALID') on these 4x4 values; max_pool2d([-inf]*4); max_pool3d of NaN and one -inf.
  const x = [1, NaN, 3, -2, NaN, 0.5, -1, 2, NaN, NaN, NaN, NaN, -5, -6, NaN, -7];
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    assert.deepEqual(Array.from(tf.maxPool(tf.tensor4d(x, [1, 4, 4, 1]), 2, 2, 'valid').dataSync()), [1, 3, -5, -7], b);
    assert.deepEqual(Array.from(tf.maxPool(tf.fill([1, 2, 2, 1], -Infinity) as tf.Tensor4D, 2, 2, 'valid').dataSync()), [lowest], b);
    const y = tf.tensor5d([-Infinity, NaN, NaN, NaN, NaN, NaN, NaN, NaN], [1, 2, 2, 2, 1]);
    assert.deepEqual(Array.from(tf.maxPool3d(y, 2, 2, 'valid').dataSync()), [lowest], b);
    assert.deepEqual(Array.from(tf.maxPool(tf.tensor4d([NaN, 2], [1, 1, 2, 1]), 1, 1, 'valid').dataSync()), [lowest, 2], b);
  }
});

test('reductions over an empty axis: TF\'s shape and identity (float Max -Inf, Min +Inf; Max keeps its other axes)', async () => {
  await initBackend('wasm');
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    // e = tf.zeros([0, 3, 2]): tf.reduce_max(e, 0) is -inf of shape [3, 2], tf.reduce_min(e, 0) +inf,
    // int32 max INT32_MIN; tf.reduce_max(e, [0, 2], keepdims=True) has shape [1, 3, 1] (tfs gave shape [] for Max)
    const e = tf.zeros([0, 3, 2]);
    const mx = tf.max(e, 0);
    assert.deepEqual(mx.shape, [3, 2], b);
    assert.deepEqual(Array.from(mx.dataSync()), Array(6).fill(-Infinity), b);
    assert.deepEqual(Array.from(tf.min(e, 0).dataSync()), Array(6).fill(Infinity), b);
    const ie = tf.max(tf.zeros([0, 3, 2], 'int32'), 0);
    assert.deepEqual([ie.shape, Array.from(ie.dataSync())], [[3, 2], Array(6).fill(-2147483648)], b);
    assert.deepEqual(tf.max(e, [0, 2], true).shape, [1, 3, 1], b);
    assert.deepEqual(Array.from(tf.sum(e, 0).dataSync()), Array(6).fill(0), b);
  }
});
