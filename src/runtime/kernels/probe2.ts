/**
 * Ops the second probe (fixtures/zoo/probe2.py) found refused and that compute exactly in JS:
 * PopulationCount, L2Loss, UnravelIndex, InTopKV2, SoftmaxCrossEntropyWithLogits,
 * SparseSoftmaxCrossEntropyWithLogits, MatrixSetDiagV3 (one diagonal), FakeQuantWithMinMaxArgs/
 * Vars/VarsPerChannel (tfjs-converter passed FakeQuantWithMinMaxVars through as an identity: a
 * wrong number for every quantisation-aware-trained export), QuantizeAndDequantizeV2/V4 (per tensor). Checked against
 * TF 2.21 in test/runtime/kernels/probe2.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrFloat, attrInt, attrText, attrType, intTensor, numbersOf, sizeOf } from './util.js';

function popcount32(v: number): number {
  let x = v >>> 0;
  let n = 0;
  while (x !== 0) {
    x &= x - 1;
    n++;
  }
  return n;
}

/** Bits set in each element's two's-complement form of its type's width (a uint8 result). */
function populationCount(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const t = attrType(node, 'T', 'DT_INT32');
  const mask: Record<string, number> = { DT_INT8: 0xff, DT_UINT8: 0xff, DT_INT16: 0xffff, DT_UINT16: 0xffff, DT_INT32: -1 };
  const v = numbersOf(x);
  let out: number[];
  if (mask[t] !== undefined) out = v.map((e) => popcount32(e & mask[t]!));
  // int64 values reach a kernel only when they fit in int32 (wide-int policy): the high word is all sign bits.
  else if (t === 'DT_INT64') out = v.map((e) => popcount32(e) + (e < 0 ? 32 : 0));
  else throw Errors.kernelUnsupported('PopulationCount', `type ${t}`);
  return tf.tensor(Int32Array.from(out), x.shape, 'int32');
}

/** sum(x * x) / 2 over every element, a float32 scalar. */
function l2Loss(node: GraphNode): tf.Tensor {
  const v = numbersOf(kernelInput(node, 0));
  let s = 0;
  for (const e of v) s += e * e;
  return tf.scalar(Math.fround(s / 2), 'float32');
}

/** Each flat index as coordinates in `dims`: [ndims] for a scalar, [ndims, n] for a vector. */
function unravelIndex(node: GraphNode): tf.Tensor {
  const idx = kernelInput(node, 0);
  const dims = numbersOf(kernelInput(node, 1));
  const total = dims.reduce((a, b) => a * b, 1);
  const flat = numbersOf(idx);
  if (flat.some((i) => i < 0 || i >= total)) throw Errors.kernelArgument('index is out of bound as with dims');
  const n = flat.length;
  const out = new Array<number>(dims.length * n);
  flat.forEach((f, j) => {
    let r = f;
    for (let d = dims.length - 1; d >= 0; d--) {
      out[d * n + j] = r % dims[d]!;
      r = Math.floor(r / dims[d]!);
    }
  });
  return intTensor(out, idx.rank === 0 ? [dims.length] : [dims.length, n], 'UnravelIndex', 'DT_INT32');
}

/** TF's in_top_k: false when the target is out of range or any prediction of the row is not finite. */
function inTopK(node: GraphNode): tf.Tensor {
  const pred = kernelInput(node, 0);
  const targets = numbersOf(kernelInput(node, 1));
  const k = numbersOf(kernelInput(node, 2))[0]!;
  const [batch, classes] = [pred.shape[0]!, pred.shape[1]!];
  const p = pred.dataSync() as Float32Array;
  const out = new Uint8Array(batch);
  for (let b = 0; b < batch; b++) {
    const t = targets[b]!;
    if (t < 0 || t >= classes || !Number.isFinite(p[b * classes + t]!)) continue;
    const target = p[b * classes + t]!;
    let more = 0;
    let cannot = false;
    for (let c = 0; c < classes; c++) {
      const e = p[b * classes + c]!;
      if (!Number.isFinite(e)) {
        cannot = true;
        break;
      }
      if (e > target) more++;
    }
    out[b] = !cannot && more < k ? 1 : 0;
  }
  return tf.tensor(out, [batch], 'bool');
}

/** Per row: shifted logits (x - max) and log(sum(exp(shifted))), in float32 steps. */
function logSumExpRows(logits: Float32Array, rows: number, classes: number): { shifted: Float32Array; lse: Float32Array } {
  const shifted = new Float32Array(logits.length);
  const lse = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[r * classes + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) {
      shifted[r * classes + c] = logits[r * classes + c]! - mx;
      s += Math.fround(Math.exp(shifted[r * classes + c]!));
    }
    lse[r] = Math.log(Math.fround(s));
  }
  return { shifted, lse };
}

