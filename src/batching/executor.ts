/**
 * Where batches run: on the I/O thread, or on worker threads that each hold a copy of the
 * model — and how tfs chooses between the two.
 *
 * Node runs JavaScript on one thread. A batch that runs in-thread blocks request decoding
 * and encoding for its whole duration, and two in-thread batches never overlap. Worker
 * threads run batches in parallel with each other and with the I/O thread, at the price of
 * moving tensors between threads (one copy each way; tensors batching allocated itself are
 * transferred, not copied) and one model copy per worker.
 *
 * The choice (`execution` option):
 *  - `in-thread`: always on the I/O thread, one batch at a time per model;
 *  - `workers`: always on `maxWorkers` worker threads;
 *  - `auto` (default): in-thread when fewer than 2 worker threads are allowed
 *    (num_batch_threads 1, or 1 CPU): one worker only moves the same sequential work elsewhere.
 *    Otherwise start in-thread and time each batch. After every
 *    {@link AUTO_WINDOW} batches, the model moves to worker threads for good when both
 *     - the median in-thread batch time is at least `workerThresholdMicros` (default
 *       {@link DEFAULT_WORKER_THRESHOLD_MICROS}): below that, the fixed cost of crossing threads
 *       is a large share of the work (tiny models such as seed_mlp);
 *     - batches took at least `workerMinBusyShare` (default {@link DEFAULT_WORKER_MIN_BUSY_SHARE})
 *       of the I/O thread's wall-clock time over the window: when request decoding and
 *       encoding (HTTP, JSON) fill most of it, moving batches off frees little of the thread
 *       that limits throughput, while the transfers, the worker wake-ups and the smaller
 *       batches (two run at once) cost CPU on the same two cores (perf_mlp one-row REST at 64
 *       clients: batches are ~15% of the I/O thread, and workers cost 1.3-2x CPU per request
 *       and lower req/s against in-thread; `npm run bench:batching -- --model perf_mlp
 *       --runtime embedded --on-variants in-thread,workers`). Big batches (perf_mlp batch-128
 *       gRPC, or the BatchingServable alone) keep the I/O thread mostly in batches and move.
 *    The decision and the measured median and share are logged and reported by
 *    {@link BatchExecutor.describe}.
 */
import { availableParallelism } from 'node:os';
import type { ModelServable } from '../core/servable.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Logger } from '../util/logger.js';
import { WorkerPool, type PoolRunOptions } from './worker-pool.js';
import type { WorkerSource } from './worker-protocol.js';

export type ExecutionMode = 'in-thread' | 'workers' | 'auto';

/** Batches timed before each `auto` decision. */
export const AUTO_WINDOW = 16;
/**
 * Default `auto` threshold: median in-thread batch time from which a model runs on worker
 * threads. From `npm run bench:batching` on the 2-core machine: seed_mlp batches take
 * 0.04-0.1 ms and lose about half their throughput on a worker (0.5x); perf_mlp batches of
 * 16 rows take 1-2 ms and gain from 2 workers (1.3x over in-thread, 1.6x over 1 worker).
 * 1 ms sits between the two.
 */
export const DEFAULT_WORKER_THRESHOLD_MICROS = 1000;
/** Default `auto` busy share: batches must fill at least half of the I/O thread's time (see the file comment). */
export const DEFAULT_WORKER_MIN_BUSY_SHARE = 0.5;

export interface ExecutionDescription {
  /** Where batches run now. */
  readonly mode: 'in-thread' | 'workers';
  /** Worker threads in use (0 in-thread). */
  readonly workers: number;
  /** Why, in words. */
  readonly reason: string;
  /** Median in-thread batch time measured by `auto`, when known. */
  readonly medianBatchMicros?: number;
  /** Share (0..1) of wall-clock time the last measured window spent in batches, when known. */
  readonly busyShare?: number;
}

export interface BatchExecutor {
  /** Batches this executor can run at once. */
  capacity(): number;
  run(signatureKey: string, inputs: Record<string, Tensor>, opts?: PoolRunOptions): Promise<Record<string, Tensor>>;
  describe(): ExecutionDescription;
  /** Resolves once any pending change of execution (workers starting) has finished. */
  settled?(): Promise<void>;
  /** Change the number of worker threads while serving (executors without workers ignore it). */
  resize?(workers: number): void;
  /** Called whenever capacity() may have grown (a worker became ready), so queued batches can start. */
  onCapacity?(listener: () => void): void;
  dispose(): Promise<void>;
}

