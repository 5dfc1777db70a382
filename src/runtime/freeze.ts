/**
 * The freezer: turns the signatures of a SavedModel MetaGraph into one flat graph that
 * tfjs-converter's GraphModel executes.
 *
 * What it does, per node reachable from a signature output (or from the init op):
 * - function calls (`StatefulPartitionedCall`, `PartitionedCall`, or an op named after a
 *   library function) are inlined recursively; function-body references
 *   `node:out_arg:k` become flat `node:index` references using the op's output-arg layout;
 * - variables (`VarHandleOp`, TF1 `VariableV2`) become `Const` weights holding their
 *   checkpoint values (see freeze-bind.ts for how keys are found) and reads
 *   (`ReadVariableOp`, ref `Identity`) disappear; `ResourceGather` becomes `GatherV2`,
 *   `VariableShape` a constant. Variables that some reachable op writes (counter-style
 *   models, training signatures) stay *live*: reads and writes become tfs custom ops over a
 *   per-model variable store, ordered by their control dependencies;
 * - hash tables become tfs custom ops over per-model tables filled by running the model's
 *   init op once at load (`main_op`, `legacy_init_op`, `__saved_model_init_op`); asset
 *   tensors are fed the real file path under `assets/`;
 * - control inputs and NoOps are dropped (tfjs would treat them as data inputs), except
 *   where they order live-variable effects; `Assert`, `CheckNumerics`, `PrintV2`,
 *   `DisableCopyOnRead` are dropped; device strings are ignored; attributes stripped
 *   because they equal their default are restored from the OpDef;
 * - `If`/`While` keep their branch functions, rebuilt with the same rules (resource
 *   arguments bound statically, calls inlined, references flattened).
 *
 * Unsupported ops do not stop the walk: every one is recorded and the caller reports all
 * of them, with the signatures that reach them, in a single error.
 */
import type { SignatureSpec } from '../core/servable.js';
import { dtypeInfo, type DTypeName } from '../tensor/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { utf8 } from '../tensor/tensor.js';
import { shapeFromProto, tensorFromProto } from '../savedmodel/tensor-proto.js';
import { bindByObjectGraph, bindByRestoreOp, splitRef } from './freeze-bind.js';
import { fuseGraph } from './fuse.js';
import { familyNode } from './kernels/index.js';
import {
  attrToJson,
  tfjsTypeName,
  type AttrJson,
  type FunctionJson,
  type GraphJson,
  type NodeJson,
} from './graph-json.js';
import type {
  ArgDefObject,
  AttrValueObject,
  FunctionDefObject,
  MetaGraphDefObject,
  NodeDefObject,
  OpDefObject,
} from '../savedmodel/proto-types.js';
import type { TrackableObjectGraph } from '../savedmodel/tensor-bundle.js';
import {
  ASYNC_OPS,
  BUILTIN_ATTR_DEFAULTS,
  BUILTIN_OUTPUT_LAYOUTS,
  CALL_OPS,
  layoutFromOpDef,
  TABLE_INIT_OPS,
  VARIABLE_WRITE_OPS,
  type OutputArgLayout,
} from './op-registry.js';

/** What the freezer needs from a loaded SavedModel (see source.ts for the adapter). */
export interface FreezeSource {
  /** The version directory (assets are under `<exportDir>/assets`). */
  readonly exportDir: string;
  /** The selected MetaGraphDef, protobufjs toObject form (graph-types.ts). */
  readonly metaGraph: MetaGraphDefObject;
  /** Whether the checkpoint holds `key`. */
  hasVariable(key: string): boolean;
  /** A checkpoint tensor; throws a TfsError when it cannot be read. */
  readVariable(key: string): Tensor;
  /** The checkpoint's TrackableObjectGraph (TF2 checkpoints), or null. */
  trackableObjectGraph(): TrackableObjectGraph | null;
  /** The serving signatures (the reader's SignatureSpecs; `__saved_model_init_op` excluded). */
  readonly signatures: ReadonlyMap<string, SignatureSpec>;
  /** Asset tensors the graph reads its file paths from, with the real path to feed. */
  readonly assets: readonly { readonly tensorName: string; readonly path: string }[];
}

/** tfs's internal custom ops emitted by the freezer (registered in custom-ops.ts). */
export const TFS_OPS = {
  varRead: '_TfsVarRead',
  varAssign: '_TfsVarAssign',
  varAssignAdd: '_TfsVarAssignAdd',
  varAssignSub: '_TfsVarAssignSub',
  applyGradientDescent: '_TfsApplyGradientDescent',
  after: '_TfsAfter',
  group: '_TfsGroup',
  tableFind: '_TfsTableFind',
  tableSize: '_TfsTableSize',
  tableInit: '_TfsTableInit',
  tableInitFromFile: '_TfsTableInitFromFile',
  int64Checked: '_TfsInt64Checked',
  castToInt64Checked: '_TfsCastToInt64Checked',
} as const;

/**
 * Integer ops that can overflow int32 when TF computes them in int64, by the code the
 * `_TfsInt64Checked` custom op dispatches on.
 */
export const INT64_CHECKED_OPS: ReadonlyMap<string, number> = new Map([
  ['Add', 1],
  ['AddV2', 1],
  ['Sub', 2],
  ['Mul', 3],
  ['Square', 4],
  ['Neg', 5],
  ['Abs', 6],
  ['Sum', 7],
  ['Prod', 8],
  ['Cumsum', 9],
  ['Pow', 10],
  ['AddN', 11],
]);
const WIDE_INT_TYPES = new Set(['DT_INT64', 'DT_UINT64', 'DT_UINT32']);
const FLOAT_TYPES = new Set(['DT_FLOAT', 'DT_DOUBLE', 'DT_HALF', 'DT_BFLOAT16']);

/** A variable the freezer met. */
export interface FrozenVariable {
  readonly index: number;
  /** Outer-graph node name (VarHandleOp / VariableV2). */
  readonly node: string;
  /** Checkpoint key, or undefined when the checkpoint has no value for it. */
  readonly key: string | undefined;
  readonly dtype: DTypeName;
  readonly shape: readonly number[] | null;
}

export interface FrozenTable {
  readonly index: number;
  readonly node: string;
  readonly keyDtype: DTypeName;
  readonly valueDtype: DTypeName;
}

export interface FrozenInput {
  /** Flat graph tensor to feed (`node:index`). */
  readonly feed: string;
  /** The dtype of that graph tensor (what TF checks feeds against). */
  readonly graphDtype: DTypeName;
}

export interface FrozenSignature {
  readonly key: string;
  readonly inputs: Readonly<Record<string, FrozenInput>>;
  /** Output alias → flat graph tensor (`node:index`). */
  readonly outputs: Readonly<Record<string, string>>;
  /** TF op types the signature executes (after freezing), sorted. */
  readonly ops: readonly string[];
  /** Whether tfjs must run it with executeAsync (control flow, dynamic shapes). */
  readonly async: boolean;
  /** Whether it reads or writes live variables or tables (runs are then serialized). */
  readonly stateful: boolean;
}

