/**
 * `tfs serve` as a library call: tensorflow_model_server's BuildAndStart in TypeScript.
 *
 * The request path, for a newcomer:
 *   REST  src/server/rest/app.ts   → src/servables/predict.ts (and classify-regress.ts, metadata.ts)
 *   gRPC  src/server/grpc/*.ts     → the same src/servables/*.ts
 *   both  → ServerCore.getServableHandle (src/core/server-core.ts) → ModelServable.run
 *         → BatchingServable (src/batching, when --enable_batching) → the tfjs runtime (src/runtime)
 *
 * startServer() reads the config files, builds ServerCore with a loader that loads SavedModels
 * on the embedded runtime (wrapped for batching when enabled), waits for the initial models as
 * upstream does, then starts the gRPC and REST listeners and the config poller. shutdown()
 * drains: readiness goes false, listeners stop taking new work, in-flight requests finish
 * within the grace period, models are unloaded.
 */
import { isAbsolute, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { Batcher } from '../batching/batching-servable.js';
import { loadBatchingParameters, defaultBatchingParameters } from '../config/batching.js';
import { loadModelServerConfig, singleModelConfig } from '../config/model-server-config.js';
import { loadMonitoringConfig } from '../config/monitoring.js';
import { loadSslConfig } from '../config/ssl.js';
import type { BatchingParameters, ModelServerConfig, MonitoringConfig, SslConfig } from '../config/types.js';
import { ConfigPoller } from '../core/config-poller.js';
import { ServerCore, type ModelLoader } from '../core/server-core.js';
import type { ServerCoreApi } from '../core/server-core-api.js';
import { Code, TfsError, asTfsError, codeName } from '../errors.js';
import { createMetrics, type TfsMetrics } from '../metrics/metrics.js';
import { createMetricsEndpoint } from '../metrics/exposition.js';
import { initBackend, isBackendName, type BackendName } from '../runtime/backend.js';
import type { ModelServable } from '../servables/servable.js';
import { type Logger } from '../util/logger.js';
import type { FlagValues } from './flags.js';
import { createGrpcServer, type TfsGrpcServer } from './grpc/server.js';
import { buildRestApp, listenRest } from './rest/app.js';

/** A start-up failure: printed as upstream's `Failed to start server. Error: <CODE>: <message>`. */
export class StartupError extends TfsError {}

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
  /** Stop taking new work, let in-flight requests finish for up to graceMs, unload models. */
  shutdown(graceMs: number): Promise<void>;
}

const num = (f: FlagValues, k: string): number => Number(f[k]);
const str = (f: FlagValues, k: string): string => String(f[k] ?? '');
const bool = (f: FlagValues, k: string): boolean => f[k] === true;

function fail(code: number, message: string): never {
  throw new StartupError(code as Code, message);
}

