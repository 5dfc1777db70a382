/**
 * `Select`/`SelectV2` on strings (`tf.where(cond, s1, s2)`, e.g. a default for empty strings):
 * tfjs's `where` takes numbers only, so such a call failed. The freezer renames only string
 * selects here (kernels/index.ts `attrOverride`); numeric ones stay tfjs's. SelectV2 broadcasts
 * all three operands; Select (v1) also takes a vector condition picking rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { broadcastIndex, broadcastShape, numbersOf } from './util.js';

export const SELECT_STRING_OP = '_TfsSelectString';

function selectString(node: GraphNode): tf.Tensor {
  const c = kernelInput(node, 0);
  const t = kernelInput(node, 1);
  const e = kernelInput(node, 2);
  if (t.dtype !== 'string' || e.dtype !== 'string') throw Errors.kernelArgument('Select: then and else must both be strings');
  // v1 Select: a vector condition over the rows of higher-rank operands.
  let cShape = c.shape;
  if (c.rank === 1 && t.rank > 1 && t.shape.join(',') === e.shape.join(',')) {
    if (c.shape[0] !== t.shape[0]) throw Errors.kernelArgument(`Select: condition has ${c.shape[0]} elements, then has ${t.shape[0]} rows`);
    cShape = [c.shape[0]!, ...new Array<number>(t.rank - 1).fill(1)];
  }
  const shape = broadcastShape(broadcastShape(cShape, t.shape), e.shape);
  const cond = numbersOf(c);
  const tv = tf.engine().readSync(t.dataId) as Uint8Array[];
  const ev = tf.engine().readSync(e.dataId) as Uint8Array[];
  const [ci, ti, ei] = [broadcastIndex(shape, cShape), broadcastIndex(shape, t.shape), broadcastIndex(shape, e.shape)];
  const out = Array.from(ci, (k, i) => (cond[k] ? tv[ti[i]!]! : ev[ei[i]!]!));
  return tf.tensor(out, shape, 'string');
}

export const SELECT_STRING_KERNELS: readonly KernelEntry[] = [{ op: SELECT_STRING_OP, kernel: (node) => [selectString(node)] }];
