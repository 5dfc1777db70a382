/**
 * The freezer's core: the state one freezing pass accumulates and the steps every op
 * family shares (scopes, weights, custom-op nodes, effects, resolving references). What
 * a node becomes is decided by the op → emitter table (emitters.ts).
 */
import { utf8, type Tensor } from '../../tensor/tensor.js';
import { attrToJson, tfjsTypeName, type AttrJson, type FunctionJson } from '../graph-json.js';
import type { AttrValueObject, FunctionDefObject, OpDefObject } from '../../savedmodel/proto-types.js';
import {
  BUILTIN_ATTR_DEFAULTS,
  BUILTIN_OUTPUT_LAYOUTS,
  CALL_OPS,
  layoutFromOpDef,
  TABLE_INIT_OPS,
  VARIABLE_WRITE_OPS,
  type OutputArgLayout,
} from '../op-registry.js';
import { bindByObjectGraph, bindByRestoreOp, splitRef } from './bind.js';
import type { FreezeContext } from './context.js';
import { emitWithTable } from './emitters.js';
import {
  Builder,
  ctrlInputs,
  FreezeError,
  normFn,
  normNode,
  type Fn,
  type Node,
  type NodeResult,
  type Scope,
  type Value,
  type VarState,
} from './scope.js';
import { TFS_OPS, type FreezeOptions, type FreezeSource, type FrozenTable } from './types.js';
import { readVar } from './variables.js';
import { WIDE_CHECK_OP, WIDE_CONST_OP } from '../kernels/wide.js';
import { wideConstAttrs, wideConstNeeded } from './wide-const.js';

export class Freezer implements FreezeContext {
  readonly fnByName = new Map<string, Fn>();
  private readonly opDefs = new Map<string, OpDefObject>();
  private readonly outerNodes: Map<string, Node>;
  readonly varKeys = new Map<string, string>();
  readonly varSlices = new Map<string, string>();

  readonly outer = new Builder();
  readonly library: FunctionJson[] = [];
  readonly weights = new Map<string, Tensor>();
  readonly weightSources = new Map<string, string>();
  readonly vars = new Map<string, VarState>();
  readonly tables = new Map<string, FrozenTable>();
  readonly written = new Set<string>();
  readonly warnings = new Set<string>();
  readonly origin = new Map<string, string>();

  initMode = false;
  private readonly effectfulMemo = new WeakMap<Scope, Map<string, boolean>>();
  private readonly fnEffectsMemo = new Map<string, boolean>();

  constructor(
    readonly src: FreezeSource,
    readonly opts: FreezeOptions,
    readonly live: ReadonlySet<string>,
  ) {
    const meta = src.metaGraph;
    const rawFns = new Map<string, FunctionDefObject>();
    for (const f of meta.graph_def?.library?.function ?? []) {
      rawFns.set(f.signature?.name ?? '', f);
      this.fnByName.set(f.signature?.name ?? '', normFn(f));
    }
    for (const d of meta.meta_info_def?.stripped_op_list?.op ?? []) this.opDefs.set(d.name ?? '', d);
    this.outerNodes = new Map((meta.graph_def?.node ?? []).map((n) => [n.name ?? '', normNode(n)]));
    for (const [k, v] of bindByRestoreOp(meta, rawFns)) {
      this.varKeys.set(k, v.key);
      if (v.slice.length > 0) this.varSlices.set(k, v.slice);
    }
    // The object graph is authoritative for TF2 models: it overrides the restore trace.
    for (const [k, v] of bindByObjectGraph(meta, src.trackableObjectGraph())) {
      this.varKeys.set(k, v);
      this.varSlices.delete(k);
    }
  }

  // --- scopes and weights ----------------------------------------------------------------

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

  /** Weights whose values a tfjs stand-in cannot hold: emitted as exact wide constants, not weights. */
  private readonly wideWeights = new Map<string, Tensor>();

  constRef(b: Builder, name: string, tensor?: Tensor): string {
    if (tensor && !this.weights.has(name) && !this.wideWeights.has(name)) this.weights.set(name, tensor);
    if (!b.consts.has(name)) {
      if (b.names.has(name) && !tensor) throw new FreezeError(`internal: weight name ${name} is taken by another node`);
      const t = this.weights.get(name) ?? this.wideWeights.get(name);
      if (!t) throw new FreezeError(`internal: weight ${name} has no value`);
      b.consts.add(name);
      b.names.add(name);
      if (wideConstNeeded(t)) {
        // int64 beyond int32, float64 float32 cannot hold, ...: exact values (wide-values.ts).
        this.weights.delete(name);
        this.wideWeights.set(name, t);
        b.add({ name, op: WIDE_CONST_OP, input: [], attr: { ...wideConstAttrs(t), _tfs_model: { i: this.opts.modelId } } });
        this.wideRefs.add(`${name}:0`);
      } else {
        b.add({ name, op: 'Const', input: [], attr: { dtype: { type: tfjsTypeName(t.dtype) } } });
      }
    }
    return `${name}:0`;
  }

