/**
 * `UnicodeEncode` (tf.strings.unicode_encode, and unicode_split's second half: Keras
 * TextVectorization with `split="character"`): rows of code points (a ragged tensor's values
 * and row splits) to one string each, in UTF-8, UTF-16-BE or UTF-32-BE, as TF's kernel
 * (unicode_ops.cc) writes them. A value that is not a Unicode scalar value (negative, past
 * U+10FFFF, or a surrogate) becomes `replacement_char` (errors="replace", the default), is
 * dropped ("ignore"), or fails the request ("strict", TF's text). Checked against TF 2.21 in
 * test/runtime/kernels/unicode-encode.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrInt, attrText, numbersOf, stringTensor } from './util.js';

const isScalarValue = (cp: number): boolean => Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);

/** Bytes of one code point (a Unicode scalar value) in `encoding`, appended to `out` (no string per code point). */
function put(out: number[], cp: number, encoding: string): void {
  if (encoding === 'UTF-32-BE') {
    out.push((cp >>> 24) & 0xff, (cp >>> 16) & 0xff, (cp >>> 8) & 0xff, cp & 0xff);
  } else if (encoding === 'UTF-16-BE') {
    const units = cp >= 0x10000 ? [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)] : [cp];
    for (const u of units) out.push(u >> 8, u & 0xff);
  } else if (cp < 0x80) {
    out.push(cp);
  } else if (cp < 0x800) {
    out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  } else {
    out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
}

function unicodeEncode(node: GraphNode): tf.Tensor {
  const cps = numbersOf(kernelInput(node, 0));
  const splits = numbersOf(kernelInput(node, 1));
  const encoding = attrText(node, 'output_encoding');
  if (!['UTF-8', 'UTF-16-BE', 'UTF-32-BE'].includes(encoding)) throw Errors.kernelArgument(`Unknown output_encoding: ${encoding}`);
  const errors = attrText(node, 'errors', 'replace');
  const replacement = attrInt(node, 'replacement_char', 0xfffd);
  if (splits.length === 0 || splits[splits.length - 1] !== cps.length) {
    throw Errors.kernelArgument('Last value in input_splits must be equal to length of input_tensor.');
  }
  const rows: Uint8Array[] = [];
  for (let r = 0; r + 1 < splits.length; r++) {
    const [from, to] = [splits[r]!, splits[r + 1]!];
    if (from < 0 || to < from) throw Errors.kernelArgument('input_splits must start at 0 or more and never decrease');
    const out: number[] = [];
    for (let i = from; i < to; i++) {
      const cp = cps[i]!;
      if (isScalarValue(cp)) put(out, cp, encoding);
      else if (errors === 'strict') throw Errors.kernelArgument('Code point is out of range for Unicode, or is a surrogate.');
      else if (errors !== 'ignore' && isScalarValue(replacement)) put(out, replacement, encoding);
    }
    rows.push(Uint8Array.from(out));
  }
  return stringTensor(rows, [rows.length]);
}

export const UNICODE_ENCODE_KERNELS: readonly KernelEntry[] = [{ op: 'UnicodeEncode', kernel: unicodeEncode }];
