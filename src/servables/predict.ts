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
import { refuseUnservedSignature, type ModelServable, type SignatureSpec } from '../core/servable.js';

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

/**
 * Callbacks waiting on each signal's abort. A REST deadline signal is shared by every request
 * in its time window (server/rest/deadline.ts), and an EventTarget listener added and removed
 * per request costs about 0.2 µs plus its garbage: each signal gets one listener, and a request
 * joins or leaves a Set.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, cb: () => void): () => void {
  let waiting = abortWaiters.get(signal);
  if (!waiting) {
    const set = new Set<() => void>();
    waiting = set;
    abortWaiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of set) f();
        set.clear();
      },
      { once: true },
    );
  }
  const w = waiting;
  w.add(cb);
  return () => w.delete(cb);
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
    const leave = onAbort(signal, () => reject(abortError(signal)));
    p.then(
      (v) => {
        leave();
        resolve(v);
      },
      (e: unknown) => {
        leave();
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
  const used: string[] = [];
  for (const alias of [...sigKeys].sort()) {
    const given = Object.hasOwn(inputs, alias) ? inputs[alias] : undefined;
    if (given) {
      feeds[alias] = given;
      used.push(alias);
      continue;
    }
    const dflt = Object.hasOwn(signature.defaults, alias) ? signature.defaults[alias] : undefined;
    if (!dflt) throw Errors.inputAliasNotFound(alias, signature.inputs[alias]!.name, reqKeys, defaultKeys);
    feeds[alias] = dflt;
  }
  if (used.length !== reqKeys.length) throw Errors.invalidInputName(used, reqKeys);
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
    const signature = predictSignature(servable, key, opts.api);
    if (opts.enableSignatureMethodNameCheck) checkPredictMethodName(signature);
    const given = typeof req.inputs === 'function' ? await req.inputs(signature, servable) : req.inputs;
    const feeds = resolveInputs(signature, given);
    const outputFilter = resolveOutputFilter(signature, req.outputFilter);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const run = servable.run(key, feeds, {
      ...(outputFilter ? { outputFilter } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    keepAlive(run);
    const outputs = await raceAbort(run, opts.signal);
    return { outputs, modelSpec: { name: spec!.name, version: handle.version, signatureName: key } };
  });
}
