/**
 * A minimal WebAssembly binary writer, shared by the modules tfs emits by hand: the GEMM
 * kernel (gemm/kernel.ts), the MaxPool (wasm-pool.ts) and the plain-JS tier's MatMul
 * (plain-js-gemm.ts). It covers one memory (imported as `env.memory`, or defined here and
 * exported), functions over i32/f32/v128 locals, and exports. There is no C→wasm compiler
 * in this project, so the modules are emitted as bytes; each instruction below is the binary
 * encoding from the WebAssembly core spec (and the SIMD / relaxed-SIMD proposals).
 */

export const I32 = 0x7f as const;
export const F32 = 0x7d as const;
export const V128 = 0x7b as const;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): number[] => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** memarg: alignment exponent and static byte offset. */
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

/** Instruction encoders. A function body is the concatenation of their results. */
export const op = {
  block: (): number[] => [0x02, 0x40],
  loop: (): number[] => [0x03, 0x40],
  if: (): number[] => [0x04, 0x40],
  else: (): number[] => [0x05],
  end: (): number[] => [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  call: (f: number): number[] => [0x10, ...uleb(f)],
  get: (l: number): number[] => [0x20, ...uleb(l)],
  set: (l: number): number[] => [0x21, ...uleb(l)],
  tee: (l: number): number[] => [0x22, ...uleb(l)],
  i32: (v: number): number[] => [0x41, ...sleb(v | 0)],
  i32Eqz: (): number[] => [0x45],
  i32Eq: (): number[] => [0x46],
  i32LtS: (): number[] => [0x48],
  i32GeS: (): number[] => [0x4e],
  i32GtS: (): number[] => [0x4a],
  i32Add: (): number[] => [0x6a],
  i32Sub: (): number[] => [0x6b],
  i32Mul: (): number[] => [0x6c],
  i32Shl: (): number[] => [0x74],
  /** i32.load / f32.load / f32.store; `align` is the alignment exponent of the memarg. */
  i32Load: (offset = 0, align = 2): number[] => [0x28, ...memarg(align, offset)],
  f32Load: (offset = 0, align = 2): number[] => [0x2a, ...memarg(align, offset)],
  f32Store: (offset = 0, align = 2): number[] => [0x38, ...memarg(align, offset)],
  f32Add: (): number[] => [0x92],
  f32Mul: (): number[] => [0x94],
  /** SIMD instructions: prefix 0xfd, then the opcode as a LEB128 u32. */
  simd: (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm],
};

/** v128 instructions; memory ones take a static byte offset and an alignment exponent. */
export const simd = {
  load: (offset = 0, align = 0): number[] => op.simd(0x00, ...memarg(align, offset)),
  load32Splat: (offset = 0): number[] => op.simd(0x09, ...memarg(0, offset)),
  store: (offset = 0, align = 0): number[] => op.simd(0x0b, ...memarg(align, offset)),
  zero: (): number[] => op.simd(0x0c, ...Array<number>(16).fill(0)),
  f32x4Splat: (): number[] => op.simd(0x13),
  f32x4Add: (): number[] => op.simd(0xe4),
  f32x4Mul: (): number[] => op.simd(0xe6),
  f32x4Min: (): number[] => op.simd(0xe8),
  f32x4Max: (): number[] => op.simd(0xe9),
  /** f32x4.pmax(a, b) = a < b ? b : a per lane (a NaN b leaves a). */
  f32x4Pmax: (): number[] => op.simd(0xeb),
  /** relaxed SIMD f32x4.relaxed_madd(a, b, c) = a * b + c, fused where the CPU has FMA. */
  f32x4RelaxedMadd: (): number[] => op.simd(0x105),
};

export function f32Const(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [0x43, ...b];
}

export interface FuncDef {
  name?: string;
  params: ValType[];
  results: ValType[];
  /** Local declarations after the params: a type is one local, `[count, type]` a run of them. */
  locals: (ValType | [count: number, type: ValType])[];
  /** The instructions, without the function's final `end` (added here). */
  body: number[];
}

export interface MemoryDef {
  /** Size limits in 64 KiB pages; shared memories must declare `max`. */
  min: number;
  max?: number;
  shared?: boolean;
  /** Define the memory in the module and export it under this name; absent: import `env.memory`. */
  export?: string;
}

/** Memory limits: flags (bit 0: has max, bit 1: shared), min, max. */
function limits(m: MemoryDef): number[] {
  const flags = (m.max === undefined ? 0 : 1) | (m.shared ? 2 : 0);
  return [flags, ...uleb(m.min), ...(m.max === undefined ? [] : uleb(m.max))];
}

function codeEntry(f: FuncDef): number[] {
  const locals = vec(f.locals.map((t) => (typeof t === 'number' ? [1, t] : [...uleb(t[0]), t[1]])));
  const code = [...locals, ...f.body, 0x0b];
  return [...uleb(code.length), ...code];
}

/** A module with one memory (see {@link MemoryDef}) defining `funcs` (exported by name when named). */
export function moduleBytes(funcs: FuncDef[], memory: MemoryDef): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const fnIndex = vec(funcs.map((_, i) => uleb(i)));
  const exports = funcs.flatMap((f, i) => (f.name ? [[...utf8(f.name), 0x00, ...uleb(i)]] : []));
  if (memory.export !== undefined) exports.push([...utf8(memory.export), 0x02, 0]);
  const memorySections = memory.export === undefined
    ? section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits(memory)]]))
    : [];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...memorySections,
    ...section(3, fnIndex),
    ...(memory.export === undefined ? [] : section(5, vec([limits(memory)]))),
    ...section(7, vec(exports)),
    ...section(10, vec(funcs.map(codeEntry))),
  ]);
}
