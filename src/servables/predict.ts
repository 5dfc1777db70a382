/**
 * Predict: the one implementation behind REST `:predict` and gRPC `Predict`.
 *
 * Steps, as upstream (predict_util.cc and TF's saved_model/util.cc):
 *  1. resolve the ModelSpec and hold a servable handle (released when the run settles);
 *  2. resolve the signature (`serving_default` when unnamed) — the error text differs
 *     between gRPC (`Serving signature key "s" not found.`) and REST
 *     (`Serving signature name: "s" not found in signature def`);
 *  3. optional method-name check (`--enable_signature_method_name_check`);
 *  4. input count, alias and default checks; output_filter checks;
 *  5. `servable.run`, racing the request's AbortSignal so a deadline always answers.
 */
import type { ServerCoreApi, ServableHandle } from '../core/server-core-api.js';
import { Errors, abortError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ModelSpec, servableRequestOf, signatureKeyOf } from './model-spec.js';
import { refuseUnservedSignature, type ModelServable, type RunOptions, type SignatureSpec } from '../core/servable.js';

export const PREDICT_METHOD = 'tensorflow/serving/predict';
export const CLASSIFY_METHOD = 'tensorflow/serving/classify';
export const REGRESS_METHOD = 'tensorflow/serving/regress';

/**
 * Inputs keyed by alias, or a function that builds them once the signature is known
 * (REST converts JSON with the signature's dtypes, so it needs the signature first;
 * errors it throws surface after model and signature resolution, as upstream). It may be
 * async (a big REST body is converted in a worker thread).
 */
export type PredictInputs =
  | Readonly<Record<string, Tensor>>
  | ((signature: SignatureSpec, servable: ModelServable) => Readonly<Record<string, Tensor>> | Promise<Readonly<Record<string, Tensor>>>);

export interface PredictRequest {
  modelSpec?: ModelSpec | undefined;
  inputs: PredictInputs;
  /** Output aliases to return; empty or absent = all outputs. */
  outputFilter?: readonly string[] | undefined;
}

export interface RequestOptions {
  /** Which front end asks: decides the signature-not-found text. */
  api: 'grpc' | 'rest';
  /** Aborts the model run: a deadline (reason = a DEADLINE_EXCEEDED TfsError or a TimeoutError) or a cancel. */
  signal?: AbortSignal | undefined;
  /** `--enable_signature_method_name_check` (off by default, as upstream). */
  enableSignatureMethodNameCheck?: boolean | undefined;
}

export interface ResolvedModelSpec {
  name: string;
  version: number;
  signatureName: string;
}

export interface PredictResult {
  outputs: Record<string, Tensor>;
  modelSpec: ResolvedModelSpec;
}

/** Something waiting on a signal's abort (an object, so a request needs no closure to wait). */
export interface AbortWaiter {
  aborted(): void;
}

/**
 * Waiters on each signal's abort. A REST deadline signal is shared by every request in its
 * time window (server/rest/deadline.ts), and an EventTarget listener added and removed per
 * request costs about 0.2 µs plus its garbage: each signal gets one listener, and a request
 * joins or leaves a Set.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<AbortWaiter>>();

/** Call `w.aborted()` when `signal` aborts, until {@link stopWaiting}. */
function waitAbort(signal: AbortSignal, w: AbortWaiter): void {
  let waiting = abortWaiters.get(signal);
  if (!waiting) {
    const set = new Set<AbortWaiter>();
    waiting = set;
    abortWaiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of set) f.aborted();
        set.clear();
      },
      { once: true },
    );
  }
  waiting.add(w);
}

function stopWaiting(signal: AbortSignal, w: AbortWaiter): void {
  abortWaiters.get(signal)?.delete(w);
}

/**
 * Settle with `p`, or reject as soon as `signal` aborts. The caller's work behind `p`
 * may continue (the runtime is told through the same signal); this only guarantees the
 * client gets its DEADLINE_EXCEEDED/CANCELLED answer on time.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const w: AbortWaiter = { aborted: () => reject(abortError(signal)) };
    waitAbort(signal, w);
    p.then(
      (v) => {
        stopWaiting(signal, w);
        resolve(v);
      },
      (e: unknown) => {
        stopWaiting(signal, w);
        reject(e);
      },
    );
  });
}

/**
 * Hold a servable for the duration of `fn`. The handle is released when the promise
 * returned by `fn` settles, and — if `fn` started model work that outlives an early
 * return — when `keepAlive` (set by fn) settles, so an unload never frees a model mid-run.
 */
