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

/** What the shared tail reads report at a scrape. */
export interface TailStats {
  readers: number;
  fetches: Array<{ topic: string; partition: number; requests: number }>;
}

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
  /** Where kwp_reply_bytes reads the process's reply bytes at each scrape. */
  replyBytes: { collect(read: () => number): void };
  subscriptions: Gauge<readonly ['route']>;
  subscriptionEnds: Counter<readonly ['route', 'reason']>;
  pushes: Counter<readonly ['route']>;
  /** Tokens and commands refused for identity reasons: a TokenError reason, missing, forbidden, rate_limited, ... */
  authFailures: Counter<readonly ['route', 'reason']>;
  /** Tokens accepted, by how: upgrade, frame (a first cmd_authenticate) or refresh. */
  authentications: Counter<readonly ['route', 'how']>;
  /** Where the tail metrics read the shared tail reads at each scrape. */
  tails: { collect(read: () => TailStats): void };
  /** Records written by produce commands (acknowledged, or sent with acks=0). */
  producedRecords: Counter<readonly ['route']>;
  /** Their key, value and header bytes. */
  producedBytes: Counter<readonly ['route']>;
  /** Records of produce commands that failed, by error name (Kafka's, e.g. MESSAGE_TOO_LARGE). */
  produceErrors: Counter<readonly ['route', 'error']>;
  /** Produce commands answered from the idempotency cache instead of being written again. */
  produceRepeats: Counter<readonly ['route']>;
  /** Bytes of produce commands connections hold, awaiting Kafka. */
  produceBytes: Gauge<readonly ['route']>;
  /** Where kwp_unsent_bytes reads what the sockets have not taken, at each scrape. */
  unsentBytes: { collect(read: () => number): void };
  /** Where kwp_route_store_unavailable reads whether the routes are current (0) or not (1). */
  routeStoreUnavailable: { collect(read: () => number): void };
  /** Drops every series labelled with this route (after the route is deleted). */
  forgetRoute(routeId: string): void;
  /** Stops the event-loop delay sampler. */
  stop(): void;
}

