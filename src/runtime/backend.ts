/**
 * tfjs backends for the runtime: `wasm` (default), `cpu`, and `tensorflow` (the native
 * TensorFlow library through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, an
 * optional peer dependency the user installs), plus `auto` (tensorflow when installed,
 * else wasm).
 *
 * All state here is per thread: every `worker_threads` Worker that imports the runtime
 * gets its own tfjs engine, backends and custom ops, so each worker calls
 * {@link initBackend} itself.
 *
 * Models can run on a backend other than the thread's default (the per-model fallback
 * to cpu for kernels wasm cannot provide). The active tfjs backend is switched around
 * such runs: synchronous runs switch and restore without yielding; asynchronous runs
 * (control flow) take {@link withBackend}'s lock so that no run on another backend
 * interleaves with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';
import { Errors, TfsError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { MAX_WASM_THREADS } from './wasm-threads-source.js';
import { wrapInt32Products } from './int32-wrap.js';
import { explicitSamePaddingOnWasm } from './wasm-same-padding.js';
import { broadcastBatchMatMul } from './batch-matmul-broadcast.js';
import { broadcastComplexBinary } from './complex-broadcast.js';
import { gemmOnWasm } from './wasm-gemm.js';
import { emptyStridedSlice } from './strided-slice-empty.js';
import { fastMaxPoolOnWasm } from './wasm-pool.js';

/** What `--backend` accepts. */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow';
/** A concrete tfjs backend. */
export type ConcreteBackend = 'wasm' | 'cpu' | 'tensorflow';

export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'tensorflow'];

/** The packages that provide the `tensorflow` backend, in order of preference. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Kernels the wasm backend lacks that tfs bridges to the cpu backend's kernels. */
const BRIDGE_EXCLUDED = new Set(['Complex', 'ComplexAbs', 'Real', 'Imag', 'FFT', 'IFFT', 'Draw']);

interface ThreadState {
  defaultBackend: ConcreteBackend | undefined;
  ready: Map<ConcreteBackend, Promise<void>>;
  tensorflowPackage: string | undefined;
  bridged: string[];
  patched: Set<string>;
  /** Compute threads of this thread's wasm backend (1: tfjs's single-threaded SIMD build). */
  wasmThreads: number;
}

/** How this thread's backend is set up (the first {@link initBackend} call decides). */
export interface BackendOptions {
  /**
   * Compute threads for the `wasm` backend (`--tensorflow_intra_op_parallelism`, resolved):
   * above 1, tfjs-backend-wasm's threaded SIMD build with that many threads (at most
   * {@link MAX_WASM_THREADS}), started by wasm-threads.ts; 1 or absent, the single-threaded build.
   */
  readonly wasmThreads?: number;
  /** Where the threaded build's start, or its fallback to one thread, is said. */
  readonly logger?: Logger;
}

// Module state is per thread (each Worker loads its own copy of this module).
const state: ThreadState = { defaultBackend: undefined, ready: new Map(), tensorflowPackage: undefined, bridged: [], patched: new Set(), wasmThreads: 1 };

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

async function importTensorflowBackend(): Promise<string | undefined> {
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await import(pkg);
      return pkg;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') continue;
      throw Errors.tensorflowBackendLoadFailed(pkg, (e as Error).message, e);
    }
  }
  return undefined;
}

function tensorflowMissing(): TfsError {
  return Errors.tensorflowBackendMissing(TENSORFLOW_PACKAGES[1], TENSORFLOW_PACKAGES[0]);
}

/** A wasm kernel that copies its inputs to the cpu backend, runs `cpuKernel` there and copies the results back. */
function onCpu(cpuKernel: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as tf.KernelBackend;
    const cpu = tf.findBackend('cpu') as tf.KernelBackend;
    const temps: tf.TensorInfo[] = [];
    const copy = (t: tf.TensorInfo | undefined): tf.TensorInfo | undefined => {
      if (!t) return t;
      const info = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
      temps.push(info);
      return info;
    };
    // Variadic kernels (Einsum) receive an array of inputs, the others a name → input map.
    const cpuInputs = (
      Array.isArray(inputs)
        ? (inputs as tf.TensorInfo[]).map((t) => copy(t))
        : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, copy(t as tf.TensorInfo | undefined)]))
    ) as tf.NamedTensorInfoMap;
    try {
      const out = cpuKernel({ inputs: cpuInputs, backend: cpu, attrs: attrs ?? {} });
      const outs = Array.isArray(out) ? out : [out];
      const results = outs.map((o) => {
        // Some cpu kernels keep int32 results in a Float32Array (MaxPoolWithArgmax's indices):
        // wasm takes the bytes as they are, so such values are converted first.
        let vals = cpu.readSync(o.dataId);
        if (o.dtype === 'int32' && vals instanceof Float32Array) vals = Int32Array.from(vals);
        const r = { dataId: wasm.write(vals, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
        cpu.disposeData(o.dataId, true);
        return r;
      });
      return Array.isArray(out) ? results : results[0]!;
    } finally {
      for (const t of temps) cpu.disposeData(t.dataId, true);
    }
  };
}

