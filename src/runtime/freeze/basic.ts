/**
 * Everything else: placeholders, constants, pass-through and dropped debug ops, and the
 * generic emitter every op without an entry of its own goes through (copied with its
 * attributes completed, control inputs dropped unless they order effects, `BatchMatMulV3`
 * renamed, int64 arithmetic that can overflow int32 checked).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { tensorFromProto } from '../../savedmodel/tensor-proto.js';
import { tfjsTypeName } from '../graph-json.js';
import { nodeWhat, tensorOut, type EmitterEntry, type FreezeContext } from './context.js';
import { dataInputs, FreezeError, type Node, type NodeResult, type Scope, type Value } from './scope.js';
import { INT64_CHECKED_OPS, TFS_OPS } from './types.js';
import { frozenOpName, layoutReplacement } from '../kernels/control-names.js';
import { EXACT_FAMILY_OPS, familyNode } from '../kernels/index.js';
import { float64Refusal } from '../float64-policy.js';
import { HALF_ROUND_OP, halfPlan } from '../half-policy.js';
import { WRAP_INT_OP, narrowIntPlan } from '../narrow-int-policy.js';
import { staticLastDim } from './static-shape.js';
import { afterSwitch, inFrame } from './tf1-frames.js';
import { wideKindOf } from '../wide-values.js';
import { DECODE_RAW_OPS } from '../kernels/decode-raw.js';
import { WIDE_IOTA_OP, WIDE_MOVE_DATA, WIDE_TAKE_OP, wideRoute } from '../kernels/wide.js';
import type { AttrJson } from '../graph-json.js';
import { dtypeInfo } from '../../tensor/dtypes.js';

/** A dtype attr's TF name (`DT_INT64`), whatever form the proto gave it in. */
const dtypeName = (t: string | number): string => dtypeInfo(t)?.name ?? String(t);

const WIDE_INT_TYPES = new Set(['DT_INT64', 'DT_UINT64', 'DT_UINT32']);

const refersTo = (ref: string, name: string): boolean => ref === name || ref.startsWith(`${name}:`);

/**
 * A float16 MatMul whose bias add TF evidently computes with it, rounded once (a Keras 3 GRU cell
 * under mixed_float16: MatMul then BiasAdd/AddV2 of a Squeeze of the split bias; rounding both
 * drifted 2e-5 past TF over 5 steps, probe10), where after a Keras Dense (bias read from its
 * variable) TF rounds twice as tfs does (zoo k3_mixed_float16). Only the first pattern is known:
 * refused at load rather than answered 1 unit off.
 */
function halfMatMulFusedBias(scope: Scope, node: Node): boolean {
  if (node.op !== 'MatMul' || dtypeName(node.attr['T']?.type ?? '') !== 'DT_HALF') return false;
  const users = [...scope.nodes.values()].filter((n) => dataInputs(n).some((i) => refersTo(i, node.name)));
  return users.some((u) => (u.op === 'BiasAdd' || u.op === 'AddV2' || u.op === 'Add') && dataInputs(u).some(
    (i) => !refersTo(i, node.name) && scope.nodes.get(i.split(':')[0]!)?.op === 'Squeeze'));
}

function emitPlaceholder(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  if (scope.fn) throw new FreezeError(`${what}: a placeholder inside a function cannot be fed`);
  const name = scope.out.unique(scope.prefix + node.name);
  const dtype = node.attr?.['dtype']?.type ?? 'DT_FLOAT';
  scope.out.add({ name, op: node.op, input: [], attr: { dtype: { type: tfjsTypeName(dtype) } } });
  if (wideKindOf(dtypeName(dtype)) !== undefined) fz.wideRefs.add(`${name}:0`); // feeds carry exact values
  return tensorOut(what, `${name}:0`);
}

