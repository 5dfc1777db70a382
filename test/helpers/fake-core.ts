/**
 * A small but real ServerCoreApi + ModelServable for front-end tests (REST, gRPC,
 * predict/classify/regress/metadata) that must not depend on the runtime or lifecycle.
 *
 * `halfPlusTwo()` computes y = 0.5·x + 2 for real, with the signatures of upstream's
 * saved_model_half_plus_two_cpu (serving_default, classify_x_to_y, regress_x_to_y,
 * regress_x_to_y2, regress_x2_to_y3 — classify/regress parse the serialized tf.Examples)
 * plus a few extra signatures that exercise codec paths (multi-output, strings,
 * int64, defaults, no inputs, slow). The core tracks handle refcounts so tests can
 * check that every request releases its handle.
 */
import type { ModelServerConfig } from '../../src/config/types.js';
import type {
  ManagerState,
  ModelVersionStatus,
  ServableHandle,
  ServableRequest,
  ServerCoreApi,
} from '../../src/core/server-core-api.js';
import { Errors, TfsError, Code } from '../../src/errors.js';
import { lookupType } from '../../src/proto/root.js';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import { type Tensor, numElements } from '../../src/tensor/tensor.js';
import type { ModelServable, RunOptions, SignatureSpec } from '../../src/core/servable.js';
import type { TensorSpec } from '../../src/tensor/tensor.js';

type Fn = (inputs: Readonly<Record<string, Tensor>>, signal?: AbortSignal) => Promise<Record<string, Tensor>> | Record<string, Tensor>;

interface FakeSignature {
  spec: SignatureSpec;
  fn: Fn;
}

const ts = (name: string, dtype: DTypeName, shape: number[] | null): TensorSpec => ({ name, dtype, shape });

function sig(
  key: string,
  methodName: string,
  inputs: Record<string, TensorSpec>,
  outputs: Record<string, TensorSpec>,
  fn: Fn,
  defaults: Record<string, Tensor> = {},
): FakeSignature {
  return { spec: { key, methodName, inputs, outputs, defaults }, fn };
}

const PREDICT = 'tensorflow/serving/predict';
const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';

/** Float feature `name` of each serialized tf.Example (as TF's ParseExample would read it, default when absent). */
export function floatFeature(serialized: Uint8Array[], name: string, dflt?: number): Float32Array {
  const T = lookupType('tensorflow.Example');
  const out = new Float32Array(serialized.length);
  serialized.forEach((bytes, i) => {
    let ex: { features?: { feature?: Record<string, { float_list?: { value?: number[] } }> } };
    try {
      ex = T.toObject(T.decode(bytes)) as typeof ex;
    } catch {
      throw new TfsError(Code.INVALID_ARGUMENT, 'Could not parse example input, value: ...');
    }
    const v = ex.features?.feature?.[name]?.float_list?.value;
    if (v && v.length === 1) out[i] = v[0]!;
    else if (dflt !== undefined && (!v || v.length === 0)) out[i] = dflt;
    else throw new TfsError(Code.INVALID_ARGUMENT, `Name: <unknown>, Feature: ${name} (data type: float) is required but could not be found.`);
  });
  return out;
}

function checkFeed(s: SignatureSpec, inputs: Readonly<Record<string, Tensor>>): void {
  for (const [alias, t] of Object.entries(inputs)) {
    const spec = s.inputs[alias];
    if (!spec) throw new TfsError(Code.INVALID_ARGUMENT, `unknown input ${alias}`);
    if (spec.dtype !== t.dtype) {
      throw new TfsError(Code.INVALID_ARGUMENT, `Expects arg for ${spec.name} to be ${spec.dtype} but ${t.dtype} is provided`);
    }
    // Like TF's C++ session, fed shapes are not checked against the placeholder's declared
    // shape (upstream's half_plus_two answers {"instances": [2.0, 3.0, 4.0]}).
  }
}

const mapF32 = (t: Tensor, f: (x: number) => number): Tensor => {
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return { dtype: 'DT_FLOAT', shape: [...t.shape], data: out };
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(Errors.cancelled('run aborted'));
      },
      { once: true },
    );
  });
}

