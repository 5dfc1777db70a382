/**
 * The plain-JS tier: tiny float32 signatures (`y = 0.5x + 2`, small Dense stacks) run on
 * Float32Arrays in JavaScript, without tfjs's engine, scopes, kernel lookups or tensor
 * bookkeeping (issue 20). For such graphs those per-call costs are most of a run.
 *
 * Results are bit-identical to the tfjs kernels of the model's backend, because each step
 * repeats that kernel's float32 arithmetic in the same order:
 * - elementwise Add/Sub/Mul/RealDiv: one IEEE operation per element, rounded to float32 (a
 *   double result of two float32 operands rounds to the correctly rounded float32 one), as
 *   both backends compute them;
 * - MatMul on cpu (tfjs-backend-cpu batchMatMul): products summed in a double over blocks of
 *   `blockSize` (48) along k, each block's sum added to the float32 output; then the bias added
 *   and the activation applied, as its _FusedMatMul does, as separate float32 steps;
 * - MatMul on wasm (XNNPACK's fully-connected operator, the path tfjs takes for untransposed
 *   rank-2 operands): a float32 accumulator starting at the bias (or 0) and adding each
 *   float32-rounded product in k order, then the activation's clamp (in WebAssembly SIMD where
 *   there is SIMD, plain-js-gemm.ts: the same float32 operations, four columns a lane each);
 * - Sqrt (IEEE, correctly rounded everywhere), Relu, Relu6, Sigmoid (on wasm XNNPACK's
 *   polynomial, step by step), Maximum and Minimum (cpu: Math.max/min; wasm: the first operand
 *   on a tie of ±0); on cpu only Tanh (cpu's is Math.tanh; wasm's differs in the last bit).
 * NaN is the exception: which NaN (sign, payload) an operation returns depends on operand
 * order inside the kernel and the JIT, and wasm's Relu keeps or drops a NaN by its sign. So a
 * run whose inputs hold a NaN, or in which any step produces one, is abandoned and answered
 * by the tfjs path; constants holding NaN keep a graph out of the tier at load.
 * test/runtime/plain-js.test.ts compares the tier with the tfjs path bit for bit.
 *
 * Anything else (other ops or dtypes, shapes needing a broadcast other than a scalar or a
 * trailing vector, too much work for one call) answers undefined and the tfjs path runs.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NodeJson } from './graph-json.js';
import { simdGemm } from './plain-js-gemm.js';
import { producer } from './straight-line.js';

/** A float32 value: data in row-major order and its shape. */
export interface PlainValue {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A compiled signature: inputs in feed order → outputs in fetch order, or undefined (use tfjs). */
export interface PlainProgram {
  run(inputs: readonly PlainValue[]): PlainValue[] | undefined;
}

/** The backends whose kernels the tier reproduces. */
export type PlainBackend = 'wasm' | 'cpu';

/** Largest MatMul the tier takes, in multiply-adds per row (k × n). */
export const MAX_ROW_MACS = 4096;
/**
 * Work budget of one call (multiply-adds plus elements written), by backend. A scalar
 * float32 multiply-add in JavaScript costs about 2-3 ns; the tfjs path costs ~10-15 µs a call
 * whatever the size on wasm (XNNPACK's SIMD kernels are nearly free at these sizes), so past
 * ~4k units the scalar tier would lose there (bench/runtime-call.mjs). With WebAssembly SIMD
 * (plain-js-gemm.ts, a fraction of a ns a multiply-add) the tier wins up to ~32k units
 * (my_model at batch 5-11; it loses at 16).
 * tfjs's cpu kernels are JavaScript loops themselves, slower than the tier's, so there the
 * budget only bounds a call.
 */
export const MAX_CALL_WORK: Readonly<Record<PlainBackend, number>> = { wasm: simdGemm ? 1 << 15 : 4096, cpu: 1 << 16 };

let enabled = process.env['TFS_PLAIN_JS'] !== '0';

/** Whether the tier is used (default on; `TFS_PLAIN_JS=0` turns it off at startup). */
export function plainJsEnabled(): boolean {
  return enabled;
}

/** Turn the tier on or off for every model (tests and benches compare both paths). */
export function setPlainJsEnabled(on: boolean): void {
  enabled = on;
}

/** One step: its kernel computes a value from its arguments, or undefined (fall back). */
type Kernel = (args: readonly PlainValue[], budget: Budget) => PlainValue | undefined;

/**
 * Work left to the current call, and the output buffers of the program's steps. A step's
 * buffer is reused by the next call (same length) unless it escaped as an output (see
 * {@link program}): the calls of a program are synchronous, one at a time, and every kernel
 * writes each element of the buffer it gets, so nothing of an earlier call shows through.
 */
interface Budget {
  left: number;
  /** The step running now (an index into `buffers`). */
  step: number;
  readonly buffers: (Float32Array | undefined)[];
}

/** The output buffer of `len` floats of the step running now (its contents are stale: overwrite every element). */
function output(budget: Budget, len: number): Float32Array {
  const cached = budget.buffers[budget.step];
  if (cached !== undefined && cached.length === len) return cached;
  const out = new Float32Array(len);
  budget.buffers[budget.step] = out;
  return out;
}

interface Step {
  readonly kernel: Kernel;
  readonly args: readonly number[];
  readonly out: number;
}

/** Take `work` from the budget; false when it does not fit. */
function spend(budget: Budget, work: number): boolean {
  budget.left -= work;
  return budget.left >= 0;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether `data` holds a NaN. */
function hasNaN(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) return true;
  return false;
}

// --- elementwise ------------------------------------------------------------------------

type Binary = (x: number, y: number) => number;

/** The broadcast shape of two operands (numpy rules), or undefined when they do not broadcast. */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const x = a.length - i >= 0 ? a[a.length - i]! : 1;
    const y = b.length - i >= 0 ? b[b.length - i]! : 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out[rank - i] = x === 1 ? y : x;
  }
  return out;
}

