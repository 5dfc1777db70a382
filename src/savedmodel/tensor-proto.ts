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
import { type DTypeInfo, dtypeInfo } from '../tensor/dtypes.js';
import { type Tensor, type TensorData, allocData, numElements } from '../tensor/tensor.js';
import type { Int64, TensorProtoObject, TensorShapeProtoObject } from './proto-types.js';

/** Dims of a TensorShapeProto (-1 for unknown), or null for unknown rank. Absent = scalar. */
export function shapeFromProto(shape: TensorShapeProtoObject | undefined): number[] | null {
  if (!shape) return [];
  if (shape.unknown_rank) return null;
  return (shape.dim ?? []).map((d) => Number(d.size ?? 0));
}

function toBigInt(v: Int64 | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/**
 * Decode a TensorProto. `where` names the file and place for error messages
 * (e.g. `saved_model.pb: signature "serving_default" default for "x"`).
 */
export function tensorFromProto(proto: TensorProtoObject, where: string): Tensor {
  const bad = (what: string): never => {
    throw Errors.corruptModelFile(where, what);
  };
  const info: DTypeInfo | undefined = proto.dtype === undefined ? undefined : dtypeInfo(proto.dtype as string | number);
  if (!info) return bad(`tensor has dtype ${String(proto.dtype ?? 'DT_INVALID')}, which tfs does not know`);
  if (info.storage === 'none') {
    throw Errors.unsupportedModelFeature(where, `tensor of dtype ${info.name} cannot be loaded as a value`);
  }
  const shape = shapeFromProto(proto.tensor_shape);
  if (shape === null || shape.some((d) => d < 0)) return bad(`tensor has a partially known shape`);
  const n = numElements(shape);
  const content = proto.tensor_content;
  if (content && content.length > 0) {
    if (info.storage === 'bytes') return bad('string tensor with tensor_content');
    const expected = n * info.byteSize;
    if (content.length !== expected) {
      return bad(`tensor_content of ${content.length} bytes for ${info.short} shape [${shape.join(',')}] (needs ${expected})`);
    }
    // Copy into a fresh buffer: typed arrays need aligned offsets.
    const copy = new Uint8Array(new ArrayBuffer(content.length));
    copy.set(content);
    return { dtype: info.name, shape, data: viewAs(info, copy.buffer as ArrayBuffer, n) };
  }
  const data = allocData(info, n);
  const fill = <V>(vals: readonly V[] | undefined, per: number, set: (i: number, v: V) => void): void => {
    const list = vals ?? [];
    const count = list.length / per;
    if (count > n) bad(`tensor has ${count} values for shape [${shape.join(',')}] (${n} elements)`);
    if (count === 0) return; // zeros
    for (let i = 0; i < n * per; i++) {
      const src = i < list.length ? i : list.length - per + (i % per);
      set(i, list[src]!);
    }
  };
  switch (info.storage) {
    case 'float32':
    case 'float64':
      fill(info.storage === 'float32' ? proto.float_val : proto.double_val, 1, (i, v) => ((data as Float32Array)[i] = v));
      break;
    case 'complex64':
    case 'complex128':
      fill(info.storage === 'complex64' ? proto.scomplex_val : proto.dcomplex_val, 2, (i, v) => ((data as Float32Array)[i] = v));
      break;
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
      fill(proto.int_val, 1, (i, v) => ((data as Int32Array)[i] = v));
      break;
    case 'uint16':
      // DT_UINT16 uses int_val; half and bfloat16 keep their bit patterns in half_val.
      fill(info.name === 'DT_UINT16' ? proto.int_val : proto.half_val, 1, (i, v) => ((data as Uint16Array)[i] = v));
      break;
    case 'uint32':
      fill(proto.uint32_val, 1, (i, v) => ((data as Uint32Array)[i] = v));
      break;
    case 'int64':
      fill(proto.int64_val, 1, (i, v) => ((data as BigInt64Array)[i] = BigInt.asIntN(64, toBigInt(v))));
      break;
    case 'uint64':
      fill(proto.uint64_val, 1, (i, v) => ((data as BigUint64Array)[i] = BigInt.asUintN(64, toBigInt(v))));
      break;
    case 'bool':
      fill(proto.bool_val, 1, (i, v) => ((data as Uint8Array)[i] = v ? 1 : 0));
      break;
    case 'bytes':
      fill(proto.string_val, 1, (i, v) => ((data as Uint8Array[])[i] = v));
      break;
  }
  return { dtype: info.name, shape, data };
}

function viewAs(info: DTypeInfo, buf: ArrayBuffer, n: number): TensorData {
  switch (info.storage) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'uint8':
      return new Uint8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'uint64':
      return new BigUint64Array(buf, 0, n);
    case 'bool': {
      const b = new Uint8Array(buf, 0, n);
      for (let i = 0; i < n; i++) b[i] = b[i] ? 1 : 0;
      return b;
    }
    case 'complex64':
      return new Float32Array(buf, 0, 2 * n);
    case 'complex128':
      return new Float64Array(buf, 0, 2 * n);
    case 'bytes':
    case 'none':
      throw new Error(`viewAs: ${info.name} has no raw layout`);
  }
}
