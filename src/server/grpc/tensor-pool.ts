/**
 * Typed arrays for request tensor_content, handed from one gRPC Predict to the next.
 *
 * A batch-128 perf_mlp request carries 401 KB of tensor_content; decoding it into a fresh
 * Float32Array per call is an external allocation V8 answers with more full collections
 * (measured with bench/big-tensor.mjs: about 3.9 full GCs/s instead of 2.3 at ~65 Predict/s).
 * A call leases arrays while its tensors are decoded and gives them back once its reply is
 * serialized: the run has finished then, and the reply's bytes are a copy. A call that fails
 * (an abort may leave a run still reading its inputs, a batch may still hold them) gives
 * nothing back; its arrays are left to the GC.
 */
import type { DTypeInfo } from '../../tensor/dtypes.js';
import { allocData, type TensorData } from '../../tensor/tensor.js';

type Values = Exclude<TensorData, Uint8Array[]>;

/** Arrays kept for reuse: enough for a few calls in flight with a few inputs each. */
const MAX_KEPT = 8;
/** Larger arrays are not kept (a rare huge request should not stay resident). */
const MAX_KEPT_BYTES = 16 << 20;

interface Kept {
  readonly storage: DTypeInfo['storage'];
  readonly data: Values;
}

const kept: Kept[] = [];

/** An array of `info`'s storage with `n` elements: a kept one of that kind and length, or a new one. */
function take(info: DTypeInfo, n: number): Values {
  for (let i = kept.length - 1; i >= 0; i--) {
    const k = kept[i]!;
    if (k.storage === info.storage && k.data.length === n) {
      kept.splice(i, 1);
      return k.data;
    }
  }
  return allocData(info, n) as Values;
}

/**
 * What one call leased. `alloc` is the decoder's {@link ContentAlloc}; `giveBack` returns
 * every array to the pool once (later calls are no-ops).
 */
export class TensorLease {
  private leased: Kept[] | undefined;

  readonly alloc = (info: DTypeInfo, n: number): Values => {
    const data = take(info, n);
    (this.leased ??= []).push({ storage: info.storage, data });
    return data;
  };

  giveBack(): void {
    const leased = this.leased;
    if (!leased) return;
    this.leased = undefined;
    for (const k of leased) {
      // A detached array (moved to a worker) or a huge one is not kept.
      if (k.data.byteLength === 0 || k.data.byteLength > MAX_KEPT_BYTES) continue;
      if (kept.length >= MAX_KEPT) kept.shift();
      kept.push(k);
    }
  }
}

/** How many arrays the pool holds (tests). */
export function keptArrays(): number {
  return kept.length;
}
