/**
 * The tfs gRPC server: tensorflow_model_server's gRPC surface on @grpc/grpc-js.
 *
 * `createGrpcServer(opts)` registers `tensorflow.serving.PredictionService` and
 * `tensorflow.serving.ModelService` (plus, on request, `grpc.health.v1.Health` and server
 * reflection), with upstream's message limits, channel arguments, TLS and the
 * `--grpc_max_threads` concurrency cap. `listen()` binds like upstream's `--port`
 * (`0.0.0.0:<port>`), `listenUnix()` like `--grpc_socket_path`; `shutdown()` drains.
 */
import { flowWindowBytes, openFlowWindows } from './flow-window.js';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { loadSslConfig } from '../../config/ssl.js';
import type { SslConfig } from '../../config/types.js';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import { Errors } from '../../errors.js';
import { protoFiles, protosDir } from '../../proto/root.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import type { FlagValues } from '../flags.js';
import { CallLimiter, InFlightCalls } from './call-context.js';
import { MODEL_SERVICE, PREDICTION_SERVICE, modelServiceDefinition, predictionServiceDefinition } from './codec.js';
import type { GrpcCallEvent, GrpcHandlerEnv } from './handler.js';
import { type MetricReader, modelServiceImplementation } from './model-service.js';
import {
  DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  GRPC_JS_SERVER_ARGUMENTS,
  type GrpcChannelArguments,
  grpcServerOptions,
  parseGrpcChannelArguments,
  sslServerCredentials,
} from './options.js';
import { predictionServiceImplementation } from './prediction-service.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** Upstream's `--grpc_max_threads` default: 4 × CPUs. */
export const DEFAULT_GRPC_MAX_CONCURRENT_CALLS = 4 * availableParallelism();

export interface GrpcServerOptions {
  /** The model lifecycle (ServerCore, or a fake in tests). */
  readonly core: ServerCoreApi;
  readonly logger?: Logger | undefined;
  /** Send and receive limit in bytes (default INT32_MAX as upstream; -1 = unlimited). */
  readonly maxMessageBytes?: number | undefined;
  /** `--grpc_channel_arguments`: the raw `k=v,k=v` string or its parsed form; applied last. */
  readonly channelArguments?: string | GrpcChannelArguments | undefined;
  /**
   * `--grpc_max_threads`: at most this many calls execute at once, the rest wait in FIFO
   * order (still honouring deadlines and cancellation). Default 4 × CPUs as upstream;
   * 0 = no cap. Health and reflection calls are not counted, so probes answer under load.
   */
  readonly maxConcurrentCalls?: number | undefined;
  /** `--ssl_config_file` contents; absent = insecure, as upstream. */
  readonly sslConfig?: SslConfig | undefined;
  /** `--enable_grpc_healthcheck_service` (default false, as upstream). */
  readonly enableHealthCheck?: boolean | undefined;
  /**
   * Serve gRPC server reflection (v1 and v1alpha) for PredictionService, ModelService and
   * Health, so grpcurl and similar tools work without .proto files. tfs addition; off by default.
   */
  readonly enableReflection?: boolean | undefined;
  /** `--enable_serialization_as_tensor_content`: Predict outputs in tensor_content. */
  readonly serializeAsTensorContent?: boolean | undefined;
  /** `--enable_signature_method_name_check`. */
  readonly enableSignatureMethodNameCheck?: boolean | undefined;
  /** Called after every PredictionService/ModelService call (metrics, request logs). Must not throw. */
  readonly onCallDone?: ((event: GrpcCallEvent) => void) | undefined;
  /** Current value of an internal metric by name, for ReloadConfigRequest.metric_names. */
  readonly metricReader?: MetricReader | undefined;
}

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

