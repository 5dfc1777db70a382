import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ModelServerConfig } from '../../src/config/types.js';
import { createRequestLogger, type RequestLogEntry } from '../../src/server/request-log.js';

function capture(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const model = (name: string, samplingRate?: number): ModelServerConfig['models'][number] => ({
  name,
  basePath: `/m/${name}`,
  modelPlatform: 'tensorflow',
  versionPolicy: { kind: 'latest', numVersions: 1 },
  versionLabels: {},
  ...(samplingRate === undefined ? {} : { sampling: { samplingRate } }),
});

const entry = (modelName: string, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  entrypoint: 'REST',
  api: 'predict',
  modelName,
  version: 3,
  status: 'OK',
  httpStatus: 200,
  latencyMs: 1.23456,
  ...extra,
});

test('one line per request with model, version, API, entrypoint, latency and status; counted as logged', () => {
  const { logger, lines } = capture();
  const counted: string[] = [];
  const log = createRequestLogger({ logger, config: () => ({ models: [model('a')] }), onLogged: (m) => counted.push(m) });
  log(entry('a'));
  log(entry('a', { entrypoint: 'GRPC', api: 'GetModelStatus', version: undefined, status: 'NOT_FOUND', httpStatus: undefined }));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].msg, 'REST predict a version 3: OK in 1.235 ms');
  assert.deepEqual(lines[0].request, { entrypoint: 'REST', api: 'predict', model: 'a', version: 3, status: 'OK', httpStatus: 200, latencyMs: 1.235 });
  assert.equal(lines[1].msg, 'GRPC GetModelStatus a: NOT_FOUND in 1.235 ms');
  assert.deepEqual(lines[1].request, { entrypoint: 'GRPC', api: 'GetModelStatus', model: 'a', status: 'NOT_FOUND', latencyMs: 1.235 });
  assert.deepEqual(counted, ['a', 'a']);
});

test("sampled by the model's logging_config sampling_rate (0 = never), rate 1 without one; re-read after a reload", () => {
  const { logger, lines } = capture();
  let config: ModelServerConfig = { models: [model('half', 0.5), model('never', 0), model('all')] };
  // A deterministic "random" source cycling through 0.1, 0.6.
  let i = 0;
  const random = (): number => [0.1, 0.6][i++ % 2]!;
  const counted: string[] = [];
  const log = createRequestLogger({ logger, config: () => config, random, onLogged: (m) => counted.push(m) });
  for (let n = 0; n < 10; n++) log(entry('half'));
  for (let n = 0; n < 10; n++) log(entry('never'));
  for (let n = 0; n < 3; n++) log(entry('all'));
  log(entry('', { api: 'predict', version: undefined, status: 'INVALID_ARGUMENT' }));
  assert.equal(counted.filter((m) => m === 'half').length, 5);
  assert.equal(counted.filter((m) => m === 'never').length, 0);
  assert.equal(counted.filter((m) => m === 'all').length, 3);
  assert.equal(counted.filter((m) => m === '').length, 1, 'a request naming no model is logged');
  assert.equal(lines.length, counted.length);
  config = { models: [model('never', 1)] };
  log(entry('never'));
  assert.equal(counted.at(-1), 'never');
});

test('a throwing logger never fails the request', () => {
  const logger = { info: () => { throw new Error('disk full'); } } as unknown as pino.Logger;
  const log = createRequestLogger({ logger, config: () => ({ models: [] }) });
  assert.doesNotThrow(() => log(entry('a')));
});
