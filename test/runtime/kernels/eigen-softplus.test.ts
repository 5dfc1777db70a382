/**
 * `_TfsSoftplus` against TensorFlow 2.21's tf.math.softplus on x86-64
 * (fixtures/softplus-cases.json, written by fixtures/softplus_cases.py): bit for bit on edges
 * (both thresholds at +-13.9424, exp's flush, infinities, NaN, signed zeros, denormals) and
 * on samples where tfjs's softplus differs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_SOFTPLUS_KERNELS, SOFTPLUS_OP, tfSoftplusFloat32 } from '../../../src/runtime/kernels/eigen-softplus.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'softplus-cases.json'), 'utf8')) as { x: number[]; softplus: number[] };
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('Softplus: every value equals TensorFlow bit for bit, tail included', () => {
  const got = bitsOf(tfSoftplusFloat32(X));
  got.forEach((b, i) => assert.equal(b, CASES.softplus[i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([CASES.softplus[i]!])[0]}`));
});

test("Softplus: the samples exercise values where tfjs's softplus differs", () => {
  const tfjs = bitsOf(tf.softplus(tf.tensor(X)).dataSync() as Float32Array);
  const differ = tfjs.filter((b, i) => b !== CASES.softplus[i] && !Number.isNaN(X[i])).length;
  assert.ok(differ > 50, `${differ} values`);
});

test('_TfsSoftplus kernel keeps the shape; the freezer renames float32 Softplus only', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  const [y] = run(EIGEN_SOFTPLUS_KERNELS, SOFTPLUS_OP, [x]);
  assert.deepEqual(y!.shape, [3, 9]);
  assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(tfSoftplusFloat32(X.slice(0, 27))));
  assert.equal(familyNode('Softplus', { T: { type: 'DT_FLOAT' } }, {}), SOFTPLUS_OP);
  assert.equal(familyNode('Softplus', { T: { type: 'DT_DOUBLE' } }, {}), 'Softplus');
});
