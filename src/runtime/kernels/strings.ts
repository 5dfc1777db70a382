/**
 * String and text kernels (TensorFlow's string_ops), over the bytes of tfjs string
 * tensors. Case mapping, stripping and splitting are ASCII as in TF unless an op's
 * `encoding` says utf-8; regexes are RE2 translated by regex.ts or refused.
 */
import { makeWide } from '../wide-values.js';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { STRING_ADD_OP } from './control-names.js';
import { printf, type PrintfSpec } from './format.js';
import { hash64, sipHash24 } from './hash.js';
import { compileRe2, re2Replace } from './regex.js';
import { kernelInput, type KernelEntry } from './types.js';
import {
  attrBigInts,
  attrBool,
  attrBytes,
  attrInt,
  attrText,
  attrType,
  broadcastIndex,
  broadcastShape,
  bytesOf,
  intTensor,
  numbersOf,
  stridesOf,
  stringTensor,
} from './util.js';

const enc = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** UTF-8 text of `b`, or a clear error where TF's ICU-based op would need invalid bytes. */
function textOf(b: Uint8Array, op: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw Errors.kernelUnsupported(op, 'a string that is not valid UTF-8');
  }
}

function mapBytes(node: GraphNode, f: (b: Uint8Array) => Uint8Array): tf.Tensor {
  const x = kernelInput(node, 0);
  return stringTensor(bytesOf(x).map(f), x.shape);
}

function caseMap(node: GraphNode, upper: boolean, op: string): tf.Tensor {
  const encoding = attrText(node, 'encoding').toLowerCase();
  if (encoding === 'utf-8' || encoding === 'utf8') {
    return mapBytes(node, (b) => enc.encode(upper ? textOf(b, op).toUpperCase() : textOf(b, op).toLowerCase()));
  }
  if (encoding !== '') throw Errors.kernelUnsupported(op, `encoding ${encoding}`);
  const [lo, hi, delta] = upper ? [97, 122, -32] : [65, 90, 32];
  return mapBytes(node, (b) => b.map((c) => (c >= lo && c <= hi ? c + delta : c)));
}

function strip(b: Uint8Array): Uint8Array {
  let s = 0;
  let e = b.length;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  return b.slice(s, e);
}

/** Python's bytes.split(sep, maxsplit), which StringSplitV2 follows. */
export function splitV2(b: Uint8Array, sep: Uint8Array, maxsplit: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const limited = maxsplit >= 0;
  if (sep.length === 0) {
    let i = 0;
    for (;;) {
      while (i < b.length && isSpace(b[i]!)) i++;
      if (i >= b.length) return out;
      if (limited && out.length === maxsplit) {
        let e = b.length;
        while (e > i && isSpace(b[e - 1]!)) e--;
        out.push(b.slice(i, e));
        return out;
      }
      const s = i;
      while (i < b.length && !isSpace(b[i]!)) i++;
      out.push(b.slice(s, i));
    }
  }
  let start = 0;
  for (let i = 0; i + sep.length <= b.length; ) {
    if ((!limited || out.length < maxsplit) && sep.every((c, k) => b[i + k] === c)) {
      out.push(b.slice(start, i));
      i += sep.length;
      start = i;
    } else i++;
  }
  out.push(b.slice(start));
  return out;
}

function stringSplitV2(node: GraphNode): tf.Tensor[] {
  const x = kernelInput(node, 0);
  if (x.rank !== 1) throw Errors.kernelArgument(`input must be a vector, got shape: [${x.shape.join(',')}]`);
  const sep = bytesOf(kernelInput(node, 1))[0] ?? new Uint8Array(0);
  const maxsplit = attrInt(node, 'maxsplit', -1);
  const idx: number[] = [];
  const vals: Uint8Array[] = [];
  let widest = 0;
  bytesOf(x).forEach((b, row) => {
    const parts = splitV2(b, sep, maxsplit);
    parts.forEach((p, k) => {
      idx.push(row, k);
      vals.push(p);
    });
    widest = Math.max(widest, parts.length);
  });
  return [
    intTensor(idx, [vals.length, 2], 'StringSplitV2 indices'),
    stringTensor(vals, [vals.length]),
    intTensor([x.shape[0]!, widest], [2], 'StringSplitV2 shape'),
  ];
}

const utf8Len = (b: Uint8Array): number => b.reduce((n, c) => n + ((c & 0xc0) !== 0x80 ? 1 : 0), 0);

function stringLength(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const chars = attrText(node, 'unit', 'BYTE') === 'UTF8_CHAR';
  return intTensor(bytesOf(x).map((b) => (chars ? utf8Len(b) : b.length)), x.shape, 'StringLength', 'DT_INT32');
}

