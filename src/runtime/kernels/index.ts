/**
 * Every custom-kernel family, registered with tfjs-converter by `registerCustomOps` and
 * counted as supported by the load-time op check. A family is one file exporting one
 * `KernelEntry[]` table; list it here.
 */
import { HALF_KERNELS } from './half.js';
import { MOVE_KERNELS } from './moves.js';
import { PROBE2_KERNELS } from './probe2.js';
import { STITCH_KERNELS } from './stitch.js';
import { NARROW_INT_KERNELS } from './narrow-int.js';
import { GROUPED_CONV_KERNELS } from './grouped-conv.js';
import { POW_CONST_KERNELS } from './pow-const.js';
import { EINSUM_ELLIPSIS_OP, EINSUM_KERNELS, hasRepeatedLabel } from './einsum.js';
import { IMAGE_COLOR_KERNELS } from './image-color.js';
import { dtypeInfo } from '../../tensor/dtypes.js';
import type { AttrValueObject } from '../../savedmodel/proto-types.js';
import type { AttrJson } from '../graph-json.js';
import { RAGGED_KERNELS } from './ragged.js';
import { re2ToJs } from './regex.js';
import { SEGMENT_KERNELS } from './segments.js';
import { SPARSE_CROSS_KERNELS } from './sparse-cross.js';
import { STRING_KERNELS } from './strings.js';
import { TENSOR_KERNELS } from './tensor-ops.js';
import { EXAMPLE_KERNELS } from './example.js';
import { INT64_KERNELS } from './int64.js';
import { MATH_KERNELS } from './math.js';
import { RESOURCE_KERNELS } from './resources.js';
import { SEGMENT_SUM_KERNELS } from './segment-sum.js';
import { CASE_KERNELS } from './case.js';
import { TENSOR_ARRAY_KERNELS } from './tensor-array.js';
import { TENSOR_LIST_KERNELS } from './tensor-list.js';
import type { KernelEntry } from './types.js';
import { LAYOUT_KERNELS } from './layout.js';
import { CONV_KERNELS, DILATED_CONV2D_BACKPROP_INPUT_OP } from './conv.js';
import { IMAGE_DECODE_KERNELS } from './image-decode.js';
import { IMAGE_JPEG_KERNELS } from './image-jpeg.js';
import { CROP_AND_RESIZE_OP, IMAGE_RESIZE_KERNELS, RESIZE_BILINEAR_OP, RESIZE_NEAREST_OP } from './image-resize.js';
import { WIDE_MATH_KERNELS } from './wide.js';
import { WIDE_CAST_KERNELS } from './wide-cast.js';
import { NMS_KERNELS, NMS_V5_OP } from './nms.js';
import { COMPLEX_EXP_OP, COMPLEX_OP, COMPLEX_STRIDED_SLICE_OP, IRFFT_OP, RFFT_OP, SIGNAL_KERNELS } from './signal.js';
import { RANDOM_EXACT_OPS, RANDOM_KERNELS } from './random.js';
import { LINALG_EXACT_OPS, LINALG_KERNELS } from './linalg.js';
import { SPECIAL_KERNELS } from './special.js';
import { SELECT_KERNELS, SELECT_ROWS_OP } from './select.js';
import { DECODE_RAW_KERNELS } from './decode-raw.js';
import { DECODE_COMPRESSED_KERNELS } from './decode-compressed.js';
import { COMBINED_NMS_KERNELS } from './combined-nms.js';
import { IMAGE_TRANSFORM_KERNELS, PROJECTIVE_TRANSFORM_OP } from './image-transform.js';
import { SHAPE_N_KERNELS, SHAPE_N_OP } from './shape-n.js';
import { APPROX_TOPK_KERNELS } from './approx-topk.js';
import { WIDE_AS_STRING_KERNELS } from './wide-as-string.js';
import { AUDIO_KERNELS } from './audio.js';
import { SPARSE_OPS_KERNELS } from './sparse-ops.js';
import { NEXT_AFTER_KERNELS } from './next-after.js';
import { UNICODE_ENCODE_KERNELS } from './unicode-encode.js';
import { SET_OPS_KERNELS } from './set-ops.js';
import { DRAW_BOXES_KERNELS } from './draw-boxes.js';
import { SEQUENCE_EXAMPLE_KERNELS } from './sequence-example.js';
import { EXPLICIT_PAD_OPS, EXPLICIT_PADDING_KERNELS } from './explicit-padding.js';
import { EIGEN_EXP_KERNELS, EXP_OP } from './eigen-exp.js';
import { EIGEN_TANH_SIGMOID_KERNELS, SIGMOID_OP, TANH_OP } from './eigen-tanh-sigmoid.js';
import { EIGEN_LOG_KERNELS, LOG_OP } from './eigen-log.js';
import { EIGEN_ERF_KERNELS, ERF_OP } from './eigen-erf.js';
import { EIGEN_ELU_KERNELS, ELU_OP, SELU_OP } from './eigen-elu.js';
import { EIGEN_SOFTPLUS_KERNELS, SOFTPLUS_OP } from './eigen-softplus.js';
import { EIGEN_LOG1P_EXPM1_KERNELS, EXPM1_OP, LOG1P_OP } from './eigen-log1p-expm1.js';
import { GRAD_KERNELS } from './grad.js';
import { STRIDED_SLICE_KERNELS, STRIDED_SLICE_OP } from './strided-slice.js';
import { GRAD_SPATIAL_KERNELS } from './grad-spatial.js';

