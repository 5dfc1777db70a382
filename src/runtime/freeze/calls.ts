/**
 * Function calls. `StatefulPartitionedCall`, `PartitionedCall` and ops named after a
 * library function are inlined: the body is emitted in a scope of its own whose arguments
 * are the caller's values, so `node:out_arg:k` references resolve to flat tensors. If/While
 * branch functions are rebuilt with the same rules as tfjs library functions
 * ({@link buildFunction}).
 */
import { tfjsTypeName, type FunctionJson } from '../graph-json.js';
import { nodeWhat, type FreezeContext } from './context.js';
import { Builder, dataInputs, FreezeError, type Fn, type Node, type NodeResult, type Scope, type Value } from './scope.js';
import { TFS_OPS } from './types.js';

/** A library function, refusing unknown names and recursion. */
function functionOf(fz: FreezeContext, scope: Scope, name: string, what: string): Fn {
  const fn = fz.fnByName.get(name);
  if (!fn) throw new FreezeError(`${what}: function ${name} is not in the graph's library`);
  if (scope.stack.includes(name)) throw new FreezeError(`${what}: recursive call of function ${name}`);
  return fn;
}

/** A scope for a function body emitted into `out`. */
function bodyScope(scope: Scope, fn: Fn, fname: string, prefix: string, args: Map<string, Value>, out: Builder): Scope {
  return {
    prefix,
    nodes: new Map((fn.node_def ?? []).map((n) => [n.name, n])),
    fn,
    args,
    memo: new Map(),
    out,
    overrides: new Map(),
    stack: [...scope.stack, fname],
  };
}

/** The effects of a function body's effectful nodes (none when it has no side effects). */
function bodyEffects(fz: FreezeContext, inner: Scope, fn: Fn, fname: string): string[] {
  const effects: string[] = [];
  if (!fz.fnHasEffects(fname)) return effects;
  for (const n of fn.node_def ?? []) {
    if (!fz.isEffectful(inner, n.name)) continue;
    const r = fz.emitNode(inner, n.name);
    if (r.effect) effects.push(r.effect);
  }
  return effects;
}

/** Inline a call of library function `fname`. */
export function emitCall(fz: FreezeContext, scope: Scope, node: Node, fname: string): NodeResult {
  const what = nodeWhat(scope, node);
  const fn = functionOf(fz, scope, fname, what);
  const ctrl = fz.ctrlEffects(scope, node);
  const argDefs = fn.signature.input_arg ?? [];
  const ins = dataInputs(node);
  if (ins.length !== argDefs.length) {
    throw new FreezeError(`${what}: function ${fname} takes ${argDefs.length} inputs, the call passes ${ins.length}`);
  }
  const args = new Map<string, Value>();
  argDefs.forEach((a, i) => args.set(a.name, fz.emitRef(scope, ins[i]!)));
  const inner = bodyScope(scope, fn, fname, `${scope.prefix}${node.name}/`, args, scope.out);
  const outArgs = fn.signature.output_arg ?? [];
  const cache = new Map<number, Value>();
  const out = (i: number): Value => {
    const hit = cache.get(i);
    if (hit) return hit;
    const a = outArgs[i];
    if (!a) throw new FreezeError(`${what}: function ${fname} has no output ${i}`);
    const ret = fn.ret?.[a.name];
    if (ret === undefined) throw new FreezeError(`${what}: function ${fname} does not return ${a.name}`);
    const v = fz.emitRef(inner, ret);
    cache.set(i, v);
    return v;
  };
  const effect = fz.group(scope, node.name, [...ctrl, ...bodyEffects(fz, inner, fn, fname)]);
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
          ? { kind: 'tensor', ref: fz.custom(scope, `${node.name}/_tfs_after_${i}`, TFS_OPS.after, [v.ref, effect]) }
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
export function buildFunction(
  fz: FreezeContext,
  scope: Scope,
  fnName: string,
  newName: string,
  bound: ReadonlyMap<number, Value>,
  keepRets: (i: number) => boolean,
): string {
  const what = `function ${fnName}`;
  const fn = functionOf(fz, scope, fnName, what);
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
  const inner = bodyScope(scope, fn, fnName, `${newName}/`, args, b);
  const effects = bodyEffects(fz, inner, fn, fnName);
  const outputArg: FunctionJson['signature']['outputArg'] = [];
  const ret: Record<string, string> = {};
  (fn.signature.output_arg ?? []).forEach((a, i) => {
    if (!keepRets(i)) return;
    const retRef = fn.ret?.[a.name];
    if (retRef === undefined) throw new FreezeError(`${what} does not return ${a.name}`);
    let ref = fz.asTensor(inner, fz.emitRef(inner, retRef), what);
    if (i === 0 && effects.length > 0) ref = fz.custom(inner, `_tfs_ret_after`, TFS_OPS.after, [ref, ...effects]);
    const id = b.unique(`${newName}/_tfs_ret_${i}`);
    b.add({ name: id, op: 'Identity', input: [ref], attr: {} });
    outputArg.push({ name: a.name, type: tfjsTypeName(a.type ?? 'DT_FLOAT') });
    ret[a.name] = `${id}:0`;
  });
  fz.library.push({ signature: { name: newName, inputArg, outputArg }, nodeDef: b.nodes, ret });
  return newName;
}