/** The process's memory, sampled at each render; a worker group sums them over its processes. */
export function registerProcessMetrics(registry: Registry): void {
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
  // Every worker process holds all routes: the group has as many as one of them.
  const routes = registry.gauge({ name: 'kwp_routes', help: 'Routes configured.', aggregate: 'max' });
  const subscriptions = registry.gauge({ name: 'kwp_subscriptions', help: 'Live subscriptions open now.', labelNames: ['route'] });
  const subscriptionEnds = registry.counter({
    name: 'kwp_subscription_ends_total',
    help: 'Live subscriptions ended, by reason (the SubscriptionEnd reasons, and disconnected).',
    labelNames: ['route', 'reason'],
  });
  const pushes = registry.counter({ name: 'kwp_pushes_total', help: 'Pushed frames of live subscriptions (their bytes count in kwp_bytes_out_total).', labelNames: ['route'] });
  const authFailures = registry.counter({
    name: 'kwp_auth_failures_total',
    help: 'Tokens and commands refused for identity reasons, by reason (a token refusal reason such as expired or bad_signature; missing, unauthenticated, forbidden, rate_limited, too_many_connections, subject_changed).',
    labelNames: ['route', 'reason'],
  });
  const authentications = registry.counter({ name: 'kwp_authentications_total', help: 'Tokens accepted, by how: upgrade, frame (first cmd_authenticate) or refresh.', labelNames: ['route', 'how'] });
  const producedRecords = registry.counter({ name: 'kwp_produced_records_total', help: 'Records written by produce commands (acknowledged by Kafka, or sent with acks=0).', labelNames: ['route'] });
  const producedBytes = registry.counter({ name: 'kwp_produced_bytes_total', help: 'Key, value and header bytes of the records in kwp_produced_records_total.', labelNames: ['route'] });
  const produceErrors = registry.counter({
    name: 'kwp_produce_errors_total',
    help: 'Records of produce commands that were not written, by error name (Kafka\'s, e.g. MESSAGE_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION).',
    labelNames: ['route', 'error'],
  });
  const produceRepeats = registry.counter({ name: 'kwp_produce_repeats_total', help: 'Produce commands answered from the idempotency cache (a retry of a command already written).', labelNames: ['route'] });
  const produceBytes = registry.gauge({ name: 'kwp_produce_bytes', help: 'Bytes of produce commands the connections hold, accepted and not yet answered.', labelNames: ['route'] });
  let readTails: () => TailStats = () => ({ readers: 0, fetches: [] });
  registry.gauge({ name: 'kwp_tail_readers', help: 'Partitions read at their tail for live subscriptions, one shared read each.', collect: (g) => g.labels().set(readTails().readers) });
  registry.counter({
    name: 'kwp_tail_fetch_requests_total',
    help: 'Kafka Fetch requests of the shared tail reads that included the partition (one per answer, whatever the number of subscribers).',
    labelNames: ['topic', 'partition'],
    collect: (c) => {
      c.reset();
      for (const f of readTails().fetches) c.labels(f.topic, String(f.partition)).value = f.requests;
    },
  });
  let readUnsent: () => number = () => 0;
  registry.gauge({
    name: 'kwp_unsent_bytes',
    help: 'Bytes handed to client sockets (replies and pushes) that they have not taken yet, over all connections.',
    collect: (g) => g.labels().set(readUnsent()),
  });
  let readReplyBytes: () => number = () => 0;
  registry.gauge({
    name: 'kwp_reply_bytes',
    help: 'Reply bytes held for all connections: made and not yet taken by their sockets, plus room reserved for fetches running.',
    collect: (g) => g.labels().set(readReplyBytes()),
  });
  let readStore: () => number = () => 0;
  registry.gauge({
    name: 'kwp_route_store_unavailable',
    help: 'Whether the routes may not be current (1: a Kafka route store reading its topic or out of reach; then /readyz answers 503), else 0.',
    // Over worker processes: 1 when any of them is not current.
    aggregate: 'max',
    collect: (g) => g.labels().set(readStore()),
  });

  registerProcessMetrics(registry);
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  registry.gauge({
    name: 'nodejs_eventloop_delay_seconds',
    help: 'Event-loop delay quantiles since the previous scrape, in seconds.',
    labelNames: ['quantile'],
    // Over worker processes, the worst: what a client of that worker waits.
    aggregate: 'max',
    collect: (g) => {
      // percentile() is in nanoseconds, and on Node 20 it is the whole interval between two ticks of
      // the sampling timer, resolution included: an idle loop read 10 ms. The delay is what exceeds
      // the resolution. With no sample yet it reports 0.
      for (const q of LOOP_QUANTILES) g.labels(String(q)).set(Math.max(0, loop.percentile(q * 100) - LOOP_RESOLUTION_MS * 1e6) / 1e9);
      loop.reset();
    },
  });

  const byRoute = [
    connectionsOpen, connectionsTotal, commands, bytesOut, subscriptions, subscriptionEnds, pushes, authFailures, authentications,
    producedRecords, producedBytes, produceErrors, produceRepeats, produceBytes,
  ];
  return {
    connectionsOpen,
    connectionsTotal,
    connectionsRejected,
    commands,
    kafkaRequestDuration,
    bytesOut,
    errors,
    routes,
    replyBytes: { collect: (read) => { readReplyBytes = read; } },
    subscriptions,
    subscriptionEnds,
    pushes,
    authFailures,
    authentications,
    tails: { collect: (read) => { readTails = read; } },
    producedRecords,
    producedBytes,
    produceErrors,
    produceRepeats,
    produceBytes,
    unsentBytes: { collect: (read) => { readUnsent = read; } },
    routeStoreUnavailable: { collect: (read) => { readStore = read; } },
    forgetRoute: (routeId) => {
      for (const m of byRoute) m.removeMatching({ route: routeId });
    },
    stop: () => loop.disable(),
  };
}
