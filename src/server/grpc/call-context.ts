/**
 * Per-call plumbing: the call's deadline and cancellation as one AbortSignal, and the
 * `--grpc_max_threads` cap on concurrently executing calls.
 *
 * Upstream runs gRPC calls on a synchronous thread pool capped by `--grpc_max_threads`
 * (a gRPC ResourceQuota); calls beyond the cap wait until a thread frees up. Node has
 * one event loop, so tfs mirrors the cap as a limit on calls *executing* at once
 * (decoding, model run, encoding); the others wait in FIFO order, still honouring their
 * deadline and cancellation while they wait.
 */
import { getEventListeners } from 'node:events';
import { Errors } from '../../errors.js';

/** The minimal view of a grpc-js server call this module needs. */
export interface CallLike {
  getDeadline(): Date | number;
  readonly cancelled: boolean;
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

/** An AbortSignal for one call, and the cleanup to run when the call is answered. */
export interface CallSignal {
  readonly signal: AbortSignal;
  /**
   * One callback run right after the signal aborts (undefined clears it): what
   * {@link CallLimiter.acquire} uses while the call waits, instead of an EventTarget
   * listener added and removed per queued call.
   */
  watch(cb: (() => void) | undefined): void;
  dispose(): void;
}

function deadlineMs(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * AbortControllers of finished calls whose signal never aborted, for the next calls. Node 20
 * builds each AbortSignal slowly (several µs, as much as grpc-js's whole response path, plus
 * its garbage), so a call takes a spare one when there is one.
 */
const spareControllers: AbortController[] = [];
const MAX_SPARE_CONTROLLERS = 256;
/**
 * A signal goes back to the spares only with at most this many 'abort' listeners left: the one
 * the shared Predict code keeps per signal (servables/predict.ts `onAbort`). More means some
 * consumer still holds it (work that outlived its call), and then it is dropped.
 */
const MAX_KEPT_LISTENERS = 1;

function takeController(): AbortController {
  return spareControllers.pop() ?? new AbortController();
}

function giveBackController(c: AbortController): void {
  if (c.signal.aborted || spareControllers.length >= MAX_SPARE_CONTROLLERS) return;
  if (getEventListeners(c.signal, 'abort').length > MAX_KEPT_LISTENERS) return;
  spareControllers.push(c);
}

/**
 * The call's deadline (DEADLINE_EXCEEDED) and client cancellation (CANCELLED) as an
 * AbortSignal whose reason is the TfsError to answer with. Upstream converts the gRPC
 * deadline into the model run's timeout; tfs passes the signal to the shared request
 * implementations, which pass it on to batching and the runtime. After `dispose()` the
 * signal belongs to the server again (a later call may reuse it when it never aborted):
 * nothing may keep it past the call's answer.
 */
export function callSignal(call: CallLike): CallSignal {
  return new GrpcCallSignal(call);
}

/**
 * {@link callSignal}'s object: its state in fields and its steps as methods, so a call costs
 * this object and two closures (the 'cancelled' listener and `watch`, which callers pass on
 * unbound) instead of one closure per step.
 */
class GrpcCallSignal implements CallSignal {
  private readonly controller = takeController();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private watcher: (() => void) | undefined;
  private readonly onCancel = (): void => this.abort(Errors.cancelled());
  readonly watch = (cb: (() => void) | undefined): void => {
    this.watcher = cb;
  };

  constructor(private readonly call: CallLike) {
    const deadline = deadlineMs(call.getDeadline());
    // No deadline (the common call) costs no timer and no closure.
    if (Number.isFinite(deadline)) {
      const left = deadline - Date.now();
      // abortError (errors.ts) answers this as TF's timed-out run, as REST's deadline.
      if (left <= 0) this.expire();
      // Timers are capped at 2^31-1 ms; longer deadlines simply never fire.
      else if (left < 2 ** 31) this.timer = setTimeout(() => this.expire(), left);
    }
    if (call.cancelled) this.onCancel();
    else call.on('cancelled', this.onCancel);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private expire(): void {
    this.abort(Errors.deadlineExceeded());
  }

  private abort(reason: unknown): void {
    if (this.disposed || this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.watcher?.();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.call.removeListener('cancelled', this.onCancel);
    giveBackController(this.controller);
  }
}

/**
 * A FIFO limit on concurrently executing calls. `acquire` resolves with a release
 * function, or rejects with the signal's reason if the call is aborted while queued.
 */
export class CallLimiter {
  private running = 0;
  private readonly waiting: { grant: () => void }[] = [];

  /** @param max calls that may execute at once (>= 1; Infinity for no limit). */
  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`the gRPC concurrency cap must be at least 1, got ${max}`);
  }

  /** Calls executing now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A slot for one call: its release function at once when a slot is free (no promise, no
   * tick), else a promise of it that resolves in FIFO order, or rejects with the signal's
   * reason if the call aborts while it waits. `watch` (a {@link CallSignal}'s) replaces the
   * 'abort' listener the wait would otherwise add to `signal`.
   */
  acquire(signal?: AbortSignal, watch?: CallSignal['watch']): (() => void) | Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryEnter()) return this.releaser();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      const entry = {
        grant: () => {
          if (watch) watch(undefined);
          else signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      if (watch) watch(onAbort);
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /**
   * Take a free slot at once (true), or none (false: the caller queues with {@link acquire}).
   * The caller then calls {@link leave} exactly once; no closure per call.
   */
  tryEnter(): boolean {
    if (this.running >= this.max) return false;
    this.running++;
    return true;
  }

  /** Give back a slot taken by {@link tryEnter} (once per slot). */
  leave(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter: `running` stays the same.
    if (next) next.grant();
    else this.running--;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leave();
    };
  }
}

/**
 * The unary calls a server is running (counted from arrival, queue included, to the
 * answer), so a drain can wait for exactly them instead of for every HTTP/2 session
 * (open health Watch streams keep a session alive indefinitely).
 */
export class InFlightCalls {
  private running = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.running;
  }

  /** One call starts; the returned function ends it (idempotent). */
  enter(): () => void {
    this.arrive();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.depart();
    };
  }

  /** One call starts, without a closure: the caller calls {@link depart} exactly once. */
  arrive(): void {
    this.running++;
  }

  /** A call counted by {@link arrive} ends. */
  depart(): void {
    this.running--;
    if (this.running === 0) {
      const w = this.waiters;
      this.waiters = [];
      for (const resolve of w) resolve();
    }
  }

  /** Resolves once no call is running. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
