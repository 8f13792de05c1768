import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaClientRegistry, type OAuthBearerCredentials } from '../../../src/kafka-wire/index.js';
import { RouteValidationError } from '../../../src/server/errors.js';
import { clientOptions } from '../../../src/server/live-routes.js';
import { validateRoute } from '../../../src/server/routes/schema.js';
import { get, set, type Json } from '../json-path.js';

const SECRET = 'Hunter2-s3cret';
const JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.';

function route(sasl: unknown): Json {
  return { uri: '/kafka', upstream: { nodes: { 'k:9092': 1 }, scheme: 'kafka' }, plugins: { 'kafka-proxy': { sasl } } };
}

const valid = (sasl: unknown) => validateRoute(route(sasl), 'r', 1_700_000_000);
const GRANT = { mechanism: 'OAUTHBEARER', token_url: 'https://idp.example/oauth2/token', client_id: 'proxy', client_secret: SECRET };

test('OAUTHBEARER with a fixed token and extensions', () => {
  const r = valid({ mechanism: 'OAUTHBEARER', token: JWT, extensions: { logicalCluster: 'lkc-1', traceId: 'a b' } });
  assert.deepEqual(r.sasl, { mechanism: 'OAUTHBEARER', token: JWT, extensions: { logicalCluster: 'lkc-1', traceId: 'a b' } });
  assert.deepEqual(valid({ mechanism: 'OAUTHBEARER', token: 'abc==' }).sasl, { mechanism: 'OAUTHBEARER', token: 'abc==' });
  assert.equal(get(r.value, 'plugins.kafka-proxy.sasl.token'), JWT, 'value keeps secrets, as APISIX returns them');
});

test('OAUTHBEARER with the client credentials grant: a token provider, one per distinct grant', () => {
  const r = valid({ ...GRANT, scope: 'kafka', audience: 'api', client_auth: 'body' });
  const sasl = r.sasl as OAuthBearerCredentials;
  assert.equal(sasl.mechanism, 'OAUTHBEARER');
  assert.equal(typeof sasl.token, 'function');
  assert.equal(sasl.extensions, undefined);
  assert.equal(get(r.value, 'plugins.kafka-proxy.sasl.client_secret'), SECRET);
  const again = valid({ ...GRANT, scope: 'kafka', audience: 'api', client_auth: 'body' }).sasl as OAuthBearerCredentials;
  assert.equal(again.token, sasl.token, 'the same grant validated again: the same provider (and cached token)');
  const tokenOf = (g: object) => (valid(g).sasl as OAuthBearerCredentials).token;
  const others = [
    tokenOf({ ...GRANT, scope: 'kafka', audience: 'api' }),
    tokenOf({ ...GRANT, scope: 'kafka', client_auth: 'body' }),
    tokenOf({ ...GRANT, audience: 'api', client_auth: 'body' }),
    tokenOf({ ...GRANT, scope: 'kafka', audience: 'api', client_auth: 'body', client_secret: 'other' }),
    tokenOf({ ...GRANT, scope: 'kafka', audience: 'api', client_auth: 'body', client_id: 'other' }),
    tokenOf({ ...GRANT, scope: 'kafka', audience: 'api', client_auth: 'body', token_url: 'https://idp.example/other' }),
  ];
  assert.equal(new Set([sasl.token, ...others]).size, others.length + 1, 'every other grant has its own provider');
});

test('routes share a Kafka client exactly when the OAUTHBEARER credentials are the same', () => {
  const registry = new KafkaClientRegistry();
  const clientOf = (sasl: object, uri = '/kafka') => registry.acquire(clientOptions(validateRoute({ ...route(sasl), uri }, 'r', 0)));
  try {
    const grant = clientOf(GRANT);
    assert.equal(clientOf(GRANT, '/elsewhere'), grant, 'the same grant on another route');
    const fixed = clientOf({ mechanism: 'OAUTHBEARER', token: JWT });
    assert.equal(clientOf({ mechanism: 'OAUTHBEARER', token: JWT }, '/elsewhere'), fixed);
    const distinct = [
      grant, fixed,
      clientOf({ ...GRANT, client_secret: 'other' }),
      clientOf({ ...GRANT, extensions: { a: 'b' } }),
      clientOf({ mechanism: 'OAUTHBEARER', token: `${JWT}x` }),
      clientOf({ mechanism: 'OAUTHBEARER', token: JWT, extensions: { a: 'b' } }),
    ];
    assert.equal(new Set(distinct).size, distinct.length);
  } finally {
    registry.closeAll();
  }
});

