/**
 * The TensorProto codec: `tensorflow.TensorProto` ↔ {@link Tensor}, shared by gRPC,
 * warmup replay and request logging.
 *
 * Decoding follows TensorFlow's `Tensor::FromProto` (tensor.cc), which is what
 * tensorflow_model_server applies to every request tensor:
 *  - the element count comes from `tensor_shape` (no unknown rank, no negative dims);
 *  - a non-empty `tensor_content` must hold exactly that many packed little-endian values
 *    (DT_STRING: TF's string-list encoding, all varint32 lengths then all bytes);
 *  - an empty tensor (a zero dim) ignores any values;
 *  - otherwise the dtype's typed field (`float_val`, `int_val`, ... see dtypes.ts) is read:
 *    extra values are ignored, fewer values are padded by repeating the last one, and
 *    no values at all give zeros (empty strings for DT_STRING);
 *  - a proto that cannot be decoded gives INVALID_ARGUMENT `tensor parsing error: <alias>`.
 *
 * Encoding follows `Tensor::AsProtoField` (typed `*_val` fields, the default for Predict
 * responses) and `Tensor::AsProtoTensorContent` (`--enable_serialization_as_tensor_content`).
 *
 * Inputs are accepted in any of the shapes protobufjs produces for our Root (keepCase):
 * decoded message instances (int64 as Long, enums as numbers, bytes as Buffer) and
 * `toObject` plain objects (int64 as strings or numbers, enums as names, bytes as
 * Uint8Array or base64 strings). Decoded tensors own their memory: they never alias the
 * proto's bytes, so a runtime may transfer or mutate them.
 *
 * The codec assumes a little-endian host (every platform Node ships for): tensor_content
 * and the packed float/double wire formats are little-endian and are copied as bytes.
 */
import protobuf from 'protobufjs';
import { Errors } from '../errors.js';
import { type DTypeInfo, type DTypeName, REF_OFFSET, dtypeInfo } from './dtypes.js';
import { type Tensor, type TensorData, allocData } from './tensor.js';
import type { RequestBudget } from './limits.js';

/** An int64 as protobufjs hands it over: number, decimal string, Long-like object, or bigint. */
export type Int64Like = number | string | bigint | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

/** `tensorflow.TensorShapeProto` in decoded or plain-object form. */
export interface TensorShapeProtoLike {
  readonly dim?: ReadonlyArray<{ readonly size?: Int64Like | null; readonly name?: string | null }> | null;
  readonly unknown_rank?: boolean | null;
}

/** Bytes in decoded form (Uint8Array/Buffer), JSON/toObject(bytes: String) form (base64), or a number array. */
export type BytesLike = Uint8Array | string | readonly number[];

/** `tensorflow.TensorProto` in decoded-message or plain-object form (snake_case field names). */
export interface TensorProtoLike {
  readonly dtype?: number | string | null;
  readonly tensor_shape?: TensorShapeProtoLike | null;
  readonly version_number?: number | null;
  readonly tensor_content?: BytesLike | null;
  readonly float_val?: ArrayLike<number> | null;
  readonly double_val?: ArrayLike<number> | null;
  readonly int_val?: ArrayLike<number> | null;
  readonly string_val?: ArrayLike<BytesLike> | null;
  readonly scomplex_val?: ArrayLike<number> | null;
  readonly int64_val?: ArrayLike<Int64Like> | null;
  readonly bool_val?: ArrayLike<boolean | number> | null;
  readonly dcomplex_val?: ArrayLike<number> | null;
  readonly half_val?: ArrayLike<number> | null;
  readonly uint32_val?: ArrayLike<number> | null;
  readonly uint64_val?: ArrayLike<Int64Like> | null;
  readonly resource_handle_val?: ArrayLike<unknown> | null;
  readonly variant_val?: ArrayLike<unknown> | null;
}

