/**
 * A SavedModel version run in TensorFlow's own runtime (`tfs serve --runtime tensorflow`):
 * the same {@link ModelServable} contract as the embedded runtime's servable, so REST, gRPC,
 * batching, warmup, classify/regress and multi-inference sit on it unchanged.
 *
 * The signatures and the SignatureDef map come from tfs's own SavedModel reader, exactly as
 * for the embedded runtime, so metadata answers are identical. The graph, its variables and
 * its init op are TensorFlow's: the native addon loads the version with
 * TF_LoadSessionFromSavedModel and runs it with TF_SessionRun, off the event loop. Variables
 * the signatures capture but the graph's restore op leaves uncreated (Keras 3 models saved
 * with tf.saved_model.save) are restored from their checkpoint keys after the load, as
 * tf.saved_model.load does (native/captured-variables.ts). Values
 * cross byte for byte in both directions (int64 over its whole range, uint64, float64,
 * half/bfloat16 bit patterns, strings as raw bytes). A TensorFlow failure keeps TF's own
 * message and status code (tensorflowStatusError in src/errors.ts).
 */
import { Errors, TfsError, abortError, tensorflowStatusError } from '../errors.js';
import { join } from 'node:path';
import {
  ADDON_FILE,
  type NativeAddon,
  type NativeDevice,
  type NativeError,
  type NativeFeed,
  type NativeSession,
  type NativeTensor,
  loadNativeAddon,
  nativeDir,
} from '../native/addon.js';
import { capturedRestores } from '../native/captured-variables.js';
import { type SessionConfigOptions, sessionConfigBytes } from '../native/session-config.js';
import { readSavedModel } from '../savedmodel/saved-model.js';
import { dtypeInfo, mustDtype } from '../tensor/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { ModelServable, RunOptions, ServablePlacement, SignatureSpec } from '../core/servable.js';

export interface NativeServableOptions {
  /** MetaGraph tag set (default `['serve']`). */
  readonly tags?: readonly string[];
  /** Threads and GPU memory of the TensorFlow session. */
  readonly session?: SessionConfigOptions;
  /** Where the addon is (default $TFS_NATIVE_DIR or ~/.cache/tfs/native). */
  readonly addonDir?: string;
  readonly logger?: Logger;
}

/** A TensorFlow status (or any other failure) as a TfsError. */
function tfError(e: unknown): TfsError {
  if (e instanceof TfsError) return e;
  const err = e as NativeError;
  if (typeof err?.tfCode === 'number') return tensorflowStatusError(err.tfCode, err.message, e);
  return Errors.internal(e instanceof Error ? e.message : String(e), e);
}

/** What to fetch for a set of output aliases: the distinct tensors, and where each alias's answer is. */
interface FetchPlan {
  readonly aliases: readonly string[];
  readonly fetches: readonly string[];
  /** fetches index of aliases[i]. */
  readonly index: readonly number[];
}

function fetchPlan(spec: SignatureSpec, aliases: readonly string[]): FetchPlan {
  const fetches: string[] = [];
  const index = aliases.map((a) => {
    const name = spec.outputs[a]!.name;
    const i = fetches.indexOf(name);
    return i >= 0 ? i : fetches.push(name) - 1;
  });
  return { aliases, fetches, index };
}

/**
 * A signature's call plan, built once at load: the input aliases with their tensor names, and
 * the fetch plan of a call that asks for every output (the common case), so a call does no
 * per-call key listing, set building or name lookup beyond its own inputs.
 */
interface SignaturePlan {
  readonly spec: SignatureSpec;
  readonly inputs: readonly (readonly [alias: string, tensorName: string])[];
  readonly all: FetchPlan;
}

function signaturePlan(spec: SignatureSpec): SignaturePlan {
  return { spec, inputs: Object.entries(spec.inputs).map(([a, info]) => [a, info.name] as const), all: fetchPlan(spec, Object.keys(spec.outputs)) };
}

