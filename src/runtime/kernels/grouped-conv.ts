/**
 * `_TfsGroupedConv2D`: a `Conv2D` whose input depth is G times its filter's depth (Keras
 * `Conv2D(groups=G)`, ResNeXt), which tfjs's conv2d refuses. As TF defines it: the input's
 * channels and the filter's output channels are split into G groups, group g of the input is
 * convolved with group g of the filter, and the G results are concatenated on channels.
 * fuse.ts picks the nodes (the freezer records the input depth).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInts, attrText } from './util.js';

/** tfs's kernel for a grouped Conv2D; fuse.ts renames such nodes to it. */
export const GROUPED_CONV_OP = '_TfsGroupedConv2D';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

function padOf(node: GraphNode): Pad {
  const padding = attrText(node, 'padding', 'VALID');
  if (padding === 'VALID') return 'valid';
  if (padding === 'SAME') return 'same';
  const p = attrInts(node, 'explicit_paddings');
  if (padding !== 'EXPLICIT' || p.length !== 8) throw Errors.kernelUnsupported(GROUPED_CONV_OP, `padding ${padding}`);
  return [[p[0]!, p[1]!], [p[2]!, p[3]!], [p[4]!, p[5]!], [p[6]!, p[7]!]];
}

export function groupedConv2d(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0) as tf.Tensor4D;
  const filter = kernelInput(node, 1) as tf.Tensor4D;
  if (attrText(node, 'data_format', 'NHWC') !== 'NHWC') throw Errors.kernelUnsupported(GROUPED_CONV_OP, 'data_format NCHW');
  const depth = x.shape[3];
  const [, , f, out] = filter.shape;
  if (x.rank !== 4 || filter.rank !== 4 || f === 0 || depth % f !== 0) {
    throw Errors.kernelArgument(`input depth must be evenly divisible by filter depth: ${depth} vs ${f}`);
  }
  const groups = depth / f;
  if (out % groups !== 0) throw Errors.kernelArgument(`output depth must be evenly divisible by number of groups: ${out} vs ${groups}`);
  const s = attrInts(node, 'strides');
  const d = attrInts(node, 'dilations');
  const strides: [number, number] = [s[1] ?? 1, s[2] ?? 1];
  const dilations: [number, number] = [d[1] ?? 1, d[2] ?? 1];
  const pad = padOf(node);
  if (groups === 1) return tf.conv2d(x, filter, strides, pad, 'NHWC', dilations);
  return tf.tidy(() => {
    const xs = tf.split(x, groups, 3);
    const fs = tf.split(filter, groups, 3);
    return tf.concat(xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, fs[g] as tf.Tensor4D, strides, pad, 'NHWC', dilations)), 3);
  });
}

export const GROUPED_CONV_KERNELS: readonly KernelEntry[] = [{ op: GROUPED_CONV_OP, kernel: groupedConv2d }];