function softmaxXent(node: GraphNode): tf.Tensor[] {
  const logits = kernelInput(node, 0);
  const labels = kernelInput(node, 1);
  if (logits.rank !== 2) throw Errors.kernelUnsupported('SoftmaxCrossEntropyWithLogits', `logits of rank ${logits.rank}`);
  const [rows, classes] = [logits.shape[0]!, logits.shape[1]!];
  const lab = tf.tidy(() => tf.broadcastTo(labels, [rows, classes]).dataSync() as Float32Array);
  const { shifted, lse } = logSumExpRows(logits.dataSync() as Float32Array, rows, classes);
  const loss = new Float32Array(rows);
  const back = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let l = 0;
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      l += lab[i]! * (lse[r]! - shifted[i]!);
      back[i] = Math.exp(shifted[i]! - lse[r]!) - lab[i]!;
    }
    loss[r] = l;
  }
  return [tf.tensor(loss, [rows], 'float32'), tf.tensor(back, [rows, classes], 'float32')];
}

function sparseSoftmaxXent(node: GraphNode): tf.Tensor[] {
  const logits = kernelInput(node, 0);
  const labels = numbersOf(kernelInput(node, 1));
  const [rows, classes] = [logits.shape[0]!, logits.shape[1]!];
  labels.forEach((l) => {
    if (l < 0 || l >= classes) {
      throw Errors.kernelArgument(`Received a label value of ${l} which is outside the valid range of [0, ${classes}).  Label values: ${labels.join(' ')}`);
    }
  });
  const { shifted, lse } = logSumExpRows(logits.dataSync() as Float32Array, rows, classes);
  const loss = new Float32Array(rows);
  const back = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    loss[r] = lse[r]! - shifted[r * classes + labels[r]!]!;
    for (let c = 0; c < classes; c++) back[r * classes + c] = Math.exp(shifted[r * classes + c]! - lse[r]!) - (c === labels[r] ? 1 : 0);
  }
  return [tf.tensor(loss, [rows], 'float32'), tf.tensor(back, [rows, classes], 'float32')];
}

/** matrix_set_diag with one diagonal k (a band of diagonals, where alignment matters, is refused). */
function matrixSetDiag(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  const diag = kernelInput(node, 1);
  const ks = numbersOf(kernelInput(node, 2));
  if (ks.length > 1 && ks[0] !== ks[1]) throw Errors.kernelUnsupported('MatrixSetDiagV3', 'a band of several diagonals');
  const k = ks[0]!;
  const [m, n] = [x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];
  const len = Math.min(m + Math.min(k, 0), n - Math.max(k, 0));
  const batch = sizeOf(x.shape.slice(0, -2));
  if (len <= 0 || diag.shape[diag.rank - 1] !== len || sizeOf(diag.shape) !== batch * len) {
    throw Errors.kernelArgument(`diagonal must have shape [..., ${len}] for k = ${k} of a [${m}, ${n}] matrix, got [${diag.shape.join(',')}]`);
  }
  const src = new Int32Array(x.size);
  for (let i = 0; i < src.length; i++) src[i] = i;
  const isDiag = new Int32Array(x.size).fill(-1);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < len; j++) {
      const [r, c] = k >= 0 ? [j, j + k] : [j - k, j];
      isDiag[b * m * n + r * n + c] = b * len + j;
    }
  }
  return tf.tidy(() => {
    const flatX = tf.reshape(x, [-1]);
    const flatD = tf.reshape(diag, [-1]);
    const both = tf.concat([flatX, flatD]);
    for (let i = 0; i < src.length; i++) if (isDiag[i]! >= 0) src[i] = x.size + isDiag[i]!;
    return tf.reshape(tf.gather(both, tf.tensor1d(src, 'int32')), x.shape);
  });
}

/** TF's fake quantisation of `v` to [min, max] (nudged so 0 is exact), in float32 steps as TF's functor. */
function fakeQuant(v: Float32Array, chan: number, mins: number[], maxs: number[], bits: number, narrow: boolean): Float32Array {
  const f = Math.fround;
  const qmin = narrow ? 1 : 0;
  const qmax = 2 ** bits - 1;
  const params = mins.map((mn, c) => {
    const mx = maxs[c]!;
    if (!(mn <= mx)) throw Errors.kernelArgument(`FakeQuant: min ${mn} must be at most max ${mx}`);
    const scale = f(f(mx - mn) / (qmax - qmin));
    const inv = f(1 / scale);
    const zp = f(qmin - f(mn / scale));
    const nz = zp < qmin ? qmin : zp > qmax ? qmax : Math.round(zp);
    return { scale, inv, nz, lo: f((qmin - nz) * scale), hi: f((qmax - nz) * scale) };
  });
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const p = params[i % chan]!;
    if (Number.isNaN(v[i]!)) throw Errors.kernelUnsupported('FakeQuantWithMinMax', 'NaN inputs');
    const c = Math.min(Math.max(v[i]!, p.lo), p.hi);
    const q = Math.floor(f(f(f(c - p.lo) * p.inv) + 0.5));
    out[i] = f((q + qmin - p.nz) * p.scale);
  }
  return out;
}

