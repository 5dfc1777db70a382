/**
 * The one dtype table of tfs, shared by the REST JSON codec, the TensorProto codec,
 * the batching scheduler, the TensorBundle reader and the runtime.
 *
 * Names are TensorFlow's `DataType` enum names (`DT_FLOAT`), numbers its enum values
 * (tensorflow/core/framework/types.proto). `short` is TF's `DataTypeString` name, which
 * upstream uses in error texts (`float`, `int64`, `string`, ...).
 */

export type DTypeName =
  | 'DT_FLOAT'
  | 'DT_DOUBLE'
  | 'DT_INT32'
  | 'DT_UINT8'
  | 'DT_INT16'
  | 'DT_INT8'
  | 'DT_STRING'
  | 'DT_COMPLEX64'
  | 'DT_INT64'
  | 'DT_BOOL'
  | 'DT_QINT8'
  | 'DT_QUINT8'
  | 'DT_QINT32'
  | 'DT_BFLOAT16'
  | 'DT_QINT16'
  | 'DT_QUINT16'
  | 'DT_UINT16'
  | 'DT_COMPLEX128'
  | 'DT_HALF'
  | 'DT_RESOURCE'
  | 'DT_VARIANT'
  | 'DT_UINT32'
  | 'DT_UINT64';

/** The JS storage used for a dtype's values in a {@link Tensor} (see tensor.ts). */
export type Storage =
  | 'float32' // Float32Array
  | 'float64' // Float64Array
  | 'int32' // Int32Array
  | 'uint8' // Uint8Array
  | 'int16' // Int16Array
  | 'int8' // Int8Array
  | 'uint16' // Uint16Array (also raw bit patterns of half / bfloat16)
  | 'uint32' // Uint32Array
  | 'int64' // BigInt64Array
  | 'uint64' // BigUint64Array
  | 'bool' // Uint8Array of 0/1
  | 'bytes' // Uint8Array[] (one byte string per element)
  | 'complex64' // Float32Array, interleaved re, im
  | 'complex128' // Float64Array, interleaved re, im
  | 'none'; // not representable as a value tensor (resource, variant, quantized)

/** Which repeated field of TensorProto carries the dtype's values (`*_val`). */
export type ProtoValField =
  | 'float_val'
  | 'double_val'
  | 'int_val'
  | 'string_val'
  | 'scomplex_val'
  | 'int64_val'
  | 'bool_val'
  | 'dcomplex_val'
  | 'half_val'
  | 'uint32_val'
  | 'uint64_val'
  | null;

export interface DTypeInfo {
  readonly name: DTypeName;
  /** tensorflow.DataType enum value. */
  readonly enum: number;
  /** TF's short name, as in `DataTypeString()` (used in upstream error texts). */
  readonly short: string;
  /** Bytes per element in tensor_content / TensorBundle (0 for strings and non-value types). */
  readonly byteSize: number;
  readonly storage: Storage;
  readonly protoField: ProtoValField;
  /** The tfjs dtype the runtime computes this dtype in, or null when tfjs cannot hold it. */
  readonly tfjs: 'float32' | 'int32' | 'bool' | 'string' | 'complex64' | null;
}

const T = (
  name: DTypeName,
  enumValue: number,
  short: string,
  byteSize: number,
  storage: Storage,
  protoField: ProtoValField,
  tfjs: DTypeInfo['tfjs'],
): DTypeInfo => Object.freeze({ name, enum: enumValue, short, byteSize, storage, protoField, tfjs });

/** All dtypes tfs knows, in enum order. */
export const DTYPES: readonly DTypeInfo[] = Object.freeze([
  T('DT_FLOAT', 1, 'float', 4, 'float32', 'float_val', 'float32'),
  T('DT_DOUBLE', 2, 'double', 8, 'float64', 'double_val', 'float32'),
  T('DT_INT32', 3, 'int32', 4, 'int32', 'int_val', 'int32'),
  T('DT_UINT8', 4, 'uint8', 1, 'uint8', 'int_val', 'int32'),
  T('DT_INT16', 5, 'int16', 2, 'int16', 'int_val', 'int32'),
  T('DT_INT8', 6, 'int8', 1, 'int8', 'int_val', 'int32'),
  T('DT_STRING', 7, 'string', 0, 'bytes', 'string_val', 'string'),
  T('DT_COMPLEX64', 8, 'complex64', 8, 'complex64', 'scomplex_val', 'complex64'),
  T('DT_INT64', 9, 'int64', 8, 'int64', 'int64_val', 'int32'),
  T('DT_BOOL', 10, 'bool', 1, 'bool', 'bool_val', 'bool'),
  T('DT_QINT8', 11, 'qint8', 1, 'none', 'int_val', null),
  T('DT_QUINT8', 12, 'quint8', 1, 'none', 'int_val', null),
  T('DT_QINT32', 13, 'qint32', 4, 'none', 'int_val', null),
  T('DT_BFLOAT16', 14, 'bfloat16', 2, 'uint16', 'half_val', 'float32'),
  T('DT_QINT16', 15, 'qint16', 2, 'none', 'int_val', null),
  T('DT_QUINT16', 16, 'quint16', 2, 'none', 'int_val', null),
  T('DT_UINT16', 17, 'uint16', 2, 'uint16', 'int_val', 'int32'),
  T('DT_COMPLEX128', 18, 'complex128', 16, 'complex128', 'dcomplex_val', 'complex64'),
  T('DT_HALF', 19, 'half', 2, 'uint16', 'half_val', 'float32'),
  T('DT_RESOURCE', 20, 'resource', 0, 'none', null, null),
  T('DT_VARIANT', 21, 'variant', 0, 'none', null, null),
  T('DT_UINT32', 22, 'uint32', 4, 'uint32', 'uint32_val', 'int32'),
  T('DT_UINT64', 23, 'uint64', 8, 'uint64', 'uint64_val', 'int32'),
]);

const BY_NAME = new Map<string, DTypeInfo>(DTYPES.map((d) => [d.name, d]));
const BY_ENUM = new Map<number, DTypeInfo>(DTYPES.map((d) => [d.enum, d]));

/** Offset of reference types (DT_FLOAT_REF = 101) in the DataType enum. */
export const REF_OFFSET = 100;

/**
 * Look up a dtype by enum number or name (`1`, `'DT_FLOAT'`, `'DT_FLOAT_REF'`, `101`).
 * Reference types resolve to their base type. Returns undefined for unknown values.
 */
export function dtypeInfo(d: number | string): DTypeInfo | undefined {
  if (typeof d === 'number') return BY_ENUM.get(d > REF_OFFSET ? d - REF_OFFSET : d);
  const name = d.endsWith('_REF') ? d.slice(0, -4) : d;
  return BY_NAME.get(name);
}

/** Like {@link dtypeInfo} but throws a plain Error for unknown dtypes (programming errors). */
export function mustDtype(d: number | string): DTypeInfo {
  const info = dtypeInfo(d);
  if (!info) throw new Error(`unknown dtype: ${String(d)}`);
  return info;
}