/** Byte offset of UTF-8 character `ch` of `b` (b.length past the end). */
function charOffset(b: Uint8Array, ch: number): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if ((b[i]! & 0xc0) !== 0x80) {
      if (n === ch) return i;
      n++;
    }
  }
  return b.length;
}

function substr(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const pos = kernelInput(node, 1);
  const len = kernelInput(node, 2);
  if (pos.rank !== len.rank || pos.shape.some((d, i) => d !== len.shape[i])) {
    throw Errors.kernelArgument(`pos and len should have the same shape, got: [${pos.shape.join(',')}] vs. [${len.shape.join(',')}]`);
  }
  const shape = broadcastShape(x.shape, pos.shape);
  const xs = bytesOf(x);
  const ps = numbersOf(pos);
  const ls = numbersOf(len);
  const xi = broadcastIndex(shape, x.shape);
  const pi = broadcastIndex(shape, pos.shape);
  const chars = attrText(node, 'unit', 'BYTE') === 'UTF8_CHAR';
  const out = Array.from(xi, (src, i) => {
    const b = xs[src]!;
    const size = chars ? utf8Len(b) : b.length;
    let p = ps[pi[i]!]!;
    const l = ls[pi[i]!]!;
    if (p < 0) p += size;
    if (p < 0 || p > size) {
      throw Errors.kernelArgument(`pos ${ps[pi[i]!]} out of range for string b'${Buffer.from(b).toString('latin1')}' at index ${i}`);
    }
    const end = Math.min(size, p + Math.max(0, l));
    return chars ? b.slice(charOffset(b, p), charOffset(b, end)) : b.slice(p, end);
  });
  return stringTensor(out, shape);
}

function concatBytes(parts: Uint8Array[], sep: Uint8Array): Uint8Array {
  const out: number[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(...sep);
    out.push(...p);
  });
  return Uint8Array.from(out);
}

function stringJoin(node: GraphNode): tf.Tensor {
  const ins = node.inputs;
  const sep = attrBytes(node, 'separator') ?? new Uint8Array(0);
  let shape: number[] = [];
  for (const t of ins) {
    if (t.rank === 0) continue;
    if (shape.length > 0 && (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw Errors.kernelArgument(`Input shapes do not match: [${shape.join(',')}] vs. [${t.shape.join(',')}]`);
    }
    shape = [...t.shape];
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const cols = ins.map((t) => bytesOf(t));
  const out = Array.from({ length: n }, (_, i) => concatBytes(cols.map((c, k) => c[ins[k]!.rank === 0 ? 0 : i]!), sep));
  return stringTensor(out, shape);
}

/** `Add`/`AddV2` on strings: TF concatenates element-wise, with broadcasting. */
function stringAdd(node: GraphNode): tf.Tensor {
  const a = kernelInput(node, 0);
  const b = kernelInput(node, 1);
  const shape = broadcastShape(a.shape, b.shape);
  const [ia, ib] = [broadcastIndex(shape, a.shape), broadcastIndex(shape, b.shape)];
  const [va, vb] = [bytesOf(a), bytesOf(b)];
  const none = new Uint8Array(0);
  return stringTensor(Array.from(ia, (i, f) => concatBytes([va[i]!, vb[ib[f]!]!], none)), shape);
}

function reduceJoin(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const rank = x.rank;
  const axes = new Set(numbersOf(kernelInput(node, 1)).map((a) => (a < 0 ? a + rank : a)));
  for (const a of axes) if (a < 0 || a >= rank) throw Errors.kernelArgument(`Invalid reduction dimension ${a} for input with ${rank} dimensions`);
  const keep = attrBool(node, 'keep_dims', false);
  const sep = attrBytes(node, 'separator') ?? new Uint8Array(0);
  const outShape = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const outStrides = stridesOf(outShape);
  const inStrides = stridesOf(x.shape);
  const groups: Uint8Array[][] = Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => []);
  // Row-major order over the input keeps each group's elements in TF's order.
  bytesOf(x).forEach((b, flat) => {
    let o = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(flat / inStrides[d]!) % x.shape[d]!;
      if (!axes.has(d)) o += c * outStrides[d]!;
    }
    groups[o]!.push(b);
  });
  const shape = keep ? outShape : x.shape.filter((_, i) => !axes.has(i));
  return stringTensor(groups.map((g) => concatBytes(g, sep)), shape);
}

const FLOATS = new Set(['DT_FLOAT', 'DT_DOUBLE', 'DT_HALF', 'DT_BFLOAT16']);
const INTS = new Set(['DT_INT8', 'DT_INT16', 'DT_INT32', 'DT_INT64', 'DT_UINT8', 'DT_UINT16', 'DT_UINT32', 'DT_UINT64']);

function asString(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  return formatAsString(node, attrType(node, 'T'), x, () => numbersOf(x));
}

