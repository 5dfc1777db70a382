/**
 * A counter registered in a prom-client Registry whose label sets can be bound once and then
 * incremented without hashing labels (prom-client's `labels()` children still hash their
 * labels on every `inc`). It implements the part of prom-client's metric interface the
 * Registry uses, with the same JSON as prom-client's Counter (`values` in first-use order,
 * each `{ value, labels }`), so the exposition is unchanged.
 */
import type { Registry } from 'prom-client';
import { LabelCells } from './label-cells.js';

export interface CellCounterConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registry: Registry;
}

interface CounterCell {
  value: number;
  readonly labels: Record<string, string>;
}

/** A counter cell bound to one label set. */
export interface BoundCounter {
  inc(value?: number): void;
}

export class CellCounter<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  private readonly cells: LabelCells<L, CounterCell>;

  constructor(cfg: CellCounterConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames;
    this.cells = new LabelCells<L, CounterCell>(cfg.labelNames, (labels) => ({ value: 0, labels }));
    cfg.registry.registerMetric(this as never);
  }

  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    this.cells.of(labels).value += value;
  }

  /** The cell with these labels, for repeated increments without a label lookup each. */
  bind(labels: Readonly<Record<L, string>>): BoundCounter {
    const cell = this.cells.bind(labels);
    return {
      inc: (value = 1) => {
        cell().value += value;
      },
    };
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { value: number; labels: Record<string, string> }[] }> {
    const values = [...this.cells.values()].map((c) => ({ value: c.value, labels: { ...c.labels } }));
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.cells.clear();
  }
}
