/**
 * The plain-JS tier (src/runtime/plain-js.ts) must answer bit for bit what the tfjs path
 * answers on the same backend, and hand every call it cannot reproduce to that path.
 *
 * - The fixtures (half_plus_two, my_model) run through ModelRuntime with the tier on and off,
 *   over random inputs holding NaN, ±Inf, denormals and -0; a spy on the backend's `write`
 *   (every tfjs path call creates its input tensors with it) tells which path answered.
 * - Random small MLPs, fused and unfused, compiled by compilePlainJs, against the same graph
 *   computed with tfjs ops as tfjs-converter maps them.
 * - Graphs, backends and calls the tier must refuse.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type ConcreteBackend } from '../../src/runtime/backend.js';
import type { NodeJson } from '../../src/runtime/graph-json.js';
import { ModelRuntime } from '../../src/runtime/model-runtime.js';
import { compilePlainJs, setPlainJsEnabled, wasmSigmoid, type PlainBackend, type PlainProgram, type PlainValue } from '../../src/runtime/plain-js.js';
import { freezeSourceOf } from '../../src/runtime/source.js';
import { readSavedModel } from '../../src/savedmodel/saved-model.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { fixtures } from '../helpers/paths.js';
import { seeded } from '../reliability/seeded.js';

const BACKENDS: PlainBackend[] = ['wasm', 'cpu'];
/** The backend of the test running. */
let current: PlainBackend = 'wasm';

/** A seeded uniform [0, 1) source (the reliability suite's mulberry32), so a failure can be replayed. */
const rng = (seed: number): (() => number) => seeded(seed).next;

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1.17e-38, 3.4e38, -3.4e38, 1, -1, 6, -6, 1e-30];

/** Random float32 values; with `special` > 0, that share of them from SPECIALS. */
function values(n: number, r: () => number, special: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = r() < special ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : (r() * 2 - 1) * 10 ** (r() * 4 - 2);
  }
  return out;
}

function bytes(d: Float32Array): Buffer {
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/** Counts the `write` calls of the model's backend while `fn` runs. */
async function countingWrites<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const backend = tf.findBackend(current) as unknown as { write: (...a: unknown[]) => unknown };
  const write = backend.write;
  let writes = 0;
  backend.write = function (this: unknown, ...a: unknown[]) {
    writes++;
    return write.apply(this, a);
  };
  try {
    return [await fn(), writes];
  } finally {
    backend.write = write;
  }
}

const FIXTURES = [
  { dir: join(fixtures, 'models', 'half_plus_two', '00000123'), input: 'x', output: 'y', row: 1 },
  { dir: join(fixtures, 'models', 'my_model', '1'), input: 'dense_input', output: 'dense_1', row: 10 },
  { dir: join(fixtures, 'models', 'my_model', '2'), input: 'dense_input', output: 'dense_1', row: 10 },
];

/** Run `inputs` with the tier on, then off; returns both outputs and the writes of the first run. */
async function bothTiers(s: ModelRuntime, inputs: Record<string, Tensor>): Promise<{ on: Record<string, Tensor>; off: Record<string, Tensor>; writes: number }> {
  setPlainJsEnabled(true);
  const [on, writes] = await countingWrites(() => s.run('serving_default', inputs));
  setPlainJsEnabled(false);
  try {
    return { on, off: await s.run('serving_default', inputs), writes };
  } finally {
    setPlainJsEnabled(true);
  }
}

