/**
 * A loaded model on the embedded tfjs runtime: freeze at load, then
 * `run(signature, inputs) → outputs`.
 *
 * Load freezes every signature into one tfjs GraphModel (weights shared between
 * signatures), reports every problem at once (unsupported ops with the signatures that
 * need them, unreadable variables, unrepresentable constants), creates the model's live
 * variables and tables and runs its init op.
 *
 * A run checks the inputs as TensorFlow's session does: dtype strictly against the fed
 * graph tensor, with TF's "Expects arg[i] to be ..." text; shapes are NOT checked against
 * the signature (TF never does: upstream's own tests feed [3] and [2,2] into a [-1,1]
 * placeholder and TF2 exports declare scalars callers feed as vectors), so only the
 * graph's kernels reject shapes they cannot compute, as INVALID_ARGUMENT with a hint
 * naming the inputs whose shape differs from the declared one. It executes the needed
 * subgraph, converts outputs to the signature's declared dtypes and frees every tensor it
 * created.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { Errors, TfsError, abortError } from '../errors.js';
import { runFailure } from './failure-kind.js';
import type { RunOptions, SignatureSpec, UnservedSignature } from '../core/servable.js';
import { isRuntimeFault, runtimeHealth } from '../core/runtime-health.js';
import { dtypeInfo, type DTypeName } from '../tensor/dtypes.js';
import { numElements, shapeString, type Tensor } from '../tensor/tensor.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  bridgedWasmKernels,
  defaultBackend,
  ensureBackendReady,
  onBackendSync,
  resolveBackend,
  withBackend,
  type BackendName,
  type ConcreteBackend,
} from './backend.js';
import { isCustomOp, registerCustomOps } from './custom-ops.js';
import {
  allocateModelId,
  registerModelResources,
  releaseModelResources,
  type ModelResources,
} from './kernels/resources.js';
import { freezeSavedModel, type FreezeSource, type FrozenInput, type FrozenModel, type FrozenSignature } from './freeze/index.js';
import { COMPLEX_OPS, TFJS_OPS } from './op-registry.js';
import { freeingOnFailure } from './run-tensors.js';
import { compilePlainJs, plainJsEnabled, type PlainProgram, type PlainValue } from './plain-js.js';
import { compileStraightLine, type StraightLineProgram } from './straight-line.js';
import { flushDenormals, fromTfjs, toTfjs } from './tensor-convert.js';
import { encodeWeights, weightTensor } from './weights.js';

/** The GraphModel type loadGraphModelSync returns. */
type Graph = ReturnType<typeof loadGraphModelSync>;

export interface ModelRuntimeOptions {
  /** Backend for this model (default: the thread's default, else wasm). */
  readonly backend?: BackendName;
  readonly logger?: Logger;
  /** Name used in logs and errors. */
  readonly name?: string;
  /**
   * Refuse the whole model when any signature needs something the runtime lacks (upstream's
   * strictness); by default such signatures are left out and answer UNIMPLEMENTED.
   */
  readonly refusePartial?: boolean;
}

/** Whether the runtime executes op `op` after freezing. */
export function isExecutableOp(op: string): boolean {
  return TFJS_OPS.has(op) || isCustomOp(op);
}

interface Plan {
  readonly spec: SignatureSpec;
  readonly frozen: FrozenSignature;
  /** Feed tensor names in sorted order: TF numbers feeds this way in its dtype errors. */
  readonly feedOrder: readonly string[];
  /**
   * The signature compiled to tfjs ops (straight-line.ts) for unfiltered runs, when its
   * graph is simple enough; takes inputs in `frozen.inputs` order, returns outputs in the
   * order run() fetches them (distinct output tensors, in output alias order).
   */
  readonly program: StraightLineProgram | undefined;
  /**
   * The signature compiled to plain JavaScript on Float32Arrays (plain-js.ts) for unfiltered
   * runs, when it is a tiny float32 graph; same inputs and outputs as `program`.
   */
  readonly plain: PlainProgram | undefined;
  /** The inputs in feed order, each with what checkFeeds needs (computed once at load). */
  readonly inputs: readonly PlanInput[];
  /** The outputs of an unfiltered run (every alias, its fetch index and dtype). */
  readonly all: OutputSelection;
}

interface PlanInput {
  readonly alias: string;
  readonly input: FrozenInput;
  /** Index of the feed in TF's sorted feed order (its dtype errors number feeds so). */
  readonly feedIndex: number;
}

