/**
 * `tfs bench --metrics-url URL`: where the server spent the time, read from its Prometheus
 * page before and after the run (TF Serving's own histograms, in microseconds):
 *  - request: `:tensorflow:serving:request_latency` (the whole request inside the server);
 *  - runtime: `:tensorflow:serving:runtime_latency` (the model call as each request sees it:
 *    with batching, as upstream, that includes the wait in the batching queue);
 *  - queue: `:tensorflow:serving:batching_session:queuing_latency` (waiting for a batch);
 *  - compute: runtime minus queue (the batch's run), or runtime without batching;
 *  - batch: `:tensorflow:serving:batching_session:processed_batch_size` (rows per batch).
 * request minus runtime is what the front end adds (decoding the body, encoding the reply).
 * Each is the mean over the run (the change of `_sum` over the change of `_count`), for the
 * benchmarked model where the series carry a `model_name` label. The run's warm-up is
 * included (the page has no timestamps per observation). Works against TF Serving too.
 */
import { TF } from '../metrics/names.js';

/** Mean values over the run; a part is absent when its histogram saw nothing (e.g. no batching). */
export interface ServerBreakdown {
  /** The metrics page read. */
  readonly source: string;
  /** Requests the server counted (request_latency observations). */
  readonly requests: number;
  readonly requestMs?: number;
  readonly runtimeMs?: number;
  readonly queueMs?: number;
  readonly computeMs?: number;
  readonly meanBatchSize?: number;
}

/** `_sum` and `_count` per histogram name, summed over the label sets of `model`. */
export type HistogramTotals = Map<string, { sum: number; count: number }>;

const HISTOGRAMS = [TF.requestLatency, TF.queuingLatency, TF.runtimeLatency, TF.processedBatchSize] as const;
const SAMPLE = /^([^\s{]+)(\{[^}]*\})?\s+(\S+)/;

/** The totals of the histograms above in a Prometheus text page. */
export function parseHistogramTotals(text: string, model: string): HistogramTotals {
  const out: HistogramTotals = new Map(HISTOGRAMS.map((h) => [h, { sum: 0, count: 0 }]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labels = '', value] = m;
    const suffix = name!.endsWith('_sum') ? 'sum' : name!.endsWith('_count') ? 'count' : undefined;
    if (!suffix) continue;
    const base = name!.slice(0, -(suffix.length + 1));
    const t = out.get(base);
    if (!t) continue;
    const modelLabel = /model_name="([^"]*)"/.exec(labels);
    if (modelLabel && modelLabel[1] !== model) continue;
    t[suffix] += Number(value);
  }
  return out;
}

/** Mean of one histogram over the run, and how many observations it had. */
function delta(before: HistogramTotals, after: HistogramTotals, name: string): { mean?: number; n: number } {
  const a = after.get(name)!;
  const b = before.get(name)!;
  const n = a.count - b.count;
  return n > 0 ? { mean: (a.sum - b.sum) / n, n } : { n: 0 };
}

/** The breakdown from two readings of the page. */
export function breakdownOf(source: string, before: HistogramTotals, after: HistogramTotals): ServerBreakdown {
  const ms = (us: number | undefined): number | undefined => (us === undefined ? undefined : Math.round(us) / 1000);
  const req = delta(before, after, TF.requestLatency);
  const queue = delta(before, after, TF.queuingLatency);
  const run = delta(before, after, TF.runtimeLatency);
  const batch = delta(before, after, TF.processedBatchSize);
  const out: { -readonly [K in keyof ServerBreakdown]: ServerBreakdown[K] } = { source, requests: req.n };
  if (req.mean !== undefined) out.requestMs = ms(req.mean)!;
  if (run.mean !== undefined) out.runtimeMs = ms(run.mean)!;
  if (queue.mean !== undefined) out.queueMs = ms(queue.mean)!;
  if (run.mean !== undefined) out.computeMs = ms(Math.max(0, run.mean - (queue.mean ?? 0)))!;
  if (batch.mean !== undefined) out.meanBatchSize = Math.round(batch.mean * 100) / 100;
  return out;
}

/** Read the page (any HTTP status but 200 is an error naming it). */
export async function readHistogramTotals(url: string, model: string): Promise<HistogramTotals> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new Error(`cannot read the server's metrics at ${url}: ${cause?.code ?? String(err)}`, { cause: err });
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the server's metrics at ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return parseHistogramTotals(text, model);
}

/** One line for the text output: `server: request 1.2 ms = queue 0.4 ms + compute 0.7 ms (…)`. */
export function formatBreakdown(b: ServerBreakdown): string {
  const parts: string[] = [];
  if (b.queueMs !== undefined) parts.push(`queue ${b.queueMs} ms`);
  if (b.computeMs !== undefined) parts.push(`compute ${b.computeMs} ms`);
  if (b.requestMs !== undefined && b.runtimeMs !== undefined) parts.push(`front end ${Math.round((b.requestMs - b.runtimeMs) * 1000) / 1000} ms`);
  if (b.meanBatchSize !== undefined) parts.push(`mean batch ${b.meanBatchSize} rows`);
  const head = b.requestMs !== undefined ? `request ${b.requestMs} ms mean over ${b.requests} requests` : `no requests counted by the server`;
  return `server (${b.source}): ${head}${parts.length > 0 ? `; ${parts.join(', ')}` : ''}`;
}
