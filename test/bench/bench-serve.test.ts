/**
 * tfs bench against a real tfs server on 127.0.0.1 (in-process startServer on the project's
 * half_plus_two and my_model): --auto bodies from REST and gRPC metadata, counts sent and
 * answered, and the server's own request counter agreeing with what the bench sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { runBench } from '../../src/bench/bench.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures } from '../helpers/paths.js';

test('tfs bench drives a real tfs serve over REST and gRPC', async () => {
  const s = await startServer({
    flags: parseServeFlags(
      [
        '--host=127.0.0.1',
        '--port=0',
        '--rest_api_port=0',
        '--model_name=my_model',
        `--model_base_path=${join(fixtures, 'models', 'my_model')}`,
      ],
      {},
    ).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    const rest = await runBench({ url: `http://127.0.0.1:${s.restPort}`, model: 'my_model', auto: true, batch: 4, concurrency: 4, requests: 120, warmupS: 0 });
    assert.equal(rest.kind, 'run');
    if (rest.kind !== 'run') return;
    assert.equal(rest.result.sent, 120);
    assert.equal(rest.result.ok, 120, JSON.stringify(rest.result.errorSamples));
    assert.deepEqual(rest.result.statuses, { '200': 120 });

    const grpc = await runBench({ grpc: `127.0.0.1:${s.grpcPort}`, model: 'my_model', version: 2, auto: true, batch: 2, rate: 200, durationS: 1, warmupS: 0 });
    assert.equal(grpc.kind, 'run');
    if (grpc.kind !== 'run') return;
    assert.equal(grpc.result.sent, 200);
    assert.deepEqual(grpc.result.statuses, { OK: 200 }, JSON.stringify(grpc.result.errorSamples));
    // The schedule (200 sends over 1 s) is checked by the count above; the achieved rate depends on
    // how busy the machine is, so only its presence is asserted here (a timing bound would be flaky).
    assert.ok(grpc.result.sendRate! > 0, `send rate ${grpc.result.sendRate}`);

    // The server counted exactly what the bench sent (REST: the metadata GET plus 120 predicts).
    const count = await s.metrics.registry.getSingleMetricAsString(':tensorflow:serving:request_count');
    const total = [...count.matchAll(/model_name="my_model",status="OK"\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    assert.ok(total >= 320, `request_count OK for my_model: ${total}\n${count}`);

    // A wrong model name is counted as errors by status, not a crash of the bench.
    const bad = await runBench({ url: `http://127.0.0.1:${s.restPort}`, model: 'nope', body: '{"instances": [[1.0]]}', concurrency: 2, requests: 10, warmupS: 0 });
    assert.ok(bad.kind === 'run' && bad.result.statuses['404'] === 10, JSON.stringify(bad));
  } finally {
    await s.shutdown(1000);
  }
});
