import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteValidationError } from '../../../src/server/errors.js';
import { KafkaClientRegistry } from '../../../src/kafka-wire/index.js';
import { clientOptions } from '../../../src/server/live-routes.js';
import { validateRoute } from '../../../src/server/routes/schema.js';
import { get, set, unset, type Json } from '../json-path.js';
import { CA_CERT, CLIENT_CERT, CLIENT_KEY, OTHER_KEY } from './pem.js';

const NOW = 1_700_000_000;

/** The first route of APISIX's Kafka guide (docs/en/latest/pubsub/kafka.md). */
function guide(): Json {
  return {
    uri: '/kafka',
    upstream: {
      nodes: { 'kafka-server1:9092': 1, 'kafka-server2:9092': 1, 'kafka-server3:9092': 1 },
      type: 'none',
      scheme: 'kafka',
    },
  };
}

function valid(body: unknown, id = 'kafka') {
  return validateRoute(body, id, NOW);
}

test('APISIX guide: plain Kafka route', () => {
  const r = valid(guide());
  assert.equal(r.id, 'kafka');
  assert.equal(r.uri, '/kafka');
  assert.equal(r.prefix, false);
  assert.equal(r.enabled, true);
  assert.deepEqual(r.brokers, ['kafka-server1:9092', 'kafka-server2:9092', 'kafka-server3:9092']);
  assert.equal(r.tls, undefined);
  assert.equal(r.sasl, undefined);
  assert.equal(r.connectTimeoutMs, undefined);
  assert.deepEqual(r.fetch, { maxWaitMs: 100, minBytes: 0, maxBytes: 1048576, isolation: 'read_uncommitted' });
  assert.equal(r.maxFrameBytes, 1048576);
  assert.equal(r.topicAllowed('anything'), true);
  assert.deepEqual(r.value, { ...guide(), id: 'kafka', create_time: NOW, update_time: NOW });
  assert.ok(Object.isFrozen(r.value) && Object.isFrozen(r.value['upstream']), 'value is immutable');
});

test('APISIX guide: TLS with verify', () => {
  const body = guide();
  set(body, 'upstream.tls', { verify: true });
  assert.deepEqual(valid(body).tls, { verify: true });
  set(body, 'upstream.tls', {});
  assert.deepEqual(valid(body).tls, { verify: false }, 'APISIX defaults verify to false');
});

test('APISIX guide: SASL through the kafka-proxy plugin', () => {
  const body = guide();
  body['plugins'] = { 'kafka-proxy': { sasl: { username: 'user', password: 'pwd' } } };
  set(body, 'upstream.tls', { verify: true });
  const r = valid(body);
  assert.deepEqual(r.sasl, { mechanism: 'PLAIN', username: 'user', password: 'pwd' });
  assert.deepEqual(r.tls, { verify: true });
  assert.equal(get(r.value, 'plugins.kafka-proxy.sasl.password'), 'pwd', 'value keeps secrets, as APISIX returns them');
});

test('extensions: SASL mechanism, fetch, frame cap, topics', () => {
  const body = guide();
  body['plugins'] = {
    'kafka-proxy': {
      sasl: { username: 'u', password: '', mechanism: 'SCRAM-SHA-512' },
      fetch: { max_wait_ms: 0, min_bytes: 1, max_bytes: 5, isolation_level: 'read_committed' },
      max_frame_bytes: 1024,
      topics: ['orders', 'logs.*'],
    },
  };
  const r = valid(body);
  assert.deepEqual(r.sasl, { mechanism: 'SCRAM-SHA-512', username: 'u', password: '' });
  assert.deepEqual(r.fetch, { maxWaitMs: 0, minBytes: 1, maxBytes: 5, isolation: 'read_committed' });
  assert.equal(r.maxFrameBytes, 1024);
  assert.equal(r.topicAllowed('orders'), true);
  assert.equal(r.topicAllowed('logs.app'), true);
  assert.equal(r.topicAllowed('payments'), false);
  set(body, 'plugins.kafka-proxy.fetch', { max_bytes: 7 });
  assert.deepEqual(valid(body).fetch, { maxWaitMs: 100, minBytes: 0, maxBytes: 7, isolation: 'read_uncommitted' }, 'unset fetch fields keep defaults');
});