/** Whether `shape`, padded to `out`'s rank, is all ones but a last dimension equal to out's. */
function isTrailingVector(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.length === 0 || out.length === 0 || shape[shape.length - 1] !== out[out.length - 1]) return false;
  for (let i = 0; i < shape.length - 1; i++) if (shape[i] !== 1) return false;
  return true;
}

/**
 * `op` over two operands: equal shapes, a scalar (any shape of one element) on either side,
 * or a trailing vector on either side (a bias); other broadcasts answer undefined.
 * The Float32Array store rounds each result to float32.
 */
function binaryKernel(op: Binary): Kernel {
  return ([a, b], budget) => {
    const shape = broadcastShape(a!.shape, b!.shape);
    if (!shape) return undefined;
    const n = sizeOf(shape);
    if (n === 0 || !spend(budget, n)) return undefined;
    const x = a!.data;
    const y = b!.data;
    const out = output(budget, n);
    if (x.length === n && y.length === n) for (let i = 0; i < n; i++) out[i] = op(x[i]!, y[i]!);
    else if (y.length === 1 && x.length === n) for (let i = 0, c = y[0]!; i < n; i++) out[i] = op(x[i]!, c);
    else if (x.length === 1 && y.length === n) for (let i = 0, c = x[0]!; i < n; i++) out[i] = op(c, y[i]!);
    else if (x.length === n && isTrailingVector(b!.shape, shape)) for (let i = 0, w = y.length; i < n; i++) out[i] = op(x[i]!, y[i % w]!);
    else if (y.length === n && isTrailingVector(a!.shape, shape)) for (let i = 0, w = x.length; i < n; i++) out[i] = op(x[i % w]!, y[i]!);
    else return undefined;
    return hasNaN(out) ? undefined : { data: out, shape };
  };
}

/** `op` on each element (the store rounds to float32). */
function unaryKernel(op: (x: number) => number): Kernel {
  const map = mapLoop(op);
  let last: PlainValue | undefined; // as in matMulKernel
  return (args, budget) => {
    const a = args[0]!;
    const x = a.data;
    if (x.length === 0 || !spend(budget, x.length)) return undefined;
    const out = output(budget, x.length);
    map(x, out);
    if (hasNaN(out)) return undefined;
    if (last === undefined || last.data !== out || last.shape !== a.shape) last = { data: out, shape: a.shape };
    return last;
  };
}

