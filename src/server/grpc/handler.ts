/**
 * The one wrapper every tfs gRPC method goes through: concurrency cap, deadline and
 * cancellation signal, error → status (with upstream's truncation), logging and the
 * per-call hook used for metrics.
 */
import type { ServerUnaryCall, sendUnaryData, handleUnaryCall } from '@grpc/grpc-js';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import type { Logger } from '../../util/logger.js';
import { asTfsError } from '../../errors.js';
import { type CallLimiter, type CallSignal, type InFlightCalls, callSignal } from './call-context.js';
import { UnparsableRequest } from './codec.js';
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
  /**
   * The model version that answered (from the reply's model_spec), or, for a failed call,
   * the version the request named; undefined when neither says.
   */
  readonly version?: number | undefined;
}

/** A version number from a decoded `google.protobuf.Int64Value` (number, string or Long). */
function int64Value(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  const n = Number(typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The version in a reply (`modelSpec.version` or `model_spec.version`, first MultiInference result) or a request. */
function versionOf(msg: unknown): number | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as { modelSpec?: { version?: unknown }; model_spec?: { version?: unknown } | null; results?: unknown[] };
  if (m.modelSpec) return int64Value(m.modelSpec.version);
  if (m.model_spec) return int64Value(m.model_spec.version);
  if (Array.isArray(m.results) && m.results.length > 0) return versionOf(m.results[0]);
  return undefined;
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
  /** Counts running calls for the drain (absent in unit tests of single handlers). */
  readonly inFlight?: InFlightCalls | undefined;
}

/**
 * Run `fn` on the request once the call has a slot under the cap: at once (in this tick)
 * when one is free, else after its turn in the queue. Throws a request that did not parse.
 * `fn`'s plain value becomes a resolved promise; the answer is always sent from a promise
 * callback, as before.
 */
function startCall<Req, Res>(
  limiter: CallLimiter | undefined,
  request: Req,
  cs: CallSignal,
  fn: (req: Req, signal: AbortSignal) => Promise<Res> | Res,
  onSlot: (release: () => void) => void,
): Promise<Res> {
  if ((request as unknown) instanceof UnparsableRequest) throw (request as unknown as UnparsableRequest).error;
  const slot = limiter?.acquire(cs.signal, cs.watch);
  if (slot === undefined || typeof slot === 'function') {
    if (slot) onSlot(slot);
    return Promise.resolve(fn(request, cs.signal));
  }
  return slot.then((release) => {
    onSlot(release);
    return fn(request, cs.signal);
  });
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
    const leave = env.inFlight?.enter();
    const cs = callSignal(call);
    let release: (() => void) | undefined;
    const finish = (code: number, res?: Res): void => {
      release?.();
      cs.dispose();
      if (env.onCallDone) {
        let modelName = '';
        let version: number | undefined;
        try {
          modelName = modelNameOf(call.request);
          version = versionOf(res) ?? versionOf(call.request);
        } catch {
          /* a request too broken to name its model */
        }
        env.onCallDone({ path, method, modelName, code, durationMs: performance.now() - started, version });
      }
    };
    let running: Promise<Res>;
    try {
      running = startCall(env.limiter, call.request, cs, fn, (r) => (release = r));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (res) => {
        finish(0, res);
        callback(null, res);
        leave?.();
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
        leave?.();
      },
    );
  };
}
