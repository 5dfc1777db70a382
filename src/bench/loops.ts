/**
 * The two load models of `tfs bench`, both bounded in time and count and self-stopping.
 *
 * - Closed loop (`--concurrency C`): C workers, each sends its next request when the previous
 *   one answers. Measures what C busy clients see; the offered load adapts to the server.
 * - Open loop (`--rate R`): requests are due at fixed times start + i/R whatever the server
 *   does. Latency is measured from the *intended* send time (wrk2's correction for coordinated
 *   omission), so a server stall shows up in every request that should have been sent during
 *   it. The uncorrected latency (from the actual send) is recorded too. In-flight requests are
 *   capped (`maxInFlight`); a due request waiting for a slot keeps its intended start time.
 */
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import type { Target } from './targets.js';

export interface LoopLimits {
  /** Stop after this many ms of measurement (default 10 000 when no request count is given). */
  readonly durationMs?: number;
  /** Stop after this many requests have been sent. */
  readonly requests?: number;
  /** Unrecorded warm-up before measuring, in ms (closed loop at the same concurrency, or the open loop's rate). */
  readonly warmupMs?: number;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly completed: number;
  readonly errors: number;
  readonly p99Ms: number;
}

/** Where a loop reads time and waits: the real clock, or a test's virtual one. */
export interface LoopClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves `ms` milliseconds later on this clock. */
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: LoopClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
};

export interface LoopOptions extends LoopLimits {
  readonly onProgress?: (p: Progress) => void;
  readonly progressIntervalMs?: number;
  /** Default: {@link REAL_CLOCK}. Tests pass a virtual clock so rates and throughputs are exact. */
  readonly clock?: LoopClock;
}

export interface RunResult {
  readonly mode: 'closed' | 'open';
  readonly target: string;
  readonly concurrency?: number;
  /** Requested rate (open loop), requests/s. */
  readonly rate?: number;
  readonly sent: number;
  readonly completed: number;
  readonly ok: number;
  /** Count per status (`200`, `OK`, `404`, `UNAVAILABLE`, `ERROR: ECONNREFUSED`...). */
  readonly statuses: Record<string, number>;
  /** One sample message per failing status. */
  readonly errorSamples: Record<string, string>;
  readonly durationMs: number;
  /** Completed requests per second over the measured duration. */
  readonly throughput: number;
  /** Achieved send rate (open loop), requests/s. */
  readonly sendRate?: number;
  /** Latency of successful and failed requests alike (open loop: corrected for coordinated omission). */
  readonly latency: LatencySummary;
  /** Open loop only: latency from the actual send time (not corrected). */
  readonly uncorrectedLatency?: LatencySummary;
  readonly percentileCurve: Array<{ percentile: number; ms: number }>;
  /** HdrHistogram compressed base64 of `latency` (microseconds). */
  readonly histogram: string;
}

/** Hard ceilings so no loop can run away, whatever the flags say. */
export const MAX_DURATION_MS = 3_600_000;
export const MAX_REQUESTS = 100_000_000;
const DEFAULT_DURATION_MS = 10_000;

function limitsOf(o: LoopLimits): { durationMs: number; requests: number } {
  const requests = Math.min(MAX_REQUESTS, o.requests ?? MAX_REQUESTS);
  const durationMs = Math.min(MAX_DURATION_MS, o.durationMs ?? (o.requests !== undefined ? MAX_DURATION_MS : DEFAULT_DURATION_MS));
  return { durationMs, requests };
}

class Tally {
  sent = 0;
  completed = 0;
  ok = 0;
  readonly statuses: Record<string, number> = {};
  readonly errorSamples: Record<string, string> = {};
  readonly hist = new LatencyHistogram();

  add(status: string, ok: boolean, micros: number, detail?: string): void {
    this.completed++;
    if (ok) this.ok++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (!ok && detail !== undefined && this.errorSamples[status] === undefined) this.errorSamples[status] = detail;
    this.hist.record(micros);
  }
}