/** A TensorProto as a plain object, ready for protobufjs `fromObject`/`encode` (snake_case, int64 as strings). */
export interface TensorProtoObject {
  dtype: DTypeName;
  tensor_shape: { dim: { size: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  string_val?: Uint8Array[];
  scomplex_val?: number[];
  int64_val?: string[];
  bool_val?: boolean[];
  dcomplex_val?: number[];
  half_val?: number[];
  uint32_val?: number[];
  uint64_val?: string[];
}

export interface TensorEncodeOptions {
  /**
   * Write values into `tensor_content` (TF `AsProtoTensorContent`, what
   * `--enable_serialization_as_tensor_content` selects) instead of the typed `*_val`
   * field (TF `AsProtoField`, upstream's default for responses).
   */
  readonly asTensorContent?: boolean;
}

/** TF's TensorShape limit on the number of dimensions. */
export const MAX_DIMS = 254;

/**
 * The largest tensor tfs materialises from one proto, in bytes (strings count one byte per
 * element). A typed field broadcasts a single value to the whole shape, so a tiny request
 * can ask for an enormous tensor; TensorFlow would try to allocate it, tfs refuses it with
 * the parsing error instead of exhausting memory. Equal to the gRPC message limit.
 */
export const MAX_DECODED_TENSOR_BYTES = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/** Thrown inside the decoder; mapped to the one upstream error at the boundary. */
class ParseFailure extends Error {}

const fail = (why: string): never => {
  throw new ParseFailure(why);
};

/** An int64 in any protobufjs form as a JS number (exact up to 2^53). */
export function int64ToNumber(v: Int64Like | null | undefined): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string': {
      const s = v.trim();
      if (!/^[+-]?\d+$/.test(s)) fail(`not an integer: ${v}`);
      return Number(s);
    }
    default:
      // Long-like: signed unless flagged unsigned.
      return v.unsigned ? (v.high >>> 0) * 4294967296 + (v.low >>> 0) : (v.high | 0) * 4294967296 + (v.low >>> 0);
  }
}

/** An int64 in any protobufjs form as a bigint (exact). */
export function int64ToBigInt(v: Int64Like | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      if (!Number.isFinite(v)) fail(`not an integer: ${v}`);
      return BigInt(Math.trunc(v));
    case 'string':
      try {
        return BigInt(v.trim());
      } catch {
        return fail(`not an integer: ${v}`);
      }
    default: {
      // Long-like: signed unless flagged unsigned (as int64ToNumber).
      const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
      return v.unsigned ? bits : BigInt.asIntN(64, bits);
    }
  }
}

function isLongLike(v: unknown): v is { low: number; high: number } {
  return typeof v === 'object' && v !== null && typeof (v as { low?: unknown }).low === 'number';
}

/** A fresh Uint8Array with the bytes of `b` (Buffer#slice would be a view, not a copy). */
function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function bytesOf(b: BytesLike | null | undefined): Uint8Array {
  if (b === null || b === undefined) return new Uint8Array(0);
  if (typeof b === 'string') return new Uint8Array(Buffer.from(b, 'base64'));
  if (b instanceof Uint8Array) return b;
  return Uint8Array.from(b);
}

/** The dims of a TensorShapeProto, validated as TF's `TensorShape::IsValid` does. */
export function requestShapeFromProto(shape: TensorShapeProtoLike | null | undefined): number[] {
  if (!shape) return [];
  if (shape.unknown_rank) fail('unknown rank');
  const dims = shape.dim ?? [];
  if (dims.length > MAX_DIMS) fail(`more than ${MAX_DIMS} dimensions`);
  const out = new Array<number>(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const size = int64ToNumber(dims[i]?.size);
    if (size < 0 || !Number.isSafeInteger(size)) fail(`bad dimension ${size}`);
    out[i] = size;
  }
  return out;
}

/** The dtype of a TensorProto if it is one tfs can hold values of, else undefined. */
function valueDtype(dtype: number | string | null | undefined): DTypeInfo | undefined {
  if (dtype === null || dtype === undefined) return undefined;
  // Reference dtypes never appear in a valid value tensor.
  if (typeof dtype === 'number' ? dtype > REF_OFFSET : dtype.endsWith('_REF')) return undefined;
  const info = dtypeInfo(dtype);
  if (!info || info.storage === 'none') return undefined;
  return info;
}