/** out[i] = op(x[i]) for every i (`out` may be `x`). */
type MapLoop = (x: Float32Array, out: Float32Array) => void;

/**
 * The loop of `op`: one function literal per op, so that each loop's call is monomorphic and
 * inlined. One shared loop calling `op` through a variable would box every argument and result
 * as a heap number (two allocations an element: most of a small model's garbage).
 */
function mapLoop(op: (x: number) => number): MapLoop {
  if (op === relu) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = relu(x[i]!); };
  if (op === relu6) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = relu6(x[i]!); };
  if (op === wasmSigmoid) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = wasmSigmoid(x[i]!); };
  if (op === cpuSigmoid) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = cpuSigmoid(x[i]!); };
  if (op === Math.sqrt) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]!); };
  if (op === Math.tanh) return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!); };
  return (x, out) => { for (let i = 0; i < x.length; i++) out[i] = op(x[i]!); };
}

// Without NaN operands (see the header) both backends agree with these: relu(-0) is +0.
const relu = (x: number): number => (x > 0 ? x : 0);
const relu6 = (x: number): number => (x > 0 ? (x < 6 ? x : 6) : 0);
// wasm's Maximum/Minimum (XNNPACK) answer the first operand on a tie, so max(-0, +0) is -0
// where JavaScript's Math.max gives +0 (NaN never reaches them, see the header).
const wasmMax = (x: number, y: number): number => (x < y ? y : x);
const wasmMin = (x: number, y: number): number => (y < x ? y : x);

/** tfjs-backend-cpu's Sigmoid (JavaScript's Math.exp, in doubles; the store rounds). */
const cpuSigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A float32 constant written as C's hexadecimal float `0x<int>.<frac>p<exp>`. */
function hexFloat(sign: 1 | -1, int: string, frac: string, exp: number): number {
  return Math.fround(sign * parseInt(int + frac, 16) * 2 ** (exp - 4 * frac.length));
}

// XNNPACK's sigmoid (wasm SIMD, "rr2_p5_div"): exp(-|x|) by range reduction with a two-part
// ln 2 and a degree-5 polynomial, then e / (e + 1), mirrored for x >= 0. Constants as in its source.
const SIG = {
  magic: hexFloat(1, '1', '8000FE', 23),
  minusLog2e: hexFloat(-1, '1', '715476', 0),
  ln2Hi: hexFloat(1, '1', '62E400', -1),
  ln2Lo: hexFloat(1, '1', '7F7D1C', -20),
  c5: hexFloat(-1, '1', '0F9F9C', -7),
  c4: hexFloat(1, '1', '573A1A', -5),
  c3: hexFloat(-1, '1', '555A80', -3),
  c2: hexFloat(1, '1', 'FFFDC6', -2),
  c1: hexFloat(-1, '1', 'FFFFF6', -1),
  cutoff: hexFloat(1, '1', '5D589E', 6),
};
const bitsF = new Float32Array(1);
const bitsI = new Int32Array(bitsF.buffer);

/**
 * tfjs-backend-wasm's Sigmoid (XNNPACK's kernel), every step a float32 operation as there.
 * `node scripts/check-wasm-sigmoid.mjs` compares it with the wasm kernel over every float32
 * bit pattern; test/runtime/plain-js.test.ts over a sample.
 */
export function wasmSigmoid(x: number): number {
  const f = Math.fround;
  const z = Math.abs(x);
  let n = f(f(z * SIG.minusLog2e) + SIG.magic);
  // 2^n from the magic-biased n's low bits, shifted into the exponent field.
  bitsF[0] = n;
  bitsI[0] = bitsI[0]! << 23;
  const s = bitsF[0]!;
  n = f(n - SIG.magic);
  let t = f(f(n * SIG.ln2Hi) + z);
  t = f(f(n * SIG.ln2Lo) + t);
  let p = f(f(t * SIG.c5) + SIG.c4);
  p = f(f(t * p) + SIG.c3);
  p = f(f(t * p) + SIG.c2);
  p = f(f(t * p) + SIG.c1);
  t = f(t * s);
  const e = f(f(t * p) + s);
  const r = z > SIG.cutoff ? 0 : f(e / f(e + 1));
  bitsF[0] = x;
  return bitsI[0]! < 0 ? r : f(1 - r);
}

