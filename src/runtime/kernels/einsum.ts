/**
 * `_TfsEinsumEllipsis`: an `Einsum` that tfjs's einsum refuses, spelled out so that it can run
 * it. (1) An ellipsis (`...ij,jk->...ik`): with the inputs' ranks known at run time, each `...`
 * becomes letters the equation does not use (right-aligned: an input with fewer ellipsis
 * dimensions gets the last ones), ellipsis dimensions of size 1 are broadcast as TF broadcasts
 * them. Without `->`, the output is the ellipsis then the letters used once, in alphabetical
 * order (TF's implicit form). (2) A label repeated within one input (`bii->b`, a trace;
 * `bii->bi`, a diagonal): as TF does, that input's diagonal over the repeated label is taken
 * first (a pure gather, so no value changes), and the label then appears once in that term.
 * tfjs's einsum computes the resulting letter equation.
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

/** True when some input term of `equation` names one label twice (`bii->b`). */
export function hasRepeatedLabel(equation: string): boolean {
  const lhs = equation.replace(/\s+/g, '').split('->')[0]!;
  return lhs.split(',').some((t) => {
    const letters = t.replace('...', '');
    return new Set(letters).size !== letters.length;
  });
}

/**
 * `x` (labelled `term`, one letter per dimension) reduced to its diagonal over every repeated
 * label: the result has the term's distinct letters, in order of first appearance, and holds
 * x[.., i, .., i, ..] at index i. TF's error when the repeated dimensions differ.
 */
export function diagonal(x: tf.Tensor, term: string): { x: tf.Tensor; term: string } {
  const labels = [...new Set(term)];
  if (labels.length === term.length) return { x, term };
  const sizes = labels.map((c) => x.shape[term.indexOf(c)]!);
  [...term].forEach((c, k) => {
    const want = sizes[labels.indexOf(c)]!;
    if (x.shape[k] !== want) {
      throw Errors.kernelArgument(`Expected dimension ${want} at axis ${k} of the input shaped [${x.shape.join(',')}] but got dimension ${x.shape[k]}`);
    }
  });
  const strides = x.shape.map((_, k) => x.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  // each distinct label's step in x's flat data: the sum of its dimensions' strides
  const steps = labels.map((c) => [...term].reduce((a, d, k) => (d === c ? a + strides[k]! : a), 0));
  const n = sizes.reduce((a, b) => a * b, 1);
  const index = new Int32Array(n);
  const at = new Array<number>(labels.length).fill(0);
  for (let o = 0; o < n; o++) {
    index[o] = at.reduce((a, v, i) => a + v * steps[i]!, 0);
    for (let d = labels.length - 1; d >= 0 && ++at[d]! >= sizes[d]!; d--) at[d] = 0;
  }
  return { x: tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.tensor1d(index, 'int32')), sizes)), term: labels.join('') };
}

/** The inputs with size-1 ellipsis dimensions broadcast (tfjs's einsum does not broadcast). */
function broadcastEllipsis(inputs: tf.Tensor[], terms: string[], ellipsis: number[]): tf.Tensor[] {
  return inputs.map((t, i) => {
    const at = terms[i]!.indexOf('...');
    if (at < 0) return t;
    const r = t.rank - (terms[i]!.length - 3);
    const target = [...t.shape.slice(0, at), ...ellipsis.slice(ellipsis.length - r), ...t.shape.slice(at + r)];
    return target.every((d, k) => d === t.shape[k]) ? t : tf.broadcastTo(t, target);
  });
}

export function einsumEllipsis(node: GraphNode): tf.Tensor {
  const equation = attrText(node, 'equation', '');
  const inputs = node.inputs.map((_, i) => kernelInput(node, i));
  const { equation: spelled, ellipsis } = expandEllipsis(equation, inputs.map((t) => t.shape));
  const terms = equation.replace(/\s+/g, '').split('->')[0]!.split(',');
  const [lhs, out] = spelled.split('->') as [string, string];
  if (new Set(out).size !== out.length) throw Errors.kernelArgument(`Output subscripts contain a label appearing more than once: ${equation}`);
  return tf.tidy(() => {
    const diag = broadcastEllipsis(inputs, terms, ellipsis).map((t, i) => diagonal(t, lhs.split(',')[i]!));
    return tf.einsum(`${diag.map((d) => d.term).join(',')}->${out}`, ...diag.map((d) => d.x));
  });
}

export const EINSUM_KERNELS: readonly KernelEntry[] = [{ op: EINSUM_ELLIPSIS_OP, kernel: einsumEllipsis }];
