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

/** A kernel call: the engine's (tracked tensors) or the backend's own (bare TensorInfos). */
type KernelCall = (name: string, inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap) => tf.TensorInfo;

/**
 * One op: `kernel` calls the op's kernel when its arguments need no conversion (the op
 * function's checks and casts would pass and change nothing), else answers undefined before
 * calling anything; `op` is tfjs-core's op function, for the other cases (its casts, its errors).
 */
interface Step {
  kernel(args: readonly tf.TensorInfo[], call: KernelCall): tf.TensorInfo | undefined;
  op(args: readonly tf.Tensor[]): tf.Tensor;
}

const ACTIVATIONS = new Set(['relu', 'relu6', 'sigmoid', 'elu']);
const NO_ATTRS: tf.NamedAttrMap = {};

const numeric = (t: tf.TensorInfo): boolean => t.dtype !== 'string';
const isFloat32 = (t: tf.TensorInfo): boolean => t.dtype === 'float32';

/** A binary elementwise op: the kernel when both sides share a numeric dtype. */
function binary(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Step {
  return {
    kernel: ([a, b], call) => (a!.dtype === b!.dtype && numeric(a!) ? call(kernel, { a: a!, b: b! }, NO_ATTRS) : undefined),
    op: ([a, b]) => op(a!, b!),
  };
}

/** A unary op: the kernel when `accepts(x)`. */
function unary(kernel: string, op: (x: tf.Tensor) => tf.Tensor, accepts: (x: tf.TensorInfo) => boolean): Step {
  return {
    kernel: ([x], call) => (accepts(x!) ? call(kernel, { x: x! }, NO_ATTRS) : undefined),
    op: ([x]) => op(x!),
  };
}

/**
 * tf.fused.matMul. For rank-2 `a` and `b` and a rank-1 bias of the output's width, all of one
 * dtype, the same _FusedMatMul kernel call on the same 3-D views that tf.fused.matMul makes,
 * without its gradient wrapper (customGrad) and argument checks.
 */
function fusedMatMulStep(ta: boolean, tb: boolean, act: tf.fused.Activation | undefined): Step {
  const attrs = { transposeA: ta, transposeB: tb, activation: act ?? 'linear', leakyreluAlpha: 0.2 };
  return {
    kernel: ([a, b, bias], call) => {
      const [ar, ac] = a!.shape;
      const [br, bc] = b!.shape;
      const ok = a!.shape.length === 2 && b!.shape.length === 2 && bias!.shape.length === 1 && numeric(a!);
      const width = tb ? br : bc;
      if (!ok || a!.dtype !== b!.dtype || b!.dtype !== bias!.dtype || (ta ? ar : ac) !== (tb ? bc : br) || bias!.shape[0] !== width) {
        return undefined;
      }
      const a3 = call('Reshape', { x: a! }, { shape: [1, ar!, ac!] });
      const b3 = call('Reshape', { x: b! }, { shape: [1, br!, bc!] });
      const res = call('_FusedMatMul', { a: a3, b: b3, bias: bias! }, attrs);
      return call('Reshape', { x: res }, { shape: [ta ? ac! : ar!, width!] });
    },
    op: ([a, b, bias]) =>
      tf.fused.matMul({ a: a!, b: b!, transposeA: ta, transposeB: tb, bias: bias!, ...(act ? { activation: act } : {}) }),
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
      return { kernel: () => undefined, op: ([a, b]) => tf.matMul(a!, b!, ta, tb) };
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
export function producer(ref: string): string | undefined {
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
  return program({ size: slots, constants, steps, outSlots });
}

interface Compiled {
  size: number;
  constants: readonly [number, tf.Tensor][];
  steps: readonly { step: Step; args: number[]; out: number }[];
  outSlots: readonly number[];
}

/** Thrown inside a bare run when a step's arguments need the op path. */
const NEEDS_OPS = Symbol('needs the op path');

/** Backends whose kernels return bare TensorInfos that `disposeData` frees (refcounted). */
const BARE_BACKENDS = new Set(['wasm', 'cpu']);

interface EngineState {
  state: { profiling: boolean };
  isTapeOn(): boolean;
}

/**
 * The program: first as bare kernel calls on the backend (see {@link runBare}), and through
 * the engine (tf.tidy, tracked tensors, op functions where needed) when that cannot run it.
 */
function program(c: Compiled): StraightLineProgram {
  // The active backend's kernel functions by kernel name (refilled when the backend changes).
  const kernels = { backend: '', byName: new Map<string, tf.KernelFunc>() };
  const engineCall: KernelCall = (name, inputs, attrs) => tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as tf.Tensor;
  const viaEngine = (inputs: readonly tf.Tensor[]): tf.Tensor[] =>
    tf.tidy(() => {
      const values = new Array<tf.Tensor>(c.size);
      for (let i = 0; i < inputs.length; i++) values[i] = inputs[i]!;
      for (const [i, t] of c.constants) values[i] = t;
      for (const s of c.steps) {
        const args = s.args.map((a) => values[a]!);
        values[s.out] = (s.step.kernel(args, engineCall) as tf.Tensor | undefined) ?? s.step.op(args);
      }
      return c.outSlots.map((s) => values[s]!);
    });
  return (inputs) => {
    const engine = tf.engine();
    const name = tf.getBackend();
    const plain = !tf.env().getBool('DEBUG') && !tf.env().getBool('IS_TEST') && !(engine as unknown as EngineState).state.profiling;
    if (!plain || !BARE_BACKENDS.has(name) || (engine as unknown as EngineState).isTapeOn()) return viaEngine(inputs);
    return runBare(c, inputs, engine, name, kernels) ?? viaEngine(inputs);
  };
}

/**
 * Run the steps as the engine's runKernel would, minus its bookkeeping: each kernel function
 * of the active backend called with the same inputs and attributes, intermediate results
 * freed with the backend's refcounted `disposeData` (they never become tracked tensors), and
 * the fetched results made tensors as runKernel makes them. Undefined, with everything it
 * made freed, when a step needs the op path or a kernel throws: the engine run then gives
 * the answer, or the error, exactly as before.
 */
function runBare(
  c: Compiled,
  inputs: readonly tf.Tensor[],
  engine: ReturnType<typeof tf.engine>,
  backendName: string,
  kernels: { backend: string; byName: Map<string, tf.KernelFunc> },
): tf.Tensor[] | undefined {
  const backend = engine.backend;
  if (kernels.backend !== backendName) {
    kernels.backend = backendName;
    kernels.byName.clear();
  }
  const made: tf.TensorInfo[] = [];
  const call: KernelCall = (name, kin, attrs) => {
    let fn = kernels.byName.get(name);
    if (!fn) {
      const k = tf.getKernel(name, backendName);
      if (!k) throw NEEDS_OPS;
      fn = k.kernelFunc;
      kernels.byName.set(name, fn);
    }
    const out = fn({ inputs: kin, attrs, backend }) as tf.TensorInfo | tf.TensorInfo[];
    if (Array.isArray(out)) {
      made.push(...out);
      throw NEEDS_OPS;
    }
    made.push(out);
    return out;
  };
  const values = new Array<tf.TensorInfo>(c.size);
  try {
    for (let i = 0; i < inputs.length; i++) values[i] = inputs[i]!;
    for (const [i, t] of c.constants) values[i] = t;
    for (const s of c.steps) {
      const r = s.step.kernel(s.args.map((a) => values[a]!), call);
      if (r === undefined) throw NEEDS_OPS;
      values[s.out] = r;
    }
  } catch {
    for (const info of made) backend.disposeData(info.dataId);
    return undefined;
  }
  const kept = new Map<tf.TensorInfo, tf.Tensor>();
  const outs = c.outSlots.map((slot) => {
    const v = values[slot]!;
    if (v instanceof tf.Tensor) return v;
    let t = kept.get(v);
    if (!t) {
      t = engine.makeTensorFromTensorInfo(v, backend);
      kept.set(v, t);
    }
    return t;
  });
  for (const info of made) if (!kept.has(info)) backend.disposeData(info.dataId);
  return outs;
}