/** Whether a float32 input holds a NaN (read from the kernel's own backend). */
function floatInputHasNaN(args: Parameters<tf.KernelFunc>[0]): boolean {
  return Object.values(args.inputs).some((t) => {
    const info = t as tf.TensorInfo | undefined;
    if (info?.dtype !== 'float32') return false;
    return (args.backend as tf.KernelBackend).readSync(info.dataId).some((v) => Number.isNaN(v as number));
  });
}

/**
 * wasm kernels that answer wrongly, and when: Equal/NotEqual cannot read string tensors
 * (they print "Unsupported input_type 3" and answer zeros); OneHot with a float32 output
 * writes int32 bit patterns (NaN and 2.8e-45 for on 2.0 / off -1.0) and overruns its
 * buffer, corrupting the wasm heap for later calls; GatherV2 (below).
 */
const WASM_WRONG: Readonly<Record<string, (args: Parameters<tf.KernelFunc>[0]) => boolean>> = {
  Equal: (args) => Object.values(args.inputs).some((t) => (t as tf.TensorInfo | undefined)?.dtype === 'string'),
  NotEqual: (args) => Object.values(args.inputs).some((t) => (t as tf.TensorInfo | undefined)?.dtype === 'string'),
  OneHot: (args) => (args.attrs as { dtype?: string } | undefined)?.dtype !== 'int32',
  // Empty params or indices give a garbage shape ([1,1,0,1] for [0] and [0]); batch_dims > 0
  // reads out of bounds (FINDINGS W4).
  GatherV2: (args) =>
    Object.values(args.inputs).some((t) => (t as tf.TensorInfo | undefined)?.shape.includes(0)) ||
    Number((args.attrs as { batchDims?: number } | undefined)?.batchDims ?? 0) !== 0,
  // String values abort the wasm module (`Aborted()`: VarLen string features, tf1_sparse_varlen).
  // Keras Conv3DTranspose (k3_conv3d_transpose) differs from TF by 0.02 on wasm; cpu's matches.
  Conv3DBackpropInputV2: () => true,
  SparseToDense: (args) => Object.values(args.inputs).some((t) => (t as tf.TensorInfo | undefined)?.dtype === 'string'),
  // A cast to bool truncates like a cast to int32 (0.3 gives false, 2.5 gives a bool holding 2); TF gives x != 0.
  Cast: (args) =>
    (args.attrs as { dtype?: string } | undefined)?.dtype === 'bool' && (args.inputs as { x?: tf.TensorInfo }).x?.dtype !== 'bool',
  // Some argmax indices come out 0 (a batch-4 max_pool_with_argmax in the probe models).
  MaxPoolWithArgmax: () => true,
  // Like Dilation2D, answers FLT_MIN for a window whose values are all negative (Keras
  // MaxPooling3D after a Conv3D without relu, k3_conv3d_channels_first); cpu's matches TF.
  MaxPool3D: () => true,
  // Starts each window's max at FLT_MIN (the smallest positive float), so a window whose
  // values are all negative answers 1.2e-38 (tf.nn.dilation2d/erosion2d, probe2 q_image2).
  Dilation2D: () => true,
  // std::max/min and clamps drop a NaN operand (wasm: max(1, NaN) = 1, relu6(NaN) = 0,
  // clip(NaN) = -1); TF propagates NaN (probe4 r_float_edges).
  Maximum: floatInputHasNaN,
  Minimum: floatInputHasNaN,
  Relu6: floatInputHasNaN,
  ClipByValue: floatInputHasNaN,
};

