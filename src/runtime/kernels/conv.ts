/**
 * Convolution ops tfjs-converter does not map: `Conv3DBackpropInputV2` (Keras
 * `Conv3DTranspose`), run with tfjs's own `conv3dTranspose` kernel (both backends have
 * it). Cases that kernel cannot compute (dilations, NCDHW, explicit padding) are refused.
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

export const CONV_KERNELS: readonly KernelEntry[] = [{ op: OP, kernel: conv3dBackpropInput }];
