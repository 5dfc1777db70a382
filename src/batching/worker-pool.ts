/**
 * A pool of worker threads, each holding its own copy of one model version, that run
 * batches for the I/O thread. Each worker runs one batch at a time; the pool's capacity is
 * the number of ready workers. A worker that dies is replaced; the batch it was running
 * fails with INTERNAL (its callers get an answer, the server stays up).
 */
import { Worker } from 'node:worker_threads';
import { Errors, TfsError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Logger } from '../util/logger.js';
import { type FromWorker, InputArena, type ToWorker, type WorkerSource, transferList } from './worker-protocol.js';

export interface PoolRunOptions {
  readonly outputFilter?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Input arrays batching allocated itself: when they cannot go through the slot's arena (too
   * big), their buffers are moved to the worker instead of copied.
   */
  readonly transferable?: boolean | undefined;
}

interface Pending {
  resolve(outputs: Record<string, Tensor>): void;
  reject(err: TfsError): void;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  busy: boolean;
  current: number | undefined;
  closing: boolean;
  /** Shared memory this slot's batches send their numeric inputs through. */
  readonly arena: InputArena;
}

const ENTRY = new URL('./worker-entry.js', import.meta.url);

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private disposed = false;
  private startPromise: Promise<void> | undefined;
  /** Resolves when the workers added by the last {@link resize} are ready (or failed). */
  grown: Promise<void> = Promise.resolve();
  /** True when every worker is gone and none could be started again. */
  broken = false;
  /** Called when a worker becomes ready or idle (capacity may have grown), or the pool broke. */
  onCapacity: (() => void) | undefined;

  constructor(
    private readonly source: WorkerSource,
    private workers: number,
    private readonly logger?: Logger,
  ) {}

  /** Worker threads this pool keeps running (see {@link resize}). */
  get size(): number {
    return this.workers;
  }

  /**
   * Change the number of worker threads while serving. New workers load the model in the
   * background and take batches once ready; surplus workers take no new batch, finish the one
   * they are running, and then close.
   */
  resize(n: number): void {
    const size = Math.max(1, Math.floor(n));
    if (this.disposed || this.broken || size === this.workers) return;
    this.workers = size;
    if (!this.startPromise) return; // start() spawns the new size
    const live = this.slots.filter((s) => !s.closing);
    const added = Array.from({ length: Math.max(0, size - live.length) }, () =>
      this.spawn().catch((err: unknown) => this.logger?.error({ err }, 'could not start an added batch worker thread')),
    );
    this.grown = Promise.all(added).then(() => undefined);
    // Idle workers go first, so running batches are not held up.
    const surplus = [...live].sort((a, b) => Number(a.busy) - Number(b.busy)).slice(0, Math.max(0, live.length - size));
    for (const s of surplus) {
      s.closing = true;
      if (!s.busy) this.closeSlot(s);
    }
  }

  private closeSlot(s: Slot): void {
    if (s.ready) s.worker.postMessage({ t: 'close' } satisfies ToWorker);
    else void s.worker.terminate();
  }

  /** Workers ready to take a batch (ready and not busy, or busy: all count toward capacity). */
  capacity(): number {
    return this.slots.filter((s) => s.ready && !s.closing).length;
  }

  /**
   * Start all workers; resolves once every worker has loaded the model, rejects with the
   * load error of the first worker that fails (the others are stopped).
   */
  start(): Promise<void> {
    this.startPromise ??= Promise.all(Array.from({ length: this.workers }, () => this.spawn())).then(
      () => undefined,
      async (err: unknown) => {
        await this.dispose();
        throw err;
      },
    );
    return this.startPromise;
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(ENTRY, { workerData: this.source });
      const slot: Slot = { worker, ready: false, busy: false, current: undefined, closing: false, arena: new InputArena() };
      this.slots.push(slot);
      // Referenced while loading (someone may be waiting for it), unreferenced when idle.
      worker.on('message', (msg: FromWorker) => {
        switch (msg.t) {
          case 'ready':
            slot.ready = true;
            worker.unref();
            resolve();
            this.wake();
            break;
          case 'load-error':
            this.remove(slot);
            void worker.terminate();
            reject(TfsError.revive({ code: msg.code, message: msg.message, id: msg.errorId }));
            break;
          case 'ok':
          case 'err': {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            this.release(slot);
            if (!p) break;
            if (msg.t === 'ok') p.resolve(msg.outputs);
            else p.reject(TfsError.revive({ code: msg.code, message: msg.message, id: msg.errorId }));
            break;
          }
          case 'closed':
            break;
        }
      });
      worker.on('error', (err) => {
        this.logger?.error({ err }, 'batch worker thread failed');
      });
      worker.on('exit', (code) => {
        const wasReady = slot.ready;
        this.remove(slot);
        if (slot.current !== undefined) {
          const p = this.pending.get(slot.current);
          this.pending.delete(slot.current);
          p?.reject(Errors.batchWorkerFailed(`exited with code ${code}`));
        }
        if (!wasReady && slot.closing) resolve(); // stopped by resize() while loading: not a failure
        else if (!wasReady) reject(Errors.batchWorkerFailed(`exited with code ${code} while loading the model`));
        else if (!this.disposed && !slot.closing) {
          // Replace the lost worker in the background; capacity drops until it is ready.
          this.logger?.warn({ code }, 'batch worker thread exited; starting a replacement');
          this.spawn().catch((err: unknown) => {
            this.logger?.error({ err }, 'could not replace batch worker thread');
            if (this.slots.length === 0) {
              this.broken = true;
              this.onCapacity?.();
            }
          });
        }
      });
    });
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private release(slot: Slot): void {
    slot.busy = false;
    slot.current = undefined;
    slot.worker.unref();
    // A worker removed by resize() closes once its last batch is answered.
    if (slot.closing && !this.disposed) this.closeSlot(slot);
    this.wake();
  }

  private wake(): void {
    const w = this.waiting.shift();
    if (w) w();
    else this.onCapacity?.();
  }

  private async idleSlot(): Promise<Slot> {
    for (;;) {
      if (this.disposed) throw Errors.batchQueueClosed();
      const s = this.slots.find((x) => x.ready && !x.busy && !x.closing);
      if (s) {
        s.busy = true; // claimed before any await, so concurrent run() calls never share a worker
        return s;
      }
      if (this.slots.length === 0) throw Errors.batchWorkerFailed('no worker threads are running');
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  /** Run one batch on an idle worker (waits for one when all are busy). */
  async run(signatureKey: string, inputs: Record<string, Tensor>, opts: PoolRunOptions = {}): Promise<Record<string, Tensor>> {
    const slot = await this.idleSlot();
    const id = this.nextId++;
    slot.current = id;
    slot.worker.ref(); // keep the process alive while a batch is out
    const wire = slot.arena.pack(inputs);
    const msg: ToWorker = {
      t: 'run',
      id,
      signatureKey,
      inputs: wire,
      ...(opts.outputFilter ? { outputFilter: [...opts.outputFilter] } : {}),
    };
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      const signal = opts.signal;
      const onAbort = (): void => slot.worker.postMessage({ t: 'cancel', id } satisfies ToWorker);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (o) => {
          done();
          resolve(o);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      try {
        slot.worker.postMessage(msg, opts.transferable ? transferList(Object.values(wire).filter((t) => !('shared' in t)) as Tensor[], () => true) : []);
      } catch (err) {
        this.pending.delete(id);
        this.release(slot);
        done();
        reject(Errors.batchWorkerFailed(err instanceof Error ? err.message : String(err)));
      }
    });
  }

  /** Stop every worker (after letting each dispose its model). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.waiting.splice(0)) w();
    await Promise.all(
      [...this.slots].map(async (s) => {
        s.closing = true;
        s.worker.ref(); // dispose() waits for the exit
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        if (s.ready) s.worker.postMessage({ t: 'close' } satisfies ToWorker);
        else void s.worker.terminate();
        // A worker that does not close within 5 s is terminated.
        const timer = setTimeout(() => void s.worker.terminate(), 5000);
        timer.unref();
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
