/**
 * wasm convolutions with 'SAME' padding where TF pads nothing and the last window ends before
 * the input does ((out - 1) * stride + dilated filter < in, as a stride larger than the filter
 * gives): XNNPACK, handed TF's SAME rule as a flag, then shifts the windows (a negative
 * padding) and answers numbers unlike TF's (tf.nn.conv2d(x[1,7,6,3], k[3,2,3,4], 3, "SAME")
 * differed in every column). The wasm kernels are wrapped to pass those the explicit padding TF
 * uses instead; the cpu kernels are right.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';

const SAME_PADDED = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'];

type ConvAttrs = { strides: number | [number, number]; pad: unknown; dilations?: number | [number, number]; dataFormat?: string };

const pair = (v: number | [number, number] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

/** TF's SAME padding [before, after] for one spatial dimension, and whether it would be negative before clamping. */
function samePad(size: number, filter: number, stride: number, dilation: number): { pad: [number, number]; short: boolean } {
  const out = Math.ceil(size / stride);
  const total = (out - 1) * stride + (filter - 1) * dilation + 1 - size;
  const t = Math.max(0, total);
  return { pad: [Math.floor(t / 2), t - Math.floor(t / 2)], short: total < 0 };
}

/** The explicit NHWC padding equal to SAME where XNNPACK's SAME goes wrong, else undefined (attrs unchanged). */
export function explicitSamePadding(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs): number[][] | undefined {
  if (attrs.pad !== 'same' || (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') || xShape.length !== 4) return undefined;
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  const h = samePad(xShape[1]!, filterShape[0]!, sh, dh);
  const w = samePad(xShape[2]!, filterShape[1]!, sw, dw);
  if (!h.short && !w.short) return undefined;
  return [[0, 0], h.pad, w.pad, [0, 0]];
}

/** Wrap the wasm convolution kernels so that SAME padding XNNPACK gets wrong reaches them explicit. */
export function explicitSamePaddingOnWasm(): void {
  for (const name of SAME_PADDED) {
    wrapKernel(name, 'wasm', (inner) => (args) => {
      const { x, filter } = args.inputs as { x?: tf.TensorInfo; filter?: tf.TensorInfo };
      const pad = x && filter ? explicitSamePadding(x.shape, filter.shape, args.attrs as ConvAttrs) : undefined;
      return pad ? inner({ ...args, attrs: { ...args.attrs, pad } as unknown as tf.NamedAttrMap }) : inner(args);
    });
  }
}
