/**
 * MaxPool on the wasm backend without a copy of its input (issue 20).
 *
 * TF's MaxPool starts each window at -FLT_MAX and skips NaN (backend.ts, maxPoolLikeTf); XNNPACK's
 * pool does neither, so the generic wrapper reads the whole input back to JS (readSync copies it
 * off the wasm heap) and scans it for NaN/-Inf before every call. On small_cnn at batch 128 that
 * made the two MaxPools cost more than both convolutions (profiled with tf.profile: 14.5 ms of
 * 28 ms on the loaded 2-core dev machine).
 *
 * Here a tiny SIMD module, sharing tfjs-backend-wasm's memory, pools straight from the input
 * tensor's bytes into the output's with TF's rule built in: `f32x4.pmax(m, v)` is `m < v ? v : m`,
 * so a NaN `v` (compares false) and a -Inf `v` (not above the -FLT_MAX start) leave `m` alone,
 * which is exactly TF's answer, with no scan at all. It takes NHWC float32 (VALID or SAME) with
 * channels a multiple of 4; other calls go to the wrapped kernel. TFS_WASM_POOL=0 turns it off (for same-run comparisons in bench/).
 *
 * There is no C→wasm compiler in this project, so the function is written as wasm bytes (wasm-bytes.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';
import { I32, V128, f32Const, moduleBytes, op, simd, type FuncDef } from './wasm-bytes.js';
import { wasm, type WasmMemory } from './wasm-api.js';

const { get, set, i32 } = op;
/** `l += by` (by: a local). */
const bump = (l: number, by: number[]): number[] => [...get(l), ...by, ...op.i32Add(), ...set(l)];
/** `l += 1; br_if 0 (l < bound)`: the back edge of a do-while loop. */
const next = (l: number, bound: number): number[] => [...bump(l, i32(1)), ...get(l), ...get(bound), ...op.i32LtS(), ...op.brIf(0)];

// pool(x, out, oh, ow, kh, kw, c4, swB, shB, rowB, pixB): one image; byte addresses and strides.
const [X, OUT, OH, OW, KH, KW, C4, SWB, SHB, ROWB, PIXB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [I, J, C, A, B, PROW, P, XJ, M] = [11, 12, 13, 14, 15, 16, 17, 18, 19];
const LOWEST = f32Const(-3.4028234663852886e38);

function poolBody(): number[] {
  const window = [
    ...LOWEST, ...simd.f32x4Splat(), ...set(M), // m = splat(-FLT_MAX)
    ...get(XJ), ...get(C), ...i32(4), ...op.i32Shl(), ...op.i32Add(), ...set(PROW), // pRow = xj + c * 16
    ...i32(0), ...set(A),
    ...op.loop(),
    ...get(PROW), ...set(P), ...i32(0), ...set(B),
    ...op.loop(),
    ...get(M), ...get(P), ...simd.load(), ...simd.f32x4Pmax(), ...set(M), // m = pmax(m, load(p))
    ...bump(P, get(PIXB)), ...next(B, KW), ...op.end(),
    ...bump(PROW, get(ROWB)), ...next(A, KH), ...op.end(),
    ...get(OUT), ...get(M), ...simd.store(), // store(out, m)
    ...bump(OUT, i32(16)),
  ];
  return [
    ...i32(0), ...set(I),
    ...op.loop(),
    ...get(X), ...set(XJ), ...i32(0), ...set(J),
    ...op.loop(),
    ...i32(0), ...set(C),
    ...op.loop(), ...window, ...next(C, C4), ...op.end(),
    ...bump(XJ, get(SWB)), ...next(J, OW), ...op.end(),
    ...bump(X, get(SHB)), ...next(I, OH), ...op.end(),
  ];
}

function poolModuleBytes(shared: boolean): Uint8Array {
  const pool: FuncDef = { name: 'pool', params: new Array<typeof I32>(11).fill(I32), results: [], locals: [[8, I32], [1, V128]], body: poolBody() };
  // Shared memories must declare a maximum; 65536 pages (4 GiB) admits any.
  return moduleBytes([pool], shared ? { min: 1, max: 65536, shared } : { min: 1 });
}

type WasmFn = (...args: number[]) => void;
interface WasmBackendLike {
  wasm: { asm?: { memory?: WasmMemory }; wasmMemory?: WasmMemory };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

const pools = new WeakMap<object, WasmFn | null>();

/** The pool function bound to `backend`'s memory (null when it cannot be found or compiled). */
function poolFor(backend: WasmBackendLike): WasmFn | null {
  let fn = pools.get(backend);
  if (fn !== undefined) return fn;
  fn = null;
  // The single-threaded build exports its memory; the threaded one imports it (Module.wasmMemory).
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (memory instanceof wasm.Memory) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const mod = new wasm.Module(poolModuleBytes(shared));
      fn = new wasm.Instance(mod, { env: { memory } }).exports['pool'] as WasmFn;
    } catch {
      fn = null; // no SIMD in this engine: the wrapped kernel serves every call
    }
  }
  pools.set(backend, fn);
  return fn;
}

