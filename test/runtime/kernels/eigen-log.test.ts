/**
 * `_TfsLog` against TensorFlow 2.21's tf.math.log on x86-64 (fixtures/log-cases.json, written
 * by fixtures/log_cases.py): bit for bit on edges (zero, denormals read as zero, negatives,
 * infinities, NaN, the sqrt(1/2) split) and on samples where the correctly rounded logf tfjs
 * gives is 1 ulp away; the last n % 8 elements go through logf as TF's tail does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_LOG_KERNELS, LOG_OP, eigenLogLane, tfLogFloat32 } from '../../../src/runtime/kernels/eigen-log.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'log-cases.json'), 'utf8')) as { x: number[]; log: number[] };
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('Log: every value equals TensorFlow bit for bit (NaN payloads included), tail included', () => {
  const got = bitsOf(tfLogFloat32(X));
  got.forEach((b, i) => assert.equal(b, CASES.log[i], `x = ${X[i]}: ${b.toString(16)}, TF ${CASES.log[i]!.toString(16)}`));
});

test("Log: the samples exercise values where tfjs's log is 1 ulp away", () => {
  const tfjs = bitsOf(tf.log(tf.tensor(X)).dataSync() as Float32Array);
  const differ = tfjs.filter((b, i) => b !== CASES.log[i] && !Number.isNaN(X[i]) && X[i]! >= 0).length;
  assert.ok(differ > 20, `${differ} values`);
});

test('Log: zero and denormals give -Infinity, negatives NaN, Infinity itself', () => {
  assert.equal(eigenLogLane(0), -Infinity);
  assert.equal(eigenLogLane(1e-40), -Infinity);
  assert.equal(eigenLogLane(Infinity), Infinity);
  assert.ok(Number.isNaN(eigenLogLane(-2)));
  assert.equal(eigenLogLane(1), 0);
});

test('_TfsLog kernel keeps the shape; the freezer renames float32 Log only', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  const [y] = run(EIGEN_LOG_KERNELS, LOG_OP, [x]);
  assert.deepEqual(y!.shape, [3, 9]);
  assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(tfLogFloat32(X.slice(0, 27))));
  assert.equal(familyNode('Log', { T: { type: 'DT_FLOAT' } }, {}), LOG_OP);
  assert.equal(familyNode('Log', { T: { type: 'DT_DOUBLE' } }, {}), 'Log');
});
