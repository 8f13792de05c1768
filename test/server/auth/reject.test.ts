import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifier, TOKEN_ERROR_REASONS, TokenError, type JwtVerifier, type TokenErrorReason } from '../../../src/server/auth/index.js';
import { b64u, claims, config, makeKeys, NOW_MS, NOW_S, signBytes, signJwt, signRaw, type Alg } from './support.js';

const keys = makeKeys();
const SECRET = 'the route secret, long enough for HS256 and HS384!';
const KID_SECRET = 'kid-of-the-secret';

/** Route keys of every kind, each with a kid, plus issuer and audience. */
const verifier = createVerifier(config({
  keys: [
    { kid: 'rsa', algs: ['RS256', 'PS256'], pem: keys.rsa.pem },
    { kid: 'p256', alg: 'ES256', jwk: keys.p256.jwk },
    { kid: 'p384', alg: 'ES384', pem: keys.p384.pem },
    { kid: 'ed', alg: 'EdDSA', jwk: keys.ed.jwk },
    { kid: KID_SECRET, algs: ['HS256', 'HS384'], secret: SECRET },
  ],
  issuer: 'https://idp.example/',
  audience: ['kafka', 'kafka-admin'],
  required_claims: ['sub'],
}));
const secret = Buffer.from(SECRET);
const good = () => claims({ iss: 'https://idp.example/', aud: 'kafka' });

/** Everything that must never appear in a message: key material and what a token carries. */
const NEVER_QUOTED = [SECRET, ...keys.rsa.pem.split('\n').filter((l) => l.length > 20), String(keys.rsa.jwk['n']).slice(0, 40), String(keys.p256.jwk['x']), KID_SECRET, 'idp.example', 'evil'];
const seen = new Set<TokenErrorReason>();

/** Verifies that `token` is refused for `reason`, and that the message quotes nothing it must not. */
async function refused(token: unknown, reason: TokenErrorReason, v: JwtVerifier = verifier, nowMs = NOW_MS): Promise<TokenError> {
  let error: unknown;
  try {
    await v.verify(token as string, nowMs);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TokenError, `expected a TokenError (${reason}), got ${String(error)}`);
  assert.equal(error.reason, reason, `reason: ${error.message}`);
  assert.equal(error.code, 'SERVER_ERR_TOKEN');
  const text = `${error.message} ${error.stack ?? ''}`;
  if (typeof token === 'string' && token.length > 0) {
    for (const part of token.split('.')) if (part.length >= 8) assert.ok(!text.includes(part), `${reason}: the message quotes the token`);
  }
  for (const s of NEVER_QUOTED) assert.ok(!text.includes(s), `${reason}: the message quotes ${s.slice(0, 12)}...`);
  seen.add(reason);
  return error;
}

test('the verifier accepts the well-formed token these tests break', async () => {
  for (const [alg, key, kid] of [['RS256', keys.rsa.privateKey, 'rsa'], ['HS256', secret, KID_SECRET], ['ES256', keys.p256.privateKey, 'p256']] as const) {
    assert.equal((await verifier.verify(signJwt(alg, key, good(), { kid }), NOW_MS)).subject, 'alice', alg);
  }
});

test('alg none is never accepted, in any spelling, signed or not', async () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = `${b64u(JSON.stringify({ alg, kid: 'rsa' }))}.${b64u(JSON.stringify(good()))}.`;
    const e = await refused(unsigned, 'unsupported_alg');
    assert.match(e.message, /alg none/);
    // A signature in the third segment changes nothing.
    await refused(`${unsigned}${b64u(signBytes('HS256', secret, unsigned.slice(0, -1)))}`, 'unsupported_alg');
  }
  await refused(signJwt('HS256', secret, good(), { alg: 'none', kid: KID_SECRET }), 'unsupported_alg');
});

test('algorithms we do not implement are unsupported_alg', async () => {
  for (const alg of ['ES512', 'PS384', 'RS1', 'HS1', 'ES256K', 'A128KW', 'dir', 'hs256', '', 'RS256 ']) {
    await refused(signJwt('HS256', secret, good(), { alg, kid: KID_SECRET }), 'unsupported_alg');
  }
});

