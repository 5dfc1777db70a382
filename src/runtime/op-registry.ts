/**
 * What the runtime knows about TensorFlow ops: which ones tfjs-converter executes,
 * which ones tfs adds as custom ops, which ones the freezer rewrites away, and the
 * slices of TF's OpDefs (output-argument layouts, attribute defaults) needed to
 * flatten function bodies when the SavedModel's `stripped_op_list` does not carry them.
 */
import type { AttrValueObject } from '../savedmodel/proto-types.js';
import { FAMILY_OPS } from './kernels/index.js';

/**
 * Ops tfjs-converter 4.22.0 maps (the op lists its OperationMapper registers; the
 * `ragged` and `tfdf` lists ship in the package but are not registered).
 * test/runtime/op-registry.test.ts checks this list against the installed package.
 */
export const TFJS_OPS: ReadonlySet<string> = new Set(
  (
    'Abs Acos Acosh Add AddN AddV2 All Any ArgMax ArgMin Asin Asinh Atan Atan2 Atanh AvgPool AvgPool3D BatchMatMul ' +
    'BatchMatMulV2 BatchToSpaceND BiasAdd Bincount BitwiseAnd BroadcastArgs BroadcastTo Cast Ceil ClipByValue Complex ' +
    'ComplexAbs Concat ConcatV2 Const Conv1D Conv2D Conv2DBackpropInput Conv3D Cos Cosh CropAndResize Cumprod Cumsum ' +
    'DenseBincount DepthToSpace DepthwiseConv2d DepthwiseConv2dNative Dilation2D Div DivNoNan Einsum Elu EmptyTensorList ' +
    'EnsureShape Enter Equal Erf EuclideanNorm Exit Exp ExpandDims Expm1 FFT FakeQuantWithMinMaxVars Fill Floor FloorDiv ' +
    'FloorMod FusedBatchNorm FusedBatchNormV2 FusedBatchNormV3 FusedDepthwiseConv2dNative Gather GatherNd GatherV2 Greater ' +
    'GreaterEqual HashTable HashTableV2 IFFT IRFFT Identity IdentityN If Imag ImageProjectiveTransformV3 InitializeTable ' +
    'InitializeTableV2 IsFinite IsInf IsNan LRN LeakyRelu Less LessEqual LinSpace ListDiff Log Log1p LogSoftmax LogicalAnd ' +
    'LogicalNot LogicalOr LookupTableFind LookupTableFindV2 LookupTableImport LookupTableImportV2 LookupTableSize ' +
    'LookupTableSizeV2 LoopCond LowerBound MatMul MatrixBandPart Max MaxPool MaxPool3D MaxPoolWithArgmax Maximum Mean Merge ' +
    'Min Minimum MirrorPad Mod Mul Multinomial Neg NextIteration NoOp NonMaxSuppressionV2 NonMaxSuppressionV3 ' +
    'NonMaxSuppressionV4 NonMaxSuppressionV5 NotEqual OneHot Ones OnesLike Pack Pad PadV2 Placeholder PlaceholderWithDefault ' +
    'Pow Prelu Print Prod RFFT RandomStandardNormal RandomUniform RandomUniformInt Range Rank Real RealDiv Reciprocal Relu ' +
    'Relu6 Reshape ResizeBilinear ResizeNearestNeighbor Reverse ReverseV2 Round Rsqrt ScatterNd Select SelectV2 Selu Shape ' +
    'ShapeN Sigmoid Sign Sin Sinh Size Slice Snapshot Softmax Softplus SpaceToBatchND SparseFillEmptyRows SparseReshape ' +
    'SparseSegmentMean SparseSegmentSum SparseToDense Split SplitV Sqrt Square SquaredDifference Squeeze StatelessIf ' +
    'StatelessWhile StaticRegexReplace StopGradient StridedSlice StringNGrams StringSplit StringToHashBucketFast Sub Sum ' +
    'Switch Tan Tanh TensorArrayCloseV3 TensorArrayConcatV3 TensorArrayGatherV3 TensorArrayReadV3 TensorArrayScatterV3 ' +
    'TensorArraySizeV3 TensorArraySplitV3 TensorArrayV3 TensorArrayWriteV3 TensorListConcat TensorListConcatV2 ' +
    'TensorListFromTensor TensorListGather TensorListGetItem TensorListLength TensorListPopBack TensorListPushBack ' +
    'TensorListReserve TensorListResize TensorListScatter TensorListScatterV2 TensorListSetItem TensorListSplit ' +
    'TensorListStack TensorScatterUpdate Tile TopKV2 Transpose TruncatedNormal Unique UniqueV2 Unpack UpperBound Where ' +
    'While Zeros ZerosLike _FusedConv2D _FusedMatMul'
  ).split(' '),
);

