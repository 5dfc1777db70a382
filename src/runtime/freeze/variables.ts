/**
 * Variables. TF2 `VarHandleOp`s and TF1 `VariableV2`s become `Const` weights holding their
 * checkpoint values (bind.ts finds the keys) and their reads disappear; `ResourceGather`
 * becomes `GatherV2`, `VariableShape` a constant. Variables some reachable op writes stay
 * *live*: reads and writes become tfs custom ops over a per-model variable store.
 */
import { dtypeInfo } from '../../tensor/dtypes.js';
import type { Tensor } from '../../tensor/tensor.js';
import { shapeFromProto } from '../../savedmodel/tensor-proto.js';
import { VARIABLE_WRITE_OPS } from '../op-registry.js';
import { nodeWhat, tensorOut, type EmitterEntry, type FreezeContext } from './context.js';
import { dataInputs, FreezeError, type Node, type NodeResult, type Scope, type VarState } from './scope.js';
import { TFS_OPS } from './types.js';
import { wideMove } from './basic.js';
import { layoutReplacement } from '../kernels/control-names.js';

/** The variable a handle node stands for (created on first use). */
function varOf(fz: FreezeContext, node: Node): VarState {
  let v = fz.vars.get(node.name);
  if (v) return v;
  const dtypeName = node.attr?.['dtype']?.type ?? 'DT_INVALID';
  const info = dtypeInfo(dtypeName);
  if (!info) throw new FreezeError(`variable ${node.name} has unsupported dtype ${dtypeName}`);
  const sharedName = node.attr?.['shared_name']?.s;
  let key = fz.varKeys.get(node.name);
  if (key === undefined && !fz.src.metaGraph.object_graph_def) {
    // TF1: the Saver's default key is the variable's name.
    const shared = sharedName && sharedName.length > 0 ? new TextDecoder().decode(sharedName) : undefined;
    for (const cand of [node.name, shared]) if (cand !== undefined && fz.src.hasVariable(cand)) key = cand;
  }
  v = {
    index: fz.vars.size,
    node: node.name,
    key,
    slice: key === undefined ? undefined : fz.varSlices.get(node.name),
    dtype: info.name,
    shape: shapeFromProto(node.attr?.['shape']?.shape),
    weightName: node.name,
  };
  fz.vars.set(node.name, v);
  return v;
}

const isLive = (fz: FreezeContext, v: VarState): boolean => fz.live.has(v.node);

/** Read a variable's value as a flat tensor ref (a weight, or a live read). */
export function readVar(fz: FreezeContext, scope: Scope, v: VarState, deps: string[]): string {
  if (isLive(fz, v)) {
    return fz.custom(scope, `${v.node}/_tfs_read`, TFS_OPS.varRead, deps, { _tfs_res: { i: v.index } });
  }
  if (!fz.weights.has(v.weightName)) {
    if (v.key === undefined) {
      throw new FreezeError(`variable ${v.node} has no value: the checkpoint has no entry for it and no init op assigns it`);
    }
    const t = fz.src.readVariable(v.key, v.slice);
    const want = v.shape;
    if (t.dtype !== v.dtype) {
      throw new FreezeError(`variable ${v.node}: checkpoint key ${v.key} holds ${t.dtype}, the graph expects ${v.dtype}`);
    }
    if (want && (want.length !== t.shape.length || want.some((d, i) => d >= 0 && d !== t.shape[i]))) {
      throw new FreezeError(
        `variable ${v.node}: checkpoint key ${v.key} has shape [${t.shape.join(',')}], the graph expects [${want.join(',')}]`,
      );
    }
    fz.weights.set(v.weightName, t);
    const part = v.slice ? ` slice "${v.slice}"` : '';
    fz.weightSources.set(v.weightName, `variable ${v.node} (checkpoint key ${v.key}${part})`);
  }
  return fz.constRef(scope.out, v.weightName);
}

/** The variable behind a node's first data input. */
function inputVar(fz: FreezeContext, scope: Scope, node: Node, ref: string | undefined, role = 'input'): VarState {
  const res = fz.emitRef(scope, ref ?? '');
  if (res.kind !== 'var') throw new FreezeError(`${nodeWhat(scope, node)}: ${role} is not a variable${role === 'input' ? ' handle' : ''}`);
  return res.v;
}

function emitHandle(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  if (scope.fn) throw new FreezeError(`${nodeWhat(scope, node)}: variables created inside functions are not supported`);
  const v = varOf(fz, node);
  return { out: () => ({ kind: 'var', v }), effect: null };
}

function emitIsInitialized(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const t: Tensor = { dtype: 'DT_BOOL', shape: [], data: new Uint8Array([1]) };
  return tensorOut(nodeWhat(scope, node), fz.constRef(scope.out, scope.out.unique(scope.prefix + node.name), t));
}