/** The output aliases to return (checked as upstream does) and the distinct tensors to fetch. */
function selectOutputs(plan: SignaturePlan, options: RunOptions): FetchPlan {
  if (options.outputFilter === undefined || options.outputFilter.length === 0) return plan.all;
  const { spec } = plan;
  const seen = new Set<string>();
  for (const a of options.outputFilter) {
    if (!(a in spec.outputs)) throw Errors.outputAliasNotFound(a, Object.keys(spec.outputs));
    if (seen.has(a)) throw Errors.duplicateOutputAlias(a);
    seen.add(a);
  }
  return fetchPlan(spec, options.outputFilter);
}

/** The feeds of a call (missing and unknown aliases with upstream's texts; dtypes TF checks itself). */
function feedsOf(plan: SignaturePlan, inputs: Readonly<Record<string, Tensor>>): NativeFeed[] {
  const { spec } = plan;
  const feeds: NativeFeed[] = [];
  for (const [alias, tensorName] of plan.inputs) {
    const t = inputs[alias] ?? spec.defaults[alias];
    if (!t) throw Errors.inputAliasNotFound(alias, tensorName, Object.keys(inputs), Object.keys(spec.defaults));
    const dt = mustDtype(t.dtype);
    if (dt.storage === 'none') throw Errors.runtimeDtypeUnsupported(`input ${alias}`, dt.short);
    feeds.push([tensorName, dt.enum, t.shape, t.data]);
  }
  for (const k of Object.keys(inputs)) {
    if (!(k in spec.inputs)) throw Errors.invalidInputName(Object.keys(inputs), [k]);
  }
  return feeds;
}

/** libuv's default threadpool size (node reads UV_THREADPOOL_SIZE once, at the pool's first use). */
const UV_DEFAULT_POOL = 4;
/** libuv's cap on UV_THREADPOOL_SIZE. */
const UV_MAX_POOL = 1024;

/**
 * How many TF_SessionRun calls one session may have on libuv's threadpool at once: every
 * thread of the pool but one (at least 1), so that fs, dns and zlib work, which shares the
 * pool, always finds a thread while runs block theirs. 3 with the default pool of 4; raise
 * UV_THREADPOOL_SIZE (in the environment tfs starts in) for more parallel batches.
 */
export function nativeRunSlots(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  const pool = Number.isInteger(n) && n > 0 ? Math.min(n, UV_MAX_POOL) : UV_DEFAULT_POOL;
  return Math.max(1, pool - 1);
}

/** A run waiting for one of the session's slots: called when it gets one. */
type SlotWaiter = () => void;

class NativeServable implements ModelServable {
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Runs on the threadpool now, and runs waiting for a slot (FIFO). */
  private running = 0;
  private readonly waiting: SlotWaiter[] = [];
  readonly concurrentRuns = nativeRunSlots();
  private readonly plans = new Map<string, SignaturePlan>();
  private closed = false;
  /** The session's devices, as TensorFlow lists them after the load. */
  readonly placement: ServablePlacement;

  constructor(
    readonly name: string,
    readonly version: number,
    readonly signatures: ReadonlyMap<string, SignatureSpec>,
    readonly signatureDefMap: Readonly<Record<string, unknown>>,
    private readonly addon: NativeAddon,
    private readonly session: NativeSession,
  ) {
    this.placement = { runtime: 'tensorflow', devices: addon.devices(session).map((d) => d.name) };
    for (const [key, spec] of signatures) this.plans.set(key, signaturePlan(spec));
  }

  /** The devices of the session (`CPU`, `GPU`, ...), as TensorFlow lists them. */
  get devices(): NativeDevice[] {
    return this.closed ? [] : this.addon.devices(this.session);
  }

