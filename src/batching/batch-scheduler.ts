/**
 * The shared batch scheduler: TF Serving's SharedBatchScheduler (TF
 * `core/kernels/batching_util/shared_batch_scheduler.h`) for one event loop.
 *
 * One scheduler serves the whole server. Every model version and signature (see
 * batching-servable.ts for the exact queue key) gets its own {@link BatchQueue}; all queues
 * share `num_batch_threads` execution slots, handed out round-robin among queues that have a
 * batch ready. Tasks (one request, `size` rows) are appended to the queue's open batch; a
 * batch becomes ready when it reaches the execution batch size, or when
 * `batch_timeout_micros` has passed since its first task arrived. While every slot is busy
 * the open batch keeps growing, so with `batch_timeout_micros: 0` the batch size adapts to
 * load: idle servers answer each request at once, busy ones merge requests.
 *
 * Admission follows upstream: a task larger than `max_batch_size` is rejected
 * (INVALID_ARGUMENT `Task size <n> is larger than maximum input batch size <max>`); a task
 * that does not fit in the open batch when `max_enqueued_batches` batches are already waiting
 * is rejected with UNAVAILABLE `The batch scheduling queue to which this task was submitted
 * is full`. With `enable_large_batch_splitting`, a task is cut into pieces that fill the open
 * batch and then whole batches of `max_execution_batch_size` rows.
 *
 * Unlike upstream, a queued task can be withdrawn (its caller gave up): its pieces leave
 * their batches before they run.
 *
 * The scheduler only moves row counts around; what a batch *is* (tensors, outputs) is the
 * business of the `process` callback given to {@link BatchScheduler.addQueue}.
 */
import { Errors } from '../errors.js';

/** Per-queue limits, from BatchingParameters (tfserving-spec.md §3.6). */
export interface QueueOptions {
  /** max_batch_size: the largest task accepted (upstream's input_batch_size_limit). */
  readonly maxBatchSize: number;
  /** Largest batch executed: max_execution_batch_size with splitting, else max_batch_size. */
  readonly maxExecutionBatchSize: number;
  readonly maxEnqueuedBatches: number;
  readonly batchTimeoutMicros: number;
  readonly enableLargeBatchSplitting: boolean;
}

/** One request waiting for (or being) batched. `size` is its number of rows. */
export class ScheduledTask<T> {
  /** Pieces not yet handed to a batch run. */
  queuedPieces = 0;
  /** All pieces, in row order (one unless the task was split). */
  readonly pieces: TaskPiece<T>[] = [];
  readonly enqueuedAt: number;
  constructor(
    readonly size: number,
    readonly payload: T,
    now: number,
  ) {
    this.enqueuedAt = now;
  }
}

/** Rows `[start, start+count)` of a task, placed in one batch. */
export interface TaskPiece<T> {
  readonly task: ScheduledTask<T>;
  readonly index: number;
  readonly start: number;
  readonly count: number;
  /** The batch holding this piece while it waits. */
  batch: Batch<T> | undefined;
  /** Set once the piece's batch was handed to an executor. */
  started: boolean;
}

/** A group of task pieces executed together. */
export class Batch<T> {
  readonly pieces: TaskPiece<T>[] = [];
  size = 0;
  /** When the first piece arrived (ms, scheduler clock). */
  openedAt = 0;
}

/** How busy an executor is: queues sharing one executor share one lane. */
export interface Lane {
  running: number;
  /** How many batches this lane can run at once. */
  capacity(): number;
}

export interface SchedulerOptions {
  /** num_batch_threads: batches running at once over all queues. */
  readonly numBatchThreads: number;
  /** Clock in milliseconds (tests may inject one). */
  readonly now?: () => number;
  /** Timers for batch timeouts (tests may inject them, with a matching {@link now}). */
  readonly timers?: SchedulerTimers;
}

/** How the scheduler waits for a batch timeout: setTimeout/clearTimeout by default. */
export interface SchedulerTimers {
  /** Call `fn` once, `ms` (≥ 1) milliseconds from now on the scheduler's clock. */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: SchedulerTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type ProcessFn<T> = (batch: Batch<T>) => Promise<void>;

/** A queue for one model version and signature; create it with {@link BatchScheduler.addQueue}. */
export class BatchQueue<T> {
  /** Waiting batches; the last one is open (accepting tasks), possibly empty. */
  private readonly batches: Batch<T>[] = [new Batch<T>()];
  private timer: unknown;
  private closed = false;
  /** Set by {@link BatchScheduler.flushAll} (drain): partly filled batches run at once. */
  private flushing = false;
  /** Set by {@link retire}: called once the last waiting batch has been taken. */
  private onDrained: (() => void) | undefined;
  private retired = false;
  /** Tasks with at least one piece still waiting. */
  queuedTasks = 0;

  constructor(
    private readonly scheduler: BatchScheduler,
    readonly options: QueueOptions,
    readonly lane: Lane,
    readonly process: ProcessFn<T>,
    private readonly onQueueLength?: (tasks: number) => void,
  ) {}

