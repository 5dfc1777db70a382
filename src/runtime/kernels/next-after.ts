/**
 * `NextAfter` (tf.math.nextafter) for float32: the next representable float32 after x1 toward
 * x2, as C's nextafterf, which TF's kernel calls element by element with broadcasting.
 * Subnormals are results like any other (nextafter(0, 1) = 2^-149: TF does not flush them
 * here); a NaN in either input gives NaN; x1 == x2 gives x2. float64 is refused at load by the
 * float64 policy, which does not list the op.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrType, broadcastIndex, broadcastShape } from './util.js';

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** nextafterf(x, y). */
export function nextAfterF32(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? 2 ** -149 : -(2 ** -149);
  f32[0] = x;
  // Away from zero when y is further from zero on x's side, toward zero otherwise.
  bits[0]! += (y > x) === (x > 0) ? 1 : -1;
  return f32[0]!;
}

function nextAfterOp(node: GraphNode): tf.Tensor {
  const t = attrType(node, 'T');
  if (t !== 'DT_FLOAT') throw Errors.kernelUnsupported('NextAfter', `values of type ${t.replace(/^DT_/, '').toLowerCase() || 'unknown'}`);
  const [a, b] = [kernelInput(node, 0), kernelInput(node, 1)];
  const shape = broadcastShape(a.shape, b.shape);
  const [ia, ib] = [broadcastIndex(shape, a.shape), broadcastIndex(shape, b.shape)];
  const [av, bv] = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
  const out = new Float32Array(ia.length);
  for (let i = 0; i < out.length; i++) out[i] = nextAfterF32(av[ia[i]!]!, bv[ib[i]!]!);
  return tf.tensor(out, shape, 'float32');
}

export const NEXT_AFTER_KERNELS: readonly KernelEntry[] = [{ op: 'NextAfter', kernel: nextAfterOp }];
