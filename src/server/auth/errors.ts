/**
 * Why a token was refused. One class, one code (`SERVER_ERR_TOKEN`), the reason as data: callers
 * match on `reason`, people read the message. The token is attacker-controlled, so neither the
 * message nor any property quotes it or anything taken from it (kid, iss, aud), and no key
 * material appears either: a refused token may be logged as is.
 */
import { ProxyError } from '../errors.js';

export const TOKEN_ERROR_REASONS = [
  'malformed', // not three base64url segments of JSON objects, bad padding, a crit header, a claim of the wrong type
  'too_large', // longer than max_token_bytes; refused before any parsing
  'unsupported_alg', // `none`, or an alg this verifier does not implement
  'alg_not_allowed', // a known alg that no key (or not the key named by kid) allows
  'unknown_kid', // no key has the token's kid, also after a JWKS refresh
  'bad_signature', // the signature does not verify with the chosen key
  'expired', // exp is before now, beyond the leeway
  'not_yet_valid', // nbf is after now, beyond the leeway
  'issued_in_future', // iat is after now, beyond the leeway
  'missing_claim', // exp (require_exp) or a required_claims name is absent
  'wrong_issuer', // issuer configured and iss absent or not one of them
  'wrong_audience', // audience configured and no aud value among them
  'jwks_unavailable', // the JWKS has never been loaded successfully
] as const;

export type TokenErrorReason = (typeof TOKEN_ERROR_REASONS)[number];

/** A token refused by the JWT verifier (`src/server/auth/verifier.ts`). */
export class TokenError extends ProxyError {
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason, message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_TOKEN', message, options);
    this.name = 'TokenError';
    this.reason = reason;
  }
}