/** Which outputs a call returns, and the distinct flat tensors it fetches for them. */
interface OutputSelection {
  /** Whether the caller picked outputs (then the straight-line program is not used). */
  readonly filtered: boolean;
  readonly aliases: readonly string[];
  /** Distinct flat tensors to fetch. */
  readonly fetches: string[];
  /** Per alias (same order): the index of its tensor in `fetches`, and its declared dtype. */
  readonly fetchIndex: readonly number[];
  readonly dtypes: readonly DTypeName[];
}

function describeProblems(name: string, unsupported: ReadonlyMap<string, ReadonlySet<string>>, errors: readonly string[]): TfsError {
  const ops = [...unsupported.keys()].sort();
  const parts: string[] = [];
  if (ops.length > 0) {
    parts.push(
      ops.map((op) => `${op} (needed by ${[...unsupported.get(op)!].sort().join(', ')})`).join('; '),
    );
  }
  if (ops.length > 0) {
    return Errors.modelUnsupportedOps(name, parts.join(''), errors);
  }
  return Errors.modelLoad(`Model ${name} cannot be served: ${errors.join('; ')}`);
}

export class ModelRuntime {
  private disposed = false;
  /** Tail of the queue of asynchronous stateful runs (see run()). */
  private statefulTail: Promise<void> = Promise.resolve();

  private constructor(
    readonly name: string,
    readonly backend: ConcreteBackend,
    private readonly model: Graph,
    private readonly plans: ReadonlyMap<string, Plan>,
    private readonly unserved: ReadonlyMap<string, SignatureProblems>,
    private readonly modelId: number,
    private readonly weightIds: ReadonlySet<number>,
    private readonly logger: Logger,
  ) {}

  /** The model's serving signatures. */
  get signatures(): ReadonlyMap<string, SignatureSpec> {
    return new Map([...this.plans].map(([k, p]) => [k, p.spec]));
  }

  /** Signatures left out at load (the runtime lacks what they need), and why; each request to one answers UNIMPLEMENTED. */
  get unservedSignatures(): ReadonlyMap<string, UnservedSignature> {
    // Read on every request (servables/predict.ts): built once.
    this.unservedView ??= new Map(
      [...this.unserved].map(([k, p]) => [k, { reason: unservedReason(p), error: () => unservedError(this.name, k, p) }]),
    );
    return this.unservedView;
  }
  private unservedView: ReadonlyMap<string, UnservedSignature> | undefined;

  /** Ops each signature executes (for `tfs inspect` and tests). */
  opsOf(signatureKey: string): readonly string[] {
    return this.plans.get(signatureKey)?.frozen.ops ?? [];
  }

  /**
   * How unfiltered runs of a signature execute: `plain-js` (plain-js.ts, unless turned off
   * with setPlainJsEnabled / TFS_PLAIN_JS=0; a call it cannot take runs the next tier),
   * `straight-line` (straight-line.ts) or `graph` (tfjs-converter's executor).
   */
  executionTier(signatureKey: string): 'plain-js' | 'straight-line' | 'graph' | undefined {
    const plan = this.plans.get(signatureKey);
    if (!plan) return undefined;
    if (plan.plain && plainJsEnabled()) return 'plain-js';
    return plan.program ? 'straight-line' : 'graph';
  }

  /** Whether unfiltered runs of a signature use the straight-line program (straight-line.ts). */
  runsStraightLine(signatureKey: string): boolean {
    return this.plans.get(signatureKey)?.program !== undefined;
  }

  /**
   * Freeze and load a SavedModel. Every load problem surfaces here, in one TfsError.
   */
  static async load(source: FreezeSource, opts: ModelRuntimeOptions = {}): Promise<ModelRuntime> {
    const logger = opts.logger ?? silentLogger;
    const name = opts.name ?? source.exportDir;
    const requested = await resolveBackend(opts.backend ?? defaultBackend() ?? 'wasm');
    await ensureBackendReady(requested);
    registerCustomOps();
    const modelId = allocateModelId();
    const { frozen, enc, unserved } = freezeOrReport(source, name, modelId, opts.refusePartial === true);
    for (const w of frozen.warnings) logger.warn({ model: name }, w);
    warnUnserved(logger, name, source.signatures.size, unserved);
    const backend = await settleBackend(requested, frozen, name, logger);
    const model = await instantiate(source, frozen, enc, backend, name, modelId);
    const weightIds = new Set<number>();
    for (const ts of Object.values(model.weights)) for (const t of ts) weightIds.add(t.id);
    const plans = planSignatures(source.signatures, frozen, model, backend);
    logger.info(
      { model: name, backend, signatures: [...plans.keys()], weights: enc.specs.length },
      `model ${name} loaded on the ${backend} backend`,
    );
    return new ModelRuntime(name, backend, model, plans, unserved, modelId, weightIds, logger);
  }