  /** Batches waiting, counting the open one (upstream's num_enqueued_batches). */
  get enqueuedBatches(): number {
    return this.batches.length;
  }

  private get open(): Batch<T> {
    return this.batches[this.batches.length - 1]!;
  }

  /**
   * Admit a task, or throw upstream's TfsError (INVALID_ARGUMENT when larger than
   * max_batch_size, UNAVAILABLE when the queue is full).
   */
  schedule(task: ScheduledTask<T>): void {
    const o = this.options;
    if (this.closed) throw Errors.batchQueueClosed();
    if (task.size > o.maxBatchSize) throw Errors.taskLargerThanMaxBatch(task.size, o.maxBatchSize);
    const now = this.scheduler.now();
    if (o.enableLargeBatchSplitting) {
      const capacity = (o.maxEnqueuedBatches - this.batches.length) * o.maxExecutionBatchSize + (o.maxExecutionBatchSize - this.open.size);
      if (task.size > capacity) throw Errors.batchQueueFull();
      let start = 0;
      while (start < task.size) {
        let room = o.maxExecutionBatchSize - this.open.size;
        if (room <= 0) {
          this.batches.push(new Batch<T>());
          room = o.maxExecutionBatchSize;
        }
        const count = Math.min(room, task.size - start);
        this.addPiece(task, start, count, now);
        start += count;
      }
    } else {
      if (this.open.size + task.size > o.maxExecutionBatchSize) {
        if (this.batches.length >= o.maxEnqueuedBatches) throw Errors.batchQueueFull();
        this.batches.push(new Batch<T>());
      }
      this.addPiece(task, 0, task.size, now);
    }
    this.queuedTasks++;
    this.onQueueLength?.(this.queuedTasks);
    this.armTimer();
    this.scheduler.requestDispatch();
  }

  private addPiece(task: ScheduledTask<T>, start: number, count: number, now: number): void {
    const batch = this.open;
    if (batch.pieces.length === 0) batch.openedAt = now;
    const piece: TaskPiece<T> = { task, index: task.pieces.length, start, count, batch, started: false };
    task.pieces.push(piece);
    task.queuedPieces++;
    batch.pieces.push(piece);
    batch.size += count;
  }

  /**
   * Withdraw a task's waiting pieces (its caller gave up). Returns true when nothing of the
   * task had started running, i.e. the task is entirely gone from the scheduler.
   */
  withdraw(task: ScheduledTask<T>): boolean {
    const hadQueued = task.queuedPieces > 0;
    for (const piece of task.pieces) {
      const b = piece.batch;
      if (!b) continue;
      const i = b.pieces.indexOf(piece);
      if (i >= 0) {
        b.pieces.splice(i, 1);
        b.size -= piece.count;
      }
      piece.batch = undefined;
      task.queuedPieces--;
      if (b.pieces.length === 0 && b !== this.open) this.batches.splice(this.batches.indexOf(b), 1);
    }
    if (hadQueued) {
      this.queuedTasks--;
      this.onQueueLength?.(this.queuedTasks);
    }
    if (this.open.pieces.length === 0) this.clearTimer();
    this.leaveIfDrained();
    return task.pieces.every((p) => !p.started);
  }

  /**
   * Stop taking new tasks (the owner sends them to a new queue with new parameters) but run
   * the ones waiting: they keep the batches they were placed in, and the open batch is ready
   * at once, since nothing will join it. The queue leaves the scheduler when its last batch
   * has been taken, and then calls `onDrained`.
   */
  retire(onDrained: () => void): void {
    if (this.closed || this.retired) return;
    this.retired = true;
    this.onDrained = onDrained;
    this.clearTimer();
    this.leaveIfDrained();
    this.scheduler.requestDispatch();
  }

  private leaveIfDrained(): void {
    if (!this.retired || this.closed || this.batches.length > 1 || this.open.size > 0) return;
    this.closed = true;
    this.scheduler.removeQueue(this as unknown as BatchQueue<unknown>);
    this.onDrained?.();
  }

  /** A batch is ready: a closed batch waits, or the open one is full or past its timeout. */
  ready(now: number): boolean {
    if (this.batches.length > 1) return true;
    const open = this.open;
    if (open.size === 0) return false;
    if (this.retired) return true;
    return this.flushing || open.size >= this.options.maxExecutionBatchSize || (now - open.openedAt) * 1000 >= this.options.batchTimeoutMicros;
  }

  /** Remove and return the next batch to run (call only when {@link ready}). */
  take(): Batch<T> {
    const batch = this.batches.shift()!;
    if (this.batches.length === 0) {
      this.batches.push(new Batch<T>());
      this.clearTimer();
    }
    let finishedTasks = 0;
    for (const p of batch.pieces) {
      p.batch = undefined;
      p.started = true;
      p.task.queuedPieces--;
      if (p.task.queuedPieces === 0) finishedTasks++;
    }
    if (finishedTasks > 0) {
      this.queuedTasks -= finishedTasks;
      this.onQueueLength?.(this.queuedTasks);
    }
    this.armTimer();
    this.leaveIfDrained();
    return batch;
  }

