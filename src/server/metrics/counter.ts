import { Family, type LabelSet, type MetricOptions, series } from './family.js';
import { formatValue } from './format.js';
import type { MetricSnapshot } from './snapshot.js';

export class CounterChild {
  value = 0;

  /** @throws {RangeError} for a negative amount: a counter only goes up. */
  inc(n = 1): void {
    if (!(n >= 0)) throw new RangeError(`counter increment must be >= 0, got ${n}`);
    this.value += n;
  }
}

export interface CounterOptions<L extends readonly string[]> extends MetricOptions<L> {
  /**
   * Called before each render, for counts kept elsewhere (set each child's `value`, after a
   * `reset()` if series may go away): e.g. the tail fetches of partitions read now.
   */
  collect?: (counter: Counter<L>) => void;
}

/** A value that only goes up (resets with the process, or with what it counts). */
export class Counter<const L extends readonly string[] = readonly []> extends Family<L, CounterChild> {
  readonly type = 'counter';
  readonly #collect: ((counter: Counter<L>) => void) | undefined;

  constructor(options: CounterOptions<L>) {
    super(options);
    this.#collect = options.collect;
    if (this.labelNames.length === 0) this.reset(); // a metric without labels shows 0 from the start
  }

  override render(out: string[]): void {
    this.#collect?.(this);
    super.render(out);
  }

  inc(set: LabelSet<L>, n = 1): void {
    this.with(set).inc(n);
  }

  /** The values as data (after `collect`, as a render would). */
  snapshot(): MetricSnapshot {
    this.#collect?.(this);
    const series = [...this.children()].map(({ values, child }) => ({ values, value: child.value }));
    return { type: 'counter', name: this.name, help: this.help, labelNames: [...this.labelNames], aggregate: this.aggregate, series };
  }

  protected create(): CounterChild {
    return new CounterChild();
  }

  protected renderChild(out: string[], labels: string, child: CounterChild): void {
    out.push(`${series(this.name, labels)} ${formatValue(child.value)}`);
  }
}
