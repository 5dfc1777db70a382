/**
 * Channels-first (`data_format` NCHW / NCDHW) convolutions and pools, as Keras
 * `data_format="channels_first"` layers and raw `tf.nn` code write them. tfjs's wasm backend
 * has no NCHW conv, tfjs's conv3d, conv2dTranspose and depthwise conv ignore or refuse the
 * format, and tfjs-converter maps BiasAdd to a plain broadcasting add (bias on the last axis
 * whatever the format). So before fusion each such node runs channels-last between two
 * Transposes (moving values is exact, and the convolution sums the same products):
 *
 *   x -> Transpose(to NHWC) -> op (NHWC, attrs permuted) -> Transpose(to NCHW), named as the node
 *
 * and an NCHW `BiasAdd` becomes `_TfsBiasAddNCHW` (kernels/conv.ts), the bias on axis 1.
 *
 * TF's quirk reproduced here: TF's grappler remapper (oneDNN build, as TF 2.21's CPU wheels
 * and tensorflow_model_server run) fuses an NCHW `Conv2D`/`DepthwiseConv2dNative` with a
 * `BiasAdd` that is its only consumer without looking at the BiasAdd's own `data_format`:
 * a channels-last BiasAdd after an NCHW conv adds its bias on the channel axis (and fails at
 * run when the lengths differ). Unfused (the conv's result also fetched or used elsewhere)
 * it adds on the last axis as written. tfs gives the same answers.
 */
import type { Tensor } from '../tensor/tensor.js';
import { splitRef } from './freeze/bind.js';
import type { AttrJson, NodeJson } from './graph-json.js';
import { BIAS_ADD_NCHW_OP, DILATED_CONV2D_BACKPROP_INPUT_OP } from './kernels/conv.js';

/** Per op: which data input holds the image (the others are filters, sizes), rank 4 or 5. */
const SPATIAL: Readonly<Record<string, { data: number; rank: 4 | 5; sizes?: number }>> = {
  Conv2D: { data: 0, rank: 4 },
  DepthwiseConv2dNative: { data: 0, rank: 4 },
  MaxPool: { data: 0, rank: 4 },
  AvgPool: { data: 0, rank: 4 },
  Conv3D: { data: 0, rank: 5 },
  MaxPool3D: { data: 0, rank: 5 },
  AvgPool3D: { data: 0, rank: 5 },
  Conv2DBackpropInput: { data: 2, rank: 4, sizes: 0 },
  [DILATED_CONV2D_BACKPROP_INPUT_OP]: { data: 2, rank: 4, sizes: 0 },
  Conv3DBackpropInputV2: { data: 2, rank: 5, sizes: 0 },
};
/** Attrs holding one value per dimension, in the node's data_format order. */
const PER_DIM_ATTRS = ['strides', 'dilations', 'ksize'];
const FUSABLE_CONVS = new Set(['Conv2D', 'DepthwiseConv2dNative']);

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const nodeOf = (ref: string): string => splitRef(ref)[0]!;
const formatOf = (n: NodeJson): string => (n.attr['data_format']?.s ? Buffer.from(n.attr['data_format'].s, 'base64').toString() : '');
const isChannelsFirst = (n: NodeJson): boolean => formatOf(n) === 'NCHW' || formatOf(n) === 'NCDHW';

/** The permutation taking a channels-first tensor of `rank` to channels-last, and back. */
export function toLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}
export function toFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** `attr` of a channels-first node rewritten for its channels-last twin. */
function permutedAttrs(attr: Record<string, AttrJson>, rank: number): Record<string, AttrJson> {
  const perm = toLastPerm(rank);
  const out: Record<string, AttrJson> = { ...attr, data_format: { s: b64(rank === 4 ? 'NHWC' : 'NDHWC') } };
  for (const k of PER_DIM_ATTRS) {
    const v = attr[k]?.list?.i;
    if (v?.length === rank) out[k] = { list: { i: perm.map((p) => v[p]!) } };
  }
  const pads = attr['explicit_paddings']?.list?.i;
  if (pads?.length === 2 * rank) out['explicit_paddings'] = { list: { i: perm.flatMap((p) => [pads[2 * p]!, pads[2 * p + 1]!]) } };
  return out;
}

/** Adds (once per node list) an int32 Const holding `values`, returning its name. */
function intConst(ctx: Ctx, tag: string, values: number[]): string {
  const name = `_tfs_channels_last/${tag}_${values.join('')}`;
  if (!ctx.added.has(name)) {
    ctx.added.add(name);
    ctx.weights.set(name, { dtype: 'DT_INT32', shape: [values.length], data: Int32Array.from(values) });
    ctx.out.push({ name, op: 'Const', input: [], attr: { dtype: { type: 'DT_INT32' } } });
  }
  return name;
}

