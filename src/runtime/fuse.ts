/**
 * Constant folding of shape-only ops on weights, then operator fusion on the frozen graph,
 * as TF's grappler remapper does for the official tfjs converter: `MatMul` / `Conv2D` / `DepthwiseConv2dNative` followed by a bias add and
 * optionally an activation become one `_FusedMatMul` / `_FusedConv2D` /
 * `FusedDepthwiseConv2dNative` node. Fewer nodes means less executor work per call, and
 * the wasm backend applies bias and activation inside its XNNPACK kernels.
 *
 * A chain is fused only when every intermediate result has no other consumer and is not
 * fetched, the bias is a rank-1 weight whose length is the layer's output channels, and
 * the bias add is NHWC. The fused node keeps the name of the chain's last node, so
 * references to the chain's result stay valid.
 */
import type { Tensor } from '../tensor/tensor.js';
import { splitRef } from './freeze/bind.js';
import type { AttrJson, GraphJson, NodeJson } from './graph-json.js';
import { toChannelsLast } from './channels-last.js';
import { GROUPED_CONV_OP } from './kernels/grouped-conv.js';
import { POW_HALF_OP, POW_MINUS_HALF_OP } from './kernels/pow-const.js';
import { SIGMOID_OP, TANH_OP } from './kernels/eigen-tanh-sigmoid.js';
import { ELU_OP } from './kernels/eigen-elu.js';

const ACTIVATIONS = new Map<string, string>([
  ['Relu', 'Relu'],
  ['Relu6', 'Relu6'],
  ['Elu', 'Elu'],
  // TF fuses Elu into MatMul/Conv2D + bias with oneDNN's elu, not the exp(x) - 1 of its Elu op
  // (kernels/eigen-elu.ts): in a fused chain tfjs's elu is kept, as before
  [ELU_OP, 'Elu'],
  ['Sigmoid', 'Sigmoid'],
  // MatMul chains only (see `onednnAct` below)
  [SIGMOID_OP, 'Sigmoid'],
  ['LeakyRelu', 'LeakyRelu'],
]);

const FUSED_OP: Readonly<Record<string, string>> = {
  MatMul: '_FusedMatMul',
  Conv2D: '_FusedConv2D',
  DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative',
};

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const nodeOf = (ref: string): string => splitRef(ref)[0]!;
const isNhwc = (a: AttrJson | undefined): boolean => !a?.s || Buffer.from(a.s, 'base64').toString() === 'NHWC';

/** Output channels of a MatMul/Conv weight, or undefined when it is not a known weight. */
function outChannels(op: string, node: NodeJson, weights: ReadonlyMap<string, Tensor>): number | undefined {
  const w = weights.get(nodeOf(node.input[1] ?? ''));
  if (!w) return undefined;
  if (op === 'MatMul') {
    if (w.shape.length !== 2) return undefined;
    return node.attr['transpose_b']?.b ? w.shape[0] : w.shape[1];
  }
  if (w.shape.length !== 4) return undefined;
  // Conv2D filters are [h, w, in, out]; depthwise filters [h, w, in, multiplier].
  return op === 'Conv2D' ? w.shape[3] : w.shape[2]! * w.shape[3]!;
}

/**
 * A Conv2D whose input depth (recorded by the freezer as `_tfs_in_depth`) is a multiple of its
 * weight filter's depth is a grouped convolution (Keras `Conv2D(groups=…)`), which tfjs's conv2d
 * refuses: it runs as `_TfsGroupedConv2D` (kernels/grouped-conv.ts) and is not fused.
 */
function markGroupedConvs(nodes: NodeJson[], weights: ReadonlyMap<string, Tensor>): void {
  for (const n of nodes) {
    const depth = n.attr['_tfs_in_depth']?.i;
    if (n.op !== 'Conv2D' || depth === undefined) continue;
    const w = weights.get(nodeOf(n.input[1] ?? ''));
    const f = w?.shape.length === 4 ? w.shape[2]! : undefined;
    if (f !== undefined && f !== Number(depth) && Number(depth) % f === 0) n.op = GROUPED_CONV_OP;
  }
}

/**
 * A float32 `Pow` whose exponent is a constant holding 0.5 (or -0.5) in every element runs as
 * `Sqrt` (`Rsqrt`), as TF's grappler rewrites it before running (kernels/pow-const.ts).
 */
