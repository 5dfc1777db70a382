/**
 * A counter registered in a prom-client Registry whose label sets can be bound once and then
 * incremented without hashing labels (prom-client's `labels()` children still hash their
 * labels on every `inc`). It implements the part of prom-client's metric interface the
 * Registry uses, with the same JSON as prom-client's Counter (`values` in first-use order,
 * each `{ value, labels }`), so the exposition is unchanged.
 */
import type { Registry } from 'prom-client';

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
  private readonly cells = new Map<string, CounterCell>();
  /** Bumped by reset(), so bound cells look theirs up again. */
  private generation = 0;

  constructor(cfg: CellCounterConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames;
    cfg.registry.registerMetric(this as never);
  }

  private cellOf(labels: Readonly<Record<L, string>>): CounterCell {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) {
      const l: Record<string, string> = {};
      for (const n of this.labelNames) l[n] = labels[n];
      cell = { value: 0, labels: l };
      this.cells.set(key, cell);
    }
    return cell;
  }

  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    this.cellOf(labels).value += value;
  }

  /** The cell with these labels, for repeated increments without a label lookup each. */
  bind(labels: Readonly<Record<L, string>>): BoundCounter {
    let cell = this.cellOf(labels);
    let generation = this.generation;
    return {
      inc: (value = 1) => {
        if (generation !== this.generation) {
          cell = this.cellOf(labels);
          generation = this.generation;
        }
        cell.value += value;
      },
    };
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { value: number; labels: Record<string, string> }[] }> {
    const values = [...this.cells.values()].map((c) => ({ value: c.value, labels: { ...c.labels } }));
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.cells.clear();
    this.generation++;
  }
}
