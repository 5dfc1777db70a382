/**
 * `tfs serve` as a library call: tensorflow_model_server's BuildAndStart in TypeScript.
 * This file is the table of contents of a start-up; each step lives in its own file:
 *
 *   startup-checks.ts   upstream's flag checks, then the config files the flags name
 *   loaders.ts          SavedModel loader → batching (when enabled) → timed (metrics/timed-servable.ts)
 *   server-core.ts      ServerCore: the model lifecycle, initial load, reloads
 *   front-ends.ts       gRPC server and REST app with metrics and the request log
 *   rest/drain-plugin.ts, shutdown.ts   the drain on SIGTERM (signals.ts installs the handlers)
 *   config-poller.ts    --model_config_file_poll_wait_seconds
 *
 * The path of a request is in src/README.md ("The path of a predict request").
 */
import { type HeapGrowthPolicy, followLifecycle } from './heap-growth.js';
import { isAbsolute, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigPoller } from './config-poller.js';
import { ServerCore, type ModelLoader } from './server-core.js';
import type { ServerCoreApi } from '../core/server-core-api.js';
import { asTfsError } from '../errors.js';
import { createMetrics, type TfsMetrics } from '../metrics/metrics.js';
import { initBackend, type BackendName } from '../runtime/backend.js';
import { runtimeHealth } from '../core/runtime-health.js';
import { setRequestLimits } from '../tensor/limits.js';
import { type Logger } from '../util/logger.js';
import { bool, num, str } from './flag-access.js';
import type { FlagValues } from './flags.js';
import { createServeGrpc, createServeRest, listenServeGrpc, listenServeRest, type FrontEndContext, type RestApp } from './front-ends.js';
import type { TfsGrpcServer } from './grpc/server.js';
import { createRequestLogger } from './request-log.js';
import { createRestDrain, type RestDrain } from './rest/drain-plugin.js';
import { createV2Metrics } from './v2/metrics.js';
import { v2Repository } from './v2/index.js';
import { createServingLoader, wasmThreadPlan } from './loaders.js';
import { type BatchingReloader, createBatchingReloader } from './batching-reload.js';
import type { Batcher } from '../batching/batching-servable.js';
import { drainAndStop } from './shutdown.js';
import { LiveMetricsEndpoint } from '../metrics/exposition.js';
import { MonitoringReloader, monitoringPollSeconds } from './monitoring-reload.js';
import { checkBasePathsExist, checkStartupFlags, readConfigs, type Configs } from './startup-checks.js';

export { StartupError } from '../errors.js';
export { checkStartupFlags } from './startup-checks.js';

export interface StartOptions {
  readonly flags: FlagValues;
  readonly logger: Logger;
  /** Working directory for relative paths on the command line (default process.cwd()). */
  readonly cwd?: string;
  /** Load a version directory (default: the SavedModel loader on the embedded runtime). */
  readonly loader?: ModelLoader;
  /** Give up waiting for the initial models (e.g. on SIGINT during start-up). */
  readonly signal?: AbortSignal;
  /** V8's heap growing factor, tight around loads and reloads (heap-growth.ts); `tfs serve` passes it. */
  readonly heapGrowth?: HeapGrowthPolicy;
}

