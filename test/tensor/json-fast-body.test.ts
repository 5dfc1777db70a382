import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import type { TensorSpec } from '../../src/tensor/tensor.js';
import { fastInstancesBody } from '../../src/tensor/json-fast.js';
import { parseRequestBody, predictInputsFromJson } from '../../src/tensor/json-tensor.js';
import { setRequestLimits } from '../../src/tensor/limits.js';

/** Deterministic pseudo-random numbers in [0, 1) (Park-Miller), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
}

const specs = (...dtypes: DTypeName[]): Record<string, TensorSpec> =>
  Object.fromEntries(dtypes.map((dtype, i) => [i === 0 ? 'x' : `x${i}`, { name: `x${i}:0`, dtype, shape: null }]));

/** What a predict body becomes for `sig`: tensors (format, dtype, shape, values) or the error text. */
function outcome(body: Buffer | string, sig: Record<string, TensorSpec>): unknown {
  try {
    const parsed = parseRequestBody(body);
    const { inputs, format } = predictInputsFromJson(parsed, sig);
    const tensors = Object.entries(inputs).map(([k, t]) => [k, t.dtype, t.shape, t.data.constructor.name, Array.from(t.data as ArrayLike<unknown>)]);
    return { signature: parsed.signatureName, format, tensors };
  } catch (e) {
    return { error: (e as Error).message, code: (e as { code?: number }).code };
  }
}

/** A Buffer body may take the fast scan; the same body as a string never does: both must agree. */
function assertSame(body: string, sig: Record<string, TensorSpec>): void {
  // Object.is through deepStrictEqual: -0 and 0 differ, as they do in a float32 tensor.
  assert.deepStrictEqual(outcome(Buffer.from(body), sig), outcome(body, sig), body.slice(0, 160));
}

const NUMBERS = ['0', '-0', '0.0', '-0.0', '1', '-7', '2.5', '1e-45', '3.4028235e38', '3.5e38', '1e22', '1e-22', '0.1', '100', '123456789012345', '1234567890123456', '1e400', '0.30000000000000004'];

function token(r: () => number): string {
  const pick = r();
  if (pick < 0.1) return NUMBERS[Math.floor(r() * NUMBERS.length)]!;
  if (pick < 0.5) return JSON.stringify(Math.fround(r() * 4 - 2)); // float32 values printed as doubles (≤ 17 digits)
  if (pick < 0.8) return String((r() - 0.5) * 10 ** Math.floor(r() * 30 - 15)); // any double
  return (Math.round((r() - 0.5) * 1e6) / 1e4).toString(); // short decimals
}

function rows(r: () => number, shape: number[]): string {
  const [n, ...inner] = shape;
  return `[${Array.from({ length: n! }, () => (inner.length ? rows(r, inner) : token(r))).join(r() < 0.2 ? ' , ' : ',')}]`;
}

const SIGS = [specs('DT_FLOAT'), specs('DT_DOUBLE'), specs('DT_INT32'), specs('DT_FLOAT', 'DT_FLOAT'), specs('DT_STRING')];

test('predict bodies: the fast scan gives exactly the general path\'s tensors (float32 via double) or errors', () => {
  const r = rng(7);
  let fast = 0;
  for (let k = 0; k < 1500; k++) {
    const shape = Array.from({ length: 1 + Math.floor(r() * 3) }, () => 1 + Math.floor(r() * 4));
    const inst = rows(r, shape);
    const body = r() < 0.3 ? `{ "signature_name" : "serving_default", "instances":${inst} }\n` : `{"instances": ${inst}}`;
    if (fastInstancesBody(Buffer.from(body))) fast++;
    for (const sig of SIGS) assertSame(body, sig);
  }
  assert.ok(fast > 500, `the fast scan took only ${fast} of 1500 bodies`);
});

test('predict bodies: 17-digit doubles round to float32 through the double, as the exact parser has them', () => {
  const r = rng(3);
  const values = Array.from({ length: 4000 }, () => (r() < 0.5 ? -1 : 1) * (0.1 + r()) * 2 ** Math.floor(r() * 30 - 15));
  // Near float32 midpoints too: the double sits a few double ulps from a tie.
  for (let i = 0; i < 2000; i++) {
    const f = Math.fround((r() - 0.5) * 10);
    const next = new Float32Array([f]);
    new Uint32Array(next.buffer)[0]! += 1;
    const mid = (f + next[0]!) / 2;
    values.push(mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52));
  }
  const text = values.map((v) => v.toPrecision(17));
  const body = Buffer.from(`{"instances": [${text.join(',')}]}`);
  const parsed = parseRequestBody(body);
  assert.ok(parsed.fast, 'takes the fast scan');
  const x = predictInputsFromJson(parsed, specs('DT_FLOAT')).inputs['x']!;
  assert.deepStrictEqual(Array.from(x.data as Float32Array), text.map((t) => Math.fround(Number(t))));
  assertSame(body.toString(), specs('DT_FLOAT'));
});

test('predict bodies: what the fast scan leaves to the exact parser', () => {
  const sig = specs('DT_FLOAT');
  for (const body of [
    '{"instances": [1, 2]}', // integers only: integer dtypes are converted by the general path
    '{"instances": [[1.5], []]}',
    '{"instances": []}',
    '{"instances": [[1.5, 2], [3]]}',
    '{"instances": [[1.5], 2]}',
    '{"instances": [1.5, [2]]}',
    '{"instances": [1.5, NaN]}',
    '{"instances": [1.5], "instances": [2.5]}',
    '{"instances": [1.5], "signature_name": "a\\"b"}',
    '{"instances": [1.5], "signature_name": 3}',
    '{"instances": [1.5], "other": 1}',
    '{"inputs": [1.5]}',
    '{"instances": [1.5]} x',
    '{"instances": [1.5]}\u0000',
    '\ufeff{"instances": [1.5]}',
    '{"instances": [1.5],}',
    '{"instances": [1.5,]}',
    '{"instances": [1e400]}',
    '{"instances": [12345678901234567.5]}',
    '[1.5]',
    '{"instances": [1.5]',
  ]) {
    assert.equal(fastInstancesBody(Buffer.from(body)), null, body);
    assertSame(body, sig);
  }
  for (const body of ['{"instances":[[1.5]]}', ' {\t"instances" :\r\n[ [ -0 , 2.5 ] ] , "signature_name":"s"}  ', '{"signature_name": "", "instances": [0.5]}']) {
    assert.ok(fastInstancesBody(Buffer.from(body)), body);
    for (const s of SIGS) assertSame(body, s);
  }
});

test('predict bodies: request limits give the general path\'s error, the same body taken twice gives equal tensors', () => {
  const body = `{"instances": [${Array.from({ length: 5 }, () => '[0.5, 1.5, 2.5]').join(',')}]}`;
  setRequestLimits({ maxElements: 7 });
  try {
    const got = outcome(Buffer.from(body), specs('DT_FLOAT'));
    assert.match(JSON.stringify(got), /error/);
    assert.deepStrictEqual(got, outcome(body, specs('DT_FLOAT')));
  } finally {
    setRequestLimits({});
  }
  const parsed = parseRequestBody(Buffer.from(body));
  const a = predictInputsFromJson(parsed, specs('DT_FLOAT')).inputs['x']!;
  const b = predictInputsFromJson(parsed, specs('DT_FLOAT')).inputs['x']!;
  assert.notEqual(a.data, b.data, 'a second conversion gets its own storage');
  assert.deepStrictEqual(a, b);
  assert.equal(parsed.doc.get('instances') !== undefined, true, 'the document tree is still there on demand');
});