/**
 * Runs batches with the servable itself, from the I/O thread: one at a time, or, for a
 * servable that runs off the event loop (the native runtime, {@link ModelServable.concurrentRuns}),
 * up to that many at once (the scheduler's num_batch_threads bounds them too).
 */
export class InThreadExecutor implements BatchExecutor {
  constructor(
    private readonly servable: ModelServable,
    private readonly reason = 'in-thread execution requested',
    private readonly slots = Math.max(1, servable.concurrentRuns ?? 1),
  ) {}
  capacity(): number {
    return this.slots;
  }
  run(signatureKey: string, inputs: Record<string, Tensor>, opts: PoolRunOptions = {}): Promise<Record<string, Tensor>> {
    return this.servable.run(signatureKey, inputs, {
      ...(opts.outputFilter ? { outputFilter: opts.outputFilter } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
  describe(): ExecutionDescription {
    return { mode: 'in-thread', workers: 0, reason: this.reason };
  }
  async dispose(): Promise<void> {
    /* the servable belongs to the caller */
  }
}

/** Runs batches on a worker pool (started by the constructor's caller through {@link WorkerExecutor.start}). */
export class WorkerExecutor implements BatchExecutor {
  readonly pool: WorkerPool;
  constructor(
    source: WorkerSource,
    workers: number,
    private readonly reason = 'worker execution requested',
    logger?: Logger,
  ) {
    this.pool = new WorkerPool(source, workers, logger);
  }
  start(): Promise<void> {
    return this.pool.start();
  }
  onCapacity(listener: () => void): void {
    this.pool.onCapacity = listener;
  }
  capacity(): number {
    return this.pool.capacity();
  }
  run(signatureKey: string, inputs: Record<string, Tensor>, opts: PoolRunOptions = {}): Promise<Record<string, Tensor>> {
    return this.pool.run(signatureKey, inputs, opts);
  }
  describe(): ExecutionDescription {
    return { mode: 'workers', workers: this.pool.capacity(), reason: this.reason };
  }
  dispose(): Promise<void> {
    return this.pool.dispose();
  }
}

export interface AutoExecutorOptions {
  /** `auto`: start workers once measured batches are slow; `workers`: start them right away. */
  readonly mode: 'auto' | 'workers';
  readonly workerThresholdMicros?: number | undefined;
  /** Least share (0..1) of wall-clock time spent in batches for `auto` to move to workers. */
  readonly workerMinBusyShare?: number | undefined;
  readonly maxWorkers: number;
  readonly logger?: Logger | undefined;
  readonly label: string;
  /** Clock in milliseconds that times in-thread batches; default `performance.now` (tests inject one). */
  readonly now?: (() => number) | undefined;
}

/**
 * `auto` and `workers`: batches run in-thread until worker threads are ready (in `auto`, until
 * measured batches are slow enough to be worth them). Worker threads that cannot load the
 * model leave the model in-thread, with the reason in {@link describe} and the log.
 */
export class AutoExecutor implements BatchExecutor {
  private readonly inThread: InThreadExecutor;
  private workers: WorkerExecutor | undefined;
  private starting: WorkerExecutor | undefined;
  private decided = false;
  private disposed = false;
  private readonly window: number[] = [];
  /** When the first batch of the current window started (ms). */
  private windowStart = 0;
  private lastMedian: number | undefined;
  private lastShare: number | undefined;
  private readonly minBusyShare: number;
  private reason: string;
  private readonly threshold: number;
  private capacityListener: (() => void) | undefined;
  private maxWorkers: number;

  constructor(
    servable: ModelServable,
    private readonly source: WorkerSource,
    private readonly opts: AutoExecutorOptions,
  ) {
    this.maxWorkers = opts.maxWorkers;
    this.inThread = new InThreadExecutor(servable);
    this.threshold = opts.workerThresholdMicros ?? DEFAULT_WORKER_THRESHOLD_MICROS;
    this.minBusyShare = opts.workerMinBusyShare ?? DEFAULT_WORKER_MIN_BUSY_SHARE;
    if (opts.mode === 'workers') {
      this.reason = `workers: starting ${opts.maxWorkers} worker thread(s); in-thread until they are ready`;
      this.startWorkers(`${opts.maxWorkers} worker thread(s) requested`);
    } else {
      this.reason = `auto: measuring in-thread batch time (switch to ${opts.maxWorkers} worker thread(s) at a median of ${this.threshold} µs)`;
    }
  }

  capacity(): number {
    if (this.workers?.pool.broken) {
      // Every worker died and none could be restarted: fall back to the I/O thread.
      const dead = this.workers;
      this.workers = undefined;
      this.reason = 'in-thread: worker threads failed and could not be restarted';
      this.opts.logger?.error({ model: this.opts.label }, 'batching: worker threads failed; running batches in-thread');
      void dead.dispose();
    }
    return this.workers ? this.workers.capacity() : this.inThread.capacity();
  }

  onCapacity(listener: () => void): void {
    this.capacityListener = listener;
  }

  /** New worker count: applied to running (or starting) workers, and to workers started later. */
  resize(workers: number): void {
    this.maxWorkers = Math.max(1, Math.floor(workers));
    this.workers?.pool.resize(this.maxWorkers);
    this.starting?.pool.resize(this.maxWorkers);
    this.opts.logger?.info({ model: this.opts.label, workers: this.maxWorkers }, 'batching: worker thread count changed');
  }

  async run(signatureKey: string, inputs: Record<string, Tensor>, opts: PoolRunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.workers && !this.workers.pool.broken) return this.workers.run(signatureKey, inputs, opts);
    const now = this.opts.now ?? (() => performance.now());
    const t0 = now();
    const out = await this.inThread.run(signatureKey, inputs, opts);
    if (!this.decided && !this.starting) this.measure(t0, now());
    return out;
  }

  private measure(startMs: number, endMs: number): void {
    if (this.window.length === 0) this.windowStart = startMs;
    this.window.push((endMs - startMs) * 1000);
    if (this.window.length < AUTO_WINDOW) return;
    const sorted = [...this.window].sort((a, b) => a - b);
    const busy = sorted.reduce((a, b) => a + b, 0);
    this.window.length = 0;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    // Batches may overlap (several in flight on an async backend): the share is capped at 1.
    const share = Math.min(1, busy / Math.max(1, (endMs - this.windowStart) * 1000));
    this.lastMedian = median;
    this.lastShare = share;
    if (median < this.threshold) {
      this.reason = `auto: in-thread (median batch ${Math.round(median)} µs < ${this.threshold} µs threshold)`;
      return;
    }
    const pct = (x: number): string => `${Math.round(x * 100)}%`;
    if (share < this.minBusyShare) {
      this.reason = `auto: in-thread (batches ${pct(share)} of the I/O thread's time < ${pct(this.minBusyShare)}; median batch ${Math.round(median)} µs)`;
      return;
    }
    this.startWorkers(
      `auto: ${this.maxWorkers} worker thread(s) (median in-thread batch ${Math.round(median)} µs ≥ ${this.threshold} µs threshold, batches ${pct(share)} of the I/O thread's time)`,
    );
  }

  private startWorkers(reason: string): void {
    const w = new WorkerExecutor(this.source, this.maxWorkers, reason, this.opts.logger);
    w.onCapacity(() => this.capacityListener?.());
    this.starting = w;
    // Keep serving in-thread while the workers load their copies of the model.
    w.start().then(
      () => {
        this.starting = undefined;
        this.decided = true;
        if (this.disposed) {
          void w.dispose();
          return;
        }
        this.workers = w;
        this.reason = reason;
        this.capacityListener?.();
        this.opts.logger?.info(
          { model: this.opts.label, workers: this.maxWorkers, ...(this.lastMedian !== undefined ? { medianBatchMicros: Math.round(this.lastMedian) } : {}) },
          'batching: running batches on worker threads',
        );
      },
      (err: unknown) => {
        this.starting = undefined;
        this.decided = true;
        this.reason = `in-thread: worker threads could not load the model (${err instanceof Error ? err.message : String(err)})`;
        this.opts.logger?.warn({ model: this.opts.label, err }, 'batching: worker threads could not load the model; running batches in-thread');
      },
    );
  }

  describe(): ExecutionDescription {
    const base = this.workers ? this.workers.describe() : this.inThread.describe();
    return {
      ...base,
      reason: this.reason,
      ...(this.lastMedian !== undefined ? { medianBatchMicros: Math.round(this.lastMedian) } : {}),
      ...(this.lastShare !== undefined ? { busyShare: this.lastShare } : {}),
    };
  }

  /** Resolves when any worker start in progress has finished (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.starting) await this.starting.start().catch(() => undefined);
    await this.workers?.pool.grown;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.workers?.dispose();
    await this.starting?.dispose();
  }
}

/** Default worker count: num_batch_threads, at most the number of CPUs. */
export function defaultWorkerCount(numBatchThreads: number): number {
  return Math.max(1, Math.min(numBatchThreads, availableParallelism()));
}
