import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatRows, concatTensors, cropInner, maxInnerShape, sliceRows, cloneTensor, ownsWholeBuffer } from '../../src/batching/tensor-ops.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { utf8, fromUtf8 } from '../../src/tensor/tensor.js';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: Float32Array.from(values) });

test('concatRows joins row slices in order and repeats the first row of the last slice as padding', () => {
  const a = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  const b = f32([2, 2], [7, 8, 9, 10]);
  const out = concatRows(
    [
      { tensor: a, start: 1, count: 2 },
      { tensor: b, start: 0, count: 2 },
    ],
    [2],
    2,
  );
  assert.deepEqual(out.shape, [6, 2]);
  assert.deepEqual([...(out.data as Float32Array)], [3, 4, 5, 6, 7, 8, 9, 10, 7, 8, 7, 8]);
  assert.ok(ownsWholeBuffer(out.data));
});

test('ragged slices are padded with the first element of their own tensor (upstream AddPadding)', () => {
  const a: Tensor = { dtype: 'DT_INT32', shape: [1, 2], data: Int32Array.of(5, 6) };
  const b: Tensor = { dtype: 'DT_INT32', shape: [2, 4], data: Int32Array.of(1, 2, 3, 4, 9, 9, 9, 9) };
  const slices = [
    { tensor: a, start: 0, count: 1 },
    { tensor: b, start: 0, count: 2 },
  ];
  const inner = maxInnerShape(slices);
  assert.deepEqual(inner, [4]);
  const out = concatRows(slices, inner, 1);
  assert.deepEqual(out.shape, [4, 4]);
  assert.deepEqual([...(out.data as Int32Array)], [5, 6, 5, 5, 1, 2, 3, 4, 9, 9, 9, 9, 1, 2, 3, 4]);
  // and crop undoes it
  const back = cropInner(sliceRows(out, 0, 1), [2]);
  assert.deepEqual([...(back.data as Int32Array)], [5, 6]);
});

test('rank-3 ragged padding and cropping round-trip', () => {
  const a: Tensor = { dtype: 'DT_FLOAT', shape: [1, 2, 1], data: Float32Array.of(1, 2) };
  const b: Tensor = { dtype: 'DT_FLOAT', shape: [1, 1, 3], data: Float32Array.of(7, 8, 9) };
  const slices = [
    { tensor: a, start: 0, count: 1 },
    { tensor: b, start: 0, count: 1 },
  ];
  const inner = maxInnerShape(slices);
  assert.deepEqual(inner, [2, 3]);
  const out = concatRows(slices, inner);
  assert.deepEqual([...(out.data as Float32Array)], [1, 1, 1, 2, 1, 1, 7, 8, 9, 7, 7, 7]);
  assert.deepEqual([...(cropInner(sliceRows(out, 0, 1), [2, 1]).data as Float32Array)], [1, 2]);
  assert.deepEqual([...(cropInner(sliceRows(out, 1, 1), [1, 3]).data as Float32Array)], [7, 8, 9]);
});

test('strings, int64, bool, complex64 and half concatenate and slice', () => {
  const s1: Tensor = { dtype: 'DT_STRING', shape: [2], data: [utf8('a'), utf8('bc')] };
  const s2: Tensor = { dtype: 'DT_STRING', shape: [1], data: [utf8('déf')] };
  const s = concatTensors([s1, s2]);
  assert.deepEqual((s.data as Uint8Array[]).map(fromUtf8), ['a', 'bc', 'déf']);
  assert.deepEqual((sliceRows(s, 1, 2).data as Uint8Array[]).map(fromUtf8), ['bc', 'déf']);
  const raggedStrings = concatRows(
    [
      { tensor: { dtype: 'DT_STRING', shape: [1, 1], data: [utf8('x')] }, start: 0, count: 1 },
      { tensor: { dtype: 'DT_STRING', shape: [1, 2], data: [utf8('p'), utf8('q')] }, start: 0, count: 1 },
    ],
    [2],
  );
  assert.deepEqual((raggedStrings.data as Uint8Array[]).map(fromUtf8), ['x', 'x', 'p', 'q']);

  const i64 = concatTensors([
    { dtype: 'DT_INT64', shape: [1], data: BigInt64Array.of(-(2n ** 62n)) },
    { dtype: 'DT_INT64', shape: [2], data: BigInt64Array.of(1n, 2n) },
  ]);
  assert.deepEqual([...(i64.data as BigInt64Array)], [-(2n ** 62n), 1n, 2n]);

  const b = concatRows([{ tensor: { dtype: 'DT_BOOL', shape: [1, 1], data: Uint8Array.of(1) }, start: 0, count: 1 }], [1], 2);
  assert.deepEqual([...(b.data as Uint8Array)], [1, 1, 1]);

  // complex64: 2 values per element; ragged padding uses the first complex element
  const c1: Tensor = { dtype: 'DT_COMPLEX64', shape: [1, 1], data: Float32Array.of(1, -1) };
  const c2: Tensor = { dtype: 'DT_COMPLEX64', shape: [1, 2], data: Float32Array.of(2, 3, 4, 5) };
  const c = concatRows(
    [
      { tensor: c1, start: 0, count: 1 },
      { tensor: c2, start: 0, count: 1 },
    ],
    [2],
  );
  assert.deepEqual([...(c.data as Float32Array)], [1, -1, 1, -1, 2, 3, 4, 5]);
  assert.deepEqual([...(cropInner(sliceRows(c, 0, 1), [1]).data as Float32Array)], [1, -1]);

  const h = concatTensors([
    { dtype: 'DT_HALF', shape: [1], data: Uint16Array.of(0x3c00) },
    { dtype: 'DT_HALF', shape: [1], data: Uint16Array.of(0xc000) },
  ]);
  assert.deepEqual([...(h.data as Uint16Array)], [0x3c00, 0xc000]);
});

test('concatTensors refuses mismatched inner shapes; sliceRows is a view; cloneTensor copies', () => {
  assert.throws(() => concatTensors([f32([1, 2], [1, 2]), f32([1, 3], [1, 2, 3])]), /cannot concatenate/);
  const t = f32([3, 1], [1, 2, 3]);
  const v = sliceRows(t, 1, 2);
  assert.equal((v.data as Float32Array).buffer, (t.data as Float32Array).buffer);
  assert.equal(ownsWholeBuffer(v.data), false);
  const c = cloneTensor(v);
  assert.notEqual((c.data as Float32Array).buffer, (t.data as Float32Array).buffer);
  assert.deepEqual([...(c.data as Float32Array)], [2, 3]);
  assert.ok(ownsWholeBuffer(c.data));
});
