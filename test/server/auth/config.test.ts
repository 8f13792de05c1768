import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { JWT_DEFAULTS, jwtConfigOf } from '../../../src/server/auth/index.js';
import { RouteValidationError } from '../../../src/server/errors.js';
import { CLIENT_KEY } from '../routes/pem.js';
import { b64u, FIELD, makeKeys } from './support.js';

const keys = makeKeys();
const SECRET = 'Sup3r-s3cret value that is long enough for HS512 ....... ok!!!!!';
assert.ok(Buffer.byteLength(SECRET) >= 64);

/** The validation error for `json`: its field, and a message that quotes no value of it. */
function invalid(json: unknown, field: string, problem?: RegExp): RouteValidationError {
  let error: unknown;
  try {
    jwtConfigOf(json, FIELD);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof RouteValidationError, `expected a RouteValidationError at ${field}, got ${String(error)}`);
  assert.equal(error.field, field, error.message);
  assert.equal(error.code, 'SERVER_ERR_INVALID_ROUTE');
  if (problem !== undefined) assert.match(error.message, problem);
  for (const s of [SECRET, 'BEGIN', keys.rsa.pem.split('\n')[1]!, String(keys.rsa.jwk['n']).slice(0, 30), 'PRIVATE', 'hunter2']) {
    assert.ok(!error.message.includes(s), `the message quotes a value: ${error.message}`);
  }
  return error;
}

test('defaults', () => {
  const c = jwtConfigOf({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }] }, FIELD);
  assert.equal(c.keys.length, 1);
  assert.deepEqual([...c.keys[0]!.algs], ['RS256']);
  assert.equal(c.keys[0]!.kind, 'rsa');
  assert.equal(c.keys[0]!.signatureBytes, 256);
  assert.equal(c.jwks, undefined);
  assert.equal(c.issuers, undefined);
  assert.equal(c.audiences, undefined);
  assert.deepEqual(c.requiredClaims, []);
  assert.deepEqual(
    { leewayMs: c.leewayMs, maxTokenBytes: c.maxTokenBytes, requireExp: c.requireExp, jwksRefreshMs: c.jwksRefreshMs, jwksMinRefreshMs: c.jwksMinRefreshMs, jwksTimeoutMs: c.jwksTimeoutMs },
    { ...JWT_DEFAULTS },
  );
  assert.deepEqual(JWT_DEFAULTS, { jwksRefreshMs: 300_000, jwksMinRefreshMs: 30_000, jwksTimeoutMs: 5_000, leewayMs: 30_000, maxTokenBytes: 8192, requireExp: true });
});