/** Upstream's BuildAndStart checks, with upstream's texts. */
export function checkStartupFlags(f: FlagValues): void {
  if (num(f, 'port') < 0 && str(f, 'grpc_socket_path') === '') {
    fail(Code.INVALID_ARGUMENT, 'At least one of server_options.grpc_port or server_options.grpc_socket_path must be set.');
  }
  if (bool(f, 'use_alts_credentials') && str(f, 'ssl_config_file') !== '') {
    fail(Code.INVALID_ARGUMENT, 'Either use_alts_credentials must be false or ssl_config_file must be empty.');
  }
  if (str(f, 'model_base_path') === '' && str(f, 'model_config_file') === '') {
    fail(Code.INVALID_ARGUMENT, 'Both server_options.model_base_path and server_options.model_config_file are empty!');
  }
  if (str(f, 'batching_parameters_file') !== '' && !bool(f, 'enable_batching')) {
    fail(
      Code.INVALID_ARGUMENT,
      'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.',
    );
  }
  const rest = num(f, 'rest_api_port');
  if (rest > 0 && rest === num(f, 'port')) {
    // Upstream logs this and runs without REST; we refuse, since a user asked for both.
    fail(Code.INVALID_ARGUMENT, `--rest_api_port (${rest}) must differ from --port (${num(f, 'port')}).`);
  }
  if (!isBackendName(str(f, 'backend'))) {
    fail(Code.INVALID_ARGUMENT, `--backend must be one of auto, wasm, cpu, tensorflow (got "${str(f, 'backend')}").`);
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

/** The default loader: a SavedModel on the embedded runtime (imported lazily: it pulls in tfjs). */
async function savedModelLoader(f: FlagValues, logger: Logger): Promise<ModelLoader> {
  const { loadSavedModelServable } = await import('../servables/saved-model-servable.js');
  const tags = str(f, 'saved_model_tags')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const backend = str(f, 'backend') as BackendName;
  return (name, version, dir) => loadSavedModelServable(name, version, dir, { tags, backend, logger });
}

/** Build everything, wait for the initial models, start listening. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const f = opts.flags;
  const logger = opts.logger;
  const cwd = opts.cwd ?? process.cwd();
  checkStartupFlags(f);
  const configs = readConfigs(f, cwd);

  const backend = await initBackend(str(f, 'backend') as BackendName);
  logger.info({ backend }, `Runtime backend: ${backend}`);

  const registry = new Registry();
  const metrics = createMetrics(registry);
  const batcher = configs.batching ? new Batcher(configs.batching, { observer: metrics.batching, logger }) : undefined;
  if (configs.batching) logger.info({ batching: configs.batching }, 'Request batching is enabled');

  const baseLoader = opts.loader ?? (await savedModelLoader(f, logger));
  const loader: ModelLoader = batcher
    ? async (name, version, dir, signal) => {
        const servable: ModelServable = await baseLoader(name, version, dir, signal);
        return batcher.wrap(servable);
      }
    : baseLoader;

  const core = await ServerCore.create(
    configs.model,
    {
      loader,
      fileSystemPollWaitSeconds: num(f, 'file_system_poll_wait_seconds'),
      maxNumLoadRetries: num(f, 'max_num_load_retries'),
      loadRetryIntervalMicros: num(f, 'load_retry_interval_micros'),
      numLoadThreads: num(f, 'num_load_threads'),
      allowVersionLabelsForUnavailableModels: bool(f, 'allow_version_labels_for_unavailable_models'),
      enableModelWarmup: bool(f, 'enable_model_warmup'),
      numRequestIterationsForWarmup: num(f, 'num_request_iterations_for_warmup'),
      logger,
    },
    opts.signal,
  );
  const detachMetrics = metrics.attachCore(core);

  // Readiness goes false as soon as a drain starts, before the listeners close.
  let draining = false;
  const frontCore: ServerCoreApi = {
    getServableHandle: (r) => core.getServableHandle(r),
    getModelStatus: (n, v) => core.getModelStatus(n, v),
    reloadConfig: (c) => core.reloadConfig(c),
    currentConfig: () => core.currentConfig(),
    isReady: () => !draining && core.isReady(),
  };

  const host = str(f, 'host');
  let grpc: TfsGrpcServer | undefined;
  let grpcPort: number | undefined;
  let rest: ReturnType<typeof buildRestApp> | undefined;
  let restPort: number | undefined;
  try {
    grpc = createGrpcServer({
      core: frontCore,
      logger,
      maxMessageBytes: num(f, 'grpc_max_message_bytes'),
      channelArguments: str(f, 'grpc_channel_arguments'),
      maxConcurrentCalls: num(f, 'grpc_max_threads'),
      sslConfig: configs.ssl,
      enableHealthCheck: bool(f, 'enable_grpc_healthcheck_service'),
      enableReflection: true,
      serializeAsTensorContent: bool(f, 'enable_serialization_as_tensor_content'),
      enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
      onCallDone: (e) =>
        metrics.recordRequest({
          modelName: e.modelName,
          api: e.method,
          entrypoint: 'GRPC',
          status: codeName(e.code),
          latencyMicros: e.durationMs * 1000,
        }),
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
        ...(endpoint
          ? {
              metricsPath: endpoint.path,
              metricsHandler: async () => {
                const r = await endpoint.handle(endpoint.path);
                return { contentType: r.contentType, body: r.body };
              },
            }
          : {}),
        metrics: {
          onRequest: (i) =>
            metrics.recordRequest({
              modelName: i.modelName,
              api: i.api,
              entrypoint: 'REST',
              status: i.codeName,
              latencyMicros: i.latencySeconds * 1e6,
            }),
        },
      });
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

  let closing: Promise<void> | undefined;
  return {
    core,
    grpcPort,
    restPort,
    metrics,
    shutdown(graceMs: number): Promise<void> {
      closing ??= (async () => {
        draining = true;
        grpc?.setServingStatus('NOT_SERVING');
        poller?.stop();
        const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
        await Promise.all([
          grpc?.shutdown(graceMs),
          // fastify's close() stops accepting connections and waits for in-flight requests.
          rest ? Promise.race([rest.close(), grace]) : undefined,
        ]);
        detachMetrics();
        await core.close();
      })();
      return closing;
    },
  };
}
