/**
 * A virtual clock for the bench loops (src/bench/loops.ts LoopClock) and a simulated
 * capacity-limited target on it, so rates, throughputs and knees are exact numbers instead
 * of wall-clock readings on a busy CI machine.
 *
 * Time only moves when everything else is waiting: `run(work)` lets the work's promises
 * settle (one event-loop turn), then jumps to the earliest pending sleep and wakes it.
 */
import type { LoopClock } from '../../src/bench/loops.js';
import type { SendResult, Target } from '../../src/bench/targets.js';

export class VirtualClock implements LoopClock {
  private t = 0;
  private seq = 0;
  private readonly sleepers: { at: number; seq: number; wake: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, wake }));
  }

  /** Runs `work` to completion, advancing time whenever it waits only on this clock. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    for (let turns = 0; !done; turns++) {
      if (turns > 10_000_000) throw new Error('virtual clock: work did not finish');
      await new Promise<void>((r) => setImmediate(r));
      if (done) break;
      if (this.sleepers.length === 0) continue; // waiting on something else (it settles by itself)
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
    return result;
  }
}

/** A server model: at most `capacity` requests at once, each taking `serviceMs(i)` on `clock`; the rest queue (FIFO). */
export class SimulatedTarget implements Target {
  readonly kind = 'rest' as const;
  readonly describe = 'simulated';
  sent = 0;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly capacity: number,
    private readonly serviceMs: (i: number) => number,
  ) {}

  async send(): Promise<SendResult> {
    const i = this.sent++;
    if (this.active >= this.capacity) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    await this.clock.sleep(this.serviceMs(i));
    this.active--;
    this.waiting.shift()?.();
    return { ok: true, status: '200' };
  }

  async close(): Promise<void> {}
}