/**
 * TopKV2 (also `tf.sort`/`tf.argsort`, which TF builds on it) over NaN: TF's order comes from
 * its sort's comparisons with NaN, which tfjs's kernels do not reproduce, so such calls fail.
 */
function refuseTopKOverNaN(backendName: string): void {
  wrapKernel('TopK', backendName, (inner) => (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    if (x && x.dtype === 'float32') {
      const vals = (args.backend as tf.KernelBackend).readSync(x.dataId) as Float32Array;
      if (vals.some(Number.isNaN)) throw Errors.kernelUnsupported('TopKV2', 'the order of NaN values (as in tf.sort, tf.argsort, tf.math.top_k)');
    }
    return inner(args);
  });
}

const FLT_LOWEST = -3.4028234663852886e38;

/** A plain loop (no callback per element): this runs on every MaxPool call. */
function hasNaNOrMinusInf(xs: Float32Array): boolean {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    // v !== v is NaN; -Infinity is the only value below -FLT_MAX.
    if (v !== v || v < FLT_LOWEST) return true;
  }
  return false;
}

/**
 * TF's MaxPool/MaxPool3D start each window at the type's lowest value and skip NaN: a window
 * of NaN and -Inf only is -FLT_MAX (max_pool2d([-inf]*4) = -3.4028235e38), NaN beside numbers
 * is ignored. tfjs answers -Inf there, and wasm's XNNPACK pool mixes NaN in. So NaN and -Inf
 * inputs become -FLT_MAX first, which gives TF's answer on both backends.
 */
function maxPoolLikeTf(backendName: string): void {
  for (const name of ['MaxPool', 'MaxPool3D']) {
    wrapKernel(name, backendName, (inner) => (args) => {
      const x = (args.inputs as { x?: tf.TensorInfo }).x;
      const backend = args.backend as tf.KernelBackend;
      if (x?.dtype !== 'float32') return inner(args);
      const xs = backend.readSync(x.dataId) as Float32Array;
      if (!hasNaNOrMinusInf(xs)) return inner(args);
      const fixed = Float32Array.from(xs, (v) => (Number.isNaN(v) || v === -Infinity ? FLT_LOWEST : v));
      const dataId = backend.write(fixed, x.shape, 'float32');
      try {
        return inner({ ...args, inputs: { ...args.inputs, x: { dataId, shape: x.shape, dtype: 'float32' } } });
      } finally {
        // Not forced: a kernel that passes its input through (a 1x1 window) holds a reference.
        backend.disposeData(dataId);
      }
    });
  }
}

/**
 * Softmax of logits holding NaN or +Inf: TF's answer depends on its CPU kernel. With oneDNN
 * (TF's default on x86 Linux) such a row gives 0 for the entries whose shifted logit is a
 * number and NaN for the others (softmax([inf, 1, nan, 2]) = [nan, 0, nan, 0]); Eigen's kernel
 * (TF_ENABLE_ONEDNN_OPTS=0) gives NaN for the whole row. tfs refuses the call rather than pick one.
 */
function refuseSoftmaxOverNaN(backendName: string): void {
  wrapKernel('Softmax', backendName, (inner) => (args) => {
    const x = (args.inputs as { logits?: tf.TensorInfo }).logits;
    if (x?.dtype === 'float32') {
      const vals = (args.backend as tf.KernelBackend).readSync(x.dataId) as Float32Array;
      if (vals.some((v) => Number.isNaN(v) || v === Infinity)) {
        throw Errors.kernelUnsupported('Softmax', 'a row of logits holding NaN or +Inf (TF itself answers it differently with and without oneDNN)');
      }
    }
    return inner(args);
  });
}

/** For each flat index of `out`, the flat index of an operand of `shape` broadcast to it. */
function broadcastIndex(out: readonly number[], shape: readonly number[]): (i: number) => number {
  const off = out.length - shape.length;
  const strides: number[] = [];
  let s = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    const dim = d >= off ? shape[d - off]! : 1;
    strides[d] = dim === 1 ? 0 : s;
    s *= dim;
  }
  return (i) => {
    let j = 0;
    for (let d = out.length - 1, rem = i; d >= 0; d--) {
      j += (rem % out[d]!) * strides[d]!;
      rem = Math.floor(rem / out[d]!);
    }
    return j;
  };
}

/**
 * tfjs-backend-cpu's Pow is JS's Math.pow, which answers NaN where C's pow (TF's, and wasm's)
 * answers 1: pow(±1, ±Inf) and pow(1, NaN).
 */
