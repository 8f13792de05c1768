import { Family, type LabelSet, type MetricOptions, series } from './family.js';
import { formatValue } from './format.js';
import type { MetricSnapshot } from './snapshot.js';

export class HistogramChild {
  /** Observations per bucket, not cumulative; the last slot is (largest bound, +Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value (seconds, for durations). NaN is ignored: it would poison the sum. */
  observe(v: number): void {
    if (Number.isNaN(v)) return;
    const bounds = this.#bounds;
    let i = 0;
    // A linear scan: about a dozen bounds, most observations land in the first few.
    while (i < bounds.length && v > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export interface HistogramOptions<L extends readonly string[]> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing and finite; +Inf is implied. */
  buckets: readonly number[];
}

/** Observations counted into buckets: `_bucket{le}` (cumulative), `_sum`, `_count`. */
export class Histogram<const L extends readonly string[] = readonly []> extends Family<L, HistogramChild> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #les: readonly string[];

  /** @throws {TypeError} for buckets that are empty, not increasing or not finite, or a label named le. */
  constructor(options: HistogramOptions<L>) {
    super(options, ['le']);
    const b = options.buckets;
    if (b.length === 0 || !b.every((v, i) => Number.isFinite(v) && (i === 0 || v > b[i - 1]!))) {
      throw new TypeError(`${options.name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = [...b];
    this.#les = [...b.map(formatValue), '+Inf'];
    if (this.labelNames.length === 0) this.reset();
  }

  observe(set: LabelSet<L>, v: number): void {
    this.with(set).observe(v);
  }

  /** The values as data. */
  snapshot(): MetricSnapshot {
    const series = [...this.children()].map(({ values, child }) => ({ values, counts: [...child.counts], sum: child.sum, count: child.count }));
    return { type: 'histogram', name: this.name, help: this.help, labelNames: [...this.labelNames], aggregate: this.aggregate, buckets: [...this.buckets], series };
  }

  protected create(): HistogramChild {
    return new HistogramChild(this.buckets);
  }

  protected renderChild(out: string[], labels: string, child: HistogramChild): void {
    const prefix = labels === '' ? '' : `${labels},`;
    let cumulative = 0;
    for (let i = 0; i < this.#les.length; i++) {
      cumulative += child.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}le="${this.#les[i]!}"} ${formatValue(cumulative)}`);
    }
    out.push(`${series(`${this.name}_sum`, labels)} ${formatValue(child.sum)}`, `${series(`${this.name}_count`, labels)} ${formatValue(child.count)}`);
  }
}