export interface FrozenModel {
  readonly graph: GraphJson;
  /** Const weights by node name, in tfs Tensor form (converted for tfjs by weights.ts). */
  readonly weights: ReadonlyMap<string, Tensor>;
  /** What each weight is, for error messages (`variable dense/kernel (checkpoint key ...)`). */
  readonly weightSources: ReadonlyMap<string, string>;
  readonly signatures: ReadonlyMap<string, FrozenSignature>;
  /** Live (mutable) variables, by index. */
  readonly variables: readonly FrozenVariable[];
  readonly tables: readonly FrozenTable[];
  /** Flat tensors to evaluate once at load (init op effects); empty when none. */
  readonly initFetches: readonly string[];
  /** Whether the init fetches need executeAsync. */
  readonly initAsync: boolean;
  /** Problems that prevent serving: unsupported op → signatures (or "init op") needing it. */
  readonly unsupported: ReadonlyMap<string, ReadonlySet<string>>;
  /** Other fatal problems, per signature (`<sig>: <message>`). */
  readonly errors: readonly string[];
  /** Non-fatal notes for the load log (float64 computed as float32, ...). */
  readonly warnings: readonly string[];
}

export interface FreezeOptions {
  /** Value of the `_tfs_model` attr on stateful custom ops (the runtime's model id). */
  readonly modelId: number;
  /** Signature keys to freeze (default: every key except `__saved_model_init_op`). */
  readonly signatureKeys?: readonly string[];
  /** Ops the runtime can execute (tfjs ops + registered custom ops). */
  readonly isExecutable: (op: string) => boolean;
  /** Fuse MatMul/Conv + bias + activation chains (default true; see fuse.ts). */
  readonly fuse?: boolean;
}

/** Signature key TF2 uses for the init op (not a serving signature). */
export const INIT_OP_SIGNATURE_KEY = '__saved_model_init_op';

// ---------------------------------------------------------------------------------------

/** A NodeDef with its always-needed fields filled in (the reader omits proto3 defaults). */
interface Node {
  readonly name: string;
  readonly op: string;
  readonly input: readonly string[];
  readonly attr: Readonly<Record<string, AttrValueObject>>;
}

interface Arg {
  readonly name: string;
  readonly type: string | undefined;
}

/** A FunctionDef, normalized like {@link Node}. */
interface Fn {
  readonly signature: { readonly name: string; readonly input_arg: readonly Arg[]; readonly output_arg: readonly Arg[] };
  readonly node_def: readonly Node[];
  readonly ret: Readonly<Record<string, string>>;
}

const normNode = (n: NodeDefObject): Node => ({ name: n.name ?? '', op: n.op ?? '', input: n.input ?? [], attr: n.attr ?? {} });
const normArg = (a: ArgDefObject): Arg => ({ name: a.name ?? '', type: a.type === undefined ? undefined : String(a.type) });
const normFn = (f: FunctionDefObject): Fn => ({
  signature: {
    name: f.signature?.name ?? '',
    input_arg: (f.signature?.input_arg ?? []).map(normArg),
    output_arg: (f.signature?.output_arg ?? []).map(normArg),
  },
  node_def: (f.node_def ?? []).map(normNode),
  ret: f.ret ?? {},
});

type Value =
  | { readonly kind: 'tensor'; readonly ref: string }
  | { readonly kind: 'var'; readonly v: VarState }
  | { readonly kind: 'table'; readonly t: FrozenTable }
  | { readonly kind: 'none' };

interface VarState extends FrozenVariable {
  weightName: string;
}

interface NodeResult {
  out(i: number): Value;
  /** A flat tensor that exists only once this node's side effects happened, or null. */
  readonly effect: string | null;
}

class Builder {
  readonly nodes: NodeJson[] = [];
  readonly names = new Set<string>();
  /** Weight consts already present in this builder (function bodies need their own Const nodes). */
  readonly consts = new Set<string>();

  unique(name: string): string {
    let n = name;
    for (let k = 1; this.names.has(n); k++) n = `${name}/_${k}`;
    this.names.add(n);
    return n;
  }

  add(node: NodeJson): void {
    this.nodes.push(node);
  }
}

interface Scope {
  readonly prefix: string;
  readonly nodes: Map<string, Node>;
  readonly fn: Fn | undefined;
  readonly args: Map<string, Value>;
  readonly memo: Map<string, NodeResult>;
  readonly out: Builder;
  /** Outer-graph tensor overrides (asset paths, non-placeholder feeds): `node:i` → value. */
  readonly overrides: Map<string, Value>;
  /** Call stack of function names, to refuse recursion. */
  readonly stack: readonly string[];
}

const isCtrl = (s: string): boolean => s.startsWith('^');
const dataInputs = (n: Node): string[] => (n.input ?? []).filter((i) => !isCtrl(i));
const ctrlInputs = (n: Node): string[] => (n.input ?? []).filter(isCtrl).map((i) => i.slice(1));

/** Ops that pass their first input through unchanged. */
const PASS_THROUGH = new Set(['Identity', 'Snapshot', 'StopGradient', 'PreventGradient', 'CheckNumerics', 'Print']);
/** Ops dropped entirely (no data outputs anyone can use). */
const DROPPED = new Set(['NoOp', 'Assert', 'PrintV2', 'DisableCopyOnRead', 'SaveV2', 'MergeV2Checkpoints']);

const attrS = (text: string): AttrJson => ({ s: Buffer.from(text).toString('base64') });

class FreezeError extends Error {}

class Freezer {
  private readonly meta: MetaGraphDefObject;
  private readonly fnByName = new Map<string, Fn>();
  private readonly opDefs = new Map<string, OpDefObject>();
  private readonly outerNodes: Map<string, Node>;
  private readonly varKeys = new Map<string, string>();

  readonly outer = new Builder();
  readonly library: FunctionJson[] = [];
  readonly weights = new Map<string, Tensor>();
  readonly weightSources = new Map<string, string>();
  readonly vars = new Map<string, VarState>();
  readonly tables = new Map<string, FrozenTable>();
  /** Names of variables written by some reachable op (they become live on the next pass). */
  readonly written = new Set<string>();
  readonly warnings = new Set<string>();
  /** Flat node name → original TF op, for nodes tfs emits under another name. */
  private readonly origin = new Map<string, string>();

  private initMode = false;
  private readonly effectfulMemo = new WeakMap<Scope, Map<string, boolean>>();
  private readonly fnEffectsMemo = new Map<string, boolean>();

