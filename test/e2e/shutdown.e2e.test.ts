/**
 * SIGTERM / SIGINT end to end. Requests wait in a batching queue with a long
 * batch_timeout_micros when the signal arrives (a drain flushes them at once), and one REST
 * request is held in flight by its unfinished body (the server has its headers once it
 * answers `Expect: 100-continue`), so the drain is still under way while the test looks at
 * readiness and refusals, without any sleep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { call, connect, makeNdarray, makeTensorProto, type CallResult } from '../server/grpc/client.js';
import { fixtures } from '../helpers/paths.js';
import { eventually, getJson, postJson, startServe, type Serve } from './serve-harness.js';

const HALF_PLUS_TWO = join(fixtures, 'models', 'half_plus_two');

/** Writes the batching (batches wait up to `timeoutMicros` to fill) and monitoring configs. */
function configs(dir: string, timeoutMicros: number): string[] {
  writeFileSync(
    join(dir, 'batching.config'),
    `max_batch_size { value: 64 }\nbatch_timeout_micros { value: ${timeoutMicros} }\nmax_enqueued_batches { value: 100 }\nnum_batch_threads { value: 1 }\n`,
  );
  writeFileSync(join(dir, 'monitoring.config'), 'prometheus_config { enable: true path: "/metrics" }\n');
  return [
    '--model_name=half_plus_two',
    `--model_base_path=${HALF_PLUS_TWO}`,
    '--enable_batching',
    `--batching_parameters_file=${join(dir, 'batching.config')}`,
    `--monitoring_config_file=${join(dir, 'monitoring.config')}`,
  ];
}

/** Resolves once `n` requests wait in half_plus_two's batching queue (tfs_batching_queued_requests). */
function queued(s: Serve, n: number): Promise<true> {
  return eventually(
    `${n} queued requests`,
    async () => {
      const text = await (await fetch(`${s.rest}/metrics`)).text();
      return new RegExp(`^tfs_batching_queued_requests\\{model_name="half_plus_two"\\} ${n}$`, 'm').test(text) ? true : undefined;
    },
    30_000,
    50,
  );
}

interface HeldRequest {
  /** Sends the rest of the body. */
  finish(): void;
  readonly response: Promise<{ status: number; body: any }>;
}

/** A predict whose body is still arriving: in flight once the server has answered 100-continue. */
async function holdPredict(restUrl: string, x: number): Promise<HeldRequest> {
  const body = JSON.stringify({ instances: [[x]] });
  const url = new URL(`${restUrl}/v1/models/half_plus_two:predict`);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { 'content-length': body.length, expect: '100-continue' },
  });
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  response.catch(() => undefined); // the SIGINT test expects it to fail
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return { finish: () => req.end(body), response };
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;
const healthPkg = protoLoader.loadSync('health/v1/health.proto', {
  includeDirs: [dirname(dirname(dirname(healthProtoPath)))],
  keepCase: true,
  enums: String,
});
const Health = (grpc.loadPackageDefinition(healthPkg) as any).grpc.health.v1.Health as Ctor;

