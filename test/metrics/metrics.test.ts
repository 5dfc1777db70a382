import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as tf from '@tensorflow/tfjs-core';
import { Registry } from 'prom-client';
import { Batcher } from '../../src/batching/batching-servable.js';
import { TfsError, Code } from '../../src/errors.js';
import { createMetricsEndpoint, renderPrometheus } from '../../src/metrics/exposition.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { initBackend } from '../../src/runtime/backend.js';
import { LATENCY_BUCKETS_MICROS, exponentialBuckets, formatG, prometheusName } from '../../src/metrics/names.js';
import { TfHistogram } from '../../src/metrics/tf-histogram.js';
import { FakeServable } from '../batching/fake-servable.js';
import { batchingParams } from '../helpers/batching-params.js';
import { type Family, family, parsePrometheusText } from './prom-text-parser.js';

async function page(registry: Registry): Promise<{ text: string; families: Family[] }> {
  const text = await renderPrometheus(registry);
  return { text, families: parsePrometheusText(text) };
}

function value(f: Family, name: string, labels: Record<string, string>): number | undefined {
  return f.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
}

test('upstream name mapping and %g limits of Exp(10, 1.8, 33) are printed exactly as upstream', () => {
  assert.equal(prometheusName('/tensorflow/serving/request_count'), ':tensorflow:serving:request_count');
  assert.equal(prometheusName('9lives/x'), '_9lives:x');
  const printed =
    '10, 18, 32.4, 58.32, 104.976, 188.957, 340.122, 612.22, 1102, 1983.59, 3570.47, 6426.84, 11568.3, 20823, 37481.3, 67466.4, 121440, 218591, 393464, 708235, 1.27482e+06, 2.29468e+06, 4.13043e+06, 7.43477e+06, 1.33826e+07, 2.40887e+07, 4.33596e+07, 7.80473e+07, 1.40485e+08, 2.52873e+08, 4.55172e+08, 8.19309e+08, 1.47476e+09';
  assert.equal(LATENCY_BUCKETS_MICROS.map((b) => formatG(b)).join(', '), printed);
  assert.equal(formatG(0.0001), '0.0001');
  assert.equal(formatG(0.00001), '1e-05');
  assert.equal(formatG(123456), '123456');
  assert.equal(formatG(1234567), '1.23457e+06');
  assert.equal(formatG(-2.5), '-2.5');
});

test('TF bucket semantics: a value equal to a limit counts in the next bucket (upstream exporter test)', async () => {
  const registry = new Registry();
  const h = new TfHistogram({ name: ':test:hist', help: 'h', labelNames: [] as const, buckets: exponentialBuckets(1, 2, 10), registry });
  for (const v of [2, 20, 200]) h.observe({}, v);
  const { families } = await page(registry);
  const f = family(families, ':test:hist');
  assert.equal(f.type, 'histogram');
  assert.equal(value(f, ':test:hist_bucket', { le: '1' }), 0);
  assert.equal(value(f, ':test:hist_bucket', { le: '2' }), 0);
  assert.equal(value(f, ':test:hist_bucket', { le: '4' }), 1);
  assert.equal(value(f, ':test:hist_bucket', { le: '32' }), 2);
  assert.equal(value(f, ':test:hist_bucket', { le: '256' }), 3);
  assert.equal(value(f, ':test:hist_bucket', { le: '+Inf' }), 3);
  assert.equal(value(f, ':test:hist_sum', {}), 222);
  assert.equal(value(f, ':test:hist_count', {}), 3);
});

