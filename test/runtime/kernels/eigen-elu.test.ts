/**
 * `_TfsElu` / `_TfsSelu` against TensorFlow 2.21's tf.nn.elu / tf.nn.selu on x86-64
 * (fixtures/elu-cases.json, written by fixtures/elu_cases.py): bit for bit on edges
 * (exp's flush below -87.34, infinities, NaN, signed zeros, denormal inputs) and on samples
 * where tfjs's expm1-based values differ; the tail takes expf as TF's does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EIGEN_ELU_KERNELS, ELU_OP, SELU_OP, tfEluFloat32, tfSeluFloat32 } from '../../../src/runtime/kernels/eigen-elu.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

type Cases = { x: number[]; elu: number[]; selu: number[] };
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'elu-cases.json'), 'utf8')) as Cases;
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const FNS = { elu: tfEluFloat32, selu: tfSeluFloat32 } as const;

for (const op of ['elu', 'selu'] as const) {
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

test('_TfsElu / _TfsSelu kernels keep the shape; the freezer renames float32 Elu and Selu only', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  for (const [op, fn] of [[ELU_OP, tfEluFloat32], [SELU_OP, tfSeluFloat32]] as const) {
    const [y] = run(EIGEN_ELU_KERNELS, op, [x]);
    assert.deepEqual(y!.shape, [3, 9]);
    assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(fn(X.slice(0, 27))));
  }
  assert.equal(familyNode('Elu', { T: { type: 'DT_FLOAT' } }, {}), ELU_OP);
  assert.equal(familyNode('Selu', { T: { type: 'DT_FLOAT' } }, {}), SELU_OP);
  assert.equal(familyNode('Elu', { T: { type: 'DT_HALF' } }, {}), 'Elu');
});
