/**
 * Request batching for a loaded model: TF Serving's BatchingSession
 * (tensorflow_serving/batching/batching_session.cc) as a {@link ModelServable} wrapper.
 *
 * `Batcher` holds the server-wide pieces (BatchingParameters, the shared
 * {@link BatchScheduler}, the metrics observer); `batcher.wrap(servable)` returns a
 * {@link BatchingServable} that answers `run()` like the servable it wraps, but merges
 * concurrent calls into batches.
 *
 * Queues. Calls are only ever merged with calls that are compatible: same signature, same
 * input aliases with the same dtypes, same output filter, and — without
 * `pad_variable_length_inputs` — the same non-batch dimensions (with padding, the same rank;
 * ragged dimensions are padded). Each combination gets its own queue in the shared scheduler,
 * created on first use. Upstream instead puts differently shaped requests in one queue and
 * fails whole batches with FAILED_PRECONDITION when padding is off; here such requests simply
 * run in separate batches, so one client's shape never fails another client's request.
 *
 * Unbatched calls. A call runs directly on the wrapped servable (exactly as without
 * batching) when it cannot be batched safely: no inputs, a scalar input, inputs with
 * different 0th dimensions, zero rows, a dtype or a fixed dimension that contradicts the
 * signature, or a signature whose outputs turned out not to be batch-major. Such calls get
 * the wrapped servable's own answer (usually its INVALID_ARGUMENT), not a batching error.
 *
 * Results. Every caller gets exactly its own rows, in order. Padding rows (allowed batch
 * sizes) are dropped. Ragged padding is undone on outputs: an output dimension that the
 * signature declares unknown (-1) and that equals a padded input length is cut back to the
 * caller's own length, so callers see what an unbatched call returns (upstream returns the
 * padded length, which depends on the other requests in the batch). When a batch of several
 * requests fails, each request is re-run alone so that only the request at fault gets the
 * error, with the text an unbatched call would give.
 *
 * Cancellation. A caller whose AbortSignal fires while queued is removed from its batch and
 * answered at once; a running batch is aborted only when every caller in it has gone.
 */
import { Code, Errors, asTfsError, abortError } from '../errors.js';
import type { BatchingParameters } from '../config/types.js';
import type { ModelServable, RunOptions, SignatureSpec, UnservedSignature } from '../core/servable.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Logger } from '../util/logger.js';
import { type Batch, type BatchQueue, BatchScheduler, type Lane, type QueueOptions, ScheduledTask, type SchedulerTimers, type TaskPiece } from './batch-scheduler.js';
import {
  AutoExecutor,
  type BatchExecutor,
  type ExecutionDescription,
  type ExecutionMode,
  InThreadExecutor,
  defaultWorkerCount,
} from './executor.js';
import { type BatchingObserver, noopBatchingObserver } from './observer.js';
import { concatRows, concatTensors, cropInner, maxInnerShape, sliceRows } from './tensor-ops.js';
import type { WorkerSource } from './worker-protocol.js';

export interface BatcherOptions {
  /** Receives batching metrics (src/metrics `TfsMetrics.batching`). */
  readonly observer?: BatchingObserver | undefined;
  readonly logger?: Logger | undefined;
  /** Where batches run (see executor.ts); default `auto`. */
  readonly execution?: ExecutionMode | undefined;
  /** `auto` threshold in microseconds of median in-thread batch time. */
  readonly workerThresholdMicros?: number | undefined;
  /** `auto`: least share of the I/O thread's time spent in batches to move to workers (0..1). */
  readonly workerMinBusyShare?: number | undefined;
  /** Worker threads per model version; default min(num_batch_threads, CPUs). */
  readonly maxWorkers?: number | undefined;
  /** Scheduler clock in milliseconds, also timing `auto`'s in-thread batches (tests). */
  readonly now?: (() => number) | undefined;
  /** Scheduler timers for batch timeouts, on the clock `now` (tests). */
  readonly timers?: SchedulerTimers | undefined;
}

