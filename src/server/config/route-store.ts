/**
 * The route store settings: `route_store` (where routes live when not in the data directory: a
 * compacted Kafka topic, docs/deployment.md) and `route_store_keys` (the keys its records are
 * encrypted with). The cluster part is checked as a route's own cluster is (brokers, `tls`,
 * `sasl`: the same fields, rules and messages), by validating it as a route.
 */
import { invalidTopicReason } from '../../kafka-wire/index.js';
import { RouteValidationError } from '../errors.js';
import { parseJsonInput } from '../json-input.js';
import { isObject, type JsonObject } from '../routes/check.js';
import { DEFAULT_ROUTE_TOPIC } from '../routes/kafka-store.js';
import { parseRouteKey, type RouteKey } from '../routes/key-ring.js';
import { validateRoute } from '../routes/schema.js';
import type { KafkaRoute } from '../routes/route.js';
import { BadValue, type Kind } from './kinds.js';

const KAFKA_FIELDS = ['brokers', 'topic', 'replication_factor', 'tls', 'sasl'];

/** `route_store` as read: plain JSON data (it is logged nowhere, and holds the SASL secrets as given). */
export interface RouteStoreSetting {
  kafka: {
    /** Bootstrap brokers, "host:port". */
    brokers: string[];
    topic: string;
    /** For the topic's creation; -1: the broker's default.replication.factor. */
    replicationFactor: number;
    /** A route's `upstream.tls`. */
    tls?: JsonObject;
    /** A route's `plugins.kafka-proxy.sasl`. */
    sasl?: JsonObject;
  };
}

/**
 * The route a store setting's cluster stands for, for its Kafka client options (clientOptions in
 * live-routes.ts): brokers, TLS and SASL exactly as a route with those fields would have them.
 * @throws RouteValidationError naming the route's field (routeStoreKind renames it)
 */
export function storeClusterRoute(kafka: RouteStoreSetting['kafka']): KafkaRoute {
  const upstream: JsonObject = { scheme: 'kafka', nodes: Object.fromEntries(kafka.brokers.map((b) => [b, 1])) };
  if (kafka.tls !== undefined) upstream['tls'] = kafka.tls;
  const body: JsonObject = { uri: '/', upstream };
  if (kafka.sasl !== undefined) body['plugins'] = { 'kafka-proxy': { sasl: kafka.sasl } };
  return validateRoute(body, 'route-store', 0);
}

/** A message about storeClusterRoute's fields, naming them as the setting does. */
function settingText(message: string): string {
  return message
    .replace(/upstream\.nodes/g, 'kafka.brokers')
    .replace(/upstream\.tls/g, 'kafka.tls')
    .replace(/plugins\.kafka-proxy\.sasl/g, 'kafka.sasl');
}

function readStore(value: unknown): RouteStoreSetting {
  if (!isObject(value)) throw new BadValue('is not an object like {"kafka": {"brokers": ["host:9092"]}}');
  for (const k of Object.keys(value)) if (k !== 'kafka') throw new BadValue('has a key other than "kafka" (the only store besides the data directory)');
  const k = value['kafka'];
  if (!isObject(k)) throw new BadValue('needs "kafka": an object with "brokers"');
  for (const key of Object.keys(k)) if (!KAFKA_FIELDS.includes(key)) throw new BadValue(`has an unknown field in "kafka" (known: ${KAFKA_FIELDS.join(', ')})`);
  const brokers = k['brokers'];
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b): b is string => typeof b === 'string')) {
    throw new BadValue('needs kafka.brokers: a non-empty array of "host:port" strings');
  }
  const topic = k['topic'] ?? DEFAULT_ROUTE_TOPIC;
  if (typeof topic !== 'string') throw new BadValue('has a kafka.topic that is not a string');
  const bad = invalidTopicReason(topic);
  if (bad !== undefined) throw new BadValue(`has a kafka.topic Kafka would refuse: ${bad}`);
  const rf = k['replication_factor'] ?? -1;
  if (typeof rf !== 'number' || !Number.isInteger(rf) || (rf !== -1 && (rf < 1 || rf > 32767))) {
    throw new BadValue('has a kafka.replication_factor that is not -1 (the broker\'s default) or 1-32767');
  }
  const out: RouteStoreSetting = { kafka: { brokers: [...brokers], topic, replicationFactor: rf } };
  if (k['tls'] !== undefined) out.kafka.tls = k['tls'] as JsonObject;
  if (k['sasl'] !== undefined) out.kafka.sasl = k['sasl'] as JsonObject;
  try {
    storeClusterRoute(out.kafka);
  } catch (e) {
    if (!(e instanceof RouteValidationError)) throw e;
    // The route's message names its field and never the value; only the field is renamed.
    throw new BadValue(`has ${settingText(e.message.replace(/^invalid route: /, ''))}`);
  }
  return out;
}

/** `route_store`: an object in the file, the same as JSON text in a flag or variable. */
export const routeStoreKind: Kind<RouteStoreSetting> = {
  metavar: 'JSON',
  // Not secret: messages never quote it. It may hold a SASL password: prefer the file or the variable to the flag.
  secret: false,
  fromText(text) {
    let json: unknown;
    try {
      json = parseJsonInput(text);
    } catch (e) {
      throw new BadValue(`is not JSON: ${(e as Error).message}`);
    }
    return readStore(json);
  },
  fromJson(value) {
    return readStore(value);
  },
};

function readKeys(list: readonly string[]): RouteKey[] {
  if (list.length === 0) throw new BadValue('is empty: give at least one kid:base64key');
  const keys: RouteKey[] = [];
  for (const [i, text] of list.entries()) {
    const k = parseRouteKey(text.trim());
    if (typeof k === 'string') throw new BadValue(`entry ${i + 1} ${k}`);
    if (keys.some((x) => x.kid === k.kid)) throw new BadValue(`entry ${i + 1} repeats key id ${k.kid}`);
    keys.push(k);
  }
  return keys;
}

/** `route_store_keys`: `kid:base64key[,kid:base64key...]`, an array of such strings in the file. */
export const routeKeysKind: Kind<RouteKey[]> = {
  metavar: 'KID:KEY[,KID:KEY...]',
  secret: true,
  fromText(text) {
    return readKeys(text.split(','));
  },
  fromJson(value) {
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new BadValue('is not an array of "kid:base64key" strings');
    return readKeys(value);
  },
};
