/**
 * A histogram with TensorFlow's bucket semantics, registered in a prom-client Registry.
 *
 * prom-client's Histogram counts a value in the first bucket whose bound is >= the value.
 * TF's Sampler (what upstream's histograms are) counts value v in bucket i when
 * limit[i-1] <= v < limit[i]: a value equal to a limit goes to the *next* bucket. For integer
 * data such as batch sizes (buckets 1, 2, 4, …) the two disagree on almost every sample, so
 * upstream's metrics are kept here with upstream's rule (tfserving-spec.md §5.1: adding 2,
 * 20, 200 to Exponential(1,2,10) gives le="2" 0, le="4" 1, le="32" 2, le="256" 3), and `le`
 * values are printed the way upstream prints them (`%g`).
 *
 * It implements the part of prom-client's metric interface the Registry uses (`name`,
 * `help`, `type`, `get()`, `reset()`), so it appears in `registry.getMetricsAsJSON()` and
 * `registry.metrics()` next to prom-client's own metrics.
 */
import type { Registry } from 'prom-client';
import { formatG } from './names.js';

export interface TfHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Finite bucket limits, increasing; a final +Inf bucket is implied. */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

interface Cell {
  readonly labels: Record<string, string>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** One value line of prom-client's metric JSON. */
export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export class TfHistogram<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  private readonly leLabels: string[];
  private readonly cells = new Map<string, Cell>();

  constructor(cfg: TfHistogramConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames;
    this.buckets = cfg.buckets;
    this.leLabels = [...cfg.buckets.map((b) => formatG(b)), '+Inf'];
    cfg.registry.registerMetric(this as never);
  }

  /** Add one value to the cell with these labels. */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) {
      const l: Record<string, string> = {};
      for (const n of this.labelNames) l[n] = labels[n];
      cell = { labels: l, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.cells.set(key, cell);
    }
    // First bucket whose limit is strictly greater than the value (TF's rule).
    let lo = 0;
    let hi = this.buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (value < this.buckets[mid]!) hi = mid;
      else lo = mid + 1;
    }
    cell.counts[lo]!++;
    cell.sum += value;
    cell.count++;
  }

  /** Drop the cells whose labels include all of `match`. */
  remove(match: Partial<Record<L, string>>): void {
    for (const [k, c] of this.cells) {
      if (Object.entries(match).every(([n, v]) => c.labels[n] === v)) this.cells.delete(k);
    }
  }

  /** prom-client's metric JSON: `_bucket` (cumulative, `le` last), `_sum`, `_count` per cell. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const c of this.cells.values()) {
      let acc = 0;
      for (let i = 0; i < c.counts.length; i++) {
        acc += c.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le: this.leLabels[i]! }, value: acc });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...c.labels }, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...c.labels }, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.cells.clear();
  }
}
