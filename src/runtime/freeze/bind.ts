/**
 * Binding the variables of a SavedModel graph to their checkpoint keys, and asset
 * tensors to their files.
 *
 * - TF2 object graphs: a signature's call node passes captured variables as trailing
 *   inputs; `SavedConcreteFunction.bound_inputs` names the SavedObject of each, and the
 *   SavedObjectGraph and the checkpoint's TrackableObjectGraph are walked together by
 *   child `local_name` to find that object's `VARIABLE_VALUE` checkpoint key (the walk TF's
 *   C++ loader does; names are never used, they are not unique).
 * - Any graph: the Saver's restore op is traced (`saver_def.restore_op_name`): each
 *   Assign/AssignVariableOp writes `RestoreV2` output j into a variable, and RestoreV2's
 *   `tensor_names` constant holds key j. This is what TF's Session loader executes.
 * - TF1 fallback: a variable's key is its node name (the Saver's default).
 */
import type {
  FunctionDefObject,
  MetaGraphDefObject,
  NodeDefObject,
  SavedObjectGraphObject,
} from '../../savedmodel/proto-types.js';
import type { TrackableObjectGraph } from '../../savedmodel/tensor-bundle.js';
import { CALL_OPS } from '../op-registry.js';

/** `node:1` / `^node` / `node` → [node, index]; function-body refs keep their middle part. */
export function splitRef(ref: string): string[] {
  return (ref.startsWith('^') ? ref.slice(1) : ref).split(':');
}

/** Walk SavedObjectGraph and TrackableObjectGraph in step: SavedObject id → checkpoint key. */
export function checkpointKeysByObject(
  saved: SavedObjectGraphObject,
  trackable: TrackableObjectGraph,
): Map<number, string> {
  const out = new Map<number, string>();
  const sNodes = saved.nodes ?? [];
  const tNodes = trackable.nodes ?? [];
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [tid, sid] = stack.pop()!;
    if (seen.has(tid)) continue;
    seen.add(tid);
    const t = tNodes[tid];
    const s = sNodes[sid];
    if (!t || !s) continue;
    const attr = (t.attributes ?? []).find((a) => a.name === 'VARIABLE_VALUE');
    if (attr?.checkpoint_key && !out.has(sid)) out.set(sid, attr.checkpoint_key);
    const sChildren = new Map<string, number>();
    for (const c of s.children ?? []) if (c.local_name !== undefined) sChildren.set(c.local_name, c.node_id ?? 0);
    for (const c of t.children ?? []) {
      const next = sChildren.get(c.local_name ?? '');
      if (next !== undefined) stack.push([c.node_id ?? 0, next]);
    }
  }
  return out;
}

/**
 * TF2: outer-graph variable node name → checkpoint key, through the bound inputs of every
 * call node of the outer graph.
 */
export function bindByObjectGraph(
  meta: MetaGraphDefObject,
  trackable: TrackableObjectGraph | null | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  const og = meta.object_graph_def;
  if (!og || !trackable) return out;
  const keys = checkpointKeysByObject(og, trackable);
  const nodes = new Map((meta.graph_def?.node ?? []).map((n) => [n.name ?? '', n]));
  for (const n of meta.graph_def?.node ?? []) {
    if (!CALL_OPS.has(n.op ?? '')) continue;
    const fname = n.attr?.['f']?.func?.name;
    const bound = fname ? og.concrete_functions?.[fname]?.bound_inputs : undefined;
    if (!bound || bound.length === 0) continue;
    const data = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const first = data.length - bound.length;
    bound.forEach((objId, k) => {
      const src = data[first + k];
      if (src === undefined) return;
      const srcName = splitRef(src)[0]!;
      const srcNode = nodes.get(srcName);
      const key = keys.get(objId);
      if (srcNode && srcNode.op === 'VarHandleOp' && key !== undefined) out.set(srcName, key);
    });
  }
  return out;
}

interface WalkScope {
  readonly nodes: Map<string, NodeDefObject>;
  readonly fn: FunctionDefObject | undefined;
  /** Function arg name → [scope, ref] it is bound to in the caller. */
  readonly args: Map<string, [WalkScope, string]>;
}

