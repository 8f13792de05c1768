import { createHash } from 'node:crypto';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export type Isolation = 'read_uncommitted' | 'read_committed';

/**
 * A route as stored and returned by the admin API, in APISIX's field names: the body as the
 * client sent it plus `id`, `create_time` and `update_time` (Unix seconds). Secrets (SASL
 * password, client key) are included, because APISIX returns them too.
 */
export interface RouteValue {
  id: string;
  create_time: number;
  update_time: number;
  [field: string]: unknown;
}

export interface RouteTls {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

export interface RouteSasl {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

export interface RouteFetch {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolation: Isolation;
}

/** A validated route, normalized for the proxy. Built by `validateRoute`; deeply immutable. */
export interface KafkaRoute {
  readonly id: string;
  /** The uri without its trailing `*` when `prefix` is true. */
  readonly uri: string;
  readonly prefix: boolean;
  readonly enabled: boolean;
  /** "host:port" (IPv6 as "[::1]:9092"), deduplicated, by priority then weight (both descending), then as given. */
  readonly brokers: readonly string[];
  readonly tls?: RouteTls;
  readonly sasl?: RouteSasl;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly fetch: RouteFetch;
  /** Cap on one reply frame to the browser, in bytes. */
  readonly maxFrameBytes: number;
  /** Whether the route's `topics` allow-list admits `topic` (all topics when there is none). */
  topicAllowed(topic: string): boolean;
  readonly value: RouteValue;
}

/**
 * A digest of everything that decides which Kafka cluster a route talks to and who it is there
 * (brokers, TLS, SASL, timeouts). Equal keys mean Kafka clients can be reused across a route
 * change; the password enters only the hash, never the string.
 */
export function routeKey(route: KafkaRoute): string {
  const kafka = {
    brokers: route.brokers,
    tls: route.tls === undefined ? null : sorted(route.tls),
    sasl: route.sasl === undefined ? null : sorted(route.sasl),
    connectTimeoutMs: route.connectTimeoutMs ?? null,
    requestTimeoutMs: route.requestTimeoutMs ?? null,
  };
  return createHash('sha256').update(JSON.stringify(kafka)).digest('base64url');
}

function sorted(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
