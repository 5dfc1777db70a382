/**
 * tfs bench --metrics-url: the server-side breakdown (request, queue, compute, batch size) read
 * from a real tfs serve's Prometheus page, with batching on, and the parser on a page excerpt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import pino from 'pino';
import { runBench } from '../../src/bench/bench.js';
import { breakdownOf, formatBreakdown, parseHistogramTotals } from '../../src/bench/server-breakdown.js';
import { parseServeFlags } from '../../src/server/flags.js';
import { startServer } from '../../src/server/server.js';
import { fixtures, repoRoot } from '../helpers/paths.js';

test('the page parser sums _sum/_count over the label sets of the benchmarked model only', () => {
  const page = (n: number): string =>
    [
      '# TYPE :tensorflow:serving:request_latency histogram',
      `:tensorflow:serving:request_latency_sum{model_name="m",API="predict",entrypoint="REST"} ${1000 * n}`,
      `:tensorflow:serving:request_latency_count{model_name="m",API="predict",entrypoint="REST"} ${n}`,
      `:tensorflow:serving:request_latency_count{model_name="other",API="predict",entrypoint="REST"} ${7 * n}`,
      `:tensorflow:serving:runtime_latency_sum{model_name="m",API="Predict",runtime="TF1"} ${400 * n}`,
      `:tensorflow:serving:runtime_latency_count{model_name="m",API="Predict",runtime="TF1"} ${n}`,
      '',
    ].join('\n');
  const b = breakdownOf('page', parseHistogramTotals(page(1), 'm'), parseHistogramTotals(page(5), 'm'));
  assert.deepEqual(b, { source: 'page', requests: 4, requestMs: 1, runtimeMs: 0.4, computeMs: 0.4 });
  assert.equal(formatBreakdown(b), 'server (page): request 1 ms mean over 4 requests; compute 0.4 ms, front end 0.6 ms');
});

test('bench --metrics-url against tfs serve with batching: request, queue, compute and batch size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-bench-breakdown-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'monitoring.config'), 'prometheus_config { enable: true }\n');
  writeFileSync(join(dir, 'batching.config'), 'max_batch_size { value: 8 }\nbatch_timeout_micros { value: 2000 }\nnum_batch_threads { value: 1 }\n');
  const s = await startServer({
    flags: parseServeFlags(
      [
        '--host=127.0.0.1',
        '--port=0',
        '--rest_api_port=0',
        '--model_name=half_plus_two',
        `--model_base_path=${join(fixtures, 'models', 'half_plus_two')}`,
        `--monitoring_config_file=${join(dir, 'monitoring.config')}`,
        '--enable_batching',
        `--batching_parameters_file=${join(dir, 'batching.config')}`,
      ],
      {},
    ).values,
    logger: pino({ level: 'silent' }),
  });
  try {
    const url = `http://127.0.0.1:${s.restPort}`;
    const out = await runBench({ url, model: 'half_plus_two', body: '{"instances": [[1.0]]}', concurrency: 8, requests: 200, warmupS: 0, metricsUrl: `${url}/monitoring/prometheus/metrics` });
    assert.ok(out.kind === 'run' && out.server);
    assert.equal(out.result.ok, 200);
    const b = out.server;
    assert.equal(b.requests, 200, 'the server counted what the bench sent');
    assert.ok(b.requestMs! > 0 && b.queueMs! >= 0 && b.computeMs! >= 0, JSON.stringify(b));
    assert.ok(b.runtimeMs! >= b.queueMs!, 'with batching the runtime includes the queue');
    assert.ok(Math.abs(b.computeMs! - (b.runtimeMs! - b.queueMs!)) <= 0.002, 'compute = runtime - queue (to the rounding)');
    assert.ok(b.meanBatchSize! >= 1 && b.meanBatchSize! <= 8, JSON.stringify(b));
    console.log(`# ${formatBreakdown(b)}`);
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cli', 'bench.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(JSON.parse(JSON.stringify(out))), JSON.stringify(validate.errors));
    await assert.rejects(runBench({ url, model: 'half_plus_two', body: '{"instances": [[1.0]]}', requests: 1, warmupS: 0, metricsUrl: `${url}/nope` }), /metrics at .*\/nope answered 404/);
  } finally {
    await s.shutdown(0);
  }
});
