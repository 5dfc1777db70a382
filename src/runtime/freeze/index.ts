/**
 * The freezer: turns the signatures of a SavedModel MetaGraph into one flat graph that
 * tfjs-converter's GraphModel executes.
 *
 * Per node reachable from a signature output (or from the init op), the op → emitter table
 * (emitters.ts) picks what it becomes; the families are
 * - calls.ts: function calls inlined recursively; function-body references
 *   `node:out_arg:k` become flat `node:index` references using the op's output-arg layout;
 * - variables.ts: variables become `Const` weights holding their checkpoint values
 *   (bind.ts finds the keys), or stay *live* (tfs custom ops over a per-model store) when
 *   some reachable op writes them, ordered by their control dependencies;
 * - tables.ts: hash tables become tfs custom ops over per-model tables filled by running
 *   the model's init op once at load;
 * - control-flow.ts: `If`/`While` keep their branch functions, rebuilt with the same rules;
 * - basic.ts: the rest: constants, placeholders, pass-through and dropped debug ops, and
 *   the generic copy (attributes stripped because they equal their default restored,
 *   control inputs dropped unless they order effects, device strings ignored).
 * Asset tensors are fed the real file path under `assets/` (freezer.ts).
 *
 * Unsupported ops do not stop the walk: every one is recorded and the caller reports all
 * of them, with the signatures that reach them, in a single error.
 */
import { dtypeInfo } from '../../tensor/dtypes.js';
import type { MetaGraphDefObject, SignatureDefObject } from '../../savedmodel/proto-types.js';
import { fuseGraph } from '../fuse.js';
import { tfjsTypeName, type GraphJson, type NodeJson } from '../graph-json.js';
import { ASYNC_OPS, VARIABLE_WRITE_OPS } from '../op-registry.js';
import { splitRef } from './bind.js';
import { Freezer } from './freezer.js';
import { FreezeError, type Scope } from './scope.js';
import {
  INIT_OP_SIGNATURE_KEY,
  TFS_OPS,
  type FreezeOptions,
  type FreezeSource,
  type FrozenInput,
  type FrozenModel,
  type FrozenSignature,
} from './types.js';

export * from './types.js';
export { splitRef } from './bind.js';

/** Parse a TensorInfo name (`x`, `x:0`) into the outer-graph form `x:0`. */
function tensorName(name: string): string {
  return name.includes(':') ? name : `${name}:0`;
}

/**
 * Ops in the subgraph needed for `fetches` (walking into If/While branch functions), as
 * executed op → the TF ops it stands for.
 */
function reachableOps(
  graph: GraphJson,
  fetches: readonly string[],
  feeds: ReadonlySet<string>,
  origin: (name: string, op: string) => string,
): Map<string, Set<string>> {
  const byName = new Map(graph.node.map((n) => [n.name, n]));
  const fnByName = new Map(graph.library.function.map((f) => [f.signature.name, f]));
  const ops = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const seenFn = new Set<string>();
  const visitFn = (name: string): void => {
    if (seenFn.has(name)) return;
    seenFn.add(name);
    const f = fnByName.get(name);
    if (!f) return;
    for (const n of f.nodeDef) visitNode(n);
  };
  const visitNode = (n: NodeJson): void => {
    let s = ops.get(n.op);
    if (!s) ops.set(n.op, (s = new Set()));
    s.add(origin(n.name, n.op));
    for (const a of Object.values(n.attr)) if (a.func) visitFn(a.func.name);
  };
  const stack = fetches.map((f) => splitRef(f)[0]!);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = byName.get(name);
    if (!n) continue;
    visitNode(n);
    if (feeds.has(name)) continue;
    for (const i of n.input) stack.push(splitRef(i)[0]!);
  }
  return ops;
}

const STATEFUL_TFS_OPS = new Set<string>([
  TFS_OPS.varRead,
  TFS_OPS.varAssign,
  TFS_OPS.varAssignAdd,
  TFS_OPS.varAssignSub,
  TFS_OPS.applyGradientDescent,
  TFS_OPS.tableFind,
  TFS_OPS.tableSize,
  'LookupTableFindV2',
  'LookupTableFind',
  'LookupTableSizeV2',
  'LookupTableSize',
  ...VARIABLE_WRITE_OPS,
]);

/** Names of the init op(s) the loader runs: TF2 `__saved_model_init_op`, TF1 main_op or legacy_init_op. */
function initOpNames(meta: MetaGraphDefObject): string[] {
  const sig = meta.signature_def?.[INIT_OP_SIGNATURE_KEY];
  const out = Object.values(sig?.outputs ?? {})
    .map((t) => t.name)
    .filter((n): n is string => !!n);
  if (out.length > 0) return out.map((n) => splitRef(n)[0]!);
  for (const key of ['saved_model_main_op', 'legacy_init_op']) {
    const v = meta.collection_def?.[key]?.node_list?.value ?? [];
    if (v.length > 0) return v.map((n) => splitRef(n)[0]!);
  }
  return [];
}

interface SignaturePlan {
  readonly key: string;
  readonly inputs: Record<string, FrozenInput>;
  readonly outputs: Record<string, string>;
}

