/**
 * int64/uint32/uint64 constants without wrong answers. tfjs computes these types as int32,
 * so a constant outside int32 cannot be carried (tfjs would wrap it). Like an unsupported
 * op, such a constant is a problem of the signatures that reach it: its Const node is
 * renamed `Const <type> beyond int32`, so the load-time op check lists it with exactly the
 * signatures (or the init op) that need it, and the generic weight error is not repeated.
 * The model-wide policy stays as for unsupported ops: a model with such a constant anywhere
 * a signature reaches is refused, every problem listed at once.
 */
import type { Tensor } from '../tensor/tensor.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

interface ConstNode {
  name: string;
  op: string;
}

/** The first value of an int64/uint32/uint64 tensor outside int32, or undefined. */
export function firstBeyondInt32(t: Tensor): bigint | number | undefined {
  if (t.dtype === 'DT_INT64' || t.dtype === 'DT_UINT64') {
    for (const v of t.data as BigInt64Array | BigUint64Array) if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) return v;
  } else if (t.dtype === 'DT_UINT32') {
    for (const v of t.data as Uint32Array) if (v > INT32_MAX) return v;
  }
  return undefined;
}

/** The refusal op name for a constant of TF dtype `dtype`. */
export const wideConstOp = (dtype: string): string => `Const ${dtype.replace(/^DT_/, '').toLowerCase()} beyond int32`;

/**
 * Rename the Const nodes among `nodes` that hold an int64/uint32/uint64 value outside int32
 * (graph constants only: checkpoint variables keep their named load error). Returns the
 * names renamed.
 */
export function refuseWideIntConsts(
  nodes: ConstNode[],
  weights: ReadonlyMap<string, Tensor>,
  isVariable: (name: string) => boolean,
): Set<string> {
  const renamed = new Set<string>();
  for (const n of nodes) {
    const w = n.op === 'Const' ? weights.get(n.name) : undefined;
    if (!w || isVariable(n.name) || firstBeyondInt32(w) === undefined) continue;
    n.op = wideConstOp(w.dtype);
    renamed.add(n.name);
  }
  return renamed;
}
