import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int64ToBigInt, int64ToNumber } from '../../src/tensor/tensor-proto.js';

test('int64ToNumber and int64ToBigInt agree on every protobufjs int64 form, signed Longs included', () => {
  // -2 as a signed Long: high and low words all ones but the last bit.
  const minusTwo = { low: -2, high: -1, unsigned: false };
  assert.equal(int64ToNumber(minusTwo), -2);
  assert.equal(int64ToBigInt(minusTwo), -2n);
  const big = { low: -1, high: -1, unsigned: true };
  assert.equal(int64ToBigInt(big), 2n ** 64n - 1n);
  assert.equal(int64ToBigInt({ low: 5, high: 1 }), 2n ** 32n + 5n);
  assert.equal(int64ToNumber({ low: 5, high: 1 }), 2 ** 32 + 5);
  assert.equal(int64ToBigInt('-9223372036854775808'), -(2n ** 63n));
  assert.equal(int64ToBigInt(7), 7n);
  assert.equal(int64ToNumber('42'), 42);
  assert.equal(int64ToBigInt(null), 0n);
});