  /** Run a signature. Inputs keyed by alias; outputs keyed by alias with declared dtypes. */
  async run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.disposed) throw Errors.modelUnloaded(this.name);
    const plan = this.plans.get(signatureKey);
    if (!plan) {
      const problems = this.unserved.get(signatureKey);
      throw problems ? unservedError(this.name, signatureKey, problems) : Errors.predictSignatureNotFound(signatureKey);
    }
    checkAbort(options.signal);
    const selection = options.outputFilter !== undefined && options.outputFilter.length > 0 ? selectOutputs(plan, options.outputFilter) : plan.all;
    const call: Call = { plan, selection, feeds: checkFeeds(plan, inputs), signal: options.signal };
    try {
      if (!plan.frozen.async) return onBackendSync(this.backend, () => this.runSync(call));
      const runAsync = (): Promise<Record<string, Tensor>> => withBackend(this.backend, () => this.runAsync(call));
      if (!plan.frozen.stateful) return await runAsync();
      // Asynchronous runs that touch live variables or tables run one at a time, so one
      // call's reads and writes are not interleaved with another's.
      const turn = this.statefulTail.then(runAsync, runAsync);
      this.statefulTail = turn.then(
        () => undefined,
        () => undefined,
      );
      return await turn;
    } catch (e) {
      if (isRuntimeFault(e) || (e instanceof TfsError && isRuntimeFault(e.cause))) throw this.fault(signatureKey, call.feeds, e);
      if (e instanceof TfsError) throw e;
      throw kernelError(e, plan.spec, call.feeds, this.logger, this.name);
    }
  }

  /** A graph without control flow: the plain-JS tier, the straight-line program, or GraphModel.execute. */
  private runSync(call: Call): Record<string, Tensor> {
    if (call.plan.plain && !call.selection.filtered && plainJsEnabled()) {
      const r = runPlain(call.plan.plain, call);
      if (r) return r;
    }
    const [map, created] = makeInputs(call.feeds);
    let outs: tf.Tensor[];
    try {
      if (call.plan.program && !call.selection.filtered) {
        outs = call.plan.program(created);
      } else {
        const r = this.model.execute(map, call.selection.fetches);
        outs = Array.isArray(r) ? r : [r];
      }
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
    return this.collect(call, outs, created);
  }

  /** A graph with control flow (or dynamic shapes): GraphModel.executeAsync. */
  private async runAsync(call: Call): Promise<Record<string, Tensor>> {
    const [map, created] = makeInputs(call.feeds);
    let outs: tf.Tensor[];
    try {
      // tfjs's executor frees nothing of a failed asynchronous run (run-tensors.ts).
      const r = await freeingOnFailure(this.weightIds, () => this.model.executeAsync(map, call.selection.fetches));
      outs = Array.isArray(r) ? r : [r];
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
    checkAbort(call.signal, () => this.free(outs, created));
    return this.collect(call, outs, created);
  }

  /** Outputs converted to their declared dtypes; every tensor the run created is freed. */
  private collect(call: Call, outs: tf.Tensor[], created: tf.Tensor[]): Record<string, Tensor> {
    const { aliases, fetchIndex, dtypes } = call.selection;
    const result: Record<string, Tensor> = {};
    try {
      for (let i = 0; i < aliases.length; i++) {
        const a = aliases[i]!;
        result[a] = fromTfjs(outs[fetchIndex[i]!]!, dtypes[i]!, `output ${a}`, this.backend === 'cpu');
      }
    } finally {
      this.free(outs, created);
    }
    return result;
  }

  /** Free a run's tensors once each (a tensor may be both fed and fetched), never a weight. */
  private free(outs: readonly tf.Tensor[], created: readonly tf.Tensor[]): void {
    for (const t of outs) if (!t.isDisposed && !this.weightIds.has(t.id)) t.dispose();
    for (const t of created) if (!t.isDisposed && !this.weightIds.has(t.id)) t.dispose();
  }

  /**
   * The runtime broke during a run: log the error with the request's model and shapes,
   * start the rebuild (core/runtime-health.ts), and answer INTERNAL.
   */
  private fault(signatureKey: string, feeds: readonly Feed[], e: unknown): TfsError {
    const err = e instanceof TfsError && e.cause !== undefined ? e.cause : e;
    const detail = err instanceof Error ? err.message : String(err);
    const shapes = Object.fromEntries(feeds.map(([alias, t]) => [alias, shapeString(t.shape)]));
    this.logger.error(
      { model: this.name, signature: signatureKey, shapes, backend: this.backend, err },
      `runtime fault while running ${this.name}: ${detail}; rebuilding the ${this.backend} runtime`,
    );
    void runtimeHealth.reportFault({ backend: this.backend, model: this.name, error: err });
    return Errors.runtimeFault(this.name, detail, err);
  }

  /** Free the model's weights, variables and tables. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      onBackendSync(this.backend, () => this.model.dispose());
    } catch (e) {
      // After a rebuild the old backend is gone: its memory went with it.
      this.logger.debug({ model: this.name, err: e }, `model ${this.name}: weights of a rebuilt runtime not freed one by one`);
    }
    releaseModelResources(this.modelId);
    this.logger.debug({ model: this.name }, `model ${this.name} unloaded`);
  }
}

// --- load steps ------------------------------------------------------------------------

type EncodedWeights = ReturnType<typeof encodeWeights>;

/** What one signature lacks: the ops (and constants) no kernel runs, and other freeze problems. */
export interface SignatureProblems {
  readonly ops: readonly string[];
  readonly errors: readonly string[];
}

/** The frozen model, its encoded weights, and the signatures left out of it. */
interface FrozenLoad {
  readonly frozen: FrozenModel;
  readonly enc: EncodedWeights;
  readonly unserved: ReadonlyMap<string, SignatureProblems>;
}

function freezeKeys(source: FreezeSource, name: string, modelId: number, keys: readonly string[]): { frozen: FrozenModel; enc: EncodedWeights } {
  let frozen: FrozenModel;
  try {
    frozen = freezeSavedModel(source, { modelId, isExecutable: isExecutableOp, signatureKeys: keys });
  } catch (e) {
    // Unreadable checkpoint files keep their code (DATA_LOSS, NOT_FOUND).
    if (e instanceof TfsError) throw e.withPrefix(`Model ${name}: `);
    throw e;
  }
  return { frozen, enc: encodeWeights(frozen.weights, (n) => frozen.weightSources.get(n) ?? `constant ${n}`) };
}

/**
 * Each signature's problems, or undefined when some problem is not one signature's own
 * (the init op needs an unsupported op, a problem outside every signature).
 */
export function problemsBySignature(
  keys: readonly string[],
  unsupported: ReadonlyMap<string, ReadonlySet<string>>,
  errors: readonly string[],
): Map<string, SignatureProblems> | undefined {
  const known = new Set(keys);
  const out = new Map<string, { ops: string[]; errors: string[] }>();
  const of = (key: string): { ops: string[]; errors: string[] } => {
    let p = out.get(key);
    if (!p) out.set(key, (p = { ops: [], errors: [] }));
    return p;
  };
  for (const [op, who] of unsupported) {
    for (const w of who) {
      if (!known.has(w)) return undefined;
      of(w).ops.push(op);
    }
  }
  for (const e of errors) {
    const key = keys.find((k) => e.startsWith(`${k}: `));
    if (key === undefined) return undefined;
    of(key).errors.push(e.slice(key.length + 2));
  }
  for (const p of out.values()) p.ops.sort();
  return out;
}

/**
 * Freeze the model and encode its weights. Problems of some signatures only leave those
 * signatures out (frozen again without them) unless `refusePartial`; a problem of the
 * model itself (init op, weights), or of every signature, throws every problem in one TfsError.
 */
function freezeOrReport(source: FreezeSource, name: string, modelId: number, refusePartial: boolean): FrozenLoad {
  const keys = [...source.signatures.keys()];
  const all = freezeKeys(source, name, modelId, keys);
  const errors = [...all.frozen.errors, ...all.enc.errors];
  if (all.frozen.unsupported.size === 0 && errors.length === 0) return { ...all, unserved: new Map() };
  const refusal = describeProblems(name, all.frozen.unsupported, errors);
  const unserved = refusePartial ? undefined : problemsBySignature(keys, all.frozen.unsupported, all.frozen.errors);
  const served = keys.filter((k) => !unserved?.has(k));
  if (!unserved || unserved.size === 0 || served.length === 0) throw refusal;
  const part = freezeKeys(source, name, modelId, served);
  if (part.frozen.unsupported.size > 0 || part.frozen.errors.length > 0 || part.enc.errors.length > 0) throw refusal;
  return { ...part, unserved };
}

/** The per-request error of a signature the model does not serve (the load refusal's text, for that signature). */
function unservedError(name: string, key: string, p: SignatureProblems): TfsError {
  if (p.ops.length === 0) return Errors.modelLoad(`Model ${name} cannot serve signature ${key}: ${p.errors.join('; ')}`);
  return Errors.modelUnsupportedOps(name, p.ops.map((op) => `${op} (needed by ${key})`).join('; '), p.errors);
}

/** Why a signature is not served, in a few words. */
function unservedReason(p: SignatureProblems): string {
  return [...(p.ops.length > 0 ? [`needs ${p.ops.join(', ')}`] : []), ...p.errors].join('; ');
}

/** The one load warning that lists the signatures not served and why. */
function warnUnserved(logger: Logger, name: string, total: number, unserved: ReadonlyMap<string, SignatureProblems>): void {
  if (unserved.size === 0) return;
  const list = [...unserved].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, p]) => `signature ${k} (${unservedReason(p)})`);
  logger.warn(
    { model: name, unservedSignatures: [...unserved.keys()] },
    `model ${name} is served without ${unserved.size} of its ${total} signatures, which answer UNIMPLEMENTED (--refuse_partial_models refuses such models): ${list.join('; ')}`,
  );
}

