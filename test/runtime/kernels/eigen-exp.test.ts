/**
 * `_TfsExp` against TensorFlow 2.21's tf.exp on x86-64 (fixtures/exp-cases.json, written by
 * fixtures/exp_cases.py): bit for bit on edges (overflow at 88.723, flush to zero below
 * -87.34, infinities, NaN, denormal inputs) and on N(0, 4) samples, where Math.exp is 1 ulp
 * away in many; the last n % 8 elements go through expf as TF's tail does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_EXP_KERNELS, EXP_OP, eigenExpLane, tfExpFloat32 } from '../../../src/runtime/kernels/eigen-exp.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'exp-cases.json'), 'utf8')) as { x: number[]; exp: number[] };
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);
const WANT = CASES.exp;

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('Exp: every value equals TensorFlow bit for bit, tail included', () => {
  const got = bitsOf(tfExpFloat32(X));
  got.forEach((b, i) => assert.equal(b, WANT[i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([WANT[i]!])[0]}`));
});

test('Exp: the samples exercise values where Math.exp is 1 ulp away', () => {
  let differ = 0;
  X.forEach((x, i) => {
    if (!Number.isNaN(x) && Math.fround(Math.exp(x)) !== floats([WANT[i]!])[0]) differ++;
  });
  assert.ok(differ > 20, `${differ} values`);
});

test('Exp: denormal results flush to zero, NaN stays NaN', () => {
  assert.equal(eigenExpLane(-88), 0);
  assert.equal(eigenExpLane(-Infinity), 0);
  assert.equal(eigenExpLane(Infinity), Infinity);
  assert.ok(Number.isNaN(eigenExpLane(NaN)));
  assert.ok(eigenExpLane(-87.3) > 0);
});

test('_TfsExp kernel keeps the shape and follows the packets of the flat buffer (27 values: 3 packets and a tail of 3)', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  const [y] = run(EIGEN_EXP_KERNELS, EXP_OP, [x]);
  assert.deepEqual(y!.shape, [3, 9]);
  assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(tfExpFloat32(X.slice(0, 27))));
});

test('the freezer renames float32 Exp only', () => {
  assert.equal(familyNode('Exp', { T: { type: 'DT_FLOAT' } }, {}), EXP_OP);
  assert.equal(familyNode('Exp', { T: { type: 1 } }, {}), EXP_OP);
  assert.equal(familyNode('Exp', { T: { type: 'DT_HALF' } }, {}), 'Exp');
  assert.equal(familyNode('Exp', { T: { type: 'DT_DOUBLE' } }, {}), 'Exp');
});