/**
 * AsString's attrs checked and applied to `x`'s values: `vals()` gives them (exact bigints or
 * float64 doubles from wide-as-string.ts for int64/uint32/uint64/float64, else the stand-ins).
 */
export function formatAsString(node: GraphNode, t: string, x: tf.Tensor, vals: () => ArrayLike<number | bigint>): tf.Tensor {
  const precision = attrInt(node, 'precision', -1);
  const scientific = attrBool(node, 'scientific', false);
  const shortest = attrBool(node, 'shortest', false);
  const width = attrInt(node, 'width', -1);
  const fill = attrText(node, 'fill');
  if (fill.length > 1 || (fill !== '' && !' +-0#'.includes(fill))) throw Errors.kernelArgument(`Fill argument not supported: "${fill}"`);
  if (t === 'DT_STRING') return x.clone();
  if (t === 'DT_BOOL') return stringTensor(numbersOf(x).map((v) => enc.encode(v ? 'true' : 'false')), x.shape);
  if (!FLOATS.has(t) && !INTS.has(t)) throw Errors.kernelUnsupported('AsString', `type ${t}`);
  if (scientific && shortest) throw Errors.kernelArgument('Cannot select both scientific and shortest notation');
  if (!FLOATS.has(t) && (precision > -1 || scientific || shortest)) {
    throw Errors.kernelArgument(`precision, scientific and shortest apply only to floating point types, not ${t}`);
  }
  const conv = FLOATS.has(t) ? (scientific ? 'e' : shortest ? 'g' : 'f') : 'd';
  const spec: PrintfSpec = { flags: fill, width, precision, conv };
  return stringTensor(Array.from(vals(), (v) => enc.encode(printf(v, spec))), x.shape);
}

const FLOAT_TEXT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

function toNumber(b: Uint8Array, out: string): number | bigint {
  const s = Buffer.from(b).toString('latin1');
  const t = s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  if (out === 'DT_FLOAT' || out === 'DT_DOUBLE') {
    let v: number;
    if (FLOAT_TEXT.test(t)) v = /nan/i.test(t) ? NaN : /inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
    else if (/^[+-]?0x[0-9a-f]+$/i.test(t)) v = (t.startsWith('-') ? -1 : 1) * Number.parseInt(t.replace(/^[+-]?0x/i, ''), 16);
    else throw Errors.stringToNumberFailed(s);
    return out === 'DT_FLOAT' ? Math.fround(v) : v;
  }
  if (!/^[+-]?\d+$/.test(t)) throw Errors.stringToNumberFailed(s);
  const v = BigInt(t);
  if (out === 'DT_INT32' && (v < -2147483648n || v > 2147483647n)) throw Errors.stringToNumberFailed(s);
  if (v < -(2n ** 63n) || v >= 2n ** 63n) throw Errors.stringToNumberFailed(s);
  return v;
}

function stringToNumber(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const out = attrType(node, 'out_type', 'DT_FLOAT');
  if (!['DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_INT64'].includes(out)) throw Errors.kernelUnsupported('StringToNumber', `out_type ${out}`);
  const vals = bytesOf(x).map((b) => toNumber(b, out));
  // int64 and float64 results are carried exactly (wide-values.ts).
  if (out === 'DT_INT64') return makeWide('int64', BigInt64Array.from(vals as bigint[]), x.shape);
  if (out === 'DT_DOUBLE') return makeWide('float64', Float64Array.from(vals as number[]), x.shape);
  return out === 'DT_INT32' ? intTensor(vals, x.shape, 'StringToNumber') : tf.tensor(vals as number[], x.shape, 'float32');
}

function fullMatch(node: GraphNode, pattern: string): tf.Tensor {
  const x = kernelInput(node, 0);
  const re = compileRe2(pattern, true);
  const out = bytesOf(x).map((b) => (re.test(textOf(b, 'RegexFullMatch')) ? 1 : 0));
  return tf.tensor(out, x.shape, 'bool');
}

function regexReplace(node: GraphNode, pattern: string, rewrite: string): tf.Tensor {
  const global = attrBool(node, 'replace_global', true);
  return mapBytes(node, (b) => enc.encode(re2Replace(textOf(b, 'RegexReplace'), pattern, rewrite, global)));
}

const scalarText = (t: tf.Tensor): string => Buffer.from(bytesOf(t)[0] ?? new Uint8Array(0)).toString('utf8');

/** `hash % num_buckets` as the int64 output TF gives (int32 in tfs, so the bucket count must fit). */
function buckets(node: GraphNode, hash: (b: Uint8Array) => bigint, op: string): tf.Tensor {
  const x = kernelInput(node, 0);
  const n = attrInt(node, 'num_buckets', 1);
  if (n > 2147483647) throw Errors.kernelUnsupported(op, `num_buckets ${n} (bucket ids beyond int32)`);
  if (n <= 0) throw Errors.kernelArgument('num_buckets must be positive');
  const nb = BigInt(n);
  return intTensor(bytesOf(x).map((b) => Number(hash(b) % nb)), x.shape, op);
}

