/** Prometheus metrics (see metrics.ts for who records what, exposition.ts for the page). */
export {
  createMetrics,
  type TfsMetrics,
  type TfsMetricsOptions,
  type RequestRecord,
  type RuntimeRecord,
  type LoadRecord,
  type WarmupRecord,
  type CoreWithEvents,
} from './metrics.js';
export {
  createMetricsEndpoint,
  renderPrometheus,
  DEFAULT_METRICS_PATH,
  METRICS_CONTENT_TYPE,
  type MetricsEndpoint,
  type MetricsResponse,
} from './exposition.js';
export {
  TF,
  PROMQL_ALIASES,
  TFS,
  LATENCY_BUCKETS_MICROS,
  QUEUING_BUCKETS_MICROS,
  BATCH_SIZE_BUCKETS,
  EXAMPLE_COUNT_BUCKETS,
  exponentialBuckets,
  formatG,
  prometheusName,
} from './names.js';
export { TfHistogram } from './tf-histogram.js';