test('extensions: TLS ca, sni and client certificate; timeouts in seconds', () => {
  const body = guide();
  set(body, 'upstream.tls', { verify: true, ca: CA_CERT, sni: 'kafka.example.com', client_cert: CLIENT_CERT, client_key: CLIENT_KEY });
  set(body, 'upstream.timeout', { connect: 1.5, send: 2, read: 30 });
  const r = valid(body);
  assert.deepEqual(r.tls, { verify: true, ca: CA_CERT, cert: CLIENT_CERT, key: CLIENT_KEY, servername: 'kafka.example.com' });
  assert.equal(r.connectTimeoutMs, 1500);
  assert.equal(r.requestTimeoutMs, 30000);
  set(body, 'upstream.tls.ca', CA_CERT + CLIENT_CERT);
  assert.equal(valid(body).tls?.ca, CA_CERT + CLIENT_CERT, 'a CA bundle of two certificates');
});

test('uri, status, labels, name, desc and id', () => {
  const body = { ...guide(), id: 7, uri: '/kafka/*', status: 0, name: 'n', desc: '', labels: { env: 'prod' } };
  const r = valid(body, '7');
  assert.equal(r.uri, '/kafka/');
  assert.equal(r.prefix, true);
  assert.equal(r.enabled, false);
  assert.equal(r.value.id, '7', 'id stored as the path id, a string');
  assert.equal(valid({ ...guide(), uri: '/*' }).uri, '/');
  assert.equal(valid({ ...guide(), create_time: 5, update_time: 6 }).value.create_time, 5, 'given timestamps are kept');
});

test('nodes: array form, priority and weight order, IPv6, duplicates', () => {
  const body = guide();
  set(body, 'upstream.nodes', [
    { host: 'low', port: 9092, weight: 1 },
    { host: 'zero', port: 9092, weight: 0 },
    { host: 'heavy', port: 9093, weight: 10 },
    { host: 'backup', port: 9092, weight: 100, priority: -1 },
    { host: '::1', port: 9094, weight: 1 },
    { host: '[fe80::2]', port: 9095, weight: 1 },
    { host: 'low', port: 9092, weight: 1 },
    { host: '10.0.0.1', port: 9092, weight: 1 },
  ]);
  assert.deepEqual(valid(body).brokers, ['heavy:9093', 'low:9092', '[::1]:9094', '[fe80::2]:9095', '10.0.0.1:9092', 'zero:9092', 'backup:9092']);
  set(body, 'upstream.nodes', { '[::1]:9092': 2, 'b:1': 1, 'a:65535': 3 });
  assert.deepEqual(valid(body).brokers, ['a:65535', '[::1]:9092', 'b:1']);
});