/** The backend the model runs on: wasm gives way to cpu for complex-number kernels. */
async function settleBackend(backend: ConcreteBackend, frozen: FrozenModel, name: string, logger: Logger): Promise<ConcreteBackend> {
  if (backend !== 'wasm') return backend;
  const allOps = new Set([...frozen.signatures.values()].flatMap((s) => s.ops));
  const complex = [...allOps].filter((op) => COMPLEX_OPS.has(op));
  if (complex.length > 0) {
    logger.warn(
      { model: name },
      `the wasm backend has no complex-number kernels (${complex.join(', ')}); running this model on the cpu backend`,
    );
    await ensureBackendReady('cpu');
    return 'cpu';
  }
  const bridged = bridgedWasmKernels().filter((k) => allOps.has(k));
  if (bridged.length > 0) {
    logger.info({ model: name }, `the wasm backend lacks kernels ${bridged.join(', ')}; they run on the cpu backend's kernels`);
  }
  return backend;
}

/** The model's live variables (checkpoint values) and empty tables. */
function createResources(source: FreezeSource, frozen: FrozenModel, resources: ModelResources): void {
  for (const v of frozen.variables) {
    const initial =
      v.key !== undefined && source.hasVariable(v.key)
        ? tf.keep(weightTensor(source.readVariable(v.key, v.slice), `variable ${v.node}`))
        : undefined;
    resources.variables.set(v.index, { name: v.node, value: initial });
  }
  for (const t of frozen.tables) {
    resources.tables.set(t.index, { name: t.node, keyDtype: t.keyDtype, valueDtype: t.valueDtype, entries: undefined });
  }
}