test('every field set', () => {
  const c = jwtConfigOf({
    keys: [
      { kid: 'h', algs: ['HS256', 'HS384', 'HS512'], secret: SECRET },
      { kid: 'r', algs: ['RS256', 'RS384', 'RS512', 'PS256'], pem: keys.rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString() },
      { kid: 'e', alg: 'ES384', jwk: keys.p384.jwk },
      { jwk: { ...keys.ed.jwk, kid: 'ed', alg: 'EdDSA' } },
      { kid: 'o', alg: 'HS256', jwk: { kty: 'oct', k: b64u(Buffer.alloc(32, 7)) } },
    ],
    jwks_url: 'https://idp.example/jwks',
    jwks_algs: ['RS256'],
    jwks_refresh_ms: 60_000,
    jwks_min_refresh_ms: 5_000,
    jwks_timeout_ms: 1_000,
    issuer: 'https://idp.example/',
    audience: ['a', 'b'],
    leeway_ms: 0,
    max_token_bytes: 256,
    require_exp: false,
    required_claims: ['sub', 'https://example.com/roles'],
  }, FIELD);
  assert.deepEqual(c.keys.map((k) => [k.kid, k.kind, [...k.algs]]), [
    ['h', 'hmac', ['HS256', 'HS384', 'HS512']],
    ['r', 'rsa', ['RS256', 'RS384', 'RS512', 'PS256']],
    ['e', 'ec-p384', ['ES384']],
    ['ed', 'ed25519', ['EdDSA']],
    ['o', 'hmac', ['HS256']],
  ]);
  assert.deepEqual(c.jwks, { kind: 'url', url: new URL('https://idp.example/jwks') });
  assert.deepEqual([...(c.jwksAlgs ?? [])], ['RS256']);
  assert.deepEqual([c.jwksRefreshMs, c.jwksMinRefreshMs, c.jwksTimeoutMs, c.leewayMs, c.maxTokenBytes, c.requireExp], [60_000, 5_000, 1_000, 0, 256, false]);
  assert.deepEqual(c.issuers, ['https://idp.example/']);
  assert.deepEqual(c.audiences, ['a', 'b']);
  assert.deepEqual(c.requiredClaims, ['sub', 'https://example.com/roles']);
  const f = jwtConfigOf({ jwks_file: '/etc/kwp/jwks.json' }, FIELD);
  assert.deepEqual(f.jwks, { kind: 'file', path: '/etc/kwp/jwks.json' });
  assert.equal(f.keys.length, 0);
  assert.equal(jwtConfigOf({ jwks_url: 'http://127.0.0.1:18080/jwks', jwks_allow_http: true }, FIELD).jwks?.kind, 'url');
  // A short refresh interval pulls the default rate limit down with it.
  assert.equal(jwtConfigOf({ jwks_file: '/x', jwks_refresh_ms: 2000 }, FIELD).jwksMinRefreshMs, 2000);
});

test('the shape: object, known fields, some key source', () => {
  invalid(null, FIELD, /expected object, got null/);
  invalid([], FIELD, /expected object, got array/);
  invalid({}, FIELD, /needs keys, jwks_file or jwks_url/);
  invalid({ keys: [] }, FIELD, /needs keys, jwks_file or jwks_url/);
  invalid({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }], secret: SECRET }, `${FIELD}.secret`, /unknown field/);
  invalid({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }], 'hunter2 pass': 1 }, `${FIELD} (key #2)`, /unknown field/);
  invalid({ keys: {} }, `${FIELD}.keys`, /expected array, got object/);
  invalid({ keys: Array.from({ length: 101 }, () => ({ alg: 'RS256', pem: keys.rsa.pem })) }, `${FIELD}.keys`, /at most 100/);
});

test('a key: one of secret, pem, jwk; alg or algs; each alg fitting the key', () => {
  const k = (entry: Record<string, unknown>) => ({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }, entry] });
  const at = `${FIELD}.keys[1]`;
  invalid(k({ alg: 'RS256' }), at, /needs one of secret, pem, jwk/);
  invalid(k({ alg: 'RS256', pem: keys.rsa.pem, secret: SECRET }), at, /give only one of secret, pem/);
  invalid(k({ pem: keys.rsa.pem }), at, /needs alg or algs/);
  invalid(k({ alg: 'RS256', algs: ['RS256'], pem: keys.rsa.pem }), `${at}.algs`, /not with alg/);
  invalid(k({ alg: 'none', pem: keys.rsa.pem }), `${at}.alg`, /expected one of/);
  invalid(k({ alg: 'hunter2', pem: keys.rsa.pem }), `${at}.alg`, /expected one of/);
  invalid(k({ algs: [], pem: keys.rsa.pem }), `${at}.algs`, /must not be empty/);
  invalid(k({ algs: ['RS256', 'RS256'], pem: keys.rsa.pem }), `${at}.algs`, /twice/);
  invalid(k({ algs: ['RS256', 'none'], pem: keys.rsa.pem }), `${at}.algs[1]`, /expected one of/);
  invalid(k({ kid: '', alg: 'RS256', pem: keys.rsa.pem }), `${at}.kid`, /must not be empty/);
  invalid(k({ kid: 7, alg: 'RS256', pem: keys.rsa.pem }), `${at}.kid`, /expected string, got number/);
  invalid(k({ alg: 'RS256', pem: keys.rsa.pem, extra: 1 }), `${at}.extra`, /unknown field/);
  invalid({ keys: [{ kid: 'a', alg: 'RS256', pem: keys.rsa.pem }, { kid: 'a', alg: 'ES256', pem: keys.p256.pem }] }, `${at}.kid`, /earlier key/);
});

