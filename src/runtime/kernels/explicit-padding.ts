/**
 * `Conv2D`, `DepthwiseConv2dNative` and `MaxPool` with `padding="EXPLICIT"` (its
 * `explicit_paddings` attr: before/after per dim, in `data_format` order), which tfjs's kernels
 * reject ("Unknown padding parameter: explicit"). Models converted from PyTorch and
 * `tf.nn.max_pool2d(x, k, s, [[0, 0], [1, 1], [1, 1], [0, 0]])` use it. The input is padded
 * first, with zeros for the convolutions and -Infinity for the max pool (TF ignores padded
 * cells there), then the op runs with VALID padding: the same products and the same window
 * maxima as TF's explicit padding. The freezer renames such nodes (kernels/index.ts attrOverride).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInts, attrText } from './util.js';

export const EXPLICIT_PAD_OPS: Readonly<Record<string, string>> = {
  Conv2D: '_TfsExplicitPadConv2D',
  DepthwiseConv2dNative: '_TfsExplicitPadDepthwiseConv2D',
  MaxPool: '_TfsExplicitPadMaxPool',
};

/** The input padded as `explicit_paddings` says; channels-first inputs are padded in their own layout. */
function padded(node: GraphNode, value: number): { x: tf.Tensor4D; nchw: boolean } {
  const x = kernelInput(node, 0) as tf.Tensor4D;
  const p = attrInts(node, 'explicit_paddings');
  if (p.length !== 8 || p.some((v) => v < 0)) throw Errors.kernelArgument(`explicit_paddings attribute must contain 8 values, got: ${p.length}`);
  const nchw = attrText(node, 'data_format', 'NHWC') === 'NCHW';
  const pairs = [0, 1, 2, 3].map((d) => [p[2 * d]!, p[2 * d + 1]!] as [number, number]);
  return { x: tf.pad(x, pairs, value), nchw };
}

/** Strides/dilations of the two spatial dims, from a 4-entry attr in `data_format` order. */
function spatial(node: GraphNode, name: string, nchw: boolean): [number, number] {
  const v = attrInts(node, name);
  if (v.length === 0) return [1, 1];
  return nchw ? [v[2] ?? 1, v[3] ?? 1] : [v[1] ?? 1, v[2] ?? 1];
}

/** Run `f` on NHWC tensors, transposing a channels-first input and result around it. */
function inLayout(x: tf.Tensor4D, nchw: boolean, f: (nhwc: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  if (!nchw) return f(x);
  return tf.tidy(() => tf.transpose(f(tf.transpose(x, [0, 2, 3, 1])), [0, 3, 1, 2]));
}

function conv(node: GraphNode, depthwise: boolean): tf.Tensor {
  const { x, nchw } = padded(node, 0);
  const filter = kernelInput(node, 1) as tf.Tensor4D;
  const strides = spatial(node, 'strides', nchw);
  const dilations = spatial(node, 'dilations', nchw);
  try {
    return inLayout(x, nchw, (t) =>
      depthwise ? tf.depthwiseConv2d(t, filter, strides, 'valid', 'NHWC', dilations) : tf.conv2d(t, filter, strides, 'valid', 'NHWC', dilations),
    );
  } finally {
    x.dispose();
  }
}

function maxPool(node: GraphNode): tf.Tensor {
  const { x, nchw } = padded(node, -Infinity);
  try {
    return inLayout(x, nchw, (t) => tf.maxPool(t, spatial(node, 'ksize', nchw), spatial(node, 'strides', nchw), 'valid'));
  } finally {
    x.dispose();
  }
}

export const EXPLICIT_PADDING_KERNELS: readonly KernelEntry[] = [
  { op: EXPLICIT_PAD_OPS['Conv2D']!, kernel: (node) => conv(node, false) },
  { op: EXPLICIT_PAD_OPS['DepthwiseConv2dNative']!, kernel: (node) => conv(node, true) },
  { op: EXPLICIT_PAD_OPS['MaxPool']!, kernel: maxPool },
];
