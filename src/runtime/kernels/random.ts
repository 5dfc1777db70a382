/**
 * Stateless random ops as TensorFlow's CPU kernels compute them, bit for bit: the
 * Philox-4x32-10 counter-based generator, the seed scrambling of `GenerateKey`
 * (stateless_random_ops.cc), the key/counter layout of the V2 ops (a uint64 key, a uint64[2]
 * counter, low words first), and the distributions of random_distributions.h: uniform floats
 * from 23 (float) or 52 (double) mantissa bits, Box-Muller normals, truncated normals by
 * rejection with 256 Philox calls reserved per group of 4 outputs (random_op_cpu.h), integers
 * as `lo + bits % range`. Only Philox runs: TF's CPU kernels pick it for `auto_select` too;
 * ThreeFry is refused. half/bfloat16 outputs are refused (TF draws them differently).
 * Normal and truncated normal are implemented but REFUSED at run time: TF's Box-Muller steps
 * call glibc's logf and sincosf (its FMA variants on x86-64), and V8's Math.log/sin/cos
 * rounded to float32 differ from them by 1 ulp in ~1.5% of values (measured on 400k draws).
 * Checked against TF 2.21 in test/runtime/kernels/random.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { makeWide, readWide } from '../wide-values.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrType, numbersOf, sizeOf } from './util.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const RNG_ALG_PHILOX = 1;
const RNG_ALG_AUTO_SELECT = 3;

/** The high 32 bits of the 64-bit product of two uint32s. */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const m1 = ah * bl;
  const m2 = al * bh;
  const carry = ((al * bl) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (ah * bh + (m1 >>> 16) + (m2 >>> 16) + Math.floor(carry / 65536)) >>> 0;
}

/** Philox-4x32-10: a 128-bit counter and a 64-bit key, 4 uint32s per call. */
export class Philox {
  constructor(readonly counter: Uint32Array, readonly key: Uint32Array) {}

  clone(): Philox {
    return new Philox(this.counter.slice(), this.key.slice());
  }

  /** Advances the 128-bit counter by `n` (a non-negative integer below 2^53). */
  skip(n: number): void {
    const c = this.counter;
    let carry = n;
    for (let i = 0; i < 4 && carry !== 0; i++) {
      const s = c[i]! + (carry % 4294967296);
      carry = Math.floor(carry / 4294967296) + (s >= 4294967296 ? 1 : 0);
      c[i] = s >>> 0;
    }
  }

