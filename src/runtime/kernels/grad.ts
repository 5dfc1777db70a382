/**
 * Gradient ops that `tf.GradientTape` inside a serving function leaves in the graph (saliency
 * maps, integrated gradients, SmoothGrad, input gradients of RNNs): the activation gradients,
 * `BiasAddGrad`, `StridedSliceGrad` and `InvertPermutation` (probe12). tfjs-converter maps none of
 * them.
 *
 * The activation gradients compute in float32 steps in TF's order (cwise_ops.h, relu_op_functor.h).
 * Where Eigen's packet and scalar expressions associate differently (`SigmoidGrad`: the packet
 * form is dy * (y * (1 - y)), the scalar one (dy * y) * (1 - y)), packets of 8 take the packet
 * form and the n % 8 elements left at the end the scalar one, as TF's x86 kernel does
 * (eigen-exp.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { eigenExpLane, libmExp } from './eigen-exp.js';
import { kernelInput, type KernelEntry } from './types.js';
import { masksOf, tfStridedSlice } from './strided-slice.js';
import { attrFloat, attrText, numbersOf } from './util.js';

const f = Math.fround;
const PACKET = 8;

/** (a, b, packet?) -> value: one float32 lane of a binary gradient op. */
type Lane = (a: number, b: number, packet: boolean) => number;

/** A binary elementwise gradient over inputs 0 and 1 (same shape), in float32. */
function elementwise(op: string, lane: Lane) {
  return (node: GraphNode): tf.Tensor => {
    const a = kernelInput(node, 0);
    const b = kernelInput(node, 1);
    if (a.size !== b.size) throw Errors.kernelUnsupported(op, `inputs of shapes [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
    const x = a.dataSync() as Float32Array;
    const y = b.dataSync() as Float32Array;
    const n = x.length;
    const out = new Float32Array(n);
    const body = n - (n % PACKET);
    for (let i = 0; i < n; i++) out[i] = lane(x[i]!, y[i]!, i < body);
    return tf.tensor(out, a.shape, 'float32');
  };
}

// SELU's constants as TF writes them (static_cast<T> of the double literals)
const SELU_SCALE = f(1.0507009873554805);
const SELU_SCALE_ALPHA = f(1.7580993408473768);

/** LeakyReluGrad(gradients, features): dy where x > 0, else dy * alpha. */
function leakyReluGrad(node: GraphNode): tf.Tensor {
  const alpha = f(attrFloat(node, 'alpha', 0.2));
  return elementwise('LeakyReluGrad', (dy, x) => (x > 0 ? dy : f(dy * alpha)))(node);
}

/** BiasAddGrad: the sum of out_backprop over every axis but the channel one. */
function biasAddGrad(node: GraphNode): tf.Tensor {
  const dy = kernelInput(node, 0);
  const channel = attrText(node, 'data_format', 'NHWC') === 'NCHW' && dy.rank > 2 ? 1 : dy.rank - 1;
  const axes = [...Array(dy.rank).keys()].filter((a) => a !== channel);
  return tf.sum(dy, axes);
}

/** InvertPermutation: y[x[i]] = i (int32), refusing what is not a permutation as TF does. */
function invertPermutation(node: GraphNode): tf.Tensor {
  const x = numbersOf(kernelInput(node, 0));
  const y = new Int32Array(x.length).fill(-1);
  x.forEach((d, i) => {
    if (!(d >= 0 && d < x.length) || y[d] !== -1) throw Errors.kernelUnsupported('InvertPermutation', `${d} is not a permutation of 0..${x.length - 1}`);
    y[d] = i;
  });
  return tf.tensor(y, [x.length], 'int32');
}

/**
 * StridedSliceGrad(shape, begin, end, strides, dy): zeros of `shape` with dy written where
 * StridedSlice (same masks) would read. The positions come from slicing a tensor of flat
 * indices with TF's slice semantics (strided-slice.ts).
 */
function stridedSliceGrad(node: GraphNode): tf.Tensor {
  const shape = numbersOf(kernelInput(node, 0));
  const [begin, end, strides] = [1, 2, 3].map((i) => numbersOf(kernelInput(node, i)));
  const dy = kernelInput(node, 4);
  const total = shape.reduce((p, d) => p * d, 1);
  const where = tf.tidy(() => tfStridedSlice(tf.reshape(tf.range(0, total, 1, 'int32'), shape), begin!, end!, strides!, masksOf(node)));
  const idx = where.dataSync() as Int32Array;
  where.dispose();
  if (idx.length !== dy.size) throw Errors.kernelUnsupported('StridedSliceGrad', `dy has ${dy.size} values for a slice of ${idx.length}`);
  const src = dy.dataSync() as ArrayLike<number>;
  const out = dy.dtype === 'int32' ? new Int32Array(total) : new Float32Array(total);
  for (let i = 0; i < idx.length; i++) out[idx[i]!] = src[i]!;
  return tf.tensor(out, shape, dy.dtype);
}

export const GRAD_KERNELS: readonly KernelEntry[] = [
  // ReluGrad(gradients, features) and Relu6Grad: dy * (0 < x [< 6]) as a float multiply (dy * 0 keeps NaN)
  { op: 'ReluGrad', kernel: elementwise('ReluGrad', (dy, x) => f(dy * (x > 0 ? 1 : 0))) },
  { op: 'Relu6Grad', kernel: elementwise('Relu6Grad', (dy, x) => f(dy * (x > 0 && x < 6 ? 1 : 0))) },
  { op: 'LeakyReluGrad', kernel: leakyReluGrad },
  // EluGrad(gradients, outputs): y < 0 ? (y + 1) * dy : dy
  { op: 'EluGrad', kernel: elementwise('EluGrad', (dy, y) => (y < 0 ? f(f(y + 1) * dy) : dy)) },
  { op: 'SeluGrad', kernel: elementwise('SeluGrad', (dy, y) => (y < 0 ? f(dy * f(y + SELU_SCALE_ALPHA)) : f(dy * SELU_SCALE))) },
  // SigmoidGrad(y, dy) and friends take the forward output first
  { op: 'SigmoidGrad', kernel: elementwise('SigmoidGrad', (y, dy, p) => (p ? f(dy * f(y * f(1 - y))) : f(f(dy * y) * f(1 - y)))) },
  { op: 'TanhGrad', kernel: elementwise('TanhGrad', (y, dy) => f(dy * f(1 - f(y * y)))) },
  { op: 'RsqrtGrad', kernel: elementwise('RsqrtGrad', (y, dy) => f(-0.5 * f(f(dy * y) * f(y * y)))) },
  // SqrtGrad: packets as dy * (0.5 / y), the tail as (0.5 * dy) / y (checked on 100,003 values)
  { op: 'SqrtGrad', kernel: elementwise('SqrtGrad', (y, dy, p) => (p ? f(dy * f(0.5 / y)) : f(f(0.5 * dy) / y))) },
  // SoftplusGrad(gradients, features): dy / (exp(-x) + 1), exp as TF's (eigen-exp.ts)
  { op: 'SoftplusGrad', kernel: elementwise('SoftplusGrad', (dy, x, p) => f(dy / f((p ? eigenExpLane(-x) : libmExp(-x)) + 1))) },
  { op: 'SoftsignGrad', kernel: elementwise('SoftsignGrad', (dy, x) => { const d = f(Math.abs(x) + 1); return f(dy / f(d * d)); }) },
  { op: 'BiasAddGrad', kernel: biasAddGrad },
  { op: 'InvertPermutation', kernel: invertPermutation },
  { op: 'StridedSliceGrad', kernel: stridedSliceGrad },
];