for (const backend of BACKENDS) {
  test(`fixtures: the plain-JS tier equals the tfjs path bit for bit (${backend})`, async () => {
    await initBackend(backend as ConcreteBackend);
    current = backend;
    const r = rng(20);
    for (const c of FIXTURES) {
      const s = await ModelRuntime.load(freezeSourceOf(readSavedModel(c.dir)), { backend: backend as ConcreteBackend });
      try {
        assert.equal(s.executionTier('serving_default'), 'plain-js', `${c.dir} runs on the tier`);
        let onTier = 0;
        for (let i = 0; i < 150; i++) {
          const batch = [1, 2, 3, 5, 8][i % 5]!;
          // A third of the calls hold no special value: those of batch 1 (within every work
          // budget) must stay on the tier.
          const clean = i % 3 === 0;
          const data = values(batch * c.row, r, clean ? 0 : 0.2);
          const { on, off, writes } = await bothTiers(s, { [c.input]: { dtype: 'DT_FLOAT', shape: [batch, c.row], data } });
          assert.deepEqual(on[c.output]!.shape, off[c.output]!.shape);
          assert.ok(bytes(on[c.output]!.data as Float32Array).equals(bytes(off[c.output]!.data as Float32Array)), `${c.dir} call ${i}: tier and tfjs differ`);
          if (clean && batch === 1) assert.equal(writes, 0, `${c.dir} call ${i}: a clean call left the tier`);
          if (data.some(Number.isNaN)) assert.ok(writes > 0, `${c.dir} call ${i}: a NaN input stays off the tier`);
          if (writes === 0) onTier++;
        }
        assert.ok(onTier >= 10, `${c.dir}: ${onTier} calls on the tier`);
      } finally {
        s.dispose();
      }
    }
  });

  test(`fixtures: filtered runs, bad shapes and a disabled tier take the tfjs path (${backend})`, async () => {
    await initBackend(backend as ConcreteBackend);
    current = backend;
    const c = FIXTURES[1]!;
    const s = await ModelRuntime.load(freezeSourceOf(readSavedModel(c.dir)), { backend: backend as ConcreteBackend });
    try {
      const data = values(2 * c.row, rng(3), 0);
      const inputs = { [c.input]: { dtype: 'DT_FLOAT' as const, shape: [2, c.row], data } };
      const [, filtered] = await countingWrites(() => s.run('serving_default', inputs, { outputFilter: [c.output] }));
      assert.ok(filtered > 0, 'an output filter goes through the executor');
      // 7 columns do not fit the first Dense: the same error either way.
      const bad = { [c.input]: { dtype: 'DT_FLOAT' as const, shape: [2, 7], data: data.subarray(0, 14) } };
      const errOn = await s.run('serving_default', bad).then(() => undefined, (e: Error) => e.message);
      setPlainJsEnabled(false);
      try {
        assert.equal(s.executionTier('serving_default'), 'straight-line');
        const errOff = await s.run('serving_default', bad).then(() => undefined, (e: Error) => e.message);
        assert.ok(errOn !== undefined && errOn === errOff, `same error: ${errOn} / ${errOff}`);
        const [, writes] = await countingWrites(() => s.run('serving_default', inputs));
        assert.ok(writes > 0, 'a disabled tier is not used');
      } finally {
        setPlainJsEnabled(true);
      }
      // A large batch is over the tier's work budget: the tfjs path answers, with the same bits.
      const big = { [c.input]: { dtype: 'DT_FLOAT' as const, shape: [64, c.row], data: values(64 * c.row, rng(4), 0) } };
      const { on, off, writes } = await bothTiers(s, big);
      assert.ok(writes > 0, 'over budget: tfjs path');
      assert.ok(bytes(on[c.output]!.data as Float32Array).equals(bytes(off[c.output]!.data as Float32Array)));
    } finally {
      s.dispose();
    }
  });
}

test("wasmSigmoid equals the wasm backend's Sigmoid on a sample (scripts/check-wasm-sigmoid.mjs: every input)", async () => {
  await initBackend('wasm');
  await tf.setBackend('wasm');
  const r = rng(11);
  const n = 1 << 20;
  const bits = new Uint32Array(n);
  // Random bit patterns, and every float32 around the cut-offs and ±1 from a dense sweep.
  for (let i = 0; i < n / 2; i++) bits[i] = Math.floor(r() * 2 ** 32);
  const x = new Float32Array(bits.buffer);
  for (let i = n / 2; i < n; i++) x[i] = -100 + (200 * (i - n / 2)) / (n / 2);
  const got = tf.tidy(() => tf.sigmoid(tf.tensor1d(x)).dataSync() as Float32Array);
  const want = Float32Array.from(x, (v) => (Number.isNaN(v) ? NaN : wasmSigmoid(v)));
  let differ = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(x[i]!) && !Object.is(got[i], want[i])) differ++;
  assert.equal(differ, 0, `${differ} of ${n} differ`);
});

