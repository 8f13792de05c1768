import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import * as jose from 'jose';
import { createVerifier, TokenError, type JwtVerifier } from '../../../src/server/auth/index.js';
import { CLIENT_CERT, CLIENT_KEY } from '../routes/pem.js';
import { b64u, claims, config, makeKeys, NOW_MS, NOW_S, signBytes, signJwt, signRaw, type Alg, type SigningKey } from './support.js';

const keys = makeKeys();
type JoseKey = Awaited<ReturnType<typeof jose.importJWK>>;
const ALGS: readonly Alg[] = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** The signing key of `alg` and the route key entry that verifies it. */
function keyFor(alg: Alg): { signing: SigningKey; entry: Record<string, unknown> } {
  if (alg.startsWith('HS')) return { signing: keys.hmac, entry: { alg, jwk: { kty: 'oct', k: b64u(keys.hmac) } } };
  if (alg.startsWith('RS') || alg === 'PS256') return { signing: keys.rsa.privateKey, entry: { alg, pem: keys.rsa.pem } };
  if (alg === 'ES256') return { signing: keys.p256.privateKey, entry: { alg, jwk: keys.p256.jwk } };
  if (alg === 'ES384') return { signing: keys.p384.privateKey, entry: { alg, pem: keys.p384.pem } };
  return { signing: keys.ed.privateKey, entry: { alg, jwk: keys.ed.jwk } };
}

function verifierFor(alg: Alg, extra: Record<string, unknown> = {}): JwtVerifier {
  return createVerifier(config({ keys: [{ kid: 'k1', ...keyFor(alg).entry }], ...extra }));
}

/** jose's key for signing with `alg`: the same private key, imported through its JWK. */
async function joseSigningKey(alg: Alg): Promise<JoseKey> {
  const k = keyFor(alg).signing;
  if (Buffer.isBuffer(k)) return new Uint8Array(k);
  return (await jose.importJWK(k.export({ format: 'jwk' }) as jose.JWK, alg));
}

async function joseVerifyingKey(alg: Alg): Promise<JoseKey> {
  const k = keyFor(alg).signing;
  if (Buffer.isBuffer(k)) return new Uint8Array(k);
  const pub = alg.startsWith('RS') || alg === 'PS256' ? keys.rsa : alg === 'ES256' ? keys.p256 : alg === 'ES384' ? keys.p384 : keys.ed;
  return (await jose.importJWK(pub.jwk as jose.JWK, alg));
}

for (const alg of ALGS) {
  test(`${alg}: a token signed by jose verifies, claims and header as sent`, async () => {
    const token = await new jose.SignJWT({ sub: 'alice', roles: ['reader'], nested: { a: 1 } })
      .setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' })
      .setIssuedAt(NOW_S - 5)
      .setExpirationTime(NOW_S + 60)
      .sign(await joseSigningKey(alg));
    const v = await verifierFor(alg).verify(token, NOW_MS);
    assert.deepEqual({ ...v.claims, nested: { ...(v.claims['nested'] as object) } }, { sub: 'alice', roles: ['reader'], nested: { a: 1 }, iat: NOW_S - 5, exp: NOW_S + 60 });
    assert.deepEqual({ ...v.header }, { alg, kid: 'k1', typ: 'JWT' });
    assert.equal(v.subject, 'alice');
    assert.equal(v.expiresAtMs, (NOW_S + 60) * 1000);
    assert.equal(Object.getPrototypeOf(v.claims), null, 'claims have no prototype');
    assert.equal(Object.getPrototypeOf(v.claims['nested']), null, 'nested objects neither');
    assert.equal(Object.getPrototypeOf(v.header), null);
  });

  test(`${alg}: the tests' own signer agrees with jose (so the forged tokens of the other tests mean what they say)`, async () => {
    const token = signJwt(alg, keyFor(alg).signing, claims(), { kid: 'k1' });
    const r = await jose.jwtVerify(token, await joseVerifyingKey(alg), { currentDate: new Date(NOW_MS), algorithms: [alg] });
    assert.equal(r.payload.sub, 'alice');
    assert.equal((await verifierFor(alg).verify(token, NOW_MS)).subject, 'alice');
  });

  test(`${alg}: single-character changes anywhere in a token: we reject whatever jose rejects, and beyond that only non-canonical base64url`, async () => {
    const token = signJwt(alg, keyFor(alg).signing, claims({ aud: 'kafka' }), { kid: 'k1' });
    const verifier = verifierFor(alg, { leeway_ms: 0 });
    const joseKey = await joseVerifyingKey(alg);
    const alphabet = 'AQgw_-.=+/ ';
    let agreed = 0;
    let positions = 0;
    // Every 3rd position (and the edges of each segment) with several replacement characters.
    for (let i = 0; i < token.length; i++) {
      if (i % 3 !== 0 && token[i - 1] !== '.' && token[i + 1] !== '.' && i !== token.length - 1) continue;
      positions++;
      for (const c of alphabet) {
        if (token[i] === c) continue;
        const mutated = token.slice(0, i) + c + token.slice(i + 1);
        const ours = await verifier.verify(mutated, NOW_MS).then(() => 'ok', (e: unknown) => (e instanceof TokenError ? e.reason : `crash ${String(e)}`));
        const theirs = await jose.jwtVerify(mutated, joseKey, { currentDate: new Date(NOW_MS), algorithms: [alg] }).then(() => 'ok', () => 'rejected');
        assert.ok(!ours.startsWith('crash'), ours);
        if ((ours === 'ok') === (theirs === 'ok')) agreed++;
        else assert.ok(ours === 'malformed' && theirs === 'ok', `position ${i} → ${JSON.stringify(c)}: ours ${ours}, jose ${theirs}`);
        if (ours === 'ok') {
          // Only a change that decodes to the same bytes can still verify: non-canonical base64url is refused before that.
          assert.fail(`a changed token verified (position ${i} → ${JSON.stringify(c)})`);
        }
      }
    }
    assert.ok(positions > 20 && agreed > positions * 5, `${agreed} agreements over ${positions} positions`);
  });
}