function powOfOneOnCpu(): void {
  wrapKernel('Pow', 'cpu', (inner) => (args) => {
    const out = inner(args) as tf.TensorInfo;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (out.dtype !== 'float32') return out;
    const backend = args.backend as tf.KernelBackend;
    const xs = backend.readSync(a.dataId) as Float32Array;
    const ys = backend.readSync(b.dataId) as Float32Array;
    if (!xs.some((x) => x === 1 || x === -1) || ys.every(Number.isFinite)) return out;
    const ix = broadcastIndex(out.shape, a.shape);
    const iy = broadcastIndex(out.shape, b.shape);
    const vals = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
    for (let i = 0; i < vals.length; i++) {
      const x = xs[ix(i)]!;
      const y = ys[iy(i)]!;
      if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) vals[i] = 1;
    }
    backend.disposeData(out.dataId, true);
    return { dataId: backend.write(vals, out.shape, 'float32'), shape: out.shape, dtype: 'float32' };
  });
}

/** Those kernels run on cpu's kernel in the cases they get wrong. */
function wrongWasmKernelsOnCpu(): void {
  for (const [name, wrong] of Object.entries(WASM_WRONG)) {
    const w = tf.getKernel(name, 'wasm');
    const c = tf.getKernel(name, 'cpu');
    if (!w || !c) continue;
    const viaCpu = onCpu(c.kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...w, kernelFunc: (args) => (wrong(args) ? viaCpu(args) : w.kernelFunc(args)) });
  }
}

/**
 * tfjs-backend-cpu's FloorDiv writes every result as int32, so a float floor division gave 0 for
 * ±Inf and NaN and wrapped beyond 2^31 (floordiv(-1e30, 2) was 0; TF -5e29). TF computes
 * floor(x / y) in the float type: float inputs run RealDiv then Floor.
 */
function floatFloorDivOnCpu(): void {
  const k = tf.getKernel('FloorDiv', 'cpu');
  const div = tf.getKernel('RealDiv', 'cpu');
  const floor = tf.getKernel('Floor', 'cpu');
  if (!k || !div || !floor) return;
  tf.unregisterKernel('FloorDiv', 'cpu');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      const a = (args.inputs as { a?: tf.TensorInfo }).a;
      if (a?.dtype !== 'float32') return k.kernelFunc(args);
      const q = div.kernelFunc({ ...args, attrs: {} }) as tf.TensorInfo;
      try {
        return floor.kernelFunc({ inputs: { x: q }, backend: args.backend, attrs: {} });
      } finally {
        (args.backend as tf.KernelBackend).disposeData(q.dataId, true);
      }
    },
  });
}

/**
 * tfjs's Cumsum/Cumprod take a negative axis as it is: the cpu kernel answers a tensor of
 * shape [undefined, …] and no values, and wasm's reads and writes outside its buffers,
 * corrupting the heap (Keras 3 `sparsemax` runs Cumsum with axis -1). TF counts a negative
 * axis from the end and refuses one out of range with its ScanOp text.
 */
function cumulativeAxis(backendName: string): void {
  for (const name of ['Cumsum', 'Cumprod']) {
    wrapKernel(name, backendName, (inner) => (args) => {
      const rank = (args.inputs as { x: tf.TensorInfo }).x.shape.length;
      const axis = (args.attrs as { axis: number }).axis;
      if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
        throw Errors.kernelArgument(`ScanOp: Expected scan axis in the range [${-rank}, ${rank}), but got ${axis}`);
      }
      return inner(axis >= 0 ? args : { ...args, attrs: { ...args.attrs, axis: axis + rank } });
    });
  }
}

/** tfjs's Sign answers 0 for NaN on both backends; TF answers NaN. */
function signOfNaN(backendName: string): void {
  wrapKernel('Sign', backendName, (inner) => (args) => {
    const out = inner(args) as tf.TensorInfo;
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    if (x?.dtype !== 'float32') return out;
    const backend = args.backend as tf.KernelBackend;
    const xs = backend.readSync(x.dataId) as Float32Array;
    if (!xs.some(Number.isNaN)) return out;
    const vals = Float32Array.from(backend.readSync(out.dataId) as Float32Array, (v, i) => (Number.isNaN(xs[i]!) ? NaN : v));
    backend.disposeData(out.dataId, true);
    return { dataId: backend.write(vals, out.shape, 'float32'), shape: out.shape, dtype: 'float32' };
  });
}

