/**
 * Drain counting: 24 REST and 24 gRPC predicts are in flight (held in a batching queue
 * with a 10-minute timeout, or waiting for a gRPC call slot) when the drain starts, and every one of them gets its answer:
 * 0 lost. Around them:
 * - idle keep-alive REST connections are closed by the server as the drain starts, and a
 *   request sent on the same keep-alive agent afterwards gets a 503 with
 *   `Connection: close` (never a reset);
 * - every gRPC session gets a GOAWAY; a new gRPC call is refused with UNAVAILABLE;
 * - an open health Watch stream does not hold the exit: once the counted calls are done
 *   the leftover session is closed, long before the hour-long grace period.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect as h2connect } from 'node:http2';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';
import { call, connect, makeNdarray, makeTensorProto } from '../server/grpc/client.js';

const N_REST = 24;
const N_GRPC = 24;
const KEEP_ALIVE = 4;
/** --grpc_max_threads: 16 gRPC calls wait in the batching queue, the other 8 in the call limiter's. */
const GRPC_THREADS = 16;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

function send(port: number, method: string, path: string, body: string | undefined, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      const socket = res.socket as Socket;
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, socket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A predict whose body is still arriving once the server answered 100-continue: in flight, held by the test. */
async function held(port: number): Promise<{ finish(): void; answer: Promise<Answer> }> {
  const body = '{"instances": [[100]]}';
  const req = request({
    host: '127.0.0.1', port, path: '/v1/models/half_plus_two:predict', method: 'POST', agent: false,
    headers: { 'content-length': body.length, expect: '100-continue' },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const socket = res.socket as Socket;
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, socket }));
    });
    req.on('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return { finish: () => req.end(body), answer };
}

test('drain: every REST and gRPC request in flight is answered (0 lost), keep-alive clients get 503 not resets, gRPC gets GOAWAY, the exit does not wait for Watch streams', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-drain-count-'));
  writeFileSync(join(dir, 'batching.config'), 'max_batch_size { value: 1000 } batch_timeout_micros { value: 600000000 } max_enqueued_batches { value: 100 } num_batch_threads { value: 1 }');
  const s = await startServer({
    flags: parseServeFlags(
      ['--host=127.0.0.1', '--port=0', '--rest_api_port=0', '--model_name=half_plus_two',
        `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`, '--enable_batching', '--enable_grpc_healthcheck_service', `--grpc_max_threads=${GRPC_THREADS}`,
        `--batching_parameters_file=${join(dir, 'batching.config')}`],
      {},
    ).values,
    logger: pino({ level: 'silent' }),
  });
  const port = s.restPort!;
  const clients = connect(s.grpcPort!);
  const agents = Array.from({ length: KEEP_ALIVE }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const raw = h2connect(`http://127.0.0.1:${s.grpcPort}`);
  raw.on('error', () => undefined); // destroyed by the server at the end
  try {
    // Keep-alive connections, idle when the drain starts.
    const warm = await Promise.all(agents.map((a) => send(port, 'GET', '/v1/models/half_plus_two', undefined, a)));
    assert.deepEqual(warm.map((w) => w.status), agents.map(() => 200));
    const idleClosed = Promise.all(warm.map((w) => new Promise<void>((resolve) => w.socket.once('close', () => resolve()))));
    // A health Watch stream on a raw HTTP/2 session: open until the server closes it.
    const watch = raw.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc', te: 'trailers' });
    watch.on('error', () => undefined);
    watch.end(Buffer.alloc(5));
    await new Promise<void>((resolve) => watch.once('data', () => resolve()));
    const goaway = new Promise<void>((resolve) => raw.once('goaway', () => resolve()));

    const rest = Array.from({ length: N_REST }, (_, i) => send(port, 'POST', '/v1/models/half_plus_two:predict', `{"instances": [[${i}]]}`, false));
    const rpc = Array.from({ length: N_GRPC }, (_, i) =>
      call(clients.prediction, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [i]) } }));
    for (;;) {
      const text = await s.metrics.registry.getSingleMetricAsString('tfs_batching_queued_requests');
      if (new RegExp(`\\} ${N_REST + GRPC_THREADS}$`, 'm').test(text)) break;
      await new Promise((r) => setImmediate(r));
    }
    const hold = await held(port);

    // An hour's grace: nothing below may wait for it.
    const closed = s.shutdown(3_600_000);

    const restAnswers = await Promise.all(rest);
    const rpcAnswers = await Promise.all(rpc);
    const lost = [
      ...restAnswers.filter((a, i) => a.status !== 200 || JSON.parse(a.body).predictions[0][0] !== i / 2 + 2),
      ...rpcAnswers.filter((a, i) => a.err !== null || makeNdarray(a.res.outputs.y).values[0] !== i / 2 + 2),
    ];
    assert.equal(lost.length, 0, `${lost.length} of ${N_REST + N_GRPC} in-flight requests lost`);
    for (const a of restAnswers) assert.equal(a.headers['connection'], 'close');

    await goaway;
    await idleClosed;
    // The same keep-alive agents after the drain started: a fresh connection, a 503 that closes it.
    const after = await Promise.all(agents.map((a) => send(port, 'POST', '/v1/models/half_plus_two:predict', '{"instances": [[1]]}', a)));
    for (const a of after) {
      assert.equal(a.status, 503);
      assert.equal(a.headers['connection'], 'close');
      assert.deepEqual(JSON.parse(a.body), { error: 'Server is shutting down' });
    }
    const refused = await call(clients.prediction, 'Predict', { model_spec: { name: 'half_plus_two' }, inputs: { x: makeTensorProto('DT_FLOAT', [1], [1]) } });
    assert.equal(refused.err?.code, grpc.status.UNAVAILABLE);

    hold.finish();
    const last = await hold.answer;
    assert.equal(last.status, 200);
    assert.deepEqual(JSON.parse(last.body), { predictions: [[52]] });
    await closed;
    assert.equal(raw.destroyed || raw.closed, true);
  } finally {
    raw.destroy();
    clients.close();
    for (const a of agents) a.destroy();
    await s.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