export class FakeServable implements ModelServable {
  readonly signatures: Map<string, SignatureSpec>;
  readonly signatureDefMap: Record<string, unknown>;
  runs = 0;
  disposed = false;

  constructor(
    readonly name: string,
    readonly version: number,
    private readonly sigs: FakeSignature[],
    /** b in y = 0.5x + b (2 for half_plus_two, 3 for half_plus_three). */
    readonly offset = 2,
  ) {
    this.signatures = new Map(sigs.map((s) => [s.spec.key, s.spec]));
    this.signatureDefMap = Object.fromEntries(sigs.map((s) => [s.spec.key, signatureDefOf(s.spec)]));
  }

  async run(key: string, inputs: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    const s = this.sigs.find((x) => x.spec.key === key);
    if (!s) throw new TfsError(Code.INVALID_ARGUMENT, `no signature ${key}`);
    checkFeed(s.spec, inputs);
    this.runs++;
    const all = await s.fn(inputs, options?.signal);
    if (!options?.outputFilter || options.outputFilter.length === 0) return all;
    return Object.fromEntries(options.outputFilter.map((a) => [a, all[a]!]));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function signatureDefOf(s: SignatureSpec): Record<string, unknown> {
  const info = (m: Readonly<Record<string, TensorSpec>>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(m).map(([alias, t]) => [
        alias,
        {
          name: t.name,
          dtype: t.dtype,
          tensor_shape: t.shape === null ? { unknown_rank: true } : { dim: t.shape.map((d) => ({ size: String(d) })) },
        },
      ]),
    );
  return { inputs: info(s.inputs), outputs: info(s.outputs), method_name: s.methodName };
}

/** The servable of upstream's half_plus_two (b = offset), plus extra test signatures. */
export function halfPlusTwo(name = 'half_plus_two', version = 123, offset = 2): FakeServable {
  const a = 0.5;
  const xy = (x: Tensor): Tensor => mapF32(x, (v) => Math.fround(a * v + offset));
  const f11 = (n: string): TensorSpec => ts(n, 'DT_FLOAT', [-1, 1]);
  const ex = ts('tf_example:0', 'DT_STRING', null);
  const exFeed = (inputs: Readonly<Record<string, Tensor>>): Uint8Array[] => inputs['inputs']!.data as Uint8Array[];
  const col = (v: Float32Array): Tensor => ({ dtype: 'DT_FLOAT', shape: [v.length, 1], data: v });
  const sigs: FakeSignature[] = [
    sig('serving_default', PREDICT, { x: f11('x:0') }, { y: f11('y:0') }, (i) => ({ y: xy(i['x']!) })),
    sig('classify_x_to_y', CLASSIFY, { inputs: ex }, { scores: f11('y:0') }, (i) => ({
      scores: col(floatFeature(exFeed(i), 'x').map((v) => Math.fround(a * v + offset))),
    })),
    sig('regress_x_to_y', REGRESS, { inputs: ex }, { outputs: f11('y:0') }, (i) => ({
      outputs: col(floatFeature(exFeed(i), 'x').map((v) => Math.fround(a * v + offset))),
    })),
    sig('regress_x_to_y2', REGRESS, { inputs: ex }, { outputs: f11('y2:0') }, (i) => ({
      outputs: col(floatFeature(exFeed(i), 'x').map((v) => Math.fround(a * v + 3))),
    })),
    sig('regress_x2_to_y3', REGRESS, { inputs: f11('x2:0') }, { outputs: f11('y3:0') }, (i) => ({
      outputs: mapF32(i['inputs']!, (v) => Math.fround(a * v + 3)),
    })),
    // Extras (not in upstream's model) for codec paths.
    sig('multi_out', PREDICT, { x: ts('mx:0', 'DT_FLOAT', [-1]) }, { double: ts('d:0', 'DT_FLOAT', [-1]), same: ts('s:0', 'DT_FLOAT', [-1]) }, (i) => ({
      double: mapF32(i['x']!, (v) => 2 * v),
      same: mapF32(i['x']!, (v) => v),
    })),
    sig('two_inputs', PREDICT, { a: ts('a:0', 'DT_FLOAT', null), b: ts('b:0', 'DT_FLOAT', null) }, { sum: ts('sum:0', 'DT_FLOAT', null) }, (i) => {
      const x = i['a']!.data as Float32Array;
      const y = i['b']!.data as Float32Array;
      if (x.length !== y.length) throw new TfsError(Code.INVALID_ARGUMENT, 'Incompatible shapes');
      return { sum: { dtype: 'DT_FLOAT', shape: [...i['a']!.shape], data: x.map((v, k) => v + y[k]!) } };
    }),
    sig(
      'with_default',
      PREDICT,
      { x: ts('wx:0', 'DT_FLOAT', [-1]), k: ts('wk:0', 'DT_FLOAT', [1]) },
      { y: ts('wy:0', 'DT_FLOAT', [-1]) },
      (i) => {
        const k = (i['k']!.data as Float32Array)[0]!;
        return { y: mapF32(i['x']!, (v) => v * k) };
      },
      { k: { dtype: 'DT_FLOAT', shape: [1], data: new Float32Array([10]) } },
    ),
    sig('echo_bytes', PREDICT, { s: ts('s:0', 'DT_STRING', [-1]) }, { out_bytes: ts('ob:0', 'DT_STRING', [-1]), out: ts('o:0', 'DT_STRING', [-1]) }, (i) => ({
      out_bytes: i['s']!,
      out: i['s']!,
    })),
    sig('int64_times_two', PREDICT, { i: ts('i:0', 'DT_INT64', null) }, { o: ts('io:0', 'DT_INT64', null) }, (i) => {
      const src = i['i']!.data as BigInt64Array;
      return { o: { dtype: 'DT_INT64', shape: [...i['i']!.shape], data: src.map((v) => v * 2n) } };
    }),
    sig('bool_not', PREDICT, { b: ts('b:0', 'DT_BOOL', null) }, { o: ts('bo:0', 'DT_BOOL', null) }, (i) => {
      const src = i['b']!.data as Uint8Array;
      return { o: { dtype: 'DT_BOOL', shape: [...i['b']!.shape], data: src.map((v) => (v ? 0 : 1)) } };
    }),
    sig('no_inputs', PREDICT, {}, { c: ts('c:0', 'DT_FLOAT', []) }, () => ({
      c: { dtype: 'DT_FLOAT', shape: [], data: new Float32Array([42]) },
    })),
    sig('slow', PREDICT, { x: ts('sx:0', 'DT_FLOAT', null) }, { y: ts('sy:0', 'DT_FLOAT', null) }, async (i, signal) => {
      await sleep(Number((i['x']!.data as Float32Array)[0] ?? 0), signal);
      return { y: i['x']! };
    }),
    sig('half_input', PREDICT, { h: ts('h:0', 'DT_HALF', null) }, { o: ts('ho:0', 'DT_HALF', null) }, (i) => ({ o: i['h']! })),
  ];
  return new FakeServable(name, version, sigs, offset);
}

/**
 * A stand-in for the tutorial's Keras model (`dense_input` f32[-1,10] → `dense_1` f32[-1,1]):
 * y = sigmoid(w · x) with fixed weights w_i = (i + 1) / 10 (version 2 uses the negated weights).
 */
export function tutorialMlp(name = 'my_model', version = 1): FakeServable {
  const sign = version % 2 === 0 ? -1 : 1;
  const fn: Fn = (inputs) => {
    const x = inputs['dense_input']!;
    const rows = x.shape[0] ?? 0;
    const cols = x.shape[1] ?? 0;
    if (cols !== 10) {
      throw new TfsError(Code.INVALID_ARGUMENT, `Matrix size-incompatible: In[0]: [${rows},${cols}], In[1]: [10,64]`);
    }
    const src = x.data as Float32Array;
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let z = 0;
      for (let c = 0; c < 10; c++) z += (sign * (c + 1) * src[r * 10 + c]!) / 10;
      out[r] = Math.fround(1 / (1 + Math.exp(-z)));
    }
    return { dense_1: { dtype: 'DT_FLOAT', shape: [rows, 1], data: out } };
  };
  return new FakeServable(name, version, [
    sig('serving_default', PREDICT, { dense_input: ts('serving_default_dense_input:0', 'DT_FLOAT', [-1, 10]) }, { dense_1: ts('StatefulPartitionedCall:0', 'DT_FLOAT', [-1, 1]) }, fn),
  ]);
}

interface FakeModel {
  versions: Map<number, { servable?: FakeServable; state: ManagerState; error?: TfsError }>;
  labels: Map<string, number>;
}

/** An in-memory ServerCoreApi over FakeServables, resolving requests with upstream's texts. */
export class FakeCore implements ServerCoreApi {
  readonly models = new Map<string, FakeModel>();
  /** Handles currently held (acquired and not yet released). */
  held = 0;
  acquired = 0;
  ready = true;
  private readonly heldWaiters = new Set<{ n: number; resolve: () => void }>();

