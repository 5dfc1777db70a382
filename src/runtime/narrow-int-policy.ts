/**
 * int8/uint8/int16/uint16 without wrong answers. tfjs has none of them: tfs carries them as
 * int32, so an op computed in int32 gives a value outside the type where TF's result wraps
 * (int8 100 + 100 is -56 in TF). The values leave a signature wrapped (tensor-convert.ts),
 * but an op reading the unwrapped value (a Cast to float, a compare, a max, a division) gave
 * a wrong answer. The freezer therefore wraps the result of each op below to its type
 * (`_TfsWrapInt`, kernels/narrow-int.ts): each computes modulo 2^bits in TF's kernels
 * (two's complement), so its int32 result wrapped once equals TF's. Moving, comparing and
 * picking ops need no wrap.
 *
 * Integer `Mean`, `Prod`, `Square`, `Pow` (and `Mul`, `Cumprod`) themselves compute in int32
 * as TF does by the backend kernels of int32-wrap.ts, which every int8..int32 tensor reaches.
 */

export const WRAP_INT_OP = '_TfsWrapInt';

/** The narrow integer types and their [bits, signed]. */
export const NARROW_INT_WIDTH: Readonly<Record<string, readonly [number, boolean]>> = {
  DT_INT8: [8, true],
  DT_UINT8: [8, false],
  DT_INT16: [16, true],
  DT_UINT16: [16, false],
};

/** Ops whose int32 result, wrapped to the narrow type once, equals TF's result in that type. */
const WRAPPED_OPS = new Set([
  'AddV2', 'Add', 'Sub', 'Mul', 'Neg', 'Abs', 'Square', 'SquaredDifference', 'AddN', 'BiasAdd',
  'Sum', 'Prod', 'Cumsum', 'Cumprod', 'FloorDiv', 'TruncateDiv', 'Div',
  'SegmentSum', 'SegmentProd', 'UnsortedSegmentSum', 'UnsortedSegmentProd', 'ScatterNd', 'Pow',
]);
export type NarrowIntPlan = { wrap: string } | undefined;

/** Whether a node computing in a narrow integer type needs its result wrapped; `typeOf(attr)` gives a dtype attr (`DT_*`, '' when absent). */
export function narrowIntPlan(op: string, typeOf: (attr: string) => string): NarrowIntPlan {
  // A Cast to a narrow type wraps as C's conversion does (float truncated first: 300.7 → uint8 44);
  // left unwrapped, an op after it (Max, Mean, a compare) read 300 where TF reads 44.
  if (op === 'Cast') {
    const dst = typeOf('DstT');
    return NARROW_INT_WIDTH[dst] && typeOf('SrcT') !== dst ? { wrap: dst } : undefined;
  }
  const t = typeOf('T');
  if (!NARROW_INT_WIDTH[t]) return undefined;
  if (WRAPPED_OPS.has(op)) return { wrap: t };
  return undefined;
}
