/**
 * Control flow. TF2 `If`/`While`/`Case` keep their branch functions, rebuilt by
 * {@link buildFunction} with resource arguments (variables, tables) bound statically, so
 * they leave the argument lists. TF1 loops (`Switch`, `Merge`, `Enter`, `Exit`,
 * `NextIteration`) need nothing special: tfjs runs them, and the generic emitter (basic.ts)
 * names a node before resolving its inputs so `NextIteration` can close a loop.
 */
import type { AttrJson } from '../graph-json.js';
import { buildFunction } from './calls.js';
import { nodeWhat, type EmitterEntry, type FreezeContext } from './context.js';
import { dataInputs, FreezeError, type Node, type NodeResult, type Scope, type Value } from './scope.js';
import { TFS_OPS } from './types.js';
import { CASE_OP } from '../kernels/control-names.js';

/** Argument positions holding resources, which the rebuilt functions bind statically. */
function boundResources(vals: readonly Value[]): Map<number, Value> {
  const bound = new Map<number, Value>();
  vals.forEach((v, i) => {
    if (v.kind === 'var' || v.kind === 'table') bound.set(i, v);
  });
  return bound;
}

/** `inputs[0]` made to wait for `effects` (a `_TfsAfter`), when there are any. */
function afterEffects(fz: FreezeContext, scope: Scope, node: Node, inputs: string[], effects: string[]): void {
  if (effects.length > 0 && inputs.length > 0) {
    inputs[0] = fz.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [inputs[0]!, ...effects]);
  }
}

function emitIf(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const flat = scope.prefix + node.name;
  const what = nodeWhat(scope, node);
  const ins = dataInputs(node);
  const effects = fz.ctrlEffects(scope, node);
  const cond = fz.asTensor(scope, fz.emitRef(scope, ins[0] ?? ''), what);
  const argVals = ins.slice(1).map((i) => fz.emitRef(scope, i));
  const bound = boundResources(argVals);
  const name = scope.out.unique(flat);
  const thenName = node.attr?.['then_branch']?.func?.name;
  const elseName = node.attr?.['else_branch']?.func?.name;
  if (!thenName || !elseName) throw new FreezeError(`${what} has no branch functions`);
  const newThen = buildFunction(fz, scope, thenName, `${name}/_tfs_then`, bound, () => true);
  const newElse = buildFunction(fz, scope, elseName, `${name}/_tfs_else`, bound, () => true);
  const inputs = [cond, ...argVals.flatMap((v, i) => (bound.has(i) ? [] : [fz.asTensor(scope, v, what)]))];
  afterEffects(fz, scope, node, inputs, effects);
  const attr = fz.convertAttrs(node);
  attr['then_branch'] = { func: { name: newThen } };
  attr['else_branch'] = { func: { name: newElse } };
  delete attr['Tin'];
  // tfjs runs If and StatelessIf alike, but only recognises StatelessIf as control flow
  // (its analysis lists 'if' in lower case), and would then warn on every call.
  scope.out.add({ name, op: 'StatelessIf', input: inputs, attr });
  if (node.op !== 'StatelessIf') fz.origin.set(name, node.op);
  return { out: (i) => ({ kind: 'tensor', ref: `${name}:${i}` }), effect: null };
}

/** `Case` as tfs's `_TfsCase` (kernels/case.ts), its branches rebuilt like If branches. */
function emitCase(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const ins = dataInputs(node);
  const effects = fz.ctrlEffects(scope, node);
  const index = fz.asTensor(scope, fz.emitRef(scope, ins[0] ?? ''), what);
  const argVals = ins.slice(1).map((i) => fz.emitRef(scope, i));
  const bound = boundResources(argVals);
  const name = scope.out.unique(scope.prefix + node.name);
  const branches = (node.attr?.['branches']?.list?.func ?? []).map((f) => f.name ?? '');
  if (branches.length === 0 || branches.includes('')) throw new FreezeError(`${what} has no branch functions`);
  const attr: Record<string, AttrJson> = { _tfs_branches: { i: branches.length } };
  branches.forEach((b, i) => {
    attr[`_tfs_branch_${i}`] = { func: { name: buildFunction(fz, scope, b, `${name}/_tfs_branch_${i}`, bound, () => true) } };
  });
  const inputs = [index, ...argVals.flatMap((v, i) => (bound.has(i) ? [] : [fz.asTensor(scope, v, what)]))];
  afterEffects(fz, scope, node, inputs, effects);
  scope.out.add({ name, op: CASE_OP, input: inputs, attr });
  fz.origin.set(name, node.op);
  return { out: (i) => ({ kind: 'tensor', ref: `${name}:${i}` }), effect: null };
}

/** The While attrs without the bound loop variables. */
function whileAttrs(fz: FreezeContext, node: Node, bound: ReadonlyMap<number, Value>, cond: string, body: string): Record<string, AttrJson> {
  const attr = fz.convertAttrs(node);
  attr['cond'] = { func: { name: cond } };
  attr['body'] = { func: { name: body } };
  const keep = (xs: unknown[] | undefined): unknown[] | undefined => xs?.filter((_, i) => !bound.has(i));
  if (attr['T']?.list) attr['T'] = { list: { type: keep(attr['T'].list.type) as string[] } };
  if (attr['output_shapes']?.list) {
    attr['output_shapes'] = { list: { shape: keep(attr['output_shapes'].list.shape) as NonNullable<NonNullable<AttrJson['list']>['shape']> } };
  }
  return attr;
}

function emitWhile(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const ins = dataInputs(node);
  const effects = fz.ctrlEffects(scope, node);
  const vals = ins.map((i) => fz.emitRef(scope, i));
  const bound = boundResources(vals);
  const name = scope.out.unique(scope.prefix + node.name);
  const condName = node.attr?.['cond']?.func?.name;
  const bodyName = node.attr?.['body']?.func?.name;
  if (!condName || !bodyName) throw new FreezeError(`${what} has no cond/body functions`);
  const newCond = buildFunction(fz, scope, condName, `${name}/_tfs_cond`, bound, () => true);
  const newBody = buildFunction(fz, scope, bodyName, `${name}/_tfs_body`, bound, (i) => !bound.has(i));
  const inputs = vals.flatMap((v, i) => (bound.has(i) ? [] : [fz.asTensor(scope, v, what)]));
  afterEffects(fz, scope, node, inputs, effects);
  scope.out.add({ name, op: node.op, input: inputs, attr: whileAttrs(fz, node, bound, newCond, newBody) });
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

export const CONTROL_FLOW_EMITTERS: readonly EmitterEntry[] = [
  { ops: ['If', 'StatelessIf'], emit: emitIf },
  { ops: ['While', 'StatelessWhile'], emit: emitWhile },
  { ops: ['Case', 'StatelessCase'], emit: emitCase },
];
