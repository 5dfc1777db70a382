/**
 * Constants (graph constants and frozen variable values) whose values a tfjs stand-in cannot
 * hold exactly (int64/uint32/uint64 beyond int32, float64 float32 cannot hold) become
 * `_TfsWideConst` nodes carrying their exact decimal values (kernels/wide-cast.ts).
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { AttrJson } from '../graph-json.js';
import { firstMisfit, wideKindOf, type WideData } from '../wide-values.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function wideValues(t: Tensor): WideData {
  return t.data instanceof Uint32Array ? BigUint64Array.from(t.data, (v) => BigInt(v)) : (t.data as WideData);
}

/** Whether `t` is of a wide type with a value its stand-in cannot hold. */
export function wideConstNeeded(t: Tensor): boolean {
  return wideKindOf(t.dtype) !== undefined && firstMisfit(wideValues(t)) !== undefined;
}

/** A wide constant's attrs: its type, shape and exact decimal values. */
export function wideConstAttrs(t: Tensor): Record<string, AttrJson> {
  const vals = Array.from(wideValues(t) as ArrayLike<number | bigint>, (v) => (Object.is(v, -0) ? '-0' : String(v)));
  return {
    _tfs_wide: { s: b64(t.dtype) },
    _tfs_wide_shape: { s: b64(t.shape.join(',')) },
    _tfs_wide_values: { s: b64(vals.join(',')) },
  };
}
