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
