/**
 * TF's legacy `Select` (tf.compat.v1.where / tf.compat.v1.select in TF1 graphs), which is NOT
 * numpy broadcasting (that is `SelectV2`). TF's select_op.cc picks one of three layouts:
 *
 * - a scalar condition picks all of `then` or all of `else`;
 * - a vector condition with a `then` of any rank but 1 picks whole rows: `cond[i]` chooses
 *   `then[i, ...]` or `else[i, ...]`;
 * - otherwise condition, `then` and `else` must have one shape and are picked elementwise.
 *
 * tfjs-converter runs `Select` as tf.where, which broadcasts the condition numpy-style against
 * the LAST dimension: with square operands ([n] against [n, n]) it picked columns instead of
 * rows, a wrong answer; otherwise it failed or, on wasm, read out of bounds (FINDINGS.md,
 * "Legacy Select"). The
 * freezer renames every non-string, non-wide `Select` to `_TfsSelectRows` (KERNEL_OVERRIDES in
 * index.ts); string and wide Selects use `selectCondShape` in layout.ts and wide.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';

export const SELECT_ROWS_OP = '_TfsSelectRows';

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A shape as TF's messages print it: `[3,4]`, `[]`. */
const shapeText = (s: readonly number[]): string => `[${s.join(',')}]`;

function thenElseSame(t: readonly number[], e: readonly number[]): void {
  if (!same(t, e)) throw Errors.kernelArgument(`'then' and 'else' must have the same size.  but received: ${shapeText(t)} vs. ${shapeText(e)}`);
}

/**
 * The shape Select's condition `c` broadcasts as against `then` (`t`) and `else` (`e`), which
 * have shape `t`: `[]` (scalar), `[n, 1, ..., 1]` (rows) or `t` itself. Throws TF's
 * INVALID_ARGUMENT texts, checked in TF's order, for the shapes TF refuses.
 */
export function selectCondShape(c: readonly number[], t: readonly number[], e: readonly number[]): number[] {
  if (c.length === 0) {
    thenElseSame(t, e);
    return [];
  }
  if (c.length === 1 && t.length !== 1) {
    if (t.length === 0) throw Errors.kernelArgument(`'then' must be at least a vector, but saw shape: ${shapeText(t)}`);
    if (t[0] !== c[0]) throw Errors.kernelArgument(`Number of batches of 'then' must match size of 'cond', but saw: ${t[0]} vs. ${c[0]}`);
    thenElseSame(t, e);
    return [c[0]!, ...t.slice(1).map(() => 1)];
  }
  [t, e].forEach((s, i) => {
    if (!same(c, s)) {
      throw Errors.kernelArgument(`Inputs to operation Select of type Select must have the same size and shape.  Input 0: ${shapeText(c)} != input ${i + 1}: ${shapeText(s)}`);
    }
  });
  return [...c];
}

/**
 * Select on tfjs dtypes (float32, int32, bool), in plain JS over the flat values: each
 * condition element covers `inner` consecutive output elements (all of them for a scalar,
 * one row for a vector, one element elementwise). tf.where is not used: on wasm it broadcasts
 * a bool condition through kernels that read out of bounds, and picks bool operands wrongly.
 */
function selectRows(node: GraphNode): tf.Tensor {
  const [c, t, e] = [0, 1, 2].map((i) => kernelInput(node, i)) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const cShape = selectCondShape(c.shape, t.shape, e.shape);
  const cond = c.dataSync();
  const tv = t.dataSync();
  const ev = e.dataSync();
  const inner = cShape.length === 0 ? t.size : t.size / Math.max(1, c.size);
  const out = new (tv.constructor as new (n: number) => tf.TypedArray)(t.size);
  for (let i = 0; i < out.length; i++) out[i] = (cond[Math.floor(i / inner)] ? tv[i] : ev[i]) as number;
  return tf.tensor(out, t.shape, t.dtype);
}

export const SELECT_KERNELS: readonly KernelEntry[] = [{ op: SELECT_ROWS_OP, kernel: (node) => selectRows(node) }];
