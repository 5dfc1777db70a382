/**
 * int32 products wrap modulo 2^32 in TensorFlow. tfjs-backend-cpu multiplies in doubles,
 * which lose the low bits once a product passes 2^53 (2147483647 * 2147483647 gives 0, TF 1;
 * `Square` and `Pow` too), and tfjs-backend-wasm's int32 `Pow` saturates to -2^31. These
 * kernels are wrapped so int32 `Multiply`, `Square`, `Pow`, `Prod`, `Cumprod` (cpu's also multiply in doubles)
 * and `BatchMatMul` (tfjs's `MatMul` too; wasm had no int32 kernel) compute in JS with `Math.imul`
 * (found by the second probe, q_int_ops; test/runtime/int32-wrap.test.ts). float32 → int32 casts
 * of NaN, ±Inf and out-of-range values fail the call. int32 `Mean` truncates the exact sum's quotient as TF.
 * int8/uint8/int16/uint16 are carried as int32, so their Mean/Prod/Square/Pow take these kernels too
 * (the freezer then wraps the result to the narrow type: narrow-int-policy.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';
import { Errors } from '../errors.js';
import { broadcastIndex } from './kernels/util.js';

type Args = Parameters<tf.KernelFunc>[0];

/** x^e for int32 x and e >= 0, wrapping at 32 bits (square-and-multiply, as TF's integer pow). */
function ipow(x: number, e: number): number {
  if (e < 0) throw Errors.kernelArgument('Integers to negative integer powers are not allowed');
  let r = 1;
  let b = x | 0;
  let k = e;
  while (k > 0) {
    if (k & 1) r = Math.imul(r, b);
    b = Math.imul(b, b);
    k >>>= 1;
  }
  return r;
}

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  Multiply: (a, b) => Math.imul(a, b),
  Pow: ipow,
};

function int32Binary(name: string, args: Args): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const backend = args.backend as tf.KernelBackend;
  const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const av = backend.readSync(a.dataId) as Int32Array;
  const bv = backend.readSync(b.dataId) as Int32Array;
  const ai = broadcastIndex(out, a.shape);
  const bi = broadcastIndex(out, b.shape);
  const f = BINARY[name]!;
  const res = new Int32Array(ai.length);
  for (let i = 0; i < res.length; i++) res[i] = f(av[ai[i]!]!, bv[bi[i]!]!);
  return { dataId: backend.write(res, out, 'int32'), shape: out, dtype: 'int32' };
}

function int32Square(args: Args): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as tf.KernelBackend;
  const v = backend.readSync(x.dataId) as Int32Array;
  const res = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) res[i] = Math.imul(v[i]!, v[i]!);
  return { dataId: backend.write(res, [...x.shape], 'int32'), shape: [...x.shape], dtype: 'int32' };
}

/**
 * An int32 reduction over `axis` (keepDims as asked): `step` folds each element into its
 * output's accumulator (a double), `finish` gives the int32 result from it and the count.
 */
function int32Reduce(args: Args, init: number, step: (acc: number, v: number) => number, finish: (acc: number, n: number) => number): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as { axis?: number | number[] | null; keepDims?: boolean };
  const backend = args.backend as tf.KernelBackend;
  const rank = x.shape.length;
  const axes = new Set(attrs.axis == null ? x.shape.map((_, i) => i) : tf.util.parseAxisParam(attrs.axis, x.shape));
  const kept = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const strides = kept.map((_, d) => kept.slice(d + 1).reduce((a, b) => a * b, 1));
  const v = backend.readSync(x.dataId) as Int32Array;
  const acc = new Float64Array(kept.reduce((a, b) => a * b, 1)).fill(init);
  const idx = new Array<number>(rank).fill(0);
  for (let f = 0; f < v.length; f++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!axes.has(d)) o += idx[d]! * strides[d]!;
    acc[o] = step(acc[o]!, v[f]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  const n = acc.length === 0 ? 0 : v.length / acc.length;
  const res = Int32Array.from(acc, (e) => finish(e, n));
  const shape = attrs.keepDims ? kept : x.shape.filter((_, i) => !axes.has(i));
  return { dataId: backend.write(res, shape, 'int32'), shape, dtype: 'int32' };
}

const int32Prod = (args: Args): tf.TensorInfo => int32Reduce(args, 1, (a, v) => Math.imul(a, v), (a) => a);

/**
 * int32 Mean as TF: the exact sum (TF accumulates wider than int32), divided by the count and
 * truncated toward zero. tfjs summed in float32 and answered a fraction (mean of [1, 2] was 1.5).
 */
function int32Mean(args: Args): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.shape.reduce((a, b) => a * b, 1) > 2 ** 21) throw Errors.kernelUnsupported('Mean', 'an int32 mean over more than 2^21 elements');
  return int32Reduce(args, 0, (a, v) => a + v, (a, n) => (n === 0 ? 0 : Math.trunc(a / n)));
}

