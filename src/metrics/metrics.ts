/**
 * tfs's metrics: upstream TF Serving's (same names, labels, units and buckets), the
 * tutorial's PromQL names, tfs's own, and the process/Node defaults — all in one injected
 * prom-client Registry (no global state: a test process can build many servers).
 *
 * Who records what:
 *  - REST and gRPC front ends: {@link TfsMetrics.recordRequest} once per Predict / Classify /
 *    Regress / MultiInference (gRPC) and per REST `/v1` request;
 *  - the predict/classify/regress layer: {@link TfsMetrics.observeRuntime} around the model run;
 *  - batching: {@link TfsMetrics.batching} (pass it as `BatcherOptions.observer`);
 *  - the lifecycle: {@link TfsMetrics.attachCore} listens to `core.events` (loads, warmup,
 *    servable states, config reloads).
 * The monitoring endpoint renders the registry with exposition.ts.
 */
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client';
import { runtimeMemory } from '../runtime/backend.js';
import type { BatchingObserver } from '../batching/observer.js';
import {
  BATCH_SIZE_BUCKETS,
  EXAMPLE_COUNT_BUCKETS,
  LATENCY_BUCKETS_MICROS,
  PROMQL_ALIASES,
  QUEUING_BUCKETS_MICROS,
  TF,
  TFS,
} from './names.js';
import { type BoundHistogram, TfHistogram } from './tf-histogram.js';
import { type BoundCounter, CellCounter } from './cell-counter.js';

/**
 * The `model_name` label of requests that name no model the server knows (not in its config,
 * never loaded): any client could otherwise grow the series without bound.
 */
export const UNKNOWN_MODEL_LABEL = '_unknown_';

export interface TfsMetricsOptions {
  /** Register prom-client's process_* and nodejs_* default metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Also export the tutorial's PromQL names, `tensorflow_serving_*` (default true). */
  readonly promqlAliases?: boolean;
  /** `runtime` label of runtime_latency (default `TF1`, upstream's value for the session runtime). */
  readonly runtimeLabel?: string;
}

/** One finished request, as the front ends report it. */
export interface RequestRecord {
  readonly modelName: string;
  /**
   * Upstream's `API` label: gRPC `Predict` / `Classify` / `Regress` / `MultiInference`;
   * REST `predict` / `classify` / `regress`, or `''` for GET (status, metadata).
   */
  readonly api: string;
  readonly entrypoint: 'REST' | 'GRPC';
  /** Canonical code name: `OK`, `NOT_FOUND`, `INVALID_ARGUMENT`, ... */
  readonly status: string;
  /** Wall time of the whole request in microseconds (recorded in request_latency only when OK). */
  readonly latencyMicros: number;
}

export interface RuntimeRecord {
  readonly modelName: string;
  /** `Predict` / `Classify` / `Regress`. */
  readonly api: string;
  /** Wall time of the model run (including batching queue time, as upstream measures it). */
  readonly latencyMicros: number;
  readonly runtime?: string;
}

/** A version load attempt (core.events `load`). */
export interface LoadRecord {
  readonly name: string;
  readonly version: number;
  /** Version directory (upstream's `model_path` label). */
  readonly path: string;
  readonly ok: boolean;
  readonly durationMicros: number;
}

