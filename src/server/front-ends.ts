/**
 * The listeners of `tfs serve`: the gRPC server (TCP and/or UNIX socket) and the REST app
 * (with the Prometheus page and the drain plugin), each reporting finished requests to
 * metrics and the request log.
 */
import type { Registry } from 'prom-client';
import type { ServerCoreApi } from '../core/server-core-api.js';
import { codeName } from '../errors.js';
import { LiveMetricsEndpoint } from '../metrics/exposition.js';
import type { TfsMetrics } from '../metrics/metrics.js';
import type { Logger } from '../util/logger.js';
import { bool, num, str } from './flag-access.js';
import type { FlagValues } from './flags.js';
import { createGrpcServer, type TfsGrpcServer } from './grpc/server.js';
import type { RequestLogEntry } from './request-log.js';
import { buildRestApp, listenRest } from './rest/app.js';
import type { RestDrain } from './rest/drain-plugin.js';
import { registerDebugConfig } from './batching-reload.js';
import type { Configs } from './startup-checks.js';
import { registerV2Grpc, registerV2Rest } from './v2/index.js';
import type { V2Metrics } from './v2/metrics.js';
import type { ModelRepository } from './v2/repository.js';

export type RestApp = ReturnType<typeof buildRestApp>;

/** What both front ends need. */
export interface FrontEndContext {
  readonly f: FlagValues;
  readonly core: ServerCoreApi;
  readonly logger: Logger;
  readonly configs: Configs;
  readonly metrics: TfsMetrics;
  readonly logRequest: ((entry: RequestLogEntry) => void) | undefined;
  /** The Open Inference Protocol (KServe V2) on the same listeners. */
  readonly v2: { readonly repository: ModelRepository; readonly metrics: V2Metrics };
  /** What `GET /debug/config` shows (the batching parameters in effect). */
  readonly debugConfig: () => Record<string, unknown>;
  /** The metrics page, when the monitoring config is reloaded while serving (else built from configs.monitoring). */
  readonly metricsEndpoint?: LiveMetricsEndpoint;
}

/** gRPC methods upstream counts in request_count / request_latency (spec §5.2). */
const GRPC_METRIC_METHODS: ReadonlySet<string> = new Set([
  '/tensorflow.serving.PredictionService/Predict',
  '/tensorflow.serving.PredictionService/Classify',
  '/tensorflow.serving.PredictionService/Regress',
]);

/** The gRPC server with tfs serve's flags (not yet listening). */
export function createServeGrpc(c: FrontEndContext): TfsGrpcServer {
  const { f, metrics, logRequest } = c;
  const grpc = createGrpcServer({
    core: c.core,
    logger: c.logger,
    maxMessageBytes: num(f, 'grpc_max_message_bytes'),
    channelArguments: str(f, 'grpc_channel_arguments'),
    maxConcurrentCalls: num(f, 'grpc_max_threads'),
    sslConfig: c.configs.ssl,
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
  registerV2Grpc(grpc, {
    core: c.core,
    logger: c.logger,
    repository: c.v2.repository,
    onInfer: (r) => c.v2.metrics.recordInfer(r),
    enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
  });
  return grpc;
}

/** Listen on --port (when ≥ 0) and --grpc_socket_path (when set). Resolves with the TCP port. */
export async function listenServeGrpc(grpc: TfsGrpcServer, f: FlagValues): Promise<number | undefined> {
  let port: number | undefined;
  if (num(f, 'port') >= 0) {
    // createGrpcServer's listen() logs upstream's `Running gRPC ModelServer at ...` line.
    port = await grpc.listen(str(f, 'host'), num(f, 'port'));
  }
  const socketPath = str(f, 'grpc_socket_path');
  if (socketPath) await grpc.listenUnix(socketPath);
  return port;
}

/** The REST app with tfs serve's flags, the metrics page, `drain` and the V2 routes registered (not yet listening). */
export async function createServeRest(c: FrontEndContext, registry: Registry, drain: RestDrain): Promise<{ app: RestApp; metricsPath: string | undefined }> {
  const { f, metrics, logRequest } = c;
  // Read on every request: a reloaded monitoring config moves or toggles the page live.
  const endpoint = c.metricsEndpoint ?? new LiveMetricsEndpoint(registry, c.configs.monitoring);
  const app = buildRestApp({
    core: c.core,
    logger: c.logger,
    restApiTimeoutMs: num(f, 'rest_api_timeout_in_ms'),
    enableCors: bool(f, 'rest_api_enable_cors_support'),
    bodyLimit: num(f, 'rest_api_body_limit_bytes'),
    workerDecodeBytes: num(f, 'rest_api_worker_decode_bytes'),
    enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
    // '' (no page) while export is off.
    get metricsPath(): string {
      return endpoint.path ?? '';
    },
    metricsHandler: (uri: string) => endpoint.handle(uri),
    admission: drain.admission,
    metrics: {
      onRequest: (i) => {
        metrics.recordRequest({ modelName: i.modelName, api: i.api, entrypoint: 'REST', status: i.codeName, latencyMicros: i.latencySeconds * 1e6 });
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
  await app.register(drain.plugin);
  registerDebugConfig(app, c.debugConfig);
  // After the drain hook, so /v2 routes are counted and refused in a drain like /v1.
  await registerV2Rest(app, {
    core: c.core,
    logger: c.logger,
    repository: c.v2.repository,
    restApiTimeoutMs: num(f, 'rest_api_timeout_in_ms'),
    bodyLimit: num(f, 'rest_api_body_limit_bytes'),
    enableSignatureMethodNameCheck: bool(f, 'enable_signature_method_name_check'),
    onInfer: (r) => c.v2.metrics.recordInfer(r),
  });
  return { app, metricsPath: endpoint.path };
}

/** Listen on --rest_api_port and log upstream's line. Resolves with the bound port. */
export async function listenServeRest(app: RestApp, f: FlagValues, logger: Logger, metricsPath: string | undefined): Promise<number> {
  const port = await listenRest(app, num(f, 'rest_api_port'), str(f, 'host') || undefined);
  logger.info({ port }, `Exporting HTTP/REST API at:localhost:${port} ...`);
  if (metricsPath) logger.info(`Prometheus metrics at http://localhost:${port}${metricsPath}`);
  return port;
}