export interface TfsGrpcServer {
  /** The underlying grpc-js server (for adding more services before listening). */
  readonly server: Server;
  /** The concurrency cap in force (undefined when uncapped). */
  readonly limiter: CallLimiter | undefined;
  /** Unary calls running now (every service registered through unaryHandler counts here). */
  readonly inFlight: InFlightCalls;
  /**
   * Bind `host:port` (host '' = `0.0.0.0`, as upstream; IPv6 literals are bracketed) and
   * start serving. Resolves with the bound port (useful with port 0). Throws TfsError
   * `Failed to BuildAndStart gRPC server: <reason>` when the address cannot be bound.
   */
  listen(host: string, port: number): Promise<number>;
  /** Also serve on a UNIX domain socket (`--grpc_socket_path`). */
  listenUnix(path: string): Promise<void>;
  /** Health status of "", ModelService and PredictionService (no-op without the health service). */
  setServingStatus(status: ServingStatus): void;
  /**
   * Graceful stop: health goes NOT_SERVING, every session gets a GOAWAY (new calls are
   * refused), in-flight calls may finish for up to `graceMs` (default 10 s); once they are
   * done (or the grace is over) the sessions still open (health Watch streams, calls past
   * the grace) are closed.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Stop now, cancelling in-flight calls. */
  forceShutdown(): void;
}

function address(host: string, port: number): string {
  const h = host === '' ? '0.0.0.0' : host;
  return h.includes(':') && !h.startsWith('[') ? `[${h}]:${port}` : `${h}:${port}`;
}

let reflectionPackage: protoLoader.PackageDefinition | undefined;

/** proto-loader's view of our protos plus health.proto: what reflection describes. */
function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  if (reflectionPackage) return reflectionPackage;
  // grpc-health-check ships health/v1/health.proto under <pkg>/proto.
  const healthRoot = dirname(dirname(dirname(healthProtoPath)));
  reflectionPackage = protoLoader.loadSync([...protoFiles(), 'health/v1/health.proto'], {
    includeDirs: [protosDir, healthRoot],
    keepCase: true,
  });
  return reflectionPackage;
}

/** `--grpc_channel_arguments` as given (string or parsed); warns about keys grpc-js ignores. */
function channelArgumentsOf(opts: GrpcServerOptions, logger: Logger): GrpcChannelArguments {
  const channelArguments =
    typeof opts.channelArguments === 'string'
      ? parseGrpcChannelArguments(opts.channelArguments)
      : { ...(opts.channelArguments ?? {}) };
  for (const key of Object.keys(channelArguments)) {
    if (!GRPC_JS_SERVER_ARGUMENTS.has(key)) {
      logger.warn({ arg: key }, `gRPC channel argument ${key} is not used by the grpc-js server; ignored`);
    }
  }
  return channelArguments;
}

/** The health service (when enabled) and reflection (when enabled). */
function addHealthAndReflection(server: Server, opts: GrpcServerOptions): HealthImplementation | undefined {
  let health: HealthImplementation | undefined;
  if (opts.enableHealthCheck) {
    health = new HealthImplementation({ '': 'SERVING', [MODEL_SERVICE]: 'SERVING', [PREDICTION_SERVICE]: 'SERVING' });
    health.addToServer(server);
  }
  if (opts.enableReflection) {
    const services = [PREDICTION_SERVICE, MODEL_SERVICE, ...(health ? [HEALTH_SERVICE] : [])];
    new ReflectionService(reflectionPackageDefinition(), { services }).addToServer(server);
  }
  return health;
}

/**
 * After the last in-flight call has answered, how long sessions get to close by themselves
 * (their answers' last frames are flushed) before the ones left are closed.
 */
const LEFTOVER_SESSION_SETTLE_MS = 200;

/**
 * The drain: `tryShutdown` closes the listeners and sends every session a GOAWAY (grpc-js
 * `session.close()`; running streams go on). Once the counted calls are done, or the grace
 * is over, whatever session is left (health Watch streams, calls past the grace) is closed.
 */
async function drainGrpc(server: Server, inFlight: InFlightCalls, graceMs: number): Promise<void> {
  let graceTimer: NodeJS.Timeout | undefined;
  let settleTimer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    graceTimer = setTimeout(resolve, graceMs);
  });
  const allClosed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  await Promise.race([inFlight.idle(), graceOver]);
  const settled = new Promise<void>((resolve) => {
    settleTimer = setTimeout(resolve, Math.min(LEFTOVER_SESSION_SETTLE_MS, graceMs));
  });
  await Promise.race([allClosed, settled, graceOver]);
  clearTimeout(graceTimer);
  clearTimeout(settleTimer);
  server.forceShutdown();
}

