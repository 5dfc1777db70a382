/**
 * `_TfsTanh` / `_TfsSigmoid` against TensorFlow 2.21's tf.tanh / tf.sigmoid on x86-64
 * (fixtures/tanh-sigmoid-cases.json, written by fixtures/tanh_sigmoid_cases.py): bit for bit
 * on edges (the tanh clamp at 7.90738964, sigmoid's 16.6355324 and -104, infinities, NaN,
 * signed zeros, denormal inputs) and on samples where the correctly rounded values tfjs gives
 * differ; the last n % 8 elements take the scalar path as TF's tail does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  EIGEN_TANH_SIGMOID_KERNELS, SIGMOID_OP, TANH_OP, eigenSigmoidLane, libmSigmoid, tfSigmoidFloat32, tfTanhFloat32,
} from '../../../src/runtime/kernels/eigen-tanh-sigmoid.js';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

type Cases = { x: number[]; tanh: number[]; sigmoid: number[] };
const CASES = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', 'tanh-sigmoid-cases.json'), 'utf8')) as Cases;
const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const X = floats(CASES.x);

await tf.setBackend('cpu');

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const FNS = { tanh: tfTanhFloat32, sigmoid: tfSigmoidFloat32 } as const;

for (const op of ['tanh', 'sigmoid'] as const) {
  test(`${op}: every value equals TensorFlow bit for bit, tail included`, () => {
    const want = CASES[op];
    const got = bitsOf(FNS[op](X));
    got.forEach((b, i) => assert.equal(b, want[i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([want[i]!])[0]}`));
  });

  test(`${op}: the samples exercise values where tfjs's ${op} differs`, () => {
    const tfjs = bitsOf(tf[op](tf.tensor(X)).dataSync() as Float32Array);
    const differ = tfjs.filter((b, i) => b !== CASES[op][i] && !Number.isNaN(X[i])).length;
    assert.ok(differ > 100, `${differ} values`);
  });
}

test('sigmoid: packets use the exp(x/2)^2 polynomial, the tail expf; both clamp at the ends', () => {
  assert.equal(eigenSigmoidLane(-104.5), 0);
  assert.equal(eigenSigmoidLane(17), 1);
  assert.equal(libmSigmoid(Infinity), 1);
  assert.equal(libmSigmoid(-Infinity), 0);
  assert.ok(Number.isNaN(eigenSigmoidLane(NaN)));
});

test('_TfsTanh / _TfsSigmoid kernels keep the shape and follow the packets of the flat buffer', () => {
  const x = tf.tensor(X.slice(0, 27), [3, 9]);
  for (const [op, fn] of [[TANH_OP, tfTanhFloat32], [SIGMOID_OP, tfSigmoidFloat32]] as const) {
    const [y] = run(EIGEN_TANH_SIGMOID_KERNELS, op, [x]);
    assert.deepEqual(y!.shape, [3, 9]);
    assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(fn(X.slice(0, 27))));
  }
});

test('the freezer renames float32 Tanh and Sigmoid only', () => {
  assert.equal(familyNode('Tanh', { T: { type: 'DT_FLOAT' } }, {}), TANH_OP);
  assert.equal(familyNode('Sigmoid', { T: { type: 1 } }, {}), SIGMOID_OP);
  assert.equal(familyNode('Tanh', { T: { type: 'DT_HALF' } }, {}), 'Tanh');
  assert.equal(familyNode('Sigmoid', { T: { type: 'DT_DOUBLE' } }, {}), 'Sigmoid');
});