test('request metrics: upstream names, labels, types and buckets; latency only for OK; sub-millisecond resolution', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  m.recordRequest({ modelName: 'half', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 150 });
  m.recordRequest({ modelName: 'half', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 45 });
  m.recordRequest({ modelName: 'half', api: 'Predict', entrypoint: 'GRPC', status: 'OK', latencyMicros: 900 });
  m.recordRequest({ modelName: 'nope', api: 'predict', entrypoint: 'REST', status: 'NOT_FOUND', latencyMicros: 20 });
  m.recordRequest({ modelName: 'half', api: '', entrypoint: 'REST', status: 'OK', latencyMicros: 12 });
  m.observeRuntime({ modelName: 'half', api: 'Predict', latencyMicros: 80 });
  const { text, families } = await page(registry);
  assert.ok(!text.includes('# HELP'), 'upstream prints no HELP lines');

  const count = family(families, ':tensorflow:serving:request_count');
  assert.equal(count.type, 'counter');
  assert.equal(value(count, ':tensorflow:serving:request_count', { model_name: 'half', status: 'OK' }), 4);
  assert.equal(value(count, ':tensorflow:serving:request_count', { model_name: 'nope', status: 'NOT_FOUND' }), 1);

  const lat = family(families, ':tensorflow:serving:request_latency');
  assert.equal(lat.type, 'histogram');
  const rest = { model_name: 'half', API: 'predict', entrypoint: 'REST' };
  const les = lat.samples.filter((s) => s.name.endsWith('_bucket') && s.labels['API'] === 'predict').map((s) => s.labels['le']);
  assert.equal(les.length, 34);
  assert.equal(les[0], '10');
  assert.equal(les[20], '1.27482e+06');
  assert.equal(les[33], '+Inf');
  // 45 µs and 150 µs land in different sub-millisecond buckets
  assert.equal(value(lat, ':tensorflow:serving:request_latency_bucket', { ...rest, le: '32.4' }), 0);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_bucket', { ...rest, le: '58.32' }), 1);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_bucket', { ...rest, le: '188.957' }), 2);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_sum', rest), 195);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_count', { model_name: 'half', API: 'Predict', entrypoint: 'GRPC' }), 1);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_count', { model_name: 'half', API: '', entrypoint: 'REST' }), 1);
  assert.equal(value(lat, ':tensorflow:serving:request_latency_count', { model_name: 'nope', API: 'predict', entrypoint: 'REST' }), undefined);

  const rt = family(families, ':tensorflow:serving:runtime_latency');
  assert.equal(value(rt, ':tensorflow:serving:runtime_latency_count', { model_name: 'half', API: 'Predict', runtime: 'TF1' }), 1);

  // Metrics without cells still print their TYPE line, as upstream.
  assert.equal(family(families, ':tensorflow:serving:model_warmup_latency').samples.length, 0);
  // Families are sorted by name.
  const names = families.map((f) => f.name);
  assert.deepEqual(names, [...names].sort());
});

test("the tutorial's PromQL metrics exist with the right types and labels", async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  m.recordRequest({ modelName: 'my_model', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 250 });
  m.batching.processedBatch('my_model', 8, 3);
  m.recordLoad({ name: 'my_model', version: 1, path: '/models/my_model/1', ok: true, durationMicros: 1_500_000 });
  const { families } = await page(registry);
  // rate(tensorflow_serving_request_count[5m])
  const c = family(families, 'tensorflow_serving_request_count');
  assert.equal(c.type, 'counter');
  assert.equal(value(c, 'tensorflow_serving_request_count', { model_name: 'my_model', status: 'OK' }), 1);
  // histogram_quantile(0.95, rate(tensorflow_serving_request_latency_bucket[5m]))
  const l = family(families, 'tensorflow_serving_request_latency');
  assert.equal(l.type, 'histogram');
  assert.ok(l.samples.some((s) => s.name === 'tensorflow_serving_request_latency_bucket' && s.labels['le'] === '+Inf' && s.value === 1));
  // histogram_quantile(0.50, rate(tensorflow_serving_batch_size_bucket[5m]))
  const b = family(families, 'tensorflow_serving_batch_size');
  assert.equal(b.type, 'histogram');
  assert.equal(value(b, 'tensorflow_serving_batch_size_sum', { model_name: 'my_model' }), 5);
  // tensorflow_serving_model_load_latency_seconds
  const g = family(families, 'tensorflow_serving_model_load_latency_seconds');
  assert.equal(g.type, 'gauge');
  assert.equal(value(g, 'tensorflow_serving_model_load_latency_seconds', { model_name: 'my_model', version: '1' }), 1.5);
  // and they can be turned off
  const r2 = new Registry();
  createMetrics(r2, { defaultMetrics: false, promqlAliases: false });
  const p2 = await page(r2);
  assert.ok(!p2.families.some((f) => f.name.startsWith('tensorflow_serving_')));
});