/**
 * TensorFlow's `FromProtoField` fill rule for numeric typed arrays: copy up to `n`
 * values, repeat the last one when there are fewer, zeros when there are none.
 * `group` > 1 treats `group` consecutive values as one element (complex re/im pairs).
 */
function fillNumeric(
  dst: Float32Array | Float64Array | Int32Array | Uint8Array | Int16Array | Int8Array | Uint16Array | Uint32Array,
  src: ArrayLike<number> | null | undefined,
  group = 1,
): void {
  const want = dst.length;
  const have = src ? src.length - (src.length % group) : 0;
  if (have === 0 || !src) return; // allocData already zero-filled
  const m = Math.min(have, want);
  // TypedArray#set converts (and wraps for narrow integer types) in native code.
  if (ArrayBuffer.isView(src)) dst.set((src as unknown as Float64Array).subarray(0, m));
  else dst.set(src.length === m ? src : (Array.prototype.slice.call(src, 0, m) as number[]));
  if (m === want) return;
  if (group === 1) dst.fill(dst[m - 1]!, m);
  else for (let i = m; i < want; i += group) dst.copyWithin(i, m - group, m);
}

function fillInt64(dst: BigInt64Array | BigUint64Array, src: ArrayLike<Int64Like> | null | undefined): void {
  const want = dst.length;
  const have = src ? src.length : 0;
  if (have === 0 || !src) return;
  const m = Math.min(want, have);
  // Long-like values (decoded messages) are copied as 32-bit halves: no BigInt arithmetic.
  const halves = new Int32Array(dst.buffer, dst.byteOffset, dst.length * 2);
  for (let i = 0; i < m; i++) {
    const v = src[i]!;
    if (isLongLike(v)) {
      halves[2 * i] = v.low | 0;
      halves[2 * i + 1] = v.high | 0;
    } else {
      const b = int64ToBigInt(v);
      if (dst instanceof BigInt64Array) dst[i] = BigInt.asIntN(64, b);
      else dst[i] = BigInt.asUintN(64, b);
    }
  }
  if (m < want) dst.fill(dst[m - 1]!, m);
}

