/**
 * SparseCross (sparse_cross_op.cc), as feature columns' `crossed_column` uses it: the
 * cartesian product of each batch row's features over the sparse and dense inputs (last
 * input varying fastest), either hashed (FingerprintCat64 over each feature's hash, string
 * features through Fingerprint64, int64 ones as their bits) or joined with "_X_".
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { readWide } from '../wide-values.js';
import { fingerprintCat64 } from './hash.js';
import type { KernelEntry } from './types.js';
import { attrBigInts, attrBool, attrInt, bytesOf, intTensor, numbersOf, stringTensor } from './util.js';

type Feature = bigint | Uint8Array;

function fingerprint64(b: Uint8Array): bigint {
  const l = tf.util.fingerPrint64(b);
  return (BigInt(l.getHighBitsUnsigned()) << 32n) | BigInt(l.getLowBitsUnsigned());
}

const featureHash = (f: Feature): bigint => (typeof f === 'bigint' ? BigInt.asUintN(64, f) : fingerprint64(f));
const featureText = (f: Feature): string => (typeof f === 'bigint' ? f.toString() : Buffer.from(f).toString('latin1'));

/**
 * int64 features as their exact values (wide-values.ts): the freezer passes the value and dense
 * inputs unchecked (freeze/basic.ts SATURATION_EXACT), so ids past 2^31 (Keras HashedCrossing of
 * int64 ids, `tf.sparse.cross_hashed`) cross as TF crosses them instead of failing.
 */
const elements = (t: tf.Tensor): Feature[] => (t.dtype === 'string' ? bytesOf(t) : Array.from(readWide(t, 'int64') as BigInt64Array));

/** Each input's features per batch row. */
function columns(node: GraphNode): { rows: number; cols: Feature[][][] } {
  const n = attrInt(node, 'N', 0);
  const ins = node.inputs;
  const dense = ins.slice(3 * n);
  const shapes = ins.slice(2 * n, 3 * n).map(numbersOf);
  const rows = shapes[0]?.[0] ?? dense[0]?.shape[0] ?? 0;
  const cols: Feature[][][] = [];
  for (let k = 0; k < n; k++) {
    const idx = numbersOf(ins[k]!);
    const vals = elements(ins[n + k]!);
    const perRow: Feature[][] = Array.from({ length: rows }, () => []);
    vals.forEach((v, j) => {
      const r = idx[j * 2]!;
      if (r < 0 || r >= rows) throw Errors.kernelArgument(`Invalid SparseTensor index ${r} for batch size ${rows}`);
      perRow[r]!.push(v);
    });
    cols.push(perRow);
  }
  for (const d of dense) {
    if (d.shape[0] !== rows) throw Errors.kernelArgument(`Expected batch size ${rows} got ${d.shape[0]}`);
    const w = d.rank > 1 ? d.shape[1]! : 1;
    const vals = elements(d);
    cols.push(Array.from({ length: rows }, (_, r) => vals.slice(r * w, (r + 1) * w)));
  }
  return { rows, cols };
}

function sparseCross(node: GraphNode): tf.Tensor[] {
  const { rows, cols } = columns(node);
  const hashed = attrBool(node, 'hashed_output', false);
  const buckets = attrBigInts(node, 'num_buckets')[0] ?? 0n;
  const key = BigInt.asUintN(64, attrBigInts(node, 'hash_key')[0] ?? 0n);
  const idx: number[] = [];
  const out: (bigint | Uint8Array)[] = [];
  let widest = 0;
  for (let r = 0; r < rows; r++) {
    const feats = cols.map((c) => c[r]!);
    if (feats.some((f) => f.length === 0)) continue;
    const perm = feats.map(() => 0);
    let k = 0;
    for (let more = true; more; k++) {
      const chosen = perm.map((p, i) => feats[i]![p]!);
      if (hashed) {
        const h = chosen.reduce<bigint>((acc, f) => fingerprintCat64(acc, featureHash(f)), key);
        out.push(buckets > 0n ? h % buckets : h % (2n ** 63n - 1n));
      } else out.push(new Uint8Array(Buffer.from(chosen.map(featureText).join('_X_'), 'latin1')));
      idx.push(r, k);
      more = false;
      for (let i = perm.length - 1; i >= 0 && !more; i--) {
        perm[i]!++;
        if (perm[i]! < feats[i]!.length) more = true;
        else perm[i] = 0;
      }
    }
    widest = Math.max(widest, k);
  }
  const values = hashed ? intTensor(out as bigint[], [out.length], 'SparseCross hashed value') : stringTensor(out as Uint8Array[], [out.length]);
  return [intTensor(idx, [out.length, 2], 'SparseCross indices'), values, intTensor([rows, widest], [2], 'SparseCross shape')];
}

export const SPARSE_CROSS_KERNELS: readonly KernelEntry[] = [{ op: 'SparseCross', kernel: sparseCross }];
