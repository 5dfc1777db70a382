/**
 * `tfs serve` as a library call: tensorflow_model_server's BuildAndStart in TypeScript.
 *
 * The request path, for a newcomer:
 *   REST  src/server/rest/app.ts   → src/servables/predict.ts (and classify-regress.ts, metadata.ts)
 *   gRPC  src/server/grpc/*.ts     → the same src/servables/*.ts
 *   both  → ServerCore.getServableHandle (src/core/server-core.ts) → ModelServable.run
 *         → BatchingServable (src/batching, when --enable_batching) → the tfjs runtime (src/runtime)
 *
 * startServer() checks the flags as upstream's BuildAndStart does, reads the config files,
 * builds ServerCore with a loader that loads SavedModels on the embedded runtime (wrapped for
 * batching when enabled, timed for runtime_latency), waits for the initial models as upstream
 * does, then starts the gRPC and REST listeners and the config poller. shutdown() drains:
 * readiness goes false, new API calls are refused, in-flight requests finish within the grace
 * period, the listeners close and the models are unloaded.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { Batcher } from '../batching/batching-servable.js';
import type { ExecutionMode } from '../batching/executor.js';
import type { WorkerSource } from '../batching/worker-protocol.js';
import { savedModelWorkerSource } from '../batching/worker-source.js';
import { loadBatchingParameters, defaultBatchingParameters } from '../config/batching.js';
import { loadModelServerConfig, singleModelConfig } from '../config/model-server-config.js';
import { loadMonitoringConfig } from '../config/monitoring.js';
import { loadSslConfig } from '../config/ssl.js';
import type { BatchingParameters, ModelServerConfig, MonitoringConfig, SslConfig } from '../config/types.js';
import { ConfigPoller } from './config-poller.js';
import { type BatchingReloader, createBatchingReloader, registerDebugConfig } from './batching-reload.js';
import { ServerCore, type ModelLoader } from './server-core.js';
import { localPathOf } from '../sources/file-system-source.js';
import type { ServerCoreApi } from '../core/server-core-api.js';
import { Errors, TfsError, asTfsError, codeName, StartupError } from '../errors.js';
import { createMetrics, type TfsMetrics } from '../metrics/metrics.js';
import { createMetricsEndpoint } from '../metrics/exposition.js';
import { initBackend, isBackendName, type BackendName } from '../runtime/backend.js';
import type { ModelServable } from '../core/servable.js';
import { errorJson } from '../tensor/json-tensor.js';
import { type Logger } from '../util/logger.js';
import type { FlagValues } from './flags.js';
import { createGrpcServer, type TfsGrpcServer } from './grpc/server.js';
import { createRequestLogger } from './request-log.js';
import { buildRestApp, listenRest } from './rest/app.js';

export { StartupError } from '../errors.js';

export interface StartOptions {
  readonly flags: FlagValues;
  readonly logger: Logger;
  /** Working directory for relative paths on the command line (default process.cwd()). */
  readonly cwd?: string;
  /** Load a version directory (default: the SavedModel loader on the embedded runtime). */
  readonly loader?: ModelLoader;
  /** Give up waiting for the initial models (e.g. on SIGINT during start-up). */
  readonly signal?: AbortSignal;
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
  /** What `/readyz` reports: every configured model has an available version and no drain started. */
  isReady(): boolean;
  /**
   * Drain and stop: readiness goes false and gRPC health NOT_SERVING at once, the config
   * poller stops, the listeners stop accepting work, in-flight requests get up to `graceMs`
   * to finish (then they are cancelled), and the models are unloaded. Idempotent.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** gRPC methods upstream counts in request_count / request_latency (spec §5.2). */
const GRPC_METRIC_METHODS: ReadonlySet<string> = new Set([
  '/tensorflow.serving.PredictionService/Predict',
  '/tensorflow.serving.PredictionService/Classify',
  '/tensorflow.serving.PredictionService/Regress',
]);

/** upstream's runtime_latency `API` label, from the method name of the signature that ran. */
function runtimeApiOf(methodName: string | undefined): string {
  if (methodName === 'tensorflow/serving/classify') return 'Classify';
  if (methodName === 'tensorflow/serving/regress') return 'Regress';
  return 'Predict';
}