export const KERNEL_FAMILIES: ReadonlyArray<readonly KernelEntry[]> = [
  MATH_KERNELS,
  EXAMPLE_KERNELS,
  SEGMENT_SUM_KERNELS,
  INT64_KERNELS,
  RESOURCE_KERNELS,
  TENSOR_LIST_KERNELS,
  TENSOR_ARRAY_KERNELS,
  CASE_KERNELS,
  LAYOUT_KERNELS,
  STRING_KERNELS,
  RAGGED_KERNELS,
  SEGMENT_KERNELS,
  SPARSE_CROSS_KERNELS,
  TENSOR_KERNELS,
  CONV_KERNELS,
  IMAGE_DECODE_KERNELS,
  IMAGE_JPEG_KERNELS,
  IMAGE_RESIZE_KERNELS,
  WIDE_MATH_KERNELS,
  WIDE_CAST_KERNELS,
  HALF_KERNELS,
  MOVE_KERNELS,
  PROBE2_KERNELS,
  STITCH_KERNELS,
  NARROW_INT_KERNELS,
  GROUPED_CONV_KERNELS,
  POW_CONST_KERNELS,
  EINSUM_KERNELS,
  IMAGE_COLOR_KERNELS,
  SIGNAL_KERNELS,
  NMS_KERNELS,
  RANDOM_KERNELS,
  LINALG_KERNELS,
  SPECIAL_KERNELS,
  SELECT_KERNELS,
  DECODE_RAW_KERNELS,
  DECODE_COMPRESSED_KERNELS,
  COMBINED_NMS_KERNELS,
  IMAGE_TRANSFORM_KERNELS,
  SHAPE_N_KERNELS,
  AUDIO_KERNELS,
  SPARSE_OPS_KERNELS,
  NEXT_AFTER_KERNELS,
  UNICODE_ENCODE_KERNELS,
  SET_OPS_KERNELS,
  DRAW_BOXES_KERNELS,
  SEQUENCE_EXAMPLE_KERNELS,
  EXPLICIT_PADDING_KERNELS,
  EIGEN_EXP_KERNELS,
  EIGEN_TANH_SIGMOID_KERNELS,
  EIGEN_LOG_KERNELS,
  EIGEN_ERF_KERNELS,
  EIGEN_ELU_KERNELS,
  EIGEN_SOFTPLUS_KERNELS,
  EIGEN_LOG1P_EXPM1_KERNELS,
  GRAD_KERNELS,
  GRAD_SPATIAL_KERNELS,
  STRIDED_SLICE_KERNELS,
  APPROX_TOPK_KERNELS,
  WIDE_AS_STRING_KERNELS,
];