test('PS256: the salt is as long as the hash (RFC 7518 §3.5); other salt lengths do not verify', async () => {
  const v = verifierFor('PS256');
  const input = `${b64u(JSON.stringify({ alg: 'PS256', kid: 'k1' }))}.${b64u(JSON.stringify(claims()))}`;
  assert.equal((await v.verify(`${input}.${b64u(signBytes('PS256', keys.rsa.privateKey, input, 32))}`, NOW_MS)).subject, 'alice');
  for (const salt of [0, 20, 64]) {
    const token = `${input}.${b64u(signBytes('PS256', keys.rsa.privateKey, input, salt))}`;
    await assert.rejects(v.verify(token, NOW_MS), { reason: 'bad_signature' }, `salt ${salt}`);
  }
});

test('keys: kid picks the key; a token without kid is tried against every key allowing its alg', async () => {
  const v = createVerifier(config({
    keys: [
      { kid: 'a', alg: 'RS256', pem: keys.rsa.pem },
      { kid: 'b', alg: 'RS256', pem: keys.rsa2.pem },
      { kid: 'e', alg: 'ES256', pem: keys.p256.pem },
    ],
  }));
  assert.equal((await v.verify(signJwt('RS256', keys.rsa2.privateKey, claims(), { kid: 'b' }), NOW_MS)).subject, 'alice');
  await assert.rejects(v.verify(signJwt('RS256', keys.rsa2.privateKey, claims(), { kid: 'a' }), NOW_MS), { reason: 'bad_signature' }, 'kid a is the other RSA key');
  assert.equal((await v.verify(signJwt('RS256', keys.rsa2.privateKey, claims()), NOW_MS)).subject, 'alice', 'no kid: both RSA keys tried');
  assert.equal((await v.verify(signJwt('ES256', keys.p256.privateKey, claims()), NOW_MS)).subject, 'alice');
});

test('keys: a route key without kid takes tokens with any kid; with a kid only its own', async () => {
  const v = createVerifier(config({ keys: [{ alg: 'HS256', secret: 'a secret of at least thirty-two bytes' }] }));
  const key = Buffer.from('a secret of at least thirty-two bytes');
  assert.equal((await v.verify(signJwt('HS256', key, claims(), { kid: 'whatever' }), NOW_MS)).subject, 'alice');
  assert.equal((await v.verify(signJwt('HS256', key, claims()), NOW_MS)).subject, 'alice');
  const named = createVerifier(config({ keys: [{ kid: 'mine', alg: 'HS256', secret: 'a secret of at least thirty-two bytes' }] }));
  await assert.rejects(named.verify(signJwt('HS256', key, claims(), { kid: 'other' }), NOW_MS), { reason: 'unknown_kid' });
  assert.equal((await named.verify(signJwt('HS256', key, claims()), NOW_MS)).subject, 'alice', 'no kid: tried');
});

test('keys: a secret is its UTF-8 bytes; a JWK oct key its base64url k', async () => {
  const text = 'pässwörd-that-is-long-enough-for-HS256';
  const v = createVerifier(config({ keys: [{ alg: 'HS256', secret: text }] }));
  assert.equal((await v.verify(signJwt('HS256', Buffer.from(text, 'utf8'), claims()), NOW_MS)).subject, 'alice');
  await assert.rejects(v.verify(signJwt('HS256', Buffer.from(text, 'latin1'), claims()), NOW_MS), { reason: 'bad_signature' });
});