/** Create the resources and the GraphModel, and run the init op; on failure free them all. */
async function instantiate(
  source: FreezeSource,
  frozen: FrozenModel,
  enc: EncodedWeights,
  backend: ConcreteBackend,
  name: string,
  modelId: number,
): Promise<Graph> {
  const resources: ModelResources = { variables: new Map(), tables: new Map() };
  let model: Graph | undefined;
  try {
    // Registered first, so a failure below frees whatever was already created.
    registerModelResources(modelId, resources);
    const loaded = onBackendSync(backend, () => {
      createResources(source, frozen, resources);
      return loadGraphModelSync({
        modelTopology: frozen.graph,
        weightSpecs: enc.specs,
        weightData: enc.data,
        format: 'graph-model',
        generatedBy: 'tfs',
        convertedBy: 'tfs freezer',
      });
    });
    model = loaded;
    if (frozen.initFetches.length > 0) {
      const fetches = [...frozen.initFetches];
      const outs = frozen.initAsync
        ? await withBackend(backend, () => loaded.executeAsync({}, fetches))
        : onBackendSync(backend, () => loaded.execute({}, fetches));
      for (const t of Array.isArray(outs) ? outs : [outs]) t.dispose();
    }
    return loaded;
  } catch (e) {
    model?.dispose();
    releaseModelResources(modelId);
    if (e instanceof TfsError) throw e.withPrefix(`Model ${name}: `);
    throw Errors.modelLoad(`Model ${name} failed to load: ${(e as Error).message}`, e);
  }
}