/** A warmup run (core.events `warmup`). */
export interface WarmupRecord {
  readonly path: string;
  readonly ok: boolean;
  /** Status text for the `status` label; `OK` on success (default: `OK` / `UNKNOWN`). */
  readonly status?: string;
  readonly records: number;
  readonly durationMicros: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any emitter's listener signature
type Listener = (...args: any[]) => void;

/** What {@link TfsMetrics.attachCore} needs: ServerCore's typed event emitter (src/core/events.ts). */
export interface CoreWithEvents {
  readonly events: {
    on(event: string, listener: Listener): unknown;
    off(event: string, listener: Listener): unknown;
  };
  /** When present, attachCore() starts tfs_servable_state from the versions already tracked. */
  currentConfig?(): { readonly models: readonly { readonly name: string }[] };
  getModelStatus?(name: string): readonly { readonly version: number; readonly state: string }[];
}

interface ServableStateLike {
  readonly name: string;
  readonly version: number;
  readonly state: string;
}
type LoadEventLike = LoadRecord;
interface WarmupEventLike {
  readonly path: string;
  readonly ok: boolean;
  readonly records: number;
  readonly durationMicros: number;
  readonly error?: { readonly codeName?: string; readonly message?: string };
}
interface ConfigReloadLike {
  readonly ok: boolean;
  readonly source: string;
  readonly error?: { readonly codeName?: string };
}

export interface TfsMetrics {
  readonly registry: Registry;
  recordRequest(r: RequestRecord): void;
  observeRuntime(r: RuntimeRecord): void;
  /** MultiInference: examples in one request (`request_example_counts`, `request_example_count_total`). */
  recordExampleCount(modelName: string, examples: number): void;
  recordLoad(r: LoadRecord): void;
  recordWarmup(r: WarmupRecord): void;
  /** Request logging (`request_log_count{model_name,status_code}`). */
  recordRequestLog(modelName: string, statusCode: string): void;
  /** A loaded version has `assets.extra/mlmd_uuid` (`mlmd_map`, a string gauge: printed as 0, as upstream). */
  recordMlmd(modelName: string, version: number): void;
  /**
   * The runtime and devices a loaded version runs on (`tfs_runtime_device`, 1 per device);
   * removed when the version reaches END ({@link attachCore}) or by {@link forgetPlacement}.
   */
  recordPlacement(modelName: string, version: number, placement: { readonly runtime: string; readonly devices: readonly string[] }): void;
  forgetPlacement(modelName: string, version: number): void;
  /**
   * A config file was re-read while serving (`tfs_config_reload_count{kind,source,status}`):
   * `kind` is `model` (model config) or `batching` (batching parameters); status `OK` or the
   * failure's code name. Model config reloads are counted by {@link attachCore}.
   */
  recordConfigReload(kind: 'model' | 'batching' | 'monitoring', source: string, status: string): void;
  /** Batching observations; pass as `new Batcher(params, { observer: metrics.batching })`. */
  readonly batching: BatchingObserver;
  /** Listen to a ServerCore's events; returns a function that stops listening. */
  attachCore(core: CoreWithEvents): () => void;
}

/** prom-client metrics in `registry`, by role (names, labels and buckets from names.ts). */
function createInstruments(registry: Registry, aliases: boolean) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge({ name, help, labelNames, registers });
  const tfHistogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): TfHistogram<L> =>
    new TfHistogram({ name, help, labelNames, buckets, registry });
  const cellCounter = <L extends string>(name: string, help: string, labelNames: readonly L[]): CellCounter<L> =>
    new CellCounter({ name, help, labelNames, registry });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> =>
    new Histogram({ name, help, labelNames, buckets, registers });
  return {
    // --- upstream (names, labels and buckets from tfserving-spec.md §5) ---
    requestCount: cellCounter(TF.requestCount, 'The total number of requests.', ['model_name', 'status']),
    requestLatency: tfHistogram(TF.requestLatency, 'Distribution of wall time (in microseconds) for Tensorflow Serving request.', ['model_name', 'API', 'entrypoint'], LATENCY_BUCKETS_MICROS),
    runtimeLatency: tfHistogram(TF.runtimeLatency, 'Distribution of wall time (in microseconds) for Tensorflow runtime.', ['model_name', 'API', 'runtime'], LATENCY_BUCKETS_MICROS),
    exampleCounts: tfHistogram(TF.requestExampleCounts, 'The number of tensorflow.Examples per request.', ['model'], EXAMPLE_COUNT_BUCKETS),
    exampleCountTotal: counter(TF.requestExampleCountTotal, 'The total number of tensorflow.Examples.', ['model']),
    warmupLatency: tfHistogram(TF.modelWarmupLatency, 'Distribution of wall time (in microseconds) for warming up the model.', ['model_path', 'status'], LATENCY_BUCKETS_MICROS),
    warmupRecords: counter(TF.modelWarmupRecordsRead, 'Number of warmup records read.', ['model_path', 'status']),
    requestLogCount: counter(TF.requestLogCount, 'The total number of requests logged from the model server sliced down by model_name and status code.', ['model_name', 'status_code']),
    mlmdMap: gauge(TF.mlmdMap, 'Mapping of the model to its MLMD uuid.', ['model_name', 'version']),
    queuingLatency: tfHistogram(TF.queuingLatency, 'Distribution of wall time spent (in microseconds) in queuing', ['thread_pool_name'], QUEUING_BUCKETS_MICROS),
    wrappedRunCount: counter(TF.wrappedRunCount, 'Total count of run calls on the wrapped session', []),
    inputBatchSize: tfHistogram(TF.inputBatchSize, 'Tracks the batch size distribution on the inputs.', [], BATCH_SIZE_BUCKETS),
    processedBatchSize: tfHistogram(TF.processedBatchSize, 'Tracks the batch size distribution on processing.', [], BATCH_SIZE_BUCKETS),
    paddingSize: tfHistogram(TF.paddingSize, 'Tracks the padding size distribution on batches.', ['execution_batch_size'], BATCH_SIZE_BUCKETS),
    loadAttempts: counter(TF.loadAttemptCount, 'The number of times a SavedModel was successfully loaded.', ['model_path', 'status']),
    loadLatency: counter(TF.loadLatency, 'Latency in microseconds for SavedModels that were successfully loaded.', ['model_path']),

    // --- the tutorial's PromQL names ---
    aliasRequestCount: aliases
      ? cellCounter(PROMQL_ALIASES.requestCount, 'Requests by model and status code (same as :tensorflow:serving:request_count).', ['model_name', 'status'])
      : undefined,
    aliasRequestLatency: aliases
      ? new TfHistogram({
          name: PROMQL_ALIASES.requestLatency,
          help: 'Latency of successful requests in microseconds (same data as :tensorflow:serving:request_latency).',
          labelNames: ['model_name', 'API', 'entrypoint'],
          buckets: LATENCY_BUCKETS_MICROS,
          registry,
          rule: 'prometheus',
        })
      : undefined,
    aliasBatchSize: aliases
      ? histogram(PROMQL_ALIASES.batchSize, 'Requests rows per executed batch, without padding.', ['model_name'], BATCH_SIZE_BUCKETS)
      : undefined,
    aliasLoadSeconds: aliases
      ? gauge(PROMQL_ALIASES.modelLoadLatencySeconds, 'Duration of the last successful load of each model version, in seconds.', ['model_name', 'version'])
      : undefined,

    // --- tfs's own ---
    queued: gauge(TFS.batchingQueuedRequests, 'Requests waiting in batching queues.', ['model_name']),
    runtimeDevice: gauge(
      TFS.runtimeDevice,
      'Devices each loaded model version runs on: runtime embedded (device = tfjs backend) or tensorflow (device = TensorFlow device name).',
      ['model_name', 'version', 'runtime', 'device'],
    ),
    servableState: gauge(TFS.servableState, 'Current state of each model version (1 for the state it is in).', ['model_name', 'version', 'state']),
    configReloads: counter(TFS.configReloadCount, 'Config reloads by kind (model, batching), source and status.', ['kind', 'source', 'status']),
    runtimeTensors: new Gauge({
      name: TFS.runtimeTensors,
      help: 'Live tensors in the runtime (tfjs engine of the main thread); a steady rise is a leak.',
      registers,
      collect() {
        this.set(runtimeMemory().numTensors);
      },
    }),
    runtimeTensorBytes: new Gauge({
      name: TFS.runtimeTensorBytes,
      help: 'Bytes held by live runtime tensors (tfjs engine of the main thread).',
      registers,
      collect() {
        this.set(runtimeMemory().numBytes);
      },
    }),
  };
}