test('HS256 "signed" with the RSA public key as HMAC secret (key confusion): alg_not_allowed, with or without kid', async () => {
  for (const material of [keys.rsa.pem, keys.rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), String(keys.rsa.jwk['n']), keys.rsa.publicKey.export({ type: 'spki', format: 'der' })]) {
    const forged = signJwt('HS256', Buffer.from(material), good(), { kid: 'rsa' });
    await refused(forged, 'alg_not_allowed');
    // Without a kid every key allowing HS256 is a candidate: the route's secret, which does not verify it.
    await refused(signJwt('HS256', Buffer.from(material), good()), 'bad_signature');
  }
  const rsaOnly = createVerifier(config({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }] }));
  await refused(signJwt('HS256', Buffer.from(keys.rsa.pem), good()), 'alg_not_allowed', rsaOnly);
  // The same confusion against EC and Ed25519 keys.
  await refused(signJwt('HS256', Buffer.from(keys.p384.pem), good(), { kid: 'p384' }), 'alg_not_allowed');
  await refused(signJwt('HS384', Buffer.from(String(keys.ed.jwk['x'])), good(), { kid: 'ed' }), 'alg_not_allowed');
});

test('an alg outside the key\'s allow-list, also within its family: alg_not_allowed', async () => {
  await refused(signJwt('RS384', keys.rsa.privateKey, good(), { kid: 'rsa' }), 'alg_not_allowed');
  await refused(signJwt('HS512', secret, good(), { kid: KID_SECRET }), 'alg_not_allowed');
  // ES256 for the P-384 key, ES384 for the P-256 key: the curve decides.
  await refused(signJwt('ES256', keys.p256.privateKey, good(), { kid: 'p384' }), 'alg_not_allowed');
  await refused(signJwt('ES384', keys.p384.privateKey, good(), { kid: 'p256' }), 'alg_not_allowed');
  await refused(signJwt('RS512', keys.rsa.privateKey, good()), 'alg_not_allowed', verifier);
});

test('wrong key: bad_signature (each family)', async () => {
  const cases: [Alg, Parameters<typeof signJwt>[1], string][] = [
    ['RS256', keys.rsa2.privateKey, 'rsa'],
    ['PS256', keys.rsa2.privateKey, 'rsa'],
    ['ES256', makeKeys().p256.privateKey, 'p256'],
    ['HS256', Buffer.from(`${SECRET}x`), KID_SECRET],
  ];
  for (const [alg, key, kid] of cases) await refused(signJwt(alg, key, good(), { kid }), 'bad_signature');
  // RS256 signature verified as PS256 and the other way round.
  const rs = signJwt('RS256', keys.rsa.privateKey, good(), { kid: 'rsa' }).split('.');
  const ps = signJwt('PS256', keys.rsa.privateKey, good(), { kid: 'rsa' }).split('.');
  await refused(`${ps[0]}.${ps[1]}.${rs[2]}`, 'bad_signature');
  await refused(`${rs[0]}.${rs[1]}.${ps[2]}`, 'bad_signature');
});

test('signatures of the wrong shape: bad_signature, never a crash', async () => {
  const es = signJwt('ES256', keys.p256.privateKey, good(), { kid: 'p256' });
  const [h, p, s] = es.split('.') as [string, string, string];
  const raw = Buffer.from(s, 'base64url');
  await refused(`${h}.${p}.`, 'bad_signature');
  await refused(`${h}.${p}.${b64u(raw.subarray(0, 63))}`, 'bad_signature');
  await refused(`${h}.${p}.${b64u(Buffer.concat([raw, Buffer.of(0)]))}`, 'bad_signature');
  // DER (what crypto.sign gives by default) instead of R||S.
  const { sign } = await import('node:crypto');
  await refused(`${h}.${p}.${b64u(sign('sha256', Buffer.from(`${h}.${p}`), keys.p256.privateKey))}`, 'bad_signature');
  // RSA: one byte short (a leading zero dropped) or long; a signature equal to the modulus.
  const rs = signJwt('RS256', keys.rsa.privateKey, good(), { kid: 'rsa' }).split('.') as [string, string, string];
  const rsig = Buffer.from(rs[2], 'base64url');
  await refused(`${rs[0]}.${rs[1]}.${b64u(rsig.subarray(1))}`, 'bad_signature');
  await refused(`${rs[0]}.${rs[1]}.${b64u(Buffer.concat([Buffer.of(0), rsig]))}`, 'bad_signature');
  await refused(`${rs[0]}.${rs[1]}.${String(keys.rsa.jwk['n'])}`, 'bad_signature');
  await refused(`${rs[0]}.${rs[1]}.${b64u(Buffer.alloc(256, 0xff))}`, 'bad_signature');
  await refused(`${rs[0]}.${rs[1]}.${b64u(Buffer.alloc(256))}`, 'bad_signature');
  const ed = signJwt('EdDSA', keys.ed.privateKey, good(), { kid: 'ed' }).split('.') as [string, string, string];
  await refused(`${ed[0]}.${ed[1]}.${b64u(Buffer.alloc(64))}`, 'bad_signature');
  const hs = signJwt('HS256', secret, good(), { kid: KID_SECRET }).split('.') as [string, string, string];
  await refused(`${hs[0]}.${hs[1]}.${b64u(Buffer.from(hs[2], 'base64url').subarray(0, 16))}`, 'bad_signature');
});

