/**
 * `_TfsErf` against TensorFlow 2.21's tf.math.erf on x86-64 (fixtures/erf-cases.json, written
 * by fixtures/erf_cases.py): bit for bit on edges (the x^2 clamp at 16, the [-1, 1] clamp,
 * infinities, NaN, signed zeros, denormal inputs) and on samples where tfjs's erf is off.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_ERF_KERNELS, ERF_OP, eigenErfLane, tfErfFloat32 } from '../../../src/runtime/kernels/eigen-erf.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'erf-cases.json'), 'utf8')) as { x: number[]; erf: number[] };
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('Erf: every value equals TensorFlow bit for bit', () => {
  const got = bitsOf(tfErfFloat32(X));
  got.forEach((b, i) => assert.equal(b, CASES.erf[i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([CASES.erf[i]!])[0]}`));
});

test("Erf: the samples exercise values where tfjs's erf differs", () => {
  const tfjs = bitsOf(tf.erf(tf.tensor(X)).dataSync() as Float32Array);
  const differ = tfjs.filter((b, i) => b !== CASES.erf[i] && !Number.isNaN(X[i])).length;
  assert.ok(differ > 100, `${differ} values`);
});

test('Erf: clamps to +-1, keeps signed zeros, flushes denormal inputs', () => {
  assert.equal(eigenErfLane(Infinity), 1);
  assert.equal(eigenErfLane(-10), -1);
  assert.ok(Object.is(eigenErfLane(-0), -0));
  assert.ok(Object.is(eigenErfLane(-1e-40), -0));
  assert.ok(Number.isNaN(eigenErfLane(NaN)));
});

test('_TfsErf kernel keeps the shape; the freezer renames float32 Erf only', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  const [y] = run(EIGEN_ERF_KERNELS, ERF_OP, [x]);
  assert.deepEqual(y!.shape, [3, 9]);
  assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(tfErfFloat32(X.slice(0, 27))));
  assert.equal(familyNode('Erf', { T: { type: 'DT_FLOAT' } }, {}), ERF_OP);
  assert.equal(familyNode('Erf', { T: { type: 'DT_HALF' } }, {}), 'Erf');
});
