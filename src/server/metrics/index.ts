export { Counter, CounterChild } from './counter.js';
export type { LabelSet, LabelValues, MetricOptions } from './family.js';
export { escapeLabelValue, PROMETHEUS_CONTENT_TYPE } from './format.js';
export { Gauge, GaugeChild, type GaugeOptions } from './gauge.js';
export { Histogram, HistogramChild, type HistogramOptions } from './histogram.js';
export { createProxyMetrics, KAFKA_DURATION_BUCKETS, type ProxyMetrics, type TailStats } from './proxy-metrics.js';
export { type Metric, Registry } from './registry.js';
