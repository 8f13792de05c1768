import type { SaslCredentials, TlsOptions } from '../../kafka-wire/index.js';
import type { KafkaFetchSettings } from '../../pubsub/index.js';
import type { RouteIdentity } from '../auth/route-auth.js';
import type { ProduceSettings, SubscribeSettings } from './plugin.js';

/**
 * A route as stored and returned by the admin API, in APISIX's field names: the body as the
 * client sent it plus `id`, `create_time` and `update_time` (Unix seconds). Secrets (SASL
 * password, OAUTHBEARER token and client secret, client key) are included, because APISIX returns
 * them too.
 */
export interface RouteValue {
  id: string;
  create_time: number;
  update_time: number;
  [field: string]: unknown;
}

/**
 * The Kafka client's TLS options as a route gives them: `verify` always set (APISIX's default is
 * off), PEM text only.
 */
export interface RouteTls extends Pick<TlsOptions, 'servername'> {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
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
  readonly sasl?: SaslCredentials;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly fetch: KafkaFetchSettings;
  /** Cap on one reply frame to the browser, in bytes. */
  readonly maxFrameBytes: number;
  /** Live subscriptions: limits and defaults. */
  readonly subscribe: SubscribeSettings;
  /** Produce settings; undefined: produce is off on the route. */
  readonly produce: ProduceSettings | undefined;
  /** Who may connect and what each identity may use (`auth`, `authorize`, `limits`). */
  readonly identity: RouteIdentity;
  /** Whether the route's `topics` allow-list admits `topic` (all topics when there is none). */
  topicAllowed(topic: string): boolean;
  /** Whether clients may commit and read the offsets of consumer group `group` (`groups`; none when absent). */
  groupAllowed(group: string): boolean;
  /** Whether a WebSocket upgrade with this Origin header (undefined when absent) may open (`allowed_origins`). */
  originAllowed(origin: string | undefined): boolean;
  readonly value: RouteValue;
}
