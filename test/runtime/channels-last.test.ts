/**
 * Channels-first convolutions run channels-last between Transposes (src/runtime/channels-last.ts),
 * and TF's fusion of an NCHW conv with a channels-last BiasAdd (bias on the channels) is
 * reproduced only where TF's remapper fuses: the conv's sole consumer, not fetched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toChannelsLast, toFirstPerm, toLastPerm } from '../../src/runtime/channels-last.js';
import type { AttrJson, NodeJson } from '../../src/runtime/graph-json.js';
import { BIAS_ADD_NCHW_OP } from '../../src/runtime/kernels/conv.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const s = (text: string): AttrJson => ({ s: Buffer.from(text).toString('base64') });
const ints = (v: number[]): AttrJson => ({ list: { i: v } });
const node = (name: string, op: string, input: string[], attr: Record<string, AttrJson> = {}): NodeJson => ({ name, op, input, attr });
const weight = (data: number[], shape: number[]): Tensor => ({ dtype: 'DT_FLOAT', shape, data: Float32Array.from(data) });
const ops = (nodes: NodeJson[]): Record<string, string> => Object.fromEntries(nodes.map((n) => [n.name, n.op]));

test('permutations between channels-first and channels-last', () => {
  assert.deepEqual(toLastPerm(4), [0, 2, 3, 1]);
  assert.deepEqual(toFirstPerm(4), [0, 3, 1, 2]);
  assert.deepEqual(toLastPerm(5), [0, 2, 3, 4, 1]);
  assert.deepEqual(toFirstPerm(5), [0, 4, 1, 2, 3]);
});

test('an NCHW Conv2D becomes Transpose -> NHWC Conv2D (attrs permuted) -> Transpose under its own name', () => {
  const conv = node('c', 'Conv2D', ['x', 'w'], {
    T: { type: 'DT_FLOAT' }, data_format: s('NCHW'), strides: ints([1, 1, 2, 3]), dilations: ints([1, 1, 1, 2]),
    padding: s('EXPLICIT'), explicit_paddings: ints([0, 0, 0, 0, 1, 2, 3, 4]),
  });
  const weights = new Map([['w', weight([1], [1, 1, 1, 1])]]);
  const out = toChannelsLast([node('x', 'Placeholder', []), node('w', 'Const', []), conv], weights, new Set());
  const byName = new Map(out.map((n) => [n.name, n]));
  assert.equal(byName.get('c')?.op, 'Transpose');
  assert.deepEqual(byName.get('c')?.input[0], 'c/_tfs_nhwc');
  const twin = byName.get('c/_tfs_nhwc')!;
  assert.deepEqual(twin.input, ['c/_tfs_to_nhwc', 'w']);
  assert.equal(Buffer.from(twin.attr['data_format']!.s!, 'base64').toString(), 'NHWC');
  assert.deepEqual(twin.attr['strides']?.list?.i, [1, 2, 3, 1]);
  assert.deepEqual(twin.attr['dilations']?.list?.i, [1, 1, 2, 1]);
  assert.deepEqual(twin.attr['explicit_paddings']?.list?.i, [0, 0, 1, 2, 3, 4, 0, 0]);
  const toNhwc = byName.get('c/_tfs_to_nhwc')!;
  assert.equal(toNhwc.input[0], 'x');
  assert.deepEqual(Array.from(weights.get(toNhwc.input[1]!)!.data as Int32Array), [0, 2, 3, 1]);
  assert.deepEqual(Array.from(weights.get(byName.get('c')!.input[1]!)!.data as Int32Array), [0, 3, 1, 2]);
});

test('a Conv2DBackpropInput NCHW picks its input_sizes in NHWC order; NHWC graphs are left as they are', () => {
  const t = node('t', 'Conv2DBackpropInput', ['sizes', 'w', 'dy'], { data_format: s('NCHW'), strides: ints([1, 1, 2, 2]) });
  const out = toChannelsLast([t], new Map(), new Set());
  const gather = out.find((n) => n.name === 't/_tfs_sizes_nhwc')!;
  assert.equal(gather.op, 'GatherV2');
  assert.equal(gather.input[0], 'sizes');
  assert.deepEqual(out.find((n) => n.name === 't/_tfs_nhwc')?.input, ['t/_tfs_sizes_nhwc', 'w', 't/_tfs_to_nhwc']);
  const nhwc = [node('c', 'Conv2D', ['x', 'w'], { data_format: s('NHWC') }), node('b', 'BiasAdd', ['c', 'bias'])];
  assert.equal(toChannelsLast(nhwc, new Map(), new Set()), nhwc);
});

test('BiasAdd: NCHW runs on axis 1; channels-last after an NCHW conv only where TF fuses them', () => {
  const weights = new Map([['w', weight([1, 2], [1, 1, 1, 2])], ['w2', weight([1, 2], [1, 1, 1, 2])], ['w3', weight([3, 2], [1, 1, 1, 2])]]);
  const conv = (name: string, w = 'w'): NodeJson => node(name, 'Conv2D', ['x', w], { data_format: s('NCHW'), strides: ints([1, 1, 1, 1]) });
  const graph = (extra: NodeJson[]): NodeJson[] => [node('x', 'Placeholder', []), ...extra];
  // NCHW BiasAdd, and a channels-last one that is its conv's only consumer: both on the channels.
  let out = toChannelsLast(graph([conv('c'), node('b', 'BiasAdd', ['c', 'bias'], { data_format: s('NCHW') }),
    conv('d', 'w3'), node('e', 'BiasAdd', ['d:0', 'bias'])]), weights, new Set());
  assert.equal(ops(out)['b'], BIAS_ADD_NCHW_OP);
  assert.equal(ops(out)['e'], BIAS_ADD_NCHW_OP);
  // The conv fetched, or used elsewhere too: TF does not fuse, the bias goes on the last axis.
  out = toChannelsLast(graph([conv('d'), node('e', 'BiasAdd', ['d', 'bias'])]), weights, new Set(['d']));
  assert.equal(ops(out)['e'], 'BiasAdd');
  out = toChannelsLast(graph([conv('d'), node('e', 'BiasAdd', ['d', 'bias']), node('r', 'Relu', ['d'])]), weights, new Set());
  assert.equal(ops(out)['e'], 'BiasAdd');
  // An identical conv (same input, a weight of the same value) is merged with it by grappler first.
  out = toChannelsLast(graph([conv('d'), node('e', 'BiasAdd', ['d', 'bias']), conv('d2', 'w2'), node('r', 'Relu', ['d2'])]), weights, new Set());
  assert.equal(ops(out)['e'], 'BiasAdd');
  out = toChannelsLast(graph([conv('d'), node('e', 'BiasAdd', ['d', 'bias']), conv('d3', 'w3'), node('r', 'Relu', ['d3'])]), weights, new Set());
  assert.equal(ops(out)['e'], BIAS_ADD_NCHW_OP);
});
