/**
 * `_TfsLog1p` / `_TfsExpm1` against TensorFlow 2.21's tf.math.log1p / tf.math.expm1 on x86-64
 * (fixtures/log1p-expm1-cases.json, written by fixtures/log1p_expm1_cases.py): bit for bit,
 * NaN bits included, on edges (-1, below -1, exp's overflow and flush, infinities, NaN, signed
 * zeros, denormals) and on samples where tfjs's values differ; the tail takes log1pf / expm1f.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_LOG1P_EXPM1_KERNELS, EXPM1_OP, LOG1P_OP, tfExpm1Float32, tfLog1pFloat32 } from '../../../src/runtime/kernels/eigen-log1p-expm1.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

type Cases = { x: number[]; log1p: number[]; expm1: number[] };
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'log1p-expm1-cases.json'), 'utf8')) as Cases;
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const FNS = { log1p: tfLog1pFloat32, expm1: tfExpm1Float32 } as const;

for (const op of ['log1p', 'expm1'] as const) {
  test(`${op}: every value equals TensorFlow bit for bit, tail included`, () => {
    const got = bitsOf(FNS[op](X));
    got.forEach((b, i) => assert.equal(b, CASES[op][i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([CASES[op][i]!])[0]}`));
  });

  test(`${op}: the samples exercise values where tfjs's ${op} differs`, () => {
    const tfjs = bitsOf(tf[op](tf.tensor(X)).dataSync() as Float32Array);
    const differ = tfjs.filter((b, i) => b !== CASES[op][i] && !Number.isNaN(X[i])).length;
    assert.ok(differ > 20, `${differ} values`);
  });
}

test('_TfsLog1p / _TfsExpm1 kernels keep the shape; the freezer renames float32 Log1p and Expm1 only', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  for (const [op, fn] of [[LOG1P_OP, tfLog1pFloat32], [EXPM1_OP, tfExpm1Float32]] as const) {
    const [y] = run(EIGEN_LOG1P_EXPM1_KERNELS, op, [x]);
    assert.deepEqual(y!.shape, [3, 9]);
    assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(fn(X.slice(0, 27))));
  }
  assert.equal(familyNode('Log1p', { T: { type: 'DT_FLOAT' } }, {}), LOG1P_OP);
  assert.equal(familyNode('Expm1', { T: { type: 'DT_FLOAT' } }, {}), EXPM1_OP);
  assert.equal(familyNode('Log1p', { T: { type: 'DT_HALF' } }, {}), 'Log1p');
});
