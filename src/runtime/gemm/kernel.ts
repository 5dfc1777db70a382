/**
 * The GEMM wasm module: a register-blocked MR×8 microkernel (`tile`) and a driver (`run`)
 * that walks a rectangle of row blocks × column panels.
 *
 * Layout (all float32, byte addresses in the module's memory):
 * - A: row-major, `lda` bytes between rows, at least rowBlocks·MR rows (rows past M are
 *   read, their results land in padding rows of C and are never copied out);
 * - B: packed in panels of 8 columns, panel p at bp + p·K·32, K rows of 8 floats each
 *   (columns past N are zero);
 * - C: row-major, `ldc` bytes between rows, column count a multiple of 8;
 * - bias: one float per (padded) column.
 *
 * The accumulation order over k is fixed (k = 0, 1, ..., K-1 from the bias), so an element's
 * value depends only on its row of A and column of B: how tiles are split between threads
 * cannot change it.
 */
import { setFlagsFromString } from 'node:v8';
import { I32, V128, f32Const, moduleBytes, op, simd, type FuncDef, type ValType } from '../wasm-bytes.js';
import { wasm } from '../wasm-api.js';

export const NR = 8;
/** Activation codes the kernel applies before storing. */
export const ACT = { linear: 0, relu: 1, relu6: 2 } as const;

export interface KernelShape {
  /** Rows per tile (accumulators: 2·MR v128; V8 on x64 has 15 usable xmm registers). */
  mr: number;
  /** k steps per loop iteration (static offsets instead of pointer bumps). */
  unroll: number;
  /** Use f32x4.relaxed_madd (hardware FMA) instead of f32x4.mul + f32x4.add. */
  relaxed: boolean;
}

// tile's params: a, lda, bp, c, ldc, K, bias, act
const [A, LDA, BP, C, LDC, K, BIAS, ACTP] = [0, 1, 2, 3, 4, 5, 6, 7];

/** One k step at static offset u: 2 B loads, MR splat loads, 2·MR multiply-adds. */
function kStep(s: KernelShape, l: { acc: number[]; rows: number[]; b: number[]; av: number }, u: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < 2; j++) out.push(...op.get(BP), ...simd.load(32 * u + 16 * j), ...op.set(l.b[j]!));
  for (let i = 0; i < s.mr; i++) {
    out.push(...op.get(l.rows[i]!), ...simd.load32Splat(4 * u), ...op.set(l.av));
    for (let j = 0; j < 2; j++) {
      const acc = l.acc[i * 2 + j]!;
      if (s.relaxed) out.push(...op.get(l.av), ...op.get(l.b[j]!), ...op.get(acc), ...simd.f32x4RelaxedMadd(), ...op.set(acc));
      else out.push(...op.get(l.av), ...op.get(l.b[j]!), ...simd.f32x4Mul(), ...op.get(acc), ...simd.f32x4Add(), ...op.set(acc));
    }
  }
  return out;
}

/** Advance the row pointers by `steps` floats and the panel pointer by `steps` rows, K -= steps. */
function advance(rows: number[], steps: number, k = K): number[] {
  const out: number[] = [];
  for (const r of rows) out.push(...op.get(r), ...op.i32(4 * steps), ...op.i32Add(), ...op.set(r));
  out.push(...op.get(BP), ...op.i32(32 * steps), ...op.i32Add(), ...op.set(BP));
  out.push(...op.get(k), ...op.i32(steps), ...op.i32Sub(), ...op.set(k));
  return out;
}

/** The epilogue: activation, then the MR×8 store. */
function epilogue(s: KernelShape, acc: number[], rowPtr: number): number[] {
  const out: number[] = [];
  const clamp = (lo: boolean, v: number): number[] =>
    acc.flatMap((a) => [...op.get(a), ...f32Const(v), ...simd.f32x4Splat(), ...(lo ? simd.f32x4Max() : simd.f32x4Min()), ...op.set(a)]);
  out.push(...op.get(ACTP), ...op.if(), ...clamp(true, 0), ...op.end());
  out.push(...op.get(ACTP), ...op.i32(ACT.relu6), ...op.i32Eq(), ...op.if(), ...clamp(false, 6), ...op.end());
  for (let i = 0; i < s.mr; i++) {
    out.push(...op.get(C), ...op.get(LDC), ...op.i32(i), ...op.i32Mul(), ...op.i32Add(), ...op.set(rowPtr));
    for (let j = 0; j < 2; j++) out.push(...op.get(rowPtr), ...op.get(acc[i * 2 + j]!), ...simd.store(16 * j));
  }
  return out;
}

