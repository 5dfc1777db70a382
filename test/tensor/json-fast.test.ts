import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonInt, type JsonValue, parseJson, parseJsonExact } from '../../src/tensor/json-parser.js';
import { fastNumberArray } from '../../src/tensor/json-fast.js';

/** Deterministic pseudo-random numbers in [0, 1) (Park-Miller), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

/** The outcome of parsing: the value, or the error text (offsets included). */
function outcome(parse: (b: string) => JsonValue, body: string): { value?: JsonValue; error?: string } {
  try {
    return { value: parse(body) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Both paths agree on `body`: same values (Object.is: -0 is not 0), same JsonInt/bigint, or the same error. */
function assertSame(body: string): void {
  assert.deepStrictEqual(outcome(parseJson, body), outcome(parseJsonExact, body), body.slice(0, 200));
}

const EDGE_NUMBERS = [
  '0', '-0', '0.0', '-0.0', '1e-45', '-1e-45', '1.4e-45', '3.4028235e38', '1e22', '1e23', '1e-22', '1e-23', '5e-324', '1e99', '-1e99',
  '2.2250738585072014e-308', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '123456789012345',
  '1234567890123456', '9223372036854775807', '-9223372036854775808', '-9223372036854775809', '18446744073709551615',
  '18446744073709551616', '123456789012345678901234567890', '0.1', '0.30000000000000004', '1E5', '1e+5', '1e-5', '2.5E-3',
  '1e308', '1e309', '-1e400', '1e-400', '0.000001', '123.456e7', '7.0', '100', '-42',
];

function randomNumber(r: () => number): string {
  const pick = r();
  if (pick < 0.15) return EDGE_NUMBERS[Math.floor(r() * EDGE_NUMBERS.length)]!;
  const sign = r() < 0.3 ? '-' : '';
  const digits = (n: number): string => Array.from({ length: n }, (_, i) => String(Math.floor(r() * 10) || (i === 0 ? 1 : 0))).join('');
  if (pick < 0.4) return `${sign}${digits(1 + Math.floor(r() * 22))}`; // integers, up to past uint64
  if (pick < 0.8) return `${sign}${r() < 0.2 ? '0' : digits(1 + Math.floor(r() * 4))}.${digits(1 + Math.floor(r() * 19))}`;
  const exp = `${r() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(r() * 3)]}${Math.floor(r() * (r() < 0.1 ? 500 : 40))}`;
  return `${sign}${digits(1 + Math.floor(r() * 3))}${r() < 0.5 ? `.${digits(1 + Math.floor(r() * 8))}` : ''}${exp}`;
}

const WS = ['', '', '', ' ', '\n', '\t', '\r\n  '];

function randomArray(r: () => number, depth: number): string {
  const ws = (): string => WS[Math.floor(r() * WS.length)]!;
  const n = 1 + Math.floor(r() * 6);
  const items = Array.from({ length: n }, () => (depth > 0 && r() < 0.4 ? randomArray(r, depth - 1) : randomNumber(r)));
  return `[${ws()}${items.join(`${ws()},${ws()}`)}${ws()}]`;
}

/** Small damage that the exact path must judge: both paths must then agree on the error. */
function damage(r: () => number, s: string): string {
  const i = Math.floor(r() * s.length);
  const edits = [
    () => s.slice(0, i), // truncated
    () => `${s.slice(0, i)},${s.slice(i)}`,
    () => `${s.slice(0, i)}]${s.slice(i)}`,
    () => `${s.slice(0, i)}NaN${s.slice(i)}`,
    () => `${s.slice(0, i)}"x"${s.slice(i)}`,
    () => `${s.slice(0, i)}.${s.slice(i)}`,
    () => `${s.slice(0, i)}[]${s.slice(i)}`,
    () => `${s.slice(0, i)}\u0000${s.slice(i)}`,
    () => `${s.slice(0, i)}-Infinity${s.slice(i)}`,
  ];
  return edits[Math.floor(r() * edits.length)]!();
}

test('fast path: random numeric arrays parse to exactly what the exact parser gives', () => {
  const r = rng(20);
  for (let k = 0; k < 3000; k++) {
    const arr = randomArray(r, 3);
    assertSame(arr);
    assertSame(`{"instances": ${arr}, "signature_name": "s"}`);
    assertSame(`{"inputs": {"a": ${arr}, "b": [${randomNumber(r)}]}}`);
  }
});

test("fast path: damaged bodies give the exact parser's error (text and offset) or value", () => {
  const r = rng(14);
  for (let k = 0; k < 3000; k++) assertSame(damage(r, `{"instances": ${randomArray(r, 2)}}`));
});

test('fast path: edge cases, one by one and together', () => {
  for (const n of EDGE_NUMBERS) {
    assertSame(`[${n}]`);
    assertSame(`[[${n}], [ ${n} ,${n}\n]]`);
  }
  assertSame(`[${EDGE_NUMBERS.join(',')}]`);
  for (const body of ['[]', '[[]]', '[[1],[]]', '[1,]', '[,1]', '[1 2]', '[01]', '[1.]', '[.5]', '[1e]', '[+1]', '[- 1]', '[1]x', '[1]  [2]', '[1', '[[1]', '  [1]  ', '\ufeff[1]']) {
    assertSame(body);
  }
  assertSame(`${'['.repeat(40)}1${']'.repeat(40)}`);
});

test('fast path: takes the usual payloads (it is really used), integers as JsonInt, -0 kept', () => {
  const b = Buffer.from('[1, -0, -0.0, 2.5 , 18446744073709551615,1e-45] tail');
  const fast = fastNumberArray(b, 0, b.length, (v, big) => new JsonInt(v, big));
  assert.ok(fast, 'a plain numeric array takes the fast path');
  assert.equal(fast.next, b.indexOf(']') + 1);
  assert.deepStrictEqual(fast.value, [new JsonInt(1, null), new JsonInt(0, null), -0, 2.5, new JsonInt(2 ** 64, 18446744073709551615n), 1e-45]);
  // Rows of a nested body each take it; the enclosing array does not.
  const nested = Buffer.from('[[1], [2]]');
  assert.equal(fastNumberArray(nested, 0, nested.length, (v, big) => new JsonInt(v, big)), null);
  assert.ok(fastNumberArray(nested, 1, nested.length, (v, big) => new JsonInt(v, big)));
  assert.equal(fastNumberArray(Buffer.from('[1, NaN]'), 0, 8, (v, big) => new JsonInt(v, big)), null);
  assert.equal(fastNumberArray(Buffer.from('[1e400]'), 0, 7, (v, big) => new JsonInt(v, big)), null);
});