function strongKey(node: GraphNode): [bigint, bigint] {
  const key = attrBigInts(node, 'key');
  if (key.length !== 2) throw Errors.kernelArgument('Key must have 2 elements');
  return [BigInt.asUintN(64, key[0]!), BigInt.asUintN(64, key[1]!)];
}

const B64 = /^[A-Za-z0-9_-]*$/;

function decodeBase64(b: Uint8Array): Uint8Array {
  let s = Buffer.from(b).toString('latin1');
  // TF accepts the padded form: '=' only at the end, making the length a multiple of 4.
  const pad = /=+$/.exec(s)?.[0].length ?? 0;
  if (pad > 0) {
    if (pad > 2 || s.length % 4 !== 0) throw Errors.base64InvalidCharacter();
    s = s.slice(0, -pad);
  }
  if (!B64.test(s)) throw Errors.base64InvalidCharacter();
  if (s.length % 4 === 1) throw Errors.base64InvalidLength();
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function encodeBase64(node: GraphNode): tf.Tensor {
  const pad = attrBool(node, 'pad', false);
  return mapBytes(node, (b) => {
    const s = Buffer.from(b).toString('base64url');
    return enc.encode(pad ? s + '='.repeat((4 - (s.length % 4)) % 4) : s);
  });
}

function unicodeDecode(node: GraphNode): tf.Tensor[] {
  const x = kernelInput(node, 0);
  const encoding = attrText(node, 'input_encoding').toUpperCase().replace('_', '-');
  if (encoding !== 'UTF-8' && encoding !== 'UTF8') throw Errors.kernelUnsupported('UnicodeDecode', `input_encoding ${encoding}`);
  const replaceControl = attrBool(node, 'replace_control_characters', false);
  const replacement = attrInt(node, 'replacement_char', 0xfffd);
  const splits = [0];
  const cps: number[] = [];
  for (const b of bytesOf(x)) {
    for (const ch of textOf(b, 'UnicodeDecode')) {
      const cp = ch.codePointAt(0)!;
      cps.push(replaceControl && cp < 0x20 ? replacement : cp);
    }
    splits.push(cps.length);
  }
  return [intTensor(splits, [splits.length], 'UnicodeDecode row_splits'), tf.tensor(cps, [cps.length], 'int32')];
}

export const STRING_KERNELS: readonly KernelEntry[] = [
  { op: 'StringLower', kernel: (node) => caseMap(node, false, 'StringLower') },
  { op: 'StringUpper', kernel: (node) => caseMap(node, true, 'StringUpper') },
  { op: 'StringStrip', kernel: (node) => mapBytes(node, strip) },
  { op: 'StringSplitV2', kernel: stringSplitV2 },
  { op: 'StringLength', kernel: stringLength },
  { op: 'Substr', kernel: substr },
  { op: 'StringJoin', kernel: stringJoin },
  { op: 'ReduceJoin', kernel: reduceJoin },
  // Add/AddV2 of strings (tfjs's add refuses strings); the freezer renames them (control-names.ts).
  { op: STRING_ADD_OP, kernel: stringAdd },
  { op: 'AsString', kernel: asString },
  { op: 'StringToNumber', kernel: stringToNumber },
  { op: 'StaticRegexFullMatch', kernel: (node) => fullMatch(node, attrText(node, 'pattern')) },
  { op: 'RegexFullMatch', kernel: (node) => fullMatch(node, scalarText(kernelInput(node, 1))) },
  { op: 'RegexReplace', kernel: (node) => regexReplace(node, scalarText(kernelInput(node, 1)), scalarText(kernelInput(node, 2))) },
  // tfjs's own StaticRegexReplace lower-cases the pattern and reads `\1` as text; freeze.ts
  // renames the op to this one.
  { op: '_TfsStaticRegexReplace', kernel: (node) => regexReplace(node, attrText(node, 'pattern'), attrText(node, 'rewrite')) },
  { op: 'StringToHashBucket', kernel: (node) => buckets(node, (b) => hash64(b), 'StringToHashBucket') },
  {
    op: 'StringToHashBucketStrong',
    kernel: (node) => {
      const [k0, k1] = strongKey(node);
      return buckets(node, (b) => sipHash24(b, k0, k1), 'StringToHashBucketStrong');
    },
  },
  { op: 'DecodeBase64', kernel: (node) => mapBytes(node, decodeBase64) },
  { op: 'EncodeBase64', kernel: encodeBase64 },
  { op: 'UnicodeDecode', kernel: unicodeDecode },
];
