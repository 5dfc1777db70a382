/**
 * Metric names, labels and buckets: upstream's (tfserving-spec.md §5), plus the names the
 * TF Serving tutorial's PromQL uses, plus tfs's own.
 *
 * Upstream names are TF monitoring paths (`/tensorflow/serving/request_count`) that TF
 * Serving's Prometheus exporter prints with every character outside `[a-zA-Z0-9_]` replaced
 * by `:` — hence the leading colon in `:tensorflow:serving:request_count`. The tutorial's
 * queries (`rate(tensorflow_serving_request_count[5m])`,
 * `tensorflow_serving_request_latency_bucket`, `tensorflow_serving_batch_size_bucket`,
 * `tensorflow_serving_model_load_latency_seconds`) use underscore names that upstream does
 * not export (they assume a relabeling that strips the leading `:` and maps `:` to `_`, and
 * two of them have no upstream counterpart at all). tfs exports upstream's names unchanged
 * and, by default, the tutorial's names as well ({@link PROMQL_ALIASES}), so both existing
 * dashboards and the tutorial's queries work.
 */

/** Upstream's exporter name mapping: every char outside [a-zA-Z0-9_] becomes `:`, `_` prefix before a digit. */
export function prometheusName(tfPath: string): string {
  const n = tfPath.replace(/[^a-zA-Z0-9_]/g, ':');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

/**
 * TF's `Buckets::Exponential(scale, growth, count)`: `count` limits scale·growth^i (computed
 * by repeated multiplication, as TF does). The implicit last bucket (TF's DBL_MAX) is `+Inf`.
 */
export function exponentialBuckets(scale: number, growth: number, count: number): number[] {
  const out: number[] = [];
  let b = scale;
  for (let i = 0; i < count; i++) {
    out.push(b);
    b *= growth;
  }
  return out;
}

/** C's `%g` (6 significant digits), as upstream prints bucket limits: 10, 32.4, 1.27482e+06. */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expStr] = x.toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= precision) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const e = Math.abs(exp);
    return `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : String(e)}`;
  }
  const fixed = x.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** Latency buckets of request_latency / runtime_latency / warmup (µs): Exp(10, 1.8, 33), 10 µs .. 1.47e9 µs. */
export const LATENCY_BUCKETS_MICROS = exponentialBuckets(10, 1.8, 33);
/** queuing_latency buckets (µs): Exp(100, 1.2, 52), 100 µs .. ~1 s. */
export const QUEUING_BUCKETS_MICROS = exponentialBuckets(100, 1.2, 52);
/** Batch-size buckets: Exp(1, 2, 14), 1 .. 8192. */
export const BATCH_SIZE_BUCKETS = exponentialBuckets(1, 2, 14);
/** MultiInference example-count buckets: Exp(1, 2, 15). */
export const EXAMPLE_COUNT_BUCKETS = exponentialBuckets(1, 2, 15);

/** Upstream metric names (Prometheus form) — see tfserving-spec.md §5.2/§5.3. */
export const TF = {
  requestCount: prometheusName('/tensorflow/serving/request_count'),
  requestLatency: prometheusName('/tensorflow/serving/request_latency'),
  runtimeLatency: prometheusName('/tensorflow/serving/runtime_latency'),
  requestExampleCounts: prometheusName('/tensorflow/serving/request_example_counts'),
  requestExampleCountTotal: prometheusName('/tensorflow/serving/request_example_count_total'),
  modelWarmupLatency: prometheusName('/tensorflow/serving/model_warmup_latency'),
  modelWarmupRecordsRead: prometheusName('/tensorflow/serving/model_warmup_records_read'),
  requestLogCount: prometheusName('/tensorflow/serving/request_log_count'),
  mlmdMap: prometheusName('/tensorflow/serving/mlmd_map'),
  queuingLatency: prometheusName('/tensorflow/serving/batching_session/queuing_latency'),
  wrappedRunCount: prometheusName('/tensorflow/serving/batching_session/wrapped_run_count'),
  inputBatchSize: prometheusName('/tensorflow/serving/batching_session/input_batch_size'),
  processedBatchSize: prometheusName('/tensorflow/serving/batching_session/processed_batch_size'),
  paddingSize: prometheusName('/tensorflow/serving/batching_session/padding_size'),
  loadAttemptCount: prometheusName('/tensorflow/cc/saved_model/load_attempt_count'),
  loadLatency: prometheusName('/tensorflow/cc/saved_model/load_latency'),
} as const;

/** The tutorial's PromQL names (tfserving-tutorial.md "Monitoring with Prometheus"). */
export const PROMQL_ALIASES = {
  /** Same counter as `:tensorflow:serving:request_count`. */
  requestCount: 'tensorflow_serving_request_count',
  /** Same histogram as `:tensorflow:serving:request_latency` (µs, same buckets). */
  requestLatency: 'tensorflow_serving_request_latency',
  /** Rows per executed batch without padding, by model (no upstream counterpart). */
  batchSize: 'tensorflow_serving_batch_size',
  /** Duration of the last successful load of each version, in seconds (no upstream counterpart). */
  modelLoadLatencySeconds: 'tensorflow_serving_model_load_latency_seconds',
} as const;

/** tfs's own metrics (no upstream counterpart). */
export const TFS = {
  /** Requests waiting in batching queues, by model. */
  batchingQueuedRequests: 'tfs_batching_queued_requests',
  /** 1 for the current state of each model version (START, LOADING, AVAILABLE, UNLOADING). */
  servableState: 'tfs_servable_state',
  /** Config reloads by kind (`model`, `batching`), source (`api`, `file`) and status code name. */
  configReloadCount: 'tfs_config_reload_count',
  /** Live tensors in the runtime (tfjs `tf.memory().numTensors`, main thread): grows on a leak. */
  runtimeTensors: 'tfs_runtime_tensors',
  /** Bytes held by live runtime tensors (tfjs `tf.memory().numBytes`, main thread). */
  runtimeTensorBytes: 'tfs_runtime_tensor_bytes',
  /** 1 for each device a loaded version runs on, by model, version, runtime and device. */
  runtimeDevice: 'tfs_runtime_device',
} as const;
