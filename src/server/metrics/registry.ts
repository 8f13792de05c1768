import { Counter, type CounterOptions } from './counter.js';
import { Gauge, type GaugeOptions } from './gauge.js';
import { Histogram, type HistogramOptions } from './histogram.js';
import type { MetricSnapshot } from './snapshot.js';

/** What a registry renders. */
export interface Metric {
  readonly name: string;
  render(out: string[]): void;
  /** Its values as data, for a process that renders several registries' sum; without it the metric is left out of that. */
  snapshot?(): MetricSnapshot;
}

/** A set of metrics rendered together, in the order they were registered. */
export class Registry {
  readonly #metrics = new Map<string, Metric>();

  /** @throws {TypeError} when a metric of that name is registered already. */
  register<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new TypeError(`metric ${metric.name} is registered already`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  unregister(name: string): boolean {
    return this.#metrics.delete(name);
  }

  counter<const L extends readonly string[] = readonly []>(options: CounterOptions<L>): Counter<L> {
    return this.register(new Counter<L>(options));
  }

  gauge<const L extends readonly string[] = readonly []>(options: GaugeOptions<L>): Gauge<L> {
    return this.register(new Gauge<L>(options));
  }

  histogram<const L extends readonly string[] = readonly []>(options: HistogramOptions<L>): Histogram<L> {
    return this.register(new Histogram<L>(options));
  }

  /** Every metric's values as data (metrics without `snapshot` left out); `renderSnapshots` renders them. */
  snapshot(): MetricSnapshot[] {
    const out: MetricSnapshot[] = [];
    for (const m of this.#metrics.values()) if (m.snapshot !== undefined) out.push(m.snapshot());
    return out;
  }

  /** The text exposition format 0.0.4; serve it with PROMETHEUS_CONTENT_TYPE. */
  render(): string {
    const out: string[] = [];
    for (const m of this.#metrics.values()) m.render(out);
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}
