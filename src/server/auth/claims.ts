/**
 * The registered claims of a verified token (RFC 7519 §4.1): types of all of them, times with a
 * leeway for clocks that differ, issuer and audience when configured. Times are compared in
 * seconds, as the claims are written: `exp * 1000` of a huge exp would overflow to Infinity.
 */
import type { JwtConfig } from './config.js';
import { TokenError } from './errors.js';
import type { JsonRecord } from './json-segment.js';

/** What the claims say that a caller acts on. */
export interface CheckedClaims {
  /** `exp` in ms since the epoch, at most Number.MAX_SAFE_INTEGER; undefined without exp. */
  readonly expiresAtMs: number | undefined;
  readonly subject: string | undefined;
}

type ClaimRules = Pick<JwtConfig, 'leewayMs' | 'requireExp' | 'issuers' | 'audiences' | 'requiredClaims'>;

/** @throws {TokenError} malformed, missing_claim, expired, not_yet_valid, issued_in_future, wrong_issuer, wrong_audience. */
export function checkClaims(claims: JsonRecord, nowMs: number, rules: ClaimRules): CheckedClaims {
  const exp = numericDate(claims, 'exp');
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  const iss = stringClaim(claims, 'iss');
  const sub = stringClaim(claims, 'sub');
  stringClaim(claims, 'jti');
  const aud = claims['aud'];
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw new TokenError('malformed', 'the aud claim is not a string or an array of strings');
  }

  const now = nowMs / 1000;
  const leeway = rules.leewayMs / 1000;
  if (exp === undefined && rules.requireExp) throw new TokenError('missing_claim', 'the token has no exp claim (require_exp)');
  // RFC 7519 §4.1.4: the token must not be accepted "on or after" exp.
  if (exp !== undefined && now - leeway >= exp) throw new TokenError('expired', 'the token has expired');
  if (nbf !== undefined && now + leeway < nbf) throw new TokenError('not_yet_valid', 'the token is not valid yet (nbf)');
  if (iat !== undefined && now + leeway < iat) throw new TokenError('issued_in_future', 'the token was issued in the future (iat)');
  if (rules.issuers !== undefined && (iss === undefined || !rules.issuers.includes(iss))) {
    throw new TokenError('wrong_issuer', iss === undefined ? 'the token has no iss claim' : 'the token is from another issuer (iss)');
  }
  if (rules.audiences !== undefined) {
    const audiences = rules.audiences;
    const ok = typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && aud.some((a) => audiences.includes(a as string));
    if (!ok) throw new TokenError('wrong_audience', aud === undefined ? 'the token has no aud claim' : 'the token is meant for another audience (aud)');
  }
  for (const name of rules.requiredClaims) {
    const v = Object.hasOwn(claims, name) ? claims[name] : undefined;
    if (v === undefined || v === null) throw new TokenError('missing_claim', `the token has no ${JSON.stringify(name)} claim (required_claims)`);
  }
  return { expiresAtMs: exp === undefined ? undefined : Math.min(exp * 1000, Number.MAX_SAFE_INTEGER), subject: sub };
}

/** A NumericDate (RFC 7519 §2): any finite JSON number of seconds, fractions allowed. */
function numericDate(claims: JsonRecord, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  // JSON.parse reads 1e400 as Infinity: not a date.
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TokenError('malformed', `the ${name} claim is not a number of seconds`);
  return v;
}

function stringClaim(claims: JsonRecord, name: 'iss' | 'sub' | 'jti'): string | undefined {
  const v = claims[name];
  if (v !== undefined && typeof v !== 'string') throw new TokenError('malformed', `the ${name} claim is not a string`);
  return v;
}