export async function withServable<T>(
  core: ServerCoreApi,
  spec: ModelSpec | undefined,
  fn: (handle: ServableHandle, keepAlive: (p: Promise<unknown>) => void) => Promise<T>,
): Promise<T> {
  const handle = core.getServableHandle(servableRequestOf(spec));
  let pending: Promise<unknown> | undefined;
  try {
    return await fn(handle, (p) => {
      pending = p;
    });
  } finally {
    if (pending) {
      const release = (): void => handle.release();
      pending.then(release, release);
    } else {
      handle.release();
    }
  }
}

/** Look up a signature with the texts of the given API (gRPC Predict vs REST). */
export function predictSignature(servable: ModelServable, key: string, api: 'grpc' | 'rest'): SignatureSpec {
  const sig = servable.signatures.get(key);
  if (!sig) throw api === 'rest' ? Errors.restSignatureNotFound(key) : Errors.predictSignatureNotFound(key);
  refuseUnservedSignature(servable, key);
  return sig;
}

function givenOf(inputs: Readonly<Record<string, Tensor>>, alias: string): Tensor | undefined {
  return Object.hasOwn(inputs, alias) ? inputs[alias] : undefined;
}

/**
 * Check request inputs against a signature and fill defaults (TF `GetInputValues` and
 * TF Serving's input-size check). Returns the feeds keyed by alias.
 */
export function resolveInputs(
  signature: SignatureSpec,
  inputs: Readonly<Record<string, Tensor>>,
): Record<string, Tensor> {
  const reqKeys = Object.keys(inputs);
  const sigKeys = Object.keys(signature.inputs);
  const defaultKeys = Object.keys(signature.defaults);
  if (reqKeys.length > sigKeys.length || (reqKeys.length < sigKeys.length && defaultKeys.length === 0)) {
    throw Errors.inputSizeMismatch(reqKeys, sigKeys);
  }
  const feeds: Record<string, Tensor> = {};
  // Per request: no copy to sort a single alias, and the aliases used are only listed for the error.
  const sorted = sigKeys.length > 1 ? [...sigKeys].sort() : sigKeys;
  let used = 0;
  for (const alias of sorted) {
    const given = givenOf(inputs, alias);
    if (given) {
      feeds[alias] = given;
      used++;
      continue;
    }
    const dflt = Object.hasOwn(signature.defaults, alias) ? signature.defaults[alias] : undefined;
    if (!dflt) throw Errors.inputAliasNotFound(alias, signature.inputs[alias]!.name, reqKeys, defaultKeys);
    feeds[alias] = dflt;
  }
  if (used !== reqKeys.length) throw Errors.invalidInputName(sorted.filter((a) => !!givenOf(inputs, a)), reqKeys);
  return feeds;
}

/** Validate `output_filter` (existing, unique aliases). Returns it, or undefined for "all outputs". */
export function resolveOutputFilter(
  signature: SignatureSpec,
  filter: readonly string[] | undefined,
): string[] | undefined {
  if (!filter || filter.length === 0) return undefined;
  const seen = new Set<string>();
  for (const alias of filter) {
    if (!Object.hasOwn(signature.outputs, alias)) throw Errors.outputAliasNotFound(alias, Object.keys(signature.outputs));
    if (seen.has(alias)) throw Errors.duplicateOutputAlias(alias);
    seen.add(alias);
  }
  return [...filter];
}

/** The method-name check behind `--enable_signature_method_name_check` (Predict). */
export function checkPredictMethodName(signature: SignatureSpec): void {
  const m = signature.methodName;
  if (m !== PREDICT_METHOD && m !== CLASSIFY_METHOD && m !== REGRESS_METHOD) throw Errors.predictMethodName(m);
}

/** The signature a request names (steps 2–3): looked up with the API's texts, method-checked when asked. */
function checkedSignature(servable: ModelServable, key: string, opts: RequestOptions): SignatureSpec {
  const signature = predictSignature(servable, key, opts.api);
  if (opts.enableSignatureMethodNameCheck) checkPredictMethodName(signature);
  return signature;
}

