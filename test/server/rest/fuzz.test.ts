/**
 * Malformed input never crashes the REST server or leaks: random and mutated bodies and
 * URLs always get a JSON answer with a 4xx/5xx code from the table, handles are all
 * released, and the heap does not grow with thousands of bad requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildRestApp } from '../../../src/server/rest/app.js';
import { fakeCoreWithHalfPlusTwo } from '../../helpers/fake-core.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const SEEDS = [
  '{"instances": [2.0, 3.0, 4.0]}',
  '{"inputs": {"x": [[1.0], [2.0]]}}',
  '{"signature_name": "multi_out", "instances": [1, 2]}',
  '{"signature_name": "echo_bytes", "instances": [{"b64": "aGk="}, "x"]}',
  '{"signature_name": "two_inputs", "instances": [{"a": [1], "b": [2]}]}',
  '{"signature_name": "classify_x_to_y", "context": {"y": [1, 2]}, "examples": [{"x": 2.0}, {"x": [1.5], "s": "t"}]}',
];
const TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'NaN', '-Infinity', '1e999', '18446744073709551616', 'null', 'true', '{"b64": "!!"}', '\u0000', '\ud800', '[[[[[[[[', '"instances"', '"inputs"', '"signature_name"', '"examples"'];

function mutate(seed: string, r: () => number): string {
  let s = seed;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.4) s = s.slice(0, pos) + TOKENS[Math.floor(r() * TOKENS.length)]! + s.slice(pos);
    else if (op < 0.7) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(r() * 5));
    else s = s.slice(0, pos) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(pos);
  }
  return s;
}

const ALLOWED = new Set([200, 400, 404, 501, 504]);

test('mutated and random bodies and URLs always get an upstream-style answer', async () => {
  const core = fakeCoreWithHalfPlusTwo();
  const app = buildRestApp({ core, restApiTimeoutMs: 2000 });
  const r = rng(7);
  const urls = ['/v1/models/half_plus_two:predict', '/v1/models/half_plus_two:classify', '/v1/models/half_plus_two:regress'];
  for (let i = 0; i < 1500; i++) {
    const body = mutate(SEEDS[Math.floor(r() * SEEDS.length)]!, r);
    const url = urls[Math.floor(r() * urls.length)]!;
    const res = await app.inject({ method: 'POST', url, payload: body });
    assert.ok(ALLOWED.has(res.statusCode), `${res.statusCode} for ${url} ${JSON.stringify(body)}: ${res.body}`);
    if (res.statusCode !== 200) assert.match(res.body, /^\{\n {4}"error": "/, `${url} ${JSON.stringify(body)}`);
  }
  const pathChars = '/:%?#v1modelsversionslabelspredict0123456789AZaz.-_~+';
  for (let i = 0; i < 500; i++) {
    let url = '/v1/models/';
    const n = Math.floor(r() * 30);
    for (let k = 0; k < n; k++) url += pathChars[Math.floor(r() * pathChars.length)];
    const method = r() < 0.5 ? 'GET' : 'POST';
    const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: '{"instances": [1.0]}' } : {}) });
    assert.ok([200, 400, 404].includes(res.statusCode), `${res.statusCode} ${method} ${url}: ${res.body}`);
  }
  assert.equal(core.held, 0);
});

test('thousands of bad requests do not grow the heap', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const core = fakeCoreWithHalfPlusTwo();
  const app = buildRestApp({ core });
  const big = `{"instances": [${Array.from({ length: 2000 }, (_, i) => `[${i}.5]`).join(',')}, "bad"]}`;
  const deep = `{"instances": ${'['.repeat(20000)}`;
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/models/half_plus_two:predict', payload: i % 2 ? big : deep });
      assert.equal(res.statusCode, 400);
    }
  };
  await run(200); // warm up
  gc();
  const before = process.memoryUsage().heapUsed;
  await run(1000);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 16 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`);
  assert.equal(core.held, 0);
});