function markPowRoots(nodes: NodeJson[], weights: ReadonlyMap<string, Tensor>): void {
  for (const n of nodes) {
    if (n.op !== 'Pow') continue;
    const y = weights.get(nodeOf(n.input[1] ?? ''));
    if (y?.dtype !== 'DT_FLOAT' || !(y.data instanceof Float32Array) || y.data.length === 0) continue;
    const v = y.data[0]!;
    if ((v !== 0.5 && v !== -0.5) || !y.data.every((e) => e === v)) continue;
    n.op = v === 0.5 ? POW_HALF_OP : POW_MINUS_HALF_OP;
  }
}

/** Fuse the chains in one node list (the outer graph or a function body). */
function fuseNodes(original: NodeJson[], weights: Map<string, Tensor>, keep: ReadonlySet<string>): NodeJson[] {
  const nodes = toChannelsLast(original, weights, keep);
  markGroupedConvs(nodes, weights);
  markPowRoots(nodes, weights);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, NodeJson[]>();
  for (const n of nodes) {
    for (const i of n.input) {
      const src = nodeOf(i);
      let list = consumers.get(src);
      if (!list) consumers.set(src, (list = []));
      list.push(n);
    }
  }
  /** The single consumer of `name`'s output 0, when it is safe to fold `name` into it. */
  const soleConsumer = (name: string): NodeJson | undefined => {
    if (keep.has(name)) return undefined;
    const c = consumers.get(name) ?? [];
    if (c.length !== 1) return undefined;
    const only = c[0]!;
    return only.input.filter((i) => nodeOf(i) === name).length === 1 && only.input.some((i) => i === name || i === `${name}:0`)
      ? only
      : undefined;
  };

  const removed = new Set<string>();
  const replaced = new Map<string, NodeJson>();
  for (const m of nodes) {
    const fusedOp = FUSED_OP[m.op];
    if (!fusedOp || removed.has(m.name) || m.input.length !== 2) continue;
    if (m.op !== 'MatMul' && !isNhwc(m.attr['data_format'])) continue;
    const channels = outChannels(m.op, m, weights);
    if (channels === undefined) continue;
    const add = soleConsumer(m.name);
    if (!add || !['BiasAdd', 'Add', 'AddV2'].includes(add.op) || add.input.length !== 2) continue;
    if (add.op === 'BiasAdd' && !isNhwc(add.attr['data_format'])) continue;
    const biasRef = add.input.find((i) => nodeOf(i) !== m.name);
    const bias = biasRef === undefined ? undefined : weights.get(nodeOf(biasRef));
    if (!biasRef || !bias || bias.shape.length !== 1 || bias.shape[0] !== channels || bias.dtype !== 'DT_FLOAT') continue;
    const act = soleConsumer(add.name);
    // TF (oneDNN on) fuses MatMul + bias + Sigmoid/Tanh into oneDNN kernels whose sigmoid/tanh are
    // not Eigen's but nearer the correctly rounded values tfjs gives (FINDINGS "Eigen tanh/sigmoid"):
    // there tfjs's own are kept. After a Conv2D TF still runs Eigen's (_TfsTanh/_TfsSigmoid stay).
    const onednnAct = m.op === 'MatMul';
    if (onednnAct && act?.op === TANH_OP) act.op = 'Tanh'; // tfjs has no fused tanh
    const activation = act && ACTIVATIONS.has(act.op) && (onednnAct || act.op !== SIGMOID_OP) ? act : undefined;
    const last = activation ?? add;
    const fusedOps = ['BiasAdd', ...(activation ? [ACTIVATIONS.get(activation.op)!] : [])];
    const attr: Record<string, AttrJson> = { ...m.attr, fused_ops: { list: { s: fusedOps.map(b64) } }, num_args: { i: 1 } };
    if (m.op !== 'DepthwiseConv2dNative') attr['epsilon'] = { f: 0 };
    if (activation?.op === 'LeakyRelu') attr['leakyrelu_alpha'] = { f: activation.attr['alpha']?.f ?? 0.2 };
    const fused: NodeJson = { name: last.name, op: fusedOp, input: [m.input[0]!, m.input[1]!, biasRef], attr };
    removed.add(m.name);
    if (activation) removed.add(add.name);
    replaced.set(last.name, fused);
    byName.set(last.name, fused);
  }
  if (removed.size === 0) return nodes;
  return nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
}