/**
 * `servable` with every run() timed into runtime_latency (queue time included when it wraps
 * a batching servable, as upstream measures it around the batching session).
 */
function timedServable(servable: ModelServable, metrics: TfsMetrics): ModelServable {
  return {
    name: servable.name,
    version: servable.version,
    signatures: servable.signatures,
    signatureDefMap: servable.signatureDefMap,
    async run(key, inputs, options) {
      const t0 = performance.now();
      try {
        return await servable.run(key, inputs, options);
      } finally {
        metrics.observeRuntime({
          modelName: servable.name,
          api: runtimeApiOf(servable.signatures.get(key)?.methodName),
          latencyMicros: (performance.now() - t0) * 1000,
        });
      }
    },
    dispose: () => servable.dispose(),
  };
}

const num = (f: FlagValues, k: string): number => Number(f[k]);
const str = (f: FlagValues, k: string): string => String(f[k] ?? '');
const bool = (f: FlagValues, k: string): boolean => f[k] === true;

function fail(err: TfsError): never {
  throw new StartupError(err);
}

/** Upstream's BuildAndStart checks, with upstream's texts. */
export function checkStartupFlags(f: FlagValues): void {
  if (num(f, 'port') < 0 && str(f, 'grpc_socket_path') === '') {
    fail(Errors.noGrpcPortOrSocket());
  }
  if (bool(f, 'use_alts_credentials') && str(f, 'ssl_config_file') !== '') {
    fail(Errors.altsWithSsl());
  }
  if (str(f, 'model_base_path') === '' && str(f, 'model_config_file') === '') {
    fail(Errors.noModelBasePathOrConfig());
  }
  if (str(f, 'batching_parameters_file') !== '' && !bool(f, 'enable_batching')) {
    fail(Errors.batchingFileWithoutBatching());
  }
  if (num(f, 'tensorflow_session_parallelism') > 0 && num(f, 'tensorflow_intra_op_parallelism') > 0 && num(f, 'tensorflow_inter_op_parallelism') > 0) {
    fail(Errors.sessionParallelismConflict());
  }
  const rest = num(f, 'rest_api_port');
  if (rest > 0 && rest === num(f, 'port')) {
    // Upstream logs this and runs without REST; we refuse, since a user asked for both.
    fail(Errors.restPortIsGrpcPort(rest, num(f, 'port')));
  }
  if (!['auto', 'in-thread', 'workers'].includes(str(f, 'batch_execution'))) {
    fail(Errors.badBatchExecution(str(f, 'batch_execution')));
  }
  if (num(f, 'batch_worker_threads') < 0) {
    fail(Errors.badBatchWorkerThreads(num(f, 'batch_worker_threads')));
  }
  if (!isBackendName(str(f, 'backend'))) {
    fail(Errors.badBackend(str(f, 'backend')));
  }
}

/**
 * tfs refuses to start when a model's base path does not exist. Upstream instead logs
 * `Could not find base path ...` every poll and waits forever; a typo in a path is then a
 * server that never becomes ready. Later reloads keep upstream's behaviour (logged, the
 * running config stays).
 */
function checkBasePathsExist(config: ModelServerConfig): void {
  for (const m of config.models) {
    const local = localPathOf(m.basePath);
    if ('error' in local) continue; // the source reports unsupported schemes itself
    if (!existsSync(local.path)) {
      fail(Errors.basePathNotFound(local.path, m.name));
    }
  }
}

interface Configs {
  readonly model: ModelServerConfig;
  readonly batching: BatchingParameters | undefined;
  readonly monitoring: MonitoringConfig | undefined;
  readonly ssl: SslConfig | undefined;
}

function readConfigs(f: FlagValues, cwd: string): Configs {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const modelFile = str(f, 'model_config_file');
  // --model_config_file wins over --model_name/--model_base_path (as upstream). A relative
  // --model_base_path is resolved against the working directory (upstream requires absolute).
  const model = modelFile ? loadModelServerConfig(path(modelFile)) : singleModelConfig(str(f, 'model_name'), path(str(f, 'model_base_path')));
  const batchingFile = str(f, 'batching_parameters_file');
  const batching = bool(f, 'enable_batching')
    ? batchingFile
      ? loadBatchingParameters(path(batchingFile))
      : defaultBatchingParameters()
    : undefined;
  const monitoringFile = str(f, 'monitoring_config_file');
  const sslFile = str(f, 'ssl_config_file');
  return {
    model,
    batching,
    monitoring: monitoringFile ? loadMonitoringConfig(path(monitoringFile)) : undefined,
    ssl: sslFile ? loadSslConfig(path(sslFile)) : undefined,
  };
}