// [what, sasl, expected message after "invalid route: ", expected field]
const WRONG: Array<[string, unknown, string, string]> = [
  ['neither token nor token_url', { mechanism: 'OAUTHBEARER' }, 'plugins.kafka-proxy.sasl.token: required: give token, or token_url with client_id and client_secret', 'plugins.kafka-proxy.sasl.token'],
  ['token and token_url', { mechanism: 'OAUTHBEARER', token: JWT, token_url: 'https://idp/t' }, 'unknown field plugins.kafka-proxy.sasl.token_url', 'plugins.kafka-proxy.sasl.token_url'],
  ['username with OAUTHBEARER', { mechanism: 'OAUTHBEARER', token: JWT, username: 'u' }, 'unknown field plugins.kafka-proxy.sasl.username', 'plugins.kafka-proxy.sasl.username'],
  ['token_url with PLAIN', { username: 'u', password: 'p', token_url: 'https://idp/t' }, 'unknown field plugins.kafka-proxy.sasl.token_url', 'plugins.kafka-proxy.sasl.token_url'],
  ['empty token', { mechanism: 'OAUTHBEARER', token: '' }, 'plugins.kafka-proxy.sasl.token: must not be empty', 'plugins.kafka-proxy.sasl.token'],
  ['token a number', { mechanism: 'OAUTHBEARER', token: 42 }, 'plugins.kafka-proxy.sasl.token: expected string, got number', 'plugins.kafka-proxy.sasl.token'],
  ['token with a space', { mechanism: 'OAUTHBEARER', token: `Bearer ${SECRET}` }, 'plugins.kafka-proxy.sasl.token: must be an RFC 6750 bearer token (A-Z a-z 0-9 - . _ ~ + / then optional =)', 'plugins.kafka-proxy.sasl.token'],
  ['token smuggling ^A', { mechanism: 'OAUTHBEARER', token: `${SECRET}\u0001auth=Bearer x` }, 'plugins.kafka-proxy.sasl.token: must be an RFC 6750 bearer token (A-Z a-z 0-9 - . _ ~ + / then optional =)', 'plugins.kafka-proxy.sasl.token'],
  ['token_url not a URL', { ...GRANT, token_url: SECRET }, 'plugins.kafka-proxy.sasl.token_url: must be an absolute http: or https: URL', 'plugins.kafka-proxy.sasl.token_url'],
  ['token_url ftp', { ...GRANT, token_url: `ftp://idp/${SECRET}` }, 'plugins.kafka-proxy.sasl.token_url: must be an absolute http: or https: URL', 'plugins.kafka-proxy.sasl.token_url'],
  ['token_url with credentials', { ...GRANT, token_url: `https://proxy:${SECRET}@idp/t` }, 'plugins.kafka-proxy.sasl.token_url: must not hold credentials: give client_id and client_secret', 'plugins.kafka-proxy.sasl.token_url'],
  ['no client_id', { ...GRANT, client_id: undefined }, 'plugins.kafka-proxy.sasl.client_id: required', 'plugins.kafka-proxy.sasl.client_id'],
  ['no client_secret', { ...GRANT, client_secret: undefined }, 'plugins.kafka-proxy.sasl.client_secret: required', 'plugins.kafka-proxy.sasl.client_secret'],
  ['empty client_secret', { ...GRANT, client_secret: '' }, 'plugins.kafka-proxy.sasl.client_secret: must not be empty', 'plugins.kafka-proxy.sasl.client_secret'],
  ['client_secret a number', { ...GRANT, client_secret: 90210 }, 'plugins.kafka-proxy.sasl.client_secret: expected string, got number', 'plugins.kafka-proxy.sasl.client_secret'],
  ['scope a list', { ...GRANT, scope: ['a'] }, 'plugins.kafka-proxy.sasl.scope: expected string, got array', 'plugins.kafka-proxy.sasl.scope'],
  ['client_auth unknown', { ...GRANT, client_auth: SECRET }, 'plugins.kafka-proxy.sasl.client_auth: expected one of "basic", "body"', 'plugins.kafka-proxy.sasl.client_auth'],
  ['extensions a list', { ...GRANT, extensions: ['a'] }, 'plugins.kafka-proxy.sasl.extensions: expected object, got array', 'plugins.kafka-proxy.sasl.extensions'],
  ['extension auth', { ...GRANT, extensions: { auth: 'x' } }, 'plugins.kafka-proxy.sasl.extensions.auth: is reserved for the token', 'plugins.kafka-proxy.sasl.extensions.auth'],
  ['extension name with digits', { ...GRANT, extensions: { ok: 'x', [`${SECRET}`]: 'x' } }, 'plugins.kafka-proxy.sasl.extensions (key #2): an extension name must be ASCII letters only', 'plugins.kafka-proxy.sasl.extensions (key #2)'],
  ['extension name with _', { ...GRANT, extensions: { trace_id: 'x' } }, 'plugins.kafka-proxy.sasl.extensions.trace_id: an extension name must be ASCII letters only', 'plugins.kafka-proxy.sasl.extensions.trace_id'],
  ['extension value empty', { ...GRANT, extensions: { a: '' } }, 'plugins.kafka-proxy.sasl.extensions.a: must be 1 or more of printable ASCII, space, tab, CR, LF', 'plugins.kafka-proxy.sasl.extensions.a'],
  ['extension value ^A', { ...GRANT, extensions: { a: `${SECRET}\u0001auth=Bearer x` } }, 'plugins.kafka-proxy.sasl.extensions.a: must be 1 or more of printable ASCII, space, tab, CR, LF', 'plugins.kafka-proxy.sasl.extensions.a'],
  ['extension value a number', { ...GRANT, extensions: { a: 1 } }, 'plugins.kafka-proxy.sasl.extensions.a: expected string, got number', 'plugins.kafka-proxy.sasl.extensions.a'],
];

for (const [what, sasl, message, field] of WRONG) {
  test(`OAUTHBEARER config rejects: ${what}`, () => {
    assert.throws(() => valid(sasl), (e: unknown) => {
      assert.ok(e instanceof RouteValidationError, String(e));
      assert.equal(e.message, `invalid route: ${message}`);
      assert.equal(e.field, field);
      assert.ok(!e.message.includes(SECRET) && !e.message.includes('90210'));
      return true;
    });
  });
}

test('a disabled plugin with a client credentials grant is validated, then ignored', () => {
  const body = route(GRANT);
  set(body, 'plugins.kafka-proxy._meta', { disable: true });
  assert.equal(validateRoute(body, 'r', 0).sasl, undefined);
  set(body, 'plugins.kafka-proxy.sasl.client_secret', 1);
  assert.throws(() => validateRoute(body, 'r', 0), /client_secret: expected string/);
});