test('process and Node default metrics are exported under their usual names', async () => {
  const registry = new Registry();
  createMetrics(registry);
  const { families } = await page(registry);
  for (const [name, type] of [
    ['process_cpu_user_seconds_total', 'counter'],
    ['process_resident_memory_bytes', 'gauge'],
    ['process_start_time_seconds', 'gauge'],
    ['nodejs_heap_size_used_bytes', 'gauge'],
    ['nodejs_eventloop_lag_seconds', 'gauge'],
    ['nodejs_version_info', 'gauge'],
  ] as const) {
    assert.equal(family(families, name).type, type, name);
  }
});

test('tfs_runtime_tensors and tfs_runtime_tensor_bytes follow the live tensors of the runtime', async () => {
  await initBackend('cpu');
  const registry = new Registry();
  createMetrics(registry, { defaultMetrics: false });
  const read = async (): Promise<[number, number]> => {
    const { families } = await page(registry);
    const value = (name: string): number => {
      const f = family(families, name);
      assert.equal(f.type, 'gauge', name);
      return Number(f.samples[0]!.value);
    };
    return [value('tfs_runtime_tensors'), value('tfs_runtime_tensor_bytes')];
  };
  const [tensors, bytes] = await read();
  const t = tf.zeros([1000], 'float32');
  assert.deepEqual(await read(), [tensors + 1, bytes + 4000]);
  t.dispose();
  assert.deepEqual(await read(), [tensors, bytes]);
});

test('batching metrics: input/processed batch sizes, padding by execution size, queuing latency, wrapped runs, queue length', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  const batcher = new Batcher(batchingParams({ maxBatchSize: 8, maxExecutionBatchSize: 1000, allowedBatchSizes: [4, 8], batchTimeoutMicros: 5000, threadPoolName: 'model_server_batch_threads' }), {
    observer: m.batching,
    execution: 'in-thread',
  });
  const s = batcher.wrap(new FakeServable({ name: 'fake' }));
  const x = (rows: number) => ({ x: { dtype: 'DT_FLOAT' as const, shape: [rows, 3], data: new Float32Array(rows * 3).fill(1) } });
  await Promise.all([s.run('serving_default', x(1)), s.run('serving_default', x(2))]);
  await s.run('serving_default', x(4));
  const { families } = await page(registry);
  const inp = family(families, ':tensorflow:serving:batching_session:input_batch_size');
  assert.equal(value(inp, ':tensorflow:serving:batching_session:input_batch_size_count', {}), 3);
  assert.equal(value(inp, ':tensorflow:serving:batching_session:input_batch_size_sum', {}), 7);
  // 1 → [1,2); 2 → [2,4); 4 → [4,8)
  assert.equal(value(inp, ':tensorflow:serving:batching_session:input_batch_size_bucket', { le: '1' }), 0);
  assert.equal(value(inp, ':tensorflow:serving:batching_session:input_batch_size_bucket', { le: '2' }), 1);
  assert.equal(value(inp, ':tensorflow:serving:batching_session:input_batch_size_bucket', { le: '4' }), 2);
  const proc = family(families, ':tensorflow:serving:batching_session:processed_batch_size');
  assert.equal(value(proc, ':tensorflow:serving:batching_session:processed_batch_size_sum', {}), 8);
  const pad = family(families, ':tensorflow:serving:batching_session:padding_size');
  assert.equal(value(pad, ':tensorflow:serving:batching_session:padding_size_sum', { execution_batch_size: '4' }), 1);
  assert.equal(value(pad, ':tensorflow:serving:batching_session:padding_size_count', { execution_batch_size: '4' }), 2);
  const q = family(families, ':tensorflow:serving:batching_session:queuing_latency');
  assert.equal(value(q, ':tensorflow:serving:batching_session:queuing_latency_count', { thread_pool_name: 'model_server_batch_threads' }), 3);
  const runs = family(families, ':tensorflow:serving:batching_session:wrapped_run_count');
  assert.equal(runs.type, 'counter');
  assert.equal(value(runs, ':tensorflow:serving:batching_session:wrapped_run_count', {}), 2);
  assert.equal(value(family(families, 'tfs_batching_queued_requests'), 'tfs_batching_queued_requests', { model_name: 'fake' }), 0);
  // upstream prints `{}` for label-less cells
  const { text } = await page(registry);
  assert.match(text, /^:tensorflow:serving:batching_session:wrapped_run_count\{\} 2$/m);
  assert.match(text, /^:tensorflow:serving:batching_session:input_batch_size_sum\{\} 7$/m);
  await s.dispose();
});