const isPlaceholder = (op: string): boolean => op === 'Placeholder' || op === 'PlaceholderWithDefault';

/** A signature's inputs as [alias, tensor, op], and whether they need a scope of their own. */
function signatureFeeds(meta: MetaGraphDefObject, def: SignatureDefObject): { feeds: [string, string, string][]; ownScope: boolean } {
  const feeds: [string, string, string][] = [];
  let ownScope = false;
  for (const [alias, info] of Object.entries(def.inputs ?? {})) {
    if (!info.name) throw new FreezeError(`input ${alias} is not a dense tensor (sparse/composite inputs are not supported)`);
    const t = tensorName(info.name);
    const [node, idx] = splitRef(t);
    const n = meta.graph_def?.node?.find((x) => x.name === node);
    if (!n) throw new FreezeError(`input ${alias}: the graph has no node named ${node}`);
    feeds.push([alias, t, n.op ?? '']);
    if (!isPlaceholder(n.op ?? '') || idx !== '0') ownScope = true;
  }
  return { feeds, ownScope };
}

/** Freeze one signature into the shared graph. */
function freezeSignature(fz: Freezer, shared: Scope, meta: MetaGraphDefObject, key: string, def: SignatureDefObject): SignaturePlan {
  // Inputs that are not Placeholders (TF1 lets any tensor be fed) are replaced by a
  // placeholder in a scope of their own, so other signatures still compute that tensor.
  const { feeds, ownScope } = signatureFeeds(meta, def);
  const scope = ownScope ? fz.newOuterScope(`_tfs_sig/${key}/`) : shared;
  const inputs: Record<string, FrozenInput> = {};
  for (const [alias, t, op] of feeds) {
    const info = def.inputs![alias]!;
    if (isPlaceholder(op)) {
      const n = meta.graph_def!.node!.find((x) => x.name === splitRef(t)[0])!;
      const graphDtype = dtypeInfo(n.attr?.['dtype']?.type ?? info.dtype ?? 'DT_INVALID')?.name;
      if (!graphDtype) throw new FreezeError(`input ${alias} has an unsupported dtype`);
      const v = fz.emitRef(scope, t);
      if (v.kind !== 'tensor') throw new FreezeError(`input ${alias} is not a tensor`);
      inputs[alias] = { feed: v.ref, graphDtype };
    } else {
      const declared = dtypeInfo(info.dtype ?? 'DT_INVALID')?.name;
      if (!declared) throw new FreezeError(`input ${alias} has an unsupported dtype`);
      const name = fz.outer.unique(`${scope.prefix}${t.replace(':', '/_tfs_feed_')}`);
      fz.outer.add({ name, op: 'Placeholder', input: [], attr: { dtype: { type: tfjsTypeName(declared) } } });
      scope.overrides.set(t, { kind: 'tensor', ref: `${name}:0` });
      inputs[alias] = { feed: `${name}:0`, graphDtype: declared };
    }
  }
  const outputs: Record<string, string> = {};
  for (const [alias, info] of Object.entries(def.outputs ?? {})) {
    if (!info.name) throw new FreezeError(`output ${alias} is not a dense tensor (sparse/composite outputs are not supported)`);
    // A variable fetched directly (TF1 `counter:0`) reads its current value.
    outputs[alias] = fz.fetchRef(scope, fz.emitRef(scope, tensorName(info.name)), `output ${alias} (${info.name})`);
  }
  return { key, inputs, outputs };
}

/** Emit the init op (tables, variables that only an init op assigns); returns its fetches. */
function freezeInitOp(fz: Freezer, meta: MetaGraphDefObject, errors: string[]): string[] {
  const initFetches: string[] = [];
  const initNames = initOpNames(meta);
  if (initNames.length === 0) return initFetches;
  fz.setInitMode(true);
  const initScope = fz.newOuterScope('_tfs_init/');
  try {
    for (const n of initNames) {
      const r = fz.emitNode(initScope, n);
      if (r.effect) initFetches.push(r.effect);
    }
  } catch (e) {
    if (!(e instanceof FreezeError)) throw e;
    errors.push(`init op: ${e.message}`);
  }
  fz.setInitMode(false);
  return initFetches;
}

function runPass(src: FreezeSource, opts: FreezeOptions, live: ReadonlySet<string>) {
  const fz = new Freezer(src, opts, live);
  const meta = src.metaGraph;
  const sigDefs = meta.signature_def ?? {};
  const keys = opts.signatureKeys ?? Object.keys(sigDefs).filter((k) => k !== INIT_OP_SIGNATURE_KEY);
  const errors: string[] = [];
  const plans: SignaturePlan[] = [];
  const shared = fz.newOuterScope();
  for (const key of [...keys].sort()) {
    const def = sigDefs[key];
    if (!def) {
      errors.push(`${key}: no such signature`);
      continue;
    }
    try {
      plans.push(freezeSignature(fz, shared, meta, key, def));
    } catch (e) {
      // Model problems are collected; unreadable files (TfsErrors from the reader) propagate.
      if (!(e instanceof FreezeError)) throw e;
      errors.push(`${key}: ${e.message}`);
    }
  }
  const initFetches = freezeInitOp(fz, meta, errors);
  return { fz, plans, errors, initFetches };
}

