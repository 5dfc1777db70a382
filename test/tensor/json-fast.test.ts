import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonInt, type JsonValue, parseJson, parseJsonExact } from '../../src/tensor/json-parser.js';
import { directNumberArray, fastNumberArray } from '../../src/tensor/json-fast.js';

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

/** directNumberArray's value for one number token (integers unwrapped), or undefined when it leaves the token to the scan. */
function direct(token: string): number | undefined {
  const b = Buffer.from(`[${token}]`);
  const got = directNumberArray(b, 0, b.length, (v, big) => new JsonInt(v, big));
  if (!got) return undefined;
  assert.equal(got.next, b.length, token);
  const v = got.value[0];
  return v instanceof JsonInt ? v.value : (v as number);
}

/** A decimal within a few units of the 16th–19th digit of the exact midpoint between `x` and the next double up (the hardest roundings). */
function nearMidpoints(x: number): string[] {
  const bits = new BigUint64Array(new Float64Array([x]).buffer)[0]!;
  const e = Number((bits >> 52n) & 0x7ffn) - 1075;
  const odd = 2n * ((bits & ((1n << 52n) - 1n)) | (1n << 52n)) + 1n; // midpoint = odd · 2^(e-1)
  const [digits, pointExp] = e - 1 >= 0 ? [(odd << BigInt(e - 1)).toString(), 0] : [(odd * 5n ** BigInt(1 - e)).toString(), e - 1];
  const out: string[] = [];
  for (const nd of [16, 17, 18, 19]) {
    if (digits.length <= nd) continue;
    const head = BigInt(digits.slice(0, nd));
    const exp = pointExp + digits.length - nd;
    for (const d of [-1n, 0n, 1n]) {
      const s = (head + d).toString();
      out.push(`${s}e${exp}`, `${s[0]}.${s.slice(1)}e${exp + s.length - 1}`);
    }
  }
  return out;
}

test('direct path: every number it takes equals JSON.parse (Object.is), over random and hard-to-round decimals', () => {
  const r = rng(31);
  let taken = 0;
  let total = 0;
  const check = (token: string): void => {
    total++;
    const got = direct(token);
    if (got === undefined) return;
    taken++;
    const want = JSON.parse(token) as number;
    // Integers: -0 is 0 (a JsonInt), as the exact parser has it.
    assert.ok(Object.is(got, /^-?\d+$/.test(token) && want === 0 ? 0 : want), `${token}: ${got} !== ${want}`);
  };
  for (let i = 0; i < 20000; i++) {
    check(JSON.stringify(Math.fround(r() * 2 - 1) * 10 ** Math.floor(r() * 20 - 8)));
    check(String((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20)));
    check(randomNumber(r));
    for (const t of nearMidpoints((r() + 0.5) * 10 ** Math.floor(r() * 30 - 8))) check(t);
  }
  for (const n of EDGE_NUMBERS) check(n);
  // It must really take most of them (else this test proves little).
  assert.ok(taken > total / 4, `${taken} of ${total}`);
});

test('direct path: takes float32 rows as clients print them, and leaves what it cannot convert exactly', () => {
  const r = rng(5);
  const row = Array.from({ length: 784 }, () => Math.fround(r() * 2 - 1));
  const b = Buffer.from(JSON.stringify(row));
  const got = directNumberArray(b, 0, b.length, (v, big) => new JsonInt(v, big));
  assert.ok(got);
  assert.deepStrictEqual(got.value, JSON.parse(b.toString()));
  for (const t of ['1e-23', '1e23', '12345678901234567890', '0.12345678901234567890', '1234567890123456', '1e100', 'NaN', '1.', '-', '01']) {
    assert.equal(direct(t), undefined, t);
  }
  for (const body of ['[]', '[1,]', '[1 2]', '[1', '[1,[2]]', '[1, "a"]']) assert.equal(directNumberArray(Buffer.from(body), 0, body.length, (v) => v), undefined, body);
  assert.deepStrictEqual(directNumberArray(Buffer.from('[1]x'), 0, 4, (v) => v), { value: [1], next: 3 });
});
