/**
 * The control block at the start of the GEMM memory, shared by the calling thread and the
 * pool's workers (Int32 indices). A job is published by writing each worker's parameters,
 * setting PENDING to the worker count and bumping GEN; each worker runs its rectangle and
 * decrements PENDING, the last one notifying.
 */
export const GEN = 0;
export const PENDING = 1;
export const READY = 2;
export const QUIT = 3;
/** Worker w's 12 `run` arguments start at JOB + w * JOB_INTS. */
export const JOB = 16;
export const JOB_INTS = 16;
/** Bytes reserved for the control block (heap allocations start after it). */
export const CONTROL_BYTES = 4096;
export const MAX_WORKERS = (CONTROL_BYTES / 4 - JOB) / JOB_INTS;