type Origin = (name: string, op: string) => string;

/** Each signature's ops, async/stateful flags, and the ops no runtime kernel executes. */
function describeSignatures(
  graph: GraphJson,
  plans: readonly SignaturePlan[],
  opts: FreezeOptions,
  origin: Origin,
  note: (op: string, who: string) => void,
): Map<string, FrozenSignature> {
  const signatures = new Map<string, FrozenSignature>();
  for (const p of plans) {
    const feeds = new Set(Object.values(p.inputs).map((i) => splitRef(i.feed)[0]!));
    const reach = reachableOps(graph, Object.values(p.outputs), feeds, origin);
    const tfOps = new Set<string>();
    for (const [op, origins] of reach) {
      for (const o of origins) tfOps.add(o);
      if (!opts.isExecutable(op)) for (const o of origins) note(o, p.key);
    }
    signatures.set(p.key, {
      key: p.key,
      inputs: p.inputs,
      outputs: p.outputs,
      ops: [...tfOps].sort(),
      async: [...reach.keys()].some((op) => ASYNC_OPS.has(op)),
      stateful: [...reach.keys()].some((op) => STATEFUL_TFS_OPS.has(op)),
    });
  }
  return signatures;
}

/** Whether the init fetches need executeAsync (noting the ops no kernel executes). */
function describeInit(graph: GraphJson, initFetches: readonly string[], opts: FreezeOptions, origin: Origin, note: (op: string, who: string) => void): boolean {
  let initAsync = false;
  if (initFetches.length === 0) return initAsync;
  for (const [op, origins] of reachableOps(graph, initFetches, new Set(), origin)) {
    if (!opts.isExecutable(op)) for (const o of origins) note(o, 'init op');
    if (ASYNC_OPS.has(op)) initAsync = true;
  }
  return initAsync;
}

/** Fuse the graph, keeping every node a signature or the init op feeds or fetches. */
function fuseFrozen(graph: GraphJson, fz: Freezer, plans: readonly SignaturePlan[], initFetches: readonly string[]): void {
  const keep = new Set<string>();
  for (const p of plans) {
    for (const ref of [...Object.values(p.outputs), ...Object.values(p.inputs).map((i) => i.feed)]) keep.add(splitRef(ref)[0]!);
  }
  for (const ref of initFetches) keep.add(splitRef(ref)[0]!);
  fuseGraph(graph, fz.weights, keep);
}

/**
 * Freeze a SavedModel's signatures into one tfjs graph. Never throws for model problems:
 * they are returned in `unsupported` / `errors` so the caller reports them all at once.
 * Throws TfsErrors from the checkpoint reader (corrupt files) as they are.
 */
export function freezeSavedModel(src: FreezeSource, opts: FreezeOptions): FrozenModel {
  // Some reachable op writes variables: freeze again with those variables live, until no
  // new write turns up. One extra pass is not enough: a pass stops walking a signature or
  // the init op at its first error (a read of a variable not yet live), so writes behind
  // that point (a TF2 asset path assigned by the init op after a table initialiser) only
  // show up in a later pass. Terminates: `live` grows strictly, bounded by the variables.
  let live = new Set<string>();
  let pass = runPass(src, opts, live);
  while ([...pass.fz.written].some((v) => !live.has(v))) {
    live = new Set([...live, ...pass.fz.written]);
    pass = runPass(src, opts, live);
  }
  const { fz, plans, errors, initFetches } = pass;
  const graph: GraphJson = {
    node: fz.outer.nodes,
    library: { function: fz.library },
    versions: {
      producer: Number(src.metaGraph.graph_def?.versions?.producer ?? 0),
      minConsumer: Number(src.metaGraph.graph_def?.versions?.min_consumer ?? 0),
    },
  };
  const origin: Origin = (n, op) => fz.originOf(n, op);
  // int64/uint32/uint64/float64 constants beyond their stand-in are exact _TfsWideConst nodes (freezer.constRef).
  const unsupported = new Map<string, Set<string>>();
  const note = (op: string, who: string): void => {
    let s = unsupported.get(op);
    if (!s) unsupported.set(op, (s = new Set()));
    s.add(who);
  };
  const signatures = describeSignatures(graph, plans, opts, origin, note);
  const initAsync = describeInit(graph, initFetches, opts, origin, note);
  if (opts.fuse !== false) fuseFrozen(graph, fz, plans, initFetches);
  const warnings = new Set(fz.warnings);
  if ([...fz.weights.values()].some((t) => t.dtype === 'DT_DOUBLE')) {
    warnings.add('the model holds float64 values; tfs carries them as float32 where that is exact and refuses the rest');
  }
  return {
    graph,
    weights: fz.weights,
    weightSources: fz.weightSources,
    signatures,
    variables: [...fz.vars.values()].filter((v) => fz.written.has(v.node)),
    tables: [...fz.tables.values()],
    initFetches,
    initAsync,
    unsupported,
    errors,
    warnings: [...warnings],
  };
}