function tileFunc(s: KernelShape): FuncDef {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32];
  // locals after the params: MR-1 row pointers (row 0 is A itself), 2·MR accumulators, b0, b1, av
  const base = params.length;
  const rows = [A, ...Array.from({ length: s.mr - 1 }, (_, i) => base + i)];
  const vbase = base + s.mr - 1;
  const acc = Array.from({ length: 2 * s.mr }, (_, i) => vbase + i);
  const b = [vbase + 2 * s.mr, vbase + 2 * s.mr + 1];
  const av = vbase + 2 * s.mr + 2;
  const l = { acc, rows, b, av };
  const body: number[] = [];
  for (let i = 1; i < s.mr; i++) body.push(...op.get(A), ...op.get(LDA), ...op.i32(i), ...op.i32Mul(), ...op.i32Add(), ...op.set(rows[i]!));
  for (let j = 0; j < 2; j++) body.push(...op.get(BIAS), ...simd.load(16 * j), ...op.set(acc[j]!));
  for (let i = 1; i < s.mr; i++) for (let j = 0; j < 2; j++) body.push(...op.get(acc[j]!), ...op.set(acc[i * 2 + j]!));
  // unrolled loop while K >= unroll
  body.push(...op.block(), ...op.get(K), ...op.i32(s.unroll), ...op.i32LtS(), ...op.brIf(0), ...op.loop());
  for (let u = 0; u < s.unroll; u++) body.push(...kStep(s, l, u));
  body.push(...advance(rows, s.unroll), ...op.get(K), ...op.i32(s.unroll), ...op.i32GeS(), ...op.brIf(0), ...op.end(), ...op.end());
  // the remaining K < unroll steps one at a time
  body.push(...op.block(), ...op.get(K), ...op.i32Eqz(), ...op.brIf(0), ...op.loop());
  body.push(...kStep(s, l, 0), ...advance(rows, 1), ...op.get(K), ...op.brIf(0), ...op.end(), ...op.end());
  body.push(...epilogue(s, acc, rows[0]!));
  const locals: ValType[] = [...Array<typeof I32>(s.mr - 1).fill(I32), ...Array<typeof V128>(2 * s.mr + 3).fill(V128)];
  return { params, results: [], locals, body };
}

// run's params: a, lda, bp, c, ldc, K, bias, act, r0, r1, p0, p1; locals r, p
function runFunc(s: KernelShape): FuncDef {
  const [a, lda, bp, c, ldc, k, bias, act, r0, r1, p0, p1, r, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const mul = (x: number[], y: number[]): number[] => [...x, ...y, ...op.i32Mul()];
  const add = (...xs: number[][]): number[] => xs.reduce((acc, x, i) => [...acc, ...x, ...(i > 0 ? op.i32Add() : [])], [] as number[]);
  const panelBytes = mul(op.get(k), op.i32(32));
  const body = [
    ...op.get(p0), ...op.set(p),
    ...op.block(), ...op.get(p), ...op.get(p1), ...op.i32GeS(), ...op.brIf(0), ...op.loop(),
    ...op.get(r0), ...op.set(r),
    ...op.block(), ...op.get(r), ...op.get(r1), ...op.i32GeS(), ...op.brIf(0), ...op.loop(),
    ...add(op.get(a), mul(mul(op.get(r), op.i32(s.mr)), op.get(lda))),
    ...op.get(lda),
    ...add(op.get(bp), mul(op.get(p), panelBytes)),
    ...add(op.get(c), mul(mul(op.get(r), op.i32(s.mr)), op.get(ldc)), mul(op.get(p), op.i32(32))),
    ...op.get(ldc),
    ...op.get(k),
    ...add(op.get(bias), mul(op.get(p), op.i32(32))),
    ...op.get(act),
    ...op.call(0),
    ...op.get(r), ...op.i32(1), ...op.i32Add(), ...op.tee(r), ...op.get(r1), ...op.i32LtS(), ...op.brIf(0),
    ...op.end(), ...op.end(),
    ...op.get(p), ...op.i32(1), ...op.i32Add(), ...op.tee(p), ...op.get(p1), ...op.i32LtS(), ...op.brIf(0),
    ...op.end(), ...op.end(),
  ];
  return { name: 'run', params: Array<typeof I32>(12).fill(I32), results: [], locals: [I32, I32], body };
}

/**
 * The convolution tile (indirect GEMM): like `tile`, but row i of A is read from `segs`
 * segments of `segLen` floats each, segment s of the tile's rows starting at the MR addresses
 * stored at ind + (s·MR + i)·4 (an output pixel's patch is kh runs of kw·C contiguous input
 * floats in NHWC). k still runs 0..K-1 in order from the bias, K = segs·segLen, B's panel
 * rows in the same order: the same sums as a GEMM over the explicit im2col matrix.
 * Params: ind, segLen, bp, c, ldc, segs, bias, act (bp, c, ldc, bias, act where `tile` has them).
 */
function convTileFunc(s: KernelShape): FuncDef {
  const [IND, SEGLEN, SEGS] = [0, 1, 5];
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32];
  const base = params.length;
  const rows = Array.from({ length: s.mr }, (_, i) => base + i);
  const kc = base + s.mr;
  const vbase = kc + 1;
  const acc = Array.from({ length: 2 * s.mr }, (_, i) => vbase + i);
  const b = [vbase + 2 * s.mr, vbase + 2 * s.mr + 1];
  const av = vbase + 2 * s.mr + 2;
  const l = { acc, rows, b, av };
  const body: number[] = [];
  for (let j = 0; j < 2; j++) body.push(...op.get(BIAS), ...simd.load(16 * j), ...op.set(acc[j]!));
  for (let i = 1; i < s.mr; i++) for (let j = 0; j < 2; j++) body.push(...op.get(acc[j]!), ...op.set(acc[i * 2 + j]!));
  // do { rows = ind[0..MR); ind += MR·4; kc = segLen; do { k step } while (kc); } while (--segs)
  body.push(...op.loop());
  for (let i = 0; i < s.mr; i++) body.push(...op.get(IND), ...op.i32Load(4 * i), ...op.set(rows[i]!));
  body.push(...op.get(IND), ...op.i32(4 * s.mr), ...op.i32Add(), ...op.set(IND));
  body.push(...op.get(SEGLEN), ...op.set(kc), ...op.loop());
  body.push(...kStep(s, l, 0), ...advance(rows, 1, kc), ...op.get(kc), ...op.brIf(0), ...op.end());
  body.push(...op.get(SEGS), ...op.i32(1), ...op.i32Sub(), ...op.tee(SEGS), ...op.brIf(0), ...op.end());
  body.push(...epilogue(s, acc, rows[0]!));
  const locals: ValType[] = [...Array<typeof I32>(s.mr + 1).fill(I32), ...Array<typeof V128>(2 * s.mr + 3).fill(V128)];
  return { params, results: [], locals, body };
}