export interface RunningServer {
  readonly core: ServerCore;
  /** Bound gRPC TCP port, or undefined when gRPC TCP is disabled. */
  readonly grpcPort: number | undefined;
  /** Bound REST port, or undefined when REST is disabled. */
  readonly restPort: number | undefined;
  readonly metrics: TfsMetrics;
  /** Re-reads the batching parameters while serving (batching on); see batching-reload.ts. */
  readonly batchingReload: BatchingReloader | undefined;
  /** Re-reads --monitoring_config_file while serving (when polled); see monitoring-reload.ts. */
  readonly monitoringReload: MonitoringReloader | undefined;
  /** What `/readyz` reports: every configured model has an available version and no drain started. */
  isReady(): boolean;
  /**
   * Drain and stop: readiness goes false and gRPC health NOT_SERVING at once, the config
   * poller stops, the listeners stop accepting work, in-flight requests get up to `graceMs`
   * to finish (then they are cancelled), and the models are unloaded. Idempotent.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** `port 8500`, `unix:/tmp/s.sock`, both, or `off`. */
function grpcWhere(port: number | undefined, socketPath: string): string {
  const where = [...(port === undefined ? [] : [`port ${port}`]), ...(socketPath ? [`unix:${socketPath}`] : [])];
  return where.length > 0 ? where.join(' and ') : 'off';
}

/** `half_plus_two versions 123; my_model versions 2, 1 (labels stable=1, canary=2)`. */
function servingSummary(core: ServerCore): string {
  return core
    .currentConfig()
    .models.map((m) => {
      let versions: number[] = [];
      try {
        versions = core
          .getModelStatus(m.name)
          .filter((v) => v.state === 'AVAILABLE')
          .map((v) => v.version);
      } catch {
        /* no versions tracked yet */
      }
      const labels = Object.entries(m.versionLabels).map(([l, v]) => `${l}=${v}`);
      return `${m.name} version${versions.length === 1 ? '' : 's'} ${versions.join(', ') || 'none'}${labels.length ? ` (labels ${labels.join(', ')})` : ''}`;
    })
    .join('; ');
}

/** ServerCore with the lifecycle flags. */
function createCore(f: FlagValues, loader: ModelLoader, logger: Logger): ServerCore {
  return new ServerCore({
    loader,
    fileSystemPollWaitSeconds: num(f, 'file_system_poll_wait_seconds'),
    maxNumLoadRetries: num(f, 'max_num_load_retries'),
    loadRetryIntervalMicros: num(f, 'load_retry_interval_micros'),
    numLoadThreads: num(f, 'num_load_threads'),
    allowVersionLabelsForUnavailableModels: bool(f, 'allow_version_labels_for_unavailable_models'),
    enableModelWarmup: bool(f, 'enable_model_warmup'),
    numRequestIterationsForWarmup: num(f, 'num_request_iterations_for_warmup'),
    // By the time the core closes, the listeners have drained (or the grace period is over).
    shutdownDrainTimeoutMs: 1000,
    logger,
  });
}

/** What the front ends see: the core, with readiness false once a drain starts. */
function frontCoreOf(core: ServerCore, draining: () => boolean): ServerCoreApi {
  return {
    getServableHandle: (r) => core.getServableHandle(r),
    getModelStatus: (n, v) => core.getModelStatus(n, v),
    reloadConfig: (c) => core.reloadConfig(c),
    currentConfig: () => core.currentConfig(),
    // Not ready while the runtime is rebuilt after a fault (core/runtime-health.ts).
    isReady: () => !draining() && runtimeHealth.serving && core.isReady(),
  };
}

interface Listening {
  grpc: TfsGrpcServer | undefined;
  grpcPort: number | undefined;
  rest: RestApp | undefined;
  restPort: number | undefined;
}

/** Start the gRPC and REST listeners; on failure, close whatever started and rethrow. */
async function startFrontEnds(c: FrontEndContext, registry: Registry, restDrain: RestDrain): Promise<Listening> {
  const out: Listening = { grpc: undefined, grpcPort: undefined, rest: undefined, restPort: undefined };
  try {
    out.grpc = createServeGrpc(c);
    out.grpcPort = await listenServeGrpc(out.grpc, c.f);
    if (num(c.f, 'rest_api_port') >= 0) {
      const { app, metricsPath } = await createServeRest(c, registry, restDrain);
      out.rest = app;
      out.restPort = await listenServeRest(app, c.f, c.logger, metricsPath);
    }
    return out;
  } catch (e) {
    out.grpc?.forceShutdown();
    await out.rest?.close().catch(() => undefined);
    throw e;
  }
}

/** --model_config_file_poll_wait_seconds: the poller (undefined when off). */
function configPoller(f: FlagValues, cwd: string, core: ServerCore, logger: Logger): ConfigPoller | undefined {
  const modelFile = str(f, 'model_config_file');
  if (!modelFile || num(f, 'model_config_file_poll_wait_seconds') <= 0) return undefined;
  // In explicit mode models change only through the V2 repository API.
  if (str(f, 'model_control_mode') === 'explicit') return undefined;
  return new ConfigPoller({
    file: isAbsolute(modelFile) ? modelFile : resolve(cwd, modelFile),
    pollWaitSeconds: num(f, 'model_config_file_poll_wait_seconds'),
    core,
    logger,
  });
}

/** The batching-parameters poller (batching-reload.ts); it polls only when its interval is > 0. */
function batchingReloader(f: FlagValues, cwd: string, batcher: Batcher, perModel: boolean, metrics: TfsMetrics, logger: Logger): BatchingReloader {
  const file = str(f, 'batching_parameters_file');
  return createBatchingReloader({
    flags: f,
    file: file ? (isAbsolute(file) ? file : resolve(cwd, file)) : undefined,
    batcher,
    perModel,
    count: (status) => metrics.recordConfigReload('batching', 'file', status),
    logger,
  });
}

/** The metrics page, and its poller when --monitoring_config_file is polled (monitoring-reload.ts). */
function monitoring(f: FlagValues, cwd: string, registry: Registry, configs: Configs, metrics: TfsMetrics, logger: Logger): { endpoint: LiveMetricsEndpoint; reloader: MonitoringReloader | undefined } {
  const endpoint = new LiveMetricsEndpoint(registry, configs.monitoring);
  const file = str(f, 'monitoring_config_file');
  const seconds = monitoringPollSeconds(num(f, 'monitoring_config_file_poll_wait_seconds'), num(f, 'model_config_file_poll_wait_seconds'));
  if (!file || seconds <= 0) return { endpoint, reloader: undefined };
  logger.info({ pollWaitSeconds: seconds }, `Polling the monitoring config every ${seconds} s`);
  const count = (status: string): void => metrics.recordConfigReload('monitoring', 'file', status);
  return { endpoint, reloader: new MonitoringReloader({ file: isAbsolute(file) ? file : resolve(cwd, file), endpoint, pollWaitSeconds: seconds, logger, count }) };
}

/** The request logger for --log_requests (undefined when off). */
function requestLogger(f: FlagValues, core: ServerCore, metrics: TfsMetrics, logger: Logger): FrontEndContext['logRequest'] {
  if (!bool(f, 'log_requests')) return undefined;
  return createRequestLogger({ logger, config: () => core.currentConfig(), onLogged: (model) => metrics.recordRequestLog(model, 'OK') });
}

/** Load the initial models (ServerCore waits for them, as upstream); on failure, close the core. */
async function initialLoad(core: ServerCore, configs: Configs, detachMetrics: () => void, signal: AbortSignal | undefined): Promise<void> {
  try {
    await core.reloadConfig(configs.model, signal ? { signal } : {});
  } catch (e) {
    detachMetrics();
    await core.close();
    throw e;
  }
}

/** Build everything, wait for the initial models, start listening. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { flags: f, logger } = opts;
  const cwd = opts.cwd ?? process.cwd();
  checkStartupFlags(f);
  const configs = readConfigs(f, cwd);
  await checkBasePathsExist(configs.model);

  // TensorFlow's own runtime needs no tfjs backend (auto may still fall back to the embedded one).
  if (str(f, 'runtime') !== 'tensorflow') {
    const backend = await initBackend(str(f, 'backend') as BackendName, { wasmThreads: wasmThreadPlan(f).main, logger });
    logger.info({ backend }, `Runtime backend: ${backend}`);
  }
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const { loader, batcher, perModel } = await createServingLoader(f, configs.batching, metrics, logger, opts.loader);
  const batchingReload = batcher && batchingReloader(f, cwd, batcher, perModel, metrics, logger);
  setRequestLimits({ maxElements: num(f, 'max_request_elements'), maxTensorBytes: num(f, 'max_request_tensor_bytes') });
  const core = createCore(f, loader, logger);
  // Metrics listen before the initial load, so its load attempts and latencies are counted.
  const detachMetrics = metrics.attachCore(core);
  await initialLoad(core, configs, detachMetrics, opts.signal);

  // Readiness goes false as soon as a drain starts, before the listeners close.
  let draining = false;
  const frontCore = frontCoreOf(core, () => draining);
  const live = monitoring(f, cwd, registry, configs, metrics, logger);
  const restDrain = createRestDrain(() => draining);
  const context: FrontEndContext = {
    f,
    core: frontCore,
    logger,
    configs,
    metrics,
    logRequest: requestLogger(f, core, metrics, logger),
    v2: { repository: v2Repository(core, f, cwd, configs.model), metrics: createV2Metrics(registry) },
    debugConfig: () => ({ batching: batchingReload?.describe() ?? null, monitoring: live.reloader?.describe() ?? null }),
    metricsEndpoint: live.endpoint,
  };
  let listening: Listening;
  try {
    listening = await startFrontEnds(context, registry, restDrain);
  } catch (e) {
    detachMetrics();
    await core.close();
    throw asTfsError(e);
  }
  const { grpc, grpcPort, rest, restPort } = listening;
  const poller = configPoller(f, cwd, core, logger);
  poller?.start();
  const detachHeapGrowth = opts.heapGrowth && followLifecycle(opts.heapGrowth, core);
  batchingReload?.start();
  live.reloader?.start();
  // gRPC health follows the runtime: NOT_SERVING during a rebuild (never back up once draining).
  const stopHealthWatch = runtimeHealth.onChange((serving) => {
    if (!draining) grpc?.setServingStatus(serving ? 'SERVING' : 'NOT_SERVING');
  });
  logger.info(
    { grpcPort, restPort, models: core.currentConfig().models.map((m) => m.name) },
    `Serving ${servingSummary(core)}; gRPC ${grpcWhere(grpcPort, str(f, 'grpc_socket_path'))}, REST ${restPort === undefined ? 'off' : `port ${restPort}`}`,
  );
  let closing: Promise<void> | undefined;
  const grace = Math.max(0, num(f, 'shutdown_grace_period_ms'));
  return {
    core,
    grpcPort,
    restPort,
    metrics,
    batchingReload,
    monitoringReload: live.reloader,
    isReady: () => frontCore.isReady(),
    shutdown(graceMs: number = grace): Promise<void> {
      draining = true;
      stopHealthWatch();
      detachHeapGrowth?.();
      void live.reloader?.stop();
      closing ??= drainAndStop({ core, grpc, rest, restDrain, poller, batchingReload, detachMetrics, flushBatches: () => batcher?.scheduler.flushAll() }, graceMs);
      return closing;
    },
  };
}