export interface WrapOptions {
  /**
   * How a worker thread loads its own copy of this model version (see
   * `savedModelWorkerSource`). Without it, batches always run in-thread.
   */
  readonly workerSource?: WorkerSource | undefined;
  /** Override the batcher's execution mode for this servable. */
  readonly execution?: ExecutionMode | undefined;
  /** Use this executor instead of building one (tests, embedders). */
  readonly executor?: BatchExecutor | undefined;
  /**
   * This model's own BatchingParameters (`--enable_per_model_batching_parameters`: the
   * SavedModel's batching_params.pbtxt). They replace the server's parameters except
   * num_batch_threads and thread_pool_name: the execution slots stay shared, as upstream.
   */
  readonly params?: BatchingParameters | undefined;
  /** Where `params` came from (a per-model batching_params.pbtxt), so a reload can find it. */
  readonly paramsFile?: string | undefined;
}

/**
 * Server-wide batching: parameters, one shared scheduler (`num_batch_threads` slots), and
 * the metrics observer. Create one per server when `--enable_batching` is on, and wrap each
 * loaded model version with {@link Batcher.wrap}.
 */
export class Batcher {
  readonly scheduler: BatchScheduler;
  readonly observer: BatchingObserver;
  readonly logger: Logger | undefined;
  private current: BatchingParameters;
  private readonly live = new Set<BatchingServable>();

