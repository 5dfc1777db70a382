/**
 * Variable-length dense features (tf.io.FixedLenSequenceFeature) in example-parser.ts, against
 * TF 2.21's tf.io.parse_example (recorded as facts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, TfsError } from '../../src/errors.js';
import { parseBatch, varLenDenseColumn } from '../../src/runtime/example-parser.js';
import { serializeExample } from '../../src/servables/classify-regress.js';

const ex = (f: { v?: number[]; k?: number[]; s?: string[] }): Uint8Array => {
  const feature: Record<string, unknown> = {};
  if (f.v) feature['v'] = { float_list: { value: f.v } };
  if (f.k) feature['k'] = { int64_list: { value: f.k } };
  if (f.s) feature['s'] = { bytes_list: { value: f.s.map((x) => Buffer.from(x)) } };
  return serializeExample({ features: { feature } });
};

test('FixedLenSequenceFeature: whole rows per example, padded with the default (else 0 or ""), missing = no rows', () => {
  const batch = parseBatch([ex({ v: [1, 2, 3, 4], k: [5] }), ex({ k: [1, 2, 3], s: ['a'] }), ex({ v: [9, 8] })]);
  // TF: v [3, 2, 2] = [[[1,2],[3,4]], [[0,0],[0,0]], [[9,8],[0,0]]]
  const v = varLenDenseColumn(batch, { key: 'v', dtype: 'float', shape: [-1, 2], defaults: undefined }, undefined);
  assert.deepEqual(v, { values: [1, 2, 3, 4, 0, 0, 0, 0, 9, 8, 0, 0], rows: 2 });
  // k with default_value=7: [[5,7,7],[1,2,3],[7,7,7]]
  const k = varLenDenseColumn(batch, { key: 'k', dtype: 'int64', shape: [-1], defaults: [7] }, undefined);
  assert.deepEqual(k.rows, 3);
  assert.deepEqual(k.values.map(Number), [5, 7, 7, 1, 2, 3, 7, 7, 7]);
  // s: [[b''], [b'a'], [b'']]
  const s = varLenDenseColumn(batch, { key: 's', dtype: 'string', shape: [-1], defaults: undefined }, undefined);
  assert.deepEqual([s.rows, (s.values as Uint8Array[]).map((b) => Buffer.from(b).toString())], [1, ['', 'a', '']]);
  // no example has it: zero rows ([2, 0, 2] in TF)
  assert.deepEqual(varLenDenseColumn(parseBatch([ex({}), ex({})]), { key: 'v', dtype: 'float', shape: [-1, 2], defaults: undefined }, undefined), { values: [], rows: 0 });
});

test('FixedLenSequenceFeature: a value count that is not whole rows is TF\'s INVALID_ARGUMENT', () => {
  assert.throws(
    () => varLenDenseColumn(parseBatch([ex({ v: [1, 2, 3] })]), { key: 'v', dtype: 'float', shape: [-1, 2], defaults: undefined }, undefined),
    (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT &&
      e.message === 'Name: <unknown>, Key: v, Index: 0.  Number of float values is not a multiple of stride length. Saw 3 values but output shape is: [?,2]',
  );
});