// --- random MLPs on compilePlainJs ------------------------------------------------------------

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
const floatT = { T: { type: 'DT_FLOAT' } };

interface Built {
  nodes: NodeJson[];
  weights: Map<string, tf.Tensor>;
  fetch: string;
  /** The graph computed with tfjs ops, as tfjs-converter's executor maps its nodes. */
  reference(x: tf.Tensor): tf.Tensor;
}

type Activation = 'relu' | 'relu6' | 'sigmoid' | undefined;

/** A dense layer as _FusedMatMul (fuse.ts's form) or MatMul → BiasAdd → activation. */
function dense(b: Built, r: () => number, i: number, input: string, k: number, n: number): [string, (x: tf.Tensor) => tf.Tensor] {
  const w = tf.keep(tf.tensor2d(values(k * n, r, 0), [k, n]));
  const bias = tf.keep(tf.tensor1d(values(n, r, 0)));
  b.weights.set(`w${i}`, w);
  b.weights.set(`b${i}`, bias);
  b.nodes.push({ name: `w${i}`, op: 'Const', input: [], attr: {} }, { name: `b${i}`, op: 'Const', input: [], attr: {} });
  const act = ([undefined, 'relu', 'relu6', 'sigmoid'] as Activation[])[Math.floor(r() * 4)];
  if (r() < 0.5) {
    const fused = act ? ['BiasAdd', act === 'relu' ? 'Relu' : act === 'relu6' ? 'Relu6' : 'Sigmoid'] : ['BiasAdd'];
    b.nodes.push({ name: `d${i}`, op: '_FusedMatMul', input: [input, `w${i}`, `b${i}`], attr: { ...floatT, fused_ops: { list: { s: fused.map(b64) } }, num_args: { i: 1 } } });
    return [`d${i}`, (x) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, ...(act ? { activation: act } : {}) })];
  }
  b.nodes.push({ name: `m${i}`, op: 'MatMul', input: [input, `w${i}`], attr: floatT }, { name: `a${i}`, op: 'BiasAdd', input: [`m${i}`, `b${i}`], attr: floatT });
  const linear = (x: tf.Tensor): tf.Tensor => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), bias);
  if (!act) return [`a${i}`, linear];
  const op = { relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid' }[act];
  const fn = { relu: tf.relu, relu6: tf.relu6, sigmoid: tf.sigmoid }[act];
  b.nodes.push({ name: `f${i}`, op, input: [`a${i}`], attr: floatT });
  return [`f${i}`, (x) => fn(linear(x))];
}

/** Sqrt of the absolute value (Abs is outside the tier: a Mul by itself, then Sqrt). */
function sqrtOfSquare(b: Built, i: number, input: string): [string, (x: tf.Tensor) => tf.Tensor] {
  b.nodes.push({ name: `q${i}`, op: 'Mul', input: [input, input], attr: floatT }, { name: `r${i}`, op: 'Sqrt', input: [`q${i}`], attr: floatT });
  return [`r${i}`, (x) => tf.sqrt(tf.mul(x, x))];
}

/** An elementwise op with a constant (scalar or trailing vector), either operand order. */
function elementwise(b: Built, r: () => number, i: number, input: string, width: number): [string, (x: tf.Tensor) => tf.Tensor] {
  const ops = { AddV2: tf.add, Sub: tf.sub, Mul: tf.mul, RealDiv: tf.div } as const;
  const name = (Object.keys(ops) as (keyof typeof ops)[])[Math.floor(r() * 4)]!;
  const c = tf.keep(r() < 0.5 ? tf.scalar(values(1, r, 0)[0]!) : tf.tensor1d(values(width, r, 0)));
  b.weights.set(`c${i}`, c);
  const constFirst = r() < 0.5;
  b.nodes.push({ name: `c${i}`, op: 'Const', input: [], attr: {} });
  b.nodes.push({ name: `e${i}`, op: name, input: constFirst ? [`c${i}`, input] : [input, `c${i}`], attr: floatT });
  return [`e${i}`, (x) => (constFirst ? ops[name](c, x) : ops[name](x, c))];
}

