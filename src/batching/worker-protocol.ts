/**
 * Messages between the I/O thread and batch worker threads (worker-pool.ts, worker-entry.ts).
 * Tensors travel as plain {@link Tensor} objects: typed arrays are moved (transferred) when
 * the sender owns them, string tensors are copied by structured clone.
 */
import type { Tensor } from '../tensor/tensor.js';

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
      readonly inputs: Record<string, Tensor>;
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