  constructor(
    private readonly src: FreezeSource,
    private readonly opts: FreezeOptions,
    private readonly live: ReadonlySet<string>,
  ) {
    this.meta = src.metaGraph;
    const rawFns = new Map<string, FunctionDefObject>();
    for (const f of this.meta.graph_def?.library?.function ?? []) {
      rawFns.set(f.signature?.name ?? '', f);
      this.fnByName.set(f.signature?.name ?? '', normFn(f));
    }
    for (const d of this.meta.meta_info_def?.stripped_op_list?.op ?? []) this.opDefs.set(d.name ?? '', d);
    this.outerNodes = new Map((this.meta.graph_def?.node ?? []).map((n) => [n.name ?? '', normNode(n)]));
    for (const [k, v] of bindByRestoreOp(this.meta, rawFns)) this.varKeys.set(k, v);
    // The object graph is authoritative for TF2 models: it overrides the restore trace.
    for (const [k, v] of bindByObjectGraph(this.meta, src.trackableObjectGraph())) this.varKeys.set(k, v);
  }

  // --- scopes ----------------------------------------------------------------------------

  newOuterScope(prefix = ''): Scope {
    const overrides = new Map<string, Value>();
    for (const a of this.src.assets) {
      // TF1 asset constants hold the path at export time; TF feeds the real one at load.
      const tensor = a.tensorName.includes(':') ? a.tensorName : `${a.tensorName}:0`;
      const name = `_tfs_asset/${tensor.replace(/:\d+$/, '')}`;
      const t: Tensor = { dtype: 'DT_STRING', shape: [], data: [utf8(a.path)] };
      overrides.set(tensor, { kind: 'tensor', ref: this.constRef(this.outer, name, t) });
    }
    return { prefix, nodes: this.outerNodes, fn: undefined, args: new Map(), memo: new Map(), out: this.outer, overrides, stack: [] };
  }

  setInitMode(on: boolean): void {
    this.initMode = on;
  }

  // --- weights ---------------------------------------------------------------------------

  /** Ensure a Const node for weight `name` exists in `b` (registering the tensor once). */
  private constRef(b: Builder, name: string, tensor?: Tensor): string {
    if (tensor && !this.weights.has(name)) this.weights.set(name, tensor);
    if (!b.consts.has(name)) {
      if (b.names.has(name) && !tensor) throw new FreezeError(`internal: weight name ${name} is taken by another node`);
      const t = this.weights.get(name);
      if (!t) throw new FreezeError(`internal: weight ${name} has no value`);
      b.consts.add(name);
      b.names.add(name);
      b.add({ name, op: 'Const', input: [], attr: { dtype: { type: tfjsTypeName(t.dtype) } } });
    }
    return `${name}:0`;
  }

  // --- variables and tables ----------------------------------------------------------------

  private varOf(node: Node): VarState {
    let v = this.vars.get(node.name);
    if (v) return v;
    const dtypeName = node.attr?.['dtype']?.type ?? 'DT_INVALID';
    const info = dtypeInfo(dtypeName);
    if (!info) throw new FreezeError(`variable ${node.name} has unsupported dtype ${dtypeName}`);
    const sharedName = node.attr?.['shared_name']?.s;
    let key = this.varKeys.get(node.name);
    if (key === undefined && !this.meta.object_graph_def) {
      // TF1: the Saver's default key is the variable's name.
      const shared = sharedName && sharedName.length > 0 ? new TextDecoder().decode(sharedName) : undefined;
      for (const cand of [node.name, shared]) if (cand !== undefined && this.src.hasVariable(cand)) key = cand;
    }
    v = {
      index: this.vars.size,
      node: node.name,
      key,
      dtype: info.name,
      shape: shapeFromProto(node.attr?.['shape']?.shape),
      weightName: node.name,
    };
    this.vars.set(node.name, v);
    return v;
  }

  private isLive(v: VarState): boolean {
    return this.live.has(v.node);
  }

  /** Read a variable's value as a flat tensor ref (a weight, or a live read). */
  private readVar(scope: Scope, v: VarState, deps: string[]): string {
    if (this.isLive(v)) {
      return this.custom(scope, `${v.node}/_tfs_read`, TFS_OPS.varRead, deps, { _tfs_res: { i: v.index } });
    }
    if (!this.weights.has(v.weightName)) {
      if (v.key === undefined) {
        throw new FreezeError(
          `variable ${v.node} has no value: the checkpoint has no entry for it and no init op assigns it`,
        );
      }
      const t = this.src.readVariable(v.key);
      const want = v.shape;
      if (t.dtype !== v.dtype) {
        throw new FreezeError(`variable ${v.node}: checkpoint key ${v.key} holds ${t.dtype}, the graph expects ${v.dtype}`);
      }
      if (want && (want.length !== t.shape.length || want.some((d, i) => d >= 0 && d !== t.shape[i]))) {
        throw new FreezeError(
          `variable ${v.node}: checkpoint key ${v.key} has shape [${t.shape.join(',')}], the graph expects [${want.join(',')}]`,
        );
      }
      this.weights.set(v.weightName, t);
      this.weightSources.set(v.weightName, `variable ${v.node} (checkpoint key ${v.key})`);
    }
    return this.constRef(scope.out, v.weightName);
  }

  private tableOf(node: Node): FrozenTable {
    const id = `${node.op}:${node.name}`;
    let t = this.tables.get(id);
    if (t) return t;
    const kd = dtypeInfo(node.attr?.['key_dtype']?.type ?? 'DT_STRING')?.name ?? 'DT_STRING';
    const vd = dtypeInfo(node.attr?.['value_dtype']?.type ?? 'DT_INT64')?.name ?? 'DT_INT64';
    t = { index: this.tables.size, node: node.name, keyDtype: kd, valueDtype: vd };
    this.tables.set(id, t);
    return t;
  }

  // --- custom-op helpers -----------------------------------------------------------------

  private custom(
    scope: Scope,
    baseName: string,
    op: string,
    inputs: string[],
    attr: Record<string, AttrJson> = {},
  ): string {
    const name = scope.out.unique(scope.prefix + baseName);
    scope.out.add({ name, op, input: inputs, attr: { ...attr, _tfs_model: { i: this.opts.modelId } } });
    return `${name}:0`;
  }

  /** One ref standing for all `effects` (a `_TfsGroup` when there are several). */
  private group(scope: Scope, base: string, effects: string[]): string | null {
    const uniq = [...new Set(effects)];
    if (uniq.length === 0) return null;
    if (uniq.length === 1) return uniq[0]!;
    return this.custom(scope, `${base}/_tfs_group`, TFS_OPS.group, uniq);
  }

  // --- effects ---------------------------------------------------------------------------

