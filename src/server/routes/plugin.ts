/**
 * The `kafka-proxy` plugin config. APISIX's own schema (apisix/plugins/kafka-proxy.lua) has only
 * `sasl {username, password}`; `sasl.mechanism`, `fetch`, `max_frame_bytes` and `topics` are our
 * extensions. APISIX 3 moved the per-plugin `disable` flag under `_meta` (upgrade guide 2.15 →
 * 3.0); we accept it there and, for configs written for APISIX 2, at the top level. A disabled
 * plugin is validated but ignored, as APISIX does not run it: no SASL, default fetch settings,
 * and no topic allow-list.
 */
import { boolean, fail, fieldPath, integer, keyPath, object, oneOf, onlyKeys, required, string, type JsonObject } from './check.js';
import type { Isolation, SaslCredentials, SaslMechanismName } from '../../kafka-wire/index.js';
import type { KafkaFetchSettings } from '../../pubsub/index.js';
import { compileOrigins, type OriginCheck } from '../auth/origins.js';
import { routeIdentityOf, type RouteIdentity } from '../auth/route-auth.js';
import { sharedClientCredentialsProvider } from './token-providers.js';
import { compileTopics, type TopicFilter } from './topics.js';

const MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];
/** The forms Kafka's OAUTHBEARER server accepts (OAuthBearerClientInitialResponse): RFC 6750 b64token, KIP-342 extensions. */
const BEARER_TOKEN = /^[-._~+/A-Za-z0-9]+=*$/;
const EXTENSION_NAME = /^[A-Za-z]+$/;
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]+$/;
const CLIENT_AUTH = ['basic', 'body'] as const;
const ISOLATIONS: readonly Isolation[] = ['read_uncommitted', 'read_committed'];

export const DEFAULT_FETCH: Readonly<KafkaFetchSettings> = Object.freeze({ maxWaitMs: 100, minBytes: 0, maxBytes: 1048576, isolation: 'read_uncommitted' });
export const DEFAULT_MAX_FRAME_BYTES = 1048576;

/** Produce on a route (`plugins.kafka-proxy.produce`); absent: produce is off. */
export interface ProduceSettings {
  /** Topics clients may write to (names and globs), apart from the consume allow-list. */
  topicAllowed: TopicFilter;
  /** -1 every in-sync replica (default), 1 the leader, 0 no acknowledgement. */
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** How long a batch waits for more records, from every socket, before it is sent. */
  lingerMs: number;
  /** A batch is sent once it holds this many bytes. */
  batchBytes: number;
  /** The largest record (key, value and headers) a client may send. */
  maxRecordBytes: number;
  /** How long a command's idempotency key answers a retry with the first result. */
  idempotencyWindowMs: number;
}

export const PRODUCE_DEFAULTS = Object.freeze({ acks: -1, compression: 'none', lingerMs: 1, batchBytes: 65536, maxRecordBytes: 1048576, idempotencyWindowMs: 300_000 } as const);
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

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
  /** Consumer groups clients may commit and read offsets of (`groups`); undefined: none. */
  groupAllowed: TopicFilter | undefined;
  originAllowed: OriginCheck;
  subscribe: SubscribeSettings;
  /** Authentication, per-identity topic rules and limits (all off by default). */
  identity: RouteIdentity;
  produce: ProduceSettings | undefined;
}

/** Validates `plugins["kafka-proxy"]` at `field`; undefined when the plugin is disabled. */
export function kafkaProxyOf(v: unknown, field: string): KafkaProxyConfig | undefined {
  const p = object(v, field);
  onlyKeys(p, field, ['sasl', 'fetch', 'max_frame_bytes', 'topics', 'groups', 'subscribe', 'produce', 'allowed_origins', 'auth', 'authorize', 'limits', 'disable', '_meta']);
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
    groupAllowed: p['groups'] === undefined ? undefined : compileTopics(p['groups'], fieldPath(field, 'groups'), 'group'),
    originAllowed: compileOrigins(p['allowed_origins'], fieldPath(field, 'allowed_origins')),
    subscribe: p['subscribe'] === undefined ? { ...DEFAULT_SUBSCRIBE } : subscribeOf(p['subscribe'], fieldPath(field, 'subscribe')),
    identity: routeIdentityOf(p, field, p['allowed_origins'] !== undefined),
    produce: p['produce'] === undefined ? undefined : produceOf(p['produce'], fieldPath(field, 'produce')),
  };
  if (p['sasl'] !== undefined) out.sasl = saslOf(p['sasl'], fieldPath(field, 'sasl'));
  return disabled ? undefined : out;
}

function saslOf(v: unknown, field: string): SaslCredentials {
  const s = object(v, field);
  const mechanism = s['mechanism'] === undefined ? 'PLAIN' : oneOf(s['mechanism'], fieldPath(field, 'mechanism'), MECHANISMS);
  if (mechanism === 'OAUTHBEARER') return oauthBearerOf(s, field);
  onlyKeys(s, field, ['username', 'password', 'mechanism']);
  const username = string(required(s, field, 'username'), fieldPath(field, 'username'), { min: 1 });
  const password = string(required(s, field, 'password'), fieldPath(field, 'password'));
  return { mechanism, username, password };
}

