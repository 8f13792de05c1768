/**
 * Pieces of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** HELP text escapes backslash and newline only. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value or bucket bound, as Go's ParseFloat reads it. */
export function formatValue(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

/** `a="x",b="y"` (no braces), built once per child. */
export function renderLabels(names: readonly string[], values: readonly string[]): string {
  return names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
}

/** @throws {TypeError} for a name the format does not allow; a programming error, found at start. */
export function checkNames(name: string, labelNames: readonly string[], reserved: readonly string[] = []): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
  const seen = new Set<string>();
  for (const l of labelNames) {
    // Names starting with __ are reserved for Prometheus itself.
    if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l)) throw new TypeError(`${name}: invalid label name ${JSON.stringify(l)}`);
    if (seen.has(l)) throw new TypeError(`${name}: label ${l} declared twice`);
    seen.add(l);
  }
}