test('a payload swapped under a valid signature: bad_signature', async () => {
  const a = signJwt('RS256', keys.rsa.privateKey, good(), { kid: 'rsa' }).split('.');
  const b = signJwt('RS256', keys.rsa.privateKey, { ...good(), sub: 'root' }, { kid: 'rsa' }).split('.');
  await refused(`${a[0]}.${b[1]}.${a[2]}`, 'bad_signature');
});

test('unknown kid', async () => {
  await refused(signJwt('RS256', keys.rsa.privateKey, good(), { kid: 'nope' }), 'unknown_kid');
  await refused(signJwt('RS256', keys.rsa.privateKey, good(), { kid: '' }), 'unknown_kid');
  await refused(signJwt('RS256', keys.rsa.privateKey, good(), { kid: 'evil\n{"level":"error"}' }), 'unknown_kid');
});

test('expired, not yet valid, issued in the future: each at the leeway\'s edge (30 s)', async () => {
  const at = async (extra: Record<string, unknown>) => signJwt('RS256', keys.rsa.privateKey, { ...good(), ...extra }, { kid: 'rsa' });
  await refused(await at({ exp: NOW_S - 30 }), 'expired'); // RFC 7519: not accepted "on or after" exp
  await refused(await at({ exp: NOW_S - 30.001 }), 'expired');
  await refused(await at({ exp: -1 }), 'expired');
  await refused(await at({ exp: 0 }), 'expired');
  assert.ok(await verifier.verify(await at({ exp: NOW_S - 29.999 }), NOW_MS));
  await refused(await at({ nbf: NOW_S + 30.001 }), 'not_yet_valid');
  assert.ok(await verifier.verify(await at({ nbf: NOW_S + 30 }), NOW_MS));
  await refused(await at({ iat: NOW_S + 31 }), 'issued_in_future');
  assert.ok(await verifier.verify(await at({ iat: NOW_S + 30 }), NOW_MS));
  const strict = createVerifier(config({ keys: [{ alg: 'RS256', pem: keys.rsa.pem }], leeway_ms: 0 }));
  await refused(await at({ exp: NOW_S }), 'expired', strict);
  await refused(await at({ exp: NOW_S + 0.0005 }), 'expired', strict, NOW_MS + 1);
  await refused(await at({ nbf: NOW_S + 1 }), 'not_yet_valid', strict);
  await refused(await at({ iat: NOW_S + 1 }), 'issued_in_future', strict);
});

test('time claims of the wrong type, or not finite: malformed', async () => {
  const raw = (payloadText: string) => signRaw('RS256', keys.rsa.privateKey, JSON.stringify({ alg: 'RS256', kid: 'rsa' }), payloadText);
  const base = JSON.stringify(good()).slice(1, -1);
  for (const bad of ['"exp":"9999999999"', '"exp":null', '"exp":true', '"exp":[1]', '"exp":{}', '"exp":1e400', '"exp":-1e400', '"nbf":"0"', '"iat":1e999']) {
    // The later member wins in JSON.parse: the bad one replaces the good.
    const e = await refused(raw(`{${base},${bad}}`), 'malformed');
    assert.match(e.message, /claim is not a number of seconds/);
  }
  for (const bad of ['"iss":1', '"sub":{"a":1}', '"jti":5', '"aud":1', '"aud":["kafka",2]', '"aud":null']) await refused(raw(`{${base},${bad}}`), 'malformed');
});

