/**
 * ParseSequenceExampleV2 (kernels/sequence-example.ts) against TF 2.21's
 * tf.io.parse_sequence_example on CPU (recorded as facts), on SequenceExamples written here
 * with protobufjs's Writer (tensorflow/core/example/example.proto field numbers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import protobuf from 'protobufjs';
import { Code, TfsError } from '../../../src/errors.js';
import { SEQUENCE_EXAMPLE_KERNELS } from '../../../src/runtime/kernels/sequence-example.js';
import { readWide } from '../../../src/runtime/wide-values.js';
import { str, values } from './helpers.js';

type Feat = { f: number[] } | { i: number[] };

/** Feature: float_list = 2, int64_list = 3 (each a packed field 1). */
function feature(w: protobuf.Writer, x: Feat): void {
  const list = protobuf.Writer.create();
  list.uint32((1 << 3) | 2).fork();
  if ('f' in x) for (const v of x.f) list.float(v);
  else for (const v of x.i) list.int64(v);
  list.ldelim();
  w.uint32((('f' in x ? 2 : 3) << 3) | 2).bytes(list.finish());
}

/** A map<string, V> entry (key = 1, value = 2) under `field`. */
function entry(w: protobuf.Writer, field: number, key: string, value: (v: protobuf.Writer) => void): void {
  w.uint32((field << 3) | 2).fork().uint32((1 << 3) | 2).string(key).uint32((2 << 3) | 2).fork();
  value(w);
  w.ldelim().ldelim();
}

/** SequenceExample: context Features = 1 (feature map = 1), feature_lists = 2 (feature_list map = 1, FeatureList.feature = 1). */
function seq(context: Record<string, Feat>, lists: Record<string, Feat[]>): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork();
  for (const [k, f] of Object.entries(context)) entry(w, 1, k, (v) => feature(v, f));
  w.ldelim().uint32((2 << 3) | 2).fork();
  for (const [k, steps] of Object.entries(lists)) {
    entry(w, 1, k, (v) => {
      for (const f of steps) {
        v.uint32((1 << 3) | 2).fork();
        feature(v, f);
        v.ldelim();
      }
    });
  }
  return w.ldelim().finish();
}

function parse(serialized: Uint8Array[], spec: { ctxSparse?: string[]; ctxDense: string[]; lists: string[]; optional: boolean[] }): tf.Tensor[] {
  const k = SEQUENCE_EXAMPLE_KERNELS[0]!;
  const keys = (ks: string[]): tf.Tensor => str(ks);
  const inputs = [
    tf.tensor(serialized, [serialized.length], 'string'), str([]), keys(spec.ctxSparse ?? []), keys(spec.ctxDense), keys([]),
    keys([]), keys(spec.lists), keys([]), tf.tensor1d(spec.optional.map(Number), 'bool'), tf.scalar(9), tf.tensor1d([], 'int32'),
  ];
  const attrs = {
    context_sparse_types: (spec.ctxSparse ?? []).map(() => 'int32'),
    Tcontext_dense: ['float32', 'int32'],
    context_dense_shapes: [[], []],
    feature_list_dense_types: ['int32', 'float32'],
    feature_list_dense_shapes: [[2], []],
  };
  return k.kernel({ inputs, attrs, node: { rawAttrs: {} } } as unknown as GraphNode) as tf.Tensor[];
}

test('ParseSequenceExampleV2: context features with defaults, dense feature lists padded with their lengths', async () => {
  await tf.setBackend('cpu');
  const batch = [seq({ a: { f: [1.5] }, id: { i: [2 ** 40 + 3] } }, { tok: [{ i: [1, 2] }, { i: [3, 4] }], val: [{ f: [0.5] }] }), seq({ id: { i: [-1] } }, { tok: [] })];
  const out = parse(batch, { ctxSparse: ['sp'], ctxDense: ['a', 'id'], lists: ['tok', 'val'], optional: [false, true] });
  const [spIdx, spVal, spShape, a, id, tok, val, lenTok, lenVal] = out;
  // TF: sp ([], [], [2, 0]); a [1.5, 9.0]; tok [[[1,2],[3,4]],[[0,0],[0,0]]]; val [[0.5],[0.0]]; lengths [2, 0], [1, 0]
  assert.deepEqual([spIdx!.shape, values(spVal!), values(spShape!)], [[0, 2], [], [2, 0]]);
  assert.deepEqual(values(a!), [1.5, 9]);
  assert.deepEqual([...(readWide(id!, 'int64') as BigInt64Array)], [2n ** 40n + 3n, -1n], 'int64 past int32 kept exact');
  assert.deepEqual([tok!.shape, values(tok!)], [[2, 2, 2], [1, 2, 3, 4, 0, 0, 0, 0]]);
  assert.deepEqual([val!.shape, values(val!)], [[2, 1], [0.5, 0]]);
  assert.deepEqual([values(lenTok!), values(lenVal!)], [[2, 0], [1, 0]]);
});

test('ParseSequenceExampleV2: TF\'s errors for a missing required list and a count that is not whole steps', async () => {
  await tf.setBackend('cpu');
  const bad = (f: () => unknown, text: string): void =>
    assert.throws(f, (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message === text);
  bad(() => parse([seq({ id: { i: [1] } }, {})], { ctxDense: ['a', 'id'], lists: ['tok', 'val'], optional: [false, true] }),
    "Name: <unknown>, Feature list 'tok' is required but could not be found.  Did you mean to include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?");
  bad(() => parse([seq({ id: { i: [1] } }, { tok: [{ i: [1, 2, 3] }] })], { ctxDense: ['a', 'id'], lists: ['tok', 'val'], optional: [false, true] }),
    "Feature list 'tok' has an unexpected number of values.  Total values size: 3 is not consistent with output shape: [?,2]");
});
