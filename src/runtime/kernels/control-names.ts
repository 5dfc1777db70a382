/**
 * TensorFlow ops whose tfjs-converter built-ins tfs replaces with its own kernels
 * (tensor-list.ts, tensor-array.ts, case.ts). tfjs-converter runs its own mapping for any
 * op it knows, so the freezer renames these nodes to the `_Tfs` names below and the
 * family tables register kernels under those names. No tfjs import here: the freezer
 * reads this table.
 */
const RENAMED = [
  'EmptyTensorList',
  'TensorListReserve',
  'TensorListFromTensor',
  'TensorListGetItem',
  'TensorListSetItem',
  'TensorListStack',
  'TensorListGather',
  'TensorListLength',
  'TensorListPushBack',
  'TensorListPopBack',
  'TensorListScatter',
  'TensorListScatterV2',
  'TensorListScatterIntoExistingList',
  'TensorListResize',
  'TensorListConcat',
  'TensorListConcatV2',
  'TensorListSplit',
  'TensorListElementShape',
  'TensorArrayV3',
  'TensorArrayWriteV3',
  'TensorArrayReadV3',
  'TensorArrayGatherV3',
  'TensorArrayScatterV3',
  'TensorArraySizeV3',
  'TensorArrayConcatV3',
  'TensorArraySplitV3',
] as const;

/** The op the freezer emits for `Case` / `StatelessCase` (kernels/case.ts). */
export const CASE_OP = '_TfsCase';

export type RenamedOp = (typeof RENAMED)[number];

/** TF op → the `_Tfs` op name its node gets in the frozen graph. */
export const CONTROL_OP_NAMES: Readonly<Record<RenamedOp, string>> = Object.fromEntries(
  RENAMED.map((op) => [op, `_Tfs${op}`]),
) as Record<RenamedOp, string>;

/**
 * The frozen-graph op name for TF op `op` (itself when tfs keeps tfjs's kernel). Every
 * TensorList/TensorArray op is renamed, also those tfs has no kernel for: tfjs's kernels
 * cannot read tfs's dense lists, so such an op is refused at load (by its TF name) rather
 * than failing in a request.
 */
export function frozenOpName(op: string): string {
  const renamed = (CONTROL_OP_NAMES as Readonly<Record<string, string>>)[op];
  if (renamed) return renamed;
  return /^(TensorList|TensorArray|EmptyTensorList)/.test(op) ? `_Tfs${op}` : op;
}

/** Layout ops tfs runs with its own kernels (layout.ts) for some dtypes/attrs. */
export const LAYOUT_OPS = {
  bandPart: '_TfsMatrixBandPart',
  reverse: '_TfsReverse',
  reverseV2: '_TfsReverseV2',
  tile: '_TfsTile',
  gather: '_TfsGatherV2',
  select: '_TfsSelect',
  selectV2: '_TfsSelectV2',
} as const;

const JS_DTYPES = new Set(['DT_BOOL', 'DT_STRING']);

/** `Add`/`AddV2` on strings (TF concatenates; tfjs's add refuses strings): kernels/strings.ts. */
export const STRING_ADD_OP = '_TfsStringAdd';

/**
 * The `_Tfs*` op a TF node must run as instead of tfjs's mapping, or undefined to keep it.
 * `typeOf(attr)` gives a node's dtype attr (`DT_*`), `intOf(attr)` an int attr.
 */
export function layoutReplacement(op: string, typeOf: (a: string) => string, intOf: (a: string) => number): string | undefined {
  if (op === 'MatrixBandPart') return LAYOUT_OPS.bandPart;
  if (op === 'Reverse' && JS_DTYPES.has(typeOf('T'))) return LAYOUT_OPS.reverse;
  if (op === 'ReverseV2' && JS_DTYPES.has(typeOf('T'))) return LAYOUT_OPS.reverseV2;
  if (op === 'Tile' && JS_DTYPES.has(typeOf('T'))) return LAYOUT_OPS.tile;
  // tfjs's gather op refuses strings (tf.gather(class_names, argmax) label lookups).
  if (op === 'GatherV2' && (intOf('batch_dims') !== 0 || typeOf('Tparams') === 'DT_STRING')) return LAYOUT_OPS.gather;
  if ((op === 'Add' || op === 'AddV2') && typeOf('T') === 'DT_STRING') return STRING_ADD_OP;
  // tfjs's where refuses strings (StringLookup(invert=True) with a mask token, tf.where on labels).
  if (op === 'Select' && typeOf('T') === 'DT_STRING') return LAYOUT_OPS.select;
  // tfjs-backend-wasm's where gives wrong bools (tf.where(mask, a > 0, b > 0)); Select of bools runs select.ts.
  if (op === 'SelectV2' && (typeOf('T') === 'DT_STRING' || typeOf('T') === 'DT_BOOL')) return LAYOUT_OPS.selectV2;
  return undefined;
}
