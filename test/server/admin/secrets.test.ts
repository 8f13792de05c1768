import assert from 'node:assert/strict';
import { test } from 'node:test';
import { get, set } from '../json-path.js';
import { route, serve } from './serve.js';

/** What a careless user pastes into the wrong field: it must never come back or reach a log. */
const SECRET = 'Hunter2-Secret';
const NUMERIC_SECRET = 90210731;

function leaks(text: string): boolean {
  return text.toLowerCase().includes('hunter2') || text.includes(String(NUMERIC_SECRET));
}

// [what, method, path, body, expected error_msg]
const CASES: Array<[string, string, string, unknown, string]> = [
  ['scheme', 'PUT', 'r', set(route(), 'upstream.scheme', SECRET), 'invalid route: upstream.scheme: only kafka upstreams are supported'],
  ['balancer type', 'PUT', 'r', set(route(), 'upstream.type', SECRET), 'invalid route: upstream.type: expected one of "roundrobin", "chash", "ewma", "least_conn", "none"'],
  ['status', 'PUT', 'r', { ...route(), status: NUMERIC_SECRET }, 'invalid route: status: expected one of 1, 0'],
  ['sasl mechanism', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.sasl', { username: 'u', password: 'p', mechanism: SECRET }), 'invalid route: plugins.kafka-proxy.sasl.mechanism: expected one of "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"'],
  ['oauthbearer token', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.sasl', { mechanism: 'OAUTHBEARER', token: `Bearer ${SECRET}` }), 'invalid route: plugins.kafka-proxy.sasl.token: must be an RFC 6750 bearer token (A-Z a-z 0-9 - . _ ~ + / then optional =)'],
  ['oauthbearer token_url', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.sasl', { mechanism: 'OAUTHBEARER', token_url: `https://u:${SECRET}@idp/t`, client_id: 'c', client_secret: 's' }), 'invalid route: plugins.kafka-proxy.sasl.token_url: must not hold credentials: give client_id and client_secret'],
  ['oauthbearer extension', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.sasl', { mechanism: 'OAUTHBEARER', token: 'abc', extensions: { [SECRET]: 'x' } }), 'invalid route: plugins.kafka-proxy.sasl.extensions (key #1): an extension name must be ASCII letters only'],
  ['isolation level', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.fetch.isolation_level', SECRET), 'invalid route: plugins.kafka-proxy.fetch.isolation_level: expected one of "read_uncommitted", "read_committed"'],
  ['body id', 'PUT', 'r', { ...route(), id: SECRET }, 'invalid route: id: does not match the id in the path'],
  ['numeric body id', 'PUT', 'r', { ...route(), id: NUMERIC_SECRET }, 'invalid route: id: does not match the id in the path'],
  ['unknown key', 'PUT', 'r', { ...route(), [SECRET]: 1 }, 'invalid route: unknown field (key #3)'],
  ['unknown key deeper', 'PUT', 'r', set(route(), `upstream.tls`, { verify: true, [`${SECRET} x`]: 1 }), 'invalid route: unknown field upstream.tls (key #2)'],
  ['unknown plugin', 'PUT', 'r', { ...route(), plugins: { [SECRET]: {} } }, 'invalid route: plugins (key #1): unknown plugin (only kafka-proxy is supported)'],
  ['label key', 'PUT', 'r', { ...route(), labels: { env: 'x', [SECRET]: 'a b' } }, 'invalid route: labels (key #2): must not contain spaces'],
  ['node key', 'PUT', 'r', set(route(), 'upstream.nodes', { 'k:9092': 1, [SECRET]: 1 }), 'invalid route: upstream.nodes (key #2): expected "host:port" (IPv6 as "[::1]:9092")'],
  ['node host', 'PUT', 'r', set(route(), 'upstream.nodes', [{ host: `${SECRET}!`, port: 9092, weight: 1 }]), 'invalid route: upstream.nodes[0].host: expected a host name, IPv4 or IPv6 address'],
  ['topic', 'PUT', 'r', set(route(), 'plugins.kafka-proxy.topics', [`${SECRET} x`]), 'invalid route: plugins.kafka-proxy.topics[0]: invalid topic name or pattern: use 1-249 of a-z A-Z 0-9 . _ - and the wildcards * ?'],
  ['sni', 'PUT', 'r', set(route(), 'upstream.tls', { sni: `${SECRET}!` }), 'invalid route: upstream.tls.sni: expected a DNS host name'],
  ['id in the path', 'PUT', `${SECRET}%20x`, route(), 'invalid route: id: must be 1-64 of a-z A-Z 0-9 - _ .'],
  ['invalid JSON', 'PUT', 'r', `{"uri": "/a", "upstream": ${SECRET}}`, 'invalid request body: not valid JSON: unexpected character at line 1, column 27'],
  ['invalid JSON at the end', 'PUT', 'r', `{"password": "${SECRET}"`, 'invalid request body: not valid JSON: unexpected end of input at line 1, column 30'],
  ['sub-path through a string', 'PATCH', `taken/uri/${SECRET}`, '1', 'invalid route: invalid sub-path: /uri is not an object'],
  ['sub-path through a string, deeper', 'PATCH', `taken/labels/${SECRET}/x`, '1', 'invalid route: invalid sub-path: step 2 is not an object'],
  ['label key by sub-path', 'PATCH', `taken/labels/${SECRET}`, '"a b"', 'invalid route: labels (key #2): must not contain spaces'],
];

for (const [what, method, path, body, message] of CASES) {
  test(`a value in the wrong place is named, never echoed, in the reply and the logs: ${what}`, async (t) => {
    const { call, logs } = await serve(t);
    const taken = await call('PUT', '/apisix/admin/routes/taken', route('/taken', { labels: { env: 'x' } }));
    assert.equal(taken.status, 201);
    if (what === 'sub-path through a string, deeper') assert.equal((await call('PATCH', `/apisix/admin/routes/taken/labels/${SECRET}`, '"v"')).status, 200);
    const r = await call(method, `/apisix/admin/routes/${path}`, body);
    assert.equal(r.status, 400, r.text);
    assert.ok(!leaks(r.text), `reply: ${r.text}`);
    assert.ok(!leaks(JSON.stringify(logs)), `logs: ${JSON.stringify(logs)}`);
    assert.deepEqual(r.json, { error_msg: message });
  });
}

test('a uri conflict names the route holding the uri, not the uri', async (t) => {
  const { call, logs } = await serve(t);
  await call('PUT', '/apisix/admin/routes/a', route(`/${SECRET}`));
  const r = await call('PUT', '/apisix/admin/routes/b', route(`/${SECRET}`));
  assert.deepEqual([r.status, r.json], [400, { error_msg: 'uri is already used by route a' }]);
  assert.ok(!leaks(JSON.stringify(logs.filter((l) => l.message === 'admin write refused'))), JSON.stringify(logs));
});

test('admin logs carry no bodies, and a logged sub-path names only plain segments', async (t) => {
  const { call, logs } = await serve(t);
  await call('PUT', '/apisix/admin/routes/r', route('/r', { desc: SECRET, plugins: { 'kafka-proxy': { sasl: { username: 'u', password: SECRET } } } }));
  await call('PUT', '/apisix/admin/routes/o', route('/o', { plugins: { 'kafka-proxy': { sasl: { mechanism: 'OAUTHBEARER', token_url: 'https://idp/t', client_id: 'c', client_secret: SECRET } } } }));
  await call('DELETE', '/apisix/admin/routes/o');
  await call('PATCH', '/apisix/admin/routes/r', { desc: `${SECRET}2` });
  await call('PATCH', `/apisix/admin/routes/r/labels/${SECRET}`, '"x"');
  await call('POST', '/apisix/admin/routes', route('/p', { name: SECRET }));
  await call('DELETE', '/apisix/admin/routes/r');
  assert.deepEqual(logs.map((l) => l.message), ['route created', 'route created', 'route deleted', 'route patched', 'route patched', 'route created', 'route deleted']);
  assert.ok(!leaks(JSON.stringify(logs)), JSON.stringify(logs));
  assert.equal(get(logs[4], 'fields.subPath'), 'labels/*');
  const fields = logs.map((l) => Object.keys(l.fields ?? {}).sort());
  assert.deepEqual(fields, [['id'], ['id'], ['id'], ['id', 'subPath'], ['id', 'subPath'], ['id'], ['id']]);
});

test('a refused write logs the id only when it is a valid one', async (t) => {
  const { call, logs } = await serve(t);
  await call('PUT', `/apisix/admin/routes/${SECRET}%20x`, route());
  await call('PATCH', '/apisix/admin/routes/r-1', { desc: 'x' });
  assert.deepEqual(logs.map((l) => [l.message, l.fields?.['id']]), [['admin write refused', undefined], ['admin write refused', 'r-1']]);
});
