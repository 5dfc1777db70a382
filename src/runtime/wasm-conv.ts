/**
 * Large float32 convolutions on the wasm backend run on tfs's GEMM (gemm/, issue 20): the
 * tfjs wasm build tfs uses is single-threaded, so XNNPACK's convolutions use one core whatever
 * --tensorflow_intra_op_parallelism says, while the GEMM has its own threads. `Conv2D` and
 * `FusedConv2D` (bias, relu/relu6) in NHWC, any strides, dilations and padding, go to
 * Gemm.conv2d, an indirect GEMM: each output pixel's patch is read in place from a padded copy
 * of the input, the filter packed once as the (kh·kw·inC)×outC matrix (cached per tensor like
 * the MatMul weights). Sums run over k in the filter's order with FMA, so values may differ
 * from XNNPACK's in the last bits only, and are the same whatever the thread count. Calls it
 * does not take (small work, other activations, prelu, NCHW, non-float32, windows past the
 * padded input) go to the wrapped kernel. TFS_WASM_CONV=0 keeps every convolution on XNNPACK.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, ConvGeometry, Gemm, PackedB } from './gemm/index.js';

/** The wasm backend's heap access (tfjs-backend-wasm's BackendWasm). */
export type HeapBackend = tf.KernelBackend & {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
};
/** What the convolution needs of wasm-gemm.ts's GemmKernels: the GEMM and its cached weight packing. */
export interface GemmKernels {
  get(): Gemm;
  packB(backend: HeapBackend, b: tf.TensorInfo, k: number, n: number, transposeB: boolean): { p: PackedB; release: boolean };
}

/**
 * Multiply-adds below which XNNPACK is as fast on the single-threaded build (the copies
 * dominate). The threaded build's XNNPACK pays about 0.5 ms of thread-pool hand-off per call
 * whatever the size, so there smaller convolutions would gain too, but the threshold must not
 * depend on the thread count: 1 and N threads answer the same bits (test/runtime/wasm-threads).
 */
const MIN_WORK = 1 << 20;
/** Output pixels below which the 4-row tiles waste most of their work. */
const MIN_ROWS = 8;
/** Scratch bytes (padded input, output tiles, address table) past which XNNPACK keeps the call: the GEMM's memory stops at 2 GiB. */
const MAX_SCRATCH = 1 << 30;

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | number[][];
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

let calls = 0;
/** Convolutions the GEMM computed in this thread so far (tests check that a call took it). */
export function wasmConvCalls(): number {
  return calls;
}

/** The convolution's geometry, or undefined when it is not one the GEMM takes. */
export function convGeometry(xShape: readonly number[], filterShape: readonly number[], a: ConvAttrs): ConvGeometry | undefined {
  if (xShape.length !== 4 || filterShape.length !== 4) return undefined;
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') return undefined;
  const pad = a.pad as Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, pad, a.dimRoundingMode);
  const p = info.padInfo;
  const g: ConvGeometry = {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels, outH: info.outHeight, outW: info.outWidth,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth,
    padTop: p.top, padBottom: p.bottom, padLeft: p.left, padRight: p.right,
  };
  const dims = Object.values(g);
  if (dims.some((v) => !Number.isInteger(v) || v < 0) || g.inC === 0 || g.kh === 0 || g.kw === 0) return undefined;
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || filterShape[2] !== g.inC) return undefined;
  // Every window must lie inside the padded input (the kernel reads whatever is there).
  const lastY = (g.outH - 1) * g.sh + (g.kh - 1) * g.dh;
  const lastX = (g.outW - 1) * g.sw + (g.kw - 1) * g.dw;
  if (lastY >= g.inH + g.padTop + g.padBottom || lastX >= g.inW + g.padLeft + g.padRight) return undefined;
  return g;
}

/** The convolution on the GEMM, or undefined when the call is not one it takes. */
export function gemmConv(kernels: GemmKernels, args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const a = (args.attrs ?? {}) as unknown as ConvAttrs;
  const act = (a.activation ?? 'linear') as Activation;
  if (!x || !filter || preluActivationWeights || !['linear', 'relu', 'relu6'].includes(act)) return undefined;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return undefined;
  const g = convGeometry(x.shape, filter.shape, a);
  if (!g) return undefined;
  const n = filter.shape[3]!;
  const k = g.kh * g.kw * g.inC;
  const m = g.batch * g.outH * g.outW;
  if (m < MIN_ROWS || n === 0 || m * n * k < MIN_WORK) return undefined;
  const rows = Math.ceil(m / 4) * 4;
  const scratch = 4 * (g.batch * (g.inH + g.padTop + g.padBottom) * (g.inW + g.padLeft + g.padRight) * g.inC + rows * (Math.ceil(n / 8) * 8 + g.kh * g.kw));
  if (scratch > MAX_SCRATCH) return undefined;
  const biasSize = bias ? bias.shape.reduce((s, d) => s * d, 1) : 0;
  if (bias && biasSize !== 1 && (biasSize !== n || bias.shape[bias.shape.length - 1] !== n)) return undefined;
  const backend = args.backend as HeapBackend;
  const out = backend.makeOutput([g.batch, g.outH, g.outW, n], 'float32');
  const { p, release } = kernels.packB(backend, filter, k, n, false);
  try {
    const opts = { activation: act, ...(bias ? { bias: backend.typedArrayFromHeap(bias) } : {}) };
    kernels.get().conv2d(backend.typedArrayFromHeap(x), g, p, opts, backend.typedArrayFromHeap(out));
  } finally {
    if (release) kernels.get().releaseB(p);
  }
  calls++;
  return out;
}
