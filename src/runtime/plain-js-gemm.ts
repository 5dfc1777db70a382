/**
 * The plain-JS tier's MatMul on the wasm backend, in WebAssembly SIMD (issue 20).
 *
 * tfjs-backend-wasm runs an untransposed rank-2 MatMul with XNNPACK's fully-connected
 * operator: per output a float32 accumulator that starts at the bias (or +0) and adds each
 * float32-rounded product a[i][p]·b[p][j] in k order. Scalar JavaScript repeats that with
 * Math.fround (plain-js.ts), but at a few ns a multiply-add it loses to XNNPACK past a few
 * thousand of them. This module does the same arithmetic four columns at a time with
 * `f32x4.mul` and `f32x4.add`: each lane is one IEEE float32 multiply, then one IEEE float32
 * add (no fused multiply-add: plain wasm SIMD has none), in k order, so every output is bit
 * for bit the scalar one (NaN excepted; the tier refuses NaN anyway). Columns past the last
 * multiple of four use the scalar `f32.mul` and `f32.add`.
 *
 * The module is a few hundred bytes assembled here with wasm-bytes.ts (no build step, no file
 * to ship): one exported function `gemm(m, k, n, a, b, bias, out)` over byte offsets of its
 * own memory, which the caller fills per call. Where WebAssembly SIMD is missing, {@link simdGemm}
 * is undefined and the tier keeps its scalar loop and work budget.
 */

import { F32, I32, V128, moduleBytes, op, simd, type FuncDef } from './wasm-bytes.js';
import { wasm, type WasmMemory } from './wasm-api.js';

const { get, set, i32 } = op;

// Parameters 0..6: m, k, n, a, b, bias, out (byte offsets). Locals after them: i32s, then
// v128s (X and VECTORS accumulators), then one f32 accumulator.
const [M, K, N, A, B, BIAS, OUT] = [0, 1, 2, 3, 4, 5, 6];
const I = 7, J = 8, P = 9, AP = 10, BP = 11, ROWA = 12, ROWO = 13, NB = 14, LIMIT = 15, X = 16;
/** Vector accumulators of the widest column block: 4 × 4 columns, independent add chains. */
const VECTORS = 4;
const ACC_V = 17;
const ACC_S = ACC_V + VECTORS;
const I32_LOCALS = X - I;

/** `local += by` (a constant or another local). */
const bump = (local: number, by: number[]): number[] => [...get(local), ...by, ...op.i32Add(), ...set(local)];
/** Leave the enclosing block (depth 1 from inside its loop) when `local >= limit`. */
const exitWhenDone = (local: number, limit: number): number[] => [...get(local), ...get(limit), ...op.i32GeS(), ...op.brIf(1)];
/** `block loop ... br 0 end end`: a loop that `exitWhenDone` leaves. */
const blockLoop = (...code: number[][]): number[] => [...op.block(), ...op.loop(), ...code.flat(), ...op.br(0), ...op.end(), ...op.end()];

/**
 * The k loop of a block of `vectors` × 4 columns (0: one scalar column): per p,
 * `acc_v += splat(a[i][p]) * b[p][j + 4v..]`, or `acc += a[i][p] * b[p][j]`.
 */
function kLoop(vectors: number): number[] {
  const step: number[] = [];
  if (vectors === 0) {
    step.push(...get(ACC_S), ...get(AP), ...op.f32Load(), ...get(BP), ...op.f32Load(), ...op.f32Mul(), ...op.f32Add(), ...set(ACC_S));
  } else {
    step.push(...get(AP), ...op.f32Load(), ...simd.f32x4Splat(), ...set(X));
    for (let v = 0; v < vectors; v++) {
      // v128.load's offset immediate reaches the v-th vector of the row.
      step.push(...get(ACC_V + v), ...get(X), ...get(BP), ...simd.load(16 * v, 2), ...simd.f32x4Mul(), ...simd.f32x4Add(), ...set(ACC_V + v));
    }
  }
  return [
    ...i32(0), ...set(P),
    ...get(ROWA), ...set(AP),
    ...blockLoop(
      exitWhenDone(P, K),
      step,
      bump(AP, i32(4)),
      bump(BP, get(NB)),
      bump(P, i32(1)),
    ),
  ];
}

/**
 * Columns from J on, `vectors` × 4 (0: one) at a time while a whole block fits before n:
 * accumulators from the bias, the k loop, then the stores.
 */
