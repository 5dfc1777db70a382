/**
 * The GEMM's helper threads: `workers` worker_threads sharing the module and memory, woken
 * through the control block (control.ts). They are unref'd once started: an idle pool never
 * keeps the process alive.
 */
import { Worker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from '../wasm-api.js';
import { GEN, HELPED, JOB, NEXT, PENDING, QUIT, READY, runChunks, type Driver } from './control.js';

/** How long the caller waits for its helpers before deciding they are gone (a bug, not load). */
const STUCK_MS = 60_000;

export class Pool {
  private readonly workers: Worker[] = [];
  private readonly ctl: Int32Array;
  private broken = false;
  /** Resolves once every worker has started (false when one failed). */
  readonly started: Promise<boolean>;

  constructor(module: WasmModule, memory: WasmMemory, count: number) {
    this.ctl = new Int32Array(memory.buffer, 0, 1024);
    const starts: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { module, memory } });
      starts.push(
        new Promise<boolean>((resolve) => {
          w.once('message', () => resolve(true));
          w.once('error', () => resolve(false));
          w.once('exit', () => resolve(false));
        }),
      );
      w.on('error', () => (this.broken = true));
      this.workers.push(w);
    }
    // Referenced while starting (whoever awaits `started` keeps the process alive until then).
    this.started = Promise.all(starts).then((ok) => {
      for (const w of this.workers) w.unref();
      return ok.every(Boolean) && !this.broken;
    });
  }

  /** Helpers usable now: all of them once each has started (until then the caller works alone). */
  get ready(): number {
    return !this.broken && Atomics.load(this.ctl, READY) === this.workers.length ? this.workers.length : 0;
  }

  /**
   * Publish `job` (control.ts's layout), claim chunks of it on this thread alongside the
   * workers, and return when all chunks are done: the number the workers ran.
   */
  runJob(job: number[], drivers: readonly Driver[]): number {
    const ctl = this.ctl;
    ctl.set(job, JOB);
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, HELPED, 0);
    Atomics.store(ctl, PENDING, this.workers.length);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let failed: { e: unknown } | undefined;
    try {
      runChunks(ctl, drivers);
    } catch (e) {
      failed = { e };
    }
    // The helpers read this job's memory: wait for them even when the caller's part threw.
    for (let v = Atomics.load(ctl, PENDING); v !== 0; v = Atomics.load(ctl, PENDING)) {
      if (Atomics.wait(ctl, PENDING, v, STUCK_MS) === 'timed-out') {
        this.broken = true;
        throw new Error('gemm: helper threads did not answer');
      }
    }
    if (failed) throw failed.e;
    return Atomics.load(ctl, HELPED);
  }

  dispose(): void {
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
  }
}