function emitRead(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const deps = fz.ctrlEffects(scope, node);
  const v = inputVar(fz, scope, node, dataInputs(node)[0]);
  return tensorOut(nodeWhat(scope, node), readVar(fz, scope, v, deps));
}

function emitShape(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const shape = inputVar(fz, scope, node, dataInputs(node)[0]).shape;
  if (!shape || shape.some((d) => d < 0)) throw new FreezeError(`${what}: variable shape is not fully known`);
  const outType = node.attr?.['out_type']?.type ?? 'DT_INT32';
  const t: Tensor =
    outType === 'DT_INT64'
      ? { dtype: 'DT_INT64', shape: [shape.length], data: BigInt64Array.from(shape.map(BigInt)) }
      : { dtype: 'DT_INT32', shape: [shape.length], data: Int32Array.from(shape) };
  return tensorOut(what, fz.constRef(scope.out, scope.out.unique(scope.prefix + node.name), t));
}

function emitGather(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const flat = scope.prefix + node.name;
  const [resRef, idxRef] = dataInputs(node);
  const v = inputVar(fz, scope, node, resRef);
  const params = readVar(fz, scope, v, fz.ctrlEffects(scope, node));
  const idx = fz.emitRef(scope, idxRef ?? '');
  const axisT: Tensor = { dtype: 'DT_INT32', shape: [], data: Int32Array.of(0) };
  const axis = fz.constRef(scope.out, scope.out.unique(`${flat}/_tfs_axis`), axisT);
  const name = scope.out.unique(flat);
  // An int64/float64 variable beyond its stand-in's range is an exact wide constant: the gather
  // moves element indices and picks the exact values, as a GatherV2 of a constant would.
  const asGather: Node = { name: node.name, op: 'GatherV2', input: [], attr: { Tparams: { type: node.attr?.['dtype']?.type ?? 'DT_INVALID' } } };
  const moved = wideMove(fz, scope, asGather, [{ kind: 'tensor', ref: params }, idx, { kind: 'tensor', ref: axis }], what);
  const batchDims = Number(node.attr?.['batch_dims']?.i ?? 0);
  const attr = { batch_dims: { i: batchDims } };
  const opName = moved ? moved.finish(name, attr) : name;
  const input = moved?.inputs ?? [params, fz.asTensor(scope, idx, what), axis];
  // Strings and batch_dims run as tfs's gather, as for GatherV2 (tfjs's refuses strings).
  const dtype = moved ? 'DT_INT32' : v.dtype;
  const op = layoutReplacement('GatherV2', (a) => (a === 'Tparams' ? dtype : ''), () => batchDims) ?? 'GatherV2';
  scope.out.add({ name: opName, op, input, attr });
  fz.origin.set(opName, node.op);
  return tensorOut(what, `${name}:0`);
}

const WRITE_OPS: Readonly<Record<string, string>> = {
  AssignVariableOp: TFS_OPS.varAssign,
  Assign: TFS_OPS.varAssign,
  AssignAddVariableOp: TFS_OPS.varAssignAdd,
  AssignAdd: TFS_OPS.varAssignAdd,
  AssignSubVariableOp: TFS_OPS.varAssignSub,
  AssignSub: TFS_OPS.varAssignSub,
};

function emitWrite(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const ins = dataInputs(node);
  const v = inputVar(fz, scope, node, ins[0], 'target');
  fz.written.add(v.node);
  const deps = fz.ctrlEffects(scope, node);
  const values = ins.slice(1).map((i) => fz.asTensor(scope, fz.emitRef(scope, i), what));
  if (!isLive(fz, v)) {
    // First pass: the variable is not live yet; the caller re-freezes with it live.
    return { out: () => ({ kind: 'var', v }), effect: null };
  }
  const opName = WRITE_OPS[node.op] ?? TFS_OPS.applyGradientDescent;
  const ref = fz.custom(scope, node.name, opName, [...values, ...deps], { _tfs_res: { i: v.index } });
  fz.origin.set(ref.replace(/:0$/, ''), node.op);
  // Ref-variable writes (Assign, AssignAdd) output the updated variable; the custom op
  // returns the new value, which is what a reader of that output sees.
  return { out: (i) => (i === 0 ? { kind: 'tensor', ref } : { kind: 'none' }), effect: ref };
}

export const VARIABLE_EMITTERS: readonly EmitterEntry[] = [
  { ops: ['VarHandleOp', 'VariableV2', 'Variable'], emit: emitHandle },
  { ops: ['VarIsInitializedOp', 'IsVariableInitialized'], emit: emitIsInitialized },
  { ops: ['ReadVariableOp'], emit: emitRead },
  { ops: ['VariableShape'], emit: emitShape },
  { ops: ['ResourceGather'], emit: emitGather },
  { ops: [...VARIABLE_WRITE_OPS], emit: emitWrite },
];