test('a disabled kafka-proxy plugin is validated but ignored (APISIX 3 _meta.disable, APISIX 2 disable)', () => {
  const body = guide();
  const plugin = { sasl: { username: 'u', password: 'p' }, topics: ['a'], max_frame_bytes: 2048 };
  body['plugins'] = { 'kafka-proxy': { ...plugin, _meta: { disable: true } } };
  let r = valid(body);
  assert.equal(r.sasl, undefined);
  assert.equal(r.topicAllowed('b'), true);
  assert.equal(r.maxFrameBytes, 1048576);
  body['plugins'] = { 'kafka-proxy': { ...plugin, disable: true } };
  assert.equal(valid(body).sasl, undefined);
  body['plugins'] = { 'kafka-proxy': { ...plugin, disable: false, _meta: { disable: false } } };
  r = valid(body);
  assert.deepEqual(r.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p' });
  assert.equal(r.topicAllowed('b'), false);
  body['plugins'] = { 'kafka-proxy': { ...plugin, sasl: { username: 'u' }, disable: true } };
  assert.throws(() => valid(body), /plugins\.kafka-proxy\.sasl\.password: required/);
});

// [what, change to the guide body, expected message after "invalid route: ", expected field]
const WRONG: Array<[string, (b: Json) => unknown, string, string]> = [
  ['body is an array', () => [], 'expected object, got array', ''],
  ['body is null', () => null, 'expected object, got null', ''],
  ['unknown top-level field', (b) => ({ ...b, foo: 1 }), 'unknown field foo', 'foo'],
  ['APISIX-only field uris', (b) => ({ ...b, uris: ['/a'] }), 'unknown field uris', 'uris'],
  ['APISIX-only field enable_websocket', (b) => ({ ...b, enable_websocket: true }), 'unknown field enable_websocket', 'enable_websocket'],
  ['id mismatch', (b) => ({ ...b, id: 'other' }), 'id: does not match the id in the path', 'id'],
  ['id of wrong type', (b) => ({ ...b, id: true }), 'id: expected string or integer, got boolean', 'id'],
  ['uri missing', (b) => unset(b, 'uri'), 'uri: required', 'uri'],
  ['uri not a string', (b) => ({ ...b, uri: 5 }), 'uri: expected string, got number', 'uri'],
  ['uri empty', (b) => ({ ...b, uri: '' }), 'uri: must not be empty', 'uri'],
  ['uri relative', (b) => ({ ...b, uri: 'kafka' }), 'uri: must start with /', 'uri'],
  ['uri with inner *', (b) => ({ ...b, uri: '/a*/b' }), 'uri: * is only allowed at the end (prefix match)', 'uri'],
  ['uri with query', (b) => ({ ...b, uri: '/a?x=1' }), 'uri: must be a path: no spaces, query or fragment', 'uri'],
  ['uri too long', (b) => ({ ...b, uri: `/${'a'.repeat(4096)}` }), 'uri: must be at most 4096 characters', 'uri'],
  ['name empty', (b) => ({ ...b, name: '' }), 'name: must not be empty', 'name'],
  ['name too long', (b) => ({ ...b, name: 'n'.repeat(101) }), 'name: must be at most 100 characters', 'name'],
  ['desc too long', (b) => ({ ...b, desc: 'd'.repeat(257) }), 'desc: must be at most 256 characters', 'desc'],
  ['desc not a string', (b) => ({ ...b, desc: ['x'] }), 'desc: expected string, got array', 'desc'],
  ['labels not an object', (b) => ({ ...b, labels: 'x' }), 'labels: expected object, got string', 'labels'],
  ['label value a number', (b) => ({ ...b, labels: { env: 1 } }), 'labels.env: expected string, got number', 'labels.env'],
  ['label value with a space', (b) => ({ ...b, labels: { env: 'x y' } }), 'labels.env: must not contain spaces', 'labels.env'],
  ['label key not a plain name', (b) => ({ ...b, labels: { env: 'x', 'a b': 'x y' } }), 'labels (key #2): must not contain spaces', 'labels (key #2)'],
  ['17 labels', (b) => ({ ...b, labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'v'])) }), 'labels: at most 16 labels', 'labels'],
  ['status 2', (b) => ({ ...b, status: 2 }), 'status: expected one of 1, 0', 'status'],
  ['status a string', (b) => ({ ...b, status: '1' }), 'status: expected one of 1, 0, got string', 'status'],
  ['create_time a string', (b) => ({ ...b, create_time: 'now' }), 'create_time: expected integer, got string', 'create_time'],
  ['update_time negative', (b) => ({ ...b, update_time: -1 }), 'update_time: must be >= 0', 'update_time'],
  ['upstream missing', (b) => unset(b, 'upstream'), 'upstream: required', 'upstream'],
  ['upstream an array', (b) => ({ ...b, upstream: [] }), 'upstream: expected object, got array', 'upstream'],
  ['unknown upstream field', (b) => set(b, 'upstream.foo', 1), 'unknown field upstream.foo', 'upstream.foo'],
  ['APISIX-only upstream field retries', (b) => set(b, 'upstream.retries', 1), 'unknown field upstream.retries', 'upstream.retries'],
  ['scheme missing', (b) => unset(b, 'upstream.scheme'), 'upstream.scheme: required', 'upstream.scheme'],
  ['scheme http', (b) => set(b, 'upstream.scheme', 'http'), 'upstream.scheme: only kafka upstreams are supported', 'upstream.scheme'],
  ['balancer type unknown', (b) => set(b, 'upstream.type', 'random'), 'upstream.type: expected one of "roundrobin", "chash", "ewma", "least_conn", "none"', 'upstream.type'],
  ['upstream name empty', (b) => set(b, 'upstream.name', ''), 'upstream.name: must not be empty', 'upstream.name'],
  ['nodes missing', (b) => unset(b, 'upstream.nodes'), 'upstream.nodes: required', 'upstream.nodes'],
  ['nodes empty object', (b) => set(b, 'upstream.nodes', {}), 'upstream.nodes: must not be empty', 'upstream.nodes'],
  ['nodes empty array', (b) => set(b, 'upstream.nodes', []), 'upstream.nodes: must not be empty', 'upstream.nodes'],
  ['nodes a string', (b) => set(b, 'upstream.nodes', 'k:9092'), 'upstream.nodes: expected object or array, got string', 'upstream.nodes'],
  ['weight a string', (b) => set(b, 'upstream.nodes', { 'k:9092': '1' }), 'upstream.nodes["k:9092"]: expected integer, got string', 'upstream.nodes["k:9092"]'],
  ['weight negative', (b) => set(b, 'upstream.nodes', { 'k:9092': -1 }), 'upstream.nodes["k:9092"]: must be >= 0', 'upstream.nodes["k:9092"]'],
  ['weight fractional', (b) => set(b, 'upstream.nodes', { 'k:9092': 1.5 }), 'upstream.nodes["k:9092"]: expected integer, got number', 'upstream.nodes["k:9092"]'],
  ['node without port', (b) => set(b, 'upstream.nodes', { k: 1 }), 'upstream.nodes.k: expected "host:port" (IPv6 as "[::1]:9092")', 'upstream.nodes.k'],
  ['node port 0', (b) => set(b, 'upstream.nodes', { 'k:0': 1 }), 'upstream.nodes (key #1): port must be between 1 and 65535', 'upstream.nodes (key #1)'],
  ['node port 70000', (b) => set(b, 'upstream.nodes', { 'k:70000': 1 }), 'upstream.nodes (key #1): port must be between 1 and 65535', 'upstream.nodes (key #1)'],
  ['node bad IPv6', (b) => set(b, 'upstream.nodes', { '[zz::1]:9092': 1 }), 'upstream.nodes (key #1): invalid IPv6 address', 'upstream.nodes (key #1)'],
  ['node bare IPv6 key', (b) => set(b, 'upstream.nodes', { '::1:9092': 1 }), 'upstream.nodes (key #1): expected "host:port" (IPv6 as "[::1]:9092")', 'upstream.nodes (key #1)'],
  ['node bad host', (b) => set(b, 'upstream.nodes', { 'a b:9092': 1 }), 'upstream.nodes (key #1): expected a host name or IPv4 address before the port', 'upstream.nodes (key #1)'],
  ['array node without weight', (b) => set(b, 'upstream.nodes', [{ host: 'k', port: 9092 }]), 'upstream.nodes[0].weight: required', 'upstream.nodes[0].weight'],
  ['array node port a string', (b) => set(b, 'upstream.nodes', [{ host: 'k', port: '9092', weight: 1 }]), 'upstream.nodes[0].port: expected integer, got string', 'upstream.nodes[0].port'],
  ['array node port 65536', (b) => set(b, 'upstream.nodes', [{ host: 'k', port: 65536, weight: 1 }]), 'upstream.nodes[0].port: must be between 1 and 65535', 'upstream.nodes[0].port'],
  ['array node metadata', (b) => set(b, 'upstream.nodes', [{ host: 'k', port: 1, weight: 1, metadata: {} }]), 'unknown field upstream.nodes[0].metadata', 'upstream.nodes[0].metadata'],
  ['array node bad host', (b) => set(b, 'upstream.nodes', [{ host: 'k', port: 1, weight: 1 }, { host: 'a/b', port: 1, weight: 1 }]), 'upstream.nodes[1].host: expected a host name, IPv4 or IPv6 address', 'upstream.nodes[1].host'],
  ['array node not an object', (b) => set(b, 'upstream.nodes', ['k:9092']), 'upstream.nodes[0]: expected object, got string', 'upstream.nodes[0]'],
  ['timeout without read', (b) => set(b, 'upstream.timeout', { connect: 1, send: 1 }), 'upstream.timeout.read: required', 'upstream.timeout.read'],
  ['timeout zero', (b) => set(b, 'upstream.timeout', { connect: 0, send: 1, read: 1 }), 'upstream.timeout.connect: must be > 0', 'upstream.timeout.connect'],
  ['timeout a string', (b) => set(b, 'upstream.timeout', { connect: '1', send: 1, read: 1 }), 'upstream.timeout.connect: expected number, got string', 'upstream.timeout.connect'],
  ['timeout extra field', (b) => set(b, 'upstream.timeout', { connect: 1, send: 1, read: 1, idle: 1 }), 'unknown field upstream.timeout.idle', 'upstream.timeout.idle'],
  ['tls a boolean', (b) => set(b, 'upstream.tls', true), 'upstream.tls: expected object, got boolean', 'upstream.tls'],
  ['tls verify a string', (b) => set(b, 'upstream.tls', { verify: 'true' }), 'upstream.tls.verify: expected boolean, got string', 'upstream.tls.verify'],
  ['tls unknown field', (b) => set(b, 'upstream.tls', { verfy: true }), 'unknown field upstream.tls.verfy', 'upstream.tls.verfy'],
  ['tls client_cert_id', (b) => set(b, 'upstream.tls', { client_cert_id: '1' }), 'upstream.tls.client_cert_id: not supported: give client_cert and client_key', 'upstream.tls.client_cert_id'],
  ['client cert without key', (b) => set(b, 'upstream.tls', { client_cert: CLIENT_CERT }), 'upstream.tls.client_key: required with upstream.tls.client_cert', 'upstream.tls.client_key'],
  ['client key without cert', (b) => set(b, 'upstream.tls', { client_key: CLIENT_KEY }), 'upstream.tls.client_cert: required with upstream.tls.client_key', 'upstream.tls.client_cert'],
  ['client cert not PEM', (b) => set(b, 'upstream.tls', { client_cert: 'x'.repeat(200), client_key: CLIENT_KEY }), 'upstream.tls.client_cert: expected a PEM certificate', 'upstream.tls.client_cert'],
  ['client key not PEM', (b) => set(b, 'upstream.tls', { client_cert: CLIENT_CERT, client_key: CLIENT_CERT }), 'upstream.tls.client_key: expected an unencrypted PEM private key', 'upstream.tls.client_key'],
  ['client key of another certificate', (b) => set(b, 'upstream.tls', { client_cert: CLIENT_CERT, client_key: OTHER_KEY }), 'upstream.tls.client_key: does not belong to the certificate in upstream.tls.client_cert', 'upstream.tls.client_key'],
  ['ca not PEM', (b) => set(b, 'upstream.tls', { ca: 'not a cert' }), 'upstream.tls.ca: expected one or more PEM certificates', 'upstream.tls.ca'],
  ['ca a number', (b) => set(b, 'upstream.tls', { ca: 1 }), 'upstream.tls.ca: expected string, got number', 'upstream.tls.ca'],
  ['sni not a host name', (b) => set(b, 'upstream.tls', { sni: 'a b' }), 'upstream.tls.sni: expected a DNS host name', 'upstream.tls.sni'],
  ['plugins an array', (b) => ({ ...b, plugins: [] }), 'plugins: expected object, got array', 'plugins'],
  ['another plugin', (b) => ({ ...b, plugins: { 'limit-count': {} } }), 'plugins.limit-count: unknown plugin (only kafka-proxy is supported)', 'plugins.limit-count'],
  ['kafka-proxy not an object', (b) => ({ ...b, plugins: { 'kafka-proxy': true } }), 'plugins.kafka-proxy: expected object, got boolean', 'plugins.kafka-proxy'],
  ['old guide plugin fields', (b) => ({ ...b, plugins: { 'kafka-proxy': { enable_tls: true } } }), 'unknown field plugins.kafka-proxy.enable_tls', 'plugins.kafka-proxy.enable_tls'],
  ['sasl without password', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { username: 'u' } } } }), 'plugins.kafka-proxy.sasl.password: required', 'plugins.kafka-proxy.sasl.password'],
  ['sasl without username', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { password: 'p' } } } }), 'plugins.kafka-proxy.sasl.username: required', 'plugins.kafka-proxy.sasl.username'],
  ['sasl empty username', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { username: '', password: 'p' } } } }), 'plugins.kafka-proxy.sasl.username: must not be empty', 'plugins.kafka-proxy.sasl.username'],
  ['sasl password a number', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { username: 'u', password: 1 } } } }), 'plugins.kafka-proxy.sasl.password: expected string, got number', 'plugins.kafka-proxy.sasl.password'],
  ['sasl mechanism unknown', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { username: 'u', password: 'p', mechanism: 'GSSAPI' } } } }), 'plugins.kafka-proxy.sasl.mechanism: expected one of "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"', 'plugins.kafka-proxy.sasl.mechanism'],
  ['sasl extra field', (b) => ({ ...b, plugins: { 'kafka-proxy': { sasl: { username: 'u', password: 'p', realm: 'x' } } } }), 'unknown field plugins.kafka-proxy.sasl.realm', 'plugins.kafka-proxy.sasl.realm'],
  ['fetch max_wait_ms too big', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { max_wait_ms: 60001 } } } }), 'plugins.kafka-proxy.fetch.max_wait_ms: must be between 0 and 60000', 'plugins.kafka-proxy.fetch.max_wait_ms'],
  ['fetch max_wait_ms fractional', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { max_wait_ms: 1.5 } } } }), 'plugins.kafka-proxy.fetch.max_wait_ms: expected integer, got number', 'plugins.kafka-proxy.fetch.max_wait_ms'],
  ['fetch min_bytes negative', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { min_bytes: -1 } } } }), 'plugins.kafka-proxy.fetch.min_bytes: must be >= 0', 'plugins.kafka-proxy.fetch.min_bytes'],
  ['fetch max_bytes zero', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { max_bytes: 0 } } } }), 'plugins.kafka-proxy.fetch.max_bytes: must be >= 1', 'plugins.kafka-proxy.fetch.max_bytes'],
  ['fetch isolation unknown', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { isolation_level: 'serializable' } } } }), 'plugins.kafka-proxy.fetch.isolation_level: expected one of "read_uncommitted", "read_committed"', 'plugins.kafka-proxy.fetch.isolation_level'],
  ['fetch extra field', (b) => ({ ...b, plugins: { 'kafka-proxy': { fetch: { max_records: 1 } } } }), 'unknown field plugins.kafka-proxy.fetch.max_records', 'plugins.kafka-proxy.fetch.max_records'],
  ['max_frame_bytes too small', (b) => ({ ...b, plugins: { 'kafka-proxy': { max_frame_bytes: 1023 } } }), 'plugins.kafka-proxy.max_frame_bytes: must be >= 1024', 'plugins.kafka-proxy.max_frame_bytes'],
  ['topics empty', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: [] } } }), 'plugins.kafka-proxy.topics: must not be empty (leave it out to allow every topic)', 'plugins.kafka-proxy.topics'],
  ['topics a string', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: 'a' } } }), 'plugins.kafka-proxy.topics: expected array, got string', 'plugins.kafka-proxy.topics'],
  ['topic a number', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: ['a', 1] } } }), 'plugins.kafka-proxy.topics[1]: expected string, got number', 'plugins.kafka-proxy.topics[1]'],
  ['topic with a space', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: ['a b'] } } }), 'plugins.kafka-proxy.topics[0]: invalid topic name or pattern: use 1-249 of a-z A-Z 0-9 . _ - and the wildcards * ?', 'plugins.kafka-proxy.topics[0]'],
  ['topic too long', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: ['t'.repeat(250)] } } }), `plugins.kafka-proxy.topics[0]: invalid topic name or pattern: use 1-249 of a-z A-Z 0-9 . _ - and the wildcards * ?`, 'plugins.kafka-proxy.topics[0]'],
  ['topic ..', (b) => ({ ...b, plugins: { 'kafka-proxy': { topics: ['..'] } } }), 'plugins.kafka-proxy.topics[0]: is not a legal topic name ("." and ".." are not)', 'plugins.kafka-proxy.topics[0]'],
  ['disable a string', (b) => ({ ...b, plugins: { 'kafka-proxy': { disable: 'yes' } } }), 'plugins.kafka-proxy.disable: expected boolean, got string', 'plugins.kafka-proxy.disable'],
  ['_meta with priority', (b) => ({ ...b, plugins: { 'kafka-proxy': { _meta: { priority: 1 } } } }), 'unknown field plugins.kafka-proxy._meta.priority', 'plugins.kafka-proxy._meta.priority'],
  ['_meta.disable a number', (b) => ({ ...b, plugins: { 'kafka-proxy': { _meta: { disable: 1 } } } }), 'plugins.kafka-proxy._meta.disable: expected boolean, got number', 'plugins.kafka-proxy._meta.disable'],
];