  /** Whether a node (transitively) has side effects the runtime must perform. */
  private isEffectful(scope: Scope, name: string, depth = 0): boolean {
    let memo = this.effectfulMemo.get(scope);
    if (!memo) this.effectfulMemo.set(scope, (memo = new Map()));
    const hit = memo.get(name);
    if (hit !== undefined) return hit;
    memo.set(name, false); // cycle guard
    const node = scope.nodes.get(name);
    let r = false;
    if (node && depth < 256) {
      if (VARIABLE_WRITE_OPS.has(node.op) || (this.initMode && TABLE_INIT_OPS.has(node.op))) r = true;
      else {
        const fname = this.calledFunction(node);
        if (fname && this.fnHasEffects(fname)) r = true;
        else r = ctrlInputs(node).some((c) => this.isEffectful(scope, c, depth + 1));
      }
    }
    memo.set(name, r);
    return r;
  }

  private fnHasEffects(fname: string): boolean {
    const key = `${this.initMode ? 'i' : 's'}:${fname}`;
    const hit = this.fnEffectsMemo.get(key);
    if (hit !== undefined) return hit;
    this.fnEffectsMemo.set(key, false);
    const fn = this.fnByName.get(fname);
    let r = false;
    if (fn) {
      for (const n of fn.node_def ?? []) {
        if (VARIABLE_WRITE_OPS.has(n.op) || (this.initMode && TABLE_INIT_OPS.has(n.op))) r = true;
        else {
          const inner = this.calledFunction(n);
          if (inner && this.fnHasEffects(inner)) r = true;
        }
        if (r) break;
      }
    }
    this.fnEffectsMemo.set(key, r);
    return r;
  }

  private calledFunction(node: Node): string | undefined {
    if (CALL_OPS.has(node.op)) return node.attr?.['f']?.func?.name;
    if (this.fnByName.has(node.op)) return node.op;
    return undefined;
  }

  /** Effects of a node's control inputs (only the effectful ones are emitted). */
  private ctrlEffects(scope: Scope, node: Node): string[] {
    const out: string[] = [];
    for (const c of ctrlInputs(node)) {
      if (!this.isEffectful(scope, c)) continue;
      const r = this.emitNode(scope, c);
      if (r.effect) out.push(r.effect);
    }
    return out;
  }

  // --- references ------------------------------------------------------------------------

  private layoutOf(node: Node): readonly OutputArgLayout[] | undefined {
    const fname = this.calledFunction(node);
    if (fname && !CALL_OPS.has(node.op)) {
      const fn = this.fnByName.get(fname);
      return fn ? layoutFromOpDef(fn.signature) : undefined;
    }
    if (CALL_OPS.has(node.op)) return [{ name: 'output', typeListAttr: 'Tout' }];
    const def = this.opDefs.get(node.op);
    if (def) return layoutFromOpDef(def);
    return BUILTIN_OUTPUT_LAYOUTS.get(node.op);
  }

  /** Flat output index of `node:outArg:k` (function-body reference). */
  private flatIndex(node: Node, outArg: string, k: number): number {
    const layout = this.layoutOf(node);
    if (!layout || layout.length <= 1) return k;
    let base = 0;
    for (const a of layout) {
      if (a.name === outArg) return base + k;
      if (a.numberAttr) base += Number(node.attr?.[a.numberAttr]?.i ?? 0);
      else if (a.typeListAttr) base += node.attr?.[a.typeListAttr]?.list?.type?.length ?? 0;
      else base += 1;
    }
    throw new FreezeError(`node ${node.name} (${node.op}) has no output argument named ${outArg}`);
  }

  /** Resolve an input reference in a scope to a Value (emitting what it needs). */
  emitRef(scope: Scope, ref: string): Value {
    const parts = splitRef(ref);
    const name = parts[0]!;
    if (scope.fn) {
      if (scope.args.has(name) && (parts.length === 1 || (parts.length === 2 && parts[1] === '0'))) {
        return scope.args.get(name)!;
      }
      const node = scope.nodes.get(name);
      if (!node) throw new FreezeError(`function ${scope.fn.signature.name}: unknown tensor ${ref}`);
      const index = parts.length === 3 ? this.flatIndex(node, parts[1]!, Number(parts[2])) : Number(parts[1] ?? 0);
      return this.emitNode(scope, name).out(index);
    }
    const index = Number(parts[1] ?? 0);
    const ov = scope.overrides.get(`${name}:${index}`);
    if (ov) return ov;
    if (!scope.nodes.has(name)) throw new FreezeError(`the graph has no node named ${name}`);
    return this.emitNode(scope, name).out(index);
  }

  /** A value fetched as a signature output (variables are read). */
  fetchRef(scope: Scope, v: Value, what: string): string {
    return this.asTensor(scope, v, what);
  }

  /** A value used as a tensor input. */
  private asTensor(scope: Scope, v: Value, what: string, deps: string[] = []): string {
    switch (v.kind) {
      case 'tensor':
        return v.ref;
      case 'var':
        return this.readVar(scope, v.v, deps);
      case 'table':
        throw new FreezeError(`${what}: a hash table handle is used as a tensor`);
      case 'none':
        throw new FreezeError(`${what}: uses an output of an op that has none`);
    }
  }

  // --- nodes -----------------------------------------------------------------------------

  emitNode(scope: Scope, name: string): NodeResult {
    const hit = scope.memo.get(name);
    if (hit) return hit;
    const node = scope.nodes.get(name);
    if (!node) throw new FreezeError(`unknown node ${name}`);
    // Guard against cycles (only NextIteration legitimately closes one, in v1 loops).
    scope.memo.set(name, {
      out: () => {
        throw new FreezeError(`cycle through node ${scope.prefix}${name}: graph cycles are only supported through TF1 loop ops`);
      },
      effect: null,
    });
    const r = this.emitNodeUncached(scope, node);
    scope.memo.set(name, r);
    return r;
  }