function emitConst(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const tv = node.attr?.['value']?.tensor;
  if (!tv) throw new FreezeError(`${what} has no value`);
  let t: Tensor;
  try {
    t = tensorFromProto(tv, `saved_model.pb: ${what}`);
  } catch (e) {
    throw new FreezeError((e as Error).message);
  }
  return tensorOut(what, inFrame(fz, scope, node, fz.constRef(scope.out, scope.out.unique(scope.prefix + node.name), t)));
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function emitIdentityN(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  const effects = fz.ctrlEffects(scope, node);
  const ins = dataInputs(node).map((i) => fz.emitRef(scope, i));
  if (effects.length === 0) {
    return { out: (i) => ins[i] ?? { kind: 'none' }, effect: null };
  }
  const wrapped = ins.map((v, i) => {
    const ref = fz.custom(scope, `${node.name}/_tfs_after_${i}`, TFS_OPS.after, [fz.asTensor(scope, v, what, [], true), ...effects]);
    if (isWideRef(fz, v)) fz.wideRefs.add(ref); // _TfsAfter passes the values (and their dataId) on
    return ref;
  });
  return { out: (i) => (wrapped[i] ? { kind: 'tensor', ref: wrapped[i] } : { kind: 'none' }), effect: wrapped[0] ?? null };
}

/** Ops that pass their first input through unchanged. */
function emitPassThrough(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  if (afterSwitch(scope, node)) return emitGeneric(fz, scope, node); // a TF1 pivot (tf1-frames.ts)
  const effects = fz.ctrlEffects(scope, node);
  const v = fz.emitRef(scope, dataInputs(node)[0] ?? '');
  if (effects.length === 0) return { out: (i) => (i === 0 ? v : { kind: 'none' }), effect: null };
  const ref = fz.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [fz.asTensor(scope, v, nodeWhat(scope, node), [], true), ...effects]);
  if (v.kind === 'tensor' && fz.wideRefs.has(v.ref)) fz.wideRefs.add(ref); // _TfsAfter passes the values (and their dataId) on
  return tensorOut(nodeWhat(scope, node), ref, ref);
}

/** Ops dropped entirely (no data outputs anyone can use): only their control inputs' effects survive. */
function emitDropped(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const effects = fz.ctrlEffects(scope, node);
  return { out: () => ({ kind: 'none' }), effect: fz.group(scope, node.name, effects) };
}

/** The op tfs emits for `node`, with its attrs (renames and int64 overflow checks). */
function rewriteOp(fz: FreezeContext, node: Node, what: string): { op: string; attr: ReturnType<FreezeContext['convertAttrs']>; wide: boolean } {
  let op = frozenOpName(node.op); // tfs's own kernels for TensorList/TensorArray ops
  const attr = fz.convertAttrs(node);
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
  const wide = wideRoute(op, (a) => dtypeName(node.attr[a]?.type ?? ''));
  if (wide) {
    // int64/uint32/uint64/float64 computed exactly (kernels/wide.ts).
    attr['_tfs_wide'] = { s: b64(wide.kind) };
    op = familyNode(wide.op, node.attr, attr);
    return { op, attr, wide: true };
  }
  if (INT64_CHECKED_OPS.has(op) && WIDE_INT_TYPES.has(t)) {
    // tfjs computes int64 as int32 and would wrap on overflow: compute with a check.
    attr['_tfs_op'] = { i: INT64_CHECKED_OPS.get(op)! };
    attr['_tfs_model'] = { i: fz.opts.modelId };
    op = TFS_OPS.int64Checked;
  }
  // Layout ops whose tfjs kernel is wrong for some dtypes/attrs run as tfs's own (kernels/layout.ts).
  op = layoutReplacement(op, (a) => String(node.attr[a]?.type ?? ''), (a) => Number(node.attr[a]?.i ?? 0)) ?? op;
  try {
    op = familyNode(op, node.attr, attr); // family kernels (kernels/index.ts): renames, exact attrs
  } catch (e) {
    throw new FreezeError(`${what}: ${(e as Error).message}`);
  }
  // Kernels reading and writing exact 64-bit values themselves (stateless random keys, seeds).
  return { op, attr, wide: EXACT_FAMILY_OPS.has(op) };
}