function decodeStringList(content: Uint8Array, n: number): Uint8Array[] {
  // TF's EncodeStringList: n varint32 lengths, then the bytes of every string.
  const sizes = new Array<number>(n);
  let pos = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= content.length || shift > 28) return fail('bad string list');
      const b = content[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if (v > 0xffffffff) fail('bad string length');
    sizes[i] = v;
    total += v;
  }
  if (total !== content.length - pos) fail('string list length mismatch');
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const len = sizes[i]!;
    out[i] = copyBytes(content.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

/**
 * Where a decoded tensor_content's values go: a typed array of `info`'s storage with `n`
 * elements (any contents: every byte is overwritten). The gRPC Predict path passes one that
 * hands out arrays of earlier requests (src/server/grpc/tensor-pool.ts) instead of a fresh
 * 400 KB allocation per call, which V8 pays for in full collections.
 */
export type ContentAlloc = (info: DTypeInfo, n: number) => Exclude<TensorData, Uint8Array[]>;

function decodeContent(info: DTypeInfo, content: Uint8Array, n: number, alloc: ContentAlloc | undefined): TensorData {
  if (info.storage === 'bytes') return decodeStringList(content, n);
  const expected = n * info.byteSize;
  if (content.length !== expected) fail(`tensor_content has ${content.length} bytes, expected ${expected}`);
  const data = alloc ? alloc(info, n) : allocData(info, n);
  const view = data as Exclude<TensorData, Uint8Array[]>;
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(content);
  if (info.storage === 'bool') {
    const b = data as Uint8Array;
    for (let i = 0; i < b.length; i++) if (b[i]! > 1) b[i] = 1;
  }
  return data;
}

function decodeTyped(info: DTypeInfo, p: TensorProtoLike, n: number): TensorData {
  const data = allocData(info, n);
  switch (info.storage) {
    case 'float32':
      fillNumeric(data as Float32Array, p.float_val);
      break;
    case 'float64':
      fillNumeric(data as Float64Array, p.double_val);
      break;
    case 'int32':
    case 'uint8':
    case 'int16':
    case 'int8':
      // int_val carries int32, uint8, int16, int8 (and uint16 below); narrowing wraps as C++'s static_cast.
      fillNumeric(data as Int32Array, p.int_val);
      break;
    case 'uint16':
      fillNumeric(data as Uint16Array, info.protoField === 'half_val' ? p.half_val : p.int_val);
      break;
    case 'uint32':
      fillNumeric(data as Uint32Array, p.uint32_val);
      break;
    case 'int64':
      fillInt64(data as BigInt64Array, p.int64_val);
      break;
    case 'uint64':
      fillInt64(data as BigUint64Array, p.uint64_val);
      break;
    case 'bool': {
      const src = p.bool_val;
      const have = src ? src.length : 0;
      if (have > 0 && src) {
        const dst = data as Uint8Array;
        const m = Math.min(n, have);
        for (let i = 0; i < m; i++) dst[i] = src[i] ? 1 : 0;
        if (m < n) dst.fill(dst[m - 1]!, m);
      }
      break;
    }
    case 'complex64':
      fillNumeric(data as Float32Array, p.scomplex_val, 2);
      break;
    case 'complex128':
      fillNumeric(data as Float64Array, p.dcomplex_val, 2);
      break;
    case 'bytes': {
      const src = p.string_val;
      const have = src ? src.length : 0;
      const dst = data as Uint8Array[];
      if (have > 0 && src) {
        const m = Math.min(n, have);
        // Copies, so the tensor never aliases the request buffer.
        for (let i = 0; i < m; i++) dst[i] = copyBytes(bytesOf(src[i]));
        for (let i = m; i < n; i++) dst[i] = copyBytes(dst[m - 1]!);
      }
      break;
    }
    case 'none':
      fail('no values');
  }
  return data;
}

/**
 * Decode a request's TensorProto into a {@link Tensor} as TensorFlow's `Tensor::FromProto`
 * does. Throws TfsError INVALID_ARGUMENT `tensor parsing error: <alias>` when the proto
 * cannot be decoded (invalid or unsupported dtype, unknown rank, negative dims, wrong
 * tensor_content length, too large). With a `budget`, the tensor's elements and bytes are
 * counted against the request's limits (errors name the alias) before anything is
 * allocated, so a small proto that broadcasts one value to a huge shape is refused.
 */
export function requestTensorFromProto(
  proto: TensorProtoLike | null | undefined,
  alias: string,
  budget?: RequestBudget,
  alloc?: ContentAlloc,
): Tensor {
  const p = proto ?? {};
  if (budget) countAgainst(budget, p, alias);
  try {
    return decodeTensorProto(p, alloc);
  } catch (err) {
    if (err instanceof ParseFailure || err instanceof RangeError) throw Errors.tensorParsingError(alias);
    throw err;
  }
}

function countAgainst(budget: RequestBudget, p: TensorProtoLike, alias: string): void {
  let shape: number[];
  try {
    shape = requestShapeFromProto(p.tensor_shape);
  } catch (err) {
    if (err instanceof ParseFailure) throw Errors.tensorParsingError(alias);
    throw err;
  }
  const info = valueDtype(p.dtype);
  if (!info) return; // decoding reports the dtype
  let stringBytes = 0;
  if (info.name === 'DT_STRING') {
    const content = p.tensor_content;
    stringBytes = content ? bytesOf(content).length : 0;
    const list = p.string_val;
    if (list) for (let i = 0; i < list.length; i++) stringBytes += bytesOf(list[i]).length;
  }
  budget.addTensor(alias, shape, info.name, stringBytes);
}

/**
 * Like {@link requestTensorFromProto} but reports why decoding failed in a plain Error (for logs,
 * tools and tests; request paths use requestTensorFromProto for upstream's text).
 */
export function decodeTensorProto(proto: TensorProtoLike, alloc?: ContentAlloc): Tensor {
  const info = valueDtype(proto.dtype) ?? fail(`unsupported dtype ${String(proto.dtype)}`);
  const shape = requestShapeFromProto(proto.tensor_shape);
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n) || n * Math.max(1, info.byteSize) > MAX_DECODED_TENSOR_BYTES) {
    fail(`tensor of ${n} elements is too large`);
  }
  // TF ignores the values of an empty tensor altogether (no tensor_content length check).
  if (n === 0) return { dtype: info.name, shape, data: allocData(info, 0) };
  const content = proto.tensor_content;
  const contentBytes = content === null || content === undefined ? undefined : bytesOf(content);
  const data =
    contentBytes !== undefined && contentBytes.length > 0 ? decodeContent(info, contentBytes, n, alloc) : decodeTyped(info, proto, n);
  return { dtype: info.name, shape, data };
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