/**
 * float32 → int32 Cast: truncation; NaN, ±Inf and values outside int32 fail the call, as
 * wide-cast.ts does for the wider types: TF's answer there is platform-dependent (-2^31 on
 * x86), and tfjs wrapped modulo 2^32 (3e9 gave -1294967296) and gave 0 for NaN and Inf.
 */
function floatToInt32(args: Args): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as tf.KernelBackend;
  const v = backend.readSync(x.dataId) as Float32Array;
  const res = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const t = Math.trunc(v[i]!);
    if (!(t >= -2147483648 && t < 2147483648)) {
      throw Errors.kernelArgument(`Cast: ${v[i]} has no int32 value (NaN or out of range); tfs refuses a platform-dependent result`);
    }
    res[i] = t;
  }
  return { dataId: backend.write(res, [...x.shape], 'int32'), shape: [...x.shape], dtype: 'int32' };
}

/** int32 Cumprod along `axis` (exclusive, reverse as asked), multiplying with wrap-around. */
function int32Cumprod(args: Args): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, exclusive, reverse } = args.attrs as { axis: number; exclusive?: boolean; reverse?: boolean };
  const backend = args.backend as tf.KernelBackend;
  const shape = [...x.shape];
  const ax = axis < 0 ? axis + shape.length : axis;
  const n = shape[ax]!;
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const v = backend.readSync(x.dataId) as Int32Array;
  const res = new Int32Array(v.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 1;
      for (let k = 0; k < n; k++) {
        const j = (o * n + (reverse ? n - 1 - k : k)) * inner + i;
        if (exclusive) res[j] = acc;
        acc = Math.imul(acc, v[j]!);
        if (!exclusive) res[j] = acc;
      }
    }
  }
  return { dataId: backend.write(res, shape, 'int32'), shape, dtype: 'int32' };
}

/**
 * int32 BatchMatMul as TF's CPU kernel (Eigen in int32): every product and partial sum wraps
 * modulo 2^32, so the result is exact for any values (tfjs's cpu kernel summed in doubles,
 * exact only below 2^53, and its wasm kernel refused int32). Batch dimensions broadcast.
 */
function int32BatchMatMul(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend as tf.KernelBackend;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [k2, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== k2) throw Errors.kernelArgument(`Matrix size-incompatible: In[0]: [${a.shape.join(',')}], In[1]: [${b.shape.join(',')}]`);
  const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ai = broadcastIndex(batch, a.shape.slice(0, -2));
  const bi = broadcastIndex(batch, b.shape.slice(0, -2));
  const av = backend.readSync(a.dataId) as Int32Array;
  const bv = backend.readSync(b.dataId) as Int32Array;
  const res = new Int32Array(ai.length * m * n);
  const aAt = (base: number, i: number, p: number): number => av[base + (transposeA ? p * ar + i : i * ac + p)]!;
  const bAt = (base: number, p: number, j: number): number => bv[base + (transposeB ? j * bc + p : p * bc + j)]!;
  for (let t = 0; t < ai.length; t++) {
    const ab = ai[t]! * ar * ac;
    const bb = bi[t]! * br * bc;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc = (acc + Math.imul(aAt(ab, i, p), bAt(bb, p, j))) | 0;
      res[(t * m + i) * n + j] = acc;
    }
  }
  const shape = [...batch, m, n];
  return { dataId: backend.write(res, shape, 'int32'), shape, dtype: 'int32' };
}

const isFloatToInt32 = (args: Args): boolean =>
  (args.attrs as { dtype?: string } | undefined)?.dtype === 'int32' && (args.inputs as { x?: tf.TensorInfo }).x?.dtype === 'float32';

const isInt32 = (args: Args): boolean =>
  Object.values(args.inputs).some((t) => (t as tf.TensorInfo | undefined)?.dtype === 'int32');

/** Wrap `backendName`'s int32 Multiply, Square, Pow, Prod and Cumprod kernels with exact 32-bit wrapping ones, compute int32 BatchMatMul exactly with wrap-around, check float32 → int32 Cast. */
export function wrapInt32Products(backendName: string): void {
  wrapKernel('Cast', backendName, (inner) => (args) => (isFloatToInt32(args) ? floatToInt32(args) : inner(args)));
  for (const name of ['Multiply', 'Pow', 'Square', 'Prod', 'Mean', 'Cumprod', 'BatchMatMul']) {
    wrapKernel(name, backendName, (inner) => (args) => {
      if (!isInt32(args)) return inner(args);
      if (name === 'Prod') return int32Prod(args);
      if (name === 'Mean') return int32Mean(args);
      if (name === 'Cumprod') return int32Cumprod(args);
      if (name === 'BatchMatMul') return int32BatchMatMul(args);
      return name === 'Square' ? int32Square(args) : int32Binary(name, args);
    });
  }
}
