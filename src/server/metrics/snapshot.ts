/**
 * A registry's values as plain data, so that worker processes can send theirs over IPC and one
 * process can render the sum (docs/operations.md, "Workers"). Rendering a single snapshot gives
 * the same text as `Registry.render()` (test/server/metrics/snapshot.test.ts).
 */
import { series as named } from './family.js';
import { escapeHelp, formatValue, renderLabels } from './format.js';

/**
 * How the series of several processes combine: `sum` (counts, open connections, bytes held,
 * memory) or `max` (values every process has alike, such as the routes configured, and the worst
 * case of a latency).
 */
export type Aggregate = 'sum' | 'max';

export interface ValueSeries {
  values: string[];
  value: number;
}

export interface BucketSeries {
  values: string[];
  /** Observations per bucket, not cumulative; the last one is above the largest bound. */
  counts: number[];
  sum: number;
  count: number;
}

interface Common {
  name: string;
  help: string;
  labelNames: string[];
  aggregate: Aggregate;
}

export type MetricSnapshot =
  | (Common & { type: 'counter' | 'gauge'; series: ValueSeries[] })
  | (Common & { type: 'histogram'; buckets: number[]; series: BucketSeries[] });

/**
 * Combines snapshots of several registries into one: metrics by name, in the order first seen;
 * series by label values, each combined by its metric's `aggregate`. A metric whose type or
 * buckets differ from the first one of its name is left out of the others (a version skew between
 * processes must not produce a wrong sum).
 */
export function mergeSnapshots(all: ReadonlyArray<readonly MetricSnapshot[]>): MetricSnapshot[] {
  const byName = new Map<string, { out: MetricSnapshot; series: Map<string, ValueSeries | BucketSeries> }>();
  for (const snapshot of all) {
    for (const m of snapshot) {
      let into = byName.get(m.name);
      if (into === undefined) {
        const out = (m.type === 'histogram' ? { ...m, buckets: [...m.buckets], series: [] } : { ...m, series: [] }) as MetricSnapshot;
        byName.set(m.name, (into = { out, series: new Map() }));
      } else if (!compatible(into.out, m)) continue;
      for (const s of m.series) addSeries(into.out, into.series, s);
    }
  }
  return [...byName.values()].map((e) => e.out);
}

function compatible(a: MetricSnapshot, b: MetricSnapshot): boolean {
  if (a.type !== b.type || a.labelNames.join() !== b.labelNames.join()) return false;
  return a.type !== 'histogram' || (b.type === 'histogram' && a.buckets.join() === b.buckets.join());
}

function addSeries(out: MetricSnapshot, seen: Map<string, ValueSeries | BucketSeries>, s: ValueSeries | BucketSeries): void {
  const key = JSON.stringify(s.values);
  const have = seen.get(key);
  if (out.type === 'histogram') {
    const b = s as BucketSeries;
    if (have === undefined) {
      const copy = { values: [...b.values], counts: [...b.counts], sum: b.sum, count: b.count };
      seen.set(key, copy);
      out.series.push(copy);
      return;
    }
    const h = have as BucketSeries;
    for (let i = 0; i < h.counts.length; i++) h.counts[i]! += b.counts[i] ?? 0;
    h.sum += b.sum;
    h.count += b.count;
    return;
  }
  const v = s as ValueSeries;
  if (have === undefined) {
    const copy = { values: [...v.values], value: v.value };
    seen.set(key, copy);
    out.series.push(copy);
    return;
  }
  const h = have as ValueSeries;
  h.value = out.aggregate === 'max' ? Math.max(h.value, v.value) : h.value + v.value;
}

/** The text exposition format 0.0.4 of snapshots, as `Registry.render()` writes it. */
export function renderSnapshots(metrics: readonly MetricSnapshot[]): string {
  const out: string[] = [];
  for (const m of metrics) {
    out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
    if (m.type === 'histogram') {
      const les = [...m.buckets.map(formatValue), '+Inf'];
      for (const s of m.series) {
        const labels = renderLabels(m.labelNames, s.values);
        const prefix = labels === '' ? '' : `${labels},`;
        let cumulative = 0;
        for (let i = 0; i < les.length; i++) {
          cumulative += s.counts[i] ?? 0;
          out.push(`${m.name}_bucket{${prefix}le="${les[i]!}"} ${formatValue(cumulative)}`);
        }
        out.push(`${named(`${m.name}_sum`, labels)} ${formatValue(s.sum)}`, `${named(`${m.name}_count`, labels)} ${formatValue(s.count)}`);
      }
      continue;
    }
    for (const s of m.series) out.push(`${named(m.name, renderLabels(m.labelNames, s.values))} ${formatValue(s.value)}`);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
