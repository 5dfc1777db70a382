/**
 * A fake ModelServable for batching tests. Every output row depends only on the same input
 * row (as for a real batch-major model), so a batched call must give each caller exactly
 * what an unbatched call gives. It records every call it executes.
 *
 * Signatures:
 *  - `serving_default`: x float32[-1,3] -> y float32[-1,2] (y = [sum(x_row)+row0*k, max(x_row)]),
 *    z int64[-1] (= round(x_row[0]) * 7)
 *  - `strings`: s string[-1] -> rev string[-1] (bytes reversed), len int32[-1]
 *  - `seq`: tokens int32[-1,-1] -> emb float32[-1,-1,2] ([t, 2t] per token), fixed float32[-1,3]
 *    (3 values per row, independent of the sequence length)
 *  - `scalar_out`: x float32[-1,3] -> total float32[] (not batch-major: sum of everything)
 *
 * A row whose first value is NaN makes the call fail with INVALID_ARGUMENT `poisoned row`; in a
 * worker thread, a batch whose very first value is 666 makes the thread exit.
 * `delayMs` makes each call wait (without using the CPU) before answering.
 */
import { isMainThread } from 'node:worker_threads';
import { Code, TfsError } from '../../src/errors.js';
import type { ModelServable, RunOptions, SignatureSpec } from '../../src/core/servable.js';
import type { TensorSpec } from '../../src/tensor/tensor.js';
import type { DTypeName } from '../../src/tensor/dtypes.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface RecordedCall {
  signatureKey: string;
  rows: number;
  shapes: Record<string, number[]>;
  outputFilter: readonly string[] | undefined;
}

const spec = (name: string, dtype: DTypeName, shape: number[] | null): TensorSpec => ({ name, dtype, shape });

function sig(key: string, inputs: Record<string, TensorSpec>, outputs: Record<string, TensorSpec>): SignatureSpec {
  return { key, methodName: 'tensorflow/serving/predict', inputs, outputs, defaults: {} };
}

export const FAKE_SIGNATURES: ReadonlyMap<string, SignatureSpec> = new Map([
  [
    'serving_default',
    sig('serving_default', { x: spec('x:0', 'DT_FLOAT', [-1, 3]) }, { y: spec('y:0', 'DT_FLOAT', [-1, 2]), z: spec('z:0', 'DT_INT64', [-1]) }),
  ],
  ['strings', sig('strings', { s: spec('s:0', 'DT_STRING', [-1]) }, { rev: spec('rev:0', 'DT_STRING', [-1]), len: spec('len:0', 'DT_INT32', [-1]) })],
  [
    'seq',
    sig('seq', { tokens: spec('tokens:0', 'DT_INT32', [-1, -1]) }, { emb: spec('emb:0', 'DT_FLOAT', [-1, -1, 2]), fixed: spec('fixed:0', 'DT_FLOAT', [-1, 3]) }),
  ],
  ['scalar_out', sig('scalar_out', { x: spec('x:0', 'DT_FLOAT', [-1, 3]) }, { total: spec('total:0', 'DT_FLOAT', []) })],
]);

export interface FakeOptions {
  delayMs?: number;
  /** Called before each execution; may return a promise to hold the call (a gate). */
  gate?: (call: RecordedCall) => Promise<void> | void;
  name?: string;
  version?: number;
}

export class FakeServable implements ModelServable {
  readonly name: string;
  readonly version: number;
  readonly signatures = FAKE_SIGNATURES;
  readonly signatureDefMap = {};
  readonly calls: RecordedCall[] = [];
  disposed = false;

  constructor(private readonly opts: FakeOptions = {}) {
    this.name = opts.name ?? 'fake';
    this.version = opts.version ?? 1;
  }

