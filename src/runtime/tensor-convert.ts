/**
 * Conversions between tfs {@link Tensor}s and tfjs tensors, where the dtype policy of the
 * runtime lives.
 *
 * tfjs computes in float32, int32, bool, string and complex64. Every TensorFlow dtype is
 * mapped onto one of those (dtypes.ts `tfjs` column) and back:
 * - float64 values are rounded to float32 (what a float32 model does with its own
 *   `Cast`); a finite value beyond float32's range is refused rather than turned into
 *   infinity; float64-policy.ts makes sure that rounding never changes an answer;
 * - int64/uint32/uint64 values must fit in int32 exactly, else the call is refused (tfjs
 *   would wrap them silently);
 * - half and bfloat16 convert exactly to float32; results convert back with
 *   round-to-nearest-even;
 * - int8/uint8/int16/uint16 results are wrapped to their width, as TF's arithmetic does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Errors, TfsError } from '../errors.js';
import { dtypeInfo, mustDtype, type DTypeName } from '../tensor/dtypes.js';
import { makeWide, wideEntry, wideKindOf, type WideData } from './wide-values.js';
import {
  bfloat16ToFloat,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  numElements,
  type Tensor,
  type TensorData,
} from '../tensor/tensor.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The values of a tfs tensor in the form tfjs stores them for `dtype`'s tfjs type. */
export function toTfjsValues(t: Tensor, what: string): { dtype: tf.DataType; values: tf.TypedArray | Uint8Array[] } {
  const info = mustDtype(t.dtype);
  const n = numElements(t.shape);
  const d = t.data;
  switch (info.name) {
    case 'DT_FLOAT':
      return { dtype: 'float32', values: d as Float32Array };
    case 'DT_DOUBLE': {
      const src = d as Float64Array;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX) throw Errors.float32Refusal(what, v);
        out[i] = v;
      }
      return { dtype: 'float32', values: out };
    }
    case 'DT_HALF':
    case 'DT_BFLOAT16': {
      const src = d as Uint16Array;
      const out = new Float32Array(n);
      const conv = info.name === 'DT_HALF' ? halfToFloat : bfloat16ToFloat;
      for (let i = 0; i < n; i++) out[i] = conv(src[i]!);
      return { dtype: 'float32', values: out };
    }
    case 'DT_INT32':
      return { dtype: 'int32', values: d as Int32Array };
    case 'DT_UINT8':
    case 'DT_INT8':
    case 'DT_INT16':
    case 'DT_UINT16':
      return { dtype: 'int32', values: Int32Array.from(d as Uint8Array) };
    case 'DT_UINT32': {
      const src = d as Uint32Array;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v > INT32_MAX) throw int32Refusal(what, 'uint32', String(v));
        out[i] = v;
      }
      return { dtype: 'int32', values: out };
    }
    case 'DT_INT64':
    case 'DT_UINT64': {
      const src = d as BigInt64Array | BigUint64Array;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) throw int32Refusal(what, info.short, v.toString());
        out[i] = Number(v);
      }
      return { dtype: 'int32', values: out };
    }
    case 'DT_BOOL':
      return { dtype: 'bool', values: d as Uint8Array };
    case 'DT_STRING':
      return { dtype: 'string', values: d as Uint8Array[] };
    default:
      throw Errors.runtimeDtypeUnsupported(what, info.short);
  }
}

const int32Refusal = (what: string, short: string, value: string): TfsError => Errors.int32Refusal(what, short, value);

/**
 * A tfjs tensor holding a tfs tensor's values (caller disposes). int64/uint32/uint64/float64
 * values are carried exactly: a stand-in tensor plus, where some value does not fit it, the
 * exact values beside it (wide-values.ts). Weights go through {@link toTfjsStrict}.
 */
/** The smallest normal float32; nonzero magnitudes below it are denormals. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * A float32 input with its denormals flushed to zero of the same sign, as TF's CPU kernels
 * read them: TF runs every op with flush-to-zero and denormals-are-zero set (its threads hold
 * a ScopedFlushDenormal), so 1e-40 acts as 0 in log, rsqrt, ==, a cast to bool, divide_no_nan.
 * tfjs computes them as IEEE numbers (log(1e-40) = -92, TF -inf). Only a request holding a
 * denormal is copied; values computed inside the graph are not flushed (see runtime README).
 */
export function flushDenormals(t: Tensor): Tensor {
  if (t.dtype !== 'DT_FLOAT') return t;
  const d = t.data as Float32Array;
  // Per request and per element: a plain loop (no callback per value), and a copy only when
  // a denormal is present.
  let first = -1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v !== 0 && v > -FLOAT32_MIN_NORMAL && v < FLOAT32_MIN_NORMAL) {
      first = i;
      break;
    }
  }
  if (first < 0) return t;
  const out = d.slice();
  for (let i = first; i < out.length; i++) {
    const v = out[i]!;
    if (v !== 0 && v > -FLOAT32_MIN_NORMAL && v < FLOAT32_MIN_NORMAL) out[i] = v < 0 ? -0 : 0;
  }
  return { ...t, data: out };
}

export function toTfjs(t: Tensor, what: string): tf.Tensor {
  const kind = wideKindOf(t.dtype);
  if (kind !== undefined) {
    const d = t.data;
    const data = d instanceof Uint32Array ? BigUint64Array.from(d, (v) => BigInt(v)) : (d as WideData);
    return makeWide(kind, data, t.shape);
  }
  return toTfjsStrict(t, what);
}