/** A random MLP of 1–3 dense layers with elementwise ops between them; the input width. */
function randomMlp(r: () => number): { built: Built; width: number } {
  const built: Built = { nodes: [{ name: 'x', op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_FLOAT' } } }], weights: new Map(), fetch: 'x', reference: (x) => x };
  const width = 1 + Math.floor(r() * 24);
  let k = width;
  const steps: ((x: tf.Tensor) => tf.Tensor)[] = [];
  const layers = 1 + Math.floor(r() * 3);
  for (let i = 0; i < layers; i++) {
    if (r() < 0.3) {
      const [name, fn] = sqrtOfSquare(built, i, built.fetch);
      built.fetch = name;
      steps.push(fn);
    }
    if (r() < 0.5) {
      const [name, fn] = elementwise(built, r, i, built.fetch, k);
      built.fetch = name;
      steps.push(fn);
    }
    const n = 1 + Math.floor(r() * 40);
    const [name, fn] = dense(built, r, i, built.fetch, k, n);
    built.fetch = name;
    steps.push(fn);
    k = n;
  }
  built.reference = (x) => steps.reduce((v, f) => f(v), x);
  return { built, width };
}

function compile(b: Built, backend: PlainBackend): PlainProgram | undefined {
  // No work budget: every call of these small MLPs is compared.
  return compilePlainJs(b.nodes, ['x:0'], [`${b.fetch}:0`], { backend, weight: (n) => b.weights.get(n), cpuBlockSize: 48, maxWork: Infinity });
}

for (const backend of BACKENDS) {
  test(`random MLPs: the plain-JS tier equals tfjs ops bit for bit (${backend})`, async () => {
    await initBackend(backend as ConcreteBackend);
    current = backend;
    await tf.setBackend(backend);
    const r = rng(backend === 'wasm' ? 7 : 8);
    let ran = 0;
    let calls = 0;
    let cleanBack = 0;
    for (let m = 0; m < 40; m++) {
      const { built, width } = randomMlp(r);
      const prog = compile(built, backend);
      assert.ok(prog, `MLP ${m} compiles`);
      for (let i = 0; i < 12; i++) {
        const batch = 1 + Math.floor(r() * 6);
        const data = values(batch * width, r, i % 2 === 0 ? 0 : 0.15);
        const want = tf.tidy(() => built.reference(tf.tensor2d(data, [batch, width])).dataSync() as Float32Array);
        const got = prog.run([{ data, shape: [batch, width] }]);
        calls++;
        if (!got) {
          // Handing back is only right where a NaN was met on the way; from clean inputs that
          // takes an overflow to ±Inf (a division by a tiny constant, squares), which is rare.
          if (i % 2 === 0) cleanBack++;
          continue;
        }
        ran++;
        assert.ok(bytes(got[0]!.data).equals(bytes(want)), `MLP ${m} call ${i}: tier and tfjs differ`);
      }
      for (const t of built.weights.values()) t.dispose();
    }
    assert.ok(ran > calls / 2, `${ran} of ${calls} calls on the tier`);
    assert.ok(cleanBack <= calls / 20, `${cleanBack} of ${calls / 2} calls without special values handed back`);
  });
}

for (const backend of BACKENDS) {
  test(`Maximum and Minimum over signed zeros equal the backend's kernels (${backend})`, async () => {
    await initBackend(backend as ConcreteBackend);
    await tf.setBackend(backend);
    const x = Float32Array.from({ length: 24 }, (_, i) => [-0, 0, 1, -1, 0.5, -2][i % 6]!);
    for (const [op, fn] of [['Maximum', tf.maximum], ['Minimum', tf.minimum]] as const) {
      for (const c of [tf.scalar(-0), tf.scalar(0), tf.tensor1d([0, -0, -0, 0, 1, -1, 2, -0, 0, 0, -0, 3, -0, 0, 1, -1, 0, 0, -0, -0, 5, 0, -0, 0])]) {
        for (const constFirst of [false, true]) {
          const nodes = [X, { name: 'c', op: 'Const', input: [], attr: {} }, { name: 'y', op, input: constFirst ? ['c', 'x'] : ['x', 'c'], attr: floatT }];
          const prog = compilePlainJs(nodes, ['x:0'], ['y:0'], { backend, weight: () => c, cpuBlockSize: 48 })!;
          const got = prog.run([{ data: x, shape: [24] }])![0]!.data;
          const xt = tf.tensor1d(x);
          const want = (constFirst ? fn(c, xt) : fn(xt, c)).dataSync() as Float32Array;
          assert.ok(bytes(got).equals(bytes(want)), `${op} ${constFirst ? 'c, x' : 'x, c'} (c of shape [${c.shape}])`);
        }
      }
    }
  });
}

// --- what the tier refuses --------------------------------------------------------------------

const X: NodeJson = { name: 'x', op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_FLOAT' } } };

function single(op: string, attr: NodeJson['attr'] = floatT, extra: NodeJson[] = [], inputs = ['x']): NodeJson[] {
  return [X, ...extra, { name: 'y', op, input: inputs, attr }];
}

test('the tier refuses graphs it cannot reproduce', async () => {
  await initBackend('wasm');
  const w = tf.keep(tf.tensor2d(values(3 * 2, rng(1), 0), [3, 2]));
  const big = tf.keep(tf.zeros([100, 50]));
  const nan = tf.keep(tf.tensor1d([1, NaN]));
  const weights = new Map<string, tf.Tensor>([['w', w], ['big', big], ['nan', nan]]);
  const ctx = (backend: PlainBackend) => ({ backend, weight: (n: string) => weights.get(n), cpuBlockSize: 48 });
  const W: NodeJson = { name: 'w', op: 'Const', input: [], attr: {} };
  const compileOn = (nodes: NodeJson[], backend: PlainBackend): PlainProgram | undefined => compilePlainJs(nodes, ['x:0'], ['y:0'], ctx(backend));
  try {
    assert.equal(compileOn([{ ...X, attr: { dtype: { type: 'DT_INT32' } } }, { name: 'y', op: 'Relu', input: ['x'], attr: { T: { type: 'DT_INT32' } } }], 'cpu'), undefined, 'int32');
    assert.equal(compileOn(single('Exp'), 'cpu'), undefined, 'an op outside the set');
    assert.equal(compileOn(single('Tanh'), 'wasm'), undefined, 'Tanh on wasm');
    assert.ok(compileOn(single('Tanh'), 'cpu'), 'Tanh on cpu');
    const transposed = { ...floatT, transpose_b: { b: true } };
    assert.equal(compileOn(single('MatMul', transposed, [W], ['x', 'w']), 'wasm'), undefined, 'transposed MatMul on wasm');
    assert.ok(compileOn(single('MatMul', transposed, [W], ['x', 'w']), 'cpu'), 'transposed MatMul on cpu');
    assert.equal(compileOn(single('AddV2', floatT, [{ name: 'nan', op: 'Const', input: [], attr: {} }], ['x', 'nan']), 'cpu'), undefined, 'a NaN constant');
    assert.ok(compileOn(single('MatMul', floatT, [W], ['x', 'w']), 'wasm'));
    const matmul = compileOn(single('MatMul', floatT, [{ name: 'big', op: 'Const', input: [], attr: {} }], ['x', 'big']), 'wasm')!;
    assert.equal(matmul.run([{ data: new Float32Array(100), shape: [1, 100] }]), undefined, 'a MatMul over 4096 multiply-adds a row');
  } finally {
    for (const t of weights.values()) t.dispose();
  }
});

test('the tier hands back calls it cannot reproduce, and never aliases its inputs', () => {
  const w = tf.keep(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]));
  const ctx = { backend: 'cpu' as const, weight: (n: string) => (n === 'w' ? w : undefined), cpuBlockSize: 48 };
  try {
    const W: NodeJson = { name: 'w', op: 'Const', input: [], attr: {} };
    const prog = compilePlainJs(single('MatMul', floatT, [W], ['x', 'w']), ['x:0'], ['y:0'], ctx)!;
    const ok = prog.run([{ data: Float32Array.from([1, 0, -1]), shape: [1, 3] }])!;
    assert.deepEqual([...ok[0]!.data], [-4, -4]);
    assert.equal(prog.run([{ data: Float32Array.from([1, NaN, 0]), shape: [1, 3] }]), undefined, 'NaN input');
    assert.equal(prog.run([{ data: Float32Array.from([Infinity, -Infinity, 0]), shape: [1, 3] }]), undefined, "Inf - Inf makes a NaN");
    assert.equal(prog.run([{ data: new Float32Array(4), shape: [1, 4] }]), undefined, 'inner dimensions differ');
    assert.equal(prog.run([{ data: new Float32Array(3 * 20000), shape: [20000, 3] }]), undefined, 'over the work budget');
    const id = compilePlainJs([X, { name: 'y', op: 'Identity', input: ['x'], attr: floatT }, { name: 'z', op: 'Reshape', input: ['y', 's'], attr: floatT }], ['x:0'], ['y:0', 'z:0'], {
      ...ctx,
      weight: (n: string) => (n === 's' ? tf.keep(tf.tensor1d([-1], 'int32')) : undefined),
    })!;
    const input: PlainValue = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    const [y, z] = id.run([input])!;
    assert.deepEqual(z!.shape, [4]);
    assert.ok(y!.data !== input.data && z!.data !== input.data && y!.data !== z!.data, 'outputs own their data');
    assert.deepEqual([...z!.data], [1, 2, 3, 4]);
    const add = compilePlainJs(single('AddV2', floatT, [], ['x', 'x']), ['x:0'], ['y:0'], ctx)!;
    assert.ok(add.run([{ data: new Float32Array(6), shape: [2, 3] }]));
  } finally {
    w.dispose();
  }
});

test("reused step buffers never overwrite an earlier call's outputs", () => {
  const w = tf.keep(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]));
  const shape = tf.keep(tf.tensor1d([-1], 'int32'));
  const weights = new Map<string, tf.Tensor>([['w', w], ['s', shape]]);
  const W: NodeJson = { name: 'w', op: 'Const', input: [], attr: {} };
  const S: NodeJson = { name: 's', op: 'Const', input: [], attr: {} };
  try {
    for (const backend of BACKENDS) {
      const ctx = { backend, weight: (n: string) => weights.get(n), cpuBlockSize: 48 };
      // MatMul → Relu (an intermediate, reused) → Reshape (an output sharing Relu's buffer),
      // and the MatMul itself as a second output.
      const nodes: NodeJson[] = [X, W, S, { name: 'm', op: 'MatMul', input: ['x', 'w'], attr: floatT }, { name: 'r', op: 'Relu', input: ['m'], attr: floatT }, { name: 'y', op: 'Reshape', input: ['r', 's'], attr: floatT }];
      const prog = compilePlainJs(nodes, ['x:0'], ['y:0', 'm:0'], ctx)!;
      const first = prog.run([{ data: Float32Array.from([1, 0, -1]), shape: [1, 3] }])!;
      const second = prog.run([{ data: Float32Array.from([1, 1, 1]), shape: [1, 3] }])!;
      assert.deepEqual([...first[0]!.data], [0, 0], backend);
      assert.deepEqual([...first[1]!.data], [-4, -4], backend);
      assert.deepEqual([...second[0]!.data], [9, 12], backend);
      assert.ok(first[0]!.data !== second[0]!.data && first[1]!.data !== second[1]!.data, 'each call returns arrays of its own');
    }
  } finally {
    for (const t of weights.values()) t.dispose();
  }
});