/** Resolve a ref to [scope, node, output index] following Identity chains and function args. */
function resolveRef(scope: WalkScope, ref: string, depth = 0): [WalkScope, NodeDefObject, number] | undefined {
  if (depth > 64) return undefined;
  const parts = splitRef(ref);
  const name = parts[0]!;
  if (scope.fn && scope.args.has(name)) {
    const [ps, pref] = scope.args.get(name)!;
    return resolveRef(ps, pref, depth + 1);
  }
  const node = scope.nodes.get(name);
  if (!node) return undefined;
  const index = Number(parts.length === 3 ? parts[2] : (parts[1] ?? 0));
  if (node.op === 'Identity' || node.op === 'IdentityN') {
    const data = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const src = data[node.op === 'Identity' ? 0 : index];
    return src === undefined ? undefined : resolveRef(scope, src, depth + 1);
  }
  return [scope, node, index];
}

/** The strings of the Const a ref resolves to, or undefined when it is not a Const. */
function stringConst(scope: WalkScope, ref: string | undefined): Uint8Array[] | undefined {
  if (ref === undefined) return undefined;
  const r = resolveRef(scope, ref);
  if (!r || r[1].op !== 'Const') return undefined;
  return r[1].attr?.['value']?.tensor?.string_val ?? [];
}

/** What the restore op writes into a variable: RestoreV2's tensor name and shape_and_slices. */
export interface RestoreBinding {
  readonly key: string;
  /** The `shape_and_slices` element; empty for the whole tensor (partitioned variables restore a slice). */
  readonly slice: string;
}

/** Trace the Saver's restore op: outer variable node name → checkpoint key and slice. */
export function bindByRestoreOp(meta: MetaGraphDefObject, fnByName: Map<string, FunctionDefObject>): Map<string, RestoreBinding> {
  const out = new Map<string, RestoreBinding>();
  const restore = meta.saver_def?.restore_op_name;
  if (!restore) return out;
  const outer: WalkScope = {
    nodes: new Map((meta.graph_def?.node ?? []).map((n) => [n.name ?? '', n])),
    fn: undefined,
    args: new Map(),
  };
  const visited = new Set<string>();

  const visit = (scope: WalkScope, name: string, scopeId: string): void => {
    const id = `${scopeId}|${name}`;
    if (visited.has(id)) return;
    visited.add(id);
    const node = scope.nodes.get(name);
    if (!node) return;
    const inputs = node.input ?? [];
    const data = inputs.filter((i) => !i.startsWith('^'));
    for (const c of inputs.filter((i) => i.startsWith('^'))) visit(scope, c.slice(1), scopeId);
    const op = node.op ?? '';
    const fname = CALL_OPS.has(op) ? node.attr?.['f']?.func?.name : fnByName.has(op) ? op : undefined;
    if (fname) {
      const fn = fnByName.get(fname);
      if (!fn) return;
      const args = new Map<string, [WalkScope, string]>();
      (fn.signature?.input_arg ?? []).forEach((a, i) => {
        const src = data[i];
        if (src !== undefined) args.set(a.name ?? '', [scope, src]);
      });
      const inner: WalkScope = { nodes: new Map((fn.node_def ?? []).map((n) => [n.name ?? '', n])), fn, args };
      for (const n of fn.node_def ?? []) visit(inner, n.name ?? '', id);
      return;
    }
    if (node.op === 'Assign' || node.op === 'AssignVariableOp') {
      const target = data[0] === undefined ? undefined : resolveRef(scope, data[0]);
      const source = data[1] === undefined ? undefined : resolveRef(scope, data[1]);
      if (!target || !source) return;
      const [ts, tnode] = target;
      if (ts !== outer || !['VarHandleOp', 'VariableV2', 'Variable'].includes(tnode.op ?? '')) return;
      const [ss, snode, j] = source;
      if (snode.op !== 'RestoreV2' && snode.op !== 'RestoreSlice') return;
      const sdata = (snode.input ?? []).filter((i) => !i.startsWith('^'));
      const names = stringConst(ss, sdata[1]);
      const slices = stringConst(ss, sdata[2]);
      const key = names?.[Math.min(j, (names?.length ?? 1) - 1)];
      const slice = slices?.[Math.min(j, (slices?.length ?? 1) - 1)];
      if (key === undefined) return;
      const text = new TextDecoder();
      out.set(tnode.name ?? '', { key: text.decode(key), slice: slice === undefined ? '' : text.decode(slice) });
    }
  };
  visit(outer, splitRef(restore)[0]!, '');
  return out;
}