  async run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.closed) throw Errors.modelUnloaded(this.name);
    const plan = this.plans.get(signatureKey);
    if (!plan) throw Errors.predictSignatureNotFound(signatureKey);
    if (options.signal?.aborted) throw abortError(options.signal);
    const { aliases, fetches, index } = selectOutputs(plan, options);
    const feeds = feedsOf(plan, inputs);
    // In flight from here, waiting for a slot included: dispose() lets accepted calls finish.
    const pending = this.execute(feeds, fetches, options.signal);
    this.inFlight.add(pending);
    let results;
    try {
      results = await pending;
    } finally {
      this.inFlight.delete(pending);
    }
    // TensorFlow cannot be interrupted mid-run; a caller that gave up gets its abort.
    if (options.signal?.aborted) throw abortError(options.signal);
    const out: Record<string, Tensor> = {};
    for (let i = 0; i < aliases.length; i++) {
      const alias = aliases[i]!;
      const r = results[index[i]!]!;
      const dt = dtypeInfo(r.dtype);
      if (!dt) throw Errors.internal(`TensorFlow returned output ${alias} with unknown dtype ${r.dtype}`);
      out[alias] = { dtype: dt.name, shape: r.shape, data: r.data };
    }
    return out;
  }

  /** One TF_SessionRun, once a slot is free. */
  private async execute(feeds: NativeFeed[], fetches: readonly string[], signal: AbortSignal | undefined): Promise<NativeTensor[]> {
    const wait = this.acquire(signal);
    if (wait) await wait;
    try {
      return await this.addon.run(this.session, feeds, fetches, []);
    } catch (e) {
      throw tfError(e);
    } finally {
      this.release();
    }
  }

  /** Take a run slot: at once (undefined) when one is free, else a promise granted in arrival order. */
  private acquire(signal: AbortSignal | undefined): Promise<void> | undefined {
    if (this.running < this.concurrentRuns) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal!));
      };
      const waiter: SlotWaiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Give the slot straight to the next waiter (so a newcomer cannot take it in between), or free it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.addon.close(this.session);
  }
}

/**
 * Load version `version` of model `name` from the SavedModel in `dir` into a TensorFlow
 * session. Rejects with the native addon's install hint when it is absent, and with
 * TensorFlow's own status when TF cannot load the model.
 */
export async function loadNativeServable(name: string, version: number, dir: string, opts: NativeServableOptions = {}): Promise<ModelServable> {
  const logger = opts.logger ?? silentLogger;
  const addon = loadNativeAddon(opts.addonDir);
  const tags = opts.tags && opts.tags.length > 0 ? [...opts.tags] : ['serve'];
  const model = readSavedModel(dir, { tags });
  for (const s of model.skippedSignatures) {
    logger.warn({ model: name, version, signature: s.key }, `signature ${s.key} is not served: ${s.reason}`);
  }
  const restores = capturedRestores(model);
  if (restores.length > 0) {
    if (!addon.features?.includes('restoreCaptured')) {
      throw Errors.nativeLoadFailed(
        join(opts.addonDir ?? nativeDir(), ADDON_FILE),
        `model ${name} version ${version} needs ${restores.length} captured variable(s) restored that TensorFlow's graph loader leaves uncreated (${restores[0]!.handle}, ...), which this addon build cannot do`,
      );
    }
    logger.info(
      { model: name, version, variables: restores.map((r) => r.handle) },
      `model ${name} version ${version}: restoring ${restores.length} variable(s) its signatures capture but its restore op does not create (a Keras 3 tf.saved_model.save export; tensorflow_model_server fails these with "Could not find variable ${restores[0]!.handle}")`,
    );
  }
  let session: NativeSession;
  try {
    session = await addon.load(dir, tags, sessionConfigBytes(opts.session), restores.flatMap((r) => [r.handle, r.key]));
  } catch (e) {
    throw tfError(e);
  }
  const servable = new NativeServable(name, version, model.signatures, model.signatureDefMap, addon, session);
  const devices = servable.devices.map((d) => d.type);
  logger.info({ model: name, version, tensorflow: addon.version(), devices }, `model ${name} version ${version} runs in TensorFlow ${addon.version()} (${[...new Set(devices)].join(', ')})`);
  return servable;
}
