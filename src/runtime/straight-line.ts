/**
 * Straight-line programs: a faster way to run the small feed-forward graphs most served
 * models are (`y = 0.5x + 2`, Dense stacks), without tfjs-converter's GraphExecutor.
 *
 * For a graph of two ops, the executor's per-call bookkeeping (input/output name checks,
 * compilation-key building, copying and scanning the whole weight map, per-node parameter
 * lookup and disposal tracking) costs as much as the kernels themselves: measured with
 * `npm run bench:runtime-call`, half_plus_two took ~15 µs per call against ~8 µs for the
 * same tfjs ops called directly. At load, a signature whose needed subgraph uses only the
 * ops below is compiled into a list of steps that call the same tfjs-core ops the
 * converter's executor calls for them (hence the same kernels and the same results); any
 * other graph, and runs selecting a subset of outputs, go through GraphModel.execute.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NodeJson } from './graph-json.js';

/** Runs a compiled signature: input tensors in `feeds` order → tensors in `fetches` order. */
export type StraightLineProgram = (inputs: readonly tf.Tensor[]) => tf.Tensor[];

type Step = (args: readonly tf.Tensor[]) => tf.Tensor;

const ACTIVATIONS = new Set(['relu', 'relu6', 'sigmoid', 'elu']);

/**
 * The engine's kernel call, as tfjs-core's op functions end in. The op functions first check
 * and convert their arguments (tensor or not, matching dtypes) inside an op scope: for the
 * arguments the fast steps accept (tensors of one numeric dtype) those checks pass and change
 * nothing, so calling the kernel straight is the same computation without the per-op scope
 * and checks. Anything else goes through the op function, for its conversions and errors.
 */
const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs ?? {}) as tf.Tensor;

const numeric = (t: tf.Tensor): boolean => t.dtype !== 'string';