/** Reshape to a constant target (one -1 inferred), keeping the data. */
function reshapeKernel(target: readonly number[]): Kernel {
  return ([a]) => {
    const n = a!.data.length;
    const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const free = target.indexOf(-1);
    if (known === 0 || n === 0) return undefined;
    if (free < 0) return known === n ? { data: a!.data, shape: target } : undefined;
    if (n % known !== 0) return undefined;
    const shape = [...target];
    shape[free] = n / known;
    return { data: a!.data, shape };
  };
}

// --- MatMul -----------------------------------------------------------------------------

/** How a MatMul's output is finished: its bias (an argument index) and activation. */
interface MatMulSpec {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly bias: boolean;
  readonly activation: ((x: number) => number) | undefined;
}

/** Rows, shared dimension and columns of a rank-2 MatMul. */
interface Geometry {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** Operand geometry of a rank-2 MatMul, or undefined when the shapes do not fit. */
function geometry(a: PlainValue, b: PlainValue, bias: PlainValue | undefined, s: MatMulSpec): Geometry | undefined {
  if (a.shape.length !== 2 || b.shape.length !== 2) return undefined;
  // Indexed, not destructured: array destructuring runs the iterator protocol (garbage per call).
  const ar = a.shape[0]!;
  const ac = a.shape[1]!;
  const br = b.shape[0]!;
  const bc = b.shape[1]!;
  const m = s.transposeA ? ac : ar;
  const k = s.transposeA ? ar : ac;
  const n = s.transposeB ? br : bc;
  if (k !== (s.transposeB ? bc : br) || m === 0 || k === 0 || n === 0 || k * n > MAX_ROW_MACS) return undefined;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n)) return undefined;
  return { m, k, n };
}

/** Where a MatMul's operands keep element (i, p) of `a` and (p, j) of `b`: strides. */
interface Strides {
  readonly aRow: number;
  readonly aK: number;
  readonly bK: number;
  readonly bCol: number;
}

function stridesOf(g: Geometry, s: MatMulSpec): Strides {
  const { m, k, n } = g;
  return {
    aRow: s.transposeA ? 1 : k,
    aK: s.transposeA ? m : 1,
    bK: s.transposeB ? 1 : n,
    bCol: s.transposeB ? k : 1,
  };
}

/**
 * tfjs-backend-cpu's MatMul (BatchMatMul.ts) for output (i, j): the products of each block of
 * `block` k-values summed in a double, in k order, and each block's sum added to the float32
 * output; then the bias added (its Add kernel), rounded again.
 */
function cpuCell(a: Float32Array, b: Float32Array, i: number, j: number, k: number, st: Strides, block: number): number {
  let acc = 0;
  const ai = i * st.aRow;
  const bj = j * st.bCol;
  for (let k0 = 0; k0 < k; k0 += block) {
    const end = Math.min(k0 + block, k);
    let sum = 0;
    for (let p = k0; p < end; p++) sum += a[ai + p * st.aK]! * b[p * st.bK + bj]!;
    acc = Math.fround(acc + sum);
  }
  return acc;
}

/**
 * The cpu MatMul of all outputs ({@link cpuCell}), with the bias; four columns at a time
 * with the sums in registers, which keeps each output's order of operations.
 */
