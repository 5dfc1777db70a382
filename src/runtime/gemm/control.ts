/**
 * The control block at the start of the GEMM memory, shared by the calling thread and the
 * pool's workers (Int32 indices). A job is published by writing it at JOB, resetting NEXT,
 * setting PENDING to the worker count and bumping GEN. Every thread then claims chunks of
 * the job (column panels or row blocks) with an atomic increment of NEXT until none are left,
 * so a thread the OS runs late simply takes fewer chunks; each worker then decrements
 * PENDING, the last one notifying. A chunk is computed whole by the thread that claimed it,
 * so who claims what never changes a value.
 */
export const GEN = 0;
export const PENDING = 1;
export const READY = 2;
export const QUIT = 3;
export const NEXT = 4;
/** Chunks run by helper threads (for tests: did they take part). */
export const HELPED = 5;
/**
 * The job: the driver's 8 fixed arguments, then byPanels, rowBlocks, panels, chunk, chunks,
 * and which driver (an index into `drivers`: 0 `run`, the GEMM; 1 `crun`, the convolution).
 */
export const JOB = 16;
export const JOB_INTS = 14;
/** The module's exported drivers, in the job's driver-index order. */
export const DRIVERS = ['run', 'crun'] as const;
export type Driver = (...args: number[]) => void;
/** Bytes reserved for the control block (heap allocations start after it). */
export const CONTROL_BYTES = 4096;
export const MAX_WORKERS = 63;

/** Claim and run chunks of the published job until none are left; returns how many this thread ran. */
export function runChunks(ctl: Int32Array, drivers: readonly Driver[]): number {
  const job = Array.from(ctl.subarray(JOB, JOB + JOB_INTS));
  const fixed = job.slice(0, 8);
  const [byPanels, rowBlocks, panels, chunk, chunks, driver] = job.slice(8) as [number, number, number, number, number, number];
  const run = drivers[driver]!;
  const total = byPanels ? panels : rowBlocks;
  let ran = 0;
  for (let c = Atomics.add(ctl, NEXT, 1); c < chunks; c = Atomics.add(ctl, NEXT, 1), ran++) {
    const lo = c * chunk;
    const hi = Math.min(total, lo + chunk);
    if (byPanels) run(...fixed, 0, rowBlocks, lo, hi);
    else run(...fixed, lo, hi, 0, panels);
  }
  return ran;
}
