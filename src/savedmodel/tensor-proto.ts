/**
 * Decoding of `tensorflow.TensorProto` values stored inside a SavedModel (Const node
 * `value` attrs, `SignatureDef.defaults`) from the plain-object form of proto-types.ts
 * into the shared {@link Tensor}.
 *
 * Follows TF's `Tensor::FromProto`: `tensor_content` holds raw little-endian values when
 * set; otherwise the dtype's `*_val` field holds them, and a list shorter than the shape
 * needs is padded by repeating its last value (an empty list means zeros). half and
 * bfloat16 come from `half_val` bit patterns; int64 values are exact (numbers or decimal
 * strings, see proto-types.ts).
 */
import { Errors } from '../errors.js';
import { dtypeInfo } from '../tensor/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeTensorProto, type TensorProtoLike } from '../tensor/tensor-proto.js';
import type { TensorProtoObject, TensorShapeProtoObject } from './proto-types.js';

/** Dims of a TensorShapeProto (-1 for unknown), or null for unknown rank. Absent = scalar. */
export function shapeFromProto(shape: TensorShapeProtoObject | undefined): number[] | null {
  if (!shape) return [];
  if (shape.unknown_rank) return null;
  return (shape.dim ?? []).map((d) => Number(d.size ?? 0));
}

/**
 * Decode a TensorProto. `where` names the file and place for error messages
 * (e.g. `saved_model.pb: signature "serving_default" default for "x"`).
 *
 * The decoding itself is the shared TensorProto codec's (src/tensor/tensor-proto.ts, TF's
 * `Tensor::FromProto` rules); here its failures become model-file errors that say where.
 */
export function tensorFromProto(proto: TensorProtoObject, where: string): Tensor {
  const info = proto.dtype === undefined ? undefined : dtypeInfo(proto.dtype as string | number);
  if (info?.storage === 'none') {
    throw Errors.unsupportedModelFeature(where, `tensor of dtype ${info.name} cannot be loaded as a value`);
  }
  try {
    return decodeTensorProto(proto as TensorProtoLike);
  } catch (e) {
    throw Errors.corruptModelFile(where, e instanceof Error ? e.message : String(e));
  }
}
