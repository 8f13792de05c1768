import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { KEY, load, rejectsConfig, tempDir, writeJson } from './support.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64url');
const STORE = JSON.stringify({ kafka: { brokers: ['kafka-1:9092', 'kafka-2:9092'] } });

test('a route store in Kafka with its keys, from variables: brokers, the default topic and replication, the key ring in order', async () => {
  const c = await load(['--admin-key', KEY], { KAFKA_WS_PROXY_ROUTE_STORE: STORE, KAFKA_WS_PROXY_ROUTE_STORE_KEYS: `new:${k1}, old:${k2}` });
  assert.deepEqual(c.routeStore, { kafka: { brokers: ['kafka-1:9092', 'kafka-2:9092'], topic: '_kwp_routes', replicationFactor: -1 } });
  assert.deepEqual(c.routeStoreKeys?.map((k) => k.kid), ['new', 'old']);
  assert.deepEqual(c.routeStoreKeys?.[1]?.key, Buffer.from(k2, 'base64url'));
});

test('from the config file: topic, replication factor, TLS and SASL as a route has them', async () => {
  const f = writeJson(tempDir(), 'c.json', JSON.stringify({
    route_store: { kafka: { brokers: ['k:9093'], topic: 'routes.prod', replication_factor: 3, tls: { verify: true }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } } },
    route_store_keys: [`k1:${k1}`],
  }));
  const c = await load(['--config', f, '--admin-key', KEY]);
  assert.deepEqual(c.routeStore, { kafka: { brokers: ['k:9093'], topic: 'routes.prod', replicationFactor: 3, tls: { verify: true }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } } });
  assert.equal(c.routeStoreKeys?.length, 1);
});

test('without a route store there is none, and no keys', async () => {
  const c = await load(['--admin-key', KEY]);
  assert.equal(c.routeStore, undefined);
  assert.equal(c.routeStoreKeys, undefined);
});

test('a store without keys, and keys without a store, are refused naming what is missing', async () => {
  await rejectsConfig(load(['--admin-key', KEY, '--route-store', STORE]), '--route-store', /needs the keys .*--route-store-keys/);
  await rejectsConfig(load(['--admin-key', KEY], { KAFKA_WS_PROXY_ROUTE_STORE_KEYS: `k1:${k1}` }), 'KAFKA_WS_PROXY_ROUTE_STORE_KEYS', /without a route store/);
});

test('bad store settings name the field as the setting does, never the value', async () => {
  const bad = async (store: unknown, message: RegExp) => {
    const e = await rejectsConfig(load(['--admin-key', KEY, '--route-store-keys', `k1:${k1}`], { KAFKA_WS_PROXY_ROUTE_STORE: JSON.stringify(store) }), 'KAFKA_WS_PROXY_ROUTE_STORE', message);
    assert.ok(!e.message.includes('s3cr3t-pass'), e.message);
  };
  await bad({}, /needs "kafka"/);
  await bad({ etcd: {} }, /other than "kafka"/);
  await bad({ kafka: { brokers: [] } }, /non-empty array of "host:port"/);
  await bad({ kafka: { brokers: ['k:9092'], nodes: {} } }, /unknown field in "kafka"/);
  await bad({ kafka: { brokers: ['k:9092'], topic: 'bad topic' } }, /kafka.topic Kafka would refuse/);
  await bad({ kafka: { brokers: ['k:9092'], replication_factor: 0 } }, /replication_factor/);
  await bad({ kafka: { brokers: ['s3cr3t-pass'] } }, /kafka\.brokers \(key #1\): expected "host:port"/);
  await bad({ kafka: { brokers: ['k:9092'], tls: { verify: 's3cr3t-pass' } } }, /kafka\.tls\.verify: expected boolean, got string/);
  await bad({ kafka: { brokers: ['k:9092'], tls: { retries: 1 } } }, /unknown field kafka\.tls\.retries/);
  await bad({ kafka: { brokers: ['k:9092'], sasl: { username: 'u' } } }, /kafka\.sasl\.password: required/);
  await rejectsConfig(load(['--admin-key', KEY, '--route-store-keys', `k1:${k1}`, '--route-store', '{"kafka":']), '--route-store', /is not JSON/);
});

test('bad keys are refused without quoting them', async () => {
  const short = randomBytes(16).toString('base64');
  const bad = async (keys: string, message: RegExp) => {
    const e = await rejectsConfig(load(['--admin-key', KEY, '--route-store', STORE], { KAFKA_WS_PROXY_ROUTE_STORE_KEYS: keys }), 'KAFKA_WS_PROXY_ROUTE_STORE_KEYS', message);
    assert.ok(!e.message.includes(short) && !e.message.includes(k1), e.message);
  };
  await bad(`k1:${short}`, /entry 1 has key k1, which is 16 bytes, not 32/);
  await bad(`k1:${k1},k1:${k1}`, /entry 2 repeats key id k1/);
  await bad(k1, /entry 1 is not kid:base64key/);
  await bad(`k1:${k1},`, /entry 2 is not kid:base64key/);
  const f = writeJson(tempDir(), 'c.json', JSON.stringify({ route_store: JSON.parse(STORE), route_store_keys: `k1:${k1}` }));
  await rejectsConfig(load(['--config', f, '--admin-key', KEY]), 'route_store_keys', /the value is not an array/);
});
