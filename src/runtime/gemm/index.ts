/**
 * A float32 GEMM in WebAssembly SIMD, emitted by tfs (kernel.ts), for the wasm backend's large
 * MatMuls: C = act(A·B + bias). B is packed once into 8-column panels (`packB`; weights are
 * constants, so the wiring caches the packing per weight tensor); A is copied in per call.
 * With `threads` > 1, worker threads on the same shared memory claim chunks of whole tiles
 * (control.ts), so every output element is computed by one thread in the same order: results
 * are bit-identical whatever the thread count and whoever claims what.
 *
 * Usage:
 *   const g = Gemm.create({ threads: 2 });
 *   const pb = g.packB(weights, K, N);            // weights K×N row-major (or N×K, transposed)
 *   const c = g.matmul(x, M, K, pb, { bias, activation: 'relu' });   // M×N
 *   g.releaseB(pb); g.dispose();
 */
import { CONTROL_BYTES, DRIVERS, MAX_WORKERS, type Driver } from './control.js';
import { convIndirection, copyPadded, type ConvGeometry } from './conv.js';
import { Heap } from './heap.js';
import { wasm, type WasmMemory } from '../wasm-api.js';
import { ACT, NR, gemmModuleBytes, relaxedSimdAvailable, type KernelShape } from './kernel.js';
import { Pool } from './pool.js';

export type Activation = keyof typeof ACT;
export type { ConvGeometry };
export { relaxedSimdAvailable };

/** B packed in the GEMM's memory (valid until `releaseB` or the GEMM's disposal). */
export interface PackedB {
  readonly k: number;
  readonly n: number;
  readonly ptr: number;
  readonly bytes: number;
}

export interface GemmOptions {
  /** Compute threads, the caller included (default 1). */
  threads?: number;
  /** Rows per tile (default 4). */
  mr?: number;
  /** k steps per kernel loop iteration (default 1: measured no slower here than 2 or 4, CPU time per call). */
  unroll?: number;
  /** Use relaxed SIMD when the engine has it (default true). */
  relaxed?: boolean;
}

export interface MatmulOptions {
  /** A is stored K×M (its transpose is used). */
  transposeA?: boolean;
  /** N values added to each row (or 1 value added everywhere). */
  bias?: Float32Array;
  activation?: Activation;
}

const MAX_PAGES = 32768; // 2 GiB: byte addresses stay positive i32s
/** Indirection tables kept (one per convolution geometry in use). */
const MAX_TABLES = 16;
/** Below this many multiply-adds the helpers' wake-up costs more than they save. */
const THREADED_MIN_WORK = 1 << 18;

export class Gemm {
  readonly threads: number;
  readonly relaxed: boolean;
  readonly mr: number;
  private readonly memory: WasmMemory;
  private readonly heap: Heap;
  private readonly drivers: Driver[];
  private readonly pool: Pool | undefined;
  private scratch = { ptr: 0, bytes: 0 };
  /**
   * The convolutions' indirection tables by geometry and input place, most recent last: a
   * model's layers each have their own, so several are kept (building one costs more than
   * the layer's copies).
   */
  private readonly tables = new Map<string, { ptr: number; bytes: number }>();
  /** Chunks of the last product that helper threads computed (0 when the caller ran it alone). */
  lastHelperChunks = 0;
  private disposed = false;

  private constructor(opts: GemmOptions) {
    this.mr = opts.mr ?? 4;
    this.relaxed = (opts.relaxed ?? true) && relaxedSimdAvailable();
    const shape: KernelShape = { mr: this.mr, unroll: opts.unroll ?? 1, relaxed: this.relaxed };
    const module = new wasm.Module(gemmModuleBytes(shape, MAX_PAGES));
    this.memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    this.heap = new Heap(this.memory, CONTROL_BYTES);
    const instance = new wasm.Instance(module, { env: { memory: this.memory } });
    this.drivers = DRIVERS.map((name) => instance.exports[name] as Driver);
    this.threads = Math.max(1, Math.min(MAX_WORKERS + 1, Math.floor(opts.threads ?? 1)));
    this.pool = this.threads > 1 ? new Pool(module, this.memory, this.threads - 1) : undefined;
  }

  static create(opts: GemmOptions = {}): Gemm {
    return new Gemm(opts);
  }

  /** Resolves once the helper threads run (until then the caller computes alone): whether they do. */
  whenReady(): Promise<boolean> {
    return this.pool ? this.pool.started : Promise.resolve(true);
  }