/**
 * Register, for every kernel the cpu backend has and wasm lacks (Einsum,
 * UnsortedSegmentSum, ...), a wasm kernel that copies its inputs to the cpu backend, runs
 * the cpu kernel and copies the results back. Complex-valued kernels are excluded: wasm
 * cannot hold complex tensors, so models needing them run on cpu entirely.
 */
function bridgeWasmKernels(): string[] {
  const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const bridged: string[] = [];
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (wasmKernels.has(k.kernelName) || BRIDGE_EXCLUDED.has(k.kernelName)) continue;
    tf.registerKernel({ kernelName: k.kernelName, backendName: 'wasm', kernelFunc: onCpu(k.kernelFunc) });
    bridged.push(k.kernelName);
  }
  return bridged;
}

/** What TensorFlow returns for a reduction over no elements. */
const EMPTY_REDUCTION: Readonly<Record<string, (dtype: tf.DataType) => number>> = {
  Sum: () => 0,
  Prod: () => 1,
  Mean: () => NaN,
  // float Max/Min of nothing is -Inf/+Inf in TF's reductions (SegmentMax's empty segments use the
  // type's lowest/highest instead, kernels/segments.ts).
  Max: (d) => (d === 'int32' ? -2147483648 : -Infinity),
  Min: (d) => (d === 'int32' ? 2147483647 : Infinity),
  All: () => 1,
  Any: () => 0,
};

/**
 * Reductions over empty tensors: the wasm kernels return uninitialized memory and the cpu
 * kernels differ from TF for Max/Min, so both get a wrapper that answers TF's value
 * (sum 0, prod 1, mean NaN, float max -Inf and min +Inf, int32 max lowest and min highest,
 * all true, any false) and defers to the backend's kernel otherwise. tfjs's Max names its axes
 * `reductionIndices`, the others `axis`.
 */
function patchEmptyReductions(backendName: string): void {
  for (const [kernelName, identity] of Object.entries(EMPTY_REDUCTION)) {
    wrapKernel(kernelName, backendName, (inner) => (args) => {
      const x = (args.inputs as { x?: tf.TensorInfo })['x'];
      if (!x || !x.shape.includes(0)) return inner(args);
      const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
      const rank = x.shape.length;
      const axis = attrs.axis ?? attrs.reductionIndices;
      const axes = (axis === undefined ? [...Array(rank).keys()] : [axis].flat()).map((a) => (a < 0 ? a + rank : a));
      const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (attrs.keepDims ? [1] : []) : [d]));
      const dtype: tf.DataType = kernelName === 'Mean' && x.dtype === 'int32' ? 'float32' : x.dtype;
      const n = outShape.reduce((a, b) => a * b, 1);
      const vals =
        dtype === 'bool' ? new Uint8Array(n) : dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
      vals.fill(identity(x.dtype));
      const backend = args.backend as tf.KernelBackend;
      return { dataId: backend.write(vals, outShape, dtype), shape: outShape, dtype };
    });
  }
}

/**
 * The wasm `Identity` kernel copies its input; cpu's shares it (reference counted).
 * tfjs-converter's TensorList ops rely on the sharing: an element stored in a list from a
 * loop body is otherwise freed when the body's intermediate tensors are swept (LSTM/GRU
 * layers then read freed memory). wasm gets cpu's semantics, which also saves a copy.
 */
