/**
 * `ShapeN` answering int32 shapes, as `Shape` does: tfjs-converter's ShapeN builds each shape with
 * `tensor1d(t.shape)`, a float32 tensor, so `tf.image.ssim` (its kernel's Tile multiples stack
 * a ShapeN element with int32 constants) failed with "All tensors passed to stack must have
 * matching dtypes", and arithmetic on the shapes ran in float32. int64 shapes are int32 in tfjs,
 * as `Shape`'s are. The freezer renames the op (index.ts KERNEL_OVERRIDES).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelEntry } from './types.js';

export const SHAPE_N_OP = '_TfsShapeN';

export const SHAPE_N_KERNELS: readonly KernelEntry[] = [
  { op: SHAPE_N_OP, kernel: (node) => node.inputs.map((t) => tf.tensor1d(t.shape, 'int32')) },
];
