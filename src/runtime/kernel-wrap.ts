/**
 * The one way tfs replaces a tfjs kernel with its own: `wrap` gets the backend's kernel
 * function and returns the one to register in its place (same kernel and backend names, same
 * setup/dispose). Nothing happens when the backend has no such kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

export function wrapKernel(name: string, backendName: string, wrap: (inner: tf.KernelFunc) => tf.KernelFunc): void {
  const k = tf.getKernel(name, backendName);
  if (!k) return;
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ ...k, kernelFunc: wrap(k.kernelFunc) });
}