  /** Resolves once `held` equals `n` (at once if it does now): tests wait for this instead of polling. */
  untilHeld(n: number): Promise<void> {
    if (this.held === n) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.add({ n, resolve }));
  }

  private heldChanged(): void {
    for (const w of this.heldWaiters) {
      if (w.n !== this.held) continue;
      this.heldWaiters.delete(w);
      w.resolve();
    }
  }

  addServable(s: FakeServable, labels: Record<string, number> = {}): this {
    let m = this.models.get(s.name);
    if (!m) {
      m = { versions: new Map(), labels: new Map() };
      this.models.set(s.name, m);
    }
    m.versions.set(s.version, { servable: s, state: 'AVAILABLE' });
    for (const [l, v] of Object.entries(labels)) m.labels.set(l, v);
    return this;
  }

  /** Track a version that failed to load (status shows it; requests cannot reach it). */
  addFailedVersion(name: string, version: number, error: TfsError): this {
    let m = this.models.get(name);
    if (!m) {
      m = { versions: new Map(), labels: new Map() };
      this.models.set(name, m);
    }
    m.versions.set(version, { state: 'END', error });
    return this;
  }

  getServableHandle(req: ServableRequest): ServableHandle {
    const m = this.models.get(req.name);
    let version = req.version;
    if (req.label !== undefined) {
      const v = m?.labels.get(req.label);
      if (v === undefined) throw Errors.unknownVersionLabel(req.label);
      version = v;
    }
    let entry: { servable?: FakeServable } | undefined;
    if (version === undefined) {
      const available = [...(m?.versions.entries() ?? [])].filter(([, e]) => e.servable).sort((x, y) => y[0] - x[0]);
      entry = available[0]?.[1];
      if (!entry) throw Errors.servableNotFoundLatest(req.name);
    } else {
      entry = m?.versions.get(version);
      if (!entry?.servable) throw Errors.servableNotFoundSpecific(req.name, version);
    }
    const servable = entry.servable!;
    this.held++;
    this.acquired++;
    this.heldChanged();
    let released = false;
    return {
      name: req.name,
      version: servable.version,
      servable,
      release: () => {
        if (released) throw new Error('handle released twice');
        released = true;
        this.held--;
        this.heldChanged();
      },
    };
  }

