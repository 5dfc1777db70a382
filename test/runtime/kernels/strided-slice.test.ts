/**
 * `_TfsStridedSlice` (StridedSlice with a new axis) against TensorFlow 2.21 on x = range(120) as
 * [4, 6, 5] (fixtures/strided-slice-cases.json): new axes next to shrunk, reversed, stepped,
 * masked, clamped and ellipsis dims; tfjs's own kernel got several of these wrong (probe12).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { STRIDED_SLICE_KERNELS, STRIDED_SLICE_OP } from '../../../src/runtime/kernels/strided-slice.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run, str, texts, values } from './helpers.js';
import type { AttrJson } from '../../../src/runtime/graph-json.js';

interface Case {
  begin: number[];
  end: number[];
  strides: number[];
  masks: Record<string, number>;
  shape: number[];
  values: number[];
}
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'strided-slice-cases.json'), 'utf8')) as Record<string, Case>;

await tf.setBackend('cpu');

const slice = (x: tf.Tensor, c: Pick<Case, 'begin' | 'end' | 'strides' | 'masks'>): tf.Tensor => {
  const raw: Record<string, AttrJson> = Object.fromEntries(Object.entries(c.masks).map(([k, v]) => [k, { i: v }]));
  const ints = (v: number[]): tf.Tensor => tf.tensor1d(v, 'int32');
  return run(STRIDED_SLICE_KERNELS, STRIDED_SLICE_OP, [x, ints(c.begin), ints(c.end), ints(c.strides)], raw)[0]!;
};

for (const [name, c] of Object.entries(CASES)) {
  test(`StridedSlice ${name.replaceAll('_', ' ')} equals TensorFlow`, () => {
    const y = slice(tf.reshape(tf.range(0, 120, 1, 'int32'), [4, 6, 5]), c);
    assert.deepEqual(y.shape, c.shape);
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(values(y), c.values);
  });
}

test('strings slice too, and a shrunk index out of range is refused', () => {
  const y = slice(str(['a', 'b', 'c', 'd'], [2, 2]), { begin: [1, 0], end: [2, 0], strides: [1, -1], masks: { shrink_axis_mask: 1, new_axis_mask: 2 } });
  assert.deepEqual(y.shape, [1, 2]);
  assert.deepEqual(texts(y), ['c', 'd']);
  assert.throws(() => slice(tf.zeros([2, 3]), { begin: [5, 0], end: [6, 0], strides: [1, 1], masks: { shrink_axis_mask: 1, new_axis_mask: 2 } }), /out of bounds/);
});

test('the freezer sends only slices with a new axis to this kernel', () => {
  assert.equal(familyNode('StridedSlice', { new_axis_mask: { i: 2 } }, {}), STRIDED_SLICE_OP);
  assert.equal(familyNode('StridedSlice', { new_axis_mask: { i: 0 }, shrink_axis_mask: { i: 1 } }, {}), 'StridedSlice');
  assert.equal(familyNode('StridedSlice', {}, {}), 'StridedSlice');
});
