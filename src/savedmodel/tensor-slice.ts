/**
 * Tensor slices in TensorBundle checkpoints (partitioned variables).
 *
 * A partitioned variable is saved as one entry under the full tensor's name that has only
 * dtype, shape and the list of saved slices, plus one ordinary entry per slice holding that
 * slice's values. A slice entry's key is binary, built from "ordered code" pieces
 * (TF `checkpoint::EncodeTensorNameSlice`, `strings::OrderedCode`):
 *
 * - the unsigned number 0 (so every slice key starts with byte 0 and sorts first);
 * - the tensor name as an ordered-code string: 0x00 escaped as 00 ff, 0xff as ff 00,
 *   terminated by 00 01;
 * - the unsigned number of dimensions;
 * - per dimension the start and the length as signed numbers (a full extent is start 0,
 *   length -1).
 *
 * Unsigned numbers are one byte giving the count of big-endian bytes that follow (no leading
 * zeros; 0 is a single 00 byte). Signed numbers use a self-delimiting two's complement form
 * whose first bits say the length (see {@link encodeSignedIncreasing}).
 *
 * The graph side names slices with RestoreV2's `shape_and_slices` strings:
 * `"<dim0> <dim1> ... <start>,<length>:<start>,<length>:..."`, `-` for a full extent, and
 * the empty string for the whole tensor.
 */
import type { TensorData } from '../tensor/tensor.js';

/** One extent of a slice: `length` null means "the whole dimension". */
export interface SliceExtent {
  readonly start: number;
  readonly length: number | null;
}

/** A parsed `shape_and_slices` string: the full tensor's shape and the wanted extents. */
export interface SliceSpec {
  readonly fullShape: readonly number[];
  readonly extents: readonly SliceExtent[];
}

/**
 * Parse one RestoreV2 `shape_and_slices` element; null for the empty string (the whole
 * tensor). Throws an Error with a short reason when it is malformed.
 */
export function parseShapeAndSlice(spec: string): SliceSpec | null {
  const text = spec.trim();
  if (text.length === 0) return null;
  const parts = text.split(/\s+/);
  const sliceText = parts.pop()!;
  const fullShape = parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`bad dimension "${p}" in shape_and_slices "${spec}"`);
    return Number(p);
  });
  const dims = sliceText.split(':');
  if (dims.length !== fullShape.length) {
    throw new Error(`shape_and_slices "${spec}" has ${fullShape.length} dimensions but ${dims.length} extents`);
  }
  const extents = dims.map((d, i): SliceExtent => {
    if (d === '-') return { start: 0, length: null };
    const m = /^(\d+),(\d+)$/.exec(d);
    if (!m) throw new Error(`bad extent "${d}" in shape_and_slices "${spec}"`);
    const start = Number(m[1]);
    const length = Number(m[2]);
    if (start + length > fullShape[i]!) {
      throw new Error(`extent ${d} of shape_and_slices "${spec}" exceeds dimension ${i} (size ${fullShape[i]})`);
    }
    return { start, length };
  });
  return { fullShape, extents };
}

/** The concrete [start, length] of each dimension of a slice of `fullShape`. */
export function sliceBox(fullShape: readonly number[], extents: readonly SliceExtent[]): [number, number][] {
  return fullShape.map((d, i) => {
    const e = extents[i];
    return !e || e.length === null ? [0, d] : [e.start, e.length];
  });
}

/** Text form of extents, TF's style (`0,5:-`). */
export function sliceText(extents: readonly SliceExtent[]): string {
  return extents.map((e) => (e.length === null ? '-' : `${e.start},${e.length}`)).join(':');
}