/** Any op without an emitter of its own: copied into the graph. */
export function emitGeneric(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const what = nodeWhat(scope, node);
  // The node's name and result are known before its inputs are resolved, so TF1 while
  // loops (NextIteration feeding a Merge) can refer back to it.
  const name = scope.out.unique(scope.prefix + node.name);
  const result: { out: NodeResult['out']; effect: string | null } = {
    out: (i) => ({ kind: 'tensor', ref: `${name}:${i}` }),
    effect: null,
  };
  scope.memo.set(node.name, result);
  const effects = fz.ctrlEffects(scope, node);
  if (effects.length > 0) result.effect = `${name}:0`;
  const rewritten = rewriteOp(fz, node, what);
  // Wide kernels read exact values; other ops read stand-ins, checked where values may not fit.
  const keepWide = rewritten.wide || SHAPE_ONLY.has(node.op);
  const vals = dataInputs(node).map((i) => fz.emitRef(scope, i));
  const moved = rewritten.wide ? undefined : wideMove(fz, scope, node, vals, what);
  const saturating = SATURATION_EXACT[node.op] ?? crossExactInputs(node);
  const inputs = moved?.inputs ?? vals.map((v, i) => fz.asTensor(scope, v, what, [], keepWide || saturating.includes(i)));
  const attr = rewritten.attr;
  // A grouped Conv2D (input depth a multiple of the filter's) is recognised by fuse.ts from this.
  // (channels are axis 1 of an NCHW input: channels-last.ts runs such a conv as NHWC.)
  const nchw = Buffer.from(node.attr['data_format']?.s ?? new Uint8Array(0)).toString() === 'NCHW';
  const depth = node.op === 'Conv2D' ? staticLastDim(scope, dataInputs(node)[0] ?? '', nchw ? 1 : -1) : undefined;
  if (depth !== undefined) attr['_tfs_in_depth'] = { i: depth };
  if (rewritten.wide || wideProducer(node)) fz.wideRefs.add(`${name}:0`);
  // int64 features of any Example parser: exact values beside the stand-in (kernels/example.ts)
  if (EXAMPLE_PARSERS.has(node.op)) fz.wideRefs.addNode(name);
  if (EXACT_FAMILY_OPS.has(rewritten.op)) for (let i = 1; i < 3; i++) fz.wideRefs.add(`${name}:${i}`);
  const opName = moved ? moved.finish(name, attr) : name;
  if (effects.length > 0 && inputs.length > 0) {
    inputs[0] = fz.custom(scope, `${node.name}/_tfs_after`, TFS_OPS.after, [inputs[0]!, ...effects]);
  }
  // float64 computed in float32 would differ from TF: such nodes become an op no kernel
  // runs, so the load-time check refuses the signatures that need them (float64-policy.ts).
  const f64 = rewritten.wide ? undefined : float64Refusal(node.op, (a) => String(node.attr[a]?.type ?? ''));
  // float16/bfloat16 results are rounded to their type after each op, as TF does, or refused (half-policy.ts).
  // (A wide Cast, int64/float64 → float16, is rounded too: its kernel rounds to float32 only.)
  const half = f64 || (rewritten.wide && node.op !== 'Cast') ? undefined : halfPlan(node.op, (a) => String(node.attr[a]?.type ?? ''), nchw ? 'NCHW' : '',
    Buffer.from(node.attr['equation']?.s ?? new Uint8Array(0)).toString());
  // int8/uint8/int16/uint16 results are wrapped to their type after each op, as TF does (narrow-int-policy.ts).
  const narrow = f64 || half || rewritten.wide ? undefined : narrowIntPlan(node.op, (a) => String(node.attr[a]?.type ?? ''));
  const refused = half && 'refuse' in half ? half.refuse
    : half && halfMatMulFusedBias(scope, node) ? 'MatMul on float16 with a bias add TF fuses, as in a Keras GRU cell' : undefined;
  const narrowKernel = half && 'op' in half ? half.op : undefined;
  const op = f64 ?? refused ?? narrowKernel ?? rewritten.op;
  if (narrowKernel && half && 'round' in half) attr['_tfs_half'] = { s: b64(half.round) };
  const post = !refused && half && 'round' in half ? { op: HALF_ROUND_OP, attr: { _tfs_half: { s: b64(half.round) } } }
    : narrow ? { op: WRAP_INT_OP, attr: { _tfs_wrap: { s: b64(narrow.wrap) } } } : undefined;
  if (post) {
    const raw = scope.out.unique(`${opName}/_tfs_unrounded`);
    scope.out.add({ name: raw, op, input: inputs, attr });
    scope.out.add({ name: opName, op: post.op, input: [`${raw}:0`], attr: post.attr });
    if (op !== node.op) fz.origin.set(raw, node.op);
    return result;
  }
  scope.out.add({ name: opName, op, input: inputs, attr });
  if (op !== node.op && !f64 && !refused) fz.origin.set(opName, node.op);
  return result;
}

