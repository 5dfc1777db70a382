/**
 * `StatelessCase` / `Case` (`tf.switch_case`): runs the branch function the index picks.
 *
 * tfjs-converter has no Case. The freezer emits `_TfsCase` with the rebuilt branch
 * functions as `_tfs_branch_<i>` attrs (so the load-time op check walks them like If
 * branches), and this kernel runs the chosen one the way tfjs runs an If branch: through
 * the function executors of the node's execution context. Those are tfjs-converter
 * internals (`NodeValueImpl.context`, `node.rawAttrs`), checked here so that another
 * tfjs-converter fails with a clear INTERNAL error instead of a TypeError.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { CASE_OP } from './control-names.js';

interface FunctionExecutor {
  executeFunctionAsync(inputs: tf.Tensor[], tensorArrayMap: unknown, tensorListMap: unknown): Promise<tf.Tensor[]>;
}
interface NodeInternals {
  node?: { rawAttrs?: Record<string, { func?: { name?: string } }> };
  context?: { functionMap?: Record<string, FunctionExecutor>; tensorArrayMap?: unknown; tensorListMap?: unknown };
}

/** TF's rule (CaseOp): an index outside [0, n) runs the last branch. */
export function branchIndex(index: number, n: number): number {
  return index >= 0 && index < n ? index : n - 1;
}

async function runCase(node: GraphNode): Promise<tf.Tensor[]> {
  const n = Number(node.attrs['_tfs_branches'] ?? 0);
  const index = branchIndex(Number(kernelInput(node, 0).dataSync()[0]), n);
  const inner = node as unknown as NodeInternals;
  const name = inner.node?.rawAttrs?.[`_tfs_branch_${index}`]?.func?.name;
  const ctx = inner.context;
  const fn = name === undefined ? undefined : ctx?.functionMap?.[name];
  if (n < 1 || !ctx || !fn) throw Errors.internal(`StatelessCase: branch ${index} of ${n} cannot be run by this tfjs-converter`);
  return fn.executeFunctionAsync(node.inputs.slice(1), ctx.tensorArrayMap, ctx.tensorListMap);
}

export const CASE_KERNELS: readonly KernelEntry[] = [{ op: CASE_OP, kernel: runCase }];