type PoolAttrs = { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };

type PoolInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

/**
 * Padded windows (SAME where TF pads): TF ignores the padding (a window's max is over its
 * in-bounds values only), so each output row is pooled over its clipped rows, its interior
 * columns in one call and its edge columns one call each with their clipped widths.
 */
function poolPadded(pool: WasmFn, info: PoolInfo, xAt: number, outAt: number): void {
  const [n, h, w, channels] = info.inShape;
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const pixB = channels * 4;
  const rowB = w * pixB;
  // Output columns [jLo, jHi] have windows fully inside the row.
  const jLo = Math.ceil(left / sw);
  const jHi = Math.min(ow - 1, Math.floor((w + left - kw) / sw));
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const hs = i * sh - top;
      const [h0, h1] = [Math.max(0, hs), Math.min(h, hs + kh)];
      const rowAt = xAt + (b * h + h0) * rowB;
      const outRow = outAt + (b * oh + i) * ow * pixB;
      const at = (j: number): number => rowAt + Math.max(0, j * sw - left) * pixB;
      const cols = (j: number, count: number, width: number): void =>
        pool(at(j), outRow + j * pixB, 1, count, h1 - h0, width, channels / 4, sw * pixB, 0, rowB, pixB);
      if (jHi >= jLo) cols(jLo, jHi - jLo + 1, kw);
      for (let j = 0; j < ow; j++) {
        if (j >= jLo && j <= jHi) continue;
        const ws = j * sw - left;
        cols(j, 1, Math.min(w, ws + kw) - Math.max(0, ws));
      }
    }
  }
}

/** Whether every window has at least one in-bounds row and column (TF's SAME always does). */
function windowsInBounds(info: PoolInfo): boolean {
  const [, h, w] = info.inShape;
  const { top, left } = info.padInfo;
  const lastRow = (info.outHeight - 1) * info.strideHeight - top;
  const lastCol = (info.outWidth - 1) * info.strideWidth - left;
  return top < info.filterHeight && left < info.filterWidth && lastRow < h && lastCol < w;
}

/** The fast pool's result, or undefined where the call is not one it takes. */
export function fastMaxPool(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | undefined {
  const x = (args.inputs as { x?: tf.TensorInfo }).x;
  if (x?.dtype !== 'float32' || x.shape.length !== 4 || x.shape.includes(0)) return undefined;
  const channels = x.shape[3]!;
  if (channels % 4 !== 0) return undefined;
  const a = args.attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.outHeight < 1 || info.outWidth < 1 || !windowsInBounds(info)) return undefined;
  const backend = args.backend as unknown as WasmBackendLike;
  const pool = poolFor(backend);
  if (!pool) return undefined;
  const [n, h, w] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, info.outHeight, info.outWidth, channels], 'float32');
  const xAt = backend.getMemoryOffset(x.dataId);
  const outAt = backend.getMemoryOffset(out.dataId);
  const p = info.padInfo;
  if (p.top !== 0 || p.bottom !== 0 || p.left !== 0 || p.right !== 0) {
    poolPadded(pool, info, xAt, outAt);
    return out;
  }
  const pixB = channels * 4;
  const rowB = w * pixB;
  const outImageB = info.outHeight * info.outWidth * pixB;
  for (let b = 0; b < n; b++) {
    pool(xAt + b * h * rowB, outAt + b * outImageB, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
      channels / 4, info.strideWidth * pixB, info.strideHeight * rowB, rowB, pixB);
  }
  return out;
}

/** Wraps wasm's MaxPool (already TF-corrected by maxPoolLikeTf) with the copy-free SIMD pool. */
export function fastMaxPoolOnWasm(): void {
  if (process.env['TFS_WASM_POOL'] === '0') return;
  wrapKernel('MaxPool', 'wasm', (inner) => (args) => fastMaxPool(args) ?? inner(args));
}
