import { monitorEventLoopDelay } from 'node:perf_hooks';
import { COMMAND_LABELS } from '../../pubsub/index.js';
import type { Counter } from './counter.js';
import type { Gauge } from './gauge.js';
import type { Histogram } from './histogram.js';
import type { Registry } from './registry.js';

/**
 * Kafka request durations, 0.5 ms to 10 s, each bound about 2-2.5x the one before. A fetch may
 * wait up to its maxWaitMs on the broker, so the upper buckets are in use, not just outliers.
 */
export const KAFKA_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Event-loop delay quantiles shown; the histogram restarts after each scrape. */
const LOOP_QUANTILES = [0.5, 0.99] as const;
const LOOP_RESOLUTION_MS = 10;

export interface ProxyMetrics {
  connectionsOpen: Gauge<readonly ['route']>;
  connectionsTotal: Counter<readonly ['route']>;
  /** reason: max_connections, max_sockets, max_sockets_per_address, request_timeout. */
  connectionsRejected: Counter<readonly ['reason']>;
  commands: Counter<readonly ['route', 'command', 'result']>;
  kafkaRequestDuration: Histogram<readonly ['operation']>;
  bytesOut: Counter<readonly ['route']>;
  errors: Counter<readonly ['code']>;
  routes: Gauge;
  /** Drops every series labelled with this route (after the route is deleted). */
  forgetRoute(routeId: string): void;
  /** Stops the event-loop delay sampler. */
  stop(): void;
}

/**
 * Declares the proxy's metrics in `registry`: the kwp_* ones the server updates, and process
 * and Node.js gauges sampled when the registry renders.
 */
export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const connectionsOpen = registry.gauge({ name: 'kwp_connections_open', help: 'WebSocket connections open now.', labelNames: ['route'] });
  const connectionsTotal = registry.counter({ name: 'kwp_connections_total', help: 'WebSocket connections accepted.', labelNames: ['route'] });
  const connectionsRejected = registry.counter({ name: 'kwp_connections_rejected_total', help: 'Connections refused or cut by a limit, by reason (max_connections, max_sockets, max_sockets_per_address, request_timeout).', labelNames: ['reason'] });
  const commands = registry.counter({
    name: 'kwp_commands_total',
    help: `PubSub commands handled (command: ${COMMAND_LABELS.join(', ')}; result: ok, error).`,
    labelNames: ['route', 'command', 'result'],
  });
  const kafkaRequestDuration = registry.histogram({
    name: 'kwp_kafka_request_duration_seconds',
    help: 'Time from sending a Kafka request to its response, retries included.',
    labelNames: ['operation'],
    buckets: KAFKA_DURATION_BUCKETS,
  });
  const bytesOut = registry.counter({ name: 'kwp_bytes_out_total', help: 'WebSocket payload bytes sent to clients.', labelNames: ['route'] });
  const errors = registry.counter({ name: 'kwp_errors_total', help: 'Errors, by their stable code.', labelNames: ['code'] });
  const routes = registry.gauge({ name: 'kwp_routes', help: 'Routes configured.' });

  registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    collect: (g) => g.labels().set(process.memoryUsage.rss()),
  });
  registry.gauge({
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use, in bytes.',
    collect: (g) => g.labels().set(process.memoryUsage().heapUsed),
  });
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  registry.gauge({
    name: 'nodejs_eventloop_delay_seconds',
    help: 'Event-loop delay quantiles since the previous scrape, in seconds.',
    labelNames: ['quantile'],
    collect: (g) => {
      // percentile() is in nanoseconds, and on Node 20 it is the whole interval between two ticks of
      // the sampling timer, resolution included: an idle loop read 10 ms. The delay is what exceeds
      // the resolution. With no sample yet it reports 0.
      for (const q of LOOP_QUANTILES) g.labels(String(q)).set(Math.max(0, loop.percentile(q * 100) - LOOP_RESOLUTION_MS * 1e6) / 1e9);
      loop.reset();
    },
  });

  const byRoute = [connectionsOpen, connectionsTotal, commands, bytesOut];
  return {
    connectionsOpen,
    connectionsTotal,
    connectionsRejected,
    commands,
    kafkaRequestDuration,
    bytesOut,
    errors,
    routes,
    forgetRoute: (routeId) => {
      for (const m of byRoute) m.removeMatching({ route: routeId });
    },
    stop: () => loop.disable(),
  };
}
