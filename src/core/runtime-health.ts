/**
 * Whether this thread's runtime can compute: SERVING, or NOT_SERVING while it is rebuilt
 * after a fault (a wasm abort or trap, out of memory, a stack overflow inside a run).
 *
 * A wasm abort leaves the module dead: every later run of every model fails with the same
 * message, while the server still looks healthy. The runtime layer reports such a fault
 * here ({@link RuntimeHealth.reportFault}); the recovery registered by the servables layer
 * rebuilds the backend and reloads the models from disk; readiness (`/readyz`, gRPC health)
 * follows {@link RuntimeHealth.serving}; runs that arrive meanwhile wait for the end of
 * the rebuild ({@link RuntimeHealth.whenServing}) and then run on the new runtime.
 *
 * State is per thread (each worker thread has its own runtime and its own copy).
 */

/** Which backend faulted, and where (for the log). */
export interface RuntimeFault {
  readonly backend: string;
  readonly model: string;
  readonly error: unknown;
}

/** Rebuilds the runtime after `fault`; resolves once every model runs again. */
export type RuntimeRecovery = (fault: RuntimeFault) => Promise<void>;

export class RuntimeHealth {
  private recovering: Promise<void> | undefined;
  private recovery: RuntimeRecovery | undefined;
  private readonly listeners = new Set<(serving: boolean) => void>();
  /** Faults reported, rebuilds finished (for metrics and tests). */
  faults = 0;
  rebuilds = 0;

  /** True unless a rebuild is under way. */
  get serving(): boolean {
    return this.recovering === undefined;
  }

  /** Register the one recovery (the servables layer does, when it loads a model); returns the previous one. */
  setRecovery(fn: RuntimeRecovery): RuntimeRecovery | undefined {
    const previous = this.recovery;
    this.recovery = fn;
    return previous;
  }

  /** Call `fn` with the new state whenever it changes; returns the unsubscribe function. */
  onChange(fn: (serving: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves at once when serving, else when the rebuild under way ends. */
  whenServing(): Promise<void> {
    return this.recovering ?? Promise.resolve();
  }

  /**
   * A run found the runtime broken: go NOT_SERVING and start the recovery, unless one is
   * already under way (faults seen during it belong to the same broken runtime).
   * Returns the recovery's promise; it never rejects (a failed recovery is retried on the
   * next fault).
   */
  reportFault(fault: RuntimeFault): Promise<void> {
    this.faults++;
    if (this.recovering) return this.recovering;
    const recovery = this.recovery;
    if (!recovery) return Promise.resolve();
    this.recovering = (async () => {
      try {
        await recovery(fault);
        this.rebuilds++;
      } catch {
        // The recovery logs its own failure; readiness comes back so probes can retry.
      } finally {
        this.recovering = undefined;
        this.emit(true);
      }
    })();
    this.emit(false);
    return this.recovering;
  }

  private emit(serving: boolean): void {
    for (const fn of this.listeners) fn(serving);
  }
}

/** This thread's runtime health. */
export const runtimeHealth = new RuntimeHealth();

/**
 * Whether an exception thrown during a run means the runtime itself is broken, not the
 * request: a WebAssembly trap (`memory access out of bounds`, `unreachable`), an
 * Emscripten `Aborted(...)`, a failed allocation, a stack overflow.
 */
export function isRuntimeFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  return (
    err.name === 'RuntimeError' || // WebAssembly.RuntimeError (no DOM typings here)
    /^Aborted\(/.test(m) ||
    /memory access out of bounds|out of memory|Array buffer allocation failed/i.test(m) ||
    (err instanceof RangeError && /Maximum call stack size exceeded/.test(m))
  );
}