function startProgress(o: LoopOptions, t: Tally, start: number): () => void {
  if (!o.onProgress) return () => undefined;
  const cb = o.onProgress;
  const timer = setInterval(() => {
    cb({ elapsedMs: performance.now() - start, completed: t.completed, errors: t.completed - t.ok, p99Ms: t.hist.percentileMs(99) });
  }, o.progressIntervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}

/** Closed loop with `concurrency` workers. */
export async function closedLoop(target: Target, concurrency: number, o: LoopOptions = {}): Promise<RunResult> {
  const c = Math.max(1, Math.floor(concurrency));
  const clock = o.clock ?? REAL_CLOCK;
  if (o.warmupMs && o.warmupMs > 0) await closedLoop(target, c, { durationMs: o.warmupMs, clock });
  const { durationMs, requests } = limitsOf(o);
  const t = new Tally();
  const start = clock.now();
  const deadline = start + durationMs;
  const stopProgress = startProgress(o, t, start);
  const worker = async (): Promise<void> => {
    while (t.sent < requests && clock.now() < deadline) {
      t.sent++;
      const t0 = clock.now();
      const r = await target.send();
      t.add(r.status, r.ok, (clock.now() - t0) * 1000, r.detail);
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  stopProgress();
  const elapsed = clock.now() - start;
  return finish('closed', target, t, elapsed, { concurrency: c });
}

/** Open loop at `rate` requests/s, at most `maxInFlight` outstanding. */
export async function openLoop(target: Target, rate: number, o: LoopOptions & { maxInFlight?: number } = {}): Promise<RunResult> {
  if (!(rate > 0)) throw new Error('open loop needs a rate > 0');
  const clock = o.clock ?? REAL_CLOCK;
  if (o.warmupMs && o.warmupMs > 0) await openLoop(target, rate, { durationMs: o.warmupMs, maxInFlight: o.maxInFlight ?? 1024, clock });
  const { durationMs, requests } = limitsOf(o);
  const total = Math.min(requests, Math.ceil((durationMs / 1000) * rate));
  const maxInFlight = Math.max(1, o.maxInFlight ?? 1024);
  const interval = 1000 / rate;
  const t = new Tally();
  const uncorrected = new LatencyHistogram();
  const start = clock.now();
  const stopProgress = startProgress(o, t, start);
  let inFlight = 0;
  let firstSend = 0;
  let lastSend = 0;
  let slotWaiter: (() => void) | undefined;
  const pending = new Set<Promise<void>>();

  const fire = (intended: number): void => {
    inFlight++;
    t.sent++;
    const sentAt = clock.now();
    if (t.sent === 1) firstSend = sentAt;
    lastSend = sentAt;
    const p = target.send().then((r) => {
      const now = clock.now();
      t.add(r.status, r.ok, (now - intended) * 1000, r.detail);
      uncorrected.record((now - sentAt) * 1000);
      inFlight--;
      pending.delete(p);
      const w = slotWaiter;
      slotWaiter = undefined;
      w?.();
    });
    pending.add(p);
  };

  for (let i = 0; i < total; ) {
    const intended = start + i * interval;
    const now = clock.now();
    if (intended > now) {
      // Sleep until the next request is due (timers have ~1 ms resolution; due requests are
      // then sent in a burst, each keeping its own intended time).
      await clock.sleep(Math.max(0, intended - now));
      continue;
    }
    if (inFlight >= maxInFlight) {
      await new Promise<void>((r) => (slotWaiter = r));
      continue;
    }
    fire(intended);
    i++;
  }
  await Promise.all(pending);
  stopProgress();
  const elapsed = clock.now() - start;
  // Achieved send rate from the actual send times (n sends span n-1 intervals).
  const sendSpan = lastSend - firstSend;
  return finish('open', target, t, elapsed, {
    rate,
    sendRate: t.sent > 1 && sendSpan > 0 ? ((t.sent - 1) / sendSpan) * 1000 : t.sent,
    uncorrectedLatency: uncorrected.summary(),
  });
}

function finish(
  mode: 'closed' | 'open',
  target: Target,
  t: Tally,
  elapsedMs: number,
  extra: { concurrency?: number; rate?: number; sendRate?: number; uncorrectedLatency?: LatencySummary },
): RunResult {
  return {
    mode,
    target: target.describe,
    ...extra,
    sent: t.sent,
    completed: t.completed,
    ok: t.ok,
    statuses: t.statuses,
    errorSamples: t.errorSamples,
    durationMs: elapsedMs,
    throughput: elapsedMs > 0 ? (t.completed / elapsedMs) * 1000 : 0,
    latency: t.hist.summary(),
    percentileCurve: t.hist.percentileCurve(),
    histogram: t.hist.encode(),
  };
}