function fakeQuantKernel(mode: 'args' | 'vars' | 'channel'): (node: GraphNode) => tf.Tensor {
  return (node) => {
    const x = kernelInput(node, 0);
    const bits = attrInt(node, 'num_bits', 8);
    const narrow = attrBool(node, 'narrow_range', false);
    const mins = mode === 'args' ? [attrFloat(node, 'min', -6)] : numbersOf(kernelInput(node, 1));
    const maxs = mode === 'args' ? [attrFloat(node, 'max', 6)] : numbersOf(kernelInput(node, 2));
    const chan = mode === 'channel' ? x.shape[x.rank - 1]! : 1;
    if (mins.length !== chan || maxs.length !== chan) throw Errors.kernelArgument(`FakeQuant: min and max must have ${chan} values`);
    return tf.tensor(fakeQuant(x.dataSync() as Float32Array, chan, mins, maxs, bits, narrow), x.shape, 'float32');
  };
}

/** Round half to even (Eigen's rint). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** TF's ComputeQuantizationRange: the scale and range the quantised grid allows, in float32. */
function qdqRange(mn: number, mx: number, signed: boolean, bits: number, narrow: boolean): { lo: number; hi: number; scale: number; inv: number } {
  const f = Math.fround;
  const qmin = signed ? (narrow ? -(2 ** (bits - 1)) + 1 : -(2 ** (bits - 1))) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const FMAX = 3.4028234663852886e38;
  const fromMin = qmin * mn > 0 ? f(qmin / mn) : FMAX;
  const fromMax = qmax * mx > 0 ? f(qmax / mx) : FMAX;
  if (fromMin < fromMax) {
    const inv = f(mn / qmin);
    return { lo: mn, hi: f(qmax * inv), scale: fromMin, inv };
  }
  const inv = f(mx / qmax);
  return { lo: f(qmin * inv), hi: mx, scale: fromMax, inv };
}

/** QuantizeAndDequantizeV2/V4 per tensor (axis -1). */
function quantizeDequantize(node: GraphNode): tf.Tensor {
  const x = kernelInput(node, 0);
  if (attrInt(node, 'axis', -1) !== -1) throw Errors.kernelUnsupported('QuantizeAndDequantize', 'a per-axis range');
  const v = x.dataSync() as Float32Array;
  const given = attrBool(node, 'range_given', false);
  const mode = attrText(node, 'round_mode', 'HALF_TO_EVEN');
  const round = mode === 'HALF_UP' ? (e: number): number => Math.floor(e + 0.5) : rint;
  let mn = numbersOf(kernelInput(node, 1))[0]!;
  let mx = numbersOf(kernelInput(node, 2))[0]!;
  if (!given) {
    mn = v.reduce((a, b) => Math.min(a, b), Infinity);
    mx = v.reduce((a, b) => Math.max(a, b), -Infinity);
    if (v.length === 0) return tf.tensor(v, x.shape, 'float32');
  }
  if (v.some(Number.isNaN) || !Number.isFinite(mn) || !Number.isFinite(mx)) throw Errors.kernelUnsupported('QuantizeAndDequantize', 'NaN or infinite values');
  const r = qdqRange(mn, mx, attrBool(node, 'signed_input', true), attrInt(node, 'num_bits', 8), attrBool(node, 'narrow_range', false));
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = given ? Math.min(Math.max(v[i]!, r.lo), r.hi) : v[i]!;
    out[i] = Math.fround(round(Math.fround(c * r.scale)) * r.inv);
  }
  return tf.tensor(out, x.shape, 'float32');
}

export const PROBE2_KERNELS: readonly KernelEntry[] = [
  { op: 'PopulationCount', kernel: populationCount },
  { op: 'L2Loss', kernel: l2Loss },
  { op: 'UnravelIndex', kernel: unravelIndex },
  { op: 'InTopKV2', kernel: inTopK },
  { op: 'SoftmaxCrossEntropyWithLogits', kernel: softmaxXent },
  { op: 'SparseSoftmaxCrossEntropyWithLogits', kernel: sparseSoftmaxXent },
  { op: 'MatrixSetDiagV3', kernel: matrixSetDiag },
  { op: 'FakeQuantWithMinMaxArgs', kernel: fakeQuantKernel('args') },
  { op: '_TfsFakeQuantWithMinMaxVars', kernel: fakeQuantKernel('vars') },
  { op: 'FakeQuantWithMinMaxVarsPerChannel', kernel: fakeQuantKernel('channel') },
  { op: 'QuantizeAndDequantizeV2', kernel: quantizeDequantize },
  { op: 'QuantizeAndDequantizeV4', kernel: quantizeDequantize },
];