/** The TensorFlow op names the family tables implement. */
export const FAMILY_OPS: ReadonlySet<string> = new Set(KERNEL_FAMILIES.flatMap((f) => f.map((k) => k.op)));

/** Family ops whose kernels read and write exact 64-bit values (the freezer keeps their inputs and outputs wide). */
export const EXACT_FAMILY_OPS: ReadonlySet<string> = new Set([...RANDOM_EXACT_OPS, ...LINALG_EXACT_OPS]);

/**
 * Ops tfjs-converter maps itself but computes differently from TensorFlow: the freezer
 * renames them so tfjs runs the family kernel instead.
 */
export const KERNEL_OVERRIDES: ReadonlyMap<string, string> = new Map([
  ['StaticRegexReplace', '_TfsStaticRegexReplace'],
  ['TensorScatterUpdate', '_TfsTensorScatterUpdate'],
  ['BitwiseAnd', '_TfsBitwiseAnd'],
  ['EnsureShape', '_TfsEnsureShape'],
  ['FakeQuantWithMinMaxVars', '_TfsFakeQuantWithMinMaxVars'],
  ['RFFT', RFFT_OP],
  ['IRFFT', IRFFT_OP],
  ['Complex', COMPLEX_OP],
  ['NonMaxSuppressionV5', NMS_V5_OP],
  // tf.where broadcasts numpy-style; TF's legacy Select picks rows by a vector condition (select.ts).
  ['Select', SELECT_ROWS_OP],
  // tfjs cpu places samples in double (a float32 .5 tie rounds to the other row); image-resize.ts
  ['CropAndResize', CROP_AND_RESIZE_OP],
  // the same for ResizeBilinear's sample positions (tf.image.resize, Keras Resizing/UpSampling2D bilinear)
  ['ResizeBilinear', RESIZE_BILINEAR_OP],
  ['ResizeNearestNeighbor', RESIZE_NEAREST_OP],
  // tfjs reflects/wraps about other edges than TF and its cpu kernel fills every image after the first (image-transform.ts)
  ['ImageProjectiveTransformV3', PROJECTIVE_TRANSFORM_OP],
  // tfjs answers float32 shapes (shape-n.ts)
  ['ShapeN', SHAPE_N_OP],
]);

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Ops a family kernel runs only for some attrs: the renamed op when `tfAttr` fits, else
 * undefined (the op stays as it is, unsupported unless tfjs maps it).
 */
