/**
 * The one tensor type of tfs. REST (JSON), gRPC (TensorProto), batching and the
 * runtime all exchange `Tensor` values; codecs convert at the edges only.
 *
 * A Tensor is plain data: a dtype, a shape and a flat row-major value array whose
 * JS type is fixed by the dtype's `storage` (dtypes.ts):
 *
 * | storage     | data                | dtypes                          |
 * |-------------|---------------------|---------------------------------|
 * | float32     | Float32Array        | DT_FLOAT                        |
 * | float64     | Float64Array        | DT_DOUBLE                       |
 * | int32       | Int32Array          | DT_INT32                        |
 * | uint8       | Uint8Array          | DT_UINT8                        |
 * | int16/int8  | Int16Array/Int8Array| DT_INT16 / DT_INT8              |
 * | uint16      | Uint16Array         | DT_UINT16, DT_HALF, DT_BFLOAT16 (bit patterns) |
 * | uint32      | Uint32Array         | DT_UINT32                       |
 * | int64       | BigInt64Array       | DT_INT64                        |
 * | uint64      | BigUint64Array      | DT_UINT64                       |
 * | bool        | Uint8Array (0/1)    | DT_BOOL                         |
 * | bytes       | Uint8Array[]        | DT_STRING                       |
 * | complex64   | Float32Array (re,im interleaved, 2n) | DT_COMPLEX64   |
 * | complex128  | Float64Array (re,im interleaved, 2n) | DT_COMPLEX128  |
 */
import { type DTypeInfo, type DTypeName, mustDtype } from './dtypes.js';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int16Array
  | Int8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[];

export interface Tensor {
  readonly dtype: DTypeName;
  /** Dimensions; [] is a scalar. Always fully known (no -1) for a value tensor. */
  readonly shape: readonly number[];
  /** Flat row-major values; length = numElements(shape) (x2 for complex). */
  readonly data: TensorData;
}

/** One input or output of a signature, as the SignatureDef declares it. */
export interface TensorSpec {
  /** Graph tensor name, e.g. `x:0` (TensorInfo.name). */
  readonly name: string;
  /** Declared dtype (reference types resolved to their base type). */
  readonly dtype: DTypeName;
  /** Declared dims (-1 = unknown), or null for unknown rank. */
  readonly shape: readonly number[] | null;
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocate zero-filled storage for `n` elements of a dtype. */
export function allocData(dtype: DTypeName | DTypeInfo, n: number): TensorData {
  const info = typeof dtype === 'string' ? mustDtype(dtype) : dtype;
  switch (info.storage) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'bytes':
      return Array.from({ length: n }, () => new Uint8Array(0));
    case 'complex64':
      return new Float32Array(2 * n);
    case 'complex128':
      return new Float64Array(2 * n);
    case 'none':
      throw new Error(`dtype ${info.name} cannot hold values`);
  }
}

/** Build a tensor, checking that the data length matches the shape. */
export function makeTensor(dtype: DTypeName, shape: readonly number[], data: TensorData): Tensor {
  const info = mustDtype(dtype);
  const n = numElements(shape);
  const expected = info.storage === 'complex64' || info.storage === 'complex128' ? 2 * n : n;
  if (data.length !== expected) {
    throw new Error(`tensor of dtype ${dtype} and shape [${shape.join(',')}] needs ${expected} values, got ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** A zero-filled tensor. */
export function zeros(dtype: DTypeName, shape: readonly number[]): Tensor {
  return { dtype, shape: [...shape], data: allocData(dtype, numElements(shape)) };
}

/** `[2,3]` as upstream prints shapes in messages. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}

/** Half-precision (IEEE 754 binary16) bit pattern to number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 0x1f) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bit pattern to number (the high 16 bits of a float32). */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** number to bfloat16 bit pattern, round-to-nearest-even as TF does. */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if (Number.isNaN(x)) return 0x7fc0;
  const rounding = 0x7fff + ((bits >> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

/** number to half bit pattern, round-to-nearest-even. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