  /** Wake the scheduler when the open batch's timeout expires (ready() must see it due). */
  private armTimer(): void {
    const open = this.open;
    if (this.retired || this.timer !== undefined || open.size === 0 || this.options.batchTimeoutMicros <= 0) return;
    if (open.size >= this.options.maxExecutionBatchSize) return;
    const dueMs = open.openedAt + this.options.batchTimeoutMicros / 1000 - this.scheduler.now();
    // Already due: the batch is ready, and the next dispatch (now, or when a running batch
    // ends and frees a slot) takes it; no polling while all slots are busy.
    if (dueMs <= 0) return;
    // Node timers have millisecond resolution; sub-millisecond timeouts round up to 1 ms.
    this.timer = this.scheduler.timers.set(
      () => {
        this.timer = undefined;
        this.scheduler.requestDispatch();
        this.armTimer();
      },
      Math.max(1, Math.ceil(dueMs)),
    );
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.scheduler.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** From now on, run every batch as soon as it has a task (no waiting for the timeout). */
  flush(): void {
    this.flushing = true;
    this.clearTimer();
  }

  /** Stop accepting tasks; returns the tasks still waiting (their callers must be answered). */
  close(): ScheduledTask<T>[] {
    this.closed = true;
    this.retired = false; // withdrawing below must not call onDrained
    this.clearTimer();
    const left = new Set<ScheduledTask<T>>();
    for (const b of this.batches) for (const p of b.pieces) left.add(p.task);
    for (const t of left) this.withdraw(t);
    this.scheduler.removeQueue(this as unknown as BatchQueue<unknown>);
    return [...left];
  }
}

/**
 * The shared scheduler: owns the execution slots and decides which queue runs next.
 * Dispatching happens on `setImmediate`, so tasks that arrive in the same turn of the event
 * loop (e.g. many decoded requests) join the same batch.
 */
export class BatchScheduler {
  private threads: number;
  readonly now: () => number;
  readonly timers: SchedulerTimers;
  private readonly queues: BatchQueue<unknown>[] = [];
  private running = 0;
  private next = 0;
  private pending: NodeJS.Immediate | undefined;

  constructor(options: SchedulerOptions) {
    this.threads = Math.max(1, Math.floor(options.numBatchThreads));
    this.now = options.now ?? (() => performance.now());
    this.timers = options.timers ?? realTimers;
  }

  /** num_batch_threads: batches running at once over all queues. */
  get numBatchThreads(): number {
    return this.threads;
  }

  /**
   * Change num_batch_threads while serving. Batches already running finish; with fewer
   * threads no new batch starts until the running ones are below the new count.
   */
  setNumBatchThreads(n: number): void {
    this.threads = Math.max(1, Math.floor(n));
    this.requestDispatch();
  }

  /** Batches running right now. */
  get runningBatches(): number {
    return this.running;
  }

  addQueue<T>(options: QueueOptions, lane: Lane, process: ProcessFn<T>, onQueueLength?: (tasks: number) => void): BatchQueue<T> {
    const q = new BatchQueue<T>(this, options, lane, process, onQueueLength);
    this.queues.push(q as BatchQueue<unknown>);
    return q;
  }

  /** @internal */
  removeQueue(q: BatchQueue<unknown>): void {
    const i = this.queues.indexOf(q);
    if (i >= 0) this.queues.splice(i, 1);
  }

  /**
   * Drain: every queue runs its waiting and future tasks without waiting for a batch to
   * fill or time out, so a shutdown never sits out a batch timeout.
   */
  flushAll(): void {
    for (const q of this.queues) q.flush();
    this.requestDispatch();
  }

  /** Run dispatch soon (coalesced). */
  requestDispatch(): void {
    if (this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.dispatch();
    });
  }

  /** Start ready batches while slots are free, visiting queues round-robin. */
  private dispatch(): void {
    const now = this.now();
    while (this.running < this.threads && this.queues.length > 0) {
      let picked: BatchQueue<unknown> | undefined;
      for (let k = 0; k < this.queues.length; k++) {
        const i = (this.next + k) % this.queues.length;
        const q = this.queues[i]!;
        if (q.lane.running < q.lane.capacity() && q.ready(now)) {
          picked = q;
          this.next = (i + 1) % this.queues.length;
          break;
        }
      }
      if (!picked) return;
      const q = picked;
      const batch = q.take();
      if (batch.size === 0) continue;
      this.running++;
      q.lane.running++;
      void q
        .process(batch)
        .catch(() => undefined) // process() answers its own tasks; never let a batch kill the loop
        .finally(() => {
          this.running--;
          q.lane.running--;
          this.requestDispatch();
        });
    }
  }
}
