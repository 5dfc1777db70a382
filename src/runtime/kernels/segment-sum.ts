/**
 * `UnsortedSegmentSum` and `SegmentSum` (sorted ids: the segment count is the last id + 1),
 * both on tfjs's unsortedSegmentSum. UnsortedSegmentSum's ids may have any rank k (pfor's
 * vectorised gather gradients in `batch_jacobian` pass [n, 1] ids): the output is
 * [num_segments, ...data.shape[k:]], so data's first k dims are flattened into rows first
 * (tfjs reads the ids as a vector and kept data's extra leading dims: a wrong rank, probe12).
 */
import * as tf from '@tensorflow/tfjs-core';
import { kernelInput, type KernelEntry } from './types.js';

export const SEGMENT_SUM_KERNELS: readonly KernelEntry[] = [
  {
    op: 'UnsortedSegmentSum',
    kernel: (node) => {
      const num = Number(kernelInput(node, 2).dataSync()[0]);
      const data = kernelInput(node, 0);
      const ids = kernelInput(node, 1);
      if (ids.rank === 1) return tf.unsortedSegmentSum(data, ids as tf.Tensor1D, num);
      return tf.tidy(() => tf.unsortedSegmentSum(tf.reshape(data, [ids.size, ...data.shape.slice(ids.rank)]), tf.reshape(ids, [ids.size]) as tf.Tensor1D, num));
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