  custom(scope: Scope, baseName: string, op: string, inputs: string[], attr: Record<string, AttrJson> = {}): string {
    const name = scope.out.unique(scope.prefix + baseName);
    scope.out.add({ name, op, input: inputs, attr: { ...attr, _tfs_model: { i: this.opts.modelId } } });
    return `${name}:0`;
  }

  group(scope: Scope, base: string, effects: string[]): string | null {
    const uniq = [...new Set(effects)];
    if (uniq.length === 0) return null;
    if (uniq.length === 1) return uniq[0]!;
    return this.custom(scope, `${base}/_tfs_group`, TFS_OPS.group, uniq);
  }

  // --- effects ---------------------------------------------------------------------------

  /** Whether a node (transitively) has side effects the runtime must perform. */
  isEffectful(scope: Scope, name: string, depth = 0): boolean {
    let memo = this.effectfulMemo.get(scope);
    if (!memo) this.effectfulMemo.set(scope, (memo = new Map()));
    const hit = memo.get(name);
    if (hit !== undefined) return hit;
    memo.set(name, false); // cycle guard
    const node = scope.nodes.get(name);
    let r = false;
    if (node && depth < 256) {
      if (this.writes(node)) r = true;
      else {
        const fname = this.calledFunction(node);
        if (fname && this.fnHasEffects(fname)) r = true;
        else r = ctrlInputs(node).some((c) => this.isEffectful(scope, c, depth + 1));
      }
    }
    memo.set(name, r);
    return r;
  }

  /** Whether the op itself writes state (variables; tables while emitting the init op). */
  private writes(node: Node): boolean {
    return VARIABLE_WRITE_OPS.has(node.op) || (this.initMode && TABLE_INIT_OPS.has(node.op));
  }

  fnHasEffects(fname: string): boolean {
    const key = `${this.initMode ? 'i' : 's'}:${fname}`;
    const hit = this.fnEffectsMemo.get(key);
    if (hit !== undefined) return hit;
    this.fnEffectsMemo.set(key, false);
    const fn = this.fnByName.get(fname);
    let r = false;
    for (const n of fn?.node_def ?? []) {
      const inner = this.calledFunction(n);
      r = this.writes(n) || (inner !== undefined && this.fnHasEffects(inner));
      if (r) break;
    }
    this.fnEffectsMemo.set(key, r);
    return r;
  }

  calledFunction(node: Node): string | undefined {
    if (CALL_OPS.has(node.op)) return node.attr?.['f']?.func?.name;
    if (this.fnByName.has(node.op)) return node.op;
    return undefined;
  }

  ctrlEffects(scope: Scope, node: Node): string[] {
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
    return this.asTensor(scope, v, what, [], true);
  }

  /** Refs whose tensors may carry exact wide values beside their stand-in (wide-values.ts). */
  readonly wideRefs = new WideRefs();
  private readonly narrowed = new WeakMap<Builder, Map<string, string>>();

  /**
   * `ref` for an op that reads the stand-in: behind a `_TfsWideCheck` when its tensor may
   * carry exact values the stand-in cannot hold (one check per ref and builder).
   */
  narrowRef(scope: Scope, ref: string, what: string): string {
    if (!this.wideRefs.has(ref)) return ref;
    let memo = this.narrowed.get(scope.out);
    if (!memo) this.narrowed.set(scope.out, (memo = new Map()));
    let checked = memo.get(ref);
    if (!checked) {
      const base = `${ref.replace(/:(\d+)$/, '_$1')}/_tfs_wide_check`;
      checked = this.custom(scope, base, WIDE_CHECK_OP, [ref], { _tfs_what: { s: Buffer.from(what, 'utf8').toString('base64') } });
      memo.set(ref, checked);
    }
    return checked;
  }

  asTensor(scope: Scope, v: Value, what: string, deps: string[] = [], keepWide = false): string {
    switch (v.kind) {
      case 'tensor':
        return keepWide ? v.ref : this.narrowRef(scope, v.ref, what);
      case 'var':
        return readVar(this, scope, v.v, deps);
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
    const r = emitWithTable(this, scope, node);
    scope.memo.set(name, r);
    return r;
  }

  convertAttrs(node: Node): Record<string, AttrJson> {
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

  /** Flat node name → TF op it stands for (for reports). */
  originOf(name: string, op: string): string {
    return this.origin.get(name) ?? op;
  }
}

/**
 * Refs (`node:k`) whose tensors may carry exact wide values; {@link WideRefs.addNode} marks
 * every output of a node at once (the Example parsers, whose int64 outputs sit at indices
 * that depend on their feature lists).
 */
export class WideRefs extends Set<string> {
  private readonly nodes = new Set<string>();

  addNode(name: string): void {
    this.nodes.add(name);
  }

  override has(ref: string): boolean {
    if (super.has(ref)) return true;
    const colon = ref.lastIndexOf(':');
    return this.nodes.size > 0 && this.nodes.has(colon < 0 ? ref : ref.slice(0, colon));
  }
}