test('wrong or missing issuer and audience', async () => {
  const t = (extra: Record<string, unknown>) => signJwt('ES256', keys.p256.privateKey, { ...good(), ...extra }, { kid: 'p256' });
  await refused(t({ iss: 'https://evil.example/' }), 'wrong_issuer');
  await refused(t({ iss: 'https://idp.example' }), 'wrong_issuer'); // no trailing slash: another string
  await refused(t({ iss: undefined }), 'wrong_issuer');
  await refused(t({ aud: 'evil' }), 'wrong_audience');
  await refused(t({ aud: ['evil', 'KAFKA'] }), 'wrong_audience');
  await refused(t({ aud: [] }), 'wrong_audience');
  await refused(t({ aud: undefined }), 'wrong_audience');
  assert.ok(await verifier.verify(t({ aud: ['evil', 'kafka-admin'] }), NOW_MS));
});

test('missing exp (require_exp, the default) or a required claim: missing_claim', async () => {
  await refused(signJwt('ES256', keys.p256.privateKey, { ...good(), exp: undefined }, { kid: 'p256' }), 'missing_claim');
  await refused(signJwt('ES256', keys.p256.privateKey, { ...good(), sub: undefined }, { kid: 'p256' }), 'missing_claim');
  const v = createVerifier(config({ keys: [{ alg: 'ES256', pem: keys.p256.pem }], required_claims: ['tenant'] }));
  await refused(signJwt('ES256', keys.p256.privateKey, { ...good(), tenant: null }), 'missing_claim', v);
  // A name of Object.prototype is not "present" because of the prototype.
  const proto = createVerifier(config({ keys: [{ alg: 'ES256', pem: keys.p256.pem }], required_claims: ['toString', 'constructor'] }));
  await refused(signJwt('ES256', keys.p256.privateKey, good()), 'missing_claim', proto);
});

test('malformed base64url: padding (odd, doubled), +, /, spaces, non-canonical bits, impossible lengths, non-ASCII', async () => {
  const token = signJwt('HS256', secret, good(), { kid: KID_SECRET });
  const [h, p, s] = token.split('.') as [string, string, string];
  const variants: string[] = [];
  for (const seg of [0, 1, 2]) {
    const parts = [h, p, s];
    const with_ = (x: string) => parts.map((v, i) => (i === seg ? x : v)).join('.');
    const v = parts[seg]!;
    variants.push(with_(`${v}=`), with_(`${v}==`), with_(`${v}===`), with_(`${v}====`), with_(`=${v}`), with_(`${v.slice(0, 4)}=${v.slice(4)}`));
    variants.push(with_(`${v.slice(0, 4)} ${v.slice(4)}`), with_(`${v}\n`), with_(`${v.slice(0, 4)}+${v.slice(5)}`), with_(`${v.slice(0, 4)}/${v.slice(5)}`));
    variants.push(with_(`${v}A`.length % 4 === 1 ? `${v}A` : `${v}AA`.length % 4 === 1 ? `${v}AA` : `${v}AAA`), with_(`${v.slice(0, 4)}é${v.slice(5)}`), with_(`${v.slice(0, 4)}\u0000${v.slice(5)}`));
  }
  for (const t of variants) await refused(t, 'malformed');
  // Padded base64 of the same bytes: standard base64 is not JWS.
  await refused([h, p, Buffer.from(s, 'base64url').toString('base64')].join('.'), 'malformed');
  // Spare bits set in the last character (decodes to the same bytes in lenient decoders).
  const sig = Buffer.from(s, 'base64url');
  assert.equal(s.length % 4, 3, 'a 32-byte HMAC has 2 spare bits');
  const lastValue = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(s.at(-1)!);
  const sloppy = `${s.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastValue | 1]}`;
  assert.deepEqual(Buffer.from(sloppy, 'base64url'), sig, 'Node decodes both to the same bytes');
  await refused(`${h}.${p}.${sloppy}`, 'malformed');
});

test('not three segments: malformed (JWE\'s five, two, four, empty, dots only)', async () => {
  const token = signJwt('HS256', secret, good(), { kid: KID_SECRET });
  for (const t of [token.split('.').slice(0, 2).join('.'), `${token}.`, `${token}.x.y`, '', '.', '..', '...', 'abc', `${token}..`]) await refused(t, 'malformed');
  for (const t of [42, null, undefined, { token }, Buffer.from(token)]) await refused(t, 'malformed');
});