  private emitNodeUncached(scope: Scope, node: Node): NodeResult {
    const op = node.op;
    const flat = scope.prefix + node.name;
    const what = `node ${flat} (${op})`;
    const tensorOut = (ref: string, effect: string | null = null): NodeResult => ({
      out: (i) => {
        if (i !== 0) throw new FreezeError(`${what} has a single output, index ${i} was requested`);
        return { kind: 'tensor', ref };
      },
      effect,
    });

    const fname = this.calledFunction(node);
    if (fname) return this.emitCall(scope, node, fname);

    switch (op) {
      case 'Placeholder': {
        if (scope.fn) throw new FreezeError(`${what}: a placeholder inside a function cannot be fed`);
        const name = scope.out.unique(flat);
        scope.out.add({ name, op, input: [], attr: { dtype: { type: tfjsTypeName(node.attr?.['dtype']?.type ?? 'DT_FLOAT') } } });
        return tensorOut(`${name}:0`);
      }
      case 'Const': {
        const tv = node.attr?.['value']?.tensor;
        if (!tv) throw new FreezeError(`${what} has no value`);
        let t: Tensor;
        try {
          t = tensorFromProto(tv, `saved_model.pb: ${what}`);
        } catch (e) {
          throw new FreezeError((e as Error).message);
        }
        return tensorOut(this.constRef(scope.out, scope.out.unique(flat), t));
      }
      case 'VarHandleOp':
      case 'VariableV2':
      case 'Variable': {
        if (scope.fn) throw new FreezeError(`${what}: variables created inside functions are not supported`);
        return { out: () => ({ kind: 'var', v: this.varOf(node) }), effect: null };
      }
      case 'HashTableV2':
      case 'HashTable':
      case 'MutableHashTableV2':
      case 'MutableHashTable': {
        const t = this.tableOf(node);
        return { out: () => ({ kind: 'table', t }), effect: null };
      }
      case 'VarIsInitializedOp':
      case 'IsVariableInitialized': {
        const t: Tensor = { dtype: 'DT_BOOL', shape: [], data: new Uint8Array([1]) };
        return tensorOut(this.constRef(scope.out, scope.out.unique(flat), t));
      }
      case 'ReadVariableOp': {
        const deps = this.ctrlEffects(scope, node);
        const res = this.emitRef(scope, dataInputs(node)[0] ?? '');
        if (res.kind !== 'var') throw new FreezeError(`${what}: input is not a variable handle`);
        return tensorOut(this.readVar(scope, res.v, deps));
      }
      case 'VariableShape': {
        const res = this.emitRef(scope, dataInputs(node)[0] ?? '');
        if (res.kind !== 'var') throw new FreezeError(`${what}: input is not a variable handle`);
        const shape = res.v.shape;
        if (!shape || shape.some((d) => d < 0)) throw new FreezeError(`${what}: variable shape is not fully known`);
        const outType = node.attr?.['out_type']?.type ?? 'DT_INT32';
        const t: Tensor =
          outType === 'DT_INT64'
            ? { dtype: 'DT_INT64', shape: [shape.length], data: BigInt64Array.from(shape.map(BigInt)) }
            : { dtype: 'DT_INT32', shape: [shape.length], data: Int32Array.from(shape) };
        return tensorOut(this.constRef(scope.out, scope.out.unique(flat), t));
      }
      case 'ResourceGather': {
        const [resRef, idxRef] = dataInputs(node);
        const res = this.emitRef(scope, resRef ?? '');
        if (res.kind !== 'var') throw new FreezeError(`${what}: input is not a variable handle`);
        const params = this.readVar(scope, res.v, this.ctrlEffects(scope, node));
        const indices = this.asTensor(scope, this.emitRef(scope, idxRef ?? ''), what);
        const axisT: Tensor = { dtype: 'DT_INT32', shape: [], data: Int32Array.of(0) };
        const axis = this.constRef(scope.out, scope.out.unique(`${flat}/_tfs_axis`), axisT);
        const name = scope.out.unique(flat);
        scope.out.add({
          name,
          op: 'GatherV2',
          input: [params, indices, axis],
          attr: { batch_dims: { i: Number(node.attr?.['batch_dims']?.i ?? 0) } },
        });
        this.origin.set(name, op);
        return tensorOut(`${name}:0`);
      }
      case 'IdentityN': {
        const effects = this.ctrlEffects(scope, node);
        const ins = dataInputs(node).map((i) => this.emitRef(scope, i));
        if (effects.length === 0) {
          return { out: (i) => ins[i] ?? { kind: 'none' }, effect: null };
        }
        const wrapped = ins.map((v, i) => this.custom(scope, `${node.name}/_tfs_after_${i}`, TFS_OPS.after, [this.asTensor(scope, v, what), ...effects]));
        return { out: (i) => (wrapped[i] ? { kind: 'tensor', ref: wrapped[i] } : { kind: 'none' }), effect: wrapped[0] ?? null };
      }
      default:
        break;
    }

    if (PASS_THROUGH.has(op)) {
      const effects = this.ctrlEffects(scope, node);
      const v = this.emitRef(scope, dataInputs(node)[0] ?? '');
      if (effects.length === 0) return { out: (i) => (i === 0 ? v : { kind: 'none' }), effect: null };
      const ref = this.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [this.asTensor(scope, v, what), ...effects]);
      return tensorOut(ref, ref);
    }
    if (DROPPED.has(op)) {
      // NoOp-like: only their control inputs' effects survive.
      const effects = this.ctrlEffects(scope, node);
      return { out: () => ({ kind: 'none' }), effect: this.group(scope, node.name, effects) };
    }
    if (VARIABLE_WRITE_OPS.has(op)) return this.emitWrite(scope, node);
    if (TABLE_INIT_OPS.has(op)) return this.emitTableInit(scope, node);
    if (op === 'LookupTableFindV2' || op === 'LookupTableFind' || op === 'LookupTableSizeV2' || op === 'LookupTableSize') {
      const ins = dataInputs(node);
      const table = this.emitRef(scope, ins[0] ?? '');
      if (table.kind !== 'table') throw new FreezeError(`${what}: input is not a hash table`);
      const deps = this.ctrlEffects(scope, node);
      const isFind = op.startsWith('LookupTableFind');
      const args = isFind ? ins.slice(1, 3).map((i) => this.asTensor(scope, this.emitRef(scope, i), what)) : [];
      const ref = this.custom(scope, node.name, isFind ? TFS_OPS.tableFind : TFS_OPS.tableSize, [...args, ...deps], {
        _tfs_res: { i: table.t.index },
      });
      this.origin.set(ref.replace(/:0$/, ''), op);
      return tensorOut(ref);
    }
    if (op === 'If' || op === 'StatelessIf') return this.emitIf(scope, node);
    if (op === 'While' || op === 'StatelessWhile') return this.emitWhile(scope, node);
    return this.emitGeneric(scope, node);
  }

  private emitGeneric(scope: Scope, node: Node): NodeResult {
    const flat = scope.prefix + node.name;
    const what = `node ${flat} (${node.op})`;
    // The node's name and result are known before its inputs are resolved, so TF1 while
    // loops (NextIteration feeding a Merge) can refer back to it.
    const name = scope.out.unique(flat);
    const result: { out: NodeResult['out']; effect: string | null } = {
      out: (i) => ({ kind: 'tensor', ref: `${name}:${i}` }),
      effect: null,
    };
    scope.memo.set(node.name, result);
    const effects = this.ctrlEffects(scope, node);
    if (effects.length > 0) result.effect = `${name}:0`;
    const inputs = dataInputs(node).map((i) => this.asTensor(scope, this.emitRef(scope, i), what));
    let op = node.op;
    const attr = this.convertAttrs(node);
    if (op === 'BatchMatMulV3') {
      // Same maths as BatchMatMulV2 when the operand and output types agree (tfjs computes
      // every integer type as int32 and every float type as float32 anyway).
      op = 'BatchMatMulV2';
      delete attr['Ta'];
      delete attr['Tb'];
      delete attr['Tout'];
    }
    if (op === 'PlaceholderWithDefault') delete attr['shape'];
    const t = String(node.attr['T']?.type ?? '');
    if (INT64_CHECKED_OPS.has(op) && WIDE_INT_TYPES.has(t)) {
      // tfjs computes int64 as int32 and would wrap on overflow: compute with a check.
      attr['_tfs_op'] = { i: INT64_CHECKED_OPS.get(op)! };
      attr['_tfs_model'] = { i: this.opts.modelId };
      op = TFS_OPS.int64Checked;
    } else if (op === 'Cast' && WIDE_INT_TYPES.has(String(node.attr['DstT']?.type ?? '')) && FLOAT_TYPES.has(String(node.attr['SrcT']?.type ?? ''))) {
      op = TFS_OPS.castToInt64Checked;
    }
    try {
      op = familyNode(op, node.attr, attr); // family kernels (kernels/index.ts): renames, exact attrs
    } catch (e) {
      throw new FreezeError(`${what}: ${(e as Error).message}`);
    }
    if (effects.length > 0) {
      if (inputs.length > 0) {
        inputs[0] = this.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [inputs[0]!, ...effects]);
      }
    }
    scope.out.add({ name, op, input: inputs, attr });
    if (op !== node.op) this.origin.set(name, node.op);
    return result;
  }

  /** Node attrs as tfjs JSON, with TF's defaults for attrs stripped from the export. */
  private convertAttrs(node: Node): Record<string, AttrJson> {
    const out: Record<string, AttrJson> = {};
    const put = (k: string, a: AttrValueObject): void => {
      if (k.startsWith('_')) return; // _output_shapes, _class, _read_only_resource_inputs...
      const j = attrToJson(a);
      if (j) out[k] = j;
    };
    const def = this.opDefs.get(node.op);
    for (const a of def?.attr ?? []) {
      if (a.name && a.default_value && !(a.name in node.attr)) put(a.name, a.default_value);
    }
    const builtin = BUILTIN_ATTR_DEFAULTS.get(node.op);
    if (builtin) for (const [k, a] of Object.entries(builtin)) if (!(k in out) && !(node.attr && k in node.attr)) put(k, a);
    for (const [k, a] of Object.entries(node.attr ?? {})) put(k, a);
    return out;
  }

  private emitWrite(scope: Scope, node: Node): NodeResult {
    const what = `node ${scope.prefix}${node.name} (${node.op})`;
    const ins = dataInputs(node);
    const target = this.emitRef(scope, ins[0] ?? '');
    if (target.kind !== 'var') throw new FreezeError(`${what}: target is not a variable`);
    const v = target.v;
    this.written.add(v.node);
    const deps = this.ctrlEffects(scope, node);
    const values = ins.slice(1).map((i) => this.asTensor(scope, this.emitRef(scope, i), what));
    if (!this.isLive(v)) {
      // First pass: the variable is not live yet; the caller re-freezes with it live.
      return { out: () => ({ kind: 'var', v }), effect: null };
    }
    const opName =
      node.op === 'AssignVariableOp' || node.op === 'Assign'
        ? TFS_OPS.varAssign
        : node.op === 'AssignAddVariableOp' || node.op === 'AssignAdd'
          ? TFS_OPS.varAssignAdd
          : node.op === 'AssignSubVariableOp' || node.op === 'AssignSub'
            ? TFS_OPS.varAssignSub
            : TFS_OPS.applyGradientDescent;
    const ref = this.custom(scope, node.name, opName, [...values, ...deps], { _tfs_res: { i: v.index } });
    this.origin.set(ref.replace(/:0$/, ''), node.op);
    // Ref-variable writes (Assign, AssignAdd) output the updated variable; the custom op
    // returns the new value, which is what a reader of that output sees.
    return { out: (i) => (i === 0 ? { kind: 'tensor', ref } : { kind: 'none' }), effect: ref };
  }

  private emitTableInit(scope: Scope, node: Node): NodeResult {
    const what = `node ${scope.prefix}${node.name} (${node.op})`;
    if (!this.initMode) return { out: () => ({ kind: 'none' }), effect: null };
    const ins = dataInputs(node);
    const table = this.emitRef(scope, ins[0] ?? '');
    if (table.kind !== 'table') throw new FreezeError(`${what}: input is not a hash table`);
    const deps = this.ctrlEffects(scope, node);
    const args = ins.slice(1).map((i) => this.asTensor(scope, this.emitRef(scope, i), what));
    let ref: string;
    if (node.op.startsWith('InitializeTableFromTextFile')) {
      const a = node.attr ?? {};
      const delim = a['delimiter']?.s ? new TextDecoder().decode(a['delimiter'].s) : '\t';
      ref = this.custom(scope, node.name, TFS_OPS.tableInitFromFile, [...args, ...deps], {
        _tfs_res: { i: table.t.index },
        key_index: { i: Number(a['key_index']?.i ?? 0) },
        value_index: { i: Number(a['value_index']?.i ?? 0) },
        vocab_size: { i: Number(a['vocab_size']?.i ?? -1) },
        offset: { i: Number(a['offset']?.i ?? 0) },
        // Code points, not a string attr: tfjs lower-cases string attrs of custom ops.
        _tfs_delimiter: { list: { i: [...delim].map((c) => c.codePointAt(0) ?? 9) } },
      });
    } else {
      ref = this.custom(scope, node.name, TFS_OPS.tableInit, [...args, ...deps], { _tfs_res: { i: table.t.index } });
    }
    this.origin.set(ref.replace(/:0$/, ''), node.op);
    return { out: () => ({ kind: 'none' }), effect: ref };
  }

  // --- functions ---------------------------------------------------------------------------

  private functionOf(scope: Scope, name: string, what: string): Fn {
    const fn = this.fnByName.get(name);
    if (!fn) throw new FreezeError(`${what}: function ${name} is not in the graph's library`);
    if (scope.stack.includes(name)) throw new FreezeError(`${what}: recursive call of function ${name}`);
    return fn;
  }

  private emitCall(scope: Scope, node: Node, fname: string): NodeResult {
    const what = `node ${scope.prefix}${node.name} (${node.op})`;
    const fn = this.functionOf(scope, fname, what);
    const ctrl = this.ctrlEffects(scope, node);
    const argDefs = fn.signature.input_arg ?? [];
    const ins = dataInputs(node);
    if (ins.length !== argDefs.length) {
      throw new FreezeError(`${what}: function ${fname} takes ${argDefs.length} inputs, the call passes ${ins.length}`);
    }
    const args = new Map<string, Value>();
    argDefs.forEach((a, i) => args.set(a.name, this.emitRef(scope, ins[i]!)));
    const inner: Scope = {
      prefix: `${scope.prefix}${node.name}/`,
      nodes: new Map((fn.node_def ?? []).map((n) => [n.name, n])),
      fn,
      args,
      memo: new Map(),
      out: scope.out,
      overrides: new Map(),
      stack: [...scope.stack, fname],
    };
    const outArgs = fn.signature.output_arg ?? [];
    const cache = new Map<number, Value>();
    const out = (i: number): Value => {
      const hit = cache.get(i);
      if (hit) return hit;
      const a = outArgs[i];
      if (!a) throw new FreezeError(`${what}: function ${fname} has no output ${i}`);
      const ret = fn.ret?.[a.name];
      if (ret === undefined) throw new FreezeError(`${what}: function ${fname} does not return ${a.name}`);
      const v = this.emitRef(inner, ret);
      cache.set(i, v);
      return v;
    };
    const effects = [...ctrl];
    if (this.fnHasEffects(fname)) {
      for (const n of fn.node_def ?? []) {
        if (!this.isEffectful(inner, n.name)) continue;
        const r = this.emitNode(inner, n.name);
        if (r.effect) effects.push(r.effect);
      }
    }
    const effect = this.group(scope, node.name, effects);
    if (effect === null) return { out, effect: null };
    // The call's outputs are only available once its side effects happened.
    const wrapped = new Map<number, Value>();
    return {
      out: (i) => {
        const hit = wrapped.get(i);
        if (hit) return hit;
        const v = out(i);
        const w: Value =
          v.kind === 'tensor'
            ? { kind: 'tensor', ref: this.custom(scope, `${node.name}/_tfs_after_${i}`, TFS_OPS.after, [v.ref, effect]) }
            : v;
        wrapped.set(i, w);
        return w;
      },
      effect,
    };
  }

  /**
   * Rebuild a function for an If/While body: resource arguments are bound to the caller's
   * variables, calls are inlined, and every return goes through its own Identity (tfjs
   * addresses function outputs by node, one output per node).
   */
  private buildFunction(
    scope: Scope,
    fnName: string,
    newName: string,
    bound: ReadonlyMap<number, Value>,
    keepRets: (i: number) => boolean,
  ): string {
    const what = `function ${fnName}`;
    const fn = this.functionOf(scope, fnName, what);
    const b = new Builder();
    const args = new Map<string, Value>();
    const inputArg: FunctionJson['signature']['inputArg'] = [];
    (fn.signature.input_arg ?? []).forEach((a, i) => {
      const v = bound.get(i);
      if (v) {
        args.set(a.name, v);
        return;
      }
      const argName = b.unique(a.name);
      inputArg.push({ name: argName, type: tfjsTypeName(a.type ?? 'DT_FLOAT') });
      args.set(a.name, { kind: 'tensor', ref: `${argName}:0` });
    });
    const inner: Scope = {
      prefix: `${newName}/`,
      nodes: new Map((fn.node_def ?? []).map((n) => [n.name, n])),
      fn,
      args,
      memo: new Map(),
      out: b,
      overrides: new Map(),
      stack: [...scope.stack, fnName],
    };
    const effects: string[] = [];
    if (this.fnHasEffects(fnName)) {
      for (const n of fn.node_def ?? []) {
        if (!this.isEffectful(inner, n.name)) continue;
        const r = this.emitNode(inner, n.name);
        if (r.effect) effects.push(r.effect);
      }
    }
    const outputArg: FunctionJson['signature']['outputArg'] = [];
    const ret: Record<string, string> = {};
    (fn.signature.output_arg ?? []).forEach((a, i) => {
      if (!keepRets(i)) return;
      const retRef = fn.ret?.[a.name];
      if (retRef === undefined) throw new FreezeError(`${what} does not return ${a.name}`);
      let ref = this.asTensor(inner, this.emitRef(inner, retRef), what);
      if (i === 0 && effects.length > 0) ref = this.custom(inner, `_tfs_ret_after`, TFS_OPS.after, [ref, ...effects]);
      const id = b.unique(`${newName}/_tfs_ret_${i}`);
      b.add({ name: id, op: 'Identity', input: [ref], attr: {} });
      outputArg.push({ name: a.name, type: tfjsTypeName(a.type ?? 'DT_FLOAT') });
      ret[a.name] = `${id}:0`;
    });
    this.library.push({ signature: { name: newName, inputArg, outputArg }, nodeDef: b.nodes, ret });
    return newName;
  }

  private emitIf(scope: Scope, node: Node): NodeResult {
    const flat = scope.prefix + node.name;
    const what = `node ${flat} (${node.op})`;
    const ins = dataInputs(node);
    const effects = this.ctrlEffects(scope, node);
    const cond = this.asTensor(scope, this.emitRef(scope, ins[0] ?? ''), what);
    const argVals = ins.slice(1).map((i) => this.emitRef(scope, i));
    const bound = new Map<number, Value>();
    argVals.forEach((v, i) => {
      if (v.kind === 'var' || v.kind === 'table') bound.set(i, v);
    });
    const name = scope.out.unique(flat);
    const thenName = node.attr?.['then_branch']?.func?.name;
    const elseName = node.attr?.['else_branch']?.func?.name;
    if (!thenName || !elseName) throw new FreezeError(`${what} has no branch functions`);
    const newThen = this.buildFunction(scope, thenName, `${name}/_tfs_then`, bound, () => true);
    const newElse = this.buildFunction(scope, elseName, `${name}/_tfs_else`, bound, () => true);
    const inputs = [cond, ...argVals.flatMap((v, i) => (bound.has(i) ? [] : [this.asTensor(scope, v, what)]))];
    if (effects.length > 0) inputs[0] = this.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [inputs[0]!, ...effects]);
    const attr = this.convertAttrs(node);
    attr['then_branch'] = { func: { name: newThen } };
    attr['else_branch'] = { func: { name: newElse } };
    delete attr['Tin'];
    // tfjs runs If and StatelessIf alike, but only recognises StatelessIf as control flow
    // (its analysis lists 'if' in lower case), and would then warn on every call.
    scope.out.add({ name, op: 'StatelessIf', input: inputs, attr });
    if (node.op !== 'StatelessIf') this.origin.set(name, node.op);
    return { out: (i) => ({ kind: 'tensor', ref: `${name}:${i}` }), effect: null };
  }

  private emitWhile(scope: Scope, node: Node): NodeResult {
    const flat = scope.prefix + node.name;
    const what = `node ${flat} (${node.op})`;
    const ins = dataInputs(node);
    const effects = this.ctrlEffects(scope, node);
    const vals = ins.map((i) => this.emitRef(scope, i));
    const bound = new Map<number, Value>();
    vals.forEach((v, i) => {
      if (v.kind === 'var' || v.kind === 'table') bound.set(i, v);
    });
    const name = scope.out.unique(flat);
    const condName = node.attr?.['cond']?.func?.name;
    const bodyName = node.attr?.['body']?.func?.name;
    if (!condName || !bodyName) throw new FreezeError(`${what} has no cond/body functions`);
    const newCond = this.buildFunction(scope, condName, `${name}/_tfs_cond`, bound, () => true);
    const newBody = this.buildFunction(scope, bodyName, `${name}/_tfs_body`, bound, (i) => !bound.has(i));
    const inputs = vals.flatMap((v, i) => (bound.has(i) ? [] : [this.asTensor(scope, v, what)]));
    if (effects.length > 0 && inputs.length > 0) {
      inputs[0] = this.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [inputs[0]!, ...effects]);
    }
    const attr = this.convertAttrs(node);
    attr['cond'] = { func: { name: newCond } };
    attr['body'] = { func: { name: newBody } };
    const keep = (xs: unknown[] | undefined): unknown[] | undefined => xs?.filter((_, i) => !bound.has(i));
    if (attr['T']?.list) attr['T'] = { list: { type: keep(attr['T'].list.type) as string[] } };
    if (attr['output_shapes']?.list) {
      attr['output_shapes'] = { list: { shape: keep(attr['output_shapes'].list.shape) as NonNullable<NonNullable<AttrJson['list']>['shape']> } };
    }
    scope.out.add({ name, op: node.op, input: inputs, attr });
    // Output i of the original node → index among the kept loop variables.
    const newIndex = new Map<number, number>();
    let k = 0;
    vals.forEach((_, i) => {
      if (!bound.has(i)) newIndex.set(i, k++);
    });
    return {
      out: (i) => (bound.has(i) ? bound.get(i)! : { kind: 'tensor', ref: `${name}:${newIndex.get(i) ?? i}` }),
      effect: null,
    };
  }

  /** Flat node name → TF op it stands for (for reports). */
  originOf(name: string, op: string): string {
    return this.origin.get(name) ?? op;
  }
}