type Instruments = ReturnType<typeof createInstruments>;

function batchingObserverOf(m: Instruments): BatchingObserver {
  return {
    inputBatchSize: (size) => m.inputBatchSize.observe({}, size),
    queuingDelay: (pool, micros) => m.queuingLatency.observe({ thread_pool_name: pool }, micros),
    processedBatch: (modelName, size, padding) => {
      m.processedBatchSize.observe({}, size);
      m.paddingSize.observe({ execution_batch_size: String(size) }, padding);
      m.wrappedRunCount.inc();
      m.aliasBatchSize?.observe({ model_name: modelName }, size - padding);
    },
    queued: (modelName, delta) => m.queued.inc({ model_name: modelName }, delta),
  };
}

/** TfsMetrics.attachCore: core events → `metrics`; returns a function that stops listening. */
function attachCoreEvents(core: CoreWithEvents, m: Instruments, metrics: TfsMetrics, cells: RequestCells): () => void {
  cells.knowModels();
  for (const { name } of core.currentConfig?.().models ?? []) cells.knowModel(name);
  const onState = (e: ServableStateLike): void => {
    cells.knowModel(e.name);
    const labels = { model_name: e.name, version: String(e.version) };
    for (const s of ['START', 'LOADING', 'AVAILABLE', 'UNLOADING']) m.servableState.remove({ ...labels, state: s });
    if (e.state === 'END' || e.state === 'UNKNOWN') {
      m.aliasLoadSeconds?.remove(labels);
      metrics.forgetPlacement(e.name, e.version);
      return;
    }
    m.servableState.set({ ...labels, state: e.state }, 1);
  };
  const onLoad = (e: LoadEventLike): void => metrics.recordLoad(e);
  const onWarmup = (e: WarmupEventLike): void =>
    metrics.recordWarmup({
      path: e.path,
      ok: e.ok,
      records: e.records,
      durationMicros: e.durationMicros,
      // upstream labels failures with the status string, `CODE: message`
      ...(e.ok ? {} : { status: e.error ? `${e.error.codeName ?? 'UNKNOWN'}: ${e.error.message ?? ''}` : 'UNKNOWN' }),
    });
  const onReload = (e: ConfigReloadLike): void =>
    metrics.recordConfigReload('model', e.source, e.ok ? 'OK' : (e.error?.codeName ?? 'UNKNOWN'));
  const pairs: [string, Listener][] = [
    ['servableState', onState as Listener],
    ['load', onLoad as Listener],
    ['warmup', onWarmup as Listener],
    ['configReload', onReload as Listener],
  ];
  for (const [ev, l] of pairs) core.events.on(ev, l);
  // Versions loaded before we were attached (ServerCore.create loads the initial config).
  if (core.currentConfig && core.getModelStatus) {
    for (const { name } of core.currentConfig().models) {
      let versions: readonly { readonly version: number; readonly state: string }[];
      try {
        versions = core.getModelStatus(name);
      } catch {
        continue; // no versions tracked yet
      }
      for (const v of versions) onState({ name, version: v.version, state: v.state });
    }
  }
  return () => {
    for (const [ev, l] of pairs) core.events.off(ev, l);
  };
}