/** Each served signature's plan, with a straight-line program and a plain-JS one where the graph allows. */
function planSignatures(specs: ReadonlyMap<string, SignatureSpec>, frozen: FrozenModel, model: Graph, backend: ConcreteBackend): Map<string, Plan> {
  const plans = new Map<string, Plan>();
  for (const [key, spec] of specs) {
    const f = frozen.signatures.get(key);
    if (!f) continue;
    const program =
      f.async || f.stateful
        ? undefined
        : compileStraightLine(
            frozen.graph.node,
            Object.values(f.inputs).map((i) => i.feed),
            [...new Set(Object.values(f.outputs))],
            (n) => model.weights[n]?.[0],
          );
    const feedOrder = Object.values(f.inputs).map((i) => i.feed).sort();
    const inputs = Object.entries(f.inputs).map(([alias, input]) => ({ alias, input, feedIndex: feedOrder.indexOf(input.feed) }));
    const all = outputSelection(spec, f, Object.keys(f.outputs), false);
    const plain = f.async || f.stateful ? undefined : plainProgram(frozen, f, all, model, backend);
    plans.set(key, { spec, frozen: f, feedOrder, program, plain, inputs, all });
  }
  return plans;
}

/**
 * The plain-JS program of a signature (plain-js.ts): float32 inputs and outputs only, on the
 * wasm and cpu backends, for signatures without control flow or state.
 */
function plainProgram(frozen: FrozenModel, f: FrozenSignature, all: OutputSelection, model: Graph, backend: ConcreteBackend): PlainProgram | undefined {
  if (backend !== 'wasm' && backend !== 'cpu') return undefined;
  if (Object.values(f.inputs).some((i) => i.graphDtype !== 'DT_FLOAT') || all.dtypes.some((d) => d !== 'DT_FLOAT')) return undefined;
  const cpuBlockSize = (tf.findBackend('cpu') as unknown as { blockSize?: number } | null)?.blockSize ?? 48;
  return compilePlainJs(
    frozen.graph.node,
    Object.values(f.inputs).map((i) => i.feed),
    all.fetches,
    { backend, weight: (n) => model.weights[n]?.[0], cpuBlockSize },
  );
}

// --- run steps -------------------------------------------------------------------------

/**
 * An unfiltered run on the plain-JS tier: float32 feeds (denormals flushed as on the tfjs
 * path) → outputs by alias, or undefined when the program hands the call back.
 */
function runPlain(prog: PlainProgram, call: Call): Record<string, Tensor> | undefined {
  const values: PlainValue[] = [];
  for (const [, t] of call.feeds) {
    const data = flushDenormals(t).data as Float32Array;
    // A tensor whose values do not fill its shape gets the tfjs path's error.
    if (data.length !== numElements(t.shape)) return undefined;
    values.push({ data, shape: t.shape });
  }
  const outs = prog.run(values);
  if (!outs) return undefined;
  const { aliases, fetchIndex, dtypes } = call.selection;
  const result: Record<string, Tensor> = {};
  for (let i = 0; i < aliases.length; i++) {
    const k = fetchIndex[i]!;
    const v = outs[k]!;
    // Two aliases of one tensor get arrays of their own, as on the tfjs path: the first
    // alias of a fetch takes the program's array, a later one a copy (no Set per call).
    const data = fetchIndex.indexOf(k) < i ? v.data.slice() : v.data;
    result[aliases[i]!] = { dtype: dtypes[i]!, shape: [...v.shape], data };
  }
  return result;
}

/** One input to feed: alias, value, flat graph tensor. */
type Feed = readonly [string, Tensor, string];

/** What one run() call executes. */
interface Call {
  readonly plan: Plan;
  readonly selection: OutputSelection;
  readonly feeds: readonly Feed[];
  readonly signal: AbortSignal | undefined;
}