/** The shape a data-preserving op gives its weight input, or undefined when it cannot tell. */
function foldedShape(n: NodeJson, weights: ReadonlyMap<string, Tensor>): number[] | undefined {
  const x = weights.get(nodeOf(n.input[0] ?? ''));
  if (!x) return undefined;
  const size = x.shape.reduce((a, b) => a * b, 1);
  const ints = (ref: string | undefined): number[] | undefined => {
    const t = ref === undefined ? undefined : weights.get(nodeOf(ref));
    if (!t || (t.dtype !== 'DT_INT32' && t.dtype !== 'DT_INT64')) return undefined;
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  };
  switch (n.op) {
    case 'Identity':
      return [...x.shape];
    case 'Reshape': {
      const shape = ints(n.input[1]);
      if (!shape) return undefined;
      const known = shape.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
      const out = shape.map((d) => (d < 0 ? size / known : d));
      return out.reduce((a, b) => a * b, 1) === size && out.every(Number.isInteger) ? out : undefined;
    }
    case 'Squeeze': {
      const dims = (n.attr['squeeze_dims']?.list?.i ?? n.attr['axis']?.list?.i ?? []).map((d) => (d < 0 ? d + x.shape.length : d));
      return x.shape.filter((d, i) => !(dims.length === 0 ? d === 1 : dims.includes(i)));
    }
    case 'ExpandDims': {
      const axis = ints(n.input[1])?.[0];
      if (axis === undefined) return undefined;
      const at = axis < 0 ? axis + x.shape.length + 1 : axis;
      return [...x.shape.slice(0, at), 1, ...x.shape.slice(at)];
    }
    default:
      return undefined;
  }
}

/**
 * Fold shape-only ops on weights (Reshape/Squeeze/ExpandDims/Identity of a constant, as
 * Keras 3 writes for conv biases) into new weights, so the fusions below see them.
 */
function foldConstants(nodes: NodeJson[], weights: Map<string, Tensor>): NodeJson[] {
  let changed = true;
  let out = nodes;
  while (changed) {
    changed = false;
    out = out.map((n) => {
      if (!['Reshape', 'Squeeze', 'ExpandDims', 'Identity'].includes(n.op) || weights.has(n.name)) return n;
      if (!n.input.every((i) => weights.has(nodeOf(i)))) return n;
      const shape = foldedShape(n, weights);
      const x = weights.get(nodeOf(n.input[0] ?? ''));
      if (!shape || !x) return n;
      weights.set(n.name, { dtype: x.dtype, shape, data: x.data });
      changed = true;
      return { name: n.name, op: 'Const', input: [], attr: { dtype: { type: x.dtype } } };
    });
  }
  return out;
}

/** Drop weights no Const node refers to any more (folded away). */
function pruneWeights(graph: GraphJson, weights: Map<string, Tensor>): void {
  const used = new Set<string>();
  for (const n of [...graph.node, ...graph.library.function.flatMap((f) => f.nodeDef)]) if (n.op === 'Const') used.add(n.name);
  for (const k of [...weights.keys()]) if (!used.has(k)) weights.delete(k);
}

/**
 * Fuse MatMul/Conv + bias (+ activation) chains in the graph and its functions, in place.
 * `keep` lists node names whose own outputs are fetched or fed (they are never folded
 * away). Returns how many chains were fused.
 */
export function fuseGraph(graph: GraphJson, weights: Map<string, Tensor>, keep: ReadonlySet<string>): number {
  const count = (): number => graph.node.length + graph.library.function.reduce((n, f) => n + f.nodeDef.length, 0);
  const before = count();
  graph.node = fuseNodes(foldConstants(graph.node, weights), weights, keep);
  for (const f of graph.library.function) {
    const rets = new Set([...Object.values(f.ret).map(nodeOf), ...f.signature.inputArg.map((a) => a.name)]);
    f.nodeDef = fuseNodes(foldConstants(f.nodeDef, weights), weights, rets);
  }
  pruneWeights(graph, weights);
  return before - count();
}