/** How a model version is loaded: in this thread, and (optionally) in batch worker threads. */
interface BaseLoader {
  readonly load: ModelLoader;
  /** What a batch worker thread loads for this version (undefined: batches run in-thread). */
  readonly workerSource?: (name: string, version: number, dir: string) => WorkerSource;
}

/** The default loader: a SavedModel on the embedded runtime (imported lazily: it pulls in tfjs). */
async function savedModelLoader(f: FlagValues, logger: Logger): Promise<BaseLoader> {
  const { loadSavedModelServable } = await import('../servables/saved-model-servable.js');
  const tags = str(f, 'saved_model_tags')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const backend = str(f, 'backend') as BackendName;
  return {
    load: (name, version, dir) => loadSavedModelServable(name, version, dir, { tags, backend, logger }),
    workerSource: (name, version, dir) => savedModelWorkerSource(name, version, dir, { tags, backend }),
  };
}

/** Upstream's per-model batching file, read from the version directory. */
const PER_MODEL_BATCHING_FILE = 'batching_params.pbtxt';

/**
 * The loader tfs serve uses: `base` (the SavedModel loader), then batching when enabled
 * (server-wide parameters, or with --enable_per_model_batching_parameters the version's own
 * batching_params.pbtxt, as upstream's GetPerModelBatchingParams: no file = no batching for
 * that model), then runtime_latency timing; records mlmd_map for versions with an MLMD id.
 */
