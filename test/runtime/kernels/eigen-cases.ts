/**
 * The shared checks of the Eigen float32 kernels' tests (eigen-*.test.ts): each unary op of a
 * kernel file against TF 2.21's bits from a fixture written by test/runtime/fixtures/<op>_cases.py
 * (`x` and one array of result bits per op), that tfjs differs on some of those samples (so
 * the fixture can catch a regression), and that the kernel and the freezer's rename work.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { familyNode } from '../../../src/runtime/kernels/index.js';
import type { KernelEntry } from '../../../src/runtime/kernels/types.js';
import { repoRoot } from '../../helpers/paths.js';
import { run } from './helpers.js';

export interface EigenOp {
  /** TF op name (`Elu`), the kernel it is renamed to, tfs's function, tfjs's op for the contrast. */
  readonly tfOp: string;
  readonly kernelOp: string;
  readonly fn: (x: Float32Array) => Float32Array;
  readonly tfjs: (x: tf.Tensor) => tf.Tensor;
  /** How many samples tfjs must get wrong (default 20), counting only inputs `counted` keeps (default: not NaN). */
  readonly minDiffer?: number;
  readonly counted?: (x: number) => boolean;
  /** A dtype the freezer must leave to tfjs (default DT_HALF). */
  readonly otherType?: string;
}

const floats = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Register the tests of `ops` (keyed by their fixture field) against `fixture` (test/runtime/fixtures/). */
export function eigenCaseTests(fixture: string, kernels: readonly KernelEntry[], ops: Readonly<Record<string, EigenOp>>): void {
  const cases = JSON.parse(readFileSync(join(repoRoot, 'test', 'runtime', 'fixtures', fixture), 'utf8')) as Record<string, number[]>;
  const X = floats(cases['x']!);
  for (const [key, op] of Object.entries(ops)) {
    const want = cases[key]!;
    test(`${key}: every value equals TensorFlow bit for bit, tail included`, () => {
      bitsOf(op.fn(X)).forEach((b, i) => assert.equal(b, want[i], `x = ${X[i]}: ${floats([b])[0]}, TF ${floats([want[i]!])[0]}`));
    });
    test(`${key}: the samples exercise values where tfjs's ${key} differs`, async () => {
      await tf.setBackend('cpu');
      const tfjs = bitsOf(op.tfjs(tf.tensor(X)).dataSync() as Float32Array);
      const counted = op.counted ?? ((x: number): boolean => !Number.isNaN(x));
      const differ = tfjs.filter((b, i) => b !== want[i] && counted(X[i]!)).length;
      assert.ok(differ > (op.minDiffer ?? 20), `${differ} values`);
    });
  }
  test(`${Object.values(ops).map((o) => o.kernelOp).join(' / ')} keep the shape; the freezer renames float32 ${Object.values(ops).map((o) => o.tfOp).join(' and ')} only`, async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor(X.slice(0, 27), [3, 9]);
    for (const op of Object.values(ops)) {
      const [y] = run(kernels, op.kernelOp, [x]);
      assert.deepEqual(y!.shape, [3, 9]);
      assert.deepEqual(bitsOf(y!.dataSync() as Float32Array), bitsOf(op.fn(X.slice(0, 27))));
      assert.equal(familyNode(op.tfOp, { T: { type: 'DT_FLOAT' } }, {}), op.kernelOp);
      assert.equal(familyNode(op.tfOp, { T: { type: op.otherType ?? 'DT_HALF' } }, {}), op.tfOp);
    }
  });
}