interface Ctx {
  out: NodeJson[];
  weights: Map<string, Tensor>;
  added: Set<string>;
}

function transpose(ctx: Ctx, name: string, x: string, perm: number[], t: AttrJson | undefined): string {
  ctx.out.push({ name, op: 'Transpose', input: [x, intConst(ctx, 'perm', perm)], attr: { T: t ?? { type: 'DT_FLOAT' }, Tperm: { type: 'DT_INT32' } } });
  return name;
}

/** `n` (channels-first) as Transpose -> channels-last twin -> Transpose named `n.name`. */
function rewriteSpatial(ctx: Ctx, n: NodeJson): void {
  const spec = SPATIAL[n.op]!;
  const t = n.attr['T'];
  const inputs = [...n.input];
  inputs[spec.data] = transpose(ctx, `${n.name}/_tfs_to_nhwc`, n.input[spec.data]!, toLastPerm(spec.rank), t);
  if (spec.sizes !== undefined) {
    // The output size vector is in the node's format too: pick its entries in NHWC order.
    const gather = `${n.name}/_tfs_sizes_nhwc`;
    const indices = intConst(ctx, 'perm', toLastPerm(spec.rank));
    const axis = intConst(ctx, 'axis', [0]);
    ctx.out.push({ name: gather, op: 'GatherV2', input: [n.input[spec.sizes]!, indices, axis],
      attr: { Tparams: { type: 'DT_INT32' }, Tindices: { type: 'DT_INT32' }, Taxis: { type: 'DT_INT32' }, batch_dims: { i: 0 } } });
    inputs[spec.sizes] = gather;
  }
  const twin = `${n.name}/_tfs_nhwc`;
  ctx.out.push({ ...n, name: twin, input: inputs, attr: permutedAttrs(n.attr, spec.rank) });
  transpose(ctx, n.name, twin, toFirstPerm(spec.rank), t);
}

/**
 * What TF's grappler sees as the same node (its common-subexpression pass merges them before
 * the remapper runs): op, attrs and inputs, a weight input by its value.
 */
function identity(n: NodeJson, weights: ReadonlyMap<string, Tensor>): string {
  const input = n.input.map((i) => {
    const w = weights.get(nodeOf(i));
    if (!w) return i;
    const d = w.data;
    const bytes = ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') : JSON.stringify(d.map((b) => [...b]));
    return `${w.dtype}[${w.shape.join(',')}]${bytes}`;
  });
  return JSON.stringify([n.op, input, Object.entries(n.attr).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

/**
 * Names of channels-last BiasAdds TF's remapper fuses into the NCHW conv before them (see
 * above): the conv (with every identical conv grappler would merge into it) has no other
 * consumer and is not fetched.
 */
function fusedAcrossLayouts(nodes: readonly NodeJson[], weights: ReadonlyMap<string, Tensor>, keep: ReadonlySet<string>): Set<string> {
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.input) if (!i.startsWith('^')) uses.set(nodeOf(i), (uses.get(nodeOf(i)) ?? 0) + 1);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const convs = nodes.filter((n) => FUSABLE_CONVS.has(n.op) && isChannelsFirst(n));
  const out = new Set<string>();
  for (const n of nodes) {
    if (n.op !== 'BiasAdd' || isChannelsFirst(n) || n.input.length < 2) continue;
    const conv = byName.get(nodeOf(n.input[0]!));
    if (!conv || !convs.includes(conv) || nodeOf(n.input[1]!) === conv.name) continue;
    const id = identity(conv, weights);
    const merged = convs.filter((c) => c === conv || identity(c, weights) === id);
    if (merged.some((c) => keep.has(c.name))) continue;
    if (merged.reduce((k, c) => k + (uses.get(c.name) ?? 0), 0) === 1) out.add(n.name);
  }
  return out;
}

/**
 * The node list with every channels-first conv/pool running channels-last and every NCHW
 * BiasAdd as `_TfsBiasAddNCHW`; `weights` gains the permutation constants. `keep`: names
 * whose own outputs are fetched or fed.
 */
export function toChannelsLast(nodes: NodeJson[], weights: Map<string, Tensor>, keep: ReadonlySet<string>): NodeJson[] {
  if (!nodes.some(isChannelsFirst)) return nodes;
  const asNchw = fusedAcrossLayouts(nodes, weights, keep);
  const ctx: Ctx = { out: [], weights, added: new Set(nodes.map((n) => n.name)) };
  for (const n of nodes) {
    if (n.op === 'BiasAdd' && (isChannelsFirst(n) || asNchw.has(n.name))) ctx.out.push({ ...n, op: BIAS_ADD_NCHW_OP });
    else if (SPATIAL[n.op] && isChannelsFirst(n)) rewriteSpatial(ctx, n);
    else ctx.out.push(n);
  }
  return ctx.out;
}