test('key confusion is refused at configuration: HS* never on a public key, RS* never on a secret, curves match', () => {
  const at = `${FIELD}.keys[0]`;
  invalid({ keys: [{ alg: 'HS256', pem: keys.rsa.pem }] }, `${at}.alg`, /HS256 cannot be verified with an RSA key/);
  invalid({ keys: [{ algs: ['RS256', 'HS256'], pem: keys.rsa.pem }] }, `${at}.algs`, /HS256 cannot be verified with an RSA key/);
  invalid({ keys: [{ alg: 'HS256', jwk: keys.rsa.jwk }] }, `${at}.alg`, /HS256 cannot/);
  invalid({ keys: [{ alg: 'RS256', secret: SECRET }] }, `${at}.alg`, /RS256 cannot be verified with an HMAC secret/);
  invalid({ keys: [{ alg: 'ES384', pem: keys.p256.pem }] }, `${at}.alg`, /ES384 cannot be verified with a P-256 key/);
  invalid({ keys: [{ alg: 'ES256', jwk: keys.p384.jwk }] }, `${at}.alg`, /ES256 cannot be verified with a P-384 key/);
  invalid({ keys: [{ alg: 'EdDSA', pem: keys.p256.pem }] }, `${at}.alg`, /EdDSA cannot/);
  invalid({ keys: [{ alg: 'PS256', jwk: keys.ed.jwk }] }, `${at}.alg`, /PS256 cannot/);
  invalid({ keys: [{ jwk: { ...keys.rsa.jwk, alg: 'HS256' } }] }, `${at}.jwk`, /HS256 cannot/);
});

test('secrets at least as long as the hash (RFC 7518 §3.2), counted in UTF-8 bytes', () => {
  const at = `${FIELD}.keys[0]`;
  invalid({ keys: [{ alg: 'HS256', secret: 'x'.repeat(31) }] }, `${at}.alg`, /HS256 needs a secret of at least 32 bytes/);
  assert.ok(jwtConfigOf({ keys: [{ alg: 'HS256', secret: 'x'.repeat(32) }] }, FIELD));
  assert.ok(jwtConfigOf({ keys: [{ alg: 'HS256', secret: 'é'.repeat(16) }] }, FIELD), '16 characters, 32 bytes');
  invalid({ keys: [{ algs: ['HS256', 'HS512'], secret: 'x'.repeat(48) }] }, `${at}.algs`, /HS512 needs a secret of at least 64 bytes/);
  invalid({ keys: [{ alg: 'HS384', jwk: { kty: 'oct', k: b64u(Buffer.alloc(47)) } }] }, `${at}.alg`, /HS384 needs .* 48 bytes/);
  invalid({ keys: [{ alg: 'HS256', secret: '' }] }, `${at}.secret`, /must not be empty/);
  invalid({ keys: [{ alg: 'HS256', secret: 'x'.repeat(4097) }] }, `${at}.secret`, /at most 4096 characters/);
});

