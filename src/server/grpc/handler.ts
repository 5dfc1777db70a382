/**
 * The one wrapper every tfs gRPC method goes through: concurrency cap, deadline and
 * cancellation signal, error → status (with upstream's truncation), logging and the
 * per-call hook used for metrics.
 */
import type { ServerUnaryCall, sendUnaryData, handleUnaryCall } from '@grpc/grpc-js';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import type { Logger } from '../../util/logger.js';
import { asTfsError } from '../../errors.js';
import { type CallLimiter, callSignal } from './call-context.js';
import { grpcStatusOf, isServerFault } from './status.js';

/** What a finished call reports to {@link GrpcHandlerEnv.onCallDone}. */
export interface GrpcCallEvent {
  /** Full method path, e.g. `/tensorflow.serving.PredictionService/Predict`. */
  readonly path: string;
  /** Method name, e.g. `Predict`. */
  readonly method: string;
  /** The model named in the request ('' when none). */
  readonly modelName: string;
  /** gRPC status code (0 = OK). */
  readonly code: number;
  readonly durationMs: number;
}

/** Everything handlers need; built once per server. */
export interface GrpcHandlerEnv {
  readonly core: ServerCoreApi;
  readonly logger: Logger;
  /** `--grpc_max_threads` as a cap on calls executing at once (undefined = no cap). */
  readonly limiter: CallLimiter | undefined;
  /** `--enable_signature_method_name_check`. */
  readonly enableSignatureMethodNameCheck: boolean;
  /** Called once per finished call (metrics, request logs). Must not throw. */
  readonly onCallDone: ((event: GrpcCallEvent) => void) | undefined;
}

/**
 * A grpc-js unary handler around `fn`. `fn` receives the decoded request and an
 * AbortSignal that fires on the call's deadline or cancellation; whatever it throws is
 * answered as a gRPC status with the error's canonical code.
 */
export function unaryHandler<Req, Res>(
  env: GrpcHandlerEnv,
  path: string,
  modelNameOf: (req: Req) => string,
  fn: (req: Req, signal: AbortSignal) => Promise<Res> | Res,
): handleUnaryCall<Req, Res> {
  const method = path.slice(path.lastIndexOf('/') + 1);
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const started = performance.now();
    const cs = callSignal(call);
    let release: (() => void) | undefined;
    const finish = (code: number): void => {
      release?.();
      cs.dispose();
      if (env.onCallDone) {
        let modelName = '';
        try {
          modelName = modelNameOf(call.request);
        } catch {
          /* a request too broken to name its model */
        }
        env.onCallDone({ path, method, modelName, code, durationMs: performance.now() - started });
      }
    };
    const run = async (): Promise<Res> => {
      if (env.limiter) release = await env.limiter.acquire(cs.signal);
      return fn(call.request, cs.signal);
    };
    run().then(
      (res) => {
        finish(0);
        callback(null, res);
      },
      (err: unknown) => {
        const status = grpcStatusOf(err);
        if (isServerFault(err)) {
          env.logger.error({ err: asTfsError(err), method }, `${method} failed: ${status.details}`);
        } else {
          env.logger.debug({ method, code: status.code }, `${method} failed: ${status.details}`);
        }
        finish(status.code);
        callback(status);
      },
    );
  };
}
