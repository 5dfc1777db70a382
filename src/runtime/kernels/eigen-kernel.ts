/**
 * What the Eigen float32 kernels (eigen-*.ts) share: TF's packet width on x86 (AVX: 8 floats),
 * and the kernel entry that runs a kernel's flat-buffer function on float32 tensors. The
 * freezer renames float32 nodes only (kernels/index.ts); any other dtype reaching the kernel
 * keeps tfjs's own op. Each file keeps its own packet/tail loop, so that loop's calls stay
 * monomorphic per element.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelInput, type KernelEntry } from './types.js';

export const PACKET = 8;

export function eigenUnaryKernel(op: string, fn: (src: Float32Array) => Float32Array, tfjs: (x: tf.Tensor) => tf.Tensor): KernelEntry {
  return {
    op,
    kernel: (node) => {
      const x = kernelInput(node, 0);
      if (x.dtype !== 'float32') return tfjs(x);
      return tf.tensor(fn(x.dataSync() as Float32Array), x.shape, 'float32');
    },
  };
}