/** The output aliases a caller picked (checked), and the flat tensors to fetch for them. */
function selectOutputs(plan: Plan, outputFilter: readonly string[]): OutputSelection {
  const outputs = plan.frozen.outputs;
  const seen = new Set<string>();
  for (const a of outputFilter) {
    if (!(a in outputs)) throw Errors.outputAliasNotFound(a, Object.keys(outputs));
    if (seen.has(a)) throw Errors.duplicateOutputAlias(a);
    seen.add(a);
  }
  return outputSelection(plan.spec, plan.frozen, [...outputFilter], true);
}

/** `aliases` (valid, distinct) with their distinct fetches, fetch indexes and declared dtypes. */
function outputSelection(spec: SignatureSpec, frozen: FrozenSignature, aliases: string[], filtered: boolean): OutputSelection {
  const fetches = [...new Set(aliases.map((a) => frozen.outputs[a]!))];
  const fetchIndex = aliases.map((a) => fetches.indexOf(frozen.outputs[a]!));
  const dtypes = aliases.map((a): DTypeName => spec.outputs[a]?.dtype ?? 'DT_FLOAT');
  return { filtered, aliases, fetches, fetchIndex, dtypes };
}

/** The feeds of a call, checked in TF's terms (missing and unknown aliases, dtypes). */
function checkFeeds(plan: Plan, inputs: Readonly<Record<string, Tensor>>): Feed[] {
  const { spec, frozen } = plan;
  const feeds: Feed[] = [];
  let given = 0;
  for (const { alias, input: fin, feedIndex } of plan.inputs) {
    let t = inputs[alias];
    if (t) given++;
    else t = spec.defaults[alias];
    if (!t) {
      throw Errors.inputAliasNotFound(alias, spec.inputs[alias]?.name ?? fin.feed, Object.keys(inputs), Object.keys(spec.defaults));
    }
    if (t.dtype !== fin.graphDtype) {
      throw Errors.feedDtypeMismatch(feedIndex, dtypeInfo(fin.graphDtype)?.short ?? fin.graphDtype, dtypeInfo(t.dtype)?.short ?? t.dtype);
    }
    feeds.push([alias, t, fin.feed]);
  }
  // Every key named a signature input unless there are more keys than inputs found.
  let keys = 0;
  for (const k in inputs) if (Object.hasOwn(inputs, k)) keys++;
  if (keys !== given) {
    for (const k of Object.keys(inputs)) {
      if (!(k in frozen.inputs)) throw Errors.invalidInputName(Object.keys(inputs), [k]);
    }
  }
  return feeds;
}

/** The feeds as tfjs tensors (freed again if one cannot be converted). */
function makeInputs(feeds: readonly Feed[]): [tf.NamedTensorMap, tf.Tensor[]] {
  const map: tf.NamedTensorMap = {};
  const created: tf.Tensor[] = [];
  try {
    for (const [alias, t, feed] of feeds) {
      const tt = toTfjs(flushDenormals(t), `input ${alias}`);
      created.push(tt);
      map[feed] = tt;
    }
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }
  return [map, created];
}

/**
 * A kernel error (shape mismatches inside the graph, ...) is the caller's bad input, as TF
 * reports it: INVALID_ARGUMENT with the kernel's text. Inputs whose shape differs from the
 * declared one are the likely cause; the hint names them.
 */
function kernelError(e: unknown, spec: SignatureSpec, feeds: readonly Feed[], logger: Logger, model: string): TfsError {
  const off = feeds
    .filter(([alias, t]) => !shapeMatches(spec.inputs[alias]?.shape, t.shape))
    .map(([alias, t]) => `input ${alias} has shape ${shapeString(t.shape)}, the signature declares ${shapeString(spec.inputs[alias]!.shape!)}`);
  return runFailure(e, off.length > 0 ? off.join('; ') : undefined, logger, model);
}

/** Whether a fed shape fits a declared one (unknown rank and -1 dims match anything). */
function shapeMatches(declared: readonly number[] | null | undefined, shape: readonly number[]): boolean {
  if (!declared) return true;
  return declared.length === shape.length && declared.every((d, i) => d < 0 || d === shape[i]);
}

function checkAbort(signal: AbortSignal | undefined, cleanup?: () => void): void {
  if (!signal?.aborted) return;
  cleanup?.();
  throw abortError(signal);
}
