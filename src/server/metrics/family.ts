import { checkNames, escapeHelp, renderLabels } from './format.js';
import type { Aggregate } from './snapshot.js';

/** Label values in the order the label names were declared. */
export type LabelValues<L extends readonly string[]> = { [K in keyof L]: string };
/** Label values by name. */
export type LabelSet<L extends readonly string[]> = { readonly [K in L[number]]: string };

export interface MetricOptions<L extends readonly string[]> {
  name: string;
  help: string;
  /** Fixed at creation; every sample carries all of them. */
  labelNames?: L;
  /** How the series of several worker processes combine (default `sum`; snapshot.ts). */
  aggregate?: Aggregate;
}

interface Entry<C> {
  values: readonly string[];
  /** Rendered `a="x",b="y"`, so rendering builds no label text per scrape. */
  labels: string;
  child: C;
}

/**
 * What counters, gauges and histograms share: label names, one child per distinct label values
 * (cached, so a caller that keeps `labels(...)`'s result increments a plain object field), removal
 * of label sets, and rendering in creation order.
 */
export abstract class Family<L extends readonly string[], C> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: L;
  readonly aggregate: Aggregate;
  readonly #children = new Map<string, Entry<C>>();

  constructor(options: MetricOptions<L>, reservedLabels: readonly string[] = []) {
    const labelNames = options.labelNames ?? ([] as readonly string[] as L);
    checkNames(options.name, labelNames, reservedLabels);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labelNames;
    this.aggregate = options.aggregate ?? 'sum';
  }

  protected abstract create(): C;
  /** Appends the sample lines of one child. `labels` is '' for a metric without labels. */
  protected abstract renderChild(out: string[], labels: string, child: C): void;

  /**
   * The child for these label values, created on first use and cached: keep it on the hot path.
   * @throws {TypeError} when the number of values differs from the label names.
   */
  labels(...values: LabelValues<L>): C {
    const key = this.#key(values);
    const entry = this.#children.get(key);
    if (entry !== undefined) return entry.child;
    if (values.length !== this.labelNames.length) {
      throw new TypeError(`${this.name}: ${values.length} label values for ${this.labelNames.length} labels (${this.labelNames.join(', ')})`);
    }
    const child = this.create();
    this.#children.set(key, { values: [...values], labels: renderLabels(this.labelNames, values), child });
    return child;
  }

  /** The child for a label set given by name. */
  with(set: LabelSet<L>): C {
    return this.labels(...(this.labelNames.map((n: L[number]) => set[n]) as unknown as LabelValues<L>));
  }

  /**
   * Drops the series with exactly these label values (a deleted route). A child kept by a caller
   * then counts on unseen; `labels()` makes a fresh one.
   */
  remove(...values: LabelValues<L>): boolean {
    return this.#children.delete(this.#key(values));
  }

  /** Drops every series whose labels include `partial`, e.g. {route: 'r1'}; returns how many. */
  removeMatching(partial: Partial<LabelSet<L>>): number {
    const wanted = this.labelNames.flatMap((n: L[number], i) => (partial[n] === undefined ? [] : [[i, partial[n]] as const]));
    let removed = 0;
    for (const [key, entry] of this.#children) {
      if (wanted.every(([i, v]) => entry.values[i] === v)) {
        this.#children.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Drops every series; a metric without labels keeps its one series, reset to zero. */
  reset(): void {
    this.#children.clear();
    if (this.labelNames.length === 0) this.labels(...([] as unknown as LabelValues<L>));
  }

  /** Appends HELP, TYPE and the samples. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const entry of this.#children.values()) this.renderChild(out, entry.labels, entry.child);
  }

  /** Every child with its label values, in creation order (for snapshots). */
  protected *children(): IterableIterator<{ values: string[]; child: C }> {
    for (const e of this.#children.values()) yield { values: [...e.values], child: e.child };
  }

  /** One label: the value itself, no string built. More: an encoding no two value lists share. */
  #key(values: readonly string[]): string {
    return values.length === 1 ? values[0]! : values.length === 0 ? '' : JSON.stringify(values);
  }
}

/** `name{labels}` or `name` when there are no labels. */
export function series(name: string, labels: string): string {
  return labels === '' ? name : `${name}{${labels}}`;
}
