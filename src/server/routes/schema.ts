/**
 * Strict validation of an APISIX route body for a Kafka upstream. Field names, limits and
 * defaults follow APISIX 3 (apisix/schema_def.lua, apisix/admin/routes.lua); unlike APISIX,
 * unknown fields are errors, including APISIX route fields that mean nothing for Kafka (uris,
 * methods, hosts, vars, upstream_id, service_id, ...), so a typo never silently does nothing.
 */
import { isPrototypeKey } from '../json-input.js';
import { brokersOf } from './nodes.js';
import { fail, fieldPath, integer, isObject, keyPath, object, oneOf, onlyKeys, positive, required, string, typeName } from './check.js';
import { kafkaProxyOf, DEFAULT_FETCH, DEFAULT_MAX_FRAME_BYTES, DEFAULT_SUBSCRIBE } from './plugin.js';
import type { KafkaRoute, RouteTls, RouteValue } from './route.js';
import { tlsOf } from './tls.js';
import { NO_IDENTITY } from '../auth/route-auth.js';

/** APISIX's id_schema: 1-64 of [a-zA-Z0-9-_.]. */
export const ROUTE_ID = /^[a-zA-Z0-9._-]{1,64}$/;

const ROUTE_FIELDS = ['id', 'uri', 'name', 'desc', 'labels', 'status', 'upstream', 'plugins', 'create_time', 'update_time'];
const UPSTREAM_FIELDS = ['nodes', 'type', 'scheme', 'name', 'desc', 'timeout', 'tls'];
// APISIX's balancer types; `none` is what APISIX's Kafka guide writes. Kafka ignores them all.
const UPSTREAM_TYPES = ['roundrobin', 'chash', 'ewma', 'least_conn', 'none'] as const;

/**
 * Throws a RouteValidationError (field `id`) unless `id` is a legal APISIX id. APISIX would take
 * "__proto__", "constructor" and "prototype"; we refuse them, as everywhere in admin input.
 */
export function checkRouteId(id: string): void {
  if (!ROUTE_ID.test(id)) fail('id', 'must be 1-64 of a-z A-Z 0-9 - _ .');
  if (isPrototypeKey(id)) fail('id', `${JSON.stringify(id)} is not allowed as an id`);
}

/**
 * Validates `body` as the route `id` and normalizes it. `nowSeconds` fills `create_time` and
 * `update_time` when the body has none (APISIX injects them the same way).
 * @throws RouteValidationError naming the first offending field.
 */
export function validateRoute(body: unknown, id: string, nowSeconds: number = Math.floor(Date.now() / 1000)): KafkaRoute {
  checkRouteId(id);
  const r = object(body, '');
  onlyKeys(r, '', ROUTE_FIELDS);
  if (r['id'] !== undefined) {
    // APISIX compares tostring(conf.id) with the id in the path, so 1 and "1" are the same id.
    if (typeof r['id'] !== 'string' && typeof r['id'] !== 'number') fail('id', `expected string or integer, got ${typeName(r['id'])}`);
    if (String(r['id']) !== id) fail('id', 'does not match the id in the path');
  }
  const uri = uriOf(required(r, '', 'uri'));
  if (r['name'] !== undefined) string(r['name'], 'name', { min: 1, max: 100 });
  if (r['desc'] !== undefined) string(r['desc'], 'desc', { max: 256 });
  if (r['labels'] !== undefined) labelsOf(r['labels'], 'labels');
  const status = r['status'] === undefined ? 1 : oneOf(r['status'], 'status', [1, 0]);
  for (const k of ['create_time', 'update_time']) if (r[k] !== undefined) integer(r[k], k, 0);

  const up = upstreamOf(required(r, '', 'upstream'));
  let plugin: ReturnType<typeof kafkaProxyOf>;
  if (r['plugins'] !== undefined) {
    const plugins = object(r['plugins'], 'plugins');
    for (const [i, name] of Object.keys(plugins).entries()) {
      if (name !== 'kafka-proxy') fail(keyPath('plugins', name, i), 'unknown plugin (only kafka-proxy is supported)');
    }
    if (plugins['kafka-proxy'] !== undefined) plugin = kafkaProxyOf(plugins['kafka-proxy'], fieldPath('plugins', 'kafka-proxy'));
  }

  const value = deepFreeze({ ...structuredClone(r), id, create_time: (r['create_time'] as number | undefined) ?? nowSeconds, update_time: (r['update_time'] as number | undefined) ?? nowSeconds }) as RouteValue;
  const topicAllowed = plugin?.topicAllowed ?? (() => true);
  const originAllowed = plugin?.originAllowed ?? (() => true);
  const groupAllowed = plugin?.groupAllowed ?? (() => false);
  const route: KafkaRoute = {
    id,
    uri: uri.path,
    prefix: uri.prefix,
    enabled: status === 1,
    brokers: Object.freeze(up.brokers),
    ...(up.tls === undefined ? {} : { tls: Object.freeze(up.tls) }),
    ...(plugin?.sasl === undefined ? {} : { sasl: Object.freeze(plugin.sasl) }),
    ...(up.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: up.connectTimeoutMs, requestTimeoutMs: up.requestTimeoutMs! }),
    fetch: Object.freeze(plugin?.fetch ?? { ...DEFAULT_FETCH }),
    maxFrameBytes: plugin?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    subscribe: Object.freeze(plugin?.subscribe ?? { ...DEFAULT_SUBSCRIBE }),
    identity: plugin?.identity ?? NO_IDENTITY,
    ...(plugin?.produce === undefined ? { produce: undefined } : { produce: Object.freeze(plugin.produce) }),
    topicAllowed: (topic: string) => topicAllowed(topic),
    originAllowed: (origin: string | undefined) => originAllowed(origin),
    groupAllowed: (group: string) => groupAllowed(group),
    value,
  };
  return Object.freeze(route);
}

