import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, TfsError } from '../../src/errors.js';
import { TensorBundle } from '../../src/savedmodel/tensor-bundle.js';
import { encodeSliceKey, parseShapeAndSlice } from '../../src/savedmodel/tensor-slice.js';
import { fixtures } from '../helpers/paths.js';
import { writeBundle } from './helpers/bundle-writer.js';

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-slice-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('slice keys are encoded as TensorFlow writes them', () => {
  // Keys read from the index of fixtures/zoo/models/tf1_partitioned_vars (written by TF 2.21).
  const r = (start: number, length: number) => ({ start, length });
  assert.equal(hex(encodeSliceKey('dense/w', [6, 4], [r(2, 2), r(0, 4)])), '0064656e73652f770001010282828084');
  assert.equal(hex(encodeSliceKey('emb', [300, 3], [r(200, 100), r(0, 3)])), '00656d6200010102c0c8c0648083');
  assert.equal(hex(encodeSliceKey('big', [16400, 1], [r(8200, 8200), r(0, 1)])), '0062696700010102e02008e020088081');
  // A full extent is start 0, length -1; -1 is the one-byte signed code 0x7f.
  assert.equal(hex(encodeSliceKey('v', [5], [{ start: 0, length: null }])), '007600010101807f');
});

test('shape_and_slices strings parse; malformed ones are refused', () => {
  assert.equal(parseShapeAndSlice(''), null);
  assert.deepEqual(parseShapeAndSlice('10 4 0,4:-'), {
    fullShape: [10, 4],
    extents: [
      { start: 0, length: 4 },
      { start: 0, length: null },
    ],
  });
  assert.throws(() => parseShapeAndSlice('10 4 0,4'), /2 dimensions but 1 extents/);
  assert.throws(() => parseShapeAndSlice('10 4 8,4:-'), /exceeds dimension 0/);
  assert.throws(() => parseShapeAndSlice('10 x 0,4:-'), /bad dimension "x"/);
  assert.throws(() => parseShapeAndSlice('10 4 0;4:-'), /bad extent "0;4"/);
});

/** A [5,3] float tensor 0..14 saved as rows [0,2) and [2,5). */
function partitioned(t: { after: (fn: () => void) => void }): TensorBundle {
  const prefix = join(tmp(t), 'v');
  const all = Float32Array.from({ length: 15 }, (_, i) => i);
  writeBundle(prefix, [
    {
      key: 'p',
      dtype: 'DT_FLOAT',
      shape: [5, 3],
      slices: [
        { extents: [{ start: 2, length: 3 }, { start: 0, length: null }], raw: bytesOf(all.subarray(6)) },
        { extents: [{ start: 0, length: 2 }, { start: 0, length: null }], raw: bytesOf(all.subarray(0, 6)) },
      ],
    },
    { key: 'whole', dtype: 'DT_INT32', shape: [3, 2], raw: bytesOf(Int32Array.of(0, 1, 2, 3, 4, 5)) },
    { key: 'holey', dtype: 'DT_FLOAT', shape: [4], slices: [{ extents: [{ start: 0, length: 2 }], raw: bytesOf(Float32Array.of(1, 2)) }] },
  ]);
  return TensorBundle.open(prefix);
}

test('a partitioned tensor reads whole, as a saved slice, and as a box across slices', (t) => {
  const b = partitioned(t);
  assert.deepEqual(b.keys(), ['holey', 'p', 'whole']);
  assert.equal(b.entry('p').slices.length, 2);
  const full = b.read('p');
  assert.deepEqual(full.shape, [5, 3]);
  assert.deepEqual([...(full.data as Float32Array)], Array.from({ length: 15 }, (_, i) => i));
  const part = b.readSlice('p', parseShapeAndSlice('5 3 2,3:0,3'));
  assert.deepEqual(part.shape, [3, 3]);
  assert.deepEqual([...(part.data as Float32Array)], [6, 7, 8, 9, 10, 11, 12, 13, 14]);
  const box = b.readSlice('p', parseShapeAndSlice('5 3 1,3:1,2'));
  assert.deepEqual(box.shape, [3, 2]);
  assert.deepEqual([...(box.data as Float32Array)], [4, 5, 7, 8, 10, 11]);
});

test('a slice of a tensor saved whole is cut out of it', (t) => {
  const b = partitioned(t);
  const s = b.readSlice('whole', parseShapeAndSlice('3 2 1,2:1,1'));
  assert.equal(s.dtype, 'DT_INT32');
  assert.deepEqual(s.shape, [2, 1]);
  assert.deepEqual([...(s.data as Int32Array)], [3, 5]);
  assert.deepEqual([...(b.readSlice('whole', null).data as Int32Array)], [0, 1, 2, 3, 4, 5]);
});

test('slices that leave a hole, or a wrong full shape, are DATA_LOSS', (t) => {
  const b = partitioned(t);
  const dataLoss = (re: RegExp) => (e: unknown) => e instanceof TfsError && e.code === Code.DATA_LOSS && re.test(e.message);
  assert.throws(() => b.read('holey'), dataLoss(/tensor "holey" slice -: the saved slices cover 2 of its 4 elements/));
  assert.throws(() => b.readSlice('p', parseShapeAndSlice('6 3 0,2:-')), dataLoss(/full shape is \[6,3\], the checkpoint has \[5,3\]/));
});

test('the partitioned zoo model: the parts put together equal the full tensor', () => {
  const b = TensorBundle.open(join(fixtures, 'zoo/models/tf1_partitioned_vars/1/variables/variables'));
  const full = b.read('big');
  assert.deepEqual(full.shape, [16400, 1]);
  const hi = b.readSlice('big', parseShapeAndSlice('16400 1 8200,8200:0,1'));
  assert.deepEqual(hi.data, (full.data as Float32Array).slice(8200));
  const emb = b.read('emb');
  const mid = b.readSlice('emb', parseShapeAndSlice('300 3 100,100:0,3'));
  assert.deepEqual(mid.data, (emb.data as Float32Array).slice(300, 600));
});
