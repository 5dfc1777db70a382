/**
 * Registers tfs's custom kernels with tfjs-converter (`tf.registerOp`), per thread. The
 * kernels live in family tables under kernels/ (listed in kernels/index.ts): TF ops tfs
 * adds (math.ts, example.ts, segment-sum.ts, ...), int64 overflow checks (int64.ts) and
 * tfs's own ops over live variables and tables (resources.ts).
 */
import { registerOp } from '@tensorflow/tfjs-converter';
import { FAMILY_OPS, KERNEL_FAMILIES } from './kernels/index.js';

let registered = false;

/** Register every custom op in this thread's tfjs-converter. Idempotent. */
export function registerCustomOps(): void {
  if (registered) return;
  registered = true;
  for (const family of KERNEL_FAMILIES) for (const k of family) registerOp(k.op, k.kernel);
}

/** Whether tfs registers a kernel for op `op` (TF ops tfjs lacks, and tfs's own `_Tfs*` ops). */
export function isCustomOp(op: string): boolean {
  return FAMILY_OPS.has(op);
}