  next(): Uint32Array {
    let c0 = this.counter[0]!;
    let c1 = this.counter[1]!;
    let c2 = this.counter[2]!;
    let c3 = this.counter[3]!;
    let k0 = this.key[0]!;
    let k1 = this.key[1]!;
    for (let round = 0; round < 10; round++) {
      const hi0 = mulhi(M0, c0);
      const lo0 = Math.imul(M0, c0) >>> 0;
      const hi1 = mulhi(M1, c2);
      const lo1 = Math.imul(M1, c2) >>> 0;
      c0 = (hi1 ^ c1 ^ k0) >>> 0;
      c1 = lo1;
      c2 = (hi0 ^ c3 ^ k1) >>> 0;
      c3 = lo0;
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    this.skip(1);
    return Uint32Array.of(c0, c1, c2, c3);
  }
}

const lo32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
const hi32 = (v: bigint): number => Number(BigInt.asUintN(32, v >> 32n));

/** TF's `GenerateKey`: the two seeds scrambled by one Philox call into a key and a counter. */
export function philoxFromSeed(seed0: bigint, seed1: bigint): Philox {
  const mix = new Philox(Uint32Array.of(lo32(seed0), hi32(seed0), lo32(seed1), hi32(seed1)), Uint32Array.of(0x3ec8f720, 0x02461e29)).next();
  return new Philox(Uint32Array.of(0, 0, mix[2]!, mix[3]!), Uint32Array.of(mix[0]!, mix[1]!));
}

function seedOf(node: GraphNode, i: number): [bigint, bigint] {
  const t = kernelInput(node, i);
  if (t.shape.length !== 1 || t.shape[0] !== 2) {
    throw Errors.kernelArgument(`seed must have shape [2], not [${t.shape.join(',')}]`);
  }
  const v = readWide(t, 'int64') as BigInt64Array;
  return [BigInt.asUintN(64, v[0]!), BigInt.asUintN(64, v[1]!)];
}

/** The V2 ops' key (uint64[1]), counter (uint64[2]) and algorithm inputs as a Philox. */
function philoxFromKeyCounter(node: GraphNode, first: number): Philox {
  const alg = numbersOf(kernelInput(node, first + 2))[0];
  if (alg !== RNG_ALG_PHILOX && alg !== RNG_ALG_AUTO_SELECT) {
    if (alg === 2) throw Errors.kernelUnsupported('StatelessRandom', 'the ThreeFry algorithm (alg 2; TF CPU uses Philox)');
    throw Errors.kernelArgument(`Unsupported algorithm id: ${alg}`);
  }
  const key = readWide(kernelInput(node, first), 'uint64') as BigUint64Array;
  const counter = readWide(kernelInput(node, first + 1), 'uint64') as BigUint64Array;
  if (key.length !== 1) throw Errors.kernelArgument(`The size of the key must be 1, got ${key.length}`);
  if (counter.length < 2) throw Errors.kernelArgument(`The size of the counter must be at least 2, got ${counter.length}`);
  return new Philox(Uint32Array.of(lo32(counter[0]!), hi32(counter[0]!), lo32(counter[1]!), hi32(counter[1]!)), Uint32Array.of(lo32(key[0]!), hi32(key[0]!)));
}


function shapeOf(node: GraphNode): number[] {
  const dims = numbersOf(kernelInput(node, 0));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw Errors.kernelArgument(`Dimension must be non-negative, got [${dims.join(',')}]`);
  return dims;
}

// --- distributions -------------------------------------------------------------------

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** 23 random mantissa bits as a float in [0, 1) (TF's Uint32ToFloat). */
function uint32ToFloat(x: number): number {
  U32[0] = (127 << 23) | (x & 0x7fffff);
  return Math.fround(F32[0]! - 1);
}

const F64 = new Float64Array(1);
const U64 = new Uint32Array(F64.buffer);

/** 52 random mantissa bits (20 of x0, 32 of x1) as a double in [0, 1) (TF's Uint64ToDouble). */
function uint64ToDouble(x0: number, x1: number): number {
  U64[0] = x1 >>> 0;
  U64[1] = ((1023 << 20) | (x0 & 0xfffff)) >>> 0;
  return F64[0]! - 1;
}

/** TF's BoxMullerFloat, each step rounded to float32 as the C++ computes it. */
function boxMullerFloat(x0: number, x1: number): [number, number] {
  let u1 = uint32ToFloat(x0);
  if (u1 < Math.fround(1e-7)) u1 = Math.fround(1e-7);
  const v1 = Math.fround(2 * Math.PI * uint32ToFloat(x1)); // 2.0f * M_PI is a double product
  const u2 = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
  return [Math.fround(Math.fround(Math.sin(v1)) * u2), Math.fround(Math.fround(Math.cos(v1)) * u2)];
}

function boxMullerDouble(x0: number, x1: number, x2: number, x3: number): [number, number] {
  let u1 = uint64ToDouble(x0, x1);
  if (u1 < 1e-7) u1 = 1e-7;
  const v1 = 2 * Math.PI * uint64ToDouble(x2, x3);
  const u2 = Math.sqrt(-2 * Math.log(u1));
  return [Math.sin(v1) * u2, Math.cos(v1) * u2];
}

type Group = (gen: Philox) => number[];

const uniformGroup = (wide: boolean): Group => (gen) => {
  const s = gen.next();
  return wide ? [uint64ToDouble(s[0]!, s[1]!), uint64ToDouble(s[2]!, s[3]!)] : Array.from(s, uint32ToFloat);
};

const normalGroup = (wide: boolean): Group => (gen) => {
  const s = gen.next();
  return wide ? boxMullerDouble(s[0]!, s[1]!, s[2]!, s[3]!) : [...boxMullerFloat(s[0]!, s[1]!), ...boxMullerFloat(s[2]!, s[3]!)];
};

/** One uint32 at a time from a Philox (TF's SingleSampleAdapter). */
function singleSamples(gen: Philox): () => number {
  let buf: Uint32Array = new Uint32Array(0);
  let used = 0;
  return () => {
    if (used === buf.length) {
      buf = gen.next();
      used = 0;
    }
    return buf[used++]!;
  };
}

/** Normals with |x| < 2 by rejection: 4 floats (2 doubles) per group. */
const truncatedGroup = (wide: boolean): Group => (gen) => {
  const next = singleSamples(gen);
  const want = wide ? 2 : 4;
  const out: number[] = [];
  for (;;) {
    const pair = wide ? boxMullerDouble(next(), next(), next(), next()) : boxMullerFloat(next(), next());
    for (const v of pair) {
      if (Math.abs(v) < 2) out.push(v);
      if (out.length === want) return out;
    }
  }
};

/**
 * TF's FillPhiloxRandom: groups drawn in sequence; a distribution taking a variable number of
 * samples (truncated normal) starts group g at counter + g * 256.
 */
function fill(gen: Philox, size: number, group: Group, variable: boolean): number[] {
  const out: number[] = [];
  const base = gen.clone();
  for (let g = 0; out.length < size; g++) {
    let src = gen;
    if (variable) {
      src = base.clone();
      src.skip(g * 256);
    }
    for (const v of group(src)) if (out.length < size) out.push(v);
  }
  return out;
}

type Dist = 'uniform' | 'normal' | 'truncated';
const boxMuller = (d: Dist): boolean => d !== 'uniform';

function floatResult(node: GraphNode, gen: Philox, dist: Dist): tf.Tensor {
  const shape = shapeOf(node);
  const dtype = attrType(node, 'dtype', 'DT_FLOAT');
  if (dtype !== 'DT_FLOAT' && dtype !== 'DT_DOUBLE') throw Errors.kernelUnsupported('StatelessRandom', `random values of type ${dtype}`);
  const wide = dtype === 'DT_DOUBLE';
  // TF's Box-Muller calls glibc's logf/sincosf (double: log/sincos), which round differently
  // from V8's Math.log/sin/cos in the last place for ~1.5% of values: refused, not 1 ulp off.
  if (boxMuller(dist)) throw Errors.kernelUnsupported('StatelessRandom', `${dist} random values (TF's Box-Muller uses glibc's logf/sincosf, which tfs does not reproduce bit for bit)`);
  const group = { uniform: uniformGroup, normal: normalGroup, truncated: truncatedGroup }[dist](wide);
  const vals = fill(gen, sizeOf(shape), group, dist === 'truncated');
  if (wide) return makeWide('float64', Float64Array.from(vals), shape);
  return tf.tensor(Float32Array.from(vals), shape, 'float32');
}

// --- integers ------------------------------------------------------------------------

function intValues(gen: Philox, size: number, wide: boolean, map: (bits: bigint) => bigint): bigint[] {
  const out: bigint[] = [];
  while (out.length < size) {
    const s = gen.next();
    const bits = wide ? [BigInt(s[0]!) | (BigInt(s[1]!) << 32n), BigInt(s[2]!) | (BigInt(s[3]!) << 32n)] : Array.from(s, BigInt);
    for (const b of bits) if (out.length < size) out.push(map(b));
  }
  return out;
}

const INT_KINDS: Record<string, { wide: boolean; signed: boolean }> = {
  DT_INT32: { wide: false, signed: true },
  DT_UINT32: { wide: false, signed: false },
  DT_INT64: { wide: true, signed: true },
  DT_UINT64: { wide: true, signed: false },
};

function intResult(dtype: string, vals: bigint[], shape: number[]): tf.Tensor {
  if (dtype === 'DT_INT32') return tf.tensor(Int32Array.from(vals, Number), shape, 'int32');
  if (dtype === 'DT_INT64') return makeWide('int64', BigInt64Array.from(vals), shape);
  if (dtype === 'DT_UINT32') return makeWide('uint32', BigUint64Array.from(vals), shape);
  return makeWide('uint64', BigUint64Array.from(vals), shape);
}

function intKind(node: GraphNode, attr: string, allowed: string[]): { dtype: string; wide: boolean; signed: boolean } {
  const dtype = attrType(node, attr, 'DT_INT32');
  const k = INT_KINDS[dtype];
  if (!k || !allowed.includes(dtype)) throw Errors.kernelUnsupported('StatelessRandom', `random values of type ${dtype}`);
  return { dtype, ...k };
}

/** Integers in [minval, maxval): `lo + bits % (hi - lo)` in the type's width. */
function uniformInt(node: GraphNode, gen: Philox, minIndex: number): tf.Tensor {
  const shape = shapeOf(node);
  const { dtype, wide } = intKind(node, 'dtype', ['DT_INT32', 'DT_INT64']);
  const lo = scalarBig(node, minIndex);
  const hi = scalarBig(node, minIndex + 1);
  if (sizeOf(shape) === 0) return intResult(dtype, [], shape);
  if (!(lo < hi)) throw Errors.kernelArgument(`Need minval < maxval, got ${lo} >= ${hi}`);
  const range = hi - lo;
  const vals = intValues(gen, sizeOf(shape), wide, (b) => lo + (b % range));
  return intResult(dtype, vals, shape);
}

function scalarBig(node: GraphNode, i: number): bigint {
  const t = kernelInput(node, i);
  if (t.shape.length !== 0) throw Errors.kernelArgument(`minval and maxval must be 0-D, got shape [${t.shape.join(',')}]`);
  return readWide(t, 'int64')[0] as bigint;
}

/** Integers over the whole range of the type. */
function uniformFullInt(node: GraphNode, gen: Philox): tf.Tensor {
  const shape = shapeOf(node);
  const { dtype, wide, signed } = intKind(node, 'dtype', ['DT_INT32', 'DT_INT64', 'DT_UINT32', 'DT_UINT64']);
  const width = wide ? 64 : 32;
  const vals = intValues(gen, sizeOf(shape), wide, (b) => (signed ? BigInt.asIntN(width, b) : b));
  return intResult(dtype, vals, shape);
}

// --- key and counter -----------------------------------------------------------------

function keyCounter(node: GraphNode): tf.Tensor[] {
  const [s0, s1] = seedOf(node, 0);
  const gen = philoxFromSeed(s0, s1);
  const c = gen.counter;
  const k = gen.key;
  const key = makeWide('uint64', BigUint64Array.of(BigInt(k[0]!) | (BigInt(k[1]!) << 32n)), [1]);
  const counter = makeWide('uint64', BigUint64Array.of(BigInt(c[0]!) | (BigInt(c[1]!) << 32n), BigInt(c[2]!) | (BigInt(c[3]!) << 32n)), [2]);
  return [key, counter];
}

const v1 = (dist: Dist) => (node: GraphNode): tf.Tensor => {
  const [s0, s1] = seedOf(node, 1);
  return floatResult(node, philoxFromSeed(s0, s1), dist);
};

const v2 = (dist: Dist) => (node: GraphNode): tf.Tensor => floatResult(node, philoxFromKeyCounter(node, 1), dist);

function seeded(node: GraphNode): Philox {
  const [s0, s1] = seedOf(node, 1);
  return philoxFromSeed(s0, s1);
}

/** Ops whose inputs and outputs carry exact 64-bit values (the freezer keeps them wide). */
export const RANDOM_EXACT_OPS: ReadonlySet<string> = new Set([
  'StatelessRandomUniform', 'StatelessRandomNormal', 'StatelessTruncatedNormal',
  'StatelessRandomUniformV2', 'StatelessRandomNormalV2', 'StatelessTruncatedNormalV2',
  'StatelessRandomUniformInt', 'StatelessRandomUniformIntV2',
  'StatelessRandomUniformFullInt', 'StatelessRandomUniformFullIntV2',
  'StatelessRandomGetKeyCounter', 'StatelessRandomGetKeyCounterAlg', 'StatelessRandomGetAlg',
]);

export const RANDOM_KERNELS: readonly KernelEntry[] = [
  { op: 'StatelessRandomUniform', kernel: v1('uniform') },
  { op: 'StatelessRandomNormal', kernel: v1('normal') },
  { op: 'StatelessTruncatedNormal', kernel: v1('truncated') },
  { op: 'StatelessRandomUniformV2', kernel: v2('uniform') },
  { op: 'StatelessRandomNormalV2', kernel: v2('normal') },
  { op: 'StatelessTruncatedNormalV2', kernel: v2('truncated') },
  { op: 'StatelessRandomUniformInt', kernel: (node) => uniformInt(node, seeded(node), 2) },
  { op: 'StatelessRandomUniformIntV2', kernel: (node) => uniformInt(node, philoxFromKeyCounter(node, 1), 4) },
  { op: 'StatelessRandomUniformFullInt', kernel: (node) => uniformFullInt(node, seeded(node)) },
  { op: 'StatelessRandomUniformFullIntV2', kernel: (node) => uniformFullInt(node, philoxFromKeyCounter(node, 1)) },
  { op: 'StatelessRandomGetKeyCounter', kernel: keyCounter },
  { op: 'StatelessRandomGetKeyCounterAlg', kernel: (node) => [...keyCounter(node), tf.scalar(RNG_ALG_PHILOX, 'int32')] },
  { op: 'StatelessRandomGetAlg', kernel: () => tf.scalar(RNG_ALG_PHILOX, 'int32') },
];