/** Steps 4–5 once the inputs are known: check them against the signature and start the run. */
function startRun(
  servable: ModelServable,
  key: string,
  signature: SignatureSpec,
  given: Readonly<Record<string, Tensor>>,
  filter: readonly string[] | undefined,
  signal: AbortSignal | undefined,
): Promise<Record<string, Tensor>> {
  const feeds = resolveInputs(signature, given);
  const outputFilter = resolveOutputFilter(signature, filter);
  if (signal?.aborted) throw abortError(signal);
  let options: RunOptions;
  if (outputFilter) options = signal ? { outputFilter, signal } : { outputFilter };
  else options = signal ? { signal } : {};
  return servable.run(key, feeds, options);
}

/**
 * Run a Predict request end to end. Throws TfsError with upstream's code and text.
 * The returned `modelSpec` carries the request's name, the served version (numeric even
 * when a label was used) and the resolved signature key.
 */
export function runPredict(
  core: ServerCoreApi,
  req: PredictRequest,
  opts: RequestOptions,
): Promise<PredictResult> {
  // Not async: withServable's promise is returned as is (an async wrapper adds ticks).
  // withServable is async, so nothing here throws synchronously.
  const spec = req.modelSpec;
  return withServable(core, spec, async (handle, keepAlive) => {
    const servable = handle.servable;
    const key = signatureKeyOf(spec);
    const signature = checkedSignature(servable, key, opts);
    const given = typeof req.inputs === 'function' ? await req.inputs(signature, servable) : req.inputs;
    const run = startRun(servable, key, signature, given, req.outputFilter, opts.signal);
    keepAlive(run);
    const outputs = await raceAbort(run, opts.signal);
    return { outputs, modelSpec: { name: spec!.name, version: handle.version, signatureName: key } };
  });
}

/**
 * A predict answered through callbacks ({@link startPredict}): the caller's own request
 * object, so a request needs no promise of its own and no closures.
 */
export interface PredictCall {
  /** The inputs, once the signature is known (may throw: the request's error). */
  inputs(signature: SignatureSpec, servable: ModelServable): Readonly<Record<string, Tensor>>;
  /** The run's result (called at most once, and then `failed` is not, unless this throws). */
  predicted(result: PredictResult): void;
  /** The request's error (a TfsError, an abort reason, or whatever the run threw). */
  failed(err: unknown): void;
}

/**
 * {@link runPredict} for inputs known synchronously, without its promises: the steps up to
 * the run happen in this call, then `call` hears the result or the error exactly once (a
 * deadline abort answers at once; the servable handle is held until the run settles). Same
 * steps, order and errors as runPredict.
 */
export function startPredict(core: ServerCoreApi, spec: ModelSpec, call: PredictCall, opts: RequestOptions): void {
  let handle: ServableHandle | undefined;
  let key: string;
  let run: Promise<Record<string, Tensor>>;
  try {
    handle = core.getServableHandle(servableRequestOf(spec));
    const servable = handle.servable;
    key = signatureKeyOf(spec);
    const signature = checkedSignature(servable, key, opts);
    run = startRun(servable, key, signature, call.inputs(signature, servable), undefined, opts.signal);
  } catch (err) {
    handle?.release();
    call.failed(err);
    return;
  }
  new PendingPredict(handle, spec.name, key, call, opts.signal).follow(run);
}

/** One started run of {@link startPredict}: its handle, its abort race and its caller. */
class PendingPredict implements AbortWaiter {
  private answered = false;

  constructor(
    private readonly handle: ServableHandle,
    private readonly name: string,
    private readonly key: string,
    private readonly call: PredictCall,
    private readonly signal: AbortSignal | undefined,
  ) {}

  follow(run: Promise<Record<string, Tensor>>): void {
    if (this.signal) waitAbort(this.signal, this);
    run.then(
      (outputs) => this.ran(outputs),
      (err: unknown) => this.ranFailed(err),
    );
  }

  aborted(): void {
    if (this.answered) return;
    this.answered = true;
    this.call.failed(abortError(this.signal!));
  }

  /** The run settled: release the handle; true when the caller is still to be answered. */
  private settle(): boolean {
    this.handle.release();
    if (this.signal) stopWaiting(this.signal, this);
    if (this.answered) return false;
    this.answered = true;
    return true;
  }

  private ran(outputs: Record<string, Tensor>): void {
    if (!this.settle()) return;
    try {
      this.call.predicted({ outputs, modelSpec: { name: this.name, version: this.handle.version, signatureName: this.key } });
    } catch (err) {
      this.call.failed(err);
    }
  }

  private ranFailed(err: unknown): void {
    if (this.settle()) this.call.failed(err);
  }
}