  getModelStatus(name: string, version?: number): ModelVersionStatus[] {
    const m = this.models.get(name);
    if (!m || m.versions.size === 0) throw Errors.noVersionsOfModel(name);
    const rows = [...m.versions.entries()]
      .filter(([v]) => version === undefined || v === version)
      .sort((a, b) => b[0] - a[0])
      .map(([v, e]) => ({
        version: v,
        state: e.state,
        status: e.error
          ? { errorCode: e.error.codeName, errorMessage: e.error.message }
          : { errorCode: 'OK', errorMessage: '' },
      }));
    if (version !== undefined && rows.length === 0) throw Errors.noSuchVersionOfModel(name, version);
    return rows;
  }

  async reloadConfig(_config: ModelServerConfig): Promise<void> {
    throw new TfsError(Code.UNIMPLEMENTED, 'FakeCore.reloadConfig');
  }

  currentConfig(): ModelServerConfig {
    throw new TfsError(Code.UNIMPLEMENTED, 'FakeCore.currentConfig');
  }

  isReady(): boolean {
    return this.ready;
  }
}

/** A FakeCore serving half_plus_two v123 (label `stable` → 123). */
export function fakeCoreWithHalfPlusTwo(name = 'half_plus_two'): FakeCore {
  return new FakeCore().addServable(halfPlusTwo(name, 123), { stable: 123 });
}

/** numElements re-export for tests that build tensors. */
export { numElements };
