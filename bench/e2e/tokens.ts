/**
 * Keys, tokens and topic rules of the identity benchmarks (upgrades.ts, authz.ts, ../authz-check.ts).
 * A JWS is signed here with node:crypto directly (RFC 7515 compact form), sharing nothing with the
 * proxy's verifier.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const ISSUER = 'https://idp.bench.example';
export const AUDIENCE = 'kafka-ws-proxy';

/**
 * Ten consume rules as a multi-tenant route might have them, templated from `sub` and `tenant`.
 * The benchmark topics are allowed by the last one, so a check of them walks every glob before it.
 */
export const AUTHZ_RULES: readonly string[] = [
  'orders.{sub}',
  '{claims.tenant}.*',
  'payments.{sub}',
  'bench-{sub}-*',
  'tenant-{claims.tenant}.events.?',
  'audit.{claims.tenant}',
  'metrics.*.{sub}',
  'shared.announcements',
  'shared.status-*',
  'bench-*-*',
];

/** Claims of benchmark client `i`: its own subject, one tenant. */
export function authzClaims(i: number): Record<string, unknown> {
  return { sub: `user-${i}`, tenant: 'acme' };
}

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export interface RsaKey {
  privateKey: KeyObject;
  /** SPKI PEM of the public key, for the route's `auth.jwt.keys`. */
  publicPem: string;
  /** PKCS#8 PEM of the private key, to hand to a client process. */
  privatePem: string;
}

export function rsaKey(): RsaKey {
  const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: kp.privateKey,
    publicPem: kp.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** An RS256 access token for `claims` with the bench's issuer and audience, valid for `ttlS`. */
export function rs256(key: KeyObject | string, kid: string, claims: Record<string, unknown>, ttlS = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64u(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + ttlS, ...claims }))}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** An HS256 token of exactly `payload`. */
export function hs256(secret: Buffer, payload: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'k1' }))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A route's `auth` for `key` (RS256, issuer and audience checked, the token in the subprotocol). */
export function rs256Auth(key: RsaKey, kid: string): Record<string, unknown> {
  return { jwt: { keys: [{ kid, alg: 'RS256', pem: key.publicPem }], issuer: ISSUER, audience: AUDIENCE } };
}