  private f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** Pack B (K×N row-major, or N×K row-major when `transposed`) into 8-column panels. */
  packB(b: Float32Array, k: number, n: number, transposed = false): PackedB {
    if (b.length < k * n) throw new RangeError(`gemm: B has ${b.length} values, not ${k}×${n}`);
    const panels = Math.ceil(n / NR);
    const bytes = panels * k * NR * 4;
    const ptr = this.heap.alloc(bytes);
    const dst = this.f32();
    let o = ptr >> 2;
    for (let p = 0; p < panels; p++) {
      const j0 = p * NR;
      const w = Math.min(NR, n - j0);
      for (let kk = 0; kk < k; kk++, o += NR) {
        if (transposed) for (let j = 0; j < w; j++) dst[o + j] = b[(j0 + j) * k + kk]!;
        else for (let j = 0; j < w; j++) dst[o + j] = b[kk * n + j0 + j]!;
        for (let j = w; j < NR; j++) dst[o + j] = 0;
      }
    }
    return { k, n, ptr, bytes };
  }

  releaseB(p: PackedB): void {
    if (!this.disposed) this.heap.release(p.ptr, p.bytes);
  }

  /** A block of scratch memory of at least `bytes` (reused across calls). */
  private scratchOf(bytes: number): number {
    if (this.scratch.bytes < bytes) {
      if (this.scratch.bytes > 0) this.heap.release(this.scratch.ptr, this.scratch.bytes);
      const size = Math.ceil(bytes * 1.25);
      this.scratch = { ptr: this.heap.alloc(size), bytes: size };
      this.dropTables(); // they point into the old block
    }
    return this.scratch.ptr;
  }

  /** C = act(A·B + bias), A M×K (K×M when transposeA); written to `out` (M×N) or a new array. */
  matmul(a: Float32Array, m: number, k: number, b: PackedB, opts: MatmulOptions = {}, out?: Float32Array): Float32Array {
    if (this.disposed) throw new Error('gemm: disposed');
    if (b.k !== k) throw new RangeError(`gemm: A has K=${k}, B has K=${b.k}`);
    const n = b.n;
    const result = out ?? new Float32Array(m * n);
    if (m === 0 || n === 0) return result;
    const rowBlocks = Math.ceil(m / this.mr);
    const panels = Math.ceil(n / NR);
    const npad = panels * NR;
    const kk = Math.max(k, 1);
    const aBytes = rowBlocks * this.mr * kk * 4;
    const cBytes = rowBlocks * this.mr * npad * 4;
    const base = this.scratchOf(aBytes + cBytes + npad * 4);
    const [aPtr, cPtr, biasPtr] = [base, base + aBytes, base + aBytes + cBytes];
    const mem = this.f32();
    copyA(mem, aPtr >> 2, a, m, k, opts.transposeA ?? false);
    fillBias(mem.subarray(biasPtr >> 2, (biasPtr >> 2) + npad), opts.bias, n);
    const act = ACT[opts.activation ?? 'linear'];
    if (act === undefined) throw new Error(`gemm: unsupported activation ${String(opts.activation)}`);
    const fixed = [aPtr, k * 4, b.ptr, cPtr, npad * 4, k, biasPtr, act];
    this.dispatch(fixed, rowBlocks, panels, m * n * k, 0);
    copyC(this.f32(), cPtr >> 2, result, m, n, npad);
    return result;
  }

  /**
   * A float32 NHWC convolution, out = act(conv(x, filter) + bias), the filter packed as the
   * (kh·kw·inC)×outC matrix (`packB(filter, kh*kw*inC, outC)`): x is copied (zero-padded)
   * into this memory and each output pixel's patch is read in place through a table of
   * addresses (the kernel's `crun`), as a GEMM over the im2col matrix would sum it.
   */
  conv2d(x: Float32Array, g: ConvGeometry, b: PackedB, opts: Omit<MatmulOptions, 'transposeA'> = {}, out?: Float32Array): Float32Array {
    if (this.disposed) throw new Error('gemm: disposed');
    const k = g.kh * g.kw * g.inC;
    if (b.k !== k) throw new RangeError(`gemm: filter has K=${b.k}, not ${g.kh}·${g.kw}·${g.inC}`);
    const n = b.n;
    const m = g.batch * g.outH * g.outW;
    const result = out ?? new Float32Array(m * n);
    if (k === 0) throw new RangeError('gemm: empty filter');
    if (m === 0 || n === 0) return result;
    const rowBlocks = Math.ceil(m / this.mr);
    const panels = Math.ceil(n / NR);
    const npad = panels * NR;
    const xBytes = g.batch * (g.inH + g.padTop + g.padBottom) * (g.inW + g.padLeft + g.padRight) * g.inC * 4;
    const cBytes = rowBlocks * this.mr * npad * 4;
    const base = this.scratchOf(xBytes + cBytes + npad * 4);
    const [xPtr, cPtr, biasPtr] = [base, base + xBytes, base + xBytes + cBytes];
    const mem = this.f32();
    copyPadded(mem, xPtr >> 2, x, g);
    fillBias(mem.subarray(biasPtr >> 2, (biasPtr >> 2) + npad), opts.bias, n);
    const act = ACT[opts.activation ?? 'linear'];
    if (act === undefined) throw new Error(`gemm: unsupported activation ${String(opts.activation)}`);
    const { ptr: indPtr, segs, segLen } = this.indirection(g, xPtr, rowBlocks);
    this.dispatch([indPtr, segLen, b.ptr, cPtr, npad * 4, segs, biasPtr, act], rowBlocks, panels, m * n * k, 1);
    copyC(this.f32(), cPtr >> 2, result, m, n, npad);
    return result;
  }

