/**
 * Keys and a tiny JWS signer of the tests' own (crypto.sign, written from RFC 7515/7518, sharing
 * nothing with src/server/auth), so a token's bytes are whatever a test says, forged ones
 * included. verify.test.ts checks this signer against jose, an independent implementation.
 */
import { constants, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { jwtConfigOf, type JwtConfig } from '../../../src/server/auth/index.js';

export type Alg = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/** A signing key: a private KeyObject, or an HMAC secret as bytes. */
export type SigningKey = KeyObject | Buffer;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly pem: string;
  readonly jwk: Record<string, unknown>;
}

function pair(kp: { privateKey: KeyObject; publicKey: KeyObject }): KeyPair {
  return {
    ...kp,
    pem: kp.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: kp.publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
  };
}

/** One of each kind, generated once per test file (RSA takes a while). */
export function makeKeys() {
  return {
    rsa: pair(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    rsa2: pair(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    p256: pair(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
    p384: pair(generateKeyPairSync('ec', { namedCurve: 'P-384' })),
    ed: pair(generateKeyPairSync('ed25519')),
    hmac: randomBytes(64),
  };
}
export type Keys = ReturnType<typeof makeKeys>;

export const b64u = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

const HASH: Record<Alg, string | null> = {
  HS256: 'sha256', HS384: 'sha384', HS512: 'sha512', RS256: 'sha256', RS384: 'sha384', RS512: 'sha512',
  PS256: 'sha256', ES256: 'sha256', ES384: 'sha384', EdDSA: null,
};

/** The JWS signature of `input` with `alg` (RFC 7518 §3); `pssSalt` overrides PS256's salt length. */
export function signBytes(alg: Alg, key: SigningKey, input: string, pssSalt = 32): Buffer {
  const data = Buffer.from(input);
  const hash = HASH[alg];
  if (alg.startsWith('HS')) return createHmac(hash!, key as Buffer).update(data).digest();
  const k = key as KeyObject;
  if (alg === 'PS256') return sign(hash, data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSalt });
  if (alg.startsWith('ES')) return sign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' });
  return sign(hash, data, k);
}

/** A compact JWS of exactly these header and payload texts. */
export function signRaw(alg: Alg, key: SigningKey, headerText: string, payloadText: string): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${b64u(signBytes(alg, key, input))}`;
}

/** A compact JWS of `payload`, the header `{alg, ...extra}`. */
export function signJwt(alg: Alg, key: SigningKey, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return signRaw(alg, key, JSON.stringify({ alg, ...extra }), JSON.stringify(payload));
}

/** 2023-11-14T22:13:20Z: every test runs at this time, passed to verify(). */
export const NOW_MS = 1_700_000_000_000;
export const NOW_S = NOW_MS / 1000;

/** Claims valid at NOW_MS for an hour. */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'alice', iat: NOW_S - 10, exp: NOW_S + 3600, ...extra };
}

export const FIELD = 'plugins.kafka-proxy.auth.jwt';

export function config(json: Record<string, unknown>): JwtConfig {
  return jwtConfigOf(json, FIELD);
}