function attrOverride(op: string, tfAttr: Record<string, AttrValueObject> | undefined): string | undefined {
  const text = (name: string): string => Buffer.from(tfAttr?.[name]?.s ?? new Uint8Array(0)).toString('utf8');
  // an ellipsis or a label repeated within an input (kernels/einsum.ts)
  if (op === 'Einsum' && (text('equation').includes('...') || hasRepeatedLabel(text('equation')))) return EINSUM_ELLIPSIS_OP;
  // padding="EXPLICIT", which tfjs's kernels reject (kernels/explicit-padding.ts)
  if (op in EXPLICIT_PAD_OPS && text('padding') === 'EXPLICIT') return EXPLICIT_PAD_OPS[op];
  // tfjs ignores Conv2DBackpropInput's dilations (kernels/conv.ts)
  if (op === 'Conv2DBackpropInput' && (tfAttr?.['dilations']?.list?.i ?? []).some((v) => Number(v) !== 1)) return DILATED_CONV2D_BACKPROP_INPUT_OP;
  // tfjs's Exp refuses complex64 (tf.signal.dct and mfccs_from_log_mel_spectrograms build their twiddles with it)
  const complexT = String(dtypeInfo(tfAttr?.['T']?.type ?? '')?.name ?? '').startsWith('DT_COMPLEX');
  if (op === 'Exp' && complexT) return COMPLEX_EXP_OP;
  if (op === 'StridedSlice' && complexT) return COMPLEX_STRIDED_SLICE_OP;
  // tfjs reads the wrong elements of a slice with a new axis next to shrunk/reversed axes (kernels/strided-slice.ts)
  if (op === 'StridedSlice' && Number(tfAttr?.['new_axis_mask']?.i ?? 0) !== 0) return STRIDED_SLICE_OP;
  // float32 Exp through Eigen's polynomial, as TF's CPU kernel (kernels/eigen-exp.ts)
  const floatT = dtypeInfo(tfAttr?.['T']?.type ?? '')?.name === 'DT_FLOAT';
  if (op === 'Exp' && floatT) return EXP_OP;
  // float32 Tanh / Sigmoid through Eigen's rational approximations (kernels/eigen-tanh-sigmoid.ts)
  if (op === 'Tanh' && floatT) return TANH_OP;
  if (op === 'Sigmoid' && floatT) return SIGMOID_OP;
  // float32 Log through Eigen's plog_float (kernels/eigen-log.ts)
  if (op === 'Log' && floatT) return LOG_OP;
  // float32 Erf through Eigen's rational approximation (kernels/eigen-erf.ts)
  if (op === 'Erf' && floatT) return ERF_OP;
  // float32 Elu / Selu as exp(x) - 1 through Eigen's exp (kernels/eigen-elu.ts)
  if (op === 'Elu' && floatT) return ELU_OP;
  if (op === 'Selu' && floatT) return SELU_OP;
  // float32 Softplus through Eigen's exp and log1p (kernels/eigen-softplus.ts)
  if (op === 'Softplus' && floatT) return SOFTPLUS_OP;
  // float32 Log1p / Expm1 through Eigen's generic_log1p / generic_expm1 (kernels/eigen-log1p-expm1.ts)
  if (op === 'Log1p' && floatT) return LOG1P_OP;
  if (op === 'Expm1' && floatT) return EXPM1_OP;
  return undefined;
}

/**
 * The op name a family-kernel node gets in the frozen graph, and the attrs tfjs would
 * lose, added to `attr`: each dtype attr's real type as `_tfs_type_<name>` (tfjs JSON
 * turns int16/uint16/uint32/uint64 into DT_INT32) and each int attr's exact decimal
 * value(s) as `_tfs_int_<name>` (int64 beyond 2^53, e.g. hash keys). Throws (a TfsError)
 * for a constant regex pattern tfs cannot run exactly.
 */
export function familyNode(op: string, tfAttr: Record<string, AttrValueObject> | undefined, attr: Record<string, AttrJson>): string {
  const renamed = attrOverride(op, tfAttr) ?? KERNEL_OVERRIDES.get(op) ?? op;
  if (!FAMILY_OPS.has(renamed)) return op;
  for (const [k, a] of Object.entries(tfAttr ?? {})) {
    if (k.startsWith('_')) continue;
    if (a.type !== undefined) attr[`_tfs_type_${k}`] = { s: b64(dtypeInfo(a.type)?.name ?? String(a.type)) };
    if (a.i !== undefined) attr[`_tfs_int_${k}`] = { s: b64(String(a.i)) };
    if (a.list?.i && a.list.i.length > 0) attr[`_tfs_int_${k}`] = { s: b64(a.list.i.map(String).join(',')) };
  }
  // A constant RE2 pattern JS cannot run with the same meaning is refused at load.
  const pattern = attr['pattern']?.s;
  if (pattern !== undefined && (renamed === 'StaticRegexFullMatch' || renamed === '_TfsStaticRegexReplace')) {
    re2ToJs(Buffer.from(pattern, 'base64').toString('utf8'));
  }
  return renamed;
}
