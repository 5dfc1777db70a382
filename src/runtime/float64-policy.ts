/**
 * float64 without wrong answers (FINDINGS W1, W5). tfjs has no float64: tfs carries float64
 * tensors as float32. That is exact only while every value is a float32 value and every op
 * on it is exact on such values (moving, comparing, picking, negating elements). So:
 *
 * - a node that computes in float64 with any other op (Add, Mul, Exp, MatMul, Sum, ...) is
 *   refused at load, named `<Op> on float64`, listed with the signatures that need it;
 * - `Cast` to float64 is allowed from types whose values float32 holds exactly, others are
 *   refused (`Cast uint32 to float64`); `Cast` from float64 is exact (the value is a float32 one);
 * - float64 constants whose values float32 cannot hold are refused unless only a Cast to
 *   float32 reads them;
 * - float64 inputs whose values float32 cannot hold are refused per request.
 */
import type { Tensor } from '../tensor/tensor.js';

/** Ops exact on float64 tensors whose values are all float32 values. */
const EXACT_F64_OPS = new Set([
  'Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'PreventGradient', 'Placeholder', 'PlaceholderWithDefault', 'Const',
  'Reshape', 'ExpandDims', 'Squeeze', 'Transpose', 'ConcatV2', 'Concat', 'Pack', 'Unpack', 'Slice', 'StridedSlice',
  'GatherV2', 'Gather', 'GatherNd', 'Tile', 'Reverse', 'ReverseV2', 'Split', 'SplitV', 'BroadcastTo', 'Pad', 'PadV2',
  'Shape', 'ShapeN', 'Size', 'Rank', 'ZerosLike', 'OnesLike', 'Fill', 'Select', 'SelectV2', 'EnsureShape',
  'Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'Maximum', 'Minimum', 'Max', 'Min',
  'ArgMax', 'ArgMin', 'Neg', 'Abs', 'Sign', 'Floor', 'Ceil', 'Relu', 'IsNan', 'IsInf', 'IsFinite', 'TopKV2',
  'Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'If', 'StatelessIf', 'While', 'StatelessWhile',
]);
/** Types whose every value is a float32 value. */
const FLOAT32_EXACT_TYPES = new Set(['DT_FLOAT', 'DT_HALF', 'DT_BFLOAT16', 'DT_BOOL', 'DT_INT8', 'DT_UINT8', 'DT_INT16', 'DT_UINT16']);
/** Attrs that carry the dtype an op computes in. */
const TYPE_ATTRS = ['T', 'dtype', 'Tparams', 'SrcT', 'DstT', 'Tidx', 'output_type'];

const short = (t: string): string => (t === 'DT_DOUBLE' ? 'float64' : t.replace(/^DT_/, '').toLowerCase());

/**
 * The refusal name of a node that would compute float64 in float32 inexactly, or undefined.
 * `typeOf(attr)` gives a dtype attr (`DT_*`, '' when absent).
 */
export function float64Refusal(op: string, typeOf: (attr: string) => string): string | undefined {
  if (op === 'Cast') {
    const src = typeOf('SrcT');
    const dst = typeOf('DstT');
    if (dst === 'DT_DOUBLE' && src !== 'DT_DOUBLE' && !FLOAT32_EXACT_TYPES.has(src)) return `Cast ${short(src)} to float64`;
    // From float64: the value is a float32 value, so rounding or truncating it gives TF's answer.
    return undefined;
  }
  if (EXACT_F64_OPS.has(op)) return undefined;
  return TYPE_ATTRS.some((a) => typeOf(a) === 'DT_DOUBLE') ? `${op} on float64` : undefined;
}

/** Whether every value of a float64 tensor is a float32 value (its first inexact one otherwise). */
function firstInexact(values: Float64Array): number | undefined {
  for (const v of values) if (Number.isFinite(v) && Math.fround(v) !== v) return v;
  return undefined;
}

interface GraphNodeJson {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, { type?: string } | undefined>;
}

/**
 * Rename the float64 Const nodes of `nodes` whose values float32 cannot hold, unless only
 * Casts to float32 read them, to `Const float64 not exact in float32`, so the load-time op
 * check refuses the signatures that reach them.
 */
export function refuseInexactFloat64Consts(nodes: GraphNodeJson[], weights: ReadonlyMap<string, Tensor>): void {
  const readers = new Map<string, GraphNodeJson[]>();
  for (const n of nodes) {
    for (const i of n.input) {
      const src = i.replace(/^\^/, '').split(':')[0]!;
      let r = readers.get(src);
      if (!r) readers.set(src, (r = []));
      r.push(n);
    }
  }
  for (const n of nodes) {
    const w = n.op === 'Const' ? weights.get(n.name) : undefined;
    if (!w || w.dtype !== 'DT_DOUBLE' || firstInexact(w.data as Float64Array) === undefined) continue;
    const onlyCasts = (readers.get(n.name) ?? []).every((r) => r.op === 'Cast' && r.attr['DstT']?.type === 'DT_FLOAT');
    if (!onlyCasts) n.op = 'Const float64 not exact in float32';
  }
}

const PASS_THROUGH = new Set(['Identity', 'Snapshot', 'StopGradient']);

/**
 * The float64 Placeholders whose every reader (through Identity chains) is a Cast to
 * float32: rounding their values to float32 on the way in is exactly what that Cast does, so
 * their inputs need no exactness check (Keras models fed float64 cast at once).
 */
export function castOnlyFloat64Feeds(nodes: readonly GraphNodeJson[], fetched: ReadonlySet<string>): Set<string> {
  const readers = new Map<string, GraphNodeJson[]>();
  for (const n of nodes) {
    for (const i of n.input) {
      if (i.startsWith('^')) continue;
      const src = i.split(':')[0]!;
      let r = readers.get(src);
      if (!r) readers.set(src, (r = []));
      r.push(n);
    }
  }
  // A tensor some signature fetches, or that nothing reads (an output), is not cast-only.
  const castOnly = (name: string, depth: number): boolean =>
    depth < 32 &&
    !fetched.has(name) &&
    (readers.get(name) ?? []).length > 0 &&
    readers.get(name)!.every((r) =>
      PASS_THROUGH.has(r.op) ? castOnly(r.name, depth + 1) : r.op === 'Cast' && r.attr['DstT']?.type === 'DT_FLOAT');
  const out = new Set<string>();
  for (const n of nodes) {
    if (n.op === 'Placeholder' && n.attr['dtype']?.type === 'DT_DOUBLE' && castOnly(n.name, 0)) out.add(n.name);
  }
  return out;
}
