/** UnicodeEncode (kernels/unicode-encode.ts) against TF 2.21's tf.raw_ops.UnicodeEncode (recorded as facts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Code, TfsError } from '../../../src/errors.js';
import { UNICODE_ENCODE_KERNELS } from '../../../src/runtime/kernels/unicode-encode.js';
import { run, s, texts } from './helpers.js';

const encode = (cps: number[], splits: number[], enc: string, errors: string, replacement = 65533): string[] =>
  texts(run(UNICODE_ENCODE_KERNELS, 'UnicodeEncode', [tf.tensor1d(cps, 'int32'), tf.tensor1d(splits, 'int32')], {
    output_encoding: s(enc),
    errors: s(errors),
    replacement_char: { i: replacement },
  })[0]!);
const hex = (rows: string[]): string[] => rows.map((r) => Buffer.from(r, 'latin1').toString('hex'));

test('UnicodeEncode: UTF-8/16/32, invalid code points replaced, ignored or refused as TF does', async () => {
  await tf.setBackend('cpu');
  // rows [72, U+1F600] and [-1, 0xD800, 0x110000, 233]
  const cps = [72, 0x1f600, -1, 0xd800, 0x110000, 233];
  const splits = [0, 2, 6];
  assert.deepEqual(hex(encode(cps, splits, 'UTF-8', 'replace')), ['48f09f9880', 'efbfbdefbfbdefbfbdc3a9']);
  assert.deepEqual(hex(encode(cps, splits, 'UTF-8', 'ignore')), ['48f09f9880', 'c3a9']);
  assert.deepEqual(hex(encode(cps, splits, 'UTF-16-BE', 'replace')), ['0048d83dde00', 'fffdfffdfffd00e9']);
  assert.deepEqual(hex(encode(cps, splits, 'UTF-32-BE', 'ignore')), ['000000480001f600', '000000e9']);
  assert.deepEqual(hex(encode([72, -5], [0, 1, 2], 'UTF-8', 'replace', 63)), ['48', '3f']);
  assert.deepEqual(encode([65], [0, 0, 1], 'UTF-8', 'replace'), ['', 'A']);
  const bad = (f: () => unknown, text: string): void =>
    assert.throws(f, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === text);
  bad(() => encode(cps, splits, 'UTF-8', 'strict'), 'Code point is out of range for Unicode, or is a surrogate.');
  bad(() => encode([72], [0, 2], 'UTF-8', 'replace'), 'Last value in input_splits must be equal to length of input_tensor.');
});