function shareIdentityOnWasm(): void {
  const k = tf.getKernel('Identity', 'wasm');
  if (!k) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      (backend as tf.KernelBackend & { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/**
 * Before the wasm backend's first initialization: put the threaded build in place of the
 * single-threaded one when more than one thread is asked for. When the threaded build cannot
 * start, the backend is the single-threaded build and one warning says why.
 */
async function configureWasmThreads(opts: BackendOptions): Promise<void> {
  const threads = Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(opts.wasmThreads ?? 1)));
  if (threads <= 1) return;
  const { useThreadedWasm } = await import('./wasm-threads.js');
  useThreadedWasm(
    threads,
    (n) => {
      state.wasmThreads = n;
      opts.logger?.info({ wasmThreads: n }, `wasm backend: threaded SIMD build with ${n} threads`);
    },
    (reason) => {
      state.wasmThreads = 1;
      const text = `wasm backend: the threaded build (${threads} threads) could not start, running single-threaded: ${reason.message}`;
      if (opts.logger) opts.logger.warn({ wasmThreads: 1, reason: reason.message }, text);
      else process.emitWarning(text);
    },
  );
}

async function ensureBackend(name: ConcreteBackend, opts: BackendOptions = {}): Promise<void> {
  let p = state.ready.get(name);
  if (!p) {
    // Production mode: no debug checks, and no tfjs console banners on a server's stderr.
    tf.enableProdMode();
    p = (async () => {
      // cpu is always registered: the wasm bridge and the per-model fallback use it.
      await import('@tensorflow/tfjs-backend-cpu');
      if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
        await configureWasmThreads(opts);
      }
      if (name === 'tensorflow') {
        const pkg = await importTensorflowBackend();
        if (!pkg) throw tensorflowMissing();
        if (!tf.findBackendFactory('tensorflow')) {
          throw Errors.tensorflowBackendOtherCore(pkg, tf.version_core);
        }
        state.tensorflowPackage = pkg;
      }
      const previous = tf.getBackend();
      const ok = await tf.setBackend(name);
      if (!ok) throw Errors.backendInitFailed(name);
      if (name === 'wasm') {
        tf.findBackend('cpu'); // initialize cpu for the bridge
        state.bridged = bridgeWasmKernels();
        shareIdentityOnWasm();
        wrongWasmKernelsOnCpu();
        explicitSamePaddingOnWasm();
      }
      for (const b of name === 'tensorflow' ? [] : ['cpu', name]) {
        if (!state.patched.has(b)) {
          patchEmptyReductions(b);
          refuseTopKOverNaN(b);
          wrapInt32Products(b);
          broadcastBatchMatMul(b);
          emptyStridedSlice(b);
          if (b === 'cpu') broadcastComplexBinary(b);
          if (b === 'cpu') floatFloorDivOnCpu();
          if (b === 'cpu') powOfOneOnCpu();
          signOfNaN(b);
          cumulativeAxis(b);
          refuseSoftmaxOverNaN(b);
          maxPoolLikeTf(b);
          if (b === 'wasm') fastMaxPoolOnWasm();
          state.patched.add(b);
        }
      }
      // Outermost on wasm's MatMuls: it takes only calls the wrappers above would pass through.
      if (name === 'wasm') gemmOnWasm(state.wasmThreads);
      if (previous && previous !== name && state.defaultBackend) await tf.setBackend(state.defaultBackend);
    })();
    state.ready.set(name, p);
    p.catch(() => state.ready.delete(name));
  }
  await p;
}

/** `auto` → the concrete backend it means here (tensorflow when installed, else wasm). */
export async function resolveBackend(name: BackendName): Promise<ConcreteBackend> {
  if (name !== 'auto') return name;
  if (state.ready.has('tensorflow')) return 'tensorflow';
  const pkg = await importTensorflowBackend().catch(() => undefined);
  return pkg ? 'tensorflow' : 'wasm';
}

/**
 * Initialize a backend for this thread and make it the thread's default (the first call
 * decides the default; later calls only make sure the named backend is usable). Idempotent.
 * Resolves to the concrete backend used. Throws a TfsError naming the package to install
 * when `tensorflow` is asked for and not installed.
 */
export async function initBackend(name: BackendName = 'wasm', opts: BackendOptions = {}): Promise<ConcreteBackend> {
  const concrete = await resolveBackend(name);
  await ensureBackend(concrete, opts);
  if (state.defaultBackend === undefined) {
    state.defaultBackend = concrete;
    await tf.setBackend(concrete);
  }
  return concrete;
}

/**
 * Make sure a concrete backend is initialized in this thread (it becomes the thread's
 * default when none was chosen yet), without changing an existing default.
 */
export async function ensureBackendReady(name: ConcreteBackend): Promise<void> {
  await initBackend(name);
}

/** The thread's default backend (after {@link initBackend}), or undefined. */
export function defaultBackend(): ConcreteBackend | undefined {
  return state.defaultBackend;
}

/** Compute threads of this thread's wasm backend (1 until a threaded build has started). */
export function wasmThreads(): number {
  return state.wasmThreads;
}

/** Kernels the wasm backend runs through the cpu backend in this thread. */
export function bridgedWasmKernels(): readonly string[] {
  return state.bridged;
}

