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
import { LabelCells } from './label-cells.js';

export interface TfHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Finite bucket limits, increasing; a final +Inf bucket is implied. */
  readonly buckets: readonly number[];
  readonly registry: Registry;
  /**
   * `tf` (default): TF's Sampler rule (v counts in the first bucket whose limit is > v) and
   * `le` printed with `%g`; `prometheus`: prom-client's Histogram (first limit >= v, `le` the
   * number itself), for the PromQL alias of a prom-client histogram.
   */
  readonly rule?: 'tf' | 'prometheus';
}

/** A histogram cell bound to one label set: observations without hashing labels. */
export interface BoundHistogram {
  observe(value: number): void;
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
  private readonly leLabels: (string | number)[];
  private readonly inclusive: boolean;
  private readonly cells: LabelCells<L, Cell>;

  constructor(cfg: TfHistogramConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames;
    this.buckets = cfg.buckets;
    this.inclusive = cfg.rule === 'prometheus';
    this.leLabels = [...cfg.buckets.map((b) => (this.inclusive ? b : formatG(b))), '+Inf'];
    this.cells = new LabelCells<L, Cell>(cfg.labelNames, (labels) => ({ labels, counts: new Float64Array(cfg.buckets.length + 1), sum: 0, count: 0 }));
    cfg.registry.registerMetric(this as never);
  }

  private add(cell: Cell, value: number): void {
    // TF: the first bucket whose limit is strictly greater than the value; prometheus: >=.
    let lo = 0;
    let hi = this.buckets.length;
    const inclusive = this.inclusive;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const limit = this.buckets[mid]!;
      if (value < limit || (inclusive && value === limit)) hi = mid;
      else lo = mid + 1;
    }
    cell.counts[lo]!++;
    cell.sum += value;
    cell.count++;
  }

  /** Add one value to the cell with these labels. */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.add(this.cells.of(labels), value);
  }

  /** The cell with these labels, for repeated observations without a label lookup each. */
  bind(labels: Readonly<Record<L, string>>): BoundHistogram {
    const cell = this.cells.bind(labels);
    return { observe: (value) => this.add(cell(), value) };
  }

  /** Drop the cells whose labels include all of `match`. */
  remove(match: Partial<Record<L, string>>): void {
    this.cells.remove(match);
  }

  /** prom-client's metric JSON: `_bucket` (cumulative, `le` last), `_sum`, `_count` per cell. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const c of this.cells.values()) {
      let acc = 0;
      for (let i = 0; i < c.counts.length; i++) {
        acc += c.counts[i]!;
        // prom-client lists `le` first in its JSON; keep its order for the prometheus rule.
        const le = this.leLabels[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: this.inclusive ? { le, ...c.labels } : { ...c.labels, le }, value: acc });
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