/**
 * `sasl` with mechanism OAUTHBEARER: a fixed `token`, or the client credentials grant
 * (`token_url`, `client_id`, `client_secret`, optional `scope`, `audience`, `client_auth`), whose
 * provider is shared by every route with the same grant (token-providers.ts). Optional
 * `extensions` (KIP-342). Values are never quoted in errors.
 */
function oauthBearerOf(s: JsonObject, field: string): SaslCredentials {
  const at = (k: string) => fieldPath(field, k);
  const grantKeys = ['token_url', 'client_id', 'client_secret', 'scope', 'audience', 'client_auth'];
  const fixed = s['token'] !== undefined;
  onlyKeys(s, field, ['mechanism', 'extensions', ...(fixed ? ['token'] : grantKeys)]);
  const extensions = s['extensions'] === undefined ? undefined : extensionsOf(s['extensions'], at('extensions'));
  const withExtensions = extensions === undefined ? {} : { extensions };
  if (fixed) {
    const token = string(s['token'], at('token'), { min: 1 });
    if (!BEARER_TOKEN.test(token)) fail(at('token'), 'must be an RFC 6750 bearer token (A-Z a-z 0-9 - . _ ~ + / then optional =)');
    return { mechanism: 'OAUTHBEARER', token, ...withExtensions };
  }
  if (s['token_url'] === undefined) fail(at('token'), 'required: give token, or token_url with client_id and client_secret');
  const tokenUrl = string(s['token_url'], at('token_url'), { min: 1 });
  let url: URL | undefined;
  try {
    url = new URL(tokenUrl);
  } catch {
    fail(at('token_url'), 'must be an absolute http: or https: URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(at('token_url'), 'must be an absolute http: or https: URL');
  if (url.username !== '' || url.password !== '') fail(at('token_url'), 'must not hold credentials: give client_id and client_secret');
  const clientId = string(required(s, field, 'client_id'), at('client_id'), { min: 1 });
  const clientSecret = string(required(s, field, 'client_secret'), at('client_secret'), { min: 1 });
  const scope = s['scope'] === undefined ? undefined : string(s['scope'], at('scope'));
  const audience = s['audience'] === undefined ? undefined : string(s['audience'], at('audience'));
  const clientAuthentication = s['client_auth'] === undefined ? 'basic' : oneOf(s['client_auth'], at('client_auth'), CLIENT_AUTH);
  const token = sharedClientCredentialsProvider({
    tokenUrl, clientId, clientSecret, clientAuthentication,
    ...(scope === undefined ? {} : { scope }), ...(audience === undefined ? {} : { audience }),
  });
  return { mechanism: 'OAUTHBEARER', token, ...withExtensions };
}

function extensionsOf(v: unknown, field: string): Readonly<Record<string, string>> {
  const o = object(v, field);
  const out: Record<string, string> = {};
  for (const [i, [k, value]] of Object.entries(o).entries()) {
    const at = keyPath(field, k, i);
    if (!EXTENSION_NAME.test(k)) fail(at, 'an extension name must be ASCII letters only');
    if (k === 'auth') fail(at, 'is reserved for the token');
    if (!EXTENSION_VALUE.test(string(value, at))) fail(at, 'must be 1 or more of printable ASCII, space, tab, CR, LF');
    out[k] = value as string;
  }
  return Object.freeze(out);
}

function produceOf(v: unknown, field: string): ProduceSettings {
  const f: JsonObject = object(v, field);
  onlyKeys(f, field, ['topics', 'acks', 'compression', 'linger_ms', 'batch_bytes', 'max_record_bytes', 'idempotency_window_ms']);
  const at = (k: string) => fieldPath(field, k);
  const d = PRODUCE_DEFAULTS;
  // Its own allow-list, required: being able to read a topic says nothing about writing to it.
  const topics = f['topics'];
  if (topics === undefined) fail(at('topics'), 'required (the topics clients may write to)');
  let acks: -1 | 0 | 1 = d.acks;
  if (f['acks'] !== undefined) {
    const a = f['acks'];
    if (a === 'all' || a === -1) acks = -1;
    else if (a === 0 || a === 1) acks = a;
    else fail(at('acks'), 'expected "all", -1, 1 or 0');
  }
  return {
    topicAllowed: compileTopics(topics, at('topics')),
    acks,
    compression: f['compression'] === undefined ? d.compression : oneOf(f['compression'], at('compression'), COMPRESSIONS),
    lingerMs: f['linger_ms'] === undefined ? d.lingerMs : integer(f['linger_ms'], at('linger_ms'), 0, 1000),
    batchBytes: f['batch_bytes'] === undefined ? d.batchBytes : integer(f['batch_bytes'], at('batch_bytes'), 1024, 16 * 1024 * 1024),
    maxRecordBytes: f['max_record_bytes'] === undefined ? d.maxRecordBytes : integer(f['max_record_bytes'], at('max_record_bytes'), 1, 64 * 1024 * 1024),
    idempotencyWindowMs: f['idempotency_window_ms'] === undefined ? d.idempotencyWindowMs : integer(f['idempotency_window_ms'], at('idempotency_window_ms'), 0, 3_600_000),
  };
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