// crun's params: ind, segLen, bp, c, ldc, segs, bias, act, r0, r1, p0, p1; locals r, p.
// Row block r's pointers are at ind + r·segs·MR·4; panel p at bp + p·segs·segLen·32.
function convRunFunc(s: KernelShape): FuncDef {
  const [ind, segLen, bp, c, ldc, segs, bias, act, r0, r1, p0, p1, r, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const mul = (x: number[], y: number[]): number[] => [...x, ...y, ...op.i32Mul()];
  const add = (...xs: number[][]): number[] => xs.reduce((acc, x, i) => [...acc, ...x, ...(i > 0 ? op.i32Add() : [])], [] as number[]);
  const panelBytes = mul(mul(op.get(segs), op.get(segLen)), op.i32(32));
  const body = [
    ...op.get(p0), ...op.set(p),
    ...op.block(), ...op.get(p), ...op.get(p1), ...op.i32GeS(), ...op.brIf(0), ...op.loop(),
    ...op.get(r0), ...op.set(r),
    ...op.block(), ...op.get(r), ...op.get(r1), ...op.i32GeS(), ...op.brIf(0), ...op.loop(),
    ...add(op.get(ind), mul(mul(op.get(r), op.get(segs)), op.i32(4 * s.mr))),
    ...op.get(segLen),
    ...add(op.get(bp), mul(op.get(p), panelBytes)),
    ...add(op.get(c), mul(mul(op.get(r), op.i32(s.mr)), op.get(ldc)), mul(op.get(p), op.i32(32))),
    ...op.get(ldc),
    ...op.get(segs),
    ...add(op.get(bias), mul(op.get(p), op.i32(32))),
    ...op.get(act),
    ...op.call(2),
    ...op.get(r), ...op.i32(1), ...op.i32Add(), ...op.tee(r), ...op.get(r1), ...op.i32LtS(), ...op.brIf(0),
    ...op.end(), ...op.end(),
    ...op.get(p), ...op.i32(1), ...op.i32Add(), ...op.tee(p), ...op.get(p1), ...op.i32LtS(), ...op.brIf(0),
    ...op.end(), ...op.end(),
  ];
  return { name: 'crun', params: Array<typeof I32>(12).fill(I32), results: [], locals: [I32, I32], body };
}

/** The module's bytes, importing `env.memory` (shared, up to `maxPages`). */
export function gemmModuleBytes(s: KernelShape, maxPages: number): Uint8Array {
  return moduleBytes([tileFunc(s), runFunc(s), convTileFunc(s), convRunFunc(s)], { min: 1, max: maxPages, shared: true });
}

let relaxed: boolean | undefined;
/**
 * Whether this process validates relaxed SIMD. Node 22+ has it on; Node 20's V8 has it behind
 * --experimental-wasm-relaxed-simd, which takes effect for modules compiled after the flag is
 * set at run time (it changes nothing else).
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed !== undefined) return relaxed;
  if (process.env['TFS_WASM_RELAXED_SIMD'] === '0') return (relaxed = false);
  const probe = gemmModuleBytes({ mr: 1, unroll: 1, relaxed: true }, 1);
  relaxed = wasm.validate(probe);
  if (!relaxed) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxed = wasm.validate(probe);
  }
  return relaxed;
}