test('keys: per-key allow-list (algs): RS256 and PS256 on one RSA key, RS384 refused', async () => {
  const v = createVerifier(config({ keys: [{ kid: 'r', algs: ['RS256', 'PS256'], pem: keys.rsa.pem }] }));
  for (const alg of ['RS256', 'PS256'] as const) assert.equal((await v.verify(signJwt(alg, keys.rsa.privateKey, claims(), { kid: 'r' }), NOW_MS)).subject, 'alice');
  await assert.rejects(v.verify(signJwt('RS384', keys.rsa.privateKey, claims(), { kid: 'r' }), NOW_MS), { reason: 'alg_not_allowed' });
});

test('keys: a JWK\'s own alg and kid are used when the entry gives none', async () => {
  const v = createVerifier(config({ keys: [{ jwk: { ...keys.ed.jwk, alg: 'EdDSA', kid: 'ed-1' } }] }));
  assert.equal((await v.verify(signJwt('EdDSA', keys.ed.privateKey, claims(), { kid: 'ed-1' }), NOW_MS)).subject, 'alice');
  await assert.rejects(v.verify(signJwt('EdDSA', keys.ed.privateKey, claims(), { kid: 'ed-2' }), NOW_MS), { reason: 'unknown_kid' });
});

test('keys: an X.509 certificate PEM gives its public key', async () => {
  const v = createVerifier(config({ keys: [{ alg: 'ES256', pem: CLIENT_CERT }] }));
  assert.equal((await v.verify(signJwt('ES256', createPrivateKey(CLIENT_KEY), claims()), NOW_MS)).subject, 'alice');
  await assert.rejects(v.verify(signJwt('ES256', keys.p256.privateKey, claims()), NOW_MS), { reason: 'bad_signature' });
});

test('claims: times with leeway (default 30 s), fractions, huge exp, no exp when not required', async () => {
  const v = verifierFor('HS256');
  const key = keys.hmac;
  const ok = async (c: Record<string, unknown>, extra: Record<string, unknown> = {}, vv: JwtVerifier = v) => (await vv.verify(signJwt('HS256', key, c, { kid: 'k1', ...extra }), NOW_MS));
  assert.equal((await ok(claims({ exp: NOW_S - 29 }))).expiresAtMs, (NOW_S - 29) * 1000, 'expired 29 s ago: within the leeway');
  assert.equal((await ok(claims({ exp: NOW_S + 0.5 }))).expiresAtMs, NOW_MS + 500, 'fractional exp');
  assert.equal((await ok(claims({ nbf: NOW_S + 29, iat: NOW_S + 29 }))).subject, 'alice', 'nbf and iat 29 s ahead: within the leeway');
  assert.equal((await ok(claims({ exp: 1e300 }))).expiresAtMs, Number.MAX_SAFE_INTEGER, 'huge exp: capped, not Infinity');
  assert.equal((await ok(claims({ exp: Number.MAX_SAFE_INTEGER }))).expiresAtMs, Number.MAX_SAFE_INTEGER);
  const lax = verifierFor('HS256', { require_exp: false });
  const noExp = await ok({ sub: 'bob' }, {}, lax);
  assert.equal(noExp.expiresAtMs, undefined);
  assert.equal(noExp.subject, 'bob');
  assert.equal((await ok({}, {}, lax)).subject, undefined, 'sub is optional');
});

test('claims: issuer and audience (string or list) when configured; required_claims', async () => {
  const v = verifierFor('HS256', { issuer: ['https://idp.example/', 'https://other.example/'], audience: 'kafka', required_claims: ['tenant', 'roles'] });
  const base = claims({ iss: 'https://other.example/', tenant: 't1', roles: [] });
  for (const aud of ['kafka', ['x', 'kafka']]) {
    const r = await v.verify(signJwt('HS256', keys.hmac, { ...base, aud }, { kid: 'k1' }), NOW_MS);
    assert.equal(r.claims['tenant'], 't1');
  }
});

test('header: typ, cty and unknown members pass; jwk, jku, x5u in a header are ignored, never used as keys', async () => {
  const v = verifierFor('RS256');
  const attacker = keys.rsa2;
  const token = signJwt('RS256', attacker.privateKey, claims(), { kid: 'k1', typ: 'at+jwt', jwk: attacker.jwk, jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/x5u' });
  await assert.rejects(v.verify(token, NOW_MS), { reason: 'bad_signature' });
  const own = signRaw('RS256', keys.rsa.privateKey, JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT', cty: 'x', custom: { deep: [1] } }), JSON.stringify(claims()));
  assert.equal((await v.verify(own, NOW_MS)).header['custom'] !== undefined, true);
});

test('verify without nowMs uses the clock', async () => {
  const v = verifierFor('HS256');
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await v.verify(signJwt('HS256', keys.hmac, { exp: now + 60 }, { kid: 'k1' }))).expiresAtMs, (now + 60) * 1000);
  await assert.rejects(v.verify(signJwt('HS256', keys.hmac, { exp: now - 60 }, { kid: 'k1' })), { reason: 'expired' });
});
