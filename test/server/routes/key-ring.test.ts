import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { RouteKeyError } from '../../../src/server/errors.js';
import { IV_BYTES, KeyRing, parseRouteKey, TAG_BYTES, type RouteKey } from '../../../src/server/routes/key-ring.js';

const key = (kid: string): RouteKey => ({ kid, key: randomBytes(32) });
const aad = Buffer.from('route a');

test('parseRouteKey takes kid:base64 of 32 bytes, standard or URL-safe, and never quotes the key in its reasons', () => {
  const raw = randomBytes(32);
  const k = parseRouteKey(`k-1.a_b:${raw.toString('base64')}`);
  assert.ok(typeof k !== 'string');
  assert.equal(k.kid, 'k-1.a_b');
  assert.deepEqual(k.key, raw);
  const url = parseRouteKey(`k2:${raw.toString('base64url')}`);
  assert.ok(typeof url !== 'string');
  assert.deepEqual(url.key, raw);

  const secret = randomBytes(16).toString('base64'); // 16 bytes: too short
  const bad = [`k1:${secret}`, secret, `:${raw.toString('base64')}`, `k 1:${raw.toString('base64')}`, `k1:not base64!`, `${'k'.repeat(65)}:${raw.toString('base64')}`];
  for (const text of bad) {
    const r = parseRouteKey(text);
    assert.equal(typeof r, 'string', text);
    assert.ok(!(r as string).includes(secret), 'the reason does not quote the key');
  }
  assert.match(parseRouteKey(`k1:${secret}`) as string, /16 bytes, not 32/);
});

test('a ring encrypts with its first key and decrypts with any of its keys', () => {
  const [a, b] = [key('a'), key('b')];
  const old = new KeyRing([a]);
  const sealedOld = old.seal(Buffer.from('hello'), aad);
  assert.equal(sealedOld.kid, 'a');
  const rotated = new KeyRing([b, a]);
  assert.equal(rotated.current, 'b');
  assert.deepEqual(rotated.kids, ['b', 'a']);
  assert.equal(rotated.open(sealedOld, aad).toString(), 'hello');
  const sealedNew = rotated.seal(Buffer.from('world'), aad);
  assert.equal(sealedNew.kid, 'b');
  assert.equal(sealedNew.iv.length, IV_BYTES);
  assert.equal(sealedNew.data.length, 5 + TAG_BYTES);
  assert.equal(rotated.open(sealedNew, aad).toString(), 'world');
  assert.throws(() => old.open(sealedNew, aad), (e: unknown) => e instanceof RouteKeyError && e.reason === 'unknown_kid' && /key b, which this replica does not have \(it has a\)/.test(e.message));
});

test('it is AES-256-GCM: node:crypto decrypts a sealed value with the key, nonce and tag', () => {
  const k = key('k');
  const sealed = new KeyRing([k]).seal(Buffer.from('{"value":1}'), aad);
  const d = createDecipheriv('aes-256-gcm', k.key, sealed.iv);
  d.setAAD(aad);
  d.setAuthTag(sealed.data.subarray(sealed.data.length - TAG_BYTES));
  assert.equal(Buffer.concat([d.update(sealed.data.subarray(0, sealed.data.length - TAG_BYTES)), d.final()]).toString(), '{"value":1}');
});

test('each seal takes a fresh nonce: the same plaintext never gives the same ciphertext', () => {
  const ring = new KeyRing([key('k')]);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = ring.seal(Buffer.from('same'), aad);
    seen.add(s.iv.toString('hex'));
    seen.add(s.data.toString('hex'));
  }
  assert.equal(seen.size, 400);
});

test('another key under the same id, altered data, another id in the additional data, or a cut tag: bad_key, never plaintext', () => {
  const ring = new KeyRing([key('k')]);
  const impostor = new KeyRing([key('k')]);
  const sealed = ring.seal(Buffer.from('secret'), aad);
  const bad = (f: () => unknown, what: string) => assert.throws(f, (e: unknown) => e instanceof RouteKeyError && e.reason === 'bad_key' && e.code === 'SERVER_ERR_ROUTE_KEY', what);
  bad(() => impostor.open(sealed, aad), 'another key with the same id');
  const flipped = Buffer.from(sealed.data);
  flipped[0]! ^= 1;
  bad(() => ring.open({ ...sealed, data: flipped }, aad), 'altered ciphertext');
  bad(() => ring.open(sealed, Buffer.from('route b')), 'moved to another route id');
  bad(() => ring.open({ ...sealed, data: sealed.data.subarray(0, 8) }, aad), 'shorter than a tag');
  bad(() => ring.open({ ...sealed, iv: sealed.iv.subarray(0, 8) }, aad), 'a short nonce');
});

test('a ring refuses no keys, a key id twice and a key of the wrong size', () => {
  assert.throws(() => new KeyRing([]), /empty/);
  assert.throws(() => new KeyRing([key('a'), key('a')]), /key id a is given twice/);
  assert.throws(() => new KeyRing([{ kid: 'a', key: randomBytes(16) }]), /16 bytes, not 32/);
});
