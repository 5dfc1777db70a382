/**
 * Open Inference Protocol (KServe V2) datatypes ↔ the one dtype table (src/tensor/dtypes.ts),
 * and tensor values in the protocol's two forms: JSON `data` (flat or nested, row-major)
 * and raw little-endian bytes (the binary tensor data extension and gRPC
 * `raw_input_contents`/`raw_output_contents`), where a BYTES element is a 4-byte
 * little-endian length followed by its bytes.
 *
 * Only names live here; sizes, storage and everything else come from the dtype table.
 */
import { type DTypeName, mustDtype } from '../../tensor/dtypes.js';
import { type JsonValue, JsonBytes, JsonInt, jsonTypeName } from '../../tensor/json-parser.js';
import {
  type Tensor,
  type TensorData,
  allocData,
  floatToHalf,
  floatToBfloat16,
  fromUtf8,
  halfToFloat,
  bfloat16ToFloat,
  numElements,
  shapeString,
  utf8,
} from '../../tensor/tensor.js';
import { Errors } from '../../errors.js';

/** V2 datatype name → TF dtype. BF16 is Triton's addition to the spec's list. */
const V2_TO_TF: Readonly<Record<string, DTypeName>> = Object.freeze({
  BOOL: 'DT_BOOL',
  UINT8: 'DT_UINT8',
  UINT16: 'DT_UINT16',
  UINT32: 'DT_UINT32',
  UINT64: 'DT_UINT64',
  INT8: 'DT_INT8',
  INT16: 'DT_INT16',
  INT32: 'DT_INT32',
  INT64: 'DT_INT64',
  FP16: 'DT_HALF',
  BF16: 'DT_BFLOAT16',
  FP32: 'DT_FLOAT',
  FP64: 'DT_DOUBLE',
  BYTES: 'DT_STRING',
});

const TF_TO_V2 = new Map<DTypeName, string>(Object.entries(V2_TO_TF).map(([v2, tf]) => [tf, v2]));

/** The TF dtype of a V2 datatype name, or undefined for names the protocol does not have. */
export function dtypeOfV2(datatype: string): DTypeName | undefined {
  return Object.hasOwn(V2_TO_TF, datatype) ? V2_TO_TF[datatype] : undefined;
}

/**
 * The V2 datatype of a TF dtype. Dtypes the protocol cannot carry (complex, resource,
 * variant, quantized) have none: metadata shows TF's own name upper-cased (`COMPLEX64`).
 */
export function v2DatatypeOf(dtype: DTypeName): string | undefined {
  return TF_TO_V2.get(dtype);
}

/** {@link v2DatatypeOf}, or the TF short name upper-cased for metadata. */
export function v2DatatypeOrTfName(dtype: DTypeName): string {
  return TF_TO_V2.get(dtype) ?? mustDtype(dtype).short.toUpperCase();
}

/** A V2 shape (non-negative safe integers) from a request; throws INVALID_ARGUMENT. */
export function checkShape(tensor: string, shape: readonly number[]): number[] {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw Errors.v2BadRequest(`tensor '${tensor}': shape ${shapeString(shape)} has a dimension that is not a non-negative integer`);
  }
  const n = numElements(shape);
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1) throw Errors.v2BadRequest(`tensor '${tensor}': shape ${shapeString(shape)} is too large`);
  return [...shape];
}

// ---------------------------------------------------------------------------------------
// JSON `data`
// ---------------------------------------------------------------------------------------