// TensorProto field tags (field number << 3 | wire type).
const TAG_DTYPE = (1 << 3) | 0;
const TAG_SHAPE = (2 << 3) | 2;
const TAG_CONTENT = (4 << 3) | 2;
const TAG_FLOAT = (5 << 3) | 2;
const TAG_DOUBLE = (6 << 3) | 2;
const TAG_INT = (7 << 3) | 2;
const TAG_STRING = (8 << 3) | 2;
const TAG_SCOMPLEX = (9 << 3) | 2;
const TAG_INT64 = (10 << 3) | 2;
const TAG_BOOL = (11 << 3) | 2;
const TAG_DCOMPLEX = (12 << 3) | 2;
const TAG_HALF = (13 << 3) | 2;
const TAG_UINT32 = (16 << 3) | 2;
const TAG_UINT64 = (17 << 3) | 2;
// TensorShapeProto.dim (2) and Dim.size (1).
const TAG_DIM = (2 << 3) | 2;
const TAG_DIM_SIZE = (1 << 3) | 0;

function rawBytes(data: Exclude<TensorData, Uint8Array[]>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeStringList(strings: readonly Uint8Array[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const s of strings) w.uint32(s.length);
  for (const s of strings) w.raw(s);
  return w.finish();
}

/** 64-bit values as protobufjs LongBits-compatible objects, without BigInt arithmetic. */
function int64Halves(data: BigInt64Array | BigUint64Array): { low: number; high: number }[] {
  const halves = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  const out = new Array<{ low: number; high: number }>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = { low: halves[2 * i]!, high: halves[2 * i + 1]! };
  return out;
}

function writeShape(w: protobuf.Writer, shape: readonly number[]): void {
  w.uint32(TAG_SHAPE).fork();
  for (const d of shape) {
    w.uint32(TAG_DIM).fork();
    // proto3: a zero size is the default and is not written.
    if (d !== 0) w.uint32(TAG_DIM_SIZE).int64(d);
    w.ldelim();
  }
  w.ldelim();
}

/**
 * Write the fields of a TensorProto for `t` into `w` (no length prefix: wrap in
 * `fork()`/`ldelim()` to embed it). Float, double and complex values are copied as raw
 * bytes (their packed wire form is little-endian IEEE, like the typed arrays).
 */
export function writeTensorProto(w: protobuf.Writer, t: Tensor, opts: TensorEncodeOptions = {}): void {
  const info = dtypeInfo(t.dtype);
  if (!info || info.storage === 'none') throw new Error(`cannot encode a tensor of dtype ${t.dtype}`);
  w.uint32(TAG_DTYPE).int32(info.enum);
  writeShape(w, t.shape);
  const data = t.data;
  if (data.length === 0) return;
  if (opts.asTensorContent) {
    const bytes =
      info.storage === 'bytes' ? encodeStringList(data as Uint8Array[]) : rawBytes(data as Exclude<TensorData, Uint8Array[]>);
    w.uint32(TAG_CONTENT).bytes(bytes);
    return;
  }
  switch (info.storage) {
    case 'float32':
      w.uint32(TAG_FLOAT).bytes(rawBytes(data as Float32Array));
      break;
    case 'float64':
      w.uint32(TAG_DOUBLE).bytes(rawBytes(data as Float64Array));
      break;
    case 'complex64':
      w.uint32(TAG_SCOMPLEX).bytes(rawBytes(data as Float32Array));
      break;
    case 'complex128':
      w.uint32(TAG_DCOMPLEX).bytes(rawBytes(data as Float64Array));
      break;
    case 'int32':
    case 'uint8':
    case 'int16':
    case 'int8':
      w.uint32(TAG_INT).int32s(data as unknown as number[]);
      break;
    case 'uint16':
      w.uint32(info.protoField === 'half_val' ? TAG_HALF : TAG_INT).int32s(data as unknown as number[]);
      break;
    case 'uint32':
      w.uint32(TAG_UINT32).uint32s(data as unknown as number[]);
      break;
    case 'int64':
      w.uint32(TAG_INT64).int64s(int64Halves(data as BigInt64Array) as unknown as number[]);
      break;
    case 'uint64':
      w.uint32(TAG_UINT64).uint64s(int64Halves(data as BigUint64Array) as unknown as number[]);
      break;
    case 'bool':
      w.uint32(TAG_BOOL).bools(data as unknown as boolean[]);
      break;
    case 'bytes':
      for (const s of data as Uint8Array[]) w.uint32(TAG_STRING).bytes(s);
      break;
  }
}

/** Serialize `t` as a TensorProto message (wire bytes). */
export function encodeTensorProto(t: Tensor, opts: TensorEncodeOptions = {}): Uint8Array {
  const w = protobuf.Writer.create();
  writeTensorProto(w, t, opts);
  return w.finish();
}

function int64Strings(data: BigInt64Array | BigUint64Array): string[] {
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]!.toString();
  return out;
}

