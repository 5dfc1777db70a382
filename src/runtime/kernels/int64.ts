/**
 * int64 arithmetic with overflow checks in int32, a fallback: the freezer routes these ops
 * to the exact wide kernels (kernels/wide.ts) first, so this runs only for nodes it does not
 * route; a result that does not fit is refused instead of wrapped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { TFS_OPS } from '../freeze/types.js';
import type { KernelEntry } from './types.js';

/**
 * Overflow test for the float32 shadow: a wrapped int32 result differs from the true
 * value by a multiple of 2^32, while the shadow's rounding error stays far below 2^30.
 */
const WRAP_GAP = 2 ** 30;

const INT64_NAMES: Record<number, string> = {
  1: 'Add',
  2: 'Sub',
  3: 'Mul',
  4: 'Square',
  5: 'Neg',
  6: 'Abs',
  7: 'Sum',
  8: 'Prod',
  9: 'Cumsum',
  10: 'Pow',
  11: 'AddN',
};

/**
 * An int64 op computed exactly in int32 (tfjs's integer type) and again in float32 as a
 * shadow; when the shadow shows the true result leaves int32's range, the call fails
 * instead of returning wrapped values.
 */
function int64Checked(node: GraphNode): tf.Tensor {
  const code = Number(node.attrs['_tfs_op']);
  const keep = Boolean(node.attrs['keep_dims']);
  const compute = (xs: tf.Tensor[]): tf.Tensor => {
    const [a, b] = xs as [tf.Tensor, tf.Tensor];
    switch (code) {
      case 1:
        return tf.add(a, b);
      case 2:
        return tf.sub(a, b);
      case 3:
        return tf.mul(a, b);
      case 4:
        return tf.square(a);
      case 5:
        return tf.neg(a);
      case 6:
        return tf.abs(a);
      case 7:
        return tf.sum(a, Array.from(b.dataSync()), keep);
      case 8:
        return tf.prod(a, Array.from(b.dataSync()), keep);
      case 9:
        return tf.cumsum(a, Number(b.dataSync()[0]), Boolean(node.attrs['exclusive']), Boolean(node.attrs['reverse']));
      case 10:
        return tf.pow(a, b);
      case 11:
        return tf.addN(xs);
      default:
        throw Errors.unknownCheckedInt64Op(code);
    }
  };
  return tf.tidy(() => {
    const ins = node.inputs;
    // Reduction axes stay integers; every data operand gets a float32 shadow.
    const dataCount = code === 7 || code === 8 || code === 9 ? 1 : ins.length;
    const exact = compute(ins);
    const shadow = compute(ins.map((t, i) => (i < dataCount ? tf.cast(t, 'float32') : t)));
    if (shadow.size > 0) {
      const gap = tf.max(tf.abs(tf.sub(tf.cast(exact, 'float32'), shadow))).dataSync()[0]!;
      if (!(gap <= WRAP_GAP)) {
        const big = tf.max(tf.abs(shadow)).dataSync()[0]!;
        // e.g. "int64 Mul result: int64 value 6000000000 does not fit in int32; ..."
        throw Errors.int32Refusal(`int64 ${INT64_NAMES[code] ?? 'arithmetic'} result`, 'int64', String(big));
      }
    }
    return exact;
  });
}

export const INT64_KERNELS: readonly KernelEntry[] = [
  { op: TFS_OPS.int64Checked, kernel: (node) => int64Checked(node) },
];