test('keys that cannot be read, or must not be used: private keys, small RSA, other curves and types', () => {
  const at = `${FIELD}.keys[0]`;
  const pem = (kp: { publicKey: import('node:crypto').KeyObject }) => kp.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  invalid({ keys: [{ alg: 'RS256', pem: 'hunter2' }] }, `${at}.pem`, /not a PEM public key or certificate/);
  invalid({ keys: [{ alg: 'RS256', pem: keys.rsa.pem.replace(/[A-Z]{8}/, 'AAAAAAAA') }] }, `${at}.pem`);
  invalid({ keys: [{ alg: 'ES256', pem: CLIENT_KEY }] }, `${at}.pem`, /private key/);
  invalid({ keys: [{ alg: 'RS256', pem: keys.rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() }] }, `${at}.pem`, /private key/);
  invalid({ keys: [{ alg: 'RS256', jwk: keys.rsa.privateKey.export({ format: 'jwk' }) }] }, `${at}.jwk`, /private key/);
  invalid({ keys: [{ alg: 'RS256', pem: pem(generateKeyPairSync('rsa', { modulusLength: 1024 })) }] }, `${at}.pem`, /shorter than 2048 bits/);
  invalid({ keys: [{ alg: 'ES256', pem: pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })) }] }, `${at}.pem`, /curve other than P-256 and P-384/);
  invalid({ keys: [{ alg: 'ES256', pem: pem(generateKeyPairSync('ec', { namedCurve: 'P-521' })) }] }, `${at}.pem`, /curve other/);
  invalid({ keys: [{ alg: 'EdDSA', pem: pem(generateKeyPairSync('ed448')) }] }, `${at}.pem`, /not an RSA, EC .* or Ed25519/);
  invalid({ keys: [{ alg: 'EdDSA', pem: pem(generateKeyPairSync('x25519')) }] }, `${at}.pem`, /not an RSA/);
  invalid({ keys: [{ alg: 'RS256', pem: pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 })) }] }, `${at}.pem`, /not an RSA/);
  invalid({ keys: [{ alg: 'RS256', jwk: { ...keys.rsa.jwk, n: 'hunter2' } }] }, `${at}.jwk`, /shorter than 2048 bits/);
  invalid({ keys: [{ alg: 'RS256', jwk: { kty: 'RSA' } }] }, `${at}.jwk`, /not a valid public JWK/);
  invalid({ keys: [{ alg: 'ES256', jwk: { ...keys.p256.jwk, y: keys.p256.jwk['x'] } }] }, `${at}.jwk`, /not a valid public JWK/);
  invalid({ keys: [{ alg: 'RS256', jwk: { ...keys.rsa.jwk, use: 'enc' } }] }, `${at}.jwk`, /use other than "sig"/);
  invalid({ keys: [{ alg: 'RS256', jwk: { ...keys.rsa.jwk, key_ops: ['encrypt'] } }] }, `${at}.jwk`, /key_ops without "verify"/);
  invalid({ keys: [{ alg: 'HS256', jwk: { kty: 'oct', k: 'hunter2=' } }] }, `${at}.jwk`, /k is not base64url/);
  invalid({ keys: [{ alg: 'HS256', jwk: { kty: 'oct' } }] }, `${at}.jwk`, /has no k/);
  invalid({ keys: [{ alg: 'HS256', jwk: { kty: 'hunter2' } }] }, `${at}.jwk`, /kty other than/);
  invalid({ keys: [{ alg: 'RS256', jwk: 'hunter2' }] }, `${at}.jwk`, /expected object, got string/);
  invalid({ keys: [{ jwk: { ...keys.rsa.jwk, alg: 'RSA-OAEP' } }] }, `${at}.jwk.alg`, /expected one of/);
  // A huge public exponent makes each verification slow: refused.
  const e = b64u(Buffer.concat([Buffer.from([1]), Buffer.alloc(7), Buffer.from([1])]));
  invalid({ keys: [{ alg: 'RS256', jwk: { ...keys.rsa.jwk, e } }] }, `${at}.jwk`, /exponent over 32 bits/);
});