/** A binary elementwise step: the kernel when both sides share a numeric dtype, else `op`. */
function binary(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Step {
  return ([a, b]) => (a!.dtype === b!.dtype && numeric(a!) ? runKernel(kernel, { a: a!, b: b! }) : op(a!, b!));
}

/** A unary step: the kernel when `accepts(x)`, else `op`. */
function unary(kernel: string, op: (x: tf.Tensor) => tf.Tensor, accepts: (x: tf.Tensor) => boolean): Step {
  return ([x]) => (accepts(x!) ? runKernel(kernel, { x: x! }) : op(x!));
}

const isFloat32 = (t: tf.Tensor): boolean => t.dtype === 'float32';

/**
 * tf.fused.matMul for rank-2 `a` and `b` and a rank-1 bias of the output's width, all of one
 * dtype: the same _FusedMatMul kernel call on the same 3-D views, without the gradient
 * wrapper (customGrad) and argument checks around it. Other shapes go through tf.fused.matMul.
 */
function fusedMatMulStep(ta: boolean, tb: boolean, act: tf.fused.Activation | undefined): Step {
  const attrs = { transposeA: ta, transposeB: tb, activation: act ?? 'linear', leakyreluAlpha: 0.2 };
  return ([a, b, bias]) => {
    const [ar, ac] = a!.shape;
    const [br, bc] = b!.shape;
    const fast =
      a!.rank === 2 && b!.rank === 2 && bias!.rank === 1 && a!.dtype === b!.dtype && b!.dtype === bias!.dtype && numeric(a!);
    const inner = ta ? ar : ac;
    const outer = ta ? ac : ar;
    const width = tb ? br : bc;
    if (!fast || inner !== (tb ? bc : br) || bias!.shape[0] !== width) {
      return tf.fused.matMul({ a: a!, b: b!, transposeA: ta, transposeB: tb, bias: bias!, ...(act ? { activation: act } : {}) });
    }
    const a3 = runKernel('Reshape', { x: a! }, { shape: [1, ar!, ac!] });
    const b3 = runKernel('Reshape', { x: b! }, { shape: [1, br!, bc!] });
    const res = runKernel('_FusedMatMul', { a: a3, b: b3, bias: bias! }, attrs);
    return runKernel('Reshape', { x: res }, { shape: [outer!, width!] });
  };
}

/** The step for `node`, as tfjs-converter's op mapping executes it; undefined when not covered. */
function stepOf(node: NodeJson): Step | undefined {
  const flag = (k: string): boolean => node.attr[k]?.b === true;
  switch (node.op) {
    case 'Identity':
      return unary('Identity', (x) => tf.clone(x), () => true);
    case 'Add':
    case 'AddV2':
    case 'BiasAdd':
      return binary('Add', (a, b) => tf.add(a, b));
    case 'Sub':
      return binary('Sub', (a, b) => tf.sub(a, b));
    case 'Mul':
      return binary('Multiply', (a, b) => tf.mul(a, b));
    case 'Relu':
      return unary('Relu', (x) => tf.relu(x), numeric);
    case 'Sigmoid':
      return unary('Sigmoid', (x) => tf.sigmoid(x), isFloat32);
    case 'Tanh':
      return unary('Tanh', (x) => tf.tanh(x), isFloat32);
    case 'MatMul': {
      const ta = flag('transpose_a');
      const tb = flag('transpose_b');
      return ([a, b]) => tf.matMul(a!, b!, ta, tb);
    }
    case '_FusedMatMul': {
      // fuse.ts emits BiasAdd with at most one activation and one bias argument.
      const ops = (node.attr['fused_ops']?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('latin1').toLowerCase());
      const [extra, activation] = ops;
      if (ops.length > 2 || extra !== 'biasadd' || node.attr['num_args']?.i !== 1 || node.input.length !== 3) return undefined;
      if (activation !== undefined && !ACTIVATIONS.has(activation)) return undefined;
      return fusedMatMulStep(flag('transpose_a'), flag('transpose_b'), activation as tf.fused.Activation | undefined);
    }
    default:
      return undefined;
  }
}

/** Node name of a data input reference (`name`, `name:0`); undefined for other outputs and control inputs. */
function producer(ref: string): string | undefined {
  if (ref.startsWith('^')) return undefined;
  const colon = ref.lastIndexOf(':');
  if (colon < 0) return ref;
  return ref.slice(colon + 1) === '0' ? ref.slice(0, colon) : undefined;
}

/**
 * Compile the subgraph computing `fetches` from `feeds` (graph tensors `node:0`), or
 * undefined when it uses anything this module does not cover. `weight(name)` is the
 * loaded tensor of Const node `name`.
 */
export function compileStraightLine(
  nodes: readonly NodeJson[],
  feeds: readonly string[],
  fetches: readonly string[],
  weight: (name: string) => tf.Tensor | undefined,
): StraightLineProgram | undefined {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // Value slots: [0, feeds) inputs, then weights and step results as they are first needed.
  const slotOf = new Map<string, number>();
  const constants: [number, tf.Tensor][] = [];
  const steps: { step: Step; args: number[]; out: number }[] = [];
  let slots = 0;
  for (const f of feeds) {
    const name = producer(f);
    if (name === undefined || byName.get(name)?.op !== 'Placeholder' || slotOf.has(name)) return undefined;
    slotOf.set(name, slots++);
  }
  const visiting = new Set<string>();
  const visit = (name: string): number | undefined => {
    const known = slotOf.get(name);
    if (known !== undefined) return known;
    const node = byName.get(name);
    if (!node || visiting.has(name)) return undefined;
    if (node.op === 'Const') {
      const t = weight(name);
      if (!t) return undefined;
      slotOf.set(name, slots);
      constants.push([slots, t]);
      return slots++;
    }
    const step = stepOf(node);
    if (!step) return undefined;
    visiting.add(name);
    const args: number[] = [];
    for (const ref of node.input) {
      const p = producer(ref);
      const s = p === undefined ? undefined : visit(p);
      if (s === undefined) return undefined;
      args.push(s);
    }
    visiting.delete(name);
    slotOf.set(name, slots);
    steps.push({ step, args, out: slots });
    return slots++;
  };
  const outSlots: number[] = [];
  for (const f of fetches) {
    const name = producer(f);
    const s = name === undefined ? undefined : visit(name);
    if (s === undefined) return undefined;
    outSlots.push(s);
  }
  const size = slots;
  return (inputs) =>
    tf.tidy(() => {
      const values = new Array<tf.Tensor>(size);
      for (let i = 0; i < inputs.length; i++) values[i] = inputs[i]!;
      for (const [i, t] of constants) values[i] = t;
      for (const s of steps) values[s.out] = s.step(s.args.map((a) => values[a]!));
      return outSlots.map((s) => values[s]!);
    });
}
