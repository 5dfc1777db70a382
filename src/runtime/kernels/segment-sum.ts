/**
 * `UnsortedSegmentSum` and `SegmentSum` (sorted ids: the segment count is the last id + 1),
 * both on tfjs's unsortedSegmentSum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelInput, type KernelEntry } from './types.js';

export const SEGMENT_SUM_KERNELS: readonly KernelEntry[] = [
  {
    op: 'UnsortedSegmentSum',
    kernel: (node) => {
      const num = Number(kernelInput(node, 2).dataSync()[0]);
      return tf.unsortedSegmentSum(kernelInput(node, 0), kernelInput(node, 1) as tf.Tensor1D, num);
    },
  },
  {
    op: 'SegmentSum',
    kernel: (node) => {
      const ids = kernelInput(node, 1);
      const idv = ids.dataSync();
      const num = idv.length === 0 ? 0 : Number(idv[idv.length - 1]) + 1;
      return tf.unsortedSegmentSum(kernelInput(node, 0), ids as tf.Tensor1D, num);
    },
  },
];
