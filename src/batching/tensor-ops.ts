/**
 * Row (dimension 0) operations on the shared {@link Tensor} type, for batching:
 * concatenate slices of several requests into one batch (padding ragged dimensions and
 * padding the batch up to an allowed size), and cut a batched result back into per-request
 * pieces. Every dtype is supported, including strings (`Uint8Array[]`) and complex types
 * (two values per element).
 *
 * Padding values follow upstream (tensorflow_serving/batching/batching_util.h and
 * batching_session.cc): ragged dimensions are filled with the first element of the request's
 * own tensor, and extra batch rows repeat the first row of the last request in the batch, so
 * the model only ever sees values that occur in real inputs.
 */
import { type DTypeName, mustDtype } from '../tensor/dtypes.js';
import { type Tensor, type TensorData, allocData, numElements } from '../tensor/tensor.js';

/**
 * The subset of the typed-array API used here, shared by every typed array in TensorData.
 * (TypeScript cannot call methods on the union directly because their element types differ.)
 */
interface FlatArray {
  readonly length: number;
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  [index: number]: unknown;
  set(array: ArrayLike<unknown>, offset?: number): void;
  subarray(begin?: number, end?: number): FlatArray;
  fill(value: unknown, start?: number, end?: number): FlatArray;
}

function flat(data: TensorData): FlatArray {
  return data as unknown as FlatArray;
}

/** Number of values per element in `Tensor.data` (2 for complex dtypes, else 1). */
export function valuesPerElement(dtype: DTypeName): 1 | 2 {
  const s = mustDtype(dtype).storage;
  return s === 'complex64' || s === 'complex128' ? 2 : 1;
}

/** Values in one row (all dimensions but the first), counting both halves of complex values. */
export function rowValues(t: Tensor): number {
  return numElements(t.shape.slice(1)) * valuesPerElement(t.dtype);
}

/** Rows `[start, start+count)` of `t` without copying (a typed-array view; a new array for strings). */
export function sliceRows(t: Tensor, start: number, count: number): Tensor {
  if (start === 0 && count === t.shape[0]) return t;
  const rv = rowValues(t);
  const data = Array.isArray(t.data)
    ? t.data.slice(start * rv, (start + count) * rv)
    : (flat(t.data).subarray(start * rv, (start + count) * rv) as unknown as TensorData);
  return { dtype: t.dtype, shape: [count, ...t.shape.slice(1)], data };
}

/** A slice of one request's tensor that goes into a batch. */
export interface RowSlice {
  readonly tensor: Tensor;
  readonly start: number;
  readonly count: number;
}

/**
 * Copy the overlap of two row-major blocks: `walk` (the smaller of the inner shapes `src` and
 * `dst`, per axis) elements are copied from the block of shape `src` at `fromOff` into the block
 * of shape `dst` at `toOff`. Padding passes `walk = src` (the rest of the destination is left
 * untouched: the caller pre-fills it with the padding value); cropping passes `walk = dst`.
 */
function copyOverlap(
  from: FlatArray | Uint8Array[],
  fromOff: number,
  src: readonly number[],
  to: FlatArray | Uint8Array[],
  toOff: number,
  dst: readonly number[],
  walk: readonly number[],
  axis: number,
  vpe: number,
): void {
  if (axis === walk.length - 1 || walk.length === 0) {
    const n = (walk.length === 0 ? 1 : walk[axis]!) * vpe;
    if (Array.isArray(from)) {
      const t = to as Uint8Array[];
      for (let i = 0; i < n; i++) t[toOff + i] = from[fromOff + i]!;
    } else {
      (to as FlatArray).set(from.subarray(fromOff, fromOff + n), toOff);
    }
    return;
  }
  const srcStride = numElements(src.slice(axis + 1)) * vpe;
  const dstStride = numElements(dst.slice(axis + 1)) * vpe;
  for (let i = 0; i < walk[axis]!; i++) {
    copyOverlap(from, fromOff + i * srcStride, src, to, toOff + i * dstStride, dst, walk, axis + 1, vpe);
  }
}

/** Largest size of every non-batch dimension over the slices (all must have the same rank). */
export function maxInnerShape(slices: readonly RowSlice[]): number[] {
  const inner = slices[0]!.tensor.shape.slice(1);
  for (const s of slices) {
    const sh = s.tensor.shape;
    for (let i = 1; i < sh.length; i++) if (sh[i]! > inner[i - 1]!) inner[i - 1] = sh[i]!;
  }
  return inner;
}

/**
 * Concatenate row slices along dimension 0 into a new tensor whose rows have the inner
 * shape `inner` (each slice is padded up to it; pass the common inner shape when no padding
 * is wanted), followed by `padRows` copies of the first row of the last slice.
 * The result owns freshly allocated storage.
 */