/** tfs's own op names all start with this; TensorFlow reserves leading underscores. */
export const TFS_OP_PREFIX = '_Tfs';

/**
 * TF ops tfs executes with its own `tf.registerOp` kernels, by their TensorFlow names:
 * every op of the kernel family tables (kernels/) except tfs's own `_Tfs*` ops (those the
 * freezer emits itself, and TF ops it renames so that tfjs-converter's built-in is bypassed). Graph
 * plumbing the freezer rewrites away (calls, variables, tables, debug ops) is handled in
 * freeze/ and never reaches tfjs under its TF name.
 */
export const CUSTOM_TF_OPS: ReadonlySet<string> = new Set([...FAMILY_OPS].filter((op) => !op.startsWith(TFS_OP_PREFIX)));

/** Function-call ops: their `f` attr names a library function that is inlined. */
export const CALL_OPS: ReadonlySet<string> = new Set(['StatefulPartitionedCall', 'PartitionedCall']);

/** Variable writes the runtime supports on live (mutable) variables. */
export const VARIABLE_WRITE_OPS: ReadonlySet<string> = new Set([
  'AssignVariableOp',
  'AssignAddVariableOp',
  'AssignSubVariableOp',
  'Assign',
  'AssignAdd',
  'AssignSub',
  'ApplyGradientDescent',
  'ResourceApplyGradientDescent',
]);

/** Table initializers (run once at load). */
export const TABLE_INIT_OPS: ReadonlySet<string> = new Set([
  'InitializeTableV2',
  'InitializeTable',
  'LookupTableImportV2',
  'LookupTableImport',
  'InitializeTableFromTextFileV2',
  'InitializeTableFromTextFile',
]);

/**
 * Ops whose presence makes tfjs-converter require `executeAsync` (control flow, ops with
 * data-dependent output shapes, hash tables). Mirrors model_analysis.ts in tfjs-converter.
 */
export const ASYNC_OPS: ReadonlySet<string> = new Set([
  'Switch',
  'Merge',
  'Enter',
  'Exit',
  'NextIteration',
  'StatelessIf',
  'StatelessWhile',
  'If',
  'While',
  '_TfsCase', // kernels/case.ts: runs a branch function
  'NonMaxSuppressionV2',
  'NonMaxSuppressionV3',
  'NonMaxSuppressionV4',
  'NonMaxSuppressionV5',
  'Where',
  'HashTable',
  'HashTableV2',
  'LookupTableImport',
  'LookupTableImportV2',
  'LookupTableFind',
  'LookupTableFindV2',
  'LookupTableSize',
  'LookupTableSizeV2',
]);

/** Ops whose kernels need complex numbers, which the wasm backend cannot hold. */
export const COMPLEX_OPS: ReadonlySet<string> = new Set(['FFT', 'IFFT', 'RFFT', 'IRFFT', 'Complex', 'Real', 'Imag', 'ComplexAbs', '_TfsRFFT', '_TfsIRFFT', '_TfsComplex', '_TfsComplexExp', '_TfsComplexStridedSlice']);

/** One output argument of an op: a single tensor, or a list sized by an attr. */
export interface OutputArgLayout {
  readonly name: string;
  /** Int attr giving the list length (`N`, `num_split`...). */
  readonly numberAttr?: string;
  /** list(type) attr whose length is the list length (`Tout`, `Tdense`...). */
  readonly typeListAttr?: string;
}

const arg = (name: string, numberAttr?: string, typeListAttr?: string): OutputArgLayout =>
  numberAttr ? { name, numberAttr } : typeListAttr ? { name, typeListAttr } : { name };

/**
 * Output layouts of the multi-argument ops that commonly appear in function bodies.
 * Ops with a single output argument need no entry: `node:anyname:k` is flat index k.
 */
export const BUILTIN_OUTPUT_LAYOUTS: ReadonlyMap<string, readonly OutputArgLayout[]> = new Map<
  string,
  readonly OutputArgLayout[]
