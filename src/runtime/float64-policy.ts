/**
 * float64 without wrong answers (FINDINGS W1, W5). tfjs has no float64: tfs carries a float64
 * tensor as a float32 stand-in with its exact values beside it (wide-values.ts). Ops with a
 * float64 kernel (kernels/wide.ts: arithmetic, comparisons, Exp/Log/..., reductions, MatMul,
 * Cast) compute in float64; the freezer routes them there first. Every other op reads the
 * stand-in behind a check that fails the call when a value is not a float32 value, which is
 * exact for moving, comparing and picking ops; any other op computing in float64 is refused
 * at load, named `<Op> on float64`, listed with the signatures that need it.
 */

/** Ops exact on float64 tensors whose values are all float32 values. */
export const EXACT_F64_OPS = new Set([
  'Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'PreventGradient', 'Placeholder', 'PlaceholderWithDefault', 'Const',
  'Reshape', 'ExpandDims', 'Squeeze', 'Transpose', 'ConcatV2', 'Concat', 'Pack', 'Unpack', 'Slice', 'StridedSlice',
  'GatherV2', 'Gather', 'GatherNd', 'Tile', 'Reverse', 'ReverseV2', 'Split', 'SplitV', 'BroadcastTo', 'Pad', 'PadV2',
  'Shape', 'ShapeN', 'Size', 'Rank', 'ZerosLike', 'OnesLike', 'Fill', 'Select', 'SelectV2', 'EnsureShape',
  'Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'Maximum', 'Minimum', 'Max', 'Min',
  'ArgMax', 'ArgMin', 'Neg', 'Abs', 'Sign', 'Floor', 'Ceil', 'Round', 'Relu', 'IsNan', 'IsInf', 'IsFinite', 'TopKV2',
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