  constructor(
    params: BatchingParameters,
    readonly options: BatcherOptions = {},
  ) {
    this.current = params;
    this.scheduler = new BatchScheduler({
      numBatchThreads: params.numBatchThreads,
      ...(options.now ? { now: options.now } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
    });
    this.observer = options.observer ?? noopBatchingObserver;
    this.logger = options.logger;
  }

  /** The server-wide parameters in force. */
  get params(): BatchingParameters {
    return this.current;
  }

  /** Every wrapped model version not yet disposed. */
  servables(): BatchingServable[] {
    return [...this.live];
  }

  /** @internal A wrapped version was disposed. */
  forget(servable: BatchingServable): void {
    this.live.delete(servable);
  }

  /** The parameters a version runs with: its own (per-model) ones, with the shared thread pool, or the server's. */
  effectiveParams(own?: BatchingParameters): BatchingParameters {
    return own ? { ...own, numBatchThreads: this.current.numBatchThreads, threadPoolName: this.current.threadPoolName } : this.current;
  }

  /**
   * Replace the server-wide parameters while serving (a reloaded --batching_parameters_file).
   * The scheduler's num_batch_threads changes at once (running batches finish); every wrapped
   * version switches to new queues (see {@link BatchingServable.updateParams}); worker pools
   * follow a changed worker count.
   */
  update(params: BatchingParameters): void {
    const oldWorkers = this.workerCount();
    this.current = params;
    if (this.scheduler.numBatchThreads !== params.numBatchThreads) this.scheduler.setNumBatchThreads(params.numBatchThreads);
    const workers = this.workerCount();
    for (const s of this.live) s.updateParams(this.effectiveParams(s.ownParams), workers !== oldWorkers ? workers : undefined);
  }

  /** Worker threads per model version: --batch_worker_threads, else from num_batch_threads. */
  private workerCount(): number {
    return this.options.maxWorkers ?? defaultWorkerCount(this.current.numBatchThreads);
  }

  /** Queue limits derived from parameters (upstream's bundle_factory_util.cc mapping). */
  queueOptions(p: BatchingParameters = this.params): QueueOptions {
    return {
      maxBatchSize: p.maxBatchSize,
      maxExecutionBatchSize: p.enableLargeBatchSplitting ? p.maxExecutionBatchSize : p.maxBatchSize,
      maxEnqueuedBatches: p.maxEnqueuedBatches,
      batchTimeoutMicros: p.batchTimeoutMicros,
      enableLargeBatchSplitting: p.enableLargeBatchSplitting,
    };
  }

  /** Wrap a loaded model version; the result owns `servable` (its dispose() disposes it). */
  wrap(servable: ModelServable, opts: WrapOptions = {}): BatchingServable {
    // Per-model parameters replace the server's, except the shared thread pool (upstream).
    const wrapped = new BatchingServable(servable, this, this.executorFor(servable, opts), this.effectiveParams(opts.params), opts.params, opts.paramsFile);
    this.live.add(wrapped);
    return wrapped;
  }

  private executorFor(servable: ModelServable, opts: WrapOptions): BatchExecutor {
    if (opts.executor) return opts.executor;
    const mode = opts.execution ?? this.options.execution ?? 'auto';
    const workers = this.workerCount();
    const source = opts.workerSource;
    if (mode === 'in-thread') return new InThreadExecutor(servable, 'in-thread execution requested');
    if (!source && (servable.concurrentRuns ?? 1) > 1) {
      // The native runtime: TensorFlow runs each batch on libuv's threadpool, several at once.
      return new InThreadExecutor(servable, `off the event loop: the runtime runs up to ${servable.concurrentRuns} batches at once (and at most num_batch_threads)`);
    }
    if (!source) return new InThreadExecutor(servable, 'in-thread: no worker source for this model');
    if (mode === 'auto' && workers < 2) {
      // One worker only moves the same sequential work to another thread and adds the
      // transfers; parallel batches need two (bench/batching.mjs).
      return new InThreadExecutor(servable, `auto: in-thread (${workers} batch thread available; worker threads need at least 2)`);
    }
    return new AutoExecutor(servable, source, {
      mode,
      maxWorkers: workers,
      logger: this.logger,
      label: `${servable.name}/${servable.version}`,
      ...(this.options.workerThresholdMicros !== undefined ? { workerThresholdMicros: this.options.workerThresholdMicros } : {}),
      ...(this.options.workerMinBusyShare !== undefined ? { workerMinBusyShare: this.options.workerMinBusyShare } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }
}

/** One request inside the scheduler. */
interface Call {
  readonly signatureKey: string;
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly outputFilter: readonly string[] | undefined;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (o: Record<string, Tensor>) => void;
  readonly reject: (e: unknown) => void;
  /** Per piece (row range), the outputs once its batch ran. */
  readonly results: (Record<string, Tensor> | undefined)[];
  done: number;
  settled: boolean;
  detach: (() => void) | undefined;
}

interface QueueEntry {
  readonly queue: BatchQueue<Call>;
  readonly key: string;
  /** The parameters the queue was made with: its batches are formed and padded under them. */
  readonly params: BatchingParameters;
}

/** Codes that can depend on one request's data: a failed batch is then re-run request by request. */
const ISOLATE_CODES: ReadonlySet<number> = new Set([
  Code.INVALID_ARGUMENT,
  Code.FAILED_PRECONDITION,
  Code.OUT_OF_RANGE,
  Code.UNIMPLEMENTED,
  Code.INTERNAL,
  Code.UNKNOWN,
]);

/** A model version whose run() batches concurrent calls. See the file comment. */
export class BatchingServable implements ModelServable {
  private readonly queues = new Map<string, QueueEntry>();
  private readonly lane: Lane;
  /** Queue keys whose outputs proved not batch-major: their calls run unbatched. */
  private readonly unbatchable = new Set<string>();
  /** Per signature, the last call's plan (see {@link plan}). */
  private readonly planMemo = new Map<string, PlanMemo>();
  /** Queues replaced by a parameter change, running what they still hold. */
  private readonly retired = new Set<QueueEntry>();
  private queueOptions: QueueOptions;
  private current: BatchingParameters;
  private disposed = false;

  constructor(
    readonly inner: ModelServable,
    private readonly batcher: Batcher,
    private readonly executor: BatchExecutor,
    params: BatchingParameters = batcher.params,
    /** This version's own parameters (per-model batching_params.pbtxt), when it has them. */
    public ownParams?: BatchingParameters,
    /** The file `ownParams` were read from. */
    readonly paramsFile?: string,
  ) {
    this.current = params;
    this.queueOptions = batcher.queueOptions(params);
    this.lane = { running: 0, capacity: () => executor.capacity() };
    executor.onCapacity?.(() => batcher.scheduler.requestDispatch());
  }

  /** The parameters in force for this model version. */
  get params(): BatchingParameters {
    return this.current;
  }

  /**
   * Switch to new parameters while serving. Calls from now on go to new queues; calls already
   * queued stay in the batches they were placed in and run at once under the old parameters
   * (their queues leave the scheduler when empty), so no call is dropped or re-admitted.
   * `workers`, when given, resizes this version's batch worker threads.
   */
  updateParams(params: BatchingParameters, workers?: number): void {
    if (this.disposed) return;
    if (workers !== undefined) this.executor.resize?.(workers);
    if (JSON.stringify(params) === JSON.stringify(this.current)) return;
    this.current = params;
    this.queueOptions = this.batcher.queueOptions(params);
    for (const entry of this.queues.values()) {
      this.retired.add(entry);
      entry.queue.retire(() => this.retired.delete(entry));
    }
    this.queues.clear();
    // Shapes a queue found not batch-major stay so: that is a property of the model.
  }

  /** New own parameters (a reloaded per-model batching_params.pbtxt). */
  setOwnParams(own: BatchingParameters): void {
    this.ownParams = own;
    this.updateParams(this.batcher.effectiveParams(own));
  }

  get name(): string {
    return this.inner.name;
  }
  get version(): number {
    return this.inner.version;
  }
  get signatures(): ReadonlyMap<string, SignatureSpec> {
    return this.inner.signatures;
  }
  get signatureDefMap(): Readonly<Record<string, unknown>> {
    return this.inner.signatureDefMap;
  }
  get unservedSignatures(): ReadonlyMap<string, UnservedSignature> | undefined {
    return this.inner.unservedSignatures;
  }

  /** Where this model's batches run and why. */
  describeExecution(): ExecutionDescription {
    return this.executor.describe();
  }

  /** Resolves once worker threads being started for this model are ready (or failed). */
  async executionSettled(): Promise<void> {
    await this.executor.settled?.();
  }

  run(signatureKey: string, inputs: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.disposed) return Promise.reject(Errors.batchQueueClosed());
    // A signature the version does not serve is refused before it takes a place in a batch.
    const unserved = this.inner.unservedSignatures?.get(signatureKey);
    if (unserved) return Promise.reject(unserved.error());
    const plan = this.plan(signatureKey, inputs, options.outputFilter);
    if (!plan) return this.inner.run(signatureKey, inputs, options);
    this.batcher.observer.inputBatchSize(plan.size);
    const entry = this.queueFor(plan.key);
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      const call: Call = {
        signatureKey,
        inputs,
        outputFilter: options.outputFilter && options.outputFilter.length > 0 ? options.outputFilter : undefined,
        signal,
        resolve,
        reject,
        results: [],
        done: 0,
        settled: false,
        detach: undefined,
      };
      const task = new ScheduledTask<Call>(plan.size, call, this.batcher.scheduler.now());
      try {
        entry.queue.schedule(task);
      } catch (err) {
        call.settled = true;
        reject(err);
        return;
      }
      if (signal) {
        const onAbort = (): void => {
          if (call.settled) return;
          entry.queue.withdraw(task);
          this.settle(call, abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        call.detach = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  /** The queue key for a call, or undefined when the call must run unbatched. */
  private plan(
    signatureKey: string,
    inputs: Readonly<Record<string, Tensor>>,
    outputFilter: readonly string[] | undefined,
  ): { key: string; size: number } | undefined {
    // Clients of one model mostly send the same aliases, dtypes and row shapes: reuse the last
    // plan for the signature when the call matches it exactly (the checks below are then
    // already known to pass, and the key is the same string, so the queue lookup reuses its hash).
    const pad = this.params.padVariableLengthInputs;
    const memo = this.planMemo.get(signatureKey);
    if (memo && memo.pad === pad && memo.outputFilter === outputFilter) {
      const size = matchMemo(memo, inputs);
      if (size !== undefined) return this.unbatchable.has(memo.key) ? undefined : { key: memo.key, size };
    }
    const sig = this.inner.signatures.get(signatureKey);
    if (!sig) return undefined;
    const aliases = Object.keys(inputs).sort();
    if (aliases.length === 0) return undefined;
    let size: number | undefined;
    const parts: string[] = [];
    for (const alias of aliases) {
      const t = inputs[alias]!;
      const spec = sig.inputs[alias];
      if (!spec || t.shape.length === 0) return undefined;
      if (size === undefined) size = t.shape[0]!;
      else if (t.shape[0] !== size) return undefined;
      if (spec.dtype !== t.dtype) return undefined;
      const declared = spec.shape;
      // Signature shapes are not always truthful (tfserving-spec fixtures note 3), so they are
      // only used when their rank matches the tensor's.
      if (declared && declared.length === t.shape.length) {
        if (declared[0]! >= 0) return undefined; // fixed batch dimension: merging would break it
        for (let i = 1; i < declared.length; i++) {
          if (declared[i]! >= 0 && declared[i] !== t.shape[i]) return undefined;
        }
      }
      parts.push(`${JSON.stringify(alias)}:${t.dtype}:${pad ? `r${t.shape.length}` : t.shape.slice(1).join('x')}`);
    }
    if (!size) return undefined;
    const outs = outputFilter && outputFilter.length > 0 ? JSON.stringify([...outputFilter].sort()) : '*';
    const key = `${JSON.stringify(signatureKey)}|${parts.join(';')}|${outs}`;
    this.planMemo.set(signatureKey, {
      pad,
      outputFilter,
      key,
      aliases,
      dtypes: aliases.map((a) => inputs[a]!.dtype),
      inner: aliases.map((a) => inputs[a]!.shape.slice(1)),
    });
    if (this.unbatchable.has(key)) return undefined;
    return { key, size };
  }

  private queueFor(key: string): QueueEntry {
    let entry = this.queues.get(key);
    if (!entry) {
      let last = 0;
      const queue = this.batcher.scheduler.addQueue<Call>(
        this.queueOptions,
        this.lane,
        (batch) => this.processBatch(entry!, batch),
        (n) => {
          this.batcher.observer.queued(this.name, n - last);
          last = n;
        },
      );
      entry = { queue, key, params: this.current };
      this.queues.set(key, entry);
    }
    return entry;
  }

  private settle(call: Call, err: unknown, outputs?: Record<string, Tensor>): void {
    if (call.settled) return;
    call.settled = true;
    call.detach?.();
    if (err !== undefined) call.reject(err);
    else call.resolve(outputs!);
  }

  /** Record one piece's outputs; answer the call when all its pieces are in. */
  private deliver(piece: TaskPiece<Call>, outputs: Record<string, Tensor>): void {
    const call = piece.task.payload;
    if (call.settled) return;
    call.results[piece.index] = outputs;
    call.done++;
    if (call.done < piece.task.pieces.length) return;
    if (piece.task.pieces.length === 1) {
      this.settle(call, undefined, outputs);
      return;
    }
    try {
      const merged: Record<string, Tensor> = {};
      for (const alias of Object.keys(call.results[0]!)) merged[alias] = concatTensors(call.results.map((r) => r![alias]!));
      this.settle(call, undefined, merged);
    } catch (err) {
      this.settle(call, Errors.batchConcatFailed((err as Error).message));
    }
  }

  private fail(piece: TaskPiece<Call>, err: unknown, queue: BatchQueue<Call>): void {
    const call = piece.task.payload;
    if (call.settled) return;
    // The remaining pieces of a split call are useless now.
    queue.withdraw(piece.task);
    this.settle(call, err);
  }

  /** Run one batch from the scheduler and answer every call in it. */
  private async processBatch(entry: QueueEntry, batch: Batch<Call>): Promise<void> {
    const { key, queue, params } = entry;
    const scheduler = this.batcher.scheduler;
    const observer = this.batcher.observer;
    const now = scheduler.now();
    const seen = new Set<ScheduledTask<Call>>();
    for (const p of batch.pieces) {
      if (seen.has(p.task)) continue;
      seen.add(p.task);
      observer.queuingDelay(params.threadPoolName, Math.max(0, (now - p.task.enqueuedAt) * 1000));
    }
    const live = batch.pieces.filter((p) => !p.task.payload.settled);
    if (live.length === 0) return;
    const first = live[0]!.task.payload;
    const rows = live.reduce((n, p) => n + p.count, 0);
    const padded = roundToAllowed(rows, params.allowedBatchSizes);
    observer.processedBatch(this.name, padded, padded - rows);

    const ac = new AbortController();
    const unlink = linkAbort(ac, live.map((p) => p.task.payload.signal));
    try {
      const whole = live.length === 1 && live[0]!.count === live[0]!.task.size && padded === rows;
      if (whole) {
        // One caller, nothing to merge or pad: exactly an unbatched call, and its answer as is.
        try {
          const outputs = await this.executor.run(first.signatureKey, { ...first.inputs }, { outputFilter: first.outputFilter, signal: ac.signal });
          this.deliver(live[0]!, outputs);
        } catch (err) {
          this.fail(live[0]!, err, queue);
        }
        return;
      }
      try {
        const merged = this.merge(live, padded - rows, params.padVariableLengthInputs);
        const outputs = await this.executor.run(first.signatureKey, merged.inputs, {
          outputFilter: first.outputFilter,
          signal: ac.signal,
          transferable: true,
        });
        let parts: Record<string, Tensor>[];
        try {
          parts = this.split(first.signatureKey, outputs, live, padded, merged.ragged);
        } catch (err) {
          // Outputs that are not batch-major cannot be merged at all: stop batching this queue.
          this.unbatchable.add(key);
          this.batcher.logger?.warn(
            { model: this.name, version: this.version, signature: first.signatureKey, err: (err as Error).message },
            'batching: outputs are not batch-major; requests with this signature now run unbatched',
          );
          throw err;
        }
        live.forEach((p, i) => this.deliver(p, parts[i]!));
      } catch (err) {
        // A merged batch failed: when the cause may lie in one request's data, re-run each
        // request alone so every caller gets its own (unbatched) answer.
        if (ISOLATE_CODES.has(asTfsError(err).code)) await this.isolate(live, queue);
        else for (const p of live) this.fail(p, err, queue);
      }
    } finally {
      unlink();
    }
  }

  /** Re-run each piece alone after its batch failed, so only the faulty request fails. */
  private async isolate(pieces: TaskPiece<Call>[], queue: BatchQueue<Call>): Promise<void> {
    for (const p of pieces) {
      const call = p.task.payload;
      if (call.settled) continue;
      const inputs: Record<string, Tensor> = {};
      for (const [alias, t] of Object.entries(call.inputs)) inputs[alias] = sliceRows(t, p.start, p.count);
      try {
        const outputs = await this.executor.run(call.signatureKey, inputs, {
          outputFilter: call.outputFilter,
          signal: call.signal,
        });
        this.deliver(p, outputs);
      } catch (err) {
        this.fail(p, err, queue);
      }
    }
  }

  /** Concatenate the pieces' inputs (padding ragged dimensions and extra rows). */
  private merge(
    pieces: readonly TaskPiece<Call>[],
    padRows: number,
    pad: boolean,
  ): { inputs: Record<string, Tensor>; ragged: Map<string, number[]> } {
    const inputs: Record<string, Tensor> = {};
    const ragged = new Map<string, number[]>(); // alias -> padded inner shape, for ragged inputs only
    for (const alias of Object.keys(pieces[0]!.task.payload.inputs)) {
      const slices = pieces.map((p) => ({ tensor: p.task.payload.inputs[alias]!, start: p.start, count: p.count }));
      const inner = pad ? maxInnerShape(slices) : slices[0]!.tensor.shape.slice(1);
      if (pad && slices.some((s) => s.tensor.shape.slice(1).some((d, i) => d !== inner[i]))) ragged.set(alias, inner);
      inputs[alias] = concatRows(slices, inner, padRows);
    }
    return { inputs, ragged };
  }

  /** Cut batched outputs into each piece's rows (and undo ragged padding). */
  private split(
    signatureKey: string,
    outputs: Record<string, Tensor>,
    pieces: readonly TaskPiece<Call>[],
    padded: number,
    ragged: Map<string, number[]>,
  ): Record<string, Tensor>[] {
    for (const t of Object.values(outputs)) {
      if (t.shape.length === 0) throw Errors.batchedOutputScalar();
      if (t.shape[0] !== padded) throw Errors.batchedOutputSizeMismatch();
    }
    const sig = this.inner.signatures.get(signatureKey);
    const result: Record<string, Tensor>[] = [];
    let offset = 0;
    for (const p of pieces) {
      const lengths = ragged.size > 0 ? ownLengths(p, ragged) : undefined;
      const mine: Record<string, Tensor> = {};
      for (const [alias, t] of Object.entries(outputs)) {
        let part = sliceRows(t, offset, p.count);
        if (lengths) {
          const declared = sig?.outputs[alias]?.shape ?? null;
          const inner = part.shape.slice(1).map((d, i) => {
            const axis = i + 1;
            const dynamic = !declared || declared.length !== part.shape.length || declared[axis]! < 0;
            const own = lengths.get(d);
            return dynamic && own !== undefined ? own : d;
          });
          part = cropInner(part, inner);
        }
        mine[alias] = part;
      }
      result.push(mine);
      offset += p.count;
    }
    return result;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.batcher.forget(this);
    for (const { queue } of [...this.queues.values(), ...this.retired]) {
      for (const task of queue.close()) this.settle(task.payload, Errors.batchQueueClosed());
    }
    this.queues.clear();
    this.retired.clear();
    await this.executor.dispose();
    await this.inner.dispose();
  }
}

/** A plan remembered for calls that look exactly like the one it was made for. */
interface PlanMemo {
  readonly pad: boolean;
  /** The caller's filter array itself: a new array (even with equal contents) makes a new plan. */
  readonly outputFilter: readonly string[] | undefined;
  readonly key: string;
  /** Sorted input aliases, with each one's dtype and non-batch dimensions. */
  readonly aliases: readonly string[];
  readonly dtypes: readonly string[];
  readonly inner: readonly (readonly number[])[];
}

/**
 * The batch size of `inputs` when they have exactly the memo's aliases, dtypes and non-batch
 * dimensions and one positive 0th dimension; undefined otherwise (then plan the call afresh).
 */
function matchMemo(memo: PlanMemo, inputs: Readonly<Record<string, Tensor>>): number | undefined {
  let count = 0;
  for (const _ in inputs) count++;
  if (count !== memo.aliases.length) return undefined;
  let size = -1;
  for (let a = 0; a < memo.aliases.length; a++) {
    const t = inputs[memo.aliases[a]!];
    if (!t || t.dtype !== memo.dtypes[a]) return undefined;
    const inner = memo.inner[a]!;
    const shape = t.shape;
    if (shape.length !== inner.length + 1) return undefined;
    for (let i = 0; i < inner.length; i++) if (shape[i + 1] !== inner[i]) return undefined;
    if (size < 0) size = shape[0]!;
    else if (shape[0] !== size) return undefined;
  }
  return size > 0 ? size : undefined;
}

/**
 * For one piece: padded length -> the piece's own length, over every ragged input axis.
 * A padded length that maps to two different own lengths is ambiguous and left out.
 */
function ownLengths(p: TaskPiece<Call>, ragged: Map<string, number[]>): Map<number, number> {
  const map = new Map<number, number>();
  const conflicts = new Set<number>();
  for (const [alias, inner] of ragged) {
    const shape = p.task.payload.inputs[alias]!.shape;
    inner.forEach((padLen, i) => {
      const own = shape[i + 1]!;
      const prev = map.get(padLen);
      if (prev !== undefined && prev !== own) conflicts.add(padLen);
      else map.set(padLen, own);
    });
  }
  for (const c of conflicts) map.delete(c);
  return map;
}

/** Upstream's RoundToLowestAllowedBatchSize: the smallest allowed size ≥ n (n itself when none is). */
export function roundToAllowed(n: number, allowed: readonly number[]): number {
  for (const a of allowed) if (a >= n) return a;
  return n;
}

/** Abort `ac` once every caller's signal has aborted (a caller without a signal never aborts). */
function linkAbort(ac: AbortController, signals: readonly (AbortSignal | undefined)[]): () => void {
  if (signals.some((s) => !s)) return () => undefined;
  const distinct = [...new Set(signals as AbortSignal[])];
  let left = distinct.filter((s) => !s.aborted).length;
  if (left === 0) {
    ac.abort(distinct[0]!.reason);
    return () => undefined;
  }
  const handlers = distinct.map((s) => {
    const h = (): void => {
      if (--left === 0) ac.abort(s.reason);
    };
    if (!s.aborted) s.addEventListener('abort', h, { once: true });
    return [s, h] as const;
  });
  return () => {
    for (const [s, h] of handlers) s.removeEventListener('abort', h);
  };
}
