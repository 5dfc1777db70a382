/**
 * Large float32 MatMuls on the wasm backend run on tfs's own GEMM (gemm/): relaxed-SIMD FMA
 * where the engine has it, weights packed once, and its own threads when the backend has
 * several. It wraps `BatchMatMul` and `_FusedMatMul`; any call it does not take (small work,
 * a batch of B matrices, a transposed batch of A, a bias other than per column, activations
 * other than relu/relu6, non-float32) goes to tfjs's kernel unchanged. It wraps `Conv2D` and
 * `FusedConv2D` the same way (wasm-conv.ts): large float32 NHWC convolutions run as an
 * indirect GEMM on the same threads. TFS_WASM_GEMM=0 turns all of it off (A/B benchmarks),
 * TFS_WASM_CONV=0 only the convolutions.
 *
 * Weight packing: B's panels are cached per tensor (its dataId) from the second call that
 * uses it, so constants (weights, used on every request) are packed once while activations
 * (each a new tensor) are packed per call and never cached. A cached packing is freed when
 * its tensor's dataId is garbage collected.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Gemm, type Activation, type PackedB } from './gemm/index.js';
import { wrapKernel } from './kernel-wrap.js';
import { gemmConv, type HeapBackend } from './wasm-conv.js';

/**
 * Multiply-adds below which tfjs's kernel (XNNPACK) is as fast on the single-threaded build:
 * copies dominate (1 thread, CPU µs, same process: 128×512×10 110 here vs 112 there, 64×512×10
 * 46 vs 49). The threaded build's XNNPACK pays about 0.5 ms of thread-pool hand-off per call
 * (128×512×10: 0.27 ms here, 1.27 ms there), so the dense heads of perf_mlp and small_cnn
 * (512→10, 800→10 at batch 128) come here. Not lower, and the same for every thread count
 * (1 and N threads answer the same bits).
 */
const MIN_WORK = 1 << 18;
/** Rows below which the 4-row tiles waste most of their work (XNNPACK's GEMV wins). */
const MIN_ROWS = 8;

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
}

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

class GemmKernels {
  private gemm: Gemm | undefined;
  private readonly packed = new WeakMap<object, PackedB>();
  private readonly seen = new WeakSet<object>();
  private readonly freed = new FinalizationRegistry<PackedB>((p) => this.gemm?.releaseB(p));

  constructor(private readonly threads: number) {}

  get(): Gemm {
    return (this.gemm ??= Gemm.create({ threads: this.threads }));
  }

  /** B packed: cached when this tensor was seen before, else a one-off (release: true). */
  packB(backend: HeapBackend, b: tf.TensorInfo, k: number, n: number, transposeB: boolean): { p: PackedB; release: boolean } {
    const key = b.dataId as object;
    const hit = this.packed.get(key);
    if (hit) return { p: hit, release: false };
    const p = this.get().packB(backend.typedArrayFromHeap(b), k, n, transposeB);
    if (!this.seen.has(key)) {
      this.seen.add(key);
      return { p, release: true };
    }
    this.packed.set(key, p);
    this.freed.register(key, p);
    return { p, release: false };
  }

  /** The product on the GEMM, or undefined when the call is not one it takes. */
  run(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo | undefined {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = (args.attrs ?? {}) as MatMulAttrs;
    const act = (attrs.activation ?? 'linear') as Activation;
    if (!a || !b || preluActivationWeights || !['linear', 'relu', 'relu6'].includes(act)) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return undefined;
    if (a.shape.length < 2 || b.shape.length < 2 || size(b.shape.slice(0, -2)) !== 1) return undefined;
    const [ar, ac] = a.shape.slice(-2) as [number, number];
    const [br, bc] = b.shape.slice(-2) as [number, number];
    const batch = size(a.shape.slice(0, -2));
    if (attrs.transposeA && batch !== 1) return undefined;
    const [m, k] = attrs.transposeA ? [ac, ar] : [batch * ar, ac];
    const [kb, n] = attrs.transposeB ? [bc, br] : [br, bc];
    if (k !== kb || m < MIN_ROWS || m * n * k < MIN_WORK) return undefined;
    if (bias && size(bias.shape) !== 1 && (size(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n)) return undefined;
    const backend = args.backend as HeapBackend;
    const rank = Math.max(a.shape.length, b.shape.length);
    const outer = [...Array<number>(rank - a.shape.length).fill(1), ...a.shape.slice(0, -2)];
    const out = backend.makeOutput([...outer, attrs.transposeA ? ac : ar, n], 'float32');
    const { p, release } = this.packB(backend, b, k, n, attrs.transposeB ?? false);
    try {
      const opts = { transposeA: attrs.transposeA ?? false, activation: act, ...(bias ? { bias: backend.typedArrayFromHeap(bias) } : {}) };
      this.get().matmul(backend.typedArrayFromHeap(a), m, k, p, opts, backend.typedArrayFromHeap(out));
    } finally {
      if (release) this.get().releaseB(p);
    }
    calls++;
    return out;
  }
}

let enabled = true;
let calls = 0;
/** Products the GEMM computed in this thread so far (tests check that a call took it). */
export function wasmGemmCalls(): number {
  return calls;
}

/** Turn the GEMM on or off at run time (bench/runtime.mjs's same-run A/B); returns the previous state. */
export function setWasmGemm(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

let convEnabled = true;
/** Turn the convolutions alone on or off at run time (bench/runtime.mjs's BENCH_CONV_AB); returns the previous state. */
export function setWasmConv(on: boolean): boolean {
  const was = convEnabled;
  convEnabled = on;
  return was;
}

/** Wrap the wasm backend's MatMul kernels (once, after the backend started with `threads` compute threads). */
export function gemmOnWasm(threads: number): void {
  if (process.env['TFS_WASM_GEMM'] === '0') return;
  const kernels = new GemmKernels(threads);
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    wrapKernel(name, 'wasm', (inner) => (args) => (enabled ? kernels.run(args) : undefined) ?? inner(args));
  }
  // TFS_WASM_CONV=0 keeps the convolutions on XNNPACK while the MatMuls stay on the GEMM.
  if (process.env['TFS_WASM_CONV'] === '0') return;
  for (const name of ['Conv2D', 'FusedConv2D']) {
    wrapKernel(name, 'wasm', (inner) => (args) => (enabled && convEnabled ? gemmConv(kernels, args) : undefined) ?? inner(args));
  }
}