function encodeUnsignedIncreasing(out: number[], value: number): void {
  const bytes: number[] = [];
  for (let v = BigInt(value); v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  out.push(bytes.length, ...bytes);
}

function encodeString(out: number[], s: Uint8Array): void {
  for (const b of s) {
    if (b === 0x00) out.push(0x00, 0xff);
    else if (b === 0xff) out.push(0xff, 0x00);
    else out.push(b);
  }
  out.push(0x00, 0x01);
}

/**
 * Ordered-code signed number: with x = v (v >= 0) or ~v (v < 0), the length L is the
 * smallest with x < 2^(7L-1); the value is written as L big-endian two's complement bytes
 * and its first L+1 bits are then XORed with L ones followed by a zero (so non-negative
 * numbers start with L one bits, negative ones with L zero bits).
 */
export function encodeSignedIncreasing(out: number[], value: number): void {
  const v = BigInt(value);
  const x = v < 0n ? ~v : v;
  let len = 1;
  while (len < 10 && x >= 1n << BigInt(7 * len - 1)) len++;
  const bytes: number[] = [];
  const mask = (1n << BigInt(8 * len)) - 1n;
  const twos = v & mask;
  for (let i = len - 1; i >= 0; i--) bytes.push(Number((twos >> BigInt(8 * i)) & 0xffn));
  // Header: L one bits (they may spill into the second byte when L > 8).
  const header = ((1n << BigInt(len)) - 1n) << BigInt(8 * len - len);
  const headerBytes: number[] = [];
  for (let i = len - 1; i >= 0; i--) headerBytes.push(Number((header >> BigInt(8 * i)) & 0xffn));
  out.push(...bytes.map((b, i) => b ^ headerBytes[i]!));
}

/** The bundle key of one slice of tensor `name` (TF `EncodeTensorNameSlice`). */
export function encodeSliceKey(name: string, fullShape: readonly number[], extents: readonly SliceExtent[]): Uint8Array {
  const out: number[] = [];
  encodeUnsignedIncreasing(out, 0);
  encodeString(out, new TextEncoder().encode(name));
  encodeUnsignedIncreasing(out, fullShape.length);
  fullShape.forEach((_, i) => {
    const e = extents[i];
    const full = !e || e.length === null;
    encodeSignedIncreasing(out, full ? 0 : e.start);
    encodeSignedIncreasing(out, full ? -1 : e.length!);
  });
  return Uint8Array.from(out);
}

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/**
 * Copy the intersection of two boxes (both in full-tensor coordinates) from `src` (laid
 * out as box `srcBox`) into `dst` (laid out as box `dstBox`). `unit` is the number of array
 * slots per element (2 for complex). Returns the number of elements copied.
 */
export function copyBoxIntersection(
  src: TensorData,
  srcBox: readonly (readonly [number, number])[],
  dst: TensorData,
  dstBox: readonly (readonly [number, number])[],
  unit: number,
): number {
  const rank = dstBox.length;
  const lo: number[] = [];
  const len: number[] = [];
  for (let d = 0; d < rank; d++) {
    const a = Math.max(srcBox[d]![0], dstBox[d]![0]);
    const b = Math.min(srcBox[d]![0] + srcBox[d]![1], dstBox[d]![0] + dstBox[d]![1]);
    if (b <= a) return 0;
    lo.push(a);
    len.push(b - a);
  }
  const sStr = strides(srcBox.map((x) => x[1]));
  const dStr = strides(dstBox.map((x) => x[1]));
  const total = len.reduce((p, c) => p * c, 1);
  const idx = new Array<number>(rank).fill(0);
  const s = src as unknown as ArrayLike<unknown> & Record<number, unknown>;
  const t = dst as unknown as Record<number, unknown>;
  for (let n = 0; n < total; n++) {
    let so = 0;
    let dof = 0;
    for (let d = 0; d < rank; d++) {
      const c = lo[d]! + idx[d]!;
      so += (c - srcBox[d]![0]) * sStr[d]!;
      dof += (c - dstBox[d]![0]) * dStr[d]!;
    }
    for (let u = 0; u < unit; u++) t[dof * unit + u] = s[so * unit + u];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < len[d]!) break;
      idx[d] = 0;
    }
  }
  return total;
}
