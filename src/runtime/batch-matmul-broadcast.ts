/**
 * BatchMatMul whose batch dimensions broadcast other than by a batch of one: tfjs (cpu and
 * wasm) pairs batch i of the product with batch i % batchB of `b`, which is TF's pairing only
 * when `b`'s batch is 1 or the whole broadcast batch. tf.matmul(a[2,3,1,1], b[2,1,1,1]) gave
 * [0, 100, 20, 300, 40, 500] where TF gives [0, 10, 20, 300, 400, 500], with the right shape;
 * a[4,1,...] × b[2,...] answered half the values. The wrapper broadcasts such an operand to the
 * full batch before the backend's kernel runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';

const BROADCAST_KERNELS = ['BatchMatMul', '_FusedMatMul'];

/** The broadcast batch shape of two operands' leading dims (the last two are the matrices). */
function batchShape(a: readonly number[], b: readonly number[]): number[] {
  const oa = a.slice(0, -2);
  const ob = b.slice(0, -2);
  const n = Math.max(oa.length, ob.length);
  const pa = [...Array<number>(n - oa.length).fill(1), ...oa];
  const pb = [...Array<number>(n - ob.length).fill(1), ...ob];
  return pa.map((d, i) => (d === 1 ? pb[i]! : d));
}

/** `x`'s values repeated over the batch shape `batch` (row-major), or undefined when tfjs pairs it right already. */
function broadcastData(backend: tf.KernelBackend, x: tf.TensorInfo, batch: number[]): tf.TensorInfo | undefined {
  const outer = x.shape.slice(0, -2);
  const count = outer.reduce((p, d) => p * d, 1);
  const full = batch.reduce((p, d) => p * d, 1);
  if (count === 1 || (count === full && outer.length === batch.length)) return undefined;
  const padded = [...Array<number>(batch.length - outer.length).fill(1), ...outer];
  const m = x.shape.slice(-2).reduce((p, d) => p * d, 1);
  const src = backend.readSync(x.dataId) as Float32Array | Int32Array;
  const dst = new (src.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(full * m);
  const idx = Array<number>(batch.length).fill(0);
  for (let o = 0; o < full; o++) {
    let s = 0;
    for (let d = 0; d < batch.length; d++) s = s * padded[d]! + (padded[d] === 1 ? 0 : idx[d]!);
    dst.set(src.subarray(s * m, s * m + m), o * m);
    for (let d = batch.length - 1; d >= 0 && ++idx[d]! >= batch[d]!; d--) idx[d] = 0;
  }
  const shape = [...batch, ...x.shape.slice(-2)];
  return { dataId: backend.write(dst, shape, x.dtype), shape, dtype: x.dtype };
}

/** Wrap `backendName`'s BatchMatMul and _FusedMatMul so that broadcast batches pair as in TF. */
export function broadcastBatchMatMul(backendName: string): void {
  for (const name of BROADCAST_KERNELS) {
    wrapKernel(name, backendName, (inner) => (args) => {
      const inputs = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (inputs.a.shape.length < 3 && inputs.b.shape.length < 3) return inner(args);
      const backend = args.backend as tf.KernelBackend;
      const batch = batchShape(inputs.a.shape, inputs.b.shape);
      const a = broadcastData(backend, inputs.a, batch);
      const b = broadcastData(backend, inputs.b, batch);
      if (!a && !b) return inner(args);
      try {
        return inner({ ...args, inputs: { ...args.inputs, a: a ?? inputs.a, b: b ?? inputs.b } });
      } finally {
        for (const t of [a, b]) if (t) backend.disposeData(t.dataId);
      }
    });
  }
}
