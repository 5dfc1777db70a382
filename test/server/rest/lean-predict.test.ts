/**
 * The lean `:predict` path (app.ts installLeanPredict) against the fastify path: the same
 * requests, over real sockets, to an app with the lean path and one without, must get the
 * same status, the same headers (names as written, in order; only Date may differ) and the
 * same body, and report the same to metrics. Requests the lean path must not take (gzip,
 * queries, other methods, drain) are checked to reach fastify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type RestAppOptions, type RestRequestInfo, buildRestApp, listenRest } from '../../../src/server/rest/app.js';
import { type RestDrain, createRestDrain } from '../../../src/server/rest/drain-plugin.js';
import { FakeCore, halfPlusTwo, tutorialMlp } from '../../helpers/fake-core.js';

interface Raw {
  status: number;
  headers: string[];
  body: string;
}

function send(port: number, agent: Agent, path: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent, headers: headers['transfer-encoding'] ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        // Date is the only header that may differ between two answers.
        const h: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() !== 'date') h.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Served {
  port: number;
  /** Requests fastify saw (its onRequest hook). */
  viaFastify: () => number;
  infos: Omit<RestRequestInfo, 'latencySeconds'>[];
  /** Runs of half_plus_two's servable so far. */
  runs: () => number;
}

async function serve(t: { after(fn: () => unknown): void }, lean: boolean, extra: Partial<RestAppOptions> = {}, drain?: RestDrain): Promise<Served> {
  const core = new FakeCore().addServable(tutorialMlp('my_model', 1)).addServable(tutorialMlp('my_model', 2), { stable: 2 }).addServable(halfPlusTwo());
  const infos: Served['infos'] = [];
  const app = buildRestApp({
    core,
    leanPredict: lean,
    bodyLimit: 4096,
    metrics: { onRequest: ({ latencySeconds: _l, ...rest }) => infos.push(rest) },
    ...extra,
    ...(drain ? { admission: drain.admission } : {}),
  });
  let seen = 0;
  app.addHook('onRequest', (_req, _reply, done) => {
    seen++;
    done();
  });
  // After the counting hook: the drain's refusal ends the hook chain.
  if (drain) await app.register(drain.plugin);
  const port = await listenRest(app, 0, '127.0.0.1');
  t.after(() => app.close());
  const servable = [...core.models.get('half_plus_two')!.versions.values()][0]!.servable!;
  return { port, viaFastify: () => seen, infos, runs: () => servable.runs };
}

const mlpRows = JSON.stringify({ instances: Array.from({ length: 5 }, (_, r) => Array.from({ length: 10 }, (_, c) => Math.sin(r * 10 + c))) });

/** [path, body, lean path expected to take it] */
const CASES: [string, string, boolean][] = [
  ['/v1/models/half_plus_two:predict', '{"instances": [[2.0], [3.5]]}', true],
  ['/v1/models/half_plus_two:predict', '{"inputs": {"x": [1, 2.5]}}', true],
  ['/v1/models/my_model:predict', mlpRows, true],
  ['/v1/models/my_model/versions/1:predict', mlpRows, true],
  ['/v1/models/my_model/labels/stable:predict', mlpRows, true],
  // Client errors: the same texts and statuses.
  ['/v1/models/nope:predict', '{"instances": [1]}', true],
  ['/v1/models/my_model/versions/7:predict', mlpRows, true],
  ['/v1/models/my_model/labels/canary:predict', mlpRows, true],
  ['/v1/models/half_plus_two:predict', '{"instances": [1', true],
  ['/v1/models/half_plus_two:predict', '{"instances": [[1], [2, 3]]}', true],
  ['/v1/models/half_plus_two:predict', '{"signature_name": "nope", "instances": [1]}', true],
  ['/v1/models/half_plus_two:predict', '{}', true],
  ['/v1/models/half_plus_two:predict', '[1, 2]', true],
  ['/v1/models/my_model:predict', '{"instances": [[1, 2]]}', true],
  // Left to fastify: a query, case, escapes, another verb, an empty body, a body over the limit.
  ['/v1/models/half_plus_two:predict?x=1', '{"instances": [1]}', false],
  ['/V1/models/half_plus_two:predict', '{"instances": [1]}', false],
  ['/v1/models/half%5Fplus_two:predict', '{"instances": [1]}', false],
  ['/v1/models/half_plus_two:regress', '{"examples": [{"x": 1}]}', false],
  ['/v1/models/half_plus_two:predict', '', false],
  ['/v1/models/half_plus_two:predict', `{"instances": [${'1,'.repeat(3000)}1]}`, false],
];

