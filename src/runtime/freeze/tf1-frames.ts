/**
 * TF1 control-flow frames (control flow v1): loop bodies and cond branches hang on a
 * "pivot", an `Identity` of a `Switch` output.
 *
 * - Such an Identity gets a node of its own (basic.ts) instead of being passed through:
 *   the walk may enter a loop there, and the cycle must close on a named node.
 * - A constant with a control input on a pivot belongs to that frame. As a bare weight it
 *   would live outside it: a loop would compute what depends on it in the first iteration
 *   only, and a cond Merge would see it on the branch not taken. `_TfsAfter(const, pivot)`
 *   ties it to the pivot again.
 */
import type { FreezeContext } from './context.js';
import { ctrlInputs, dataInputs, type Node, type Scope } from './scope.js';
import { splitRef } from './bind.js';
import { TFS_OPS } from './types.js';

const PASS_THROUGH = new Set(['Identity', 'Snapshot', 'StopGradient', 'PreventGradient', 'CheckNumerics', 'Print']);

/** Whether a node's first data input is a TF1 `Switch` output. */
export function afterSwitch(scope: Scope, node: Node): boolean {
  const src = splitRef(dataInputs(node)[0] ?? '')[0] ?? '';
  return !scope.fn && scope.nodes.get(src)?.op === 'Switch';
}

/** `ref` (a constant of `node`) kept in the frame of the pivots `node` hangs on, if any. */
export function inFrame(fz: FreezeContext, scope: Scope, node: Node, ref: string): string {
  const pivots = ctrlInputs(node).filter((c) => {
    const n = scope.nodes.get(c);
    return n !== undefined && PASS_THROUGH.has(n.op) && afterSwitch(scope, n);
  });
  if (scope.fn || pivots.length === 0) return ref;
  const deps = pivots.map((c) => fz.asTensor(scope, fz.emitRef(scope, c), `node ${scope.prefix}${node.name}`));
  return fz.custom(scope, `${node.name}/_tfs_in_frame`, TFS_OPS.after, [ref, ...deps]);
}