function cpuMatMul(a: Float32Array, b: Float32Array, g: Geometry, s: MatMulSpec, bias: Float32Array | undefined, block: number, out: Float32Array): Float32Array {
  const { m, k, n } = g;
  const st = stridesOf(g, s);
  const f = Math.fround;
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    const ai = i * st.aRow;
    for (let j = 0; j < n4; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k0 = 0; k0 < k; k0 += block) {
        const end = Math.min(k0 + block, k);
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = k0; p < end; p++) {
          const x = a[ai + p * st.aK]!;
          const r = p * st.bK + j * st.bCol;
          s0 += x * b[r]!;
          s1 += x * b[r + st.bCol]!;
          s2 += x * b[r + 2 * st.bCol]!;
          s3 += x * b[r + 3 * st.bCol]!;
        }
        c0 = f(c0 + s0);
        c1 = f(c1 + s1);
        c2 = f(c2 + s2);
        c3 = f(c3 + s3);
      }
      out[o + j] = c0;
      out[o + j + 1] = c1;
      out[o + j + 2] = c2;
      out[o + j + 3] = c3;
    }
    for (let j = n4; j < n; j++) out[o + j] = cpuCell(a, b, i, j, k, st, block);
    if (bias) for (let j = 0; j < n; j++) out[o + j] = out[o + j]! + bias[j]!;
  }
  return out;
}

/**
 * XNNPACK's fully-connected operator as tfjs-backend-wasm runs it (untransposed operands):
 * per output a float32 accumulator from the bias (or 0), each product rounded to float32 and
 * added in k order. Four columns at a time with the accumulators in registers.
 */
function wasmMatMul(a: Float32Array, b: Float32Array, g: Geometry, bias: Float32Array | undefined, out: Float32Array): Float32Array {
  const { m, k, n } = g;
  if (simdGemm) return simdGemm.run(a, b, bias, m, k, n, out);
  const f = Math.fround;
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    const ai = i * k;
    for (let j = 0; j < n4; j += 4) {
      let c0 = bias ? bias[j]! : 0;
      let c1 = bias ? bias[j + 1]! : 0;
      let c2 = bias ? bias[j + 2]! : 0;
      let c3 = bias ? bias[j + 3]! : 0;
      for (let p = 0, r = j; p < k; p++, r += n) {
        const x = a[ai + p]!;
        c0 = f(c0 + f(x * b[r]!));
        c1 = f(c1 + f(x * b[r + 1]!));
        c2 = f(c2 + f(x * b[r + 2]!));
        c3 = f(c3 + f(x * b[r + 3]!));
      }
      out[o + j] = c0;
      out[o + j + 1] = c1;
      out[o + j + 2] = c2;
      out[o + j + 3] = c3;
    }
    for (let j = n4; j < n; j++) {
      let c = bias ? bias[j]! : 0;
      for (let p = 0, r = j; p < k; p++, r += n) c = f(c + f(a[ai + p]! * b[r]!));
      out[o + j] = c;
    }
  }
  return out;
}

function matMulKernel(s: MatMulSpec, backend: PlainBackend, block: number): Kernel {
  const activation = s.activation ? mapLoop(s.activation) : undefined;
  // The value returned last: returned again while the step's buffer and shape are the same
  // (no object per call; a value that escaped as an output has a buffer of its own by then).
  let last: PlainValue | undefined;
  return (args, budget) => {
    const a = args[0];
    const b = args[1];
    const bias = args[2];
    const g = geometry(a!, b!, s.bias ? bias : undefined, s);
    if (!g || !spend(budget, g.m * g.k * g.n + g.m * g.n)) return undefined;
    const biasData = s.bias ? bias!.data : undefined;
    const buf = output(budget, g.m * g.n);
    const out = backend === 'cpu' ? cpuMatMul(a!.data, b!.data, g, s, biasData, block, buf) : wasmMatMul(a!.data, b!.data, g, biasData, buf);
    // The activation's clamp would hide a NaN (wasm's keeps or drops one by its sign).
    if (hasNaN(out)) return undefined;
    if (activation) activation(out, out);
    if (last === undefined || last.data !== out || last.shape[0] !== g.m || last.shape[1] !== g.n) last = { data: out, shape: [g.m, g.n] };
    return last;
  };
}

// --- compiling ----------------------------------------------------------------------------

/** What compiling needs to know about the graph's constants and the backend. */
export interface PlainContext {
  readonly backend: PlainBackend;
  /** The loaded weight of Const node `name`. */
  weight(name: string): tf.Tensor | undefined;
  /** tfjs-backend-cpu's MatMul block size (its `blockSize`, 48). */
  readonly cpuBlockSize: number;
  /** Work budget of a call (default {@link MAX_CALL_WORK} of the backend; tests lift it). */
  readonly maxWork?: number;
}