test('JWKS settings: one source, https unless allowed, absolute file, no credentials, only with a JWKS', () => {
  invalid({ jwks_url: 'https://a/', jwks_file: '/b' }, `${FIELD}.jwks_url`, /give one JWKS/);
  invalid({ jwks_url: 'http://idp.example/jwks' }, `${FIELD}.jwks_url`, /must be https/);
  invalid({ jwks_url: 'ftp://idp.example/jwks', jwks_allow_http: true }, `${FIELD}.jwks_url`, /http\(s\) URL/);
  invalid({ jwks_url: 'file:///etc/passwd' }, `${FIELD}.jwks_url`, /http\(s\) URL/);
  invalid({ jwks_url: 'not a url hunter2' }, `${FIELD}.jwks_url`, /absolute http\(s\) URL/);
  invalid({ jwks_url: '/relative' }, `${FIELD}.jwks_url`);
  invalid({ jwks_url: 'https://user:hunter2@idp.example/jwks' }, `${FIELD}.jwks_url`, /user name or password/);
  invalid({ jwks_url: 'https://idp.example/jwks', jwks_allow_http: 'yes' }, `${FIELD}.jwks_allow_http`, /expected boolean/);
  invalid({ jwks_file: 'relative/jwks.json' }, `${FIELD}.jwks_file`, /absolute path/);
  invalid({ jwks_file: '/x', jwks_allow_http: true }, `${FIELD}.jwks_allow_http`, /only with jwks_url/);
  for (const f of ['jwks_algs', 'jwks_refresh_ms', 'jwks_min_refresh_ms', 'jwks_timeout_ms', 'jwks_allow_http']) {
    invalid({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }], [f]: 1 }, `${FIELD}.${f}`, /only with jwks_file or jwks_url/);
  }
  invalid({ jwks_file: '/x', jwks_refresh_ms: 999 }, `${FIELD}.jwks_refresh_ms`, /between 1000 and 86400000/);
  invalid({ jwks_file: '/x', jwks_min_refresh_ms: 60_000, jwks_refresh_ms: 10_000 }, `${FIELD}.jwks_min_refresh_ms`, /<= jwks_refresh_ms/);
  invalid({ jwks_file: '/x', jwks_timeout_ms: 1.5 }, `${FIELD}.jwks_timeout_ms`, /expected integer/);
  invalid({ jwks_file: '/x', jwks_algs: ['none'] }, `${FIELD}.jwks_algs[0]`, /expected one of/);
  invalid({ jwks_file: '/x', jwks_algs: [] }, `${FIELD}.jwks_algs`, /must not be empty/);
});

test('claim settings: issuer and audience strings or lists, leeway and size bounds, required_claims', () => {
  const base = { keys: [{ alg: 'RS256', pem: keys.rsa.pem }] };
  invalid({ ...base, issuer: '' }, `${FIELD}.issuer`, /must not be empty/);
  invalid({ ...base, issuer: [] }, `${FIELD}.issuer`, /must not be empty/);
  invalid({ ...base, issuer: ['a', 3] }, `${FIELD}.issuer[1]`, /expected string/);
  invalid({ ...base, audience: { a: 1 } }, `${FIELD}.audience`, /expected array, got object/);
  invalid({ ...base, leeway_ms: -1 }, `${FIELD}.leeway_ms`, /between 0 and 600000/);
  invalid({ ...base, leeway_ms: '30s' }, `${FIELD}.leeway_ms`, /expected integer, got string/);
  invalid({ ...base, max_token_bytes: 100 }, `${FIELD}.max_token_bytes`, /between 256 and 65536/);
  invalid({ ...base, max_token_bytes: 1_000_000 }, `${FIELD}.max_token_bytes`);
  invalid({ ...base, require_exp: 'false' }, `${FIELD}.require_exp`, /expected boolean/);
  invalid({ ...base, required_claims: 'sub' }, `${FIELD}.required_claims`, /expected array, got string/);
  invalid({ ...base, required_claims: [''] }, `${FIELD}.required_claims[0]`, /must not be empty/);
  invalid({ ...base, required_claims: Array.from({ length: 33 }, (_, i) => `c${i}`) }, `${FIELD}.required_claims`, /at most 32/);
});
