/**
 * The label-set → cell table behind tfs's own metric classes (CellCounter, TfHistogram): a
 * cell per label set in first-use order (prom-client's JSON order), and bound lookups that
 * skip hashing the labels on every update yet follow a reset or removal.
 */
export interface LabelledCell {
  readonly labels: Record<string, string>;
}

export class LabelCells<L extends string, C extends LabelledCell> {
  private readonly cells = new Map<string, C>();
  /** Bumped when cells are dropped, so bound lookups find theirs again. */
  private generation = 0;

  constructor(
    private readonly labelNames: readonly L[],
    private readonly make: (labels: Record<string, string>) => C,
  ) {}

  /** The cell with these labels, made on first use. */
  of(labels: Readonly<Record<L, string>>): C {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) {
      const l: Record<string, string> = {};
      for (const n of this.labelNames) l[n] = labels[n];
      cell = this.make(l);
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** A lookup of the cell with these labels that hashes them again only after cells were dropped. */
  bind(labels: Readonly<Record<L, string>>): () => C {
    let cell = this.of(labels);
    let generation = this.generation;
    return () => {
      if (generation !== this.generation) {
        cell = this.of(labels);
        generation = this.generation;
      }
      return cell;
    };
  }

  values(): IterableIterator<C> {
    return this.cells.values();
  }

  /** Drop the cells whose labels include all of `match`. */
  remove(match: Partial<Record<L, string>>): void {
    for (const [k, c] of this.cells) {
      if (Object.entries(match).every(([n, v]) => c.labels[n] === v)) this.cells.delete(k);
    }
    this.generation++;
  }

  clear(): void {
    this.cells.clear();
    this.generation++;
  }
}
