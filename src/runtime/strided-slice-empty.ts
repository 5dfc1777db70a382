/**
 * StridedSlice with an empty result: tfjs (cpu and wasm) takes its contiguous-slice shortcut
 * with size end - begin, which is negative when begin > end under a positive stride
 * (`x[:, 3:1]`), and tf.slice then throws "Negative size values should be exactly -1 but got
 * -2". TF's StridedSlice gives an empty tensor there (x[:, 3:1] of a [2, 5] x has shape
 * [2, 0]). tfjs's own shape computation (slice_util.sliceInfo, a port of TF's
 * ValidateStridedSliceOp) already answers 0 for such a dimension, so when the final shape it
 * computes holds a 0 the wrapper answers an empty tensor of that shape; every other slice goes
 * to the backend's kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './kernel-wrap.js';

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

const EMPTY: Partial<Record<tf.DataType, () => tf.backend_util.BackendValues>> = {
  float32: () => new Float32Array(0),
  int32: () => new Int32Array(0),
  bool: () => new Uint8Array(0),
};

/** The output shape TF gives this strided slice of `shape` (sliceInfo copies the arrays it changes). */
function finalShape(shape: number[], a: StridedSliceAttrs): number[] {
  const info = tf.slice_util.sliceInfo(
    shape, [...a.begin], [...a.end], [...a.strides], a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask,
  );
  return info.finalShape;
}

/** Wrap `backendName`'s StridedSlice so that an empty result is an empty tensor, as in TF. */
export function emptyStridedSlice(backendName: string): void {
  wrapKernel('StridedSlice', backendName, (inner) => (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    const empty = x ? EMPTY[x.dtype] : undefined;
    if (!x || !empty) return inner(args);
    const shape = finalShape(x.shape, args.attrs as unknown as StridedSliceAttrs);
    if (!shape.includes(0)) return inner(args);
    const backend = args.backend as tf.KernelBackend;
    return { dataId: backend.write(empty(), shape, x.dtype), shape, dtype: x.dtype };
  });
}
