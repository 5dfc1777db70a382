/**
 * int64/uint32/uint64 constants beyond int32 (src/runtime/wide-int-policy.ts) are a problem
 * of the signatures that reach them: listed with exactly those, never wrapped.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, TfsError } from '../../src/errors.js';
import { firstBeyondInt32, refuseWideIntConsts } from '../../src/runtime/wide-int-policy.js';
import { loadSavedModelServable } from '../../src/servables/saved-model-servable.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { repoRoot } from '../helpers/paths.js';

const i64 = (v: bigint[]): Tensor => ({ dtype: 'DT_INT64', shape: [v.length], data: BigInt64Array.from(v) }) as Tensor;

test('constants outside int32 are renamed to a refusal op; variables and int32-sized values are kept', () => {
  assert.equal(firstBeyondInt32(i64([1n, -2147483648n, 2147483647n])), undefined);
  assert.equal(firstBeyondInt32(i64([0n, 2n ** 40n])), 2n ** 40n);
  assert.equal(firstBeyondInt32({ dtype: 'DT_UINT32', shape: [1], data: Uint32Array.from([2 ** 31]) } as Tensor), 2 ** 31);
  const nodes = [
    { name: 'big', op: 'Const' },
    { name: 'small', op: 'Const' },
    { name: 'var', op: 'Const' },
    { name: 'u64', op: 'Const' },
  ];
  const weights = new Map<string, Tensor>([
    ['big', i64([-(2n ** 63n)])],
    ['small', i64([5n])],
    ['var', i64([2n ** 40n])],
    ['u64', { dtype: 'DT_UINT64', shape: [], data: BigUint64Array.from([2n ** 64n - 1n]) } as Tensor],
  ]);
  assert.deepEqual([...refuseWideIntConsts(nodes, weights, (n) => n === 'var')], ['big', 'u64']);
  assert.deepEqual(nodes.map((n) => n.op), ['Const int64 beyond int32', 'Const', 'Const', 'Const uint64 beyond int32']);
});

test('the load error lists such a constant with the signatures that need it, not every signature', async () => {
  const dir = join(repoRoot, 'fixtures', 'zoo', 'models', 'dtype_int64', '1');
  const logger = { info() {}, warn() {}, debug() {}, error() {}, child: () => logger } as never;
  await assert.rejects(loadSavedModelServable('m', 1, dir, { backend: 'cpu', logger, refusePartialModels: true }), (e: unknown) => {
    assert.ok(e instanceof TfsError);
    assert.equal(e.code, Code.UNIMPLEMENTED);
    assert.match(e.message, /Const int64 beyond int32 \(needed by compare, range_from_int64\)/);
    assert.doesNotMatch(e.message, /does not fit in int32/);
    return true;
  });
});
