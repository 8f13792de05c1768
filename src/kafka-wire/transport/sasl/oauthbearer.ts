import { SaslCredentialsFailure, SaslProtocolFailure, type OAuthBearerServerError, type SaslSession } from './mechanism.js';

/** ^A, RFC 7628's separator of key/value pairs; also the client's whole answer to an error challenge. */
const KVSEP = '\x01';
/**
 * The forms Kafka's OAuthBearerClientInitialResponse accepts: the token as RFC 6750's b64token,
 * extension names of letters, values of VCHAR, space, tab, CR, LF. Anything else would let a
 * token or value smuggle in ^A and with it extra key/value pairs, so it is refused before sending.
 */
const TOKEN = /^[-._~+/A-Za-z0-9]+=*$/;
const EXTENSION_NAME = /^[A-Za-z]+$/;
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]+$/;
/** Server text kept in errors: printable ASCII only, cut, so a hostile challenge cannot flood a log line. */
const MAX_SERVER_TEXT = 200;

/**
 * RFC 7628 §3.1 client initial response as Kafka builds and parses it (KIP-255, extensions
 * KIP-342): gs2 header `n,,` (no channel binding, no authzid), then
 * `^Aauth=Bearer <token>` and `^A<name>=<value>` per extension, closed by `^A^A`.
 * @throws SaslCredentialsFailure naming the problem (never the token or a value).
 */
export function oauthBearerInitialResponse(token: string, extensions: Readonly<Record<string, string>> = {}): Buffer {
  if (!TOKEN.test(token)) {
    throw new SaslCredentialsFailure(token === ''
      ? 'the token is empty'
      : `the token (${token.length} characters) is not an RFC 6750 bearer token: only A-Z a-z 0-9 - . _ ~ + / and trailing = are allowed`);
  }
  let pairs = '';
  for (const [i, [name, value]] of Object.entries(extensions).entries()) {
    // The name is quoted only once it is known to be letters: a misplaced secret is not.
    if (!EXTENSION_NAME.test(name)) throw new SaslCredentialsFailure(`extension #${i + 1}: a name must be ASCII letters only`);
    if (name === 'auth') throw new SaslCredentialsFailure('extension "auth" is reserved for the token');
    if (typeof value !== 'string' || !EXTENSION_VALUE.test(value)) {
      throw new SaslCredentialsFailure(`extension ${name}: the value must be 1 or more of printable ASCII, space, tab, CR, LF`);
    }
    pairs += `${KVSEP}${name}=${value}`;
  }
  return Buffer.from(`n,,${KVSEP}auth=Bearer ${token}${pairs}${KVSEP}${KVSEP}`, 'utf8');
}

/**
 * Reads a server's error challenge (RFC 7628 §3.2.2: a JSON object with `status`, and maybe
 * `scope` and `openid-configuration`). Never throws: fields that are absent, not strings, or not
 * JSON at all come back null. `secret` (the token sent) is replaced wherever the server echoes it.
 */
export function parseOAuthBearerChallenge(challenge: Buffer, secret?: string): OAuthBearerServerError {
  let o: unknown;
  try {
    o = JSON.parse(challenge.toString('utf8'));
  } catch {
    o = undefined;
  }
  const field = (k: string): string | null => {
    if (typeof o !== 'object' || o === null) return null;
    const v = (o as Record<string, unknown>)[k];
    return typeof v === 'string' ? serverText(v, secret) : null;
  };
  return { status: field('status'), scope: field('scope'), openidConfiguration: field('openid-configuration') };
}

/**
 * `text` with every occurrence of `secret` replaced by "[token]". A secret under 8 characters is
 * left alone: no real token is that short, and replacing it would garble ordinary words.
 */
export function redactToken(text: string, secret: string | undefined): string {
  return secret !== undefined && secret.length >= 8 ? text.replaceAll(secret, '[token]') : text;
}

/** Text from the server fit for an error message: without `secret`, printable ASCII, cut short. */
export function serverText(s: string, secret?: string): string {
  const clean = redactToken(s, secret).replace(/[^\x20-\x7E]/g, '?');
  return clean.length > MAX_SERVER_TEXT ? `${clean.slice(0, MAX_SERVER_TEXT)}...` : clean;
}

/**
 * One OAUTHBEARER login. A successful server answers the initial response with an empty token.
 * A refusing one sends its error JSON as a challenge; RFC 7628 §3.2.3 has the client answer
 * `^A` alone, after which Kafka fails the authentication (SASL_AUTHENTICATION_FAILED). The
 * challenge is kept for the error (`serverError`), the token is not.
 */
export function oauthBearerSession(token: string, extensions?: Readonly<Record<string, string>>): SaslSession {
  const initial = oauthBearerInitialResponse(token, extensions);
  let challenged: OAuthBearerServerError | null = null;
  return {
    initial: () => initial,
    respond(serverToken) {
      if (challenged !== null) throw new SaslProtocolFailure('the server went on after its error challenge instead of failing the login');
      if (serverToken.length === 0) return null;
      challenged = parseOAuthBearerChallenge(serverToken, token);
      return Buffer.from(KVSEP, 'latin1');
    },
    serverError: () => challenged,
  };
}
