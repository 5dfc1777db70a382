/**
 * Division by a constant as TF Serving computes it: Grappler's constant folding rewrites a
 * floating `RealDiv`/`Div` whose divisor is a Const (not fed) into `Mul(x, Reciprocal(c))` and
 * folds the reciprocal (grappler/optimizers/constant_folding.cc, ReduceDivToReciprocalMul), so
 * TF answers x * fl(1/c), not fl(x / c). They differ in the last bit for some x (23 / 24 →
 * 0.9583333 as a quotient, 0.9583334 as a product), which a later floor or cast turns into a
 * whole pixel: `tf.image.resize_with_pad` on a 17x23 image resized to 23 columns in TF and 24
 * in tfs (probe11). tfs emits the same product for float32 and float64 when the divisor is constant (a Const,
 * or pure ops of Consts in the same graph or function, FOLDABLE) and the dividend is not. A divisor
 * built by other ops TF would fold (Shape of a static shape, ...) is not recognised: still a division.
 */
import { emitGeneric } from './basic.js';
import type { EmitterEntry, FreezeContext } from './context.js';
import { ctrlInputs, dataInputs, type Node, type NodeResult, type Scope } from './scope.js';
import { dtypeInfo } from '../../tensor/dtypes.js';

/**
 * Pure ops Grappler folds when every data input is constant (a Cast of a Const, as
 * `tf.cast(24, tf.float32)` in resize_with_pad, becomes a Const before the division is rewritten).
 */
const FOLDABLE = new Set(['Identity', 'Cast', 'Mul', 'AddV2', 'Add', 'Sub', 'RealDiv', 'Div', 'Neg', 'Sqrt', 'Rsqrt',
  'Square', 'Reciprocal', 'Maximum', 'Minimum', 'Reshape', 'Pack', 'ExpandDims', 'Squeeze', 'Fill']);

/**
 * Whether `ref` is constant for Grappler: a Const that is not fed, or a foldable op of
 * constants, in the same graph or function (a function argument counts as not constant).
 */
function isConstant(scope: Scope, ref: string, depth = 0): boolean {
  const name = ref.split(':')[0]!;
  if (depth > 32 || (scope.fn ? scope.args.has(name) : scope.overrides.has(`${name}:0`))) return false;
  const node = scope.nodes.get(name);
  if (node?.op === 'Const') return true;
  if (!node || !FOLDABLE.has(node.op)) return false;
  const data = dataInputs(node);
  return data.length > 0 && data.every((i) => isConstant(scope, i, depth + 1));
}

function emitDiv(fz: FreezeContext, scope: Scope, node: Node): NodeResult {
  const [x, y] = dataInputs(node);
  const t = node.attr['T']?.type;
  // float64 too (wide kernels: x * fl(1/c) in doubles): `tf.cast(ids, tf.float64) / 3.0` is
  // 9069281257082.332 in TF and was .334 as a quotient, which `as_string(precision=3)` shows (probe14)
  const name = t === undefined ? undefined : dtypeInfo(t)?.name;
  const floating = name === 'DT_FLOAT' || name === 'DT_DOUBLE';
  // both constant: TF folds the division itself (a true quotient)
  const rewrite = floating && x !== undefined && y !== undefined && isConstant(scope, y) && !isConstant(scope, x);
  if (!rewrite) return emitGeneric(fz, scope, node);
  const recip: Node = { name: `${node.name}/_tfs_reciprocal`, op: 'Reciprocal', input: [y], attr: { T: node.attr['T']! } };
  scope.nodes.set(recip.name, recip);
  const mul: Node = { ...node, op: 'Mul', input: [x, recip.name, ...ctrlInputs(node).map((c) => `^${c}`)] };
  return emitGeneric(fz, scope, mul);
}

export const DIV_CONST_EMITTERS: readonly EmitterEntry[] = [{ ops: ['RealDiv', 'Div'], emit: emitDiv }];