test('attachCore turns lifecycle events into load, warmup, state and reload metrics', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  const events = new EventEmitter();
  const detach = m.attachCore({ events });
  const path = '/models/half/123';
  events.emit('servableState', { name: 'half', version: 123, state: 'LOADING' });
  events.emit('load', { name: 'half', version: 123, path, ok: false, durationMicros: 1000, attempt: 1, error: new TfsError(Code.NOT_FOUND, 'x') });
  events.emit('load', { name: 'half', version: 123, path, ok: true, durationMicros: 250_000, attempt: 2 });
  events.emit('warmup', { name: 'half', version: 123, path, ok: true, records: 5, durationMicros: 3000 });
  events.emit('servableState', { name: 'half', version: 123, state: 'AVAILABLE' });
  events.emit('configReload', { ok: false, source: 'file', error: new TfsError(Code.INVALID_ARGUMENT, 'bad') });
  events.emit('configReload', { ok: true, source: 'api' });
  let { families } = await page(registry);
  const attempts = family(families, ':tensorflow:cc:saved_model:load_attempt_count');
  assert.equal(value(attempts, ':tensorflow:cc:saved_model:load_attempt_count', { model_path: path, status: 'success' }), 1);
  assert.equal(value(attempts, ':tensorflow:cc:saved_model:load_attempt_count', { model_path: path, status: 'fail' }), 1);
  assert.equal(value(family(families, ':tensorflow:cc:saved_model:load_latency'), ':tensorflow:cc:saved_model:load_latency', { model_path: path }), 250000);
  const w = family(families, ':tensorflow:serving:model_warmup_records_read');
  assert.equal(value(w, ':tensorflow:serving:model_warmup_records_read', { model_path: path, status: 'OK' }), 5);
  const st = family(families, 'tfs_servable_state');
  assert.equal(value(st, 'tfs_servable_state', { model_name: 'half', version: '123', state: 'AVAILABLE' }), 1);
  assert.equal(value(st, 'tfs_servable_state', { model_name: 'half', version: '123', state: 'LOADING' }), undefined);
  const rl = family(families, 'tfs_config_reload_count');
  assert.equal(value(rl, 'tfs_config_reload_count', { kind: 'model', source: 'file', status: 'INVALID_ARGUMENT' }), 1);
  assert.equal(value(rl, 'tfs_config_reload_count', { kind: 'model', source: 'api', status: 'OK' }), 1);
  // the devices a version runs on, one series each (duplicates once)
  m.recordPlacement('half', 123, { runtime: 'tensorflow', devices: ['/job:localhost/replica:0/task:0/device:CPU:0', '/job:localhost/replica:0/task:0/device:GPU:0', '/job:localhost/replica:0/task:0/device:GPU:0'] });
  m.recordPlacement('other', 1, { runtime: 'embedded', devices: ['wasm'] });
  ({ families } = await page(registry));
  const dev = family(families, 'tfs_runtime_device');
  assert.equal(dev.type, 'gauge');
  assert.equal(dev.samples.length, 3);
  assert.equal(value(dev, 'tfs_runtime_device', { model_name: 'half', version: '123', runtime: 'tensorflow', device: '/job:localhost/replica:0/task:0/device:GPU:0' }), 1);
  assert.equal(value(dev, 'tfs_runtime_device', { model_name: 'other', version: '1', runtime: 'embedded', device: 'wasm' }), 1);
  // unload removes the version's state, load-time and device series
  events.emit('servableState', { name: 'half', version: 123, state: 'END' });
  ({ families } = await page(registry));
  assert.equal(family(families, 'tfs_servable_state').samples.length, 0);
  assert.deepEqual(family(families, 'tfs_runtime_device').samples.map((x) => x.labels['model_name']), ['other']);
  assert.equal(family(families, 'tensorflow_serving_model_load_latency_seconds').samples.length, 0);
  detach();
  assert.equal(events.listenerCount('load'), 0);

  // Attached after the initial load (ServerCore.create already loaded): states come from the core.
  const r2 = new Registry();
  const m2 = createMetrics(r2, { defaultMetrics: false });
  m2.attachCore({
    events: new EventEmitter(),
    currentConfig: () => ({ models: [{ name: 'half' }, { name: 'gone' }] }),
    getModelStatus: (name: string) => {
      if (name === 'gone') throw new TfsError(Code.NOT_FOUND, 'Could not find any versions of model gone');
      return [{ version: 124, state: 'AVAILABLE' }, { version: 123, state: 'END' }];
    },
  });
  const st2 = family((await page(r2)).families, 'tfs_servable_state');
  assert.deepEqual(
    st2.samples.map((s) => s.labels),
    [{ model_name: 'half', version: '124', state: 'AVAILABLE' }],
  );
});