/** The per-request cells of one `model_name` label, bound on first use. */
interface ModelCells {
  /** The `model_name` label these cells carry. */
  readonly model: string;
  /** request_count (and its alias) by status. */
  readonly count: Map<string, BoundCounter[]>;
  /** request_latency (and its alias) by entrypoint, then API. */
  readonly latency: Map<string, Map<string, BoundHistogram[]>>;
  /** runtime_latency by API (default runtime label). */
  readonly runtime: Map<string, BoundHistogram>;
}

/**
 * The request-path metrics with label cells bound once per model / status / API: a request
 * does a few map lookups on short strings and no label-object hashing. Model names are
 * mapped to {@link UNKNOWN_MODEL_LABEL} once a core is attached and a name is neither in its
 * config nor ever seen in a servable state event, so the series stay bounded.
 */
class RequestCells {
  private readonly byModel = new Map<string, ModelCells>();
  /** Model names with their own label; null until a core is attached (every name kept). */
  private known: Set<string> | null = null;

  constructor(
    private readonly m: Instruments,
    private readonly runtimeLabel: string,
  ) {}

  knowModels(): void {
    this.known ??= new Set();
  }

  knowModel(name: string): void {
    this.known?.add(name);
  }

  /** The cells of the label `model`, created on first use. */
  private cellsFor(model: string): ModelCells {
    let cells = this.byModel.get(model);
    if (!cells) {
      cells = { model, count: new Map(), latency: new Map(), runtime: new Map() };
      this.byModel.set(model, cells);
    }
    return cells;
  }

  /** The cells of the label a requested model name gets (no object per request). */
  private cellsOf(name: string): ModelCells {
    return this.cellsFor(this.known === null || this.known.has(name) ? name : UNKNOWN_MODEL_LABEL);
  }

