import { Family, type LabelSet, type MetricOptions, series } from './family.js';
import { formatValue } from './format.js';

export class CounterChild {
  value = 0;

  /** @throws {RangeError} for a negative amount: a counter only goes up. */
  inc(n = 1): void {
    if (!(n >= 0)) throw new RangeError(`counter increment must be >= 0, got ${n}`);
    this.value += n;
  }
}

/** A value that only goes up (resets with the process). */
export class Counter<const L extends readonly string[] = readonly []> extends Family<L, CounterChild> {
  readonly type = 'counter';

  constructor(options: MetricOptions<L>) {
    super(options);
    if (this.labelNames.length === 0) this.reset(); // a metric without labels shows 0 from the start
  }

  inc(set: LabelSet<L>, n = 1): void {
    this.with(set).inc(n);
  }

  protected create(): CounterChild {
    return new CounterChild();
  }

  protected renderChild(out: string[], labels: string, child: CounterChild): void {
    out.push(`${series(this.name, labels)} ${formatValue(child.value)}`);
  }
}