for (const [what, change, message, field] of WRONG) {
  test(`rejects: ${what}`, () => {
    const body = change(guide());
    assert.throws(() => valid(body), (err: unknown) => {
      assert.ok(err instanceof RouteValidationError);
      assert.equal(err.code, 'SERVER_ERR_INVALID_ROUTE');
      assert.equal(err.message, `invalid route: ${message}`);
      assert.equal(err.field, field);
      return true;
    });
  });
}

test('rejects an id that APISIX would not accept', () => {
  for (const id of ['', 'a/b', 'a b', 'x'.repeat(65), 'ü']) {
    assert.throws(() => valid(guide(), id), (e: unknown) => e instanceof RouteValidationError && e.field === 'id', id);
  }
  assert.equal(valid(guide(), 'A-z_0.9').id, 'A-z_0.9');
  assert.equal(valid(guide(), 'x'.repeat(64)).id.length, 64);
});

test('validation error messages never contain the SASL password or the client key', () => {
  const body = guide();
  body['plugins'] = { 'kafka-proxy': { sasl: { username: 'u', password: 's3cret-pw', mechanism: 'NOPE' } } };
  assert.throws(() => valid(body), (e: unknown) => e instanceof Error && !e.message.includes('s3cret-pw'));
  body['plugins'] = {};
  set(body, 'upstream.tls', { client_cert: CLIENT_CERT, client_key: OTHER_KEY });
  assert.throws(() => valid(body), (e: unknown) => e instanceof Error && !e.message.includes('PRIVATE KEY'));
});