const flag = (node: NodeJson, k: string): boolean => node.attr[k]?.b === true;

/** The fused ops of a `_FusedMatMul` node, lower case. */
function fusedOps(node: NodeJson): string[] {
  return (node.attr['fused_ops']?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('latin1').toLowerCase());
}

/** The fused activations both backends compute alike (Sigmoid: {@link sigmoidOf}). */
const ACTIVATIONS: Readonly<Record<string, (x: number) => number>> = { relu, relu6 };

/** The backend's Sigmoid (wasm's fused one is its Sigmoid kernel after the linear product). */
const sigmoidOf = (backend: PlainBackend): ((x: number) => number) => (backend === 'cpu' ? cpuSigmoid : wasmSigmoid);

/** The MatMul kernel of a `MatMul` / `_FusedMatMul` node on `ctx`'s backend, if covered. */
function matMulOf(node: NodeJson, ctx: PlainContext): Kernel | undefined {
  const transposeA = flag(node, 'transpose_a');
  const transposeB = flag(node, 'transpose_b');
  // tfjs-backend-wasm takes another kernel (other summation) for transposed operands.
  if (ctx.backend === 'wasm' && (transposeA || transposeB)) return undefined;
  if (node.op === 'MatMul') {
    return node.input.length === 2 ? matMulKernel({ transposeA, transposeB, bias: false, activation: undefined }, ctx.backend, ctx.cpuBlockSize) : undefined;
  }
  const [extra, act, ...more] = fusedOps(node);
  if (extra !== 'biasadd' || more.length > 0 || node.attr['num_args']?.i !== 1 || node.input.length !== 3) return undefined;
  const activation =
    act === 'sigmoid' ? sigmoidOf(ctx.backend) : act !== undefined && Object.hasOwn(ACTIVATIONS, act) ? ACTIVATIONS[act] : undefined;
  if (act !== undefined && !activation) return undefined;
  return matMulKernel({ transposeA, transposeB, bias: true, activation }, ctx.backend, ctx.cpuBlockSize);
}

/** The kernel of `node`, or undefined when the tier does not cover it on this backend. */
function kernelOf(node: NodeJson, ctx: PlainContext): Kernel | undefined {
  const t = node.attr['T']?.type;
  if (t !== undefined && t !== 'DT_FLOAT') return undefined;
  const cpu = ctx.backend === 'cpu';
  switch (node.op) {
    case 'Add':
    case 'AddV2':
      return binaryKernel((x, y) => x + y);
    case 'BiasAdd': {
      const format = node.attr['data_format']?.s;
      return format === undefined || Buffer.from(format, 'base64').toString('latin1') === 'NHWC' ? binaryKernel((x, y) => x + y) : undefined;
    }
    case 'Sub':
      return binaryKernel((x, y) => x - y);
    case 'Mul':
      return binaryKernel((x, y) => x * y);
    case 'RealDiv':
      return binaryKernel((x, y) => x / y);
    case 'Maximum':
      return binaryKernel(cpu ? Math.max : wasmMax);
    case 'Minimum':
      return binaryKernel(cpu ? Math.min : wasmMin);
    case 'Relu':
      return unaryKernel(relu);
    case 'Relu6':
      return unaryKernel(relu6);
    case 'Sigmoid':
      return unaryKernel(sigmoidOf(ctx.backend));
    case 'Tanh':
      return cpu ? unaryKernel(Math.tanh) : undefined;
    case 'Sqrt':
      // IEEE square root on both backends (correctly rounded; the double's one rounds exactly).
      return unaryKernel(Math.sqrt);
    case 'Identity':
      return ([a]) => a;
    case 'MatMul':
    case '_FusedMatMul':
      return matMulOf(node, ctx);
    default:
      return undefined;
  }
}

