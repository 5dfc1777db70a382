import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputArena, type SharedTensor, unpackInputs } from '../../src/batching/worker-protocol.js';
import { type Tensor, utf8 } from '../../src/tensor/tensor.js';

const f32 = (n: number, seed: number): Tensor => ({ dtype: 'DT_FLOAT', shape: [n], data: Float32Array.from({ length: n }, (_, i) => i * 0.5 + seed) });

test('arena: numeric inputs cross as views of one shared buffer, strings as they are; the caller keeps its arrays', () => {
  const arena = new InputArena();
  const inputs: Record<string, Tensor> = {
    a: f32(3, 1),
    b: { dtype: 'DT_INT64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 7n]) },
    s: { dtype: 'DT_STRING', shape: [1], data: [utf8('ü')] },
    h: { dtype: 'DT_HALF', shape: [1], data: Uint16Array.from([0x3c00]) },
  };
  const wire = arena.pack(inputs);
  const shared = ['a', 'b', 'h'].map((k) => (wire[k] as SharedTensor).shared);
  assert.ok(shared.every((s) => s.buffer === shared[0]!.buffer && s.buffer instanceof SharedArrayBuffer));
  assert.ok(shared.every((s) => s.byteOffset % 8 === 0), 'every view is 8-byte aligned (BigInt64Array needs it)');
  assert.equal(wire.s, inputs.s);
  const back = unpackInputs(structuredClone(wire));
  assert.deepEqual(back, inputs);
  assert.equal((inputs.a!.data as Float32Array).byteLength, 12, 'the caller\'s array is copied, not moved');
});

test('arena: it grows for a bigger batch, and the next batch overwrites the last one in place', () => {
  const arena = new InputArena();
  const first = arena.pack({ x: f32(10, 0) });
  const big = arena.pack({ x: f32(100_000, 3) });
  assert.deepEqual([...(unpackInputs(big).x!.data as Float32Array).subarray(0, 3)], [3, 3.5, 4]);
  assert.notEqual((big.x as SharedTensor).shared.buffer, (first.x as SharedTensor).shared.buffer);
  const again = arena.pack({ x: f32(10, 9) });
  assert.equal((again.x as SharedTensor).shared.buffer, (big.x as SharedTensor).shared.buffer, 'a smaller batch reuses the grown buffer');
  assert.equal((unpackInputs(big).x!.data as Float32Array)[0], 9, 'the worker answered the last batch before this one was packed');
});

test('arena: inputs over its limit, or with no numeric values, are left to structured clone', () => {
  const arena = new InputArena(1024);
  const over = arena.pack({ x: f32(300, 0) });
  assert.ok(!('shared' in over.x!));
  const strings = arena.pack({ s: { dtype: 'DT_STRING', shape: [0], data: [] } });
  assert.ok(!('shared' in strings.s!));
});