function columnLoop(vectors: number): number[] {
  const width = Math.max(1, 4 * vectors);
  // Byte offset of column J: J << 2.
  const col = [...get(J), ...i32(2), ...op.i32Shl()];
  const init: number[] = [];
  const store: number[] = [];
  if (vectors === 0) {
    init.push(...get(BIAS), ...col, ...op.i32Add(), ...op.f32Load(), ...set(ACC_S));
    store.push(...get(ROWO), ...col, ...op.i32Add(), ...get(ACC_S), ...op.f32Store());
  }
  for (let v = 0; v < vectors; v++) {
    init.push(...get(BIAS), ...col, ...op.i32Add(), ...simd.load(16 * v, 2), ...set(ACC_V + v));
    store.push(...get(ROWO), ...col, ...op.i32Add(), ...get(ACC_V + v), ...simd.store(16 * v, 2));
  }
  return [
    // LIMIT = n - width + 1: a block starting below it fits.
    ...get(N), ...i32(1 - width), ...op.i32Add(), ...set(LIMIT),
    ...blockLoop(
      exitWhenDone(J, LIMIT),
      init,
      get(B), col, op.i32Add(), set(BP),
      kLoop(vectors),
      store,
      bump(J, i32(width)),
    ),
  ];
}

/** `gemm`: rows i; per row, blocks of 16, 8, 4 columns, then single ones. */
function gemmFunc(): FuncDef {
  const body = [
    ...get(N), ...i32(2), ...op.i32Shl(), ...set(NB), // NB = n * 4: bytes from one row of b to the next
    ...i32(0), ...set(I),
    ...blockLoop(
      exitWhenDone(I, M),
      // ROWA = a + i*k*4, ROWO = out + i*n*4
      [...get(A), ...get(I), ...get(K), ...op.i32Mul(), ...i32(2), ...op.i32Shl(), ...op.i32Add(), ...set(ROWA)],
      [...get(OUT), ...get(I), ...get(NB), ...op.i32Mul(), ...op.i32Add(), ...set(ROWO)],
      [...i32(0), ...set(J)],
      columnLoop(4),
      columnLoop(2),
      columnLoop(1),
      columnLoop(0),
      bump(I, i32(1)),
    ),
  ];
  // X (the splat of a[i][p]) and the accumulators are the v128 locals.
  const locals: FuncDef['locals'] = [[I32_LOCALS, I32], [1 + VECTORS, V128], [1, F32]];
  return { name: 'gemm', params: new Array<typeof I32>(7).fill(I32), results: [], locals, body };
}

/** The whole module: one memory (exported as `mem`), one function `gemm` of seven i32s. */
function gemmModuleBytes(): Uint8Array {
  return moduleBytes([gemmFunc()], { min: 1, export: 'mem' });
}

/** `gemm` with the memory it reads and writes. */
export interface SimdGemm {
  /**
   * out[m×n] = bias[n] + a[m×k]·b[k×n], XNNPACK's order of operations (see the header), into
   * `out` when given (m×n floats, all overwritten) or a new array.
   */
  run(a: Float32Array, b: Float32Array, bias: Float32Array | undefined, m: number, k: number, n: number, out?: Float32Array): Float32Array;
}

function instantiate(): SimdGemm | undefined {
  let instance: { exports: Record<string, unknown> };
  try {
    instance = new wasm.Instance(new wasm.Module(gemmModuleBytes()));
  } catch {
    return undefined;
  }
  const memory = instance.exports['mem'] as WasmMemory;
  const gemm = instance.exports['gemm'] as (m: number, k: number, n: number, a: number, b: number, bias: number, out: number) => void;
  let f32 = new Float32Array(memory.buffer);
  return {
    run(a, b, bias, m, k, n, out) {
      // Layout (in floats): a, then b, then the bias (zeros when none: +0, as XNNPACK), then out.
      const offB = m * k;
      const offBias = offB + k * n;
      const offOut = offBias + n;
      const end = offOut + m * n;
      if (end * 4 > memory.buffer.byteLength) {
        memory.grow(Math.ceil((end * 4 - memory.buffer.byteLength) / 65536));
        f32 = new Float32Array(memory.buffer);
      }
      f32.set(a, 0);
      f32.set(b, offB);
      if (bias) f32.set(bias, offBias);
      else f32.fill(0, offBias, offOut);
      gemm(m, k, n, 0, offB * 4, offBias * 4, offOut * 4);
      if (!out) return f32.slice(offOut, end);
      // A copy loop, not set(subarray()): no view object per call.
      for (let i = 0, j = offOut; j < end; i++, j++) out[i] = f32[j]!;
      return out;
    },
  };
}

/** The SIMD MatMul, or undefined where this WebAssembly has no SIMD. */
export const simdGemm: SimdGemm | undefined = instantiate();