for (const cors of [false, true]) {
  test(`lean :predict answers as fastify does, byte for byte${cors ? ' (CORS on)' : ''}`, async (t) => {
    const lean = await serve(t, true, { enableCors: cors });
    const plain = await serve(t, false, { enableCors: cors });
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    for (const [path, body, takes] of CASES) {
      const before = lean.viaFastify();
      const a = await send(lean.port, agent, path, body);
      const b = await send(plain.port, agent, path, body);
      assert.deepEqual(a, b, `${path} ${body.slice(0, 40)}`);
      assert.equal(lean.viaFastify() - before, takes ? 0 : 1, `${path}: lean path ${takes ? 'should' : 'should not'} take it`);
    }
    assert.deepEqual(lean.infos, plain.infos);
    assert.ok(lean.infos.some((i) => i.codeName === 'OK' && i.kind === 'predict' && i.version === 2));
  });
}

test('lean :predict leaves gzip, chunked and non-POST requests to fastify, with the same answers', async (t) => {
  const lean = await serve(t, true);
  const plain = await serve(t, false);
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const gz = gzipSync('{"instances": [[2.0]]}');
  const reqs: [string, string | Buffer, Record<string, string>, string][] = [
    ['/v1/models/half_plus_two:predict', gz, { 'content-encoding': 'gzip' }, 'POST'],
    ['/v1/models/half_plus_two:predict', '{"instances": [1]}', { 'transfer-encoding': 'chunked' }, 'POST'],
    ['/v1/models/half_plus_two:predict', '{"instances": [1]}', {}, 'PUT'],
  ];
  for (const [path, body, headers, method] of reqs) {
    const before = lean.viaFastify();
    const a = await send(lean.port, agent, path, body, headers, method);
    const b = await send(plain.port, agent, path, body, headers, method);
    assert.deepEqual(a, b, `${method} ${path} ${JSON.stringify(headers)}`);
    assert.equal(lean.viaFastify() - before, 1);
  }
});

test('lean :predict during a drain: counted while running, then refused as fastify refuses', async (t) => {
  let draining = false;
  const drains = [createRestDrain(() => draining), createRestDrain(() => draining)];
  const lean = await serve(t, true, {}, drains[0]);
  const plain = await serve(t, false, {}, drains[1]);
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const running = send(lean.port, agent, '/v1/models/half_plus_two:predict', '{"signature_name": "slow", "instances": [150]}');
  while (lean.runs() === 0) await new Promise((r) => setImmediate(r));
  const state = await Promise.race([drains[0]!.idle().then(() => 'idle'), new Promise((r) => setImmediate(() => r('busy')))]);
  assert.equal(state, 'busy', 'the drain waits for a lean-path request');
  assert.equal((await running).status, 200);
  await drains[0]!.idle();
  draining = true;
  const before = lean.viaFastify();
  const a = await send(lean.port, agent, '/v1/models/half_plus_two:predict', '{"instances": [1]}');
  const b = await send(plain.port, agent, '/v1/models/half_plus_two:predict', '{"instances": [1]}');
  assert.equal(lean.viaFastify() - before, 1, 'a request during the drain goes to fastify');
  assert.deepEqual(a, b);
  assert.equal(a.status, 503);
  assert.ok(a.headers.includes('connection: close'), a.headers.join('; '));
});
