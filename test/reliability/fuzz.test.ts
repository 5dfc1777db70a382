/**
 * A REST fuzzer with a fixed seed: 2,000 generated requests (deep, wide, huge and malformed
 * bodies, odd URLs and versions, wrong methods) against a real server on loopback. No
 * request may get a 5xx or an empty error body, and afterwards the server still answers
 * correctly and says it is ready (nothing was poisoned).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';

const CASES = 2000;
const SEED = 0x5eed18;

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  method: string;
  path: string;
  body?: string | Buffer;
}

function generator(seed: number): () => Case {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const scalars = ['1', '-0', '2.5', '1e308', '1e309', 'NaN', '-Infinity', '18446744073709551616', '"a"', 'true', 'null', '{}',
    '{"b64": "AAA="}', '{"b64": 1}', '"\\ud800"', '[]', '9223372036854775807'];
  const nested = (depth: number, leaf: string): string => '['.repeat(depth) + leaf + ']'.repeat(depth);
  const wide = (n: number, leaf: string): string => `[${Array.from({ length: n }, () => leaf).join(',')}]`;
  const value = (): string => {
    switch (int(7)) {
      case 0: return pick(scalars);
      case 1: return nested(pick([1, 2, 253, 254, 255, 1000, 30_000]), pick(scalars));
      case 2: return wide(pick([0, 1, 3, 1000, 100_000]), pick(scalars));
      case 3: return wide(int(4) + 1, wide(int(4) + 1, pick(scalars)));
      case 4: return `{"x": ${wide(int(3) + 1, pick(scalars))}}`;
      case 5: return `[${wide(2, '1')}, ${wide(3, '1')}]`;
      default: return `{"${pick(['x', 'y', 'b64', ''])}": ${pick(scalars)}}`;
    }
  };
  const body = (): string | Buffer => {
    switch (int(8)) {
      case 0: return `{"instances": ${value()}}`;
      case 1: return `{"inputs": ${value()}}`;
      case 2: return `{"signature_name": ${pick(['"serving_default"', '"nope"', '1'])}, "instances": ${value()}}`;
      case 3: return `{"examples": [${pick(['{"x": [1]}', '{"x": "a"}', '1', '{"x": {"b64": "??"}}'])}]}`;
      case 4: { const s = `{"instances": ${value()}}`; return s.slice(0, int(s.length + 1)); }
      case 5: return Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      case 6: return pick(['', '{', '[]', 'null', '{"instances": [1], "inputs": [1]}', '\u0000{}']);
      default: return `{"instances": ${value()}, "instances": ${value()}}`;
    }
  };
  const path = (): string => {
    const model = pick(['half_plus_two', 'my_model', 'nope', '%zz', 'half_plus_two%2F..', '']);
    const which = pick(['', '/versions/123', '/versions/1', '/versions/9007199254740993', '/versions/99999999999999999999',
      '/labels/stable', '/labels/%ff', '/versions/-1']);
    const verb = pick([':predict', ':classify', ':regress', ':PREDICT', '', '/metadata', ':predict?x=1']);
    return `/v1/models/${model}${which}${verb}`;
  };
  return () => {
    const method = pick(['POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS', 'DELETE']);
    return method === 'POST' || method === 'PUT' ? { method, path: path(), body: body() } : { method, path: path() };
  };
}

test(`REST fuzzer: ${CASES} seeded cases, no 5xx, no empty error body, no poisoned state`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-fuzz-'));
  writeFileSync(
    join(dir, 'models.config'),
    `model_config_list { config { name: "half_plus_two" base_path: "${join(fixtures, 'models', 'half_plus_two')}" model_platform: "tensorflow" } ` +
      `config { name: "my_model" base_path: "${join(fixtures, 'models', 'my_model')}" model_platform: "tensorflow" } }`,
  );
  const s = await startServer({
    flags: parseServeFlags(['--host=127.0.0.1', '--port=0', '--rest_api_port=0', `--model_config_file=${join(dir, 'models.config')}`], {}).values,
    logger: pino({ level: 'silent' }),
  });
  const base = `http://127.0.0.1:${s.restPort}`;
  const next = generator(SEED);
  const failures: string[] = [];
  try {
    let done = 0;
    const worker = async (): Promise<void> => {
      while (done < CASES) {
        const c = next();
        done++;
        const res = await fetch(base + c.path, { method: c.method, ...(c.body === undefined ? {} : { body: c.body }) });
        const text = await res.text();
        const where = `${c.method} ${c.path} ${String(c.body ?? '').slice(0, 80)}`;
        if (res.status >= 500) failures.push(`${res.status} ${text.slice(0, 200)} <- ${where}`);
        else if (res.status >= 400 && !(c.method === 'OPTIONS' && res.status === 200)) {
          let parsed: { error?: unknown } | undefined;
          try {
            parsed = JSON.parse(text) as { error?: unknown };
          } catch {
            parsed = undefined;
          }
          if (typeof parsed?.error !== 'string' || parsed.error === '') failures.push(`${res.status} body ${JSON.stringify(text.slice(0, 100))} <- ${where}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad responses`);
    // Not poisoned: the models still compute, and readiness is true.
    const ok = await fetch(`${base}/v1/models/half_plus_two:predict`, { method: 'POST', body: '{"instances": [1, 2]}' });
    assert.deepEqual(await ok.json(), { predictions: [2.5, 3.0] });
    assert.equal(s.isReady(), true);
  } finally {
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
