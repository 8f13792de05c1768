/**
 * JWT verification (RFC 7519 over JWS compact form, RFC 7515) with node:crypto only. The order
 * of checks is the order of cost: size, shape, header, key choice, signature, and only then the
 * payload's JSON and claims, so a forged token costs one signature check at most per candidate
 * key and its payload is never parsed. Embedded or remote keys named by a header (`jwk`, `jku`,
 * `x5u`, `x5c`) are ignored: only configured keys verify.
 */
import { isAlgorithm, verifySignature, type JwsAlgorithm } from './algorithms.js';
import { decodeBase64url } from './base64url.js';
import { checkClaims } from './claims.js';
import type { JwtConfig } from './config.js';
import { TokenError } from './errors.js';
import { JwksCache, type JwksEvent } from './jwks.js';
import { fileLoader, urlLoader } from './jwks-sources.js';
import { parseJsonObject, type JsonRecord } from './json-segment.js';
import type { VerifyKey } from './keys.js';

export interface VerifiedToken {
  /** The payload; null-prototype objects throughout. */
  readonly claims: JsonRecord;
  /** The protected header; null-prototype objects throughout. */
  readonly header: JsonRecord;
  /** `exp` in ms since the epoch (at most Number.MAX_SAFE_INTEGER); undefined without exp. */
  readonly expiresAtMs: number | undefined;
  /** The `sub` claim. */
  readonly subject: string | undefined;
}

export interface JwtVerifier {
  /**
   * Verifies a JWS compact token at time `nowMs` (ms since the epoch; default now).
   * @throws {TokenError} with the reason it was refused; never quoting the token.
   */
  verify(token: string, nowMs?: number): Promise<VerifiedToken>;
  /** Loads the JWKS now (nothing without one), so a wrong URL shows before the first client does. @throws {TokenError} jwks_unavailable */
  ready(nowMs?: number): Promise<void>;
}

export interface VerifierOptions {
  /** Each JWKS load, good or failed (for logs and metrics). */
  readonly onJwksEvent?: (event: JwksEvent) => void;
}

function malformed(message: string): TokenError {
  return new TokenError('malformed', message);
}

