export { Counter, CounterChild, type CounterOptions } from './counter.js';
export type { LabelSet, LabelValues, MetricOptions } from './family.js';
export { escapeLabelValue, PROMETHEUS_CONTENT_TYPE } from './format.js';
export { Gauge, GaugeChild, type GaugeOptions } from './gauge.js';
export { Histogram, HistogramChild, type HistogramOptions } from './histogram.js';
export { createProxyMetrics, KAFKA_DURATION_BUCKETS, registerProcessMetrics, type ProxyMetrics, type TailStats } from './proxy-metrics.js';
export { type Metric, Registry } from './registry.js';
export { mergeSnapshots, renderSnapshots, type Aggregate, type MetricSnapshot } from './snapshot.js';
