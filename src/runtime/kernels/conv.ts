/**
 * Convolution ops tfjs-converter does not map: `Conv3DBackpropInputV2` (Keras
 * `Conv3DTranspose`), run with tfjs's own `conv3dTranspose` kernel (both backends have
 * it). Cases that kernel cannot compute (dilations, NCDHW, explicit padding) are refused.
 *
 * `_TfsDilatedConv2DBackpropInput`: a `Conv2DBackpropInput` with dilations (Keras
 * `Conv2DTranspose`/`Conv1DTranspose(dilation_rate=…)`). tfjs-converter maps the op but
 * ignores `dilations` (a wrong answer), so the freezer renames it (kernels/index.ts) and this
 * kernel spreads the filter (zeros between its taps, as a dilated filter reads the input)
 * before tfjs's `conv2dTranspose`. The zero taps would turn an infinite or NaN gradient
 * input into NaN where TensorFlow never multiplies by them, so such inputs fail the call.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInts, attrText, numbersOf } from './util.js';

const OP = 'Conv3DBackpropInputV2';

function conv3dBackpropInput(node: GraphNode): tf.Tensor {
  const sizes = numbersOf(kernelInput(node, 0));
  const filter = kernelInput(node, 1) as tf.Tensor5D;
  const dy = kernelInput(node, 2) as tf.Tensor5D;
  const strides = attrInts(node, 'strides');
  const dilations = attrInts(node, 'dilations');
  const padding = attrText(node, 'padding', 'VALID');
  const format = attrText(node, 'data_format', 'NDHWC');
  if (format !== 'NDHWC') throw Errors.kernelUnsupported(OP, `data_format ${format}`);
  if (dilations.some((d) => d !== 1)) throw Errors.kernelUnsupported(OP, `dilations [${dilations.join(',')}]`);
  if (padding !== 'SAME' && padding !== 'VALID') throw Errors.kernelUnsupported(OP, `padding ${padding}`);
  if (sizes.length !== 5) throw Errors.kernelArgument(`input_sizes must be 5-dimensional, got ${sizes.length}`);
  const s = strides.length === 5 ? strides : [1, 1, 1, 1, 1];
  if (s[0] !== 1 || s[4] !== 1) throw Errors.kernelUnsupported(OP, 'strides in the batch or depth dimension');
  const shape = sizes as [number, number, number, number, number];
  return tf.conv3dTranspose(dy, filter, shape, [s[1]!, s[2]!, s[3]!], padding === 'SAME' ? 'same' : 'valid');
}

export const DILATED_CONV2D_BACKPROP_INPUT_OP = '_TfsDilatedConv2DBackpropInput';
const OP2 = 'Conv2DBackpropInput';

/** `filter` [kh, kw, ...] with `dh - 1` / `dw - 1` zero taps between its rows / columns. */
export function spreadFilter(filter: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [kh, kw, c, o] = filter.shape;
  const grid = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, c, o]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  const full = tf.reshape(grid, [kh * dh, kw * dw, c, o]) as tf.Tensor4D;
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, c, o]);
}

function dilatedConv2dBackpropInput(node: GraphNode): tf.Tensor {
  const sizes = numbersOf(kernelInput(node, 0));
  const filter = kernelInput(node, 1) as tf.Tensor4D;
  const dy = kernelInput(node, 2) as tf.Tensor4D;
  const s = attrInts(node, 'strides');
  const d = attrInts(node, 'dilations');
  const padding = attrText(node, 'padding', 'VALID');
  const format = attrText(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw Errors.kernelUnsupported(OP2, `data_format ${format} with dilations`);
  if (padding !== 'SAME' && padding !== 'VALID') throw Errors.kernelUnsupported(OP2, `padding ${padding} with dilations`);
  if (sizes.length !== 4) throw Errors.kernelArgument(`input_sizes must be 4-dimensional, got ${sizes.length}`);
  if (d[0] !== 1 || d[3] !== 1) throw Errors.kernelUnsupported(OP2, 'dilations in the batch or depth dimension');
  if (s[0] !== 1 || s[3] !== 1) throw Errors.kernelUnsupported(OP2, 'strides in the batch or depth dimension');
  if (!tf.tidy(() => tf.all(tf.isFinite(dy)).dataSync()[0])) {
    throw Errors.kernelUnsupported(OP2, 'dilations with an infinite or NaN input (tfs cannot reproduce TensorFlow\'s result)');
  }
  const shape = sizes as [number, number, number, number];
  const pad = padding === 'SAME' ? 'same' : 'valid';
  return tf.tidy(() => tf.conv2dTranspose(dy, spreadFilter(filter, d[1]!, d[2]!), shape, [s[1]!, s[2]!], pad));
}

/**
 * `_TfsBiasAddNCHW`: a BiasAdd adding its bias on axis 1 (channels-first; the last axis of a
 * 2-D input), as TF's NCHW BiasAdd does. tfjs maps BiasAdd to a broadcasting add on the last
 * axis whatever the format; channels-last.ts renames the NCHW ones to this.
 */
export const BIAS_ADD_NCHW_OP = '_TfsBiasAddNCHW';

export function biasAddNchw(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const bias = kernelInput(node, 1);
  const dims = (t: tf.Tensor): string => `[${t.shape.join(',')}]`;
  if (x.rank < 2) throw Errors.kernelArgument(`Input tensor must be at least 2D: ${dims(x)}`);
  if (bias.rank !== 1) throw Errors.kernelArgument(`Biases must be 1D: ${dims(bias)}`);
  const axis = x.rank >= 3 ? 1 : x.rank - 1;
  if (bias.shape[0] !== x.shape[axis]) {
    throw Errors.kernelArgument(`Must provide as many biases as the channel dimension of the input tensor: ${dims(bias)} vs. ${dims(x)}`);
  }
  return tf.tidy(() => tf.add(x, tf.reshape(bias, [bias.shape[0]!, ...Array<number>(x.rank - 1 - axis).fill(1)])));
}

export const CONV_KERNELS: readonly KernelEntry[] = [
  { op: OP, kernel: conv3dBackpropInput },
  { op: DILATED_CONV2D_BACKPROP_INPUT_OP, kernel: dilatedConv2dBackpropInput },
  { op: BIAS_ADD_NCHW_OP, kernel: biasAddNchw },
];