/**
 * `t` as a TensorProto plain object (protobufjs `toObject` form with enums as names and
 * int64 as decimal strings), encoded as TF's AsProtoField / AsProtoTensorContent would.
 */
export function tensorToProto(t: Tensor, opts: TensorEncodeOptions = {}): TensorProtoObject {
  const info = dtypeInfo(t.dtype);
  if (!info || info.storage === 'none') throw new Error(`cannot encode a tensor of dtype ${t.dtype}`);
  const out: TensorProtoObject = { dtype: info.name, tensor_shape: { dim: t.shape.map((size) => ({ size })) } };
  const data = t.data;
  if (data.length === 0) return out;
  if (opts.asTensorContent) {
    out.tensor_content =
      info.storage === 'bytes'
        ? encodeStringList(data as Uint8Array[])
        : rawBytes(data as Exclude<TensorData, Uint8Array[]>).slice();
    return out;
  }
  switch (info.storage) {
    case 'float32':
      out.float_val = Array.from(data as Float32Array);
      break;
    case 'float64':
      out.double_val = Array.from(data as Float64Array);
      break;
    case 'complex64':
      out.scomplex_val = Array.from(data as Float32Array);
      break;
    case 'complex128':
      out.dcomplex_val = Array.from(data as Float64Array);
      break;
    case 'int32':
    case 'uint8':
    case 'int16':
    case 'int8':
      out.int_val = Array.from(data as Int32Array);
      break;
    case 'uint16':
      if (info.protoField === 'half_val') out.half_val = Array.from(data as Uint16Array);
      else out.int_val = Array.from(data as Uint16Array);
      break;
    case 'uint32':
      out.uint32_val = Array.from(data as Uint32Array);
      break;
    case 'int64':
      out.int64_val = int64Strings(data as BigInt64Array);
      break;
    case 'uint64':
      out.uint64_val = int64Strings(data as BigUint64Array);
      break;
    case 'bool':
      out.bool_val = Array.from(data as Uint8Array, (v) => v !== 0);
      break;
    case 'bytes':
      out.string_val = (data as Uint8Array[]).map(copyBytes);
      break;
  }
  return out;
}
