/**
 * Complex Add/Sub/Mul whose operands differ in rank (tfjs-backend-cpu's
 * createComplexBinaryKernelImpl): with no dimension of size 1 to broadcast it indexes the
 * smaller operand by `i % (2 · size)` over its interleaved re/im array, so a complex64 scalar or
 * a lower-rank operand is read past its end — `tf.signal.fft(x) * 2.0` (a complex64 Const scalar)
 * answered NaN for every element after the first. The wrapper gives the lower-rank operand
 * leading 1-dims (same data, a longer shape), which sends tfjs down its general broadcast path.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';

const COMPLEX_BINARY_KERNELS = ['Add', 'Sub', 'Multiply'];

const padRank = (x: tf.TensorInfo, rank: number): tf.TensorInfo =>
  x.shape.length >= rank ? x : { ...x, shape: [...Array<number>(rank - x.shape.length).fill(1), ...x.shape] };

/** Wrap `backendName`'s complex-capable binary kernels so that operands of unequal rank broadcast as in TF. */
export function broadcastComplexBinary(backendName: string): void {
  for (const name of COMPLEX_BINARY_KERNELS) {
    wrapKernel(name, backendName, (inner) => (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if ((a.dtype !== 'complex64' && b.dtype !== 'complex64') || a.shape.length === b.shape.length) return inner(args);
      const rank = Math.max(a.shape.length, b.shape.length);
      return inner({ ...args, inputs: { ...args.inputs, a: padRank(a, rank), b: padRank(b, rank) } });
    });
  }
}