/** A float32 constant without NaN as a value, or undefined. */
function constantValue(t: tf.Tensor | undefined): PlainValue | undefined {
  if (!t || t.dtype !== 'float32') return undefined;
  const data = Float32Array.from(t.dataSync() as Float32Array);
  return hasNaN(data) ? undefined : { data, shape: [...t.shape] };
}

/** The target shape of a Reshape whose shape operand is an int32 constant, or undefined. */
function reshapeTarget(node: NodeJson, ctx: PlainContext): number[] | undefined {
  const ref = node.input[1];
  const name = ref === undefined ? undefined : producer(ref);
  const t = name === undefined ? undefined : ctx.weight(name);
  if (!t || t.dtype !== 'int32' || t.shape.length !== 1 || node.input.length !== 2) return undefined;
  const dims = Array.from(t.dataSync() as Int32Array);
  return dims.every((d) => d >= 0 || d === -1) && dims.filter((d) => d === -1).length <= 1 ? dims : undefined;
}

/** Compile state: value slots, constants, steps. */
interface Compiler {
  readonly byName: ReadonlyMap<string, NodeJson>;
  readonly ctx: PlainContext;
  readonly slotOf: Map<string, number>;
  readonly constants: [number, PlainValue][];
  readonly steps: Step[];
  readonly visiting: Set<string>;
  slots: number;
}

/** The slot holding node `name`'s output, compiling what it needs; undefined when not covered. */
function visit(c: Compiler, name: string): number | undefined {
  const known = c.slotOf.get(name);
  if (known !== undefined) return known;
  const node = c.byName.get(name);
  if (!node || c.visiting.has(name)) return undefined;
  if (node.op === 'Const') {
    const v = constantValue(c.ctx.weight(name));
    if (!v) return undefined;
    c.constants.push([c.slots, v]);
    c.slotOf.set(name, c.slots);
    return c.slots++;
  }
  let kernel: Kernel | undefined;
  let inputs = node.input;
  if (node.op === 'Reshape') {
    const target = reshapeTarget(node, c.ctx);
    kernel = target && reshapeKernel(target);
    inputs = node.input.slice(0, 1);
  } else {
    kernel = kernelOf(node, c.ctx);
  }
  if (!kernel) return undefined;
  c.visiting.add(name);
  const args: number[] = [];
  for (const ref of inputs) {
    const p = producer(ref);
    const s = p === undefined ? undefined : visit(c, p);
    if (s === undefined) return undefined;
    args.push(s);
  }
  c.visiting.delete(name);
  c.slotOf.set(name, c.slots);
  c.steps.push({ kernel, args, out: c.slots });
  return c.slots++;
}

/**
 * Compile the subgraph computing `fetches` from `feeds` (graph tensors `node:0`, float32
 * placeholders) for `ctx.backend`, or undefined when it uses anything the tier does not cover.
 */
export function compilePlainJs(
  nodes: readonly NodeJson[],
  feeds: readonly string[],
  fetches: readonly string[],
  ctx: PlainContext,
): PlainProgram | undefined {
  const c: Compiler = { byName: new Map(nodes.map((n) => [n.name, n])), ctx, slotOf: new Map(), constants: [], steps: [], visiting: new Set(), slots: 0 };
  for (const f of feeds) {
    const name = producer(f);
    const node = name === undefined ? undefined : c.byName.get(name);
    if (!node || node.op !== 'Placeholder' || node.attr['dtype']?.type !== 'DT_FLOAT' || c.slotOf.has(name!)) return undefined;
    c.slotOf.set(name!, c.slots++);
  }
  const outSlots: number[] = [];
  for (const f of fetches) {
    const name = producer(f);
    const s = name === undefined ? undefined : visit(c, name);
    if (s === undefined) return undefined;
    outSlots.push(s);
  }
  return program(c.slots, feeds.length, c.constants, c.steps, outSlots, ctx.maxWork ?? MAX_CALL_WORK[ctx.backend]);
}

/** Input shapes whose calls went over the work budget are remembered (at most this many). */
const OVER_BUDGET_SHAPES = 64;

/** A key for the shapes of a call's inputs. */
function shapesKey(inputs: readonly PlainValue[]): string {
  let key = '';
  for (const v of inputs) key += `${v.shape.join(',')};`;
  return key;
}