  /** The indirection table for `g` with the padded input at xPtr (rebuilt only when either changed). */
  private indirection(g: ConvGeometry, xPtr: number, rowBlocks: number): { ptr: number; segs: number; segLen: number } {
    const segs = g.dw === 1 ? g.kh : g.kh * g.kw;
    const segLen = g.dw === 1 ? g.kw * g.inC : g.inC;
    const key = `${JSON.stringify(g)}@${xPtr}/${this.mr}`;
    let t = this.tables.get(key);
    if (t) this.tables.delete(key); // re-inserted below as the most recent
    else {
      const bytes = rowBlocks * this.mr * segs * 4;
      t = { ptr: this.heap.alloc(bytes), bytes };
      convIndirection(new Int32Array(this.memory.buffer, t.ptr, bytes >> 2), g, xPtr, this.mr, segs);
      if (this.tables.size >= MAX_TABLES) {
        const [oldKey, old] = this.tables.entries().next().value!;
        this.heap.release(old.ptr, old.bytes);
        this.tables.delete(oldKey);
      }
    }
    this.tables.set(key, t);
    return { ptr: t.ptr, segs, segLen };
  }

  private dropTables(): void {
    for (const t of this.tables.values()) this.heap.release(t.ptr, t.bytes);
    this.tables.clear();
  }

  /** Run rowBlocks × panels tiles: alone, or in chunks claimed by this thread and the ready helpers. */
  private dispatch(fixed: number[], rowBlocks: number, panels: number, work: number, driver: number): void {
    const helpers = this.pool && work >= THREADED_MIN_WORK ? this.pool.ready : 0;
    this.lastHelperChunks = 0;
    if (helpers === 0) {
      this.drivers[driver]!(...fixed, 0, rowBlocks, 0, panels);
      return;
    }
    // Chunks of whole panels (each thread then reads only the panels of B it computes) unless
    // there are too few panels for several chunks per thread.
    const t = helpers + 1;
    const byPanels = panels >= 4 * t || panels >= rowBlocks;
    const total = byPanels ? panels : rowBlocks;
    const chunk = Math.max(1, Math.floor(total / (4 * t)));
    const job = [...fixed, byPanels ? 1 : 0, rowBlocks, panels, chunk, Math.ceil(total / chunk), driver];
    this.lastHelperChunks = this.pool!.runJob(job, this.drivers);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }
}

function copyA(mem: Float32Array, at: number, a: Float32Array, m: number, k: number, transposed: boolean): void {
  if (a.length < m * k) throw new RangeError(`gemm: A has ${a.length} values, not ${m}×${k}`);
  if (!transposed) {
    mem.set(a.subarray(0, m * k), at);
    return;
  }
  // A is K×M: row r of A·B uses column r.
  for (let r = 0; r < m; r++) for (let kk = 0; kk < k; kk++) mem[at + r * k + kk] = a[kk * m + r]!;
}

/** Copy the M×N result out of C (rows `npad` floats apart). */
function copyC(mem: Float32Array, at: number, result: Float32Array, m: number, n: number, npad: number): void {
  if (n === npad) result.set(mem.subarray(at, at + m * n));
  else for (let r = 0; r < m; r++) result.set(mem.subarray(at + r * npad, at + r * npad + n), r * n);
}

function fillBias(dst: Float32Array, bias: Float32Array | undefined, n: number): void {
  dst.fill(0);
  if (!bias) return;
  if (bias.length === 1) dst.fill(bias[0]!, 0, n);
  else if (bias.length === n) dst.set(bias);
  else throw new RangeError(`gemm: bias has ${bias.length} values, not ${n} or 1`);
}