// ---------------------------------------------------------------------------------------

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

function runPass(src: FreezeSource, opts: FreezeOptions, live: ReadonlySet<string>) {
  const fz = new Freezer(src, opts, live);
  const meta = src.metaGraph;
  const sigDefs = meta.signature_def ?? {};
  const keys = opts.signatureKeys ?? Object.keys(sigDefs).filter((k) => k !== INIT_OP_SIGNATURE_KEY);
  const errors: string[] = [];
  const plans: { key: string; inputs: Record<string, FrozenInput>; outputs: Record<string, string> }[] = [];
  const shared = fz.newOuterScope();

  for (const key of [...keys].sort()) {
    const def = sigDefs[key];
    if (!def) {
      errors.push(`${key}: no such signature`);
      continue;
    }
    try {
      // Inputs that are not Placeholders (TF1 lets any tensor be fed) are replaced by a
      // placeholder in a scope of their own, so other signatures still compute that tensor.
      const feeds: [string, string, string][] = [];
      let ownScope = false;
      for (const [alias, info] of Object.entries(def.inputs ?? {})) {
        if (!info.name) throw new FreezeError(`input ${alias} is not a dense tensor (sparse/composite inputs are not supported)`);
        const t = tensorName(info.name);
        const [node, idx] = splitRef(t);
        const n = meta.graph_def?.node?.find((x) => x.name === node);
        if (!n) throw new FreezeError(`input ${alias}: the graph has no node named ${node}`);
        feeds.push([alias, t, n.op ?? '']);
        if (!(n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault') || idx !== '0') ownScope = true;
      }
      const scope = ownScope ? fz.newOuterScope(`_tfs_sig/${key}/`) : shared;
      const inputs: Record<string, FrozenInput> = {};
      for (const [alias, t, op] of feeds) {
        const info = def.inputs![alias]!;
        const declared = dtypeInfo(info.dtype ?? 'DT_INVALID')?.name;
        if (op === 'Placeholder' || op === 'PlaceholderWithDefault') {
          const n = meta.graph_def!.node!.find((x) => x.name === splitRef(t)[0])!;
          const graphDtype = dtypeInfo(n.attr?.['dtype']?.type ?? info.dtype ?? 'DT_INVALID')?.name;
          if (!graphDtype) throw new FreezeError(`input ${alias} has an unsupported dtype`);
          const v = fz.emitRef(scope, t);
          if (v.kind !== 'tensor') throw new FreezeError(`input ${alias} is not a tensor`);
          inputs[alias] = { feed: v.ref, graphDtype };
        } else {
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
      plans.push({ key, inputs, outputs });
    } catch (e) {
      // Model problems are collected; unreadable files (TfsErrors from the reader) propagate.
      if (!(e instanceof FreezeError)) throw e;
      errors.push(`${key}: ${e.message}`);
    }
  }

  // The init op (tables, variables that only an init op assigns).
  const initFetches: string[] = [];
  const initNames = initOpNames(meta);
  if (initNames.length > 0) {
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
  }
  return { fz, plans, errors, initFetches };
}

/**
 * Freeze a SavedModel's signatures into one tfjs graph. Never throws for model problems:
 * they are returned in `unsupported` / `errors` so the caller reports them all at once.
 * Throws TfsErrors from the checkpoint reader (corrupt files) as they are.
 */
export function freezeSavedModel(src: FreezeSource, opts: FreezeOptions): FrozenModel {
  let pass = runPass(src, opts, new Set());
  if (pass.fz.written.size > 0) {
    // Some reachable op writes variables: freeze again with those variables live.
    pass = runPass(src, opts, new Set(pass.fz.written));
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
  const origin = (n: string, op: string): string => fz.originOf(n, op);
  const unsupported = new Map<string, Set<string>>();
  const note = (op: string, who: string): void => {
    let s = unsupported.get(op);
    if (!s) unsupported.set(op, (s = new Set()));
    s.add(who);
  };
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
  let initAsync = false;
  if (initFetches.length > 0) {
    for (const [op, origins] of reachableOps(graph, initFetches, new Set(), origin)) {
      if (!opts.isExecutable(op)) for (const o of origins) note(o, 'init op');
      if (ASYNC_OPS.has(op)) initAsync = true;
    }
  }
  if (opts.fuse !== false) {
    const keep = new Set<string>();
    for (const p of plans) {
      for (const ref of [...Object.values(p.outputs), ...Object.values(p.inputs).map((i) => i.feed)]) keep.add(splitRef(ref)[0]!);
    }
    for (const ref of initFetches) keep.add(splitRef(ref)[0]!);
    fuseGraph(graph, fz.weights, keep);
  }
  const warnings = new Set(fz.warnings);
  const float64 = [...fz.weights.values()].some((t) => t.dtype === 'DT_DOUBLE');
  if (float64) warnings.add('the model holds float64 values; tfs computes them in float32');
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

