import { AccessError, type KafkaOperation, type ProduceReport, type SessionObserver } from '../pubsub/index.js';
import type { Logger } from './log.js';
import { createProxyMetrics, type ProxyMetrics, type Registry, type TailStats } from './metrics/index.js';

/** Codes worth an operator's attention (the cluster, not the client, is at fault); the rest log at debug. */
const CLUSTER_CODES = /^KWIRE_ERR_(NO_BROKER|RETRIES_EXHAUSTED|CONNECTION|CONNECT_TIMEOUT|DNS|TLS|SASL|REQUEST_TIMEOUT|NETWORK)/;
const WARN_EVERY_MS = 60_000;

/**
 * Turns session and route events into metrics and logs. Cluster failures are logged at warn at most
 * once a minute per route and code, so a broken cluster with a thousand polling clients stays readable.
 */
export function routeEvents(registry: Registry, logger: Logger) {
  const m: ProxyMetrics = createProxyMetrics(registry);
  const lastWarn = new Map<string, number>();
  const observers = new Map<string, SessionObserver>();
  /** Refusals per reason since its last warn line. */
  const rejectedSince = new Map<string, number>();

  function observer(routeId: string): SessionObserver {
    let o = observers.get(routeId);
    if (o !== undefined) return o;
    const bytes = m.bytesOut.labels(routeId);
    const subs = m.subscriptions.labels(routeId);
    const pushes = m.pushes.labels(routeId);
    const producing = m.produceBytes.labels(routeId);
    o = {
      command: (type, ok) => m.commands.labels(routeId, type, ok ? 'ok' : 'error').inc(),
      sent: (n) => bytes.inc(n),
      subscribed: () => subs.inc(),
      subscriptionEnded: (reason) => {
        subs.dec();
        m.subscriptionEnds.labels(routeId, reason).inc();
      },
      pushed: (n) => {
        pushes.inc();
        bytes.inc(n);
      },
      produceBytes: (delta) => producing.inc(delta),
      authenticated: (refresh) => m.authentications.labels(routeId, refresh ? 'refresh' : 'frame').inc(),
      refused: (reason) => m.authFailures.labels(routeId, reason).inc(),
      overloaded: () => {
        m.errors.labels('PUBSUB_ERR_OVERLOADED').inc();
        logger.warn('connection closed: the process is over its reply budget and this client stopped reading', { route: routeId });
      },
      failed: (code, err) => {
        m.errors.labels(code).inc();
        if (err instanceof AccessError) m.authFailures.labels(routeId, err.reason).inc();
        const key = `${routeId} ${code}`;
        const now = Date.now();
        if (CLUSTER_CODES.test(code) && now - (lastWarn.get(key) ?? 0) >= WARN_EVERY_MS) {
          lastWarn.set(key, now);
          logger.warn('kafka request failed', { route: routeId, code, error: err });
        } else {
          logger.debug('command failed', { route: routeId, code, error: err });
        }
      },
    };
    observers.set(routeId, o);
    return o;
  }

  return {
    sessionObserver: observer,
    kafkaOperation(operation: KafkaOperation, seconds: number, _ok: boolean): void {
      m.kafkaRequestDuration.labels(operation).observe(seconds);
    },
    produced(routeId: string, report: ProduceReport): void {
      if (report.records > 0) {
        m.producedRecords.labels(routeId).inc(report.records);
        m.producedBytes.labels(routeId).inc(report.bytes);
      }
      for (const e of report.errors) m.produceErrors.labels(routeId, e).inc();
    },
    produceRepeated(routeId: string): void {
      m.produceRepeats.labels(routeId).inc();
    },
    connectionOpened(routeId: string): void {
      m.connectionsOpen.labels(routeId).inc();
      m.connectionsTotal.labels(routeId).inc();
    },
    connectionClosed(routeId: string): void {
      m.connectionsOpen.labels(routeId).dec();
    },
    /** Reports the process's reply bytes (ReplyBudget) at each scrape. */
    replyBytes(read: () => number): void {
      m.replyBytes.collect(read);
    },
    /** Reports what the client sockets have not taken, at each scrape. */
    unsentBytes(read: () => number): void {
      m.unsentBytes.collect(read);
    },
    /** Reports at each scrape whether the routes are current (0) or not (1). */
    routeStoreUnavailable(read: () => number): void {
      m.routeStoreUnavailable.collect(read);
    },
    /** Reports the shared tail reads at each scrape. */
    tails(read: () => TailStats): void {
      m.tails.collect(read);
    },
    /**
     * A connection refused or cut. A cap reached is logged at warn at most once a minute per
     * reason (with the count since the last line); `quiet` ones (a request that never came, often a
     * browser's unused preconnect) at debug.
     */
    rejected(reason: string, quiet = false): void {
      m.connectionsRejected.labels(reason).inc();
      if (quiet) {
        logger.debug('connection closed', { reason });
        return;
      }
      const count = (rejectedSince.get(reason) ?? 0) + 1;
      const now = Date.now();
      const key = `rejected ${reason}`;
      if (now - (lastWarn.get(key) ?? 0) < WARN_EVERY_MS) {
        rejectedSince.set(reason, count);
        return;
      }
      lastWarn.set(key, now);
      rejectedSince.delete(reason);
      logger.warn('connections refused', { reason, count });
    },
    /** A token refused at the upgrade or in band (a token's content is never logged). */
    authFailed(routeId: string, reason: string): void {
      m.authFailures.labels(routeId, reason).inc();
      logger.debug('token refused', { route: routeId, reason });
    },
    /** A token accepted at the upgrade. */
    authenticated(routeId: string): void {
      m.authentications.labels(routeId, 'upgrade').inc();
    },
    routes(n: number): void {
      m.routes.labels().set(n);
    },
    /** After a route is deleted and its sockets are gone. */
    forget(routeId: string): void {
      observers.delete(routeId);
      m.forgetRoute(routeId);
    },
    stop(): void {
      m.stop();
    },
  };
}
