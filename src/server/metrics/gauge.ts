import { Family, type LabelSet, type MetricOptions, series } from './family.js';
import { formatValue } from './format.js';
import type { MetricSnapshot } from './snapshot.js';

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

export interface GaugeOptions<L extends readonly string[]> extends MetricOptions<L> {
  /** Called before each render, to sample values that are read rather than counted (memory). */
  collect?: (gauge: Gauge<L>) => void;
}

/** A value that goes up and down. */
export class Gauge<const L extends readonly string[] = readonly []> extends Family<L, GaugeChild> {
  readonly type = 'gauge';
  readonly #collect: ((gauge: Gauge<L>) => void) | undefined;

  constructor(options: GaugeOptions<L>) {
    super(options);
    this.#collect = options.collect;
    if (this.labelNames.length === 0) this.reset();
  }

  set(set: LabelSet<L>, v: number): void {
    this.with(set).set(v);
  }
  inc(set: LabelSet<L>, n = 1): void {
    this.with(set).inc(n);
  }
  dec(set: LabelSet<L>, n = 1): void {
    this.with(set).dec(n);
  }

  override render(out: string[]): void {
    this.#collect?.(this);
    super.render(out);
  }

  /** The values as data (after `collect`, as a render would). */
  snapshot(): MetricSnapshot {
    this.#collect?.(this);
    const series = [...this.children()].map(({ values, child }) => ({ values, value: child.value }));
    return { type: 'gauge', name: this.name, help: this.help, labelNames: [...this.labelNames], aggregate: this.aggregate, series };
  }

  protected create(): GaugeChild {
    return new GaugeChild();
  }

  protected renderChild(out: string[], labels: string, child: GaugeChild): void {
    out.push(`${series(this.name, labels)} ${formatValue(child.value)}`);
  }
}