describe('SIGTERM with requests in flight', { timeout: 120_000 }, () => {
  let dir: string;
  let s: Serve;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tfs-e2e-shutdown-'));
    // Batches wait 8 s to fill: the requests below are still in flight while the test sends
    // SIGTERM and checks readiness, even on a slow machine.
    s = await startServe([...configs(dir, 8_000_000), '--enable_grpc_healthcheck_service', '--shutdown_grace_period_ms=30000']);
  });
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('every in-flight REST and gRPC request gets its full answer; readiness flips at once; exit code 0', async () => {
    const health = new Health(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
    const watch = (health as any).Watch({ service: '' });
    const statuses: string[] = [];
    let notServing!: () => void;
    const sawNotServing = new Promise<void>((r) => (notServing = r));
    let serving!: () => void;
    const sawServing = new Promise<void>((r) => (serving = r));
    watch.on('data', (m: { status: string }) => {
      statuses.push(m.status);
      if (m.status === 'SERVING') serving();
      if (m.status === 'NOT_SERVING') notServing();
    });
    watch.on('error', () => undefined); // cancelled below
    await sawServing;

    const clients = connect(s.grpcPort);
    const xs = [1, 2, 3, 4, 5, 6];
    const rest = xs.slice(0, 3).map((x) => postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[x]] }));
    const grpcCalls: Promise<CallResult>[] = xs.slice(3).map((x) =>
      call(
        clients.prediction,
        'Predict',
        { model_spec: { name: 'half_plus_two' }, inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [x]) } },
        60_000,
      ),
    );
    await queued(s, xs.length);
    const held = await holdPredict(s.rest, 7);
    const ready = await fetch(`${s.rest}/readyz`);
    assert.equal(ready.status, 200);

    s.child.kill('SIGTERM');
    await s.waitForLog((l) => l.msg?.startsWith('Received SIGTERM: draining') === true, 20_000, 'drain start');
    // Readiness is false as soon as the drain starts, while a request is still in flight.
    await sawNotServing;
    const readyz = await fetch(`${s.rest}/readyz`);
    assert.equal(readyz.status, 503);
    assert.deepEqual(await readyz.json(), { ready: false });
    // New work is refused.
    const refused = await postJson(`${s.rest}/v1/models/half_plus_two:predict`, { instances: [[9]] });
    assert.deepEqual(refused, { status: 503, body: { error: 'Server is shutting down' } });
    watch.cancel();
    health.close();

    // The queued batch ran when the drain started; the held request finishes now.
    held.finish();
    assert.deepEqual(await held.response, { status: 200, body: { predictions: [[5.5]] } });
    const restResults = await Promise.all(rest);
    restResults.forEach((r, i) => assert.deepEqual(r, { status: 200, body: { predictions: [[0.5 * xs[i]! + 2]] } }));
    const grpcResults = await Promise.all(grpcCalls);
    grpcResults.forEach((r, i) => {
      assert.equal(r.err, null, r.err?.details);
      assert.equal(r.res.model_spec.version.value, '123');
      assert.deepEqual(makeNdarray(r.res.outputs.y).values, [0.5 * xs[3 + i]! + 2]);
    });
    clients.close();

    assert.equal(await s.exited, 0, s.output().stderr.slice(-3000));
    assert.ok(s.logs.some((l) => l.msg === 'Server stopped'));
    assert.deepEqual(statuses.slice(0, 2), ['SERVING', 'NOT_SERVING']);
  });
});

describe('a second SIGINT exits at once', { timeout: 120_000 }, () => {
  let dir: string;
  let s: Serve;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tfs-e2e-sigint-'));
    // A request held in flight and a 60 s grace period: only the second signal ends the drain.
    s = await startServe([...configs(dir, 60_000_000), '--shutdown_grace_period_ms=60000']);
  });
  after(async () => {
    await s?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first SIGINT drains (waiting for the in-flight request), the second exits without waiting', async () => {
    const held = await holdPredict(s.rest, 1);
    const pending = held.response.then(
      (r) => r,
      (e: unknown) => e,
    );
    s.child.kill('SIGINT');
    await s.waitForLog((l) => l.msg?.startsWith('Received SIGINT: draining') === true, 20_000, 'drain start');
    const started = Date.now();
    s.child.kill('SIGINT');
    const code = await s.exited;
    assert.equal(code, 130);
    assert.ok(Date.now() - started < 20_000, 'exited without waiting for the request or the grace period');
    assert.ok(s.logs.some((l) => l.msg === 'Received SIGINT again: exiting now'));
    // The request still in flight was cut off (the process is gone), not answered.
    assert.ok((await pending) instanceof Error);
    assert.equal((await getJson(`${s.rest}/readyz`).catch((e: unknown) => e)) instanceof Error, true);
  });
});
