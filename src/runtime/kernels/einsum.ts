/**
 * `_TfsEinsumEllipsis`: an `Einsum` whose equation has an ellipsis (`...ij,jk->...ik`), which
 * tfjs's einsum refuses. With the inputs' ranks known at run time, each `...` becomes letters
 * the equation does not use (right-aligned: an input with fewer ellipsis dimensions gets the
 * last ones), ellipsis dimensions of size 1 are broadcast as TF broadcasts them, and tfjs's
 * einsum computes the letter equation. Without `->`, the output is the ellipsis then the
 * letters used once, in alphabetical order (TF's implicit form).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrText } from './util.js';

export const EINSUM_ELLIPSIS_OP = '_TfsEinsumEllipsis';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The equation with every `...` spelled out for inputs of these shapes, and the ellipsis's broadcast shape. */
export function expandEllipsis(equation: string, shapes: readonly (readonly number[])[]): { equation: string; ellipsis: number[] } {
  const eq = equation.replace(/\s+/g, '');
  const [lhs = '', rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) throw Errors.kernelArgument(`Expecting ${terms.length} inputs for equation ${equation}, got ${shapes.length}`);
  const free = [...LETTERS].filter((c) => !eq.includes(c));
  const ranks = terms.map((t, i) => (t.includes('...') ? shapes[i]!.length - (t.length - 3) : 0));
  ranks.forEach((r, i) => {
    if (r < 0) throw Errors.kernelArgument(`Input ${i} of Einsum has rank ${shapes[i]!.length}, fewer than its labels in ${equation}`);
  });
  const e = Math.max(0, ...ranks);
  if (e > free.length) throw Errors.kernelUnsupported('Einsum', `an ellipsis of ${e} dimensions`);
  const ell = free.slice(0, e);
  const ellipsis = new Array<number>(e).fill(1);
  terms.forEach((t, i) => {
    for (let k = 0; k < ranks[i]!; k++) {
      const size = shapes[i]![t.indexOf('...') + k]!;
      const p = e - ranks[i]! + k;
      if (size !== 1 && ellipsis[p] !== 1 && ellipsis[p] !== size) {
        throw Errors.kernelArgument(`Einsum: ellipsis dimensions ${ellipsis[p]} and ${size} of ${equation} cannot be broadcast`);
      }
      if (size !== 1) ellipsis[p] = size;
    }
  });
  const spelled = terms.map((t, i) => t.replace('...', ell.slice(e - ranks[i]!).join('')));
  let out: string;
  if (rhs !== undefined) out = rhs.replace('...', ell.join(''));
  else {
    const once = [...new Set(lhs.replace(/[.,]/g, ''))].filter((c) => lhs.split(c).length === 2).sort();
    out = ell.join('') + once.join('');
  }
  return { equation: `${spelled.join(',')}->${out}`, ellipsis };
}

export function einsumEllipsis(node: GraphNode): tf.Tensor {
  const equation = attrText(node, 'equation', '');
  const inputs = node.inputs.map((_, i) => kernelInput(node, i));
  const { equation: spelled, ellipsis } = expandEllipsis(equation, inputs.map((t) => t.shape));
  const terms = equation.replace(/\s+/g, '').split('->')[0]!.split(',');
  return tf.tidy(() => {
    // tfjs's einsum does not broadcast: size-1 ellipsis dimensions are broadcast first.
    const full = inputs.map((t, i) => {
      const at = terms[i]!.indexOf('...');
      if (at < 0) return t;
      const r = t.rank - (terms[i]!.length - 3);
      const target = [...t.shape.slice(0, at), ...ellipsis.slice(ellipsis.length - r), ...t.shape.slice(at + r)];
      return target.every((d, k) => d === t.shape[k]) ? t : tf.broadcastTo(t, target);
    });
    return tf.einsum(spelled, ...full);
  });
}

export const EINSUM_KERNELS: readonly KernelEntry[] = [{ op: EINSUM_ELLIPSIS_OP, kernel: einsumEllipsis }];
