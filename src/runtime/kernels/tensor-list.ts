/**
 * TensorList (TF2 `tf.TensorArray`, Keras RNN loops, `map_fn`) as plain tensors.
 *
 * tfjs-converter's own TensorList keeps a mutable list in the execution context, keyed by
 * the id of a "handle" tensor, and decides the lifetime of the elements with `keep()`
 * flags that its executor and its While loop both clear and dispose: a list read after a
 * loop iteration can hold disposed tensors (`Cannot read properties of undefined
 * (reading 'backend')`) and every call leaks the rest. tfs sidesteps that machinery: the
 * freezer renames every TensorList op to a `_Tfs` op (see control-names.ts), and here a
 * list IS a dense tensor `[n, ...element_shape]`. Every op returns a new tensor (value
 * semantics, as in TF), so the executor's ordinary reference counting owns every list and
 * nothing outlives a call.
 *
 * Elements not written yet are zeros, as TF's reads of a list whose element shape is
 * known. A list whose element shape is not fully known when it is created (Keras reserves
 * `[-1, units]`: the batch is unknown) starts with 0 in the unknown dimensions: it holds no
 * values, and takes the shape of the first element written. A later element of another
 * shape is refused (TF allows lists of mixed shapes; tfs does not).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { CONTROL_OP_NAMES } from './control-names.js';

const N = CONTROL_OP_NAMES;

/** A tensor of `shape` holding zeros (or empty strings). */
export function blank(shape: number[], dtype: tf.DataType): tf.Tensor {
  return dtype === 'string' ? tf.fill(shape, '', 'string') : tf.zeros(shape, dtype);
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The element shape input (-1 scalar: unknown rank; -1 entries: unknown dims). */
function shapeArg(t: tf.Tensor | undefined): number[] | null {
  if (!t || t.rank === 0) return null;
  return Array.from(t.dataSync());
}

function scalarArg(t: tf.Tensor): number {
  return Number(t.dataSync()[0]);
}

const dtypeAttr = (node: GraphNode, fallback: tf.DataType): tf.DataType =>
  (node.attrs['element_dtype'] as tf.DataType | undefined) ?? fallback;

/** The shape a fresh list of `n` elements gets: unknown dims (and an unknown rank) as 0. */
function placeholderShape(n: number, elem: number[] | null): number[] {
  return [n, ...(elem === null ? [0] : elem.map((d) => (d < 0 ? 0 : d)))];
}

/** `list` ready to hold elements of `shape`: an empty placeholder takes the shape, a list with values must have it. */
function shaped(list: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (sameShape(list.shape.slice(1), shape)) return list;
  if (list.size === 0) return blank([list.shape[0]!, ...shape], list.dtype);
  throw Errors.tensorListMixedShapes([...list.shape.slice(1)], [...shape]);
}

/** `list` with a fully known requested element shape applied to a placeholder (for reads). */
function forRead(list: tf.Tensor, elem: number[] | null): tf.Tensor {
  if (elem === null || elem.some((d) => d < 0) || list.size !== 0) return list;
  return shaped(list, elem);
}

/** Elements [from, to) of a list, as a list. */
function range(list: tf.Tensor, from: number, to: number): tf.Tensor {
  return tf.slice(list, [from], [Math.max(0, to - from)]);
}

/** Concatenate lists along the element axis, skipping empty pieces (tfjs kernels dislike them). */
function join(pieces: tf.Tensor[], like: tf.Tensor): tf.Tensor {
  const kept = pieces.filter((p) => p.shape[0]! > 0);
  if (kept.length === 0) return blank([0, ...like.shape.slice(1)], like.dtype);
  return kept.length === 1 ? kept[0]!.clone() : tf.concat(kept, 0);
}

/** Element `i` of `list` (checked like TensorListGetItem). */
function item(list: tf.Tensor, i: number, what = 'access'): tf.Tensor {
  const n = list.shape[0]!;
  if (!(i >= 0 && i < n)) throw Errors.kernelError(`Trying to ${what} element ${i} in a list with ${n} elements.`);
  return tf.reshape(tf.slice(list, [i], [1]), list.shape.slice(1));
}

/** `list` with element `i` replaced by `value` (grown first when `grow` and `i` is past the end). */
export function setItem(list: tf.Tensor, i: number, value: tf.Tensor, grow = false): tf.Tensor {
  return tf.tidy(() => {
    let base = shaped(list, value.shape);
    const n = base.shape[0]!;
    if (grow && i >= n) base = join([base, blank([i + 1 - n, ...value.shape], base.dtype)], base);
    if (!(i >= 0 && i < base.shape[0]!)) throw Errors.kernelError(`Trying to modify element ${i} in a list with ${n} elements.`);
    return join([range(base, 0, i), tf.expandDims(value, 0), range(base, i + 1, base.shape[0]!)], base);
  });
}

/** TensorListGetItem / TensorArrayReadV3 on a dense list. */
export function getItem(list: tf.Tensor, i: number, elem: number[] | null): tf.Tensor {
  return tf.tidy(() => item(forRead(list, elem), i));
}

/** TensorListGather / TensorArrayGatherV3 on a dense list. */
export function gather(list: tf.Tensor, indices: tf.Tensor, elem: number[] | null): tf.Tensor {
  const n = list.shape[0]!;
  for (const i of indices.dataSync()) {
    if (!(i >= 0 && i < n)) throw Errors.kernelError(`Trying to gather element ${i} in a list with ${n} elements.`);
  }
  return tf.tidy(() => {
    const base = forRead(list, elem);
    if (indices.size === 0) return blank([0, ...base.shape.slice(1)], base.dtype);
    return tf.gather(base, tf.cast(indices, 'int32'), 0);
  });
}

/** A list of `n` unset elements of (possibly partly unknown) shape `elem`. */
export function reserve(n: number, elem: number[] | null, dtype: tf.DataType): tf.Tensor {
  return blank(placeholderShape(n, elem), dtype);
}

function stack(node: GraphNode): tf.Tensor {
  const list = kernelInput(node, 0);
  const want = Number(node.attrs['num_elements'] ?? -1);
  const n = list.shape[0]!;
  if (want !== -1 && want !== n) throw Errors.kernelError(`Operation expected a list with ${want} elements but got a list with ${n} elements.`);
  const out = forRead(list, shapeArg(node.inputs[1]));
  return out === list ? list.clone() : out;
}

function fromTensor(node: GraphNode): tf.Tensor {
  const t = kernelInput(node, 0);
  if (t.rank < 1) throw Errors.kernelError(`Tensor must be at least a vector, but saw shape: [${t.shape.join(',')}]`);
  return t.clone();
}

function pushBack(node: GraphNode): tf.Tensor {
  const list = kernelInput(node, 0);
  const value = kernelInput(node, 1);
  return tf.tidy(() => {
    const base = shaped(list, value.shape);
    return join([base, tf.expandDims(value, 0)], base);
  });
}

function popBack(node: GraphNode): tf.Tensor[] {
  const list = kernelInput(node, 0);
  const n = list.shape[0]!;
  if (n === 0) throw Errors.kernelError('Trying to pop from an empty list.');
  return tf.tidy(() => {
    const base = forRead(list, shapeArg(node.inputs[1]));
    return [range(base, 0, n - 1), item(base, n - 1)];
  });
}

/** Scatter rows of `t` to `indices` of `list`. */
function scatterInto(list: tf.Tensor, t: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  const idx = Array.from(indices.dataSync());
  if (idx.length !== t.shape[0]) {
    throw Errors.kernelError(`Expected len(indices) == tensor.shape[0], but saw: ${idx.length} vs. ${t.shape[0] ?? 0}`);
  }
  return tf.tidy(() => {
    const rows = idx.length > 0 ? tf.unstack(t, 0) : [];
    let out = list.clone();
    idx.forEach((i, k) => {
      out = setItem(out, i, rows[k]!, true);
    });
    return out;
  });
}

function scatterNew(node: GraphNode): tf.Tensor {
  const t = kernelInput(node, 0);
  const indices = kernelInput(node, 1);
  const numElements = node.inputs[3] ? scalarArg(node.inputs[3]) : -1;
  const n = Math.max(numElements, 0);
  return tf.tidy(() => scatterInto(reserve(n, t.shape.slice(1), t.dtype), t, indices));
}

function resize(node: GraphNode): tf.Tensor {
  const list = kernelInput(node, 0);
  const size = scalarArg(kernelInput(node, 1));
  if (size < 0) throw Errors.kernelError(`TensorListSlice expects size to be non-negative. Got: ${size}`);
  const n = list.shape[0]!;
  return tf.tidy(() => (size <= n ? range(list, 0, size) : join([list, blank([size - n, ...list.shape.slice(1)], list.dtype)], list)));
}

/** TensorListConcat / TensorArrayConcatV3: the elements joined along their first axis, and each one's length. */
export function concatList(list: tf.Tensor, elem: number[] | null): tf.Tensor[] {
  const base = forRead(list, elem);
  const n = base.shape[0]!;
  if (base.rank < 2) throw Errors.kernelError('Concat saw a scalar shape at index 0 but requires at least vectors.');
  const d0 = base.shape[1]!;
  return tf.tidy(() => [tf.reshape(base, [n * d0, ...base.shape.slice(2)]), tf.fill([n], d0, 'int32')]);
}

/** TensorListSplit / TensorArraySplitV3: rows of `t` cut by `lengths` (all equal here: one dense list). */
export function splitList(t: tf.Tensor, lengths: tf.Tensor): tf.Tensor {
  const lens = Array.from(lengths.dataSync());
  const total = lens.reduce((a, b) => a + b, 0);
  if (t.rank < 1 || total !== t.shape[0]) {
    throw Errors.kernelError(`Expected sum of lengths to be equal to values.shape[0], but sum of lengths is ${total} and value's shape is: [${t.shape.join(',')}]`);
  }
  const rest = t.shape.slice(1);
  if (lens.length === 0) return reserve(0, [-1, ...rest], t.dtype);
  const first = lens[0]!;
  const other = lens.find((l) => l !== first);
  if (other !== undefined) throw Errors.tensorListMixedShapes([first, ...rest], [other, ...rest]);
  return tf.reshape(t, [lens.length, first, ...rest]);
}

export const TENSOR_LIST_KERNELS: readonly KernelEntry[] = [
  {
    op: N.TensorListReserve,
    kernel: (node) => reserve(scalarArg(kernelInput(node, 1)), shapeArg(node.inputs[0]), dtypeAttr(node, 'float32')),
  },
  { op: N.EmptyTensorList, kernel: (node) => reserve(0, shapeArg(node.inputs[0]), dtypeAttr(node, 'float32')) },
  { op: N.TensorListFromTensor, kernel: fromTensor },
  {
    op: N.TensorListGetItem,
    kernel: (node) => getItem(kernelInput(node, 0), scalarArg(kernelInput(node, 1)), shapeArg(node.inputs[2])),
  },
  {
    op: N.TensorListSetItem,
    kernel: (node) =>
      setItem(kernelInput(node, 0), scalarArg(kernelInput(node, 1)), kernelInput(node, 2), Boolean(node.attrs['resize_if_index_out_of_bounds'])),
  },
  { op: N.TensorListStack, kernel: stack },
  {
    op: N.TensorListGather,
    kernel: (node) => gather(kernelInput(node, 0), kernelInput(node, 1), shapeArg(node.inputs[2])),
  },
  // the shape of the elements (while-loop gradients reserve their lists with it); a list not
  // written yet reports the placeholder's 0 for the dims its creator left unknown
  { op: N.TensorListElementShape, kernel: (node) => tf.tensor1d(kernelInput(node, 0).shape.slice(1), 'int32') },
  { op: N.TensorListLength, kernel: (node) => tf.scalar(kernelInput(node, 0).shape[0]!, 'int32') },
  { op: N.TensorListPushBack, kernel: pushBack },
  { op: N.TensorListPopBack, kernel: popBack },
  { op: N.TensorListScatterV2, kernel: scatterNew },
  { op: N.TensorListScatter, kernel: scatterNew },
  {
    op: N.TensorListScatterIntoExistingList,
    kernel: (node) => scatterInto(kernelInput(node, 0), kernelInput(node, 1), kernelInput(node, 2)),
  },
  { op: N.TensorListResize, kernel: resize },
  { op: N.TensorListConcat, kernel: (node) => concatList(kernelInput(node, 0), (node.attrs['element_shape'] as number[] | undefined) ?? null) },
  { op: N.TensorListConcatV2, kernel: (node) => concatList(kernelInput(node, 0), shapeArg(node.inputs[1])) },
  { op: N.TensorListSplit, kernel: (node) => splitList(kernelInput(node, 0), kernelInput(node, 2)) },
];
