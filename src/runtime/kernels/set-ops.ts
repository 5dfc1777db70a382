/**
 * `DenseToDenseSetOperation` (tf.sets.union / intersection / difference on dense tensors, and
 * tf.sets.size over them), as TF's kernel (set_kernels.cc) answers: each row (every dim but the
 * last) is a set of its values, duplicates dropped; the result of `a-b`, `b-a`, `intersection`
 * or `union` is sorted ascending (strings by their bytes) and returned as a SparseTensor
 * (indices, values, dense shape [...rows, largest result]); `SetSize` counts each row's
 * distinct values. Checked against TF 2.21 in
 * test/runtime/kernels/set-ops.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText, bytesOf, intTensor, numbersOf, stringTensor } from './util.js';

type Item = number | Uint8Array;

const compare = (a: Item, b: Item): number =>
  typeof a === 'number' ? a - (b as number) : Buffer.compare(a as Uint8Array, b as Uint8Array);

/** Sorted distinct items of `row` (equal strings by content). */
function distinct(row: Item[]): Item[] {
  const sorted = [...row].sort(compare);
  return sorted.filter((v, i) => i === 0 || compare(v, sorted[i - 1]!) !== 0);
}

function apply(op: string, a: Item[], b: Item[]): Item[] {
  const has = (set: Item[], v: Item): boolean => set.some((x) => compare(x, v) === 0);
  switch (op) {
    case 'a-b':
      return a.filter((v) => !has(b, v));
    case 'b-a':
      return b.filter((v) => !has(a, v));
    case 'intersection':
      return a.filter((v) => has(b, v));
    case 'union':
      return distinct([...a, ...b]);
    default:
      throw Errors.kernelArgument(`Invalid set_operation ${op}.`);
  }
}

function rowsOf(t: tf.Tensor): Item[][] {
  if (t.rank < 2) throw Errors.kernelArgument(`Shape [${t.shape.join(',')}] has rank ${t.rank} < 2`);
  const items: Item[] = t.dtype === 'string' ? bytesOf(t) : numbersOf(t);
  const width = t.shape[t.rank - 1]!;
  const rows = width === 0 ? t.size === 0 ? t.shape.slice(0, -1).reduce((x, y) => x * y, 1) : 0 : items.length / width;
  return Array.from({ length: rows }, (_, r) => distinct(items.slice(r * width, (r + 1) * width)));
}

function setOperation(node: GraphNode): tf.Tensor[] {
  const [x, y] = [kernelInput(node, 0), kernelInput(node, 1)];
  const op = attrText(node, 'set_operation');
  if (!['a-b', 'b-a', 'intersection', 'union'].includes(op)) throw Errors.kernelArgument(`Invalid set_operation ${op}.`);
  const [rowsA, rowsB] = [rowsOf(x), rowsOf(y)];
  const batch = x.shape.slice(0, -1);
  const batchB = y.shape.slice(0, -1);
  if (batch.length !== batchB.length || batch.some((d, i) => d !== batchB[i])) {
    throw Errors.kernelArgument(`Mismatched shapes [${batch.join(',')}] vs [${batchB.join(',')}]`);
  }
  const results = rowsA.map((a, r) => apply(op, a, rowsB[r]!));
  const width = results.reduce((m, r) => Math.max(m, r.length), 0);
  const indices: number[] = [];
  const values: Item[] = [];
  results.forEach((res, r) => {
    // the row's coordinates in the batch dims, then the position in the result
    const coords: number[] = [];
    for (let d = batch.length - 1, rem = r; d >= 0; d--) {
      coords.unshift(rem % batch[d]!);
      rem = Math.floor(rem / batch[d]!);
    }
    res.forEach((v, j) => {
      indices.push(...coords, j);
      values.push(v);
    });
  });
  const rank = batch.length + 1;
  const vals = x.dtype === 'string' ? stringTensor(values as Uint8Array[], [values.length]) : tf.tensor(values as number[], [values.length], x.dtype);
  return [intTensor(indices, [values.length, rank], 'DenseToDenseSetOperation indices'), vals, intTensor([...batch, width], [rank], 'DenseToDenseSetOperation shape')];
}

/** `SetSize`: the number of distinct values in each row of a SparseTensor (tf.sets.size). */
function setSize(node: GraphNode): tf.Tensor {
  const idx = numbersOf(kernelInput(node, 0));
  const valuesT = kernelInput(node, 1);
  const shape = numbersOf(kernelInput(node, 2));
  const rank = shape.length;
  if (rank < 2) throw Errors.kernelArgument(`Invalid input rank ${rank}.`);
  const items: Item[] = valuesT.dtype === 'string' ? bytesOf(valuesT) : numbersOf(valuesT);
  const batch = shape.slice(0, -1);
  const rows: Item[][] = Array.from({ length: batch.reduce((a, b) => a * b, 1) }, () => []);
  items.forEach((v, k) => {
    let r = 0;
    for (let d = 0; d < rank - 1; d++) r = r * batch[d]! + idx[k * rank + d]!;
    rows[r]?.push(v);
  });
  return tf.tensor(rows.map((r) => distinct(r).length), batch, 'int32');
}

export const SET_OPS_KERNELS: readonly KernelEntry[] = [
  { op: 'DenseToDenseSetOperation', kernel: setOperation },
  { op: 'SetSize', kernel: setSize },
];
