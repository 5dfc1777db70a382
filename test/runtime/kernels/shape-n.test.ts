/**
 * ShapeN (kernels/shape-n.ts): int32 shapes, as TF's default out_type and as tfs's Shape. tfjs
 * answered float32 tensors, which `tf.image.ssim` stacks with int32 constants (TF 2.21:
 * tf.shape_n([zeros([2, 3]), zeros([4])]) = [[2, 3], [4]], int32).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SHAPE_N_KERNELS, SHAPE_N_OP } from '../../../src/runtime/kernels/shape-n.js';
import { FAMILY_OPS, KERNEL_OVERRIDES } from '../../../src/runtime/kernels/index.js';
import { run, values } from './helpers.js';

test('ShapeN answers one int32 shape per input and replaces tfjs-converter\'s float32 ShapeN', async () => {
  await tf.setBackend('cpu');
  const out = run(SHAPE_N_KERNELS, SHAPE_N_OP, [tf.zeros([2, 3]), tf.zeros([4]), tf.scalar(1)]);
  assert.deepEqual(out.map((t) => t.dtype), ['int32', 'int32', 'int32']);
  assert.deepEqual(out.map(values), [[2, 3], [4], []]);
  // the int32 shape stacks with int32 constants (ssim's Tile multiples)
  assert.deepEqual(values(tf.stack([tf.scalar(1, 'int32'), tf.gather(out[0]!, 1)])), [1, 3]);
  assert.equal(KERNEL_OVERRIDES.get('ShapeN'), SHAPE_N_OP);
  assert.ok(FAMILY_OPS.has(SHAPE_N_OP));
});