/** Flatten nested arrays (row-major) into `out`. */
function flatten(v: JsonValue, out: JsonValue[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

function badElement(tensor: string, datatype: string, v: JsonValue): never {
  throw Errors.v2BadRequest(`tensor '${tensor}': a ${jsonTypeName(v)} is not a ${datatype} value`);
}

function jsonNumber(tensor: string, datatype: string, v: JsonValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof JsonInt) return v.value;
  return badElement(tensor, datatype, v);
}

function jsonInteger(tensor: string, datatype: string, v: JsonValue, min: number, max: number): number {
  const n = jsonNumber(tensor, datatype, v);
  if (!Number.isInteger(n) || n < min || n > max) throw Errors.v2BadRequest(`tensor '${tensor}': ${n} is not a ${datatype} value`);
  return n;
}

function jsonBigInt(tensor: string, datatype: string, v: JsonValue, unsigned: boolean): bigint {
  let b: bigint;
  if (v instanceof JsonInt) b = v.toBigInt();
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else return badElement(tensor, datatype, v);
  const ok = unsigned ? b >= 0n && b < 1n << 64n : b >= -(1n << 63n) && b < 1n << 63n;
  if (!ok) throw Errors.v2BadRequest(`tensor '${tensor}': ${b} is not a ${datatype} value`);
  return b;
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 2 ** 32 - 1],
};

/** Fill `data` (allocated for the dtype) from flat JSON elements. */
function fillFromJson(tensor: string, datatype: string, flat: readonly JsonValue[], data: TensorData): void {
  const n = flat.length;
  const range = INT_RANGES[datatype];
  if (range) {
    const d = data as Int32Array;
    for (let i = 0; i < n; i++) d[i] = jsonInteger(tensor, datatype, flat[i]!, range[0], range[1]);
    return;
  }
  switch (datatype) {
    case 'BOOL': {
      const d = data as Uint8Array;
      for (let i = 0; i < n; i++) {
        const v = flat[i]!;
        if (typeof v !== 'boolean') badElement(tensor, datatype, v);
        d[i] = v ? 1 : 0;
      }
      return;
    }
    case 'INT64':
    case 'UINT64': {
      const d = data as BigInt64Array;
      for (let i = 0; i < n; i++) d[i] = jsonBigInt(tensor, datatype, flat[i]!, datatype === 'UINT64');
      return;
    }
    case 'FP16':
    case 'BF16': {
      const d = data as Uint16Array;
      const conv = datatype === 'FP16' ? floatToHalf : floatToBfloat16;
      for (let i = 0; i < n; i++) d[i] = conv(jsonNumber(tensor, datatype, flat[i]!));
      return;
    }
    case 'BYTES': {
      const d = data as Uint8Array[];
      for (let i = 0; i < n; i++) {
        const v = flat[i]!;
        if (typeof v === 'string') d[i] = utf8(v);
        else if (v instanceof JsonBytes) d[i] = v.bytes;
        else badElement(tensor, datatype, v);
      }
      return;
    }
    default: {
      // FP32, FP64
      const d = data as Float32Array;
      for (let i = 0; i < n; i++) d[i] = jsonNumber(tensor, datatype, flat[i]!);
    }
  }
}

/**
 * A tensor from a V2 JSON input: `data` flat or nested in row-major order, with exactly
 * as many elements as the shape. Throws INVALID_ARGUMENT with the reason.
 */
export function tensorFromV2Json(tensor: string, datatype: string, shape: readonly number[], data: JsonValue): Tensor {
  const dtype = dtypeOfV2(datatype);
  if (!dtype) throw Errors.v2UnknownDatatype(tensor, datatype);
  const dims = checkShape(tensor, shape);
  const n = numElements(dims);
  const flat: JsonValue[] = [];
  flatten(data, flat);
  if (flat.length !== n) {
    throw Errors.v2BadRequest(`tensor '${tensor}': shape ${shapeString(dims)} needs ${n} elements, 'data' has ${flat.length}`);
  }
  const out = allocData(dtype, n);
  fillFromJson(tensor, datatype, flat, out);
  return { dtype, shape: dims, data: out };
}

/** A JSON number the way JSON.stringify writes it, with non-finite values as strings. */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
}

/**
 * The flat JSON array text of a tensor's values (`data` of a V2 output). FP16/BF16 are
 * widened to numbers; BYTES elements are UTF-8 strings (invalid UTF-8 is replaced, as
 * JSON cannot carry raw bytes: ask for binary output for those).
 */
