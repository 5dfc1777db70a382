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
 * The module is a few hundred bytes assembled here (no build step, no file to ship): one
 * exported function `gemm(m, k, n, a, b, bias, out)` over byte offsets of its own memory,
 * which the caller fills per call. Where WebAssembly SIMD is missing, {@link simdGemm}
 * is undefined and the tier keeps its scalar loop and work budget.
 */

/** Unsigned LEB128 (wasm's integer encoding). */
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a small integer (-64..63, one byte), as i32.const takes it. */
function sleb(v: number): number[] {
  if (v < -64 || v > 63) throw new RangeError(`sleb ${v}`);
  return [v & 0x7f];
}

/** A wasm vector: its length, then the bytes. */
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A module section: id, byte size, contents. */
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes (WebAssembly core and SIMD specs).
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const LGET = 0x20, LSET = 0x21;
const I32_CONST = 0x41, I32_GE_S = 0x4e, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHL = 0x74;
const F32_LOAD = 0x2a, F32_STORE = 0x38, F32_ADD = 0x92, F32_MUL = 0x94;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00], V128_STORE = [SIMD, 0x0b], F32X4_SPLAT = [SIMD, 0x13];
const F32X4_ADD = [SIMD, ...uleb(0xe4)], F32X4_MUL = [SIMD, ...uleb(0xe6)];
/** memarg: alignment exponent and offset 0. */
const mem = (align: number): number[] => [align, 0];

// The little of the WebAssembly JS API used here (the project's TS lib has no WebAssembly types).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

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
const bump = (local: number, by: number[]): number[] => [LGET, local, ...by, I32_ADD, LSET, local];
/** Leave the enclosing block (depth 1 from inside its loop) when `local >= limit`. */
const exitWhenDone = (local: number, limit: number): number[] => [LGET, local, LGET, limit, I32_GE_S, BR_IF, 1];

/**
 * The k loop of a block of `vectors` × 4 columns (0: one scalar column): per p,
 * `acc_v += splat(a[i][p]) * b[p][j + 4v..]`, or `acc += a[i][p] * b[p][j]`.
 */
function kLoop(vectors: number): number[] {
  const step: number[] = [];
  if (vectors === 0) {
    step.push(LGET, ACC_S, LGET, AP, F32_LOAD, ...mem(2), LGET, BP, F32_LOAD, ...mem(2), F32_MUL, F32_ADD, LSET, ACC_S);
  } else {
    step.push(LGET, AP, F32_LOAD, ...mem(2), ...F32X4_SPLAT, LSET, X);
    for (let v = 0; v < vectors; v++) {
      // v128.load's offset immediate reaches the v-th vector of the row.
      step.push(LGET, ACC_V + v, LGET, X, LGET, BP, ...V128_LOAD, 2, ...uleb(16 * v), ...F32X4_MUL, ...F32X4_ADD, LSET, ACC_V + v);
    }
  }
  return [
    I32_CONST, 0, LSET, P,
    LGET, ROWA, LSET, AP,
    BLOCK, VOID, LOOP, VOID,
    ...exitWhenDone(P, K),
    ...step,
    ...bump(AP, [I32_CONST, 4]),
    ...bump(BP, [LGET, NB]),
    ...bump(P, [I32_CONST, 1]),
    BR, 0, END, END,
  ];
}

/**
 * Columns from J on, `vectors` × 4 (0: one) at a time while a whole block fits before n:
 * accumulators from the bias, the k loop, then the stores.
 */
function columnLoop(vectors: number): number[] {
  const width = Math.max(1, 4 * vectors);
  // Byte offset of column J: J << 2.
  const col = [LGET, J, I32_CONST, 2, I32_SHL];
  const init: number[] = [];
  const store: number[] = [];
  if (vectors === 0) {
    init.push(LGET, BIAS, ...col, I32_ADD, F32_LOAD, ...mem(2), LSET, ACC_S);
    store.push(LGET, ROWO, ...col, I32_ADD, LGET, ACC_S, F32_STORE, ...mem(2));
  }
  for (let v = 0; v < vectors; v++) {
    init.push(LGET, BIAS, ...col, I32_ADD, ...V128_LOAD, 2, ...uleb(16 * v), LSET, ACC_V + v);
    store.push(LGET, ROWO, ...col, I32_ADD, LGET, ACC_V + v, ...V128_STORE, 2, ...uleb(16 * v));
  }
  return [
    // LIMIT = n - width + 1: a block starting below it fits.
    LGET, N, I32_CONST, ...sleb(1 - width), I32_ADD, LSET, LIMIT,
    BLOCK, VOID, LOOP, VOID,
    ...exitWhenDone(J, LIMIT),
    ...init,
    LGET, B, ...col, I32_ADD, LSET, BP,
    ...kLoop(vectors),
    ...store,
    ...bump(J, [I32_CONST, ...sleb(width)]),
    BR, 0, END, END,
  ];
}

/** The body of `gemm`: rows i; per row, blocks of 16, 8, 4 columns, then single ones. */
function gemmBody(): number[] {
  const locals = vec([
    [...uleb(I32_LOCALS), 0x7f],
    [...uleb(1 + VECTORS), 0x7b], // X (the splat of a[i][p]) and the accumulators
    [1, 0x7d],
  ]);
  const code = [
    LGET, N, I32_CONST, 2, I32_SHL, LSET, NB, // NB = n * 4: bytes from one row of b to the next
    I32_CONST, 0, LSET, I,
    BLOCK, VOID, LOOP, VOID,
    ...exitWhenDone(I, M),
    // ROWA = a + i*k*4, ROWO = out + i*n*4
    LGET, A, LGET, I, LGET, K, I32_MUL, I32_CONST, 2, I32_SHL, I32_ADD, LSET, ROWA,
    LGET, OUT, LGET, I, LGET, NB, I32_MUL, I32_ADD, LSET, ROWO,
    I32_CONST, 0, LSET, J,
    ...columnLoop(4),
    ...columnLoop(2),
    ...columnLoop(1),
    ...columnLoop(0),
    ...bump(I, [I32_CONST, 1]),
    BR, 0, END, END,
    END,
  ];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The whole module: one memory (exported as `mem`), one function `gemm` of seven i32s. */
function moduleBytes(): Uint8Array {
  const i32 = 0x7f;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[i32], [i32], [i32], [i32], [i32], [i32], [i32]]), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([
      [...uleb(4), ...Buffer.from('gemm'), 0x00, 0], // function 0
      [...uleb(3), ...Buffer.from('mem'), 0x02, 0], // memory 0
    ])),
    ...section(10, vec([gemmBody()])),
  ];
  return Uint8Array.from(bytes);
}

/** `gemm` with the memory it reads and writes. */
export interface SimdGemm {
  /** out[m×n] = bias[n] + a[m×k]·b[k×n], XNNPACK's order of operations (see the header). */
  run(a: Float32Array, b: Float32Array, bias: Float32Array | undefined, m: number, k: number, n: number): Float32Array;
}

function instantiate(): SimdGemm | undefined {
  let instance: { exports: Record<string, unknown> };
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
  } catch {
    return undefined;
  }
  const memory = instance.exports['mem'] as WasmMemory;
  const gemm = instance.exports['gemm'] as (m: number, k: number, n: number, a: number, b: number, bias: number, out: number) => void;
  let f32 = new Float32Array(memory.buffer);
  return {
    run(a, b, bias, m, k, n) {
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
      return f32.slice(offOut, end);
    },
  };
}

/** The SIMD MatMul, or undefined where this WebAssembly has no SIMD. */
export const simdGemm: SimdGemm | undefined = instantiate();
