/**
 * TF's legacy `Select` (src/runtime/kernels/select.ts) against TensorFlow 2.21, on both
 * backends: tf.where broadcasts the condition against the last dimension, TF picks rows.
 * Oracle values and error texts come from
 *   /work/venv-tf/bin/python -c "from tensorflow.python.ops import gen_math_ops as g; ...
 *     g.select(tf.constant(cond), tf.constant(x), tf.constant(y))"
 * (TF 2.21.0, CPU) with the inputs written below.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Code, TfsError } from '../../../src/errors.js';
import { ensureBackendReady, onBackendSync, type ConcreteBackend } from '../../../src/runtime/backend.js';
import { SELECT_KERNELS, SELECT_ROWS_OP, selectCondShape } from '../../../src/runtime/kernels/select.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { WIDE_MATH_KERNELS } from '../../../src/runtime/kernels/wide.js';
import { LAYOUT_KERNELS } from '../../../src/runtime/kernels/layout.js';
import { LAYOUT_OPS } from '../../../src/runtime/kernels/control-names.js';
import { makeWide, readWide } from '../../../src/runtime/wide-values.js';
import { run as runIn, s, str, texts, values } from './helpers.js';

const BACKENDS: ConcreteBackend[] = ['wasm', 'cpu'];
before(async () => {
  for (const b of BACKENDS) await ensureBackendReady(b);
});

const select = (c: tf.Tensor, t: tf.Tensor, e: tf.Tensor): tf.Tensor => runIn(SELECT_KERNELS, SELECT_ROWS_OP, [c, t, e])[0]!;
const bools = (v: boolean[], shape = [v.length]): tf.Tensor => tf.tensor(v, shape, 'bool');
const iota = (n: number, shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor => tf.reshape(tf.range(0, n, 1, dtype), shape);

/** Asserts that `fn` fails with INVALID_ARGUMENT and exactly TF's text. */
function refuses(fn: () => unknown, text: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === text);
}

test('the freezer renames float Select to the row kernel; SelectV2 keeps tfjs', () => {
  assert.equal(familyNode('Select', { T: { type: 1 } }, {}), SELECT_ROWS_OP);
  assert.equal(familyNode('SelectV2', { T: { type: 1 } }, {}), 'SelectV2');
});