/** The engine fields a backend switch sets (tfjs-core Engine; not part of its typed API). */
interface EngineInternals {
  backendName: string;
  backendInstance: tf.KernelBackend | null;
  registry: Record<string, tf.KernelBackend | undefined>;
}

/** Backends whose kernels have been set up once by a full `tf.setBackend`. */
const setUp = new Set<string>();

/**
 * Make `name` the active tfjs backend right now (backends must be initialized). The
 * first switch goes through `tf.setBackend`, which also runs every kernel's one-time
 * setup (wasm binds its functions); later switches only repoint the engine, because
 * re-running the setup of ~160 wasm kernels on every call would cost ~0.2 ms.
 */
function activate(name: string): void {
  if (tf.getBackend() === name) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const instance = engine.registry?.[name];
  if (setUp.has(name) && instance) {
    engine.backendName = name;
    engine.backendInstance = instance;
  } else {
    // setBackend is synchronous for an initialized backend (its only await is init).
    void tf.setBackend(name);
    setUp.add(name);
  }
  if (tf.getBackend() !== name) throw new Error(`could not switch the tfjs backend to ${name}`);
}

/**
 * Replace a broken backend with a fresh instance (a new wasm module; a new cpu backend)
 * after a fault left it unusable. Every tensor on the old instance is lost: the caller
 * reloads the models. Kernels stay registered (they are keyed by backend name) and are
 * set up again on the new instance. The `tensorflow` backend is native and not rebuilt.
 */
export async function rebuildBackend(name: ConcreteBackend): Promise<void> {
  if (name === 'tensorflow') return;
  const factory = tf.findBackendFactory(name);
  if (!factory) throw Errors.backendInitFailed(name);
  const engine = tf.engine() as unknown as EngineInternals & { registryFactory: Record<string, unknown> };
  try {
    tf.removeBackend(name);
  } catch {
    // Disposing a dead wasm module can throw: drop the engine's references by hand.
    delete engine.registry[name];
    delete engine.registryFactory[name];
    if (engine.backendName === name) {
      engine.backendName = null as unknown as string;
      engine.backendInstance = null;
    }
  }
  setUp.delete(name);
  // wasm registers with priority 2 and cpu with 1 (their packages' values).
  tf.registerBackend(name, factory, name === 'wasm' ? 2 : 1);
  if (!(await tf.setBackend(name))) throw Errors.backendInitFailed(name);
  setUp.add(name);
  if (state.defaultBackend && state.defaultBackend !== name) activate(state.defaultBackend);
}

/** Run synchronous work on `name`, restoring the previously active backend. */
export function onBackendSync<T>(name: ConcreteBackend, fn: () => T): T {
  const prev = tf.getBackend();
  if (prev === name) return fn();
  activate(name);
  try {
    return fn();
  } finally {
    activate(prev);
  }
}

// Asynchronous runs: at most one backend is "held" at a time; runs on other backends wait.
let held: { backend: ConcreteBackend; count: number } | undefined;
let waiters: (() => void)[] = [];

async function acquire(name: ConcreteBackend): Promise<void> {
  while (held && held.backend !== name) {
    await new Promise<void>((resolve) => waiters.push(resolve));
  }
  if (held) held.count++;
  else held = { backend: name, count: 1 };
  activate(name);
}

function release(): void {
  if (!held) return;
  held.count--;
  if (held.count > 0) return;
  held = undefined;
  if (state.defaultBackend) activate(state.defaultBackend);
  const w = waiters;
  waiters = [];
  for (const r of w) r();
}

/**
 * Run asynchronous work with `name` as the active backend for its whole duration. Work
 * on the same backend runs concurrently; work on another backend waits.
 */
export async function withBackend<T>(name: ConcreteBackend, fn: () => Promise<T>): Promise<T> {
  await acquire(name);
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Live tensors and the bytes they hold in this thread's tfjs engine (all backends; zero
 * before the runtime started): what
 * the `tfs_runtime_tensors` / `tfs_runtime_tensor_bytes` gauges report, so a leak shows.
 */
export function runtimeMemory(): { numTensors: number; numBytes: number } {
  // Before initBackend, tf.memory() would pick (or fail to find) a backend itself.
  if (state.defaultBackend === undefined) return { numTensors: 0, numBytes: 0 };
  try {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  } catch {
    // While a faulted backend is being rebuilt, tfjs throws "has not yet been initialized";
    // its tensors are gone with it.
    return { numTensors: 0, numBytes: 0 };
  }
}
