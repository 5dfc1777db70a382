import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Counter, Histogram, Registry } from 'prom-client';
import { renderPrometheus } from '../../src/metrics/exposition.js';
import { CellCounter } from '../../src/metrics/cell-counter.js';
import { UNKNOWN_MODEL_LABEL, createMetrics } from '../../src/metrics/metrics.js';
import { LATENCY_BUCKETS_MICROS } from '../../src/metrics/names.js';
import { TfHistogram } from '../../src/metrics/tf-histogram.js';
import { family, parsePrometheusText } from './prom-text-parser.js';

test('CellCounter and the prometheus-rule TfHistogram print exactly what prom-client prints', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const labelNames = ['model_name', 'API'] as const;
  const c1 = new CellCounter({ name: 'c', help: 'h', labelNames, registry: ours });
  const c2 = new Counter({ name: 'c', help: 'h', labelNames, registers: [theirs] });
  const h1 = new TfHistogram({ name: 'h', help: 'h', labelNames, buckets: LATENCY_BUCKETS_MICROS, registry: ours, rule: 'prometheus' });
  const h2 = new Histogram({ name: 'h', help: 'h', labelNames, buckets: [...LATENCY_BUCKETS_MICROS], registers: [theirs] });
  // Bound on first use, as the request path binds them (a cell is listed from its creation).
  let bound: { c: ReturnType<typeof c1.bind>; h: ReturnType<typeof h1.bind> } | undefined;
  // Values on bucket limits (prom-client counts them in that bucket), between, beyond the last.
  const values = [10, 18, 32.4, 1, 0, 11, 1102, 2e9, 58.32, 1.47476e9, 393464];
  for (const [i, v] of values.entries()) {
    const labels = { model_name: i % 3 === 0 ? 'a' : 'b', API: i % 2 ? 'x' : 'y' };
    c2.inc(labels);
    h2.observe(labels, v);
    if (labels.model_name === 'b' && labels.API === 'x') {
      bound ??= { c: c1.bind(labels), h: h1.bind(labels) };
      bound.c.inc();
      bound.h.observe(v);
    } else {
      c1.inc(labels);
      h1.observe(labels, v);
    }
  }
  assert.equal(await renderPrometheus(ours), await renderPrometheus(theirs));
  assert.equal(await ours.metrics(), await theirs.metrics());
  // A reset drops the cells; bound handles start again from zero in a fresh cell.
  c1.reset();
  h1.reset();
  c2.reset();
  h2.reset();
  bound!.c.inc();
  bound!.h.observe(5);
  c2.inc({ model_name: 'b', API: 'x' });
  h2.observe({ model_name: 'b', API: 'x' }, 5);
  assert.equal(await renderPrometheus(ours), await renderPrometheus(theirs));
});

test('request metrics: names that no loaded or configured model has share the _unknown_ label once a core is attached', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  const events = new EventEmitter();
  m.attachCore({ events, currentConfig: () => ({ models: [{ name: 'half' }] }), getModelStatus: () => [] });
  for (const name of ['half', 'nope-1', 'nope-2', 'nope-3']) {
    m.recordRequest({ modelName: name, api: 'predict', entrypoint: 'REST', status: name === 'half' ? 'OK' : 'NOT_FOUND', latencyMicros: 10 });
  }
  events.emit('servableState', { name: 'added', version: 1, state: 'LOADING' }); // a model added by a config reload
  m.recordRequest({ modelName: 'added', api: 'predict', entrypoint: 'REST', status: 'OK', latencyMicros: 10 });
  m.observeRuntime({ modelName: 'added', api: 'Predict', latencyMicros: 7 });
  const families = parsePrometheusText(await renderPrometheus(registry));
  const count = family(families, ':tensorflow:serving:request_count');
  const byModel = Object.fromEntries(count.samples.map((s) => [s.labels['model_name'], s.value]));
  assert.deepEqual(byModel, { half: 1, [UNKNOWN_MODEL_LABEL]: 3, added: 1 });
  const runtime = family(families, ':tensorflow:serving:runtime_latency');
  assert.ok(runtime.samples.some((s) => s.labels['model_name'] === 'added' && s.name.endsWith('_count') && s.value === 1));
});

test('request metrics without an attached core keep every name (library use)', async () => {
  const registry = new Registry();
  const m = createMetrics(registry, { defaultMetrics: false });
  m.recordRequest({ modelName: 'anything', api: 'predict', entrypoint: 'REST', status: 'NOT_FOUND', latencyMicros: 1 });
  const count = family(parsePrometheusText(await renderPrometheus(registry)), ':tensorflow:serving:request_count');
  assert.deepEqual(count.samples.map((s) => s.labels['model_name']), ['anything']);
});