for (const b of BACKENDS) {
  test(`Select: a vector condition picks rows of square and rank-3 operands (${b})`, () => {
    onBackendSync(b, () => {
      const x = iota(9, [3, 3]);
      // TF: [[0,1,2],[-3,-4,-5],[6,7,8]] (tf.where would give [[0,-1,2],[3,-4,5],[6,-7,8]])
      const rows = select(bools([true, false, true]), x, tf.neg(x));
      assert.deepEqual(rows.shape, [3, 3]);
      assert.deepEqual(values(rows), [0, 1, 2, -3, -4, -5, 6, 7, 8]);
      const k = iota(12, [2, 3, 2], 'int32');
      const r3 = select(bools([true, false]), k, tf.neg(k));
      assert.equal(r3.dtype, 'int32');
      assert.deepEqual(values(r3), [0, 1, 2, 3, 4, 5, -6, -7, -8, -9, -10, -11]);
      const r4 = select(bools([false, true]), iota(16, [2, 2, 2, 2]), tf.zeros([2, 2, 2, 2]));
      assert.deepEqual(values(r4), [0, 0, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11, 12, 13, 14, 15]);
      const bo = select(bools([true, false]), bools([true, true, true, true], [2, 2]), bools([false, false, false, false], [2, 2]));
      assert.equal(bo.dtype, 'bool');
      assert.deepEqual(values(bo), [1, 1, 0, 0]);
      const empty = select(bools([]), tf.zeros([0, 3]), tf.zeros([0, 3]));
      assert.deepEqual(empty.shape, [0, 3]);
    });
  });

  test(`Select: scalar and elementwise conditions (${b})`, () => {
    onBackendSync(b, () => {
      const x = iota(9, [3, 3]);
      assert.deepEqual(values(select(tf.scalar(true, 'bool'), x, tf.neg(x))), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(values(select(tf.scalar(false, 'bool'), x, tf.neg(x))), [-0, -1, -2, -3, -4, -5, -6, -7, -8]);
      assert.deepEqual(values(select(tf.scalar(false, 'bool'), tf.scalar(1), tf.scalar(2))), [2]);
      assert.deepEqual(values(select(bools([true, false, true]), tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6]))), [1, 5, 3]);
      const c = bools([true, false, false, true], [2, 2]);
      assert.deepEqual(values(select(c, iota(4, [2, 2]), tf.fill([2, 2], 9))), [0, 9, 9, 3]);
    });
  });

  test(`Select refuses the shapes TF refuses, with TF's texts (${b})`, () => {
    onBackendSync(b, () => {
      const f = (...shape: number[]): tf.Tensor => tf.zeros(shape);
      const same = 'Inputs to operation Select of type Select must have the same size and shape.  ';
      refuses(() => select(bools([true, false]), f(3, 4), f(3, 4)), "Number of batches of 'then' must match size of 'cond', but saw: 3 vs. 2");
      refuses(() => select(bools([true, false]), f(3, 4), f(3, 3)), "Number of batches of 'then' must match size of 'cond', but saw: 3 vs. 2");
      refuses(() => select(bools([true, false, true]), f(3, 4), f(3, 3)), "'then' and 'else' must have the same size.  but received: [3,4] vs. [3,3]");
      refuses(() => select(bools([true, true, true], [3, 1]), f(3, 4), f(3, 4)), `${same}Input 0: [3,1] != input 1: [3,4]`);
      refuses(() => select(tf.scalar(true, 'bool'), f(3, 4), f(3, 3)), "'then' and 'else' must have the same size.  but received: [3,4] vs. [3,3]");
      refuses(() => select(bools([true, false]), tf.scalar(1), tf.scalar(2)), "'then' must be at least a vector, but saw shape: []");
      refuses(() => select(bools([true, false]), f(3), f(3)), `${same}Input 0: [2] != input 1: [3]`);
      refuses(() => select(bools([true, false]), f(2), f(3)), `${same}Input 0: [2] != input 2: [3]`);
      refuses(() => select(bools([true, false]), f(2), f(2, 2)), `${same}Input 0: [2] != input 2: [2,2]`);
      refuses(() => select(bools([true, false]), f(2, 2), f(2)), "'then' and 'else' must have the same size.  but received: [2,2] vs. [2]");
    });
  });

  test(`Select of strings and of int64 picks rows too (${b})`, () => {
    onBackendSync(b, () => {
      // TF: [[b'a', b'b'], [b'g', b'h']]
      const st = runIn(LAYOUT_KERNELS, LAYOUT_OPS.select, [bools([true, false]), str(['a', 'b', 'c', 'd'], [2, 2]), str(['e', 'f', 'g', 'h'], [2, 2])])[0]!;
      assert.deepEqual(texts(st), ['a', 'b', 'g', 'h']);
      const i64 = (v: bigint[]): tf.Tensor => makeWide('int64', BigInt64Array.from(v), [2, 2]);
      const attrs = { _tfs_wide: s('DT_INT64'), _tfs_type_T: s('DT_INT64') };
      // TF: [[1, 2], [7, 8]] (and 2^40 kept exact)
      const w = runIn(WIDE_MATH_KERNELS, '_TfsWideSelect', [bools([true, false]), i64([1n, 2n ** 40n, 3n, 4n]), i64([5n, 6n, 7n, 8n])], attrs)[0]!;
      assert.deepEqual([...(readWide(w, 'int64') as BigInt64Array)], [1n, 2n ** 40n, 7n, 8n]);
      const wrong = (): unknown => runIn(WIDE_MATH_KERNELS, '_TfsWideSelect', [bools([true, false, true]), i64([1n, 2n, 3n, 4n]), i64([5n, 6n, 7n, 8n])], attrs);
      refuses(wrong, "Number of batches of 'then' must match size of 'cond', but saw: 2 vs. 3");
    });
  });
}

test('selectCondShape gives the layout the condition broadcasts as', () => {
  assert.deepEqual(selectCondShape([], [2, 3], [2, 3]), []);
  assert.deepEqual(selectCondShape([2], [2, 3, 4], [2, 3, 4]), [2, 1, 1]);
  assert.deepEqual(selectCondShape([3], [3], [3]), [3]);
  assert.deepEqual(selectCondShape([2, 3], [2, 3], [2, 3]), [2, 3]);
});