/**
 * A moving op (Reshape, ConcatV2, GatherV2, ...) with a data input that may carry exact wide
 * values: its data inputs become element indices (`_TfsWideIota`), the op moves those, and a
 * `_TfsWideTake` named as the node picks the exact values (kernels/wide.ts).
 */
export function wideMove(fz: FreezeContext, scope: Scope, node: Node, vals: Value[], what: string):
  { inputs: string[]; finish: (name: string, attr: Record<string, AttrJson>) => string } | undefined {
  const positions = WIDE_MOVE_DATA[node.op]?.(vals.length);
  const kind = wideKindOf(dtypeName(node.attr['T']?.type ?? node.attr['Tparams']?.type ?? ''));
  if (!positions || !kind || !positions.some((i) => isWideRef(fz, vals[i]))) return undefined;
  const data = positions.map((i) => fz.asTensor(scope, vals[i]!, what, [], true));
  const inputs = vals.map((v, i) => {
    const k = positions.indexOf(i);
    if (k < 0) return fz.asTensor(scope, v, what);
    return fz.custom(scope, `${node.name}/_tfs_wide_iota_${k}`, WIDE_IOTA_OP, data, { _tfs_wide_index: { s: b64(String(k)) } });
  });
  const finish = (name: string, attr: Record<string, AttrJson>): string => {
    for (const a of ['T', 'Tparams']) if (attr[a]) attr[a] = { type: 'DT_INT32' };
    const index = scope.out.unique(`${name}/_tfs_wide_index`);
    scope.out.add({ name, op: WIDE_TAKE_OP, input: [`${index}:0`, ...data], attr: { _tfs_wide: { s: b64(dtypeName(node.attr['T']?.type ?? node.attr['Tparams']?.type ?? '')) } } });
    fz.wideRefs.add(`${name}:0`);
    return index;
  };
  return { inputs, finish };
}

const isWideRef = (fz: FreezeContext, v: Value | undefined): boolean => v?.kind === 'tensor' && fz.wideRefs.has(v.ref);

/** Ops that read only their input's shape: a stand-in serves. */
const SHAPE_ONLY = new Set(['Shape', 'ShapeN', 'Size', 'Rank']);

/**
 * Inputs that may read the int32 stand-in of an int64 value beyond int32 unchecked, because it
 * saturates (wide-values.ts) and the op answers the same for the saturated value: bincount
 * ignores values at or above its size and refuses negative ones (Keras's IntegerLookup
 * multi_hot sends its mask token as int64's maximum).
 */
const SATURATION_EXACT: Readonly<Record<string, readonly number[]>> = {
  Bincount: [0],
  DenseBincount: [0],
  RaggedBincount: [1],
  SparseBincount: [1],
};

/** SparseCross's sparse values and dense inputs (kernels/sparse-cross.ts reads their exact int64 values). */
function crossExactInputs(node: Node): number[] {
  if (node.op !== 'SparseCross') return [];
  const n = Number(node.attr['N']?.i ?? 0);
  const all = dataInputs(node).length;
  return Array.from({ length: all }, (_, i) => i).filter((i) => (i >= n && i < 2 * n) || i >= 3 * n);
}

/** Non-routed ops whose kernel writes exact wide values (StringToNumber, DecodeRaw, DecodePaddedRaw to int64/float64). */
const EXAMPLE_PARSERS = new Set(['ParseExample', 'ParseExampleV2', 'ParseSequenceExampleV2']);

function wideProducer(node: Node): boolean {
  const parses = node.op === 'StringToNumber' || DECODE_RAW_OPS.has(node.op);
  return parses && wideKindOf(dtypeName(node.attr['out_type']?.type ?? '')) !== undefined;
}

export const BASIC_EMITTERS: readonly EmitterEntry[] = [
  { ops: ['Placeholder'], emit: emitPlaceholder },
  { ops: ['Const'], emit: emitConst },
  { ops: ['IdentityN'], emit: emitIdentityN },
  { ops: ['Identity', 'Snapshot', 'StopGradient', 'PreventGradient', 'CheckNumerics', 'Print'], emit: emitPassThrough },
  { ops: ['NoOp', 'Assert', 'PrintV2', 'DisableCopyOnRead', 'SaveV2', 'MergeV2Checkpoints'], emit: emitDropped },
];
