/**
 * Sweeps: run the same target at increasing concurrency (closed loop) or rate (open loop),
 * find the throughput knee, and, for `--suggest-batching`, turn the sweep into batching
 * parameters for a target p99.
 */
import { closedLoop, openLoop, type LoopOptions, type RunResult } from './loops.js';
import type { Target } from './targets.js';

export interface SweepSpec {
  readonly kind: 'concurrency' | 'rate';
  readonly levels: readonly number[];
}

/** `concurrency=1,4,16,64` or `rate=100,200,400`. */
export function parseSweep(text: string): SweepSpec {
  const m = /^\s*(concurrency|rate)\s*=\s*([\d.,\s]+)$/.exec(text);
  if (!m) throw new Error(`--sweep expects concurrency=1,4,16 or rate=100,200 (got "${text}")`);
  const levels = m[2]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (levels.length === 0 || levels.some((n) => !(n > 0) || !Number.isFinite(n))) {
    throw new Error(`--sweep levels must be positive numbers (got "${m[2]}")`);
  }
  if (m[1] === 'concurrency' && levels.some((n) => !Number.isInteger(n))) throw new Error('--sweep concurrency levels must be integers');
  return { kind: m[1] as 'concurrency' | 'rate', levels };
}

export interface SweepResult {
  readonly kind: 'concurrency' | 'rate';
  readonly steps: RunResult[];
  /** Index into steps of the knee (see findKnee), or -1 when no step completed a request. */
  readonly knee: number;
}

export async function runSweep(
  target: Target,
  spec: SweepSpec,
  perStep: LoopOptions,
  onStep?: (r: RunResult, level: number) => void,
): Promise<SweepResult> {
  const steps: RunResult[] = [];
  for (const level of spec.levels) {
    const r = spec.kind === 'concurrency' ? await closedLoop(target, level, perStep) : await openLoop(target, level, perStep);
    steps.push(r);
    onStep?.(r, level);
  }
  return { kind: spec.kind, steps, knee: findKnee(steps) };
}

/**
 * The knee: the lowest load level whose throughput is within 5% of the best throughput of
 * the sweep. Beyond it, more load buys (almost) no throughput and only adds latency.
 */
export function findKnee(steps: readonly RunResult[], tolerance = 0.05): number {
  let best = 0;
  for (const s of steps) best = Math.max(best, s.throughput);
  if (best <= 0) return -1;
  return steps.findIndex((s) => s.throughput >= best * (1 - tolerance));
}

export interface BatchingSuggestion {
  readonly maxBatchSize: number;
  readonly batchTimeoutMicros: number;
  readonly numBatchThreads: number;
  readonly maxEnqueuedBatches: number;
  /** The sweep step the suggestion is based on (highest concurrency meeting the p99 target). */
  readonly basedOnConcurrency: number;
  readonly expectedThroughput: number;
  readonly expectedP99Ms: number;
  readonly reasoning: string[];
  /** The suggestion as batching.pbtxt text. */
  readonly pbtxt: string;
}

/**
 * Batching parameters from a concurrency sweep and a p99 target (ms).
 *
 * Heuristics, stated so users can judge them: the concurrency C* is the highest sweep level
 * whose p99 meets the target. Under batching, about C* requests are waiting together, so
 * max_batch_size = the power of two >= C* (at least 8). The batch timeout is the time C*
 * requests take to arrive at the throughput X measured there (C* divided by X), capped at 10% of the p99
 * target so waiting never dominates the latency budget. One batch thread per core of the
 * serving machine is left to the user (`cores`), and the queue holds enough batches for one
 * second of the measured throughput.
 */
export function suggestBatching(sweep: SweepResult, targetP99Ms: number, cores = 2): BatchingSuggestion {
  if (sweep.kind !== 'concurrency') throw new Error('--suggest-batching needs a concurrency sweep');
  const ok = sweep.steps.filter((s) => s.ok > 0 && s.latency.p99 <= targetP99Ms);
  const reasoning: string[] = [];
  const chosen = ok.length > 0 ? ok.reduce((a, b) => ((b.concurrency ?? 0) > (a.concurrency ?? 0) ? b : a)) : sweep.steps[0];
  if (!chosen) throw new Error('the sweep has no steps');
  if (ok.length === 0) reasoning.push(`no sweep level met p99 <= ${targetP99Ms} ms; using the lowest level`);
  const c = chosen.concurrency ?? 1;
  const maxBatchSize = Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(1, c))));
  const x = Math.max(chosen.throughput, 1);
  const fillMicros = Math.round((c / x) * 1e6);
  const capMicros = Math.round(targetP99Ms * 1000 * 0.1);
  const batchTimeoutMicros = Math.max(0, Math.min(fillMicros, capMicros));
  const maxEnqueuedBatches = Math.max(10, Math.ceil(x / maxBatchSize));
  reasoning.push(
    `highest concurrency meeting p99 <= ${targetP99Ms} ms: ${c} (throughput ${x.toFixed(1)}/s, p99 ${chosen.latency.p99.toFixed(2)} ms)`,
    `max_batch_size: power of two >= ${c}, at least 8 -> ${maxBatchSize}`,
    `batch_timeout_micros: min(time for ${c} requests to arrive = ${fillMicros} us, 10% of the p99 target = ${capMicros} us) -> ${batchTimeoutMicros}`,
    `max_enqueued_batches: one second of throughput in batches, at least 10 -> ${maxEnqueuedBatches}`,
    `num_batch_threads: one per core of the serving machine -> ${cores}`,
  );
  const pbtxt = [
    `max_batch_size { value: ${maxBatchSize} }`,
    `batch_timeout_micros { value: ${batchTimeoutMicros} }`,
    `max_enqueued_batches { value: ${maxEnqueuedBatches} }`,
    `num_batch_threads { value: ${cores} }`,
    '',
  ].join('\n');
  return {
    maxBatchSize,
    batchTimeoutMicros,
    numBatchThreads: cores,
    maxEnqueuedBatches,
    basedOnConcurrency: c,
    expectedThroughput: chosen.throughput,
    expectedP99Ms: chosen.latency.p99,
    reasoning,
    pbtxt,
  };
}