  async run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const sig = this.signatures.get(signatureKey);
    if (!sig) throw new TfsError(Code.INVALID_ARGUMENT, `no signature ${signatureKey}`);
    const first = Object.values(inputs)[0];
    if (!first || first.shape.length === 0) throw new TfsError(Code.INVALID_ARGUMENT, 'fake needs a batched input');
    const call: RecordedCall = {
      signatureKey,
      rows: first.shape[0]!,
      shapes: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [...v.shape]])),
      outputFilter: options.outputFilter,
    };
    this.calls.push(call);
    // x[0][0] === 666 kills a worker thread (tests of worker failure).
    if (!isMainThread && signatureKey === 'serving_default' && (first.data as Float32Array)[0] === 666) process.exit(3);
    await this.opts.gate?.(call);
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    if (options.signal?.aborted) throw new TfsError(Code.CANCELLED, 'Cancelled');
    const out = compute(signatureKey, inputs);
    const filter = options.outputFilter;
    if (!filter || filter.length === 0) return out;
    return Object.fromEntries(filter.map((k) => [k, out[k]!]));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** What the fake model computes (pure; also the reference for unbatched answers). */
export function compute(signatureKey: string, inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  switch (signatureKey) {
    case 'serving_default':
    case 'scalar_out': {
      const x = inputs['x']!;
      if (x.dtype !== 'DT_FLOAT') throw new TfsError(Code.INVALID_ARGUMENT, `expected float, got ${x.dtype}`);
      if (x.shape.length !== 2 || x.shape[1] !== 3) throw new TfsError(Code.INVALID_ARGUMENT, `bad shape [${x.shape.join(',')}]`);
      const n = x.shape[0]!;
      const d = x.data as Float32Array;
      for (let i = 0; i < n; i++) if (Number.isNaN(d[i * 3]!)) throw new TfsError(Code.INVALID_ARGUMENT, 'poisoned row');
      if (signatureKey === 'scalar_out') {
        let s = 0;
        for (const v of d) s += v;
        return { total: { dtype: 'DT_FLOAT', shape: [], data: Float32Array.of(s) } };
      }
      const y = new Float32Array(n * 2);
      const z = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const a = d[i * 3]!;
        const b = d[i * 3 + 1]!;
        const c = d[i * 3 + 2]!;
        y[i * 2] = a + b + c + a * 0.5;
        y[i * 2 + 1] = Math.max(a, b, c);
        z[i] = BigInt(Math.round(a)) * 7n;
      }
      return { y: { dtype: 'DT_FLOAT', shape: [n, 2], data: y }, z: { dtype: 'DT_INT64', shape: [n], data: z } };
    }
    case 'strings': {
      const s = inputs['s']!;
      const items = s.data as Uint8Array[];
      return {
        rev: { dtype: 'DT_STRING', shape: [...s.shape], data: items.map((b) => b.slice().reverse()) },
        len: { dtype: 'DT_INT32', shape: [...s.shape], data: Int32Array.from(items.map((b) => b.length)) },
      };
    }
    case 'seq': {
      const t = inputs['tokens']!;
      const [n, len] = [t.shape[0]!, t.shape[1]!];
      const d = t.data as Int32Array;
      const emb = new Float32Array(n * len * 2);
      const fixed = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < len; j++) {
          emb[(i * len + j) * 2] = d[i * len + j]!;
          emb[(i * len + j) * 2 + 1] = 2 * d[i * len + j]!;
        }
        // Depends only on the row's first token, so ragged padding does not change it.
        fixed[i * 3] = d[i * len]!;
        fixed[i * 3 + 1] = 1;
        fixed[i * 3 + 2] = -d[i * len]!;
      }
      return {
        emb: { dtype: 'DT_FLOAT', shape: [n, len, 2], data: emb },
        fixed: { dtype: 'DT_FLOAT', shape: [n, 3], data: fixed },
      };
    }
    default:
      throw new TfsError(Code.INVALID_ARGUMENT, `no signature ${signatureKey}`);
  }
}

/** Loader used by worker-thread tests (a WorkerSource export). */
export async function loadFakeServable(name: string, version: number, delayMs = 0): Promise<ModelServable> {
  return new FakeServable({ name, version, delayMs });
}