test('the endpoint: exact path (default when empty), upstream 400 for any other URI, none without a monitoring config', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  m.recordRequest({ modelName: 'a"b\\c', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 1 });
  assert.equal(createMetricsEndpoint(registry, undefined), undefined);
  assert.equal(createMetricsEndpoint(registry, { prometheus: { enable: false, path: '/metrics' } }), undefined);
  const dflt = createMetricsEndpoint(registry, { prometheus: { enable: true, path: '' } })!;
  assert.equal(dflt.path, '/monitoring/prometheus/metrics');
  const ok = await dflt.handle('/monitoring/prometheus/metrics');
  assert.equal(ok.status, 200);
  assert.equal(ok.contentType, 'text/plain');
  // label values escaped; the page parses
  assert.ok(ok.body.includes(':tensorflow:serving:request_count{model_name="a\\"b\\\\c",status="OK"} 1'));
  const fam = family(parsePrometheusText(ok.body), ':tensorflow:serving:request_count');
  assert.equal(fam.samples[0]!.labels['model_name'], 'a"b\\c');
  const bad = await dflt.handle('/monitoring/prometheus/metrics?x=1');
  assert.equal(bad.status, 400);
  assert.equal(bad.body, 'Unexpected path: /monitoring/prometheus/metrics?x=1. Should be /monitoring/prometheus/metrics');
  const custom = createMetricsEndpoint(registry, { prometheus: { enable: true, path: '/my/metrics' } })!;
  assert.equal(custom.path, '/my/metrics');
  assert.equal((await custom.handle('/my/metrics')).status, 200);
});

test('registries are independent (no global state)', async () => {
  const r1 = new Registry();
  const r2 = new Registry();
  const m1 = createMetrics(r1, { defaultMetrics: false });
  createMetrics(r2, { defaultMetrics: false });
  m1.recordRequest({ modelName: 'x', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 5 });
  const p2 = await page(r2);
  assert.equal(family(p2.families, ':tensorflow:serving:request_count').samples.length, 0);
  const p1 = await page(r1);
  assert.equal(family(p1.families, ':tensorflow:serving:request_count').samples.length, 1);
});
