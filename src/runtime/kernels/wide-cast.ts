/**
 * `Cast` from or to int64/uint32/uint64/float64, and constants of those types, exactly
 * (wide-values.ts): integers wrap to the destination width as TF's casts do, int64 → float32
 * rounds once to nearest-even, and a float that has no integer value in the destination
 * type (NaN, out of range) fails the call instead of giving a platform-dependent number.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { mustDtype } from '../../tensor/dtypes.js';
import { makeWide, readWide, wideArray, wideKindOf, wrapInt, type WideData, type WideKind } from '../wide-values.js';
import { NARROW_INT_WIDTH } from '../narrow-int-policy.js';
import { wrapInt as wrapNarrow } from './narrow-int.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText, attrType } from './util.js';
import { WIDE_CONST_OP, WIDE_PREFIX } from './wide.js';

type Val = bigint | number;

const RANGE: Record<string, [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
};

/** A float truncated toward zero as an integer of `range`, or the call's error. */
function floatToInt(v: number, type: string): bigint {
  const [lo, hi] = RANGE[type] ?? RANGE['int32']!;
  if (Number.isFinite(v)) {
    const t = BigInt(Math.trunc(v));
    if (t >= lo && t <= hi) return t;
  }
  throw Errors.kernelArgument(`Cast: ${v} has no ${type} value (NaN or out of range); tfs refuses a platform-dependent result`);
}

/** An integer rounded to the nearest float32 (ties to even), rounding once. */
export function bigToFloat32(v: bigint): number {
  const neg = v < 0n;
  const a = neg ? -v : v;
  if (a <= 2n ** 53n) return Math.fround(Number(v));
  const shift = BigInt(a.toString(2).length - 24);
  let q = a >> shift;
  const rem = a - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const r = Number(q << shift);
  return Math.fround(neg ? -r : r);
}

function toWide(v: Val, kind: WideKind): Val {
  if (kind === 'float64') return typeof v === 'bigint' ? Number(v) : v;
  return typeof v === 'bigint' ? wrapInt(kind, v) : floatToInt(v, kind);
}

function toNarrow(v: Val, tfjs: string, dst: string): number {
  if (tfjs === 'bool') return (typeof v === 'bigint' ? v !== 0n : v !== 0) ? 1 : 0;
  if (tfjs === 'float32') return typeof v === 'bigint' ? bigToFloat32(v) : Math.fround(v);
  // Integer destinations computed as int32; narrower ones wrap here, as TF's Cast does (an op
  // after the Cast reads the wrapped value: int64 300 → uint8 44).
  const n = Number(BigInt.asIntN(32, typeof v === 'bigint' ? v : floatToInt(v, dst === 'DT_INT32' ? 'int32' : 'int64')));
  const w = NARROW_INT_WIDTH[dst];
  return w ? wrapNarrow(n, w[0], w[1]) : n;
}

function cast(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const src = attrType(node, 'SrcT');
  const dst = attrType(node, 'DstT');
  const sk = wideKindOf(src);
  const dk = wideKindOf(dst);
  const vals: ArrayLike<Val> = sk ? readWide(x, sk) : (x.dataSync() as ArrayLike<number>);
  const n = vals.length;
  if (dk) {
    const out: WideData = wideArray(dk, n);
    for (let i = 0; i < n; i++) out[i] = toWide(vals[i]!, dk);
    return makeWide(dk, out, x.shape);
  }
  const tfjs = mustDtype(dst).tfjs;
  if (tfjs !== 'float32' && tfjs !== 'int32' && tfjs !== 'bool') throw Errors.kernelUnsupported('Cast', `${src} to ${dst}`);
  const out = tfjs === 'float32' ? new Float32Array(n) : tfjs === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = toNarrow(vals[i]!, tfjs, dst);
  return tf.tensor(out, x.shape, tfjs);
}

/** A constant whose values its stand-in cannot hold: decimal values and shape in attrs. */
function wideConst(node: GraphNode): tf.Tensor {
  const kind = wideKindOf(attrText(node, '_tfs_wide'));
  if (!kind) throw Errors.kernelArgument('wide constant without a type');
  const text = attrText(node, '_tfs_wide_values');
  const parts = text === '' ? [] : text.split(',');
  const shapeText = attrText(node, '_tfs_wide_shape');
  const shape = shapeText === '' ? [] : shapeText.split(',').map(Number);
  const data = wideArray(kind, parts.length);
  for (let i = 0; i < parts.length; i++) data[i] = kind === 'float64' ? Number(parts[i]) : BigInt(parts[i]!);
  return makeWide(kind, data, shape);
}

export const WIDE_CAST_KERNELS: readonly KernelEntry[] = [
  { op: `${WIDE_PREFIX}Cast`, kernel: cast },
  { op: WIDE_CONST_OP, kernel: wideConst },
];
