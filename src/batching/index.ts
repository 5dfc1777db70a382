/** Request batching (see batching-servable.ts for the behaviour, executor.ts for threads). */
export { Batcher, BatchingServable, roundToAllowed, type BatcherOptions, type WrapOptions } from './batching-servable.js';
export { BatchScheduler, BatchQueue, Batch, ScheduledTask, type QueueOptions, type Lane, type SchedulerTimers, type TaskPiece } from './batch-scheduler.js';
export {
  AutoExecutor,
  InThreadExecutor,
  WorkerExecutor,
  AUTO_WINDOW,
  DEFAULT_WORKER_THRESHOLD_MICROS,
  defaultWorkerCount,
  type BatchExecutor,
  type ExecutionDescription,
  type ExecutionMode,
} from './executor.js';
export { type BatchingObserver, noopBatchingObserver } from './observer.js';
export { type WorkerSource } from './worker-protocol.js';
export { WorkerPool, type PoolRunOptions } from './worker-pool.js';
export { concatRows, concatTensors, cropInner, sliceRows, maxInnerShape, valuesPerElement, cloneTensor } from './tensor-ops.js';
export { savedModelWorkerSource, type SavedModelWorkerOptions } from './worker-source.js';