/** A verifier for a validated configuration (config.ts `jwtConfigOf`). */
export function createVerifier(config: JwtConfig, options: VerifierOptions = {}): JwtVerifier {
  const cache = config.jwks === undefined
    ? undefined
    : new JwksCache(config.jwks.kind === 'url' ? urlLoader(config.jwks.url, config.jwksTimeoutMs) : fileLoader(config.jwks.path), {
      refreshMs: config.jwksRefreshMs,
      minRefreshMs: config.jwksMinRefreshMs,
      algs: config.jwksAlgs,
      allowSecrets: config.jwks.kind === 'file',
      onEvent: options.onJwksEvent,
    });
  const byKid = new Map<string, VerifyKey[]>();
  for (const k of config.keys) if (k.kid !== undefined) byKid.set(k.kid, [...(byKid.get(k.kid) ?? []), k]);
  const withoutKid = config.keys.filter((k) => k.kid === undefined);

  /** The keys that may verify a token with this alg and kid, in the order to try them. */
  async function candidates(alg: JwsAlgorithm, kid: string | undefined, nowMs: number): Promise<readonly VerifyKey[]> {
    if (kid === undefined) {
      // No kid: every key allowing the alg. The JWKS is optional here when a static key may do.
      let all: readonly VerifyKey[] = config.keys;
      if (cache !== undefined) {
        try {
          all = all.concat(await cache.keys(nowMs));
        } catch (err) {
          if (!config.keys.some((k) => k.algs.has(alg))) throw err;
        }
      }
      return allowing(all, alg);
    }
    const own = byKid.get(kid);
    if (own !== undefined) return allowing(own, alg);
    let jwksError: unknown;
    if (cache !== undefined) {
      try {
        let named = (await cache.keys(nowMs)).filter((k) => k.kid === kid);
        // An unknown kid is how a rotation shows: look once more, within the rate limit.
        if (named.length === 0 && (await cache.refreshForUnknownKid(nowMs))) named = (await cache.keys(nowMs)).filter((k) => k.kid === kid);
        if (named.length > 0) return allowing(named, alg);
      } catch (err) {
        jwksError = err;
      }
    }
    // A static key without a kid takes tokens whatever their kid: a single-key setup need not agree on names.
    if (withoutKid.length > 0) return allowing(withoutKid, alg);
    if (jwksError !== undefined) throw jwksError;
    throw new TokenError('unknown_kid', 'no key has the token\'s kid');
  }

  return {
    async verify(token: string, nowMs: number = Date.now()): Promise<VerifiedToken> {
      if (typeof token !== 'string') throw malformed('the token is not a string');
      if (token.length > config.maxTokenBytes) throw new TokenError('too_large', `the token is longer than ${config.maxTokenBytes} bytes (max_token_bytes)`);
      const dot1 = token.indexOf('.');
      const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1);
      if (dot2 === -1 || token.indexOf('.', dot2 + 1) !== -1) throw malformed('the token is not three dot-separated segments (JWS compact form)');
      const headerBytes = decodeBase64url(token, 0, dot1);
      if (headerBytes === undefined) throw malformed('the header is not unpadded base64url');
      const header = parseJsonObject(headerBytes);
      if (header === undefined) throw malformed('the header is not a JSON object');
      const alg = header['alg'];
      if (typeof alg !== 'string') throw malformed('the header has no alg');
      if (!isAlgorithm(alg)) throw new TokenError('unsupported_alg', alg.toLowerCase() === 'none' ? 'unsigned tokens (alg none) are never accepted' : 'the token\'s alg is not supported');
      // RFC 7515 §4.1.11: extensions listed in crit must be understood; we understand none.
      if (header['crit'] !== undefined) throw malformed('the header has crit, naming extensions this verifier does not support');
      const kid = header['kid'];
      if (kid !== undefined && typeof kid !== 'string') throw malformed('the header\'s kid is not a string');
      const payloadBytes = decodeBase64url(token, dot1 + 1, dot2);
      if (payloadBytes === undefined) throw malformed('the payload is not unpadded base64url');
      const signature = decodeBase64url(token, dot2 + 1, token.length);
      if (signature === undefined) throw malformed('the signature is not unpadded base64url');

      const keys = await candidates(alg, kid, nowMs);
      // Every character before dot2 is base64url or a dot (checked above): latin1 is the ASCII bytes.
      const signed = Buffer.from(token.slice(0, dot2), 'latin1');
      let verified = false;
      for (const k of keys) if ((verified = await verifies(alg, k, signed, signature))) break;
      if (!verified) throw new TokenError('bad_signature', 'the signature does not verify');

      const claims = parseJsonObject(payloadBytes);
      if (claims === undefined) throw malformed('the payload is not a JSON object');
      const checked = checkClaims(claims, nowMs, config);
      return { claims, header, expiresAtMs: checked.expiresAtMs, subject: checked.subject };
    },

    async ready(nowMs: number = Date.now()): Promise<void> {
      if (cache !== undefined) await cache.keys(nowMs);
    },
  };
}

function allowing(keys: readonly VerifyKey[], alg: JwsAlgorithm): readonly VerifyKey[] {
  const out = keys.filter((k) => k.algs.has(alg));
  if (out.length === 0) throw new TokenError('alg_not_allowed', 'no key that could verify the token allows its alg');
  return out;
}

async function verifies(alg: JwsAlgorithm, k: VerifyKey, signed: Buffer, signature: Buffer): Promise<boolean> {
  try {
    return await verifySignature(alg, k.key, k.signatureBytes, signed, signature);
  } catch {
    // OpenSSL refusing a signature it cannot even parse is a signature that does not verify.
    return false;
  }
}