test('routes share a Kafka client exactly when brokers, TLS, SASL and timeouts are the same', () => {
  // The client each route gets from the proxy's registry, through the options the route maps to.
  const registry = new KafkaClientRegistry();
  const clientOf = (body: Json, id?: string) => registry.acquire(clientOptions(valid(body, id)));
  try {
    const base = guide();
    base.plugins = { 'kafka-proxy': { sasl: { username: 'u', password: 'secret-1' } } };
    const client = clientOf(base);
    const same = structuredClone(base);
    same['uri'] = '/other*';
    same['name'] = 'renamed';
    same['status'] = 0;
    set(same, 'plugins.kafka-proxy.fetch', { max_wait_ms: 5 });
    set(same, 'plugins.kafka-proxy.topics', ['a']);
    set(same, 'plugins.kafka-proxy.max_frame_bytes', 4096);
    set(same, 'upstream.type', 'roundrobin');
    assert.equal(clientOf(same, 'other-id'), client, 'uri, name, status, fetch, topics, frame cap, type and id do not matter');
    const changes: Array<(b: Json) => void> = [
      (b) => { set(b, 'upstream.nodes', { 'kafka-server1:9092': 1 }); },
      (b) => { set(b, 'upstream.nodes', { 'kafka-server1:9092': 1, 'kafka-server2:9092': 5, 'kafka-server3:9092': 1 }); },
      (b) => { set(b, 'upstream.tls', {}); },
      (b) => { set(b, 'plugins.kafka-proxy.sasl.password', 'secret-2'); },
      (b) => { set(b, 'plugins.kafka-proxy.sasl.mechanism', 'SCRAM-SHA-256'); },
      (b) => { unset(b, 'plugins'); },
      (b) => { set(b, 'upstream.timeout', { connect: 1, send: 1, read: 1 }); },
    ];
    const clients = new Set([client]);
    for (const change of changes) {
      const b = structuredClone(base);
      change(b);
      clients.add(clientOf(b));
    }
    assert.equal(clients.size, changes.length + 1, 'every change gives another client');
    assert.equal(registry.size, changes.length + 1);
    const tls1 = structuredClone(base);
    set(tls1, 'upstream.tls', { verify: false });
    const tls2 = structuredClone(base);
    set(tls2, 'upstream.tls', { verify: true });
    assert.notEqual(clientOf(tls1), clientOf(tls2));
  } finally {
    registry.closeAll();
  }
});
