import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDecimal, formatDecimalReference } from '../../src/tensor/json-writer.js';

/** Deterministic pseudo-random numbers in [0, 1) (Park-Miller), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

function assertSame(values: Iterable<number>, isFloat32: boolean): number {
  let n = 0;
  for (const v of values) {
    assert.equal(formatDecimal(v, isFloat32), formatDecimalReference(v, isFloat32), `value ${v} (bits of ${String(v)})`);
    n++;
  }
  return n;
}

test('float32 writer: one toPrecision per value gives the reference text on random bit patterns', () => {
  const r = rng(20);
  const bits = new Uint32Array(300_000);
  for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(r() * 2 ** 32) >>> 0;
  // Every float32 bit pattern is a candidate: subnormals, huge, NaN payloads, ±Infinity.
  const n = assertSame(new Float32Array(bits.buffer), true);
  assert.equal(n, 300_000);
});

test('float32 writer: the reference text on outputs-like values, short decimals and exact ties', () => {
  const r = rng(14);
  const values: number[] = [];
  for (let i = 0; i < 100_000; i++) values.push(Math.fround((r() * 2 - 1) * 10 ** Math.floor(r() * 16 - 8)));
  // Values with few fractional bits: the only ones whose 9-digit rendering can be a tie.
  for (let i = 0; i < 100_000; i++) values.push(Math.fround(Math.round((r() * 2 - 1) * 2 ** 24) / 2 ** Math.floor(r() * 22)));
  // Decimals of 1 to 8 significant digits: the %.6g round-trip boundary.
  for (let i = 0; i < 50_000; i++) values.push(Math.fround(Number((r() * 2000 - 1000).toPrecision(1 + Math.floor(r() * 8)))));
  values.push(453419.5625, 1e-45, -1e-45, 3.4028234663852886e38, 999999.5, 999999.9375, 1e6, 1.5e-5, -0.0001, 0.5, -0, 0);
  assertSame(values.map(Math.fround), true);
});

test('float32 writer: known texts (upstream WriteDecimal)', () => {
  assert.equal(formatDecimal(Math.fround(1 / 3), true), '0.333333343');
  assert.equal(formatDecimal(453419.5625, true), '453419.562'); // printf's tie to even
  assert.equal(formatDecimal(3, true), '3.0');
  assert.equal(formatDecimal(9000000, true), '9e+06');
  assert.equal(formatDecimal(Math.fround(1e-45), true), '1.4013e-45');
  assert.equal(formatDecimal(Math.fround(0.1), true), '0.1');
  assert.equal(formatDecimal(-0, true), '-0.0');
});

test('double writer: the reference text', () => {
  const r = rng(3);
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) values.push((r() * 2 - 1) * 10 ** Math.floor(r() * 40 - 20));
  assertSame(values, false);
});