export function tensorToV2JsonData(t: Tensor): string {
  const d = t.data;
  if (t.dtype === 'DT_STRING') return JSON.stringify((d as Uint8Array[]).map((b) => fromUtf8(b)));
  if (t.dtype === 'DT_BOOL') return `[${Array.from(d as Uint8Array, (x) => (x ? 'true' : 'false')).join(',')}]`;
  if (t.dtype === 'DT_HALF' || t.dtype === 'DT_BFLOAT16') {
    const conv = t.dtype === 'DT_HALF' ? halfToFloat : bfloat16ToFloat;
    return `[${Array.from(d as Uint16Array, (x) => num(conv(x))).join(',')}]`;
  }
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return `[${Array.from(d, (x) => x.toString()).join(',')}]`;
  return `[${Array.from(d as Float64Array, num).join(',')}]`;
}

// ---------------------------------------------------------------------------------------
// Raw bytes (binary extension, gRPC raw contents)
// ---------------------------------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes a fixed-size tensor needs, or undefined for BYTES (variable). */
export function rawByteSize(dtype: DTypeName, shape: readonly number[]): number | undefined {
  const info = mustDtype(dtype);
  return info.storage === 'bytes' ? undefined : info.byteSize * numElements(shape);
}

/** Split length-prefixed BYTES elements; throws INVALID_ARGUMENT when they do not fit. */
function bytesElements(tensor: string, raw: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = new Array<Uint8Array>(n);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let off = 0;
  for (let i = 0; i < n; i++) {
    if (off + 4 > raw.length) throw Errors.v2BadRequest(`tensor '${tensor}': BYTES data ends inside element ${i} of ${n}`);
    const len = view.getUint32(off, true);
    off += 4;
    if (off + len > raw.length) throw Errors.v2BadRequest(`tensor '${tensor}': BYTES element ${i} of ${len} bytes runs past the end of its data`);
    out[i] = raw.subarray(off, off + len);
    off += len;
  }
  if (off !== raw.length) throw Errors.v2ByteSizeMismatch(raw.length, tensor, off);
  return out;
}

/**
 * A tensor from raw little-endian bytes (the binary extension's chunk of the body, or a
 * gRPC raw_input_contents entry). The byte count must match the shape exactly.
 */
export function tensorFromV2Raw(tensor: string, datatype: string, shape: readonly number[], raw: Uint8Array): Tensor {
  const dtype = dtypeOfV2(datatype);
  if (!dtype) throw Errors.v2UnknownDatatype(tensor, datatype);
  const dims = checkShape(tensor, shape);
  const n = numElements(dims);
  if (dtype === 'DT_STRING') return { dtype, shape: dims, data: bytesElements(tensor, raw, n) };
  const size = rawByteSize(dtype, dims)!;
  if (raw.length !== size) throw Errors.v2ByteSizeMismatch(raw.length, tensor, size);
  const data = allocData(dtype, n) as Exclude<TensorData, Uint8Array[]>;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, size);
  bytes.set(raw);
  if (!LITTLE_ENDIAN) throw Errors.internal('the binary tensor data extension needs a little-endian host');
  if (dtype === 'DT_BOOL') for (let i = 0; i < n; i++) bytes[i] = bytes[i] ? 1 : 0;
  return { dtype, shape: dims, data };
}

/** A tensor's values as raw little-endian bytes (BYTES elements length-prefixed). */
export function tensorToV2Raw(t: Tensor): Uint8Array {
  if (t.dtype === 'DT_STRING') {
    const els = t.data as Uint8Array[];
    let total = 0;
    for (const e of els) total += 4 + e.length;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    let off = 0;
    for (const e of els) {
      view.setUint32(off, e.length, true);
      out.set(e, off + 4);
      off += 4 + e.length;
    }
    return out;
  }
  const d = t.data as Exclude<TensorData, Uint8Array[]>;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
