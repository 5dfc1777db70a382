/**
 * Messages between the I/O thread and batch worker threads (worker-pool.ts, worker-entry.ts).
 * Inputs with numeric values travel through the worker slot's {@link InputArena}: the I/O
 * thread copies their values into a SharedArrayBuffer the slot keeps, and the worker reads
 * them in place, so a batch allocates no ArrayBuffer on either side (a 400 KB request
 * cloned per call made V8 run full GCs on both threads for the external memory). String
 * tensors, and inputs too big for an arena, are copied by structured clone; outputs are moved
 * (transferred) back.
 */
import type { Tensor, TensorData } from '../tensor/tensor.js';

/** How a worker thread loads its own copy of a model. */
export interface WorkerSource {
  /** URL (file:) of an ES module to import in the worker. */
  readonly module: string;
  /** Named export of that module: `(…args) => Promise<ModelServable>`. */
  readonly exportName: string;
  /** Arguments for the loader; must be structured-cloneable (no functions, loggers, handles). */
  readonly args: readonly unknown[];
}

export type ToWorker =
  | {
      readonly t: 'run';
      readonly id: number;
      readonly signatureKey: string;
      readonly inputs: Record<string, WireTensor>;
      readonly outputFilter?: readonly string[];
    }
  | { readonly t: 'cancel'; readonly id: number }
  | { readonly t: 'close' };

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'load-error'; readonly code: number; readonly message: string; readonly errorId?: string }
  | { readonly t: 'ok'; readonly id: number; readonly outputs: Record<string, Tensor> }
  | { readonly t: 'err'; readonly id: number; readonly code: number; readonly message: string; readonly errorId?: string }
  | { readonly t: 'closed' };

/** The ArrayBuffers of `tensors` that may be transferred (each typed array must own its whole buffer). */
export function transferList(tensors: Iterable<Tensor>, owns: (t: Tensor) => boolean): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of tensors) {
    if (Array.isArray(t.data) || !owns(t)) continue;
    out.add((t.data as { buffer: ArrayBuffer }).buffer);
  }
  return [...out];
}

/** The typed-array classes of {@link TensorData}, by name: how a worker rebuilds a view. */
const VIEWS = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int16Array,
  Int8Array,
  Uint16Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type ViewName = keyof typeof VIEWS;
type ViewCtor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => TensorData;

/** A numeric tensor whose values sit in the slot's shared arena, `length` elements at `byteOffset`. */
export interface SharedTensor {
  readonly dtype: Tensor['dtype'];
  readonly shape: readonly number[];
  readonly shared: { readonly buffer: SharedArrayBuffer; readonly byteOffset: number; readonly length: number; readonly view: ViewName };
}

/** An input as it crosses to a worker. */
export type WireTensor = Tensor | SharedTensor;

/**
 * One worker slot's shared input memory. It is written only while the slot is claimed for a
 * batch and before the batch is posted, and the slot is claimed again only after the worker
 * answered, so the worker never sees it change under a run it answers.
 */
export class InputArena {
  private buffer: SharedArrayBuffer | undefined;

  /** @param maxBytes inputs needing more go by structured clone (the arena keeps its size for the slot's life). */
  constructor(private readonly maxBytes = 64 << 20) {}

  /** `inputs` with every numeric tensor's values copied into the arena (grown when short). */
  pack(inputs: Readonly<Record<string, Tensor>>): Record<string, WireTensor> {
    let need = 0;
    for (const t of Object.values(inputs)) if (!Array.isArray(t.data)) need += align8(t.data.byteLength);
    if (need === 0 || need > this.maxBytes) return { ...inputs };
    if (!this.buffer || this.buffer.byteLength < need) this.buffer = new SharedArrayBuffer(Math.max(1 << 16, 2 ** Math.ceil(Math.log2(need))));
    const out: Record<string, WireTensor> = {};
    let at = 0;
    for (const [k, t] of Object.entries(inputs)) {
      if (Array.isArray(t.data)) {
        out[k] = t;
        continue;
      }
      const src = t.data;
      new Uint8Array(this.buffer, at, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      out[k] = { dtype: t.dtype, shape: t.shape, shared: { buffer: this.buffer, byteOffset: at, length: src.length, view: src.constructor.name as ViewName } };
      at += align8(src.byteLength);
    }
    return out;
  }
}

/** Worker side: plain tensors, arena inputs as views over the shared memory (no copy). */
export function unpackInputs(inputs: Readonly<Record<string, WireTensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) {
    if (!('shared' in t)) {
      out[k] = t;
      continue;
    }
    const { buffer, byteOffset, length, view } = t.shared;
    out[k] = { dtype: t.dtype, shape: t.shape, data: new (VIEWS[view] as ViewCtor)(buffer, byteOffset, length) };
  }
  return out;
}

const align8 = (n: number): number => (n + 7) & ~7;