/** Build the tfs gRPC server. Nothing listens until {@link TfsGrpcServer.listen}. */
export function createGrpcServer(opts: GrpcServerOptions): TfsGrpcServer {
  const logger = opts.logger ?? silentLogger;
  const channelArguments = channelArgumentsOf(opts, logger);
  const server = new Server(grpcServerOptions(opts.maxMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES, channelArguments));
  const credentials = opts.sslConfig ? sslServerCredentials(opts.sslConfig) : ServerCredentials.createInsecure();

  const cap = opts.maxConcurrentCalls ?? DEFAULT_GRPC_MAX_CONCURRENT_CALLS;
  const limiter = cap > 0 ? new CallLimiter(cap) : undefined;
  const inFlight = new InFlightCalls();
  const env: GrpcHandlerEnv = {
    core: opts.core,
    logger,
    limiter,
    inFlight,
    enableSignatureMethodNameCheck: opts.enableSignatureMethodNameCheck ?? false,
    onCallDone: opts.onCallDone,
  };
  server.addService(
    predictionServiceDefinition({ serializeAsTensorContent: opts.serializeAsTensorContent ?? false }),
    predictionServiceImplementation(env),
  );
  server.addService(modelServiceDefinition(), modelServiceImplementation(env, { metricReader: opts.metricReader }));
  const health = addHealthAndReflection(server, opts);

  const bind = (addr: string): Promise<number> =>
    new Promise((resolve, reject) => {
      server.bindAsync(addr, credentials, (err, port) => {
        if (err) {
          reject(Errors.grpcBuildAndStart(err.message, err));
        } else {
          openFlowWindows(server, flowWindowBytes(channelArguments), logger);
          resolve(port);
        }
      });
    });

  const setServingStatus = (status: ServingStatus): void => {
    if (!health) return;
    for (const s of ['', MODEL_SERVICE, PREDICTION_SERVICE]) health.setStatus(s, status);
  };

  return {
    server,
    limiter,
    inFlight,
    async listen(host: string, port: number): Promise<number> {
      const bound = await bind(address(host, port));
      logger.info(`Running gRPC ModelServer at ${host === '' ? '0.0.0.0' : host}:${bound} ...`);
      return bound;
    },
    async listenUnix(path: string): Promise<void> {
      await bind(`unix:${path}`);
      logger.info(`Running gRPC ModelServer at UNIX socket ${path} ...`);
    },
    setServingStatus,
    shutdown(graceMs = 10_000): Promise<void> {
      setServingStatus('NOT_SERVING');
      return drainGrpc(server, inFlight, graceMs);
    },
    forceShutdown(): void {
      setServingStatus('NOT_SERVING');
      server.forceShutdown();
    },
  };
}

/** The flag-derived part of {@link GrpcServerOptions}. */
export type GrpcFlagOptions = Omit<GrpcServerOptions, 'core' | 'logger' | 'onCallDone' | 'metricReader'>;

/**
 * {@link GrpcServerOptions} from `tfs serve` flag values (src/server/flags.ts names):
 * `grpc_max_message_bytes`, `grpc_channel_arguments`, `grpc_max_threads`, `ssl_config_file`
 * (read and validated here), `enable_grpc_healthcheck_service`,
 * `enable_serialization_as_tensor_content`, `enable_signature_method_name_check`, and
 * `enable_grpc_reflection` when the flag table has it. Throws TfsError/ConfigError with
 * the reason for a bad channel-argument string or SSL config file.
 */
export function grpcOptionsFromFlags(flags: Readonly<FlagValues>): GrpcFlagOptions {
  const str = (k: string): string => (typeof flags[k] === 'string' ? (flags[k] as string) : '');
  const num = (k: string): number | undefined => (typeof flags[k] === 'number' ? (flags[k] as number) : undefined);
  const bool = (k: string): boolean => flags[k] === true;
  const sslFile = str('ssl_config_file');
  return {
    maxMessageBytes: num('grpc_max_message_bytes'),
    channelArguments: parseGrpcChannelArguments(str('grpc_channel_arguments')),
    maxConcurrentCalls: num('grpc_max_threads'),
    sslConfig: sslFile ? loadSslConfig(sslFile) : undefined,
    enableHealthCheck: bool('enable_grpc_healthcheck_service'),
    enableReflection: bool('enable_grpc_reflection'),
    serializeAsTensorContent: bool('enable_serialization_as_tensor_content'),
    enableSignatureMethodNameCheck: bool('enable_signature_method_name_check'),
  };
}