/** APISIX matches `uri` with radixtree: a trailing `*` makes it a prefix, anything else is exact. */
function uriOf(v: unknown): { path: string; prefix: boolean } {
  const uri = string(v, 'uri', { min: 1, max: 4096 });
  if (!uri.startsWith('/')) fail('uri', 'must start with /');
  if (/[\s?#]/.test(uri)) fail('uri', 'must be a path: no spaces, query or fragment');
  const star = uri.indexOf('*');
  if (star !== -1 && star !== uri.length - 1) fail('uri', '* is only allowed at the end (prefix match)');
  return star === -1 ? { path: uri, prefix: false } : { path: uri.slice(0, -1), prefix: true };
}

/** APISIX's labels_def: at most 16, values 1-64 characters without spaces. */
function labelsOf(v: unknown, field: string): void {
  const labels = object(v, field);
  if (Object.keys(labels).length > 16) fail(field, 'at most 16 labels');
  for (const [i, [k, val]] of Object.entries(labels).entries()) {
    const at = keyPath(field, k, i);
    if (/\s/.test(string(val, at, { min: 1, max: 64 }))) fail(at, 'must not contain spaces');
  }
}

interface Upstream {
  brokers: string[];
  tls?: RouteTls;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

function upstreamOf(v: unknown): Upstream {
  const field = 'upstream';
  const u = object(v, field);
  onlyKeys(u, field, UPSTREAM_FIELDS);
  const scheme = required(u, field, 'scheme');
  if (scheme !== 'kafka') fail(fieldPath(field, 'scheme'), 'only kafka upstreams are supported');
  if (u['type'] !== undefined) oneOf(u['type'], fieldPath(field, 'type'), UPSTREAM_TYPES);
  if (u['name'] !== undefined) string(u['name'], fieldPath(field, 'name'), { min: 1, max: 100 });
  if (u['desc'] !== undefined) string(u['desc'], fieldPath(field, 'desc'), { max: 256 });
  const out: Upstream = { brokers: brokersOf(required(u, field, 'nodes'), fieldPath(field, 'nodes')) };
  if (u['timeout'] !== undefined) {
    const at = fieldPath(field, 'timeout');
    const t = object(u['timeout'], at);
    onlyKeys(t, at, ['connect', 'send', 'read']);
    // APISIX requires all three; `send` has no Kafka meaning (requests are small) but is kept.
    const [connect, , read] = ['connect', 'send', 'read'].map((k) => positive(required(t, at, k), fieldPath(at, k)));
    out.connectTimeoutMs = Math.max(1, Math.round(connect! * 1000));
    out.requestTimeoutMs = Math.max(1, Math.round(read! * 1000));
  }
  if (u['tls'] !== undefined) out.tls = tlsOf(u['tls'], fieldPath(field, 'tls'));
  return out;
}

function deepFreeze<T>(v: T): T {
  if (isObject(v) || Array.isArray(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
