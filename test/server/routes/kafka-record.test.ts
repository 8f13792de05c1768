import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { RouteKeyError } from '../../../src/server/errors.js';
import { decodeRouteValue, encodeRouteValue, NotARouteRecord, RECORD_FORMAT } from '../../../src/server/routes/kafka-record.js';
import { KeyRing } from '../../../src/server/routes/key-ring.js';
import type { RouteValue } from '../../../src/server/routes/route.js';

const ring = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);
const value: RouteValue = {
  id: 'orders', uri: '/kafka/orders', create_time: 1, update_time: 2, desc: 'pasted-hunter2-here',
  upstream: { scheme: 'kafka', nodes: { 'k:9092': 1 }, tls: { client_key: '-----BEGIN PRIVATE KEY-----MIIEv' } },
  plugins: { 'kafka-proxy': { sasl: { username: 'svc', password: 'p4ssw0rd-Secret' } } },
};

test('a route record round-trips: the value, the created index and the claim offset', () => {
  const bytes = encodeRouteValue('orders', { value, created: 7, claim: 123456789012345n }, ring);
  const back = decodeRouteValue('orders', bytes, ring);
  assert.deepEqual(back, { value, created: 7, claim: 123456789012345n, kid: 'k1' });
  const bare = decodeRouteValue('orders', encodeRouteValue('orders', { value }, ring), ring);
  assert.deepEqual(bare, { value, kid: 'k1' });
});

test('the record value holds no part of the route in the clear: only the format, key id, nonce and ciphertext', () => {
  const bytes = encodeRouteValue('orders', { value }, ring);
  const text = bytes.toString('utf8');
  for (const s of ['p4ssw0rd-Secret', 'hunter2', 'BEGIN PRIVATE KEY', '/kafka/orders', 'svc', 'k:9092', 'sasl']) assert.ok(!text.includes(s), s);
  const doc = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc).sort(), ['data', 'iv', 'kid', 'v']);
  assert.equal(doc['v'], RECORD_FORMAT);
  assert.equal(doc['kid'], 'k1');
});

test('a record is bound to its route id: read under another key it does not decrypt', () => {
  const bytes = encodeRouteValue('orders', { value }, ring);
  assert.throws(() => decodeRouteValue('payments', bytes, ring), (e: unknown) => e instanceof RouteKeyError && e.reason === 'bad_key');
});

test('a record under a key id the ring lacks is RouteKeyError unknown_kid; one that is not ours is NotARouteRecord', () => {
  const other = new KeyRing([{ kid: 'k2', key: randomBytes(32) }]);
  assert.throws(() => decodeRouteValue('orders', encodeRouteValue('orders', { value }, other), ring), (e: unknown) => e instanceof RouteKeyError && e.reason === 'unknown_kid');
  const notOurs = (text: string, why: RegExp) => assert.throws(() => decodeRouteValue('orders', Buffer.from(text), ring), (e: unknown) => e instanceof NotARouteRecord && why.test(e.message), text);
  notOurs('plain text', /not JSON/);
  notOurs('[1]', /not a JSON object/);
  notOurs('{"v":2,"kid":"k1","iv":"","data":""}', /format is not 1/);
  notOurs('{"v":1,"kid":"bad kid","iv":"","data":""}', /no valid key id/);
  notOurs('{"v":1,"kid":"k1","iv":"!!","data":""}', /not base64/);
  // Authenticated with our key, but not a route payload: written by something else with our key.
  const sealed = (plain: string) => {
    const s = ring.seal(Buffer.from(plain), Buffer.from('kafka-ws-proxy route v1\0orders'));
    return JSON.stringify({ v: 1, kid: s.kid, iv: s.iv.toString('base64'), data: s.data.toString('base64') });
  };
  notOurs(sealed('not json'), /payload is not JSON/);
  notOurs(sealed('{"x":1}'), /no route value/);
  notOurs(sealed('{"value":{},"created":0}'), /bad created index/);
  notOurs(sealed('{"value":{},"claim":"-1"}'), /bad claim offset/);
  notOurs(sealed('{"value":{"__proto__":{}}}'), /payload is not JSON/);
});