/**
 * The program over the compiled steps. The work of a call depends on its input shapes only,
 * so shapes that once went over the budget are handed back at once afterwards, without
 * computing the steps that fit before the budget ran out.
 *
 * A call allocates little: the slots, each step's argument list and the steps' output buffers
 * (see {@link Budget}) are the program's own and reused. An output buffer that is returned
 * (an output, or an Identity/Reshape of one) is dropped from the program's buffers, so the
 * next call allocates that step's buffer anew and the caller's arrays are never written again.
 */
function program(size: number, nInputs: number, constants: readonly [number, PlainValue][], steps: readonly Step[], outSlots: readonly number[], work: number): PlainProgram {
  const overBudget = new Set<string>();
  const budget: Budget = { left: work, step: 0, buffers: steps.map(() => undefined) };
  const values = new Array<PlainValue | undefined>(size).fill(undefined);
  const argv = steps.map((s) => new Array<PlainValue | undefined>(s.args.length).fill(undefined));
  const compute = (inputs: readonly PlainValue[]): PlainValue[] | undefined => {
    for (let i = 0; i < nInputs; i++) {
      const v = inputs[i]!;
      if (hasNaN(v.data)) return undefined;
      values[i] = v;
    }
    for (const [i, v] of constants) values[i] = v;
    for (let j = 0; j < steps.length; j++) {
      const s = steps[j]!;
      const args = argv[j]!;
      for (let q = 0; q < args.length; q++) args[q] = values[s.args[q]!];
      budget.step = j;
      const v = s.kernel(args as PlainValue[], budget);
      if (!v) return undefined;
      values[s.out] = v;
    }
    const outs = ownOutputs(outSlots, values as PlainValue[], inputs, constants);
    dropReturned(budget.buffers, outs);
    return outs;
  };
  const run = (inputs: readonly PlainValue[]): PlainValue[] | undefined => {
    try {
      return compute(inputs);
    } finally {
      // Hold no request's values (nor this call's) past the call.
      values.fill(undefined);
      for (const args of argv) args.fill(undefined);
    }
  };
  return {
    run(inputs) {
      if (inputs.length !== nInputs) return undefined;
      const key = overBudget.size > 0 ? shapesKey(inputs) : '';
      if (overBudget.has(key)) return undefined;
      budget.left = work;
      const out = run(inputs);
      if (!out && budget.left < 0) {
        if (overBudget.size >= OVER_BUDGET_SHAPES) overBudget.clear();
        overBudget.add(shapesKey(inputs));
      }
      return out;
    },
  };
}

/** Forget the step buffers that `outs` hand to the caller. */
function dropReturned(buffers: (Float32Array | undefined)[], outs: readonly PlainValue[]): void {
  for (const o of outs) {
    for (let j = 0; j < buffers.length; j++) if (buffers[j] === o.data) buffers[j] = undefined;
  }
}

/** Whether `data` is the data of one of `values` (the first `count` when given). */
function among(data: Float32Array, values: readonly PlainValue[], count = values.length): boolean {
  for (let i = 0; i < count; i++) if (values[i]!.data === data) return true;
  return false;
}

/**
 * The outputs (the values of `outSlots`), each with data of its own: an output that is an
 * input or a constant (or shares their data through Identity/Reshape), or that an earlier
 * output already returned, is copied, so callers never alias the request's or the model's arrays.
 */
function ownOutputs(outSlots: readonly number[], values: readonly PlainValue[], inputs: readonly PlainValue[], constants: readonly [number, PlainValue][]): PlainValue[] {
  const outs = new Array<PlainValue>(outSlots.length);
  for (let i = 0; i < outSlots.length; i++) {
    const v = values[outSlots[i]!]!;
    let foreign = among(v.data, inputs) || among(v.data, outs, i);
    for (let c = 0; c < constants.length && !foreign; c++) foreign = constants[c]![1].data === v.data;
    outs[i] = foreign ? { data: v.data.slice(), shape: v.shape } : v;
  }
  return outs;
}