test('header and payload that are not UTF-8 JSON objects: malformed, also under a valid signature', async () => {
  const header = JSON.stringify({ alg: 'HS256', kid: KID_SECRET });
  const bad = ['', 'not json', '[]', '[1,2]', '"string"', '42', 'null', 'true', '{"a":1', '{"a":1}}', '{"a":1} x', '\uFEFF{"sub":"a"}', "{'sub':'a'}", '{"sub":"a",}'];
  for (const payload of bad) await refused(signRaw('HS256', secret, header, payload), 'malformed');
  for (const h of bad) await refused(signRaw('HS256', secret, h, JSON.stringify(good())), 'malformed');
  // Invalid UTF-8 (a lone continuation byte, an overlong slash) is refused, not replaced with U+FFFD.
  for (const bytes of [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])]) {
    const input = `${b64u(header)}.${b64u(bytes)}`;
    await refused(`${input}.${b64u(signBytes('HS256', secret, input))}`, 'malformed');
  }
  // No alg, alg not a string, kid not a string, a crit header.
  for (const h of [{ kid: KID_SECRET }, { alg: ['HS256'], kid: KID_SECRET }, { alg: null }, { alg: 'HS256', kid: 7 }, { alg: 'HS256', kid: null }, { alg: 'HS256', kid: KID_SECRET, crit: ['exp'], exp: 1 }, { alg: 'HS256', kid: KID_SECRET, b64: false, crit: ['b64'] }]) {
    await refused(signRaw('HS256', secret, JSON.stringify(h), JSON.stringify(good())), 'malformed');
  }
});

test('a key __proto__ in the payload or header, literal or escaped, at any depth: malformed, and nothing polluted', async () => {
  const header = JSON.stringify({ alg: 'HS256', kid: KID_SECRET });
  const base = JSON.stringify(good()).slice(1, -1);
  const payloads = [
    `{${base},"__proto__":{"polluted":"yes"}}`,
    `{${base},"\\u005f_proto__":{"polluted":"yes"}}`,
    `{${base},"a":{"b":[{"__proto__":{"polluted":"yes"}}]}}`,
  ];
  for (const payload of payloads) await refused(signRaw('HS256', secret, header, payload), 'malformed');
  await refused(signRaw('HS256', secret, `{"alg":"HS256","kid":"${KID_SECRET}","__proto__":{"polluted":"yes"}}`, JSON.stringify(good())), 'malformed');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  // constructor and prototype are plain claims of a null-prototype object.
  const ok = await verifier.verify(signRaw('HS256', secret, header, `{${base},"constructor":{"prototype":{"polluted":"yes"}}}`), NOW_MS);
  assert.deepEqual(JSON.parse(JSON.stringify(ok.claims['constructor'])), { prototype: { polluted: 'yes' } });
  assert.equal(Object.getPrototypeOf(ok.claims['constructor']), null);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('payload nested deeper than 32 levels: malformed', async () => {
  const header = JSON.stringify({ alg: 'HS256', kid: KID_SECRET });
  const base = JSON.stringify(good()).slice(1, -1);
  await refused(signRaw('HS256', secret, header, `{${base},"deep":${'['.repeat(40)}${']'.repeat(40)}}`), 'malformed');
  await refused(signRaw('HS256', secret, header, `{${base},"deep":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`), 'malformed');
  assert.ok(await verifier.verify(signRaw('HS256', secret, header, `{${base},"deep":${'['.repeat(20)}${']'.repeat(20)}}`), NOW_MS));
});

test('oversize token: too_large before anything is parsed; exactly the limit is fine', async () => {
  const v = createVerifier(config({ keys: [{ alg: 'HS256', secret: SECRET }], max_token_bytes: 1024 }));
  const fill = (n: number) => signJwt('HS256', secret, { ...good(), pad: 'x'.repeat(n) });
  let n = 0;
  while (fill(n + 1).length <= 1024) n++;
  assert.ok(fill(n).length >= 1021, 'base64url grows by 4 characters per 3 bytes');
  assert.equal((await v.verify(fill(n), NOW_MS)).subject, 'alice', 'a token at the limit verifies');
  await refused(fill(n + 1), 'too_large', v);
  await refused(fill(2000), 'too_large', v);
  await refused(`${'A'.repeat(1025)}`, 'too_large', v);
  await refused('.'.repeat(100_000), 'too_large', v);
  await refused(`${'A'.repeat(10_000_000)}`, 'too_large');
});

test('every reason but jwks_unavailable was met above (jwks.test.ts covers that one)', () => {
  assert.deepEqual([...TOKEN_ERROR_REASONS].filter((r) => !seen.has(r)), ['jwks_unavailable']);
});