function servingLoader(base: BaseLoader, batcher: Batcher | undefined, perModel: boolean, metrics: TfsMetrics, logger: Logger): ModelLoader {
  return async (name, version, dir, signal) => {
    // Read the per-model parameters first: a bad file fails the load before the model is read.
    let batching: { params?: BatchingParameters; paramsFile?: string } | undefined = perModel ? undefined : batcher && {};
    if (batcher && perModel) {
      const file = join(dir, PER_MODEL_BATCHING_FILE);
      if (existsSync(file)) {
        batching = { params: loadBatchingParameters(file), paramsFile: file };
        logger.info({ model: name, version, batching: batching.params }, `Batching ${name} version ${version} with its own ${PER_MODEL_BATCHING_FILE}`);
      }
    }
    let servable: ModelServable = await base.load(name, version, dir, signal);
    if (batcher && batching) {
      servable = batcher.wrap(servable, {
        ...batching,
        ...(base.workerSource ? { workerSource: base.workerSource(name, version, dir) } : {}),
      });
    }
    if (existsSync(join(dir, 'assets.extra', 'mlmd_uuid'))) metrics.recordMlmd(name, version);
    return timedServable(servable, metrics);
  };
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

/** Build everything, wait for the initial models, start listening. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const f = opts.flags;
  const logger = opts.logger;
  const cwd = opts.cwd ?? process.cwd();
  checkStartupFlags(f);
  const configs = readConfigs(f, cwd);
  checkBasePathsExist(configs.model);

  const backend = await initBackend(str(f, 'backend') as BackendName);
  logger.info({ backend }, `Runtime backend: ${backend}`);

  const registry = new Registry();
  const metrics = createMetrics(registry);
  const batcher = configs.batching
    ? new Batcher(configs.batching, {
        observer: metrics.batching,
        logger,
        execution: str(f, 'batch_execution') as ExecutionMode,
        ...(num(f, 'batch_worker_threads') > 0 ? { maxWorkers: num(f, 'batch_worker_threads') } : {}),
      })
    : undefined;
  if (configs.batching) logger.info({ batching: configs.batching }, 'Request batching is enabled');
  const perModelBatching = batcher !== undefined && bool(f, 'enable_per_model_batching_parameters');
  if (bool(f, 'enable_per_model_batching_parameters') && !batcher) {
    logger.warn('--enable_per_model_batching_parameters has no effect without --enable_batching');
  }

  const batchingFile = str(f, 'batching_parameters_file');
  const batchingReload =
    batcher &&
    createBatchingReloader({
      flags: f,
      file: batchingFile ? (isAbsolute(batchingFile) ? batchingFile : resolve(cwd, batchingFile)) : undefined,
      batcher,
      perModel: perModelBatching,
      count: (status) => metrics.recordConfigReload('batching', 'file', status),
      logger,
    });

  const base: BaseLoader = opts.loader ? { load: opts.loader } : await savedModelLoader(f, logger);
  const loader = servingLoader(base, batcher, perModelBatching, metrics, logger);
  const grace = Math.max(0, num(f, 'shutdown_grace_period_ms'));

  // Metrics listen before the initial load, so its load attempts and latencies are counted
  // (ServerCore.create would load before we could attach).
  const core = new ServerCore({
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
  const detachMetrics = metrics.attachCore(core);
  try {
    await core.reloadConfig(configs.model, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    detachMetrics();
    await core.close();
    throw e;
  }

  // Readiness goes false as soon as a drain starts, before the listeners close.
  let draining = false;
  const frontCore: ServerCoreApi = {
    getServableHandle: (r) => core.getServableHandle(r),
    getModelStatus: (n, v) => core.getModelStatus(n, v),
    reloadConfig: (c) => core.reloadConfig(c),
    currentConfig: () => core.currentConfig(),
    isReady: () => !draining && core.isReady(),
  };

  const logRequest = bool(f, 'log_requests')
    ? createRequestLogger({
        logger,
        config: () => core.currentConfig(),
        onLogged: (model) => metrics.recordRequestLog(model, 'OK'),
      })
    : undefined;

  const host = str(f, 'host');
  let grpc: TfsGrpcServer | undefined;
  let grpcPort: number | undefined;
  let rest: ReturnType<typeof buildRestApp> | undefined;
  let restPort: number | undefined;
  let drain: RestDrain | undefined;
  try {
    grpc = createGrpcServer({
      core: frontCore,
      logger,
      maxMessageBytes: num(f, 'grpc_max_message_bytes'),
      channelArguments: str(f, 'grpc_channel_arguments'),
      maxConcurrentCalls: num(f, 'grpc_max_threads'),
      sslConfig: configs.ssl,
      enableHealthCheck: bool(f, 'enable_grpc_healthcheck_service'),
      enableReflection: bool(f, 'enable_grpc_reflection'),
      serializeAsTensorContent: bool(f, 'enable_serialization_as_tensor_content'),
      enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
      onCallDone: (e) => {
        const status = codeName(e.code);
        if (GRPC_METRIC_METHODS.has(e.path)) {
          metrics.recordRequest({ modelName: e.modelName, api: e.method, entrypoint: 'GRPC', status, latencyMicros: e.durationMs * 1000 });
        }
        logRequest?.({ entrypoint: 'GRPC', api: e.method, modelName: e.modelName, version: e.version, status, latencyMs: e.durationMs });
      },
    });
    if (num(f, 'port') >= 0) {
      // createGrpcServer's listen() logs upstream's `Running gRPC ModelServer at ...` line.
      grpcPort = await grpc.listen(host, num(f, 'port'));
    }
    const socketPath = str(f, 'grpc_socket_path');
    if (socketPath) {
      await grpc.listenUnix(socketPath);
    }

    if (num(f, 'rest_api_port') >= 0) {
      const endpoint = createMetricsEndpoint(registry, configs.monitoring);
      rest = buildRestApp({
        core: frontCore,
        logger,
        restApiTimeoutMs: num(f, 'rest_api_timeout_in_ms'),
        enableCors: bool(f, 'rest_api_enable_cors_support'),
        bodyLimit: num(f, 'rest_api_body_limit_bytes'),
        enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
        ...(endpoint ? { metricsPath: endpoint.path, metricsHandler: (uri: string) => endpoint.handle(uri) } : {}),
        metrics: {
          onRequest: (i) => {
            metrics.recordRequest({
              modelName: i.modelName,
              api: i.api,
              entrypoint: 'REST',
              status: i.codeName,
              latencyMicros: i.latencySeconds * 1e6,
            });
            logRequest?.({
              entrypoint: 'REST',
              api: i.kind || i.api,
              modelName: i.modelName,
              version: i.version,
              status: i.codeName,
              httpStatus: i.httpStatus,
              latencyMs: i.latencySeconds * 1000,
            });
          },
        },
      });
      drain = trackRestRequests(rest, () => draining);
      registerDebugConfig(rest, () => ({ batching: batchingReload?.describe() ?? null }));
      restPort = await listenRest(rest, num(f, 'rest_api_port'), host || undefined);
      logger.info({ port: restPort }, `Exporting HTTP/REST API at:localhost:${restPort} ...`);
      if (endpoint) logger.info(`Prometheus metrics at http://localhost:${restPort}${endpoint.path}`);
    }
  } catch (e) {
    grpc?.forceShutdown();
    await rest?.close().catch(() => undefined);
    detachMetrics();
    await core.close();
    throw asTfsError(e);
  }

  const modelFile = str(f, 'model_config_file');
  const poller =
    modelFile && num(f, 'model_config_file_poll_wait_seconds') > 0
      ? new ConfigPoller({
          file: isAbsolute(modelFile) ? modelFile : resolve(cwd, modelFile),
          pollWaitSeconds: num(f, 'model_config_file_poll_wait_seconds'),
          core,
          logger,
        })
      : undefined;
  poller?.start();
  batchingReload?.start();

  logger.info(
    { grpcPort, restPort, models: core.currentConfig().models.map((m) => m.name) },
    `Serving ${servingSummary(core)}; gRPC ${grpcWhere(grpcPort, str(f, 'grpc_socket_path'))}, REST ${restPort === undefined ? 'off' : `port ${restPort}`}`,
  );

  let closing: Promise<void> | undefined;
  return {
    core,
    grpcPort,
    restPort,
    metrics,
    batchingReload,
    isReady: () => frontCore.isReady(),
    shutdown(graceMs: number = grace): Promise<void> {
      closing ??= (async () => {
        draining = true;
        grpc?.setServingStatus('NOT_SERVING');
        const pollerStopped = Promise.all([poller?.stop(), batchingReload?.stop()]);
        let graceTimer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<'grace'>((r) => {
          graceTimer = setTimeout(() => r('grace'), graceMs);
        });
        const restClosed = (async () => {
          if (!rest) return;
          // The REST listener stays open while requests finish, so `/readyz` answers 503
          // and new API calls get UNAVAILABLE instead of a refused connection.
          await Promise.race([drain?.idle(), graceOver]);
          const closed = rest.close();
          // Idle keep-alive connections go at once; anything still running after the
          // grace period is cut off.
          rest.server.closeIdleConnections();
          if ((await Promise.race([closed.then(() => 'closed' as const), graceOver])) === 'grace') {
            rest.server.closeAllConnections();
            await closed;
          }
        })();
        // grpc-js: refuse new calls, let running ones finish, cancel what is left at graceMs
        // (including open health Watch streams).
        await Promise.all([grpc?.shutdown(graceMs), restClosed]);
        clearTimeout(graceTimer);
        await pollerStopped;
        detachMetrics();
        await core.close();
      })();
      return closing;
    },
  };
}

interface RestDrain {
  /** Resolves when no REST request is running. */
  idle(): Promise<void>;
}

/**
 * Counts running REST requests and, once `draining()` is true, answers new `/v1/` calls
 * with UNAVAILABLE `Server is shutting down` (probes and the metrics page still answer).
 */
function trackRestRequests(app: ReturnType<typeof buildRestApp>, draining: () => boolean): RestDrain {
  let running = 0;
  let waiters: (() => void)[] = [];
  const refused = Errors.serverShuttingDown();
  app.addHook('onRequest', (request, reply, done) => {
    if (draining() && /^\/v1\//i.test(request.raw.url ?? '')) {
      void reply
        .code(refused.httpStatus)
        .header('content-type', 'application/json')
        .header('connection', 'close')
        .send(errorJson(refused.message));
      return;
    }
    running++;
    // 'close' fires however the response ends (sent, failed, client gone).
    reply.raw.once('close', () => {
      running--;
      if (running === 0) {
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    });
    done();
  });
  return {
    idle: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