/** A tfjs tensor holding a tfs tensor's values, refusing wide values the stand-in cannot hold. */
export function toTfjsStrict(t: Tensor, what: string): tf.Tensor {
  if (t.dtype === 'DT_COMPLEX64' || t.dtype === 'DT_COMPLEX128') {
    const d = t.data as Float32Array | Float64Array;
    const n = numElements(t.shape);
    const re = new Float32Array(n);
    const im = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = d[2 * i]!;
      im[i] = d[2 * i + 1]!;
    }
    return tf.tidy(() => tf.complex(tf.tensor(re, [...t.shape]), tf.tensor(im, [...t.shape])));
  }
  const { dtype, values } = toTfjsValues(t, what);
  return tf.tensor(values as tf.TypedArray, [...t.shape], dtype);
}

/** Convert tfjs values (as read from a tensor) into storage for `dtype`. */
export function fromTfjsValues(
  values: tf.TypedArray | Uint8Array[],
  tfDtype: tf.DataType,
  shape: readonly number[],
  dtype: DTypeName,
  what: string,
): Tensor {
  const info = mustDtype(dtype);
  const n = numElements(shape);
  let data: TensorData;
  const num = values as ArrayLike<number>;
  if (tfDtype === 'string') {
    if (info.name !== 'DT_STRING') throw mismatch(what, dtype, tfDtype);
    data = values as Uint8Array[];
  } else if (tfDtype === 'complex64') {
    throw mismatch(what, dtype, tfDtype);
  } else {
    switch (info.storage) {
      case 'float32':
        data = values instanceof Float32Array ? values : Float32Array.from(num);
        break;
      case 'float64':
        data = Float64Array.from(num);
        break;
      case 'int32':
        data = values instanceof Int32Array ? values : Int32Array.from(num, (v) => Math.trunc(v));
        break;
      case 'uint8':
        data = Uint8Array.from(num, (v) => v & 0xff);
        break;
      case 'int8':
        data = Int8Array.from(num, (v) => (v << 24) >> 24);
        break;
      case 'int16':
        data = Int16Array.from(num, (v) => (v << 16) >> 16);
        break;
      case 'uint16':
        if (info.name === 'DT_HALF') data = Uint16Array.from(num, (v) => floatToHalf(v));
        else if (info.name === 'DT_BFLOAT16') data = Uint16Array.from(num, (v) => floatToBfloat16(v));
        else data = Uint16Array.from(num, (v) => v & 0xffff);
        break;
      case 'uint32':
        data = Uint32Array.from(num, (v) => v >>> 0);
        break;
      case 'int64':
        data = BigInt64Array.from(num, (v) => BigInt(Math.trunc(v)));
        break;
      case 'uint64':
        data = BigUint64Array.from(num, (v) => BigInt.asUintN(64, BigInt(Math.trunc(v))));
        break;
      case 'bool':
        data = values instanceof Uint8Array ? values : Uint8Array.from(num, (v) => (v ? 1 : 0));
        break;
      default:
        throw mismatch(what, dtype, tfDtype);
    }
  }
  if (data.length !== n) throw Errors.runtimeValueCount(what, data.length, shape);
  return { dtype, shape: [...shape], data };
}

function mismatch(what: string, dtype: DTypeName, tfDtype: string): TfsError {
  return Errors.runtimeDtypeMismatch(what, tfDtype, dtypeInfo(dtype)?.short ?? dtype);
}

/**
 * Read a tfjs tensor (synchronously) as a tfs tensor of `dtype`. Does not dispose it.
 * `copy`: copy the values out (needed on the cpu backend, whose dataSync hands out its own
 * storage, which may belong to a weight; wasm and tensorflow return fresh arrays).
 */
export function fromTfjs(t: tf.Tensor, dtype: DTypeName, what: string, copy = true): Tensor {
  const wide = wideEntry(t);
  if (wide && wideKindOf(dtype) !== undefined) return fromWide(wide.data, t.shape, dtype);
  if (t.dtype === 'complex64') {
    if (dtype !== 'DT_COMPLEX64' && dtype !== 'DT_COMPLEX128') throw mismatch(what, dtype, t.dtype);
    const [re, im] = tf.tidy(() => [tf.real(t).dataSync(), tf.imag(t).dataSync()]);
    const n = re!.length;
    const out = dtype === 'DT_COMPLEX64' ? new Float32Array(2 * n) : new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = re![i]!;
      out[2 * i + 1] = im![i]!;
    }
    return { dtype, shape: [...t.shape], data: out };
  }
  if (t.dtype === 'string') {
    // dataSync() would decode strings to JS text; the engine's readSync keeps the bytes.
    const bytes = tf.engine().readSync(t.dataId) as Uint8Array[];
    return fromTfjsValues(bytes, 'string', t.shape, dtype, what);
  }
  const raw = t.dataSync() as tf.TypedArray;
  const values = copy ? raw.slice() : raw;
  return fromTfjsValues(values, t.dtype, t.shape, dtype, what);
}

/** A tfs tensor of wide `dtype` from exact values (wide-values.ts). */
function fromWide(src: WideData, shape: readonly number[], dtype: DTypeName): Tensor {
  let data: TensorData;
  const big = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  if (dtype === 'DT_DOUBLE') data = Float64Array.from(src as ArrayLike<number | bigint>, (v) => Number(v));
  else if (dtype === 'DT_INT64') data = BigInt64Array.from(src as ArrayLike<number | bigint>, (v) => BigInt.asIntN(64, big(v)));
  else if (dtype === 'DT_UINT64') data = BigUint64Array.from(src as ArrayLike<number | bigint>, (v) => BigInt.asUintN(64, big(v)));
  else data = Uint32Array.from(src as ArrayLike<number | bigint>, (v) => Number(BigInt.asUintN(32, big(v))));
  return { dtype, shape: [...shape], data };
}