export function concatRows(slices: readonly RowSlice[], inner: readonly number[], padRows = 0): Tensor {
  const first = slices[0];
  if (!first) throw new Error('concatRows needs at least one slice');
  const dtype = first.tensor.dtype;
  const vpe = valuesPerElement(dtype);
  const rowLen = numElements(inner) * vpe;
  let rows = padRows;
  for (const s of slices) rows += s.count;
  const data = allocData(dtype, rows * numElements(inner));
  let off = 0;
  for (const s of slices) {
    const srcInner = s.tensor.shape.slice(1);
    const srcRow = numElements(srcInner) * vpe;
    const same = srcInner.length === inner.length && srcInner.every((d, i) => d === inner[i]);
    if (same) {
      if (Array.isArray(data)) {
        const src = s.tensor.data as Uint8Array[];
        for (let i = 0; i < s.count * rowLen; i++) data[off + i] = src[s.start * rowLen + i]!;
      } else {
        data.set(flat(s.tensor.data).subarray(s.start * rowLen, (s.start + s.count) * rowLen) as never, off);
      }
    } else {
      // Ragged: fill this slice's block with its first element, then copy each row in.
      fillWithFirstElement(data, off, s.count * rowLen, s.tensor, vpe);
      for (let r = 0; r < s.count; r++) {
        copyOverlap(
          Array.isArray(s.tensor.data) ? s.tensor.data : flat(s.tensor.data),
          (s.start + r) * srcRow,
          srcInner,
          Array.isArray(data) ? data : flat(data),
          off + r * rowLen,
          inner,
          srcInner,
          0,
          vpe,
        );
      }
    }
    off += s.count * rowLen;
  }
  if (padRows > 0) {
    // Batch padding repeats the first row of the last slice (already padded in `data`).
    const lastStart = off - slices[slices.length - 1]!.count * rowLen;
    for (let r = 0; r < padRows; r++) {
      if (Array.isArray(data)) {
        for (let i = 0; i < rowLen; i++) data[off + i] = data[lastStart + i]!;
      } else {
        flat(data).set(flat(data).subarray(lastStart, lastStart + rowLen), off);
      }
      off += rowLen;
    }
  }
  return { dtype, shape: [rows, ...inner], data };
}

/** Fill `[off, off+n)` of `data` with the first element of `t` (zero when `t` is empty). */
function fillWithFirstElement(data: TensorData, off: number, n: number, t: Tensor, vpe: number): void {
  if (t.data.length === 0) return; // storage is zero-initialised already
  if (Array.isArray(data)) {
    const v = (t.data as Uint8Array[])[0]!;
    for (let i = 0; i < n; i++) data[off + i] = v;
    return;
  }
  const f = flat(data);
  if (vpe === 1) {
    f.fill(flat(t.data)[0], off, off + n);
  } else {
    const re = flat(t.data)[0];
    const im = flat(t.data)[1];
    for (let i = 0; i < n; i += 2) {
      f[off + i] = re;
      f[off + i + 1] = im;
    }
  }
}

/**
 * Copy of `t` with every non-batch dimension cut down to `inner` (which must be no larger
 * than `t`'s): undoes ragged padding on an output.
 */
export function cropInner(t: Tensor, inner: readonly number[]): Tensor {
  const srcInner = t.shape.slice(1);
  if (srcInner.every((d, i) => d === inner[i])) return t;
  const vpe = valuesPerElement(t.dtype);
  const rows = t.shape[0]!;
  const dstRow = numElements(inner) * vpe;
  const srcRow = numElements(srcInner) * vpe;
  const data = allocData(t.dtype, rows * numElements(inner));
  const from = Array.isArray(t.data) ? t.data : flat(t.data);
  const to = Array.isArray(data) ? data : flat(data);
  for (let r = 0; r < rows; r++) copyOverlap(from, r * srcRow, srcInner, to, r * dstRow, inner, inner, 0, vpe);
  return { dtype: t.dtype, shape: [rows, ...inner], data };
}

/** Concatenate whole tensors along dimension 0 (they must share dtype and inner shape). */
export function concatTensors(parts: readonly Tensor[]): Tensor {
  if (parts.length === 1) return parts[0]!;
  const inner = parts[0]!.shape.slice(1);
  for (const p of parts) {
    const pi = p.shape.slice(1);
    if (p.dtype !== parts[0]!.dtype || pi.length !== inner.length || pi.some((d, i) => d !== inner[i])) {
      throw new Error(
        `cannot concatenate ${p.dtype}[${p.shape.join(',')}] with ${parts[0]!.dtype}[${parts[0]!.shape.join(',')}]`,
      );
    }
  }
  return concatRows(
    parts.map((t) => ({ tensor: t, start: 0, count: t.shape[0]! })),
    inner,
  );
}

/** True when the typed array is the sole view of its whole (non-shared) buffer, so it may be transferred. */
export function ownsWholeBuffer(data: TensorData): boolean {
  if (Array.isArray(data)) return false;
  const f = flat(data);
  return (
    f.byteOffset === 0 &&
    f.byteLength === f.buffer.byteLength &&
    !(typeof SharedArrayBuffer !== 'undefined' && f.buffer instanceof SharedArrayBuffer)
  );
}

/** A deep copy of `t` whose storage is its own (safe to transfer to another thread). */
export function cloneTensor(t: Tensor): Tensor {
  if (Array.isArray(t.data)) return { dtype: t.dtype, shape: [...t.shape], data: t.data.map((b) => b.slice()) };
  const data = allocData(t.dtype, numElements(t.shape));
  flat(data).set(flat(t.data));
  return { dtype: t.dtype, shape: [...t.shape], data };
}
