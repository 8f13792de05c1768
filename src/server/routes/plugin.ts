/**
 * The `kafka-proxy` plugin config. APISIX's own schema (apisix/plugins/kafka-proxy.lua) has only
 * `sasl {username, password}`; `sasl.mechanism`, `fetch`, `max_frame_bytes` and `topics` are our
 * extensions. APISIX 3 moved the per-plugin `disable` flag under `_meta` (upgrade guide 2.15 →
 * 3.0); we accept it there and, for configs written for APISIX 2, at the top level. A disabled
 * plugin is validated but ignored, as APISIX does not run it: no SASL, default fetch settings,
 * and no topic allow-list.
 */
import { boolean, fieldPath, integer, object, oneOf, onlyKeys, required, string, type JsonObject } from './check.js';
import type { Isolation, PasswordMechanismName, SaslCredentials } from '../../kafka-wire/index.js';
import type { KafkaFetchSettings } from '../../pubsub/index.js';
import { compileOrigins, type OriginCheck } from '../auth/origins.js';
import { compileTopics, type TopicFilter } from './topics.js';

const MECHANISMS: readonly PasswordMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const ISOLATIONS: readonly Isolation[] = ['read_uncommitted', 'read_committed'];

export const DEFAULT_FETCH: Readonly<KafkaFetchSettings> = Object.freeze({ maxWaitMs: 100, minBytes: 0, maxBytes: 1048576, isolation: 'read_uncommitted' });
export const DEFAULT_MAX_FRAME_BYTES = 1048576;

/** Live subscriptions on a route (`plugins.kafka-proxy.subscribe`). */
export interface SubscribeSettings {
  /** Open at once on one connection; 0 turns subscribing off on the route. */
  maxSubscriptions: number;
  /** Credit of a subscribe that asks for none, in bytes. */
  defaultCredit: number;
  /** Pushed bytes a connection may leave unread before it is closed as a slow consumer. */
  maxUnsentBytes: number;
  /** Reads of subscriptions behind the tail, for the whole route at once. */
  catchUpReads: number;
}

export const DEFAULT_SUBSCRIBE: Readonly<SubscribeSettings> = Object.freeze({
  maxSubscriptions: 100, defaultCredit: 1048576, maxUnsentBytes: 1048576, catchUpReads: 8,
});

export interface KafkaProxyConfig {
  sasl?: SaslCredentials;
  fetch: KafkaFetchSettings;
  maxFrameBytes: number;
  topicAllowed: TopicFilter;
  originAllowed: OriginCheck;
  subscribe: SubscribeSettings;
}

/** Validates `plugins["kafka-proxy"]` at `field`; undefined when the plugin is disabled. */
export function kafkaProxyOf(v: unknown, field: string): KafkaProxyConfig | undefined {
  const p = object(v, field);
  onlyKeys(p, field, ['sasl', 'fetch', 'max_frame_bytes', 'topics', 'subscribe', 'allowed_origins', 'disable', '_meta']);
  let disabled = p['disable'] === undefined ? false : boolean(p['disable'], fieldPath(field, 'disable'));
  if (p['_meta'] !== undefined) {
    const at = fieldPath(field, '_meta');
    const meta = object(p['_meta'], at);
    // Only `disable` of APISIX's _meta has a meaning here (no filter, priority or error_response).
    onlyKeys(meta, at, ['disable']);
    if (meta['disable'] !== undefined && boolean(meta['disable'], fieldPath(at, 'disable'))) disabled = true;
  }
  const out: KafkaProxyConfig = {
    fetch: p['fetch'] === undefined ? { ...DEFAULT_FETCH } : fetchOf(p['fetch'], fieldPath(field, 'fetch')),
    maxFrameBytes: p['max_frame_bytes'] === undefined ? DEFAULT_MAX_FRAME_BYTES : integer(p['max_frame_bytes'], fieldPath(field, 'max_frame_bytes'), 1024),
    topicAllowed: compileTopics(p['topics'], fieldPath(field, 'topics')),
    originAllowed: compileOrigins(p['allowed_origins'], fieldPath(field, 'allowed_origins')),
    subscribe: p['subscribe'] === undefined ? { ...DEFAULT_SUBSCRIBE } : subscribeOf(p['subscribe'], fieldPath(field, 'subscribe')),
  };
  if (p['sasl'] !== undefined) out.sasl = saslOf(p['sasl'], fieldPath(field, 'sasl'));
  return disabled ? undefined : out;
}

function saslOf(v: unknown, field: string): SaslCredentials {
  const s = object(v, field);
  onlyKeys(s, field, ['username', 'password', 'mechanism']);
  const username = string(required(s, field, 'username'), fieldPath(field, 'username'), { min: 1 });
  const password = string(required(s, field, 'password'), fieldPath(field, 'password'));
  const mechanism = s['mechanism'] === undefined ? 'PLAIN' : oneOf(s['mechanism'], fieldPath(field, 'mechanism'), MECHANISMS);
  return { mechanism, username, password };
}

function subscribeOf(v: unknown, field: string): SubscribeSettings {
  const f: JsonObject = object(v, field);
  onlyKeys(f, field, ['max_subscriptions', 'default_credit', 'max_unsent_bytes', 'catch_up_reads']);
  const at = (k: string) => fieldPath(field, k);
  const d = DEFAULT_SUBSCRIBE;
  return {
    maxSubscriptions: f['max_subscriptions'] === undefined ? d.maxSubscriptions : integer(f['max_subscriptions'], at('max_subscriptions'), 0, 100_000),
    defaultCredit: f['default_credit'] === undefined ? d.defaultCredit : integer(f['default_credit'], at('default_credit'), 1024, 1024 ** 3),
    maxUnsentBytes: f['max_unsent_bytes'] === undefined ? d.maxUnsentBytes : integer(f['max_unsent_bytes'], at('max_unsent_bytes'), 64 * 1024, 1024 ** 3),
    catchUpReads: f['catch_up_reads'] === undefined ? d.catchUpReads : integer(f['catch_up_reads'], at('catch_up_reads'), 1, 1024),
  };
}

function fetchOf(v: unknown, field: string): KafkaFetchSettings {
  const f: JsonObject = object(v, field);
  onlyKeys(f, field, ['max_wait_ms', 'min_bytes', 'max_bytes', 'isolation_level']);
  const at = (k: string) => fieldPath(field, k);
  return {
    maxWaitMs: f['max_wait_ms'] === undefined ? DEFAULT_FETCH.maxWaitMs : integer(f['max_wait_ms'], at('max_wait_ms'), 0, 60000),
    minBytes: f['min_bytes'] === undefined ? DEFAULT_FETCH.minBytes : integer(f['min_bytes'], at('min_bytes'), 0),
    maxBytes: f['max_bytes'] === undefined ? DEFAULT_FETCH.maxBytes : integer(f['max_bytes'], at('max_bytes'), 1),
    isolation: f['isolation_level'] === undefined ? DEFAULT_FETCH.isolation : oneOf(f['isolation_level'], at('isolation_level'), ISOLATIONS),
  };
}