>([
  ['Switch', [arg('output_false'), arg('output_true')]],
  ['RefSwitch', [arg('output_false'), arg('output_true')]],
  ['Merge', [arg('output'), arg('value_index')]],
  ['RefMerge', [arg('output'), arg('value_index')]],
  ['TopKV2', [arg('values'), arg('indices')]],
  ['TopK', [arg('values'), arg('indices')]],
  ['ApproxTopK', [arg('values'), arg('indices')]],
  ['Unique', [arg('y'), arg('idx')]],
  ['UniqueV2', [arg('y'), arg('idx')]],
  ['UniqueWithCounts', [arg('y'), arg('idx'), arg('count')]],
  ['FusedBatchNorm', ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'].map((n) => arg(n))],
  ['FusedBatchNormV2', ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'].map((n) => arg(n))],
  [
    'FusedBatchNormV3',
    ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'].map((n) => arg(n)),
  ],
  ['MaxPoolWithArgmax', [arg('output'), arg('argmax')]],
  ['NonMaxSuppressionV4', [arg('selected_indices'), arg('valid_outputs')]],
  ['NonMaxSuppressionV5', [arg('selected_indices'), arg('selected_scores'), arg('valid_outputs')]],
  [
    'ParseExample',
    [
      arg('sparse_indices', 'Nsparse'),
      arg('sparse_values', undefined, 'sparse_types'),
      arg('sparse_shapes', 'Nsparse'),
      arg('dense_values', undefined, 'Tdense'),
    ],
  ],
  [
    'ParseExampleV2',
    [
      arg('sparse_indices', 'num_sparse'),
      arg('sparse_values', undefined, 'sparse_types'),
      arg('sparse_shapes', 'num_sparse'),
      arg('dense_values', undefined, 'Tdense'),
      arg('ragged_values', undefined, 'ragged_value_types'),
      arg('ragged_row_splits', undefined, 'ragged_split_types'),
    ],
  ],
  [
    'ParseSingleExample',
    [
      arg('sparse_indices', 'num_sparse'),
      arg('sparse_values', undefined, 'sparse_types'),
      arg('sparse_shapes', 'num_sparse'),
      arg('dense_values', undefined, 'Tdense'),
    ],
  ],
  ['BroadcastGradientArgs', [arg('r0'), arg('r1')]],
  ['SparseFillEmptyRows', ['output_indices', 'output_values', 'empty_row_indicator', 'reverse_index_map'].map((n) => arg(n))],
  ['SparseReshape', [arg('output_indices'), arg('output_shape')]],
  ['StringSplit', [arg('indices'), arg('values'), arg('shape')]],
  ['StringSplitV2', [arg('indices'), arg('values'), arg('shape')]],
  ['StringNGrams', [arg('ngrams'), arg('ngrams_splits')]],
  ['ListDiff', [arg('out'), arg('idx')]],
  ['TensorArrayV3', [arg('handle'), arg('flow')]],
  ['TensorArrayGradV3', [arg('grad_handle'), arg('flow_out')]],
  ['TensorArrayConcatV3', [arg('value'), arg('lengths')]],
  ['TensorListPopBack', [arg('output_handle'), arg('tensor')]],
  ['TensorListConcat', [arg('tensor'), arg('lengths')]],
  ['TensorListConcatV2', [arg('tensor'), arg('lengths')]],
  ['LookupTableExportV2', [arg('keys'), arg('values')]],
  ['SelfAdjointEigV2', [arg('e'), arg('v')]],
  ['Qr', [arg('q'), arg('r')]],
  ['Svd', [arg('s'), arg('u'), arg('v')]],
  ['SparseSlice', [arg('output_indices'), arg('output_values'), arg('output_shape')]],
  ['SparseConcat', [arg('output_indices'), arg('output_values'), arg('output_shape')]],
  ['SparseCross', [arg('output_indices'), arg('output_values'), arg('output_shape')]],
  ['SparseAdd', [arg('sum_indices'), arg('sum_values'), arg('sum_shape')]],
  [
    'SparseSplit',
    [arg('output_indices', 'num_split'), arg('output_values', 'num_split'), arg('output_shape', 'num_split')],
  ],
  ['RaggedGather', [arg('output_nested_splits', 'OUTPUT_RAGGED_RANK'), arg('output_dense_values')]],
  ['RaggedRange', [arg('rt_nested_splits'), arg('rt_dense_values')]],
  ['RaggedTensorFromVariant', [arg('output_nested_splits', 'output_ragged_rank'), arg('output_dense_values')]],
  ['DecodeWav', [arg('audio'), arg('sample_rate')]],
  ['CudnnRNN', ['output', 'output_h', 'output_c', 'reserve_space'].map((n) => arg(n))],
  ['CudnnRNNV3', ['output', 'output_h', 'output_c', 'reserve_space', 'host_reserved'].map((n) => arg(n))],
]);

const list = (xs: number[]): AttrValueObject => ({
  list: { s: [], i: xs, f: [], b: [], type: [], shape: [], tensor: [], func: [] },
});
const s = (text: string): AttrValueObject => ({ s: new TextEncoder().encode(text) });
const NHWC = s('NHWC');

/**
 * TF's default values for attributes of common ops. TF2 exports strip attributes equal
 * to their default (`stripped_default_attrs`), and older exports list only the main
 * graph's ops in `stripped_op_list`, so function-body nodes can lack attributes whose
 * tfjs default differs from TF's (FusedBatchNorm epsilon is 0.0001 in TF, 0.001 in tfjs).
 */
export const BUILTIN_ATTR_DEFAULTS: ReadonlyMap<string, Readonly<Record<string, AttrValueObject>>> = new Map<
  string,
  Record<string, AttrValueObject>
>([
  ['FusedBatchNorm', { epsilon: { f: 0.0001 }, data_format: NHWC, is_training: { b: true } }],
  ['FusedBatchNormV2', { epsilon: { f: 0.0001 }, data_format: NHWC, is_training: { b: true } }],
  ['FusedBatchNormV3', { epsilon: { f: 0.0001 }, data_format: NHWC, is_training: { b: true } }],
  ['Conv2D', { data_format: NHWC, dilations: list([1, 1, 1, 1]), explicit_paddings: list([]) }],
  ['Conv2DBackpropInput', { data_format: NHWC, dilations: list([1, 1, 1, 1]), explicit_paddings: list([]) }],
  ['DepthwiseConv2dNative', { data_format: NHWC, dilations: list([1, 1, 1, 1]), explicit_paddings: list([]) }],
  ['Conv3D', { data_format: s('NDHWC'), dilations: list([1, 1, 1, 1, 1]) }],
  ['MaxPool', { data_format: NHWC }],
  ['AvgPool', { data_format: NHWC }],
  ['BiasAdd', { data_format: NHWC }],
  ['DepthToSpace', { data_format: NHWC }],
  ['MatMul', { transpose_a: { b: false }, transpose_b: { b: false } }],
  ['BatchMatMul', { adj_x: { b: false }, adj_y: { b: false } }],
  ['BatchMatMulV2', { adj_x: { b: false }, adj_y: { b: false } }],
  ['BatchMatMulV3', { adj_x: { b: false }, adj_y: { b: false } }],
  ['Mean', { keep_dims: { b: false } }],
  ['Sum', { keep_dims: { b: false } }],
  ['Max', { keep_dims: { b: false } }],
  ['Min', { keep_dims: { b: false } }],
  ['Prod', { keep_dims: { b: false } }],
  ['All', { keep_dims: { b: false } }],
  ['Any', { keep_dims: { b: false } }],
  ['EuclideanNorm', { keep_dims: { b: false } }],
  ['Cast', { Truncate: { b: false } }],
  [
    'StridedSlice',
    {
      begin_mask: { i: 0 },
      end_mask: { i: 0 },
      ellipsis_mask: { i: 0 },
      new_axis_mask: { i: 0 },
      shrink_axis_mask: { i: 0 },
    },
  ],
  ['GatherV2', { batch_dims: { i: 0 } }],
  ['LeakyRelu', { alpha: { f: 0.2 } }],
  ['Squeeze', { squeeze_dims: list([]) }],
  ['Pack', { axis: { i: 0 } }],
  ['Unpack', { axis: { i: 0 } }],
  ['Cumsum', { exclusive: { b: false }, reverse: { b: false } }],
  ['Cumprod', { exclusive: { b: false }, reverse: { b: false } }],
  ['ResizeBilinear', { align_corners: { b: false }, half_pixel_centers: { b: false } }],
  ['ResizeNearestNeighbor', { align_corners: { b: false }, half_pixel_centers: { b: false } }],
  ['TopKV2', { sorted: { b: true } }],
  ['OneHot', { axis: { i: -1 } }],
  ['ArgMax', { output_type: { type: 'DT_INT64' } }],
  ['ArgMin', { output_type: { type: 'DT_INT64' } }],
  ['Shape', { out_type: { type: 'DT_INT32' } }],
  ['Unique', { out_idx: { type: 'DT_INT32' } }],
  ['NonMaxSuppressionV4', { pad_to_max_output_size: { b: false } }],
  ['NonMaxSuppressionV5', { pad_to_max_output_size: { b: false } }],
  ['MirrorPad', {}],
  ['LRN', { depth_radius: { i: 5 }, bias: { f: 1 }, alpha: { f: 1 }, beta: { f: 0.5 } }],
  ['Einsum', {}],
  ['SpaceToBatchND', {}],
  ['CropAndResize', { method: s('bilinear'), extrapolation_value: { f: 0 } }],
]);

/** Output layout of an op from an OpDef (stripped_op_list) or a function signature. */
export function layoutFromOpDef(def: {
  readonly output_arg?: readonly { readonly name?: string; readonly number_attr?: string; readonly type_list_attr?: string }[];
}): OutputArgLayout[] {
  return (def.output_arg ?? []).map((a) => {
    const name = a.name ?? '';
    if (a.number_attr) return { name, numberAttr: a.number_attr };
    if (a.type_list_attr) return { name, typeListAttr: a.type_list_attr };
    return { name };
  });
}
