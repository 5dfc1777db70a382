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

/** How a callback-style method ({@link unaryCallbackHandler}) answers its call: exactly one of the two, once. */
export interface UnaryReply<Res> {
  ok(res: Res): void;
  fail(err: unknown): void;
}

/** What is fixed per method: the env, its path and method name, how a request names its model. */
interface Route<Req, Res> {
  readonly env: GrpcHandlerEnv;
  readonly path: string;
  readonly method: string;
  readonly modelNameOf: (req: Req) => string;
  /** Starts the method's work for a call that has its slot (no closure per call). */
  readonly begin: (c: GrpcCall<Req, Res>) => void;
}

function routeOf<Req, Res>(
  env: GrpcHandlerEnv,
  path: string,
  modelNameOf: (req: Req) => string,
  begin: (c: GrpcCall<Req, Res>) => void,
): Route<Req, Res> {
  return { env, path, method: path.slice(path.lastIndexOf('/') + 1), modelNameOf, begin };
}

/**
 * One call from arrival to answer: its slot under the cap, its signal, the in-flight count,
 * and the answer (status, metrics hook, logs), sent once. One object per call, so the
 * callback-style path needs no promise or closure of its own.
 */
class GrpcCall<Req, Res> implements UnaryReply<Res>, GrpcCallEvent {
  private readonly started = performance.now();
  // The GrpcCallEvent fields, set by finish().
  modelName = '';
  code = 0;
  durationMs = 0;
  private res: Res | undefined;
  readonly cs: CallSignal;
  /** The slot's release when it came from the queue; a slot taken at once is `holdsSlot`. */
  release: (() => void) | undefined;
  /** True while the call holds a slot taken with CallLimiter.tryEnter (given back in finish). */
  holdsSlot = false;
  private answered = false;
  /** True while the method's start function runs: an answer then waits for a microtask. */
  starting = false;

  constructor(
    private readonly route: Route<Req, Res>,
    readonly call: ServerUnaryCall<Req, Res>,
    private readonly callback: sendUnaryData<Res>,
  ) {
    route.env.inFlight?.arrive();
    this.cs = callSignal(call);
  }

  ok(res: Res): void {
    if (this.answered) return;
    this.answered = true;
    // The answer is always sent from a microtask, never inside grpc-js's handler call.
    if (this.starting) queueMicrotask(() => this.sendOk(res));
    else this.sendOk(res);
  }

  fail(err: unknown): void {
    if (this.answered) return;
    this.answered = true;
    if (this.starting) queueMicrotask(() => this.sendError(err));
    else this.sendError(err);
  }

  private sendOk(res: Res): void {
    this.finish(0, res);
    this.callback(null, res);
    this.route.env.inFlight?.depart();
  }

  private sendError(err: unknown): void {
    const { env, method } = this.route;
    const status = grpcStatusOf(err);
    if (isServerFault(err)) {
      env.logger.error({ err: asTfsError(err), method }, `${method} failed: ${status.details}`);
    } else {
      env.logger.debug({ method, code: status.code }, `${method} failed: ${status.details}`);
    }
    this.finish(status.code);
    this.callback(status);
    this.route.env.inFlight?.depart();
  }

  private finish(code: number, res?: Res): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.route.env.limiter?.leave();
    }
    this.release?.();
    this.cs.dispose();
    const { env, modelNameOf } = this.route;
    if (!env.onCallDone) return;
    this.code = code;
    this.res = res;
    this.durationMs = performance.now() - this.started;
    try {
      this.modelName = modelNameOf(this.call.request);
    } catch {
      /* a request too broken to name its model */
    }
    // The call is its own event: no object per call, and the version is read only when asked.
    env.onCallDone(this);
  }

  get path(): string {
    return this.route.path;
  }

  get method(): string {
    return this.route.method;
  }

  get version(): number | undefined {
    try {
      return versionOf(this.res) ?? versionOf(this.call.request);
    } catch {
      return undefined; // a request too broken to name its version
    }
  }
}

/**
 * Run `start` once the call has a slot under the cap: at once (in this tick) when one is
 * free, else after its turn in the queue. A request that did not parse, or an abort while
 * queued, fails the call.
 */
function startWhenFree<Req, Res>(c: GrpcCall<Req, Res>, limiter: CallLimiter | undefined, start: (c: GrpcCall<Req, Res>) => void): void {
  const request = c.call.request as unknown;
  if (request instanceof UnparsableRequest) {
    c.starting = true;
    c.fail(request.error);
    c.starting = false;
    return;
  }
  // A free slot (the common case) is taken without a release closure; a full cap queues.
  // (An already aborted call goes through acquire, which fails it with the abort's reason.)
  if (limiter !== undefined && !c.cs.signal.aborted && limiter.tryEnter()) c.holdsSlot = true;
  const slot = limiter === undefined || c.holdsSlot ? undefined : limiter.acquire(c.cs.signal, c.cs.watch);
  if (slot === undefined || typeof slot === 'function') {
    c.release = slot;
    c.starting = true;
    try {
      start(c);
    } catch (err) {
      c.fail(err);
    }
    c.starting = false;
    return;
  }
  slot.then(
    (release) => {
      c.release = release;
      try {
        start(c);
      } catch (err) {
        c.fail(err);
      }
    },
    (err: unknown) => c.fail(err),
  );
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
  const route = routeOf<Req, Res>(env, path, modelNameOf, (c) => {
    // fn's plain value becomes a resolved promise: the answer comes from a promise callback.
    Promise.resolve(fn(c.call.request, c.cs.signal)).then(
      (res) => c.ok(res),
      (err: unknown) => c.fail(err),
    );
  });
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    startWhenFree(new GrpcCall(route, call, callback), env.limiter, route.begin);
  };
}

/**
 * A grpc-js unary handler around a callback-style `start`: it receives the decoded
 * request, the call's AbortSignal (deadline or cancellation) and the {@link UnaryReply} to
 * answer exactly once; what it throws fails the call. No promise or closure of its own per call.
 */
export function unaryCallbackHandler<Req, Res>(
  env: GrpcHandlerEnv,
  path: string,
  modelNameOf: (req: Req) => string,
  start: (req: Req, signal: AbortSignal, reply: UnaryReply<Res>) => void,
): handleUnaryCall<Req, Res> {
  const route = routeOf<Req, Res>(env, path, modelNameOf, (c) => start(c.call.request, c.cs.signal, c));
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    startWhenFree(new GrpcCall(route, call, callback), env.limiter, route.begin);
  };
}