  recordRequest(r: RequestRecord): void {
    const cells = this.cellsOf(r.modelName);
    const model = cells.model;
    let count = cells.count.get(r.status);
    if (!count) {
      const labels = { model_name: model, status: r.status };
      count = [this.m.requestCount.bind(labels)];
      if (this.m.aliasRequestCount) count.push(this.m.aliasRequestCount.bind(labels));
      cells.count.set(r.status, count);
    }
    for (const c of count) c.inc();
    if (r.status !== 'OK') return; // upstream records latency for successful requests only
    let byApi = cells.latency.get(r.entrypoint);
    if (!byApi) cells.latency.set(r.entrypoint, (byApi = new Map()));
    let latency = byApi.get(r.api);
    if (!latency) {
      const labels = { model_name: model, API: r.api, entrypoint: r.entrypoint };
      latency = [this.m.requestLatency.bind(labels)];
      if (this.m.aliasRequestLatency) latency.push(this.m.aliasRequestLatency.bind(labels));
      byApi.set(r.api, latency);
    }
    for (const h of latency) h.observe(r.latencyMicros);
  }

  observeRuntime(r: RuntimeRecord): void {
    if (r.runtime !== undefined && r.runtime !== this.runtimeLabel) {
      this.m.runtimeLatency.observe({ model_name: r.modelName, API: r.api, runtime: r.runtime }, r.latencyMicros);
      return;
    }
    // Runs only happen on loaded models: the name is a bounded label as it is.
    const cells = this.cellsFor(r.modelName);
    let cell = cells.runtime.get(r.api);
    if (!cell) {
      cell = this.m.runtimeLatency.bind({ model_name: r.modelName, API: r.api, runtime: this.runtimeLabel });
      cells.runtime.set(r.api, cell);
    }
    cell.observe(r.latencyMicros);
  }
}

/** Build every metric in `registry`. Call once per registry. */
export function createMetrics(registry: Registry, opts: TfsMetricsOptions = {}): TfsMetrics {
  const runtimeLabel = opts.runtimeLabel ?? 'TF1';
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const m = createInstruments(registry, opts.promqlAliases ?? true);
  const cells = new RequestCells(m, runtimeLabel);
  /** The tfs_runtime_device label sets of each version (`name\0version`), to remove on unload. */
  const placed = new Map<string, { model_name: string; version: string; runtime: string; device: string }[]>();
  const metrics: TfsMetrics = {
    registry,
    recordRequest: (r) => cells.recordRequest(r),
    observeRuntime: (r) => cells.observeRuntime(r),
    recordExampleCount(modelName, examples) {
      m.exampleCounts.observe({ model: modelName }, examples);
      m.exampleCountTotal.inc({ model: modelName }, examples);
    },
    recordLoad(r) {
      m.loadAttempts.inc({ model_path: r.path, status: r.ok ? 'success' : 'fail' });
      if (!r.ok) return;
      m.loadLatency.inc({ model_path: r.path }, Math.round(r.durationMicros));
      m.aliasLoadSeconds?.set({ model_name: r.name, version: String(r.version) }, r.durationMicros / 1e6);
    },
    recordWarmup(r) {
      const status = r.status ?? (r.ok ? 'OK' : 'UNKNOWN');
      m.warmupLatency.observe({ model_path: r.path, status }, r.durationMicros);
      m.warmupRecords.inc({ model_path: r.path, status }, r.records);
    },
    recordRequestLog(modelName, statusCode) {
      m.requestLogCount.inc({ model_name: modelName, status_code: statusCode });
    },
    recordConfigReload(kind, source, status) {
      m.configReloads.inc({ kind, source, status });
    },
    recordMlmd(modelName, version) {
      m.mlmdMap.set({ model_name: modelName, version: String(version) }, 0);
    },
    recordPlacement(modelName, version, placement) {
      metrics.forgetPlacement(modelName, version);
      const sets = [...new Set(placement.devices)].map((device) => ({ model_name: modelName, version: String(version), runtime: placement.runtime, device }));
      for (const labels of sets) m.runtimeDevice.set(labels, 1);
      placed.set(`${modelName}\0${version}`, sets);
    },
    forgetPlacement(modelName, version) {
      const key = `${modelName}\0${version}`;
      for (const labels of placed.get(key) ?? []) m.runtimeDevice.remove(labels);
      placed.delete(key);
    },
    batching: batchingObserverOf(m),
    attachCore: (core) => attachCoreEvents(core, m, metrics, cells),
  };
  return metrics;
}
