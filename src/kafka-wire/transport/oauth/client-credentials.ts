import { OAuthTokenError, type OAuthTokenErrorCode } from '../errors.js';
import type { OAuthToken, OAuthTokenProvider } from './token.js';

export interface ClientCredentialsOptions {
  /** The token endpoint, http: or https: (http only where the network is trusted: the secret travels in it). */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes asked for (`scope`, RFC 6749 §3.3); none by default. */
  scope?: string;
  /** Sent as `audience` (Auth0, Okta and others name the API the token is for this way); none by default. */
  audience?: string;
  /**
   * How the client authenticates (RFC 6749 §2.3.1): `basic` (default; the scheme every server
   * must support) sends `Authorization: Basic` of the form-encoded id and secret; `body` sends
   * `client_id` and `client_secret` as form fields.
   */
  clientAuthentication?: 'basic' | 'body';
  /** For the whole request, response body included (default 10 000 ms). */
  timeoutMs?: number;
  /** Part of the token's lifetime after which it is replaced (default 0.8). */
  refreshRatio?: number;
  /** A token is replaced at least this long before it expires (default 30 000 ms), but never before half its lifetime. */
  refreshMarginMs?: number;
  /** Reuse of a token whose lifetime the endpoint does not tell (no expires_in, no JWT exp), in ms (default 60 000). */
  unknownLifetimeMs?: number;
  /** Largest response body read (default 1 MiB). */
  maxResponseBytes?: number;
  /**
   * Called when replacing a token failed while the old one was still valid and was handed out
   * instead (the error is not thrown then). The error holds no secret.
   */
  onRefreshError?: (error: OAuthTokenError) => void;
}

const DEFAULTS = { timeoutMs: 10_000, refreshRatio: 0.8, refreshMarginMs: 30_000, unknownLifetimeMs: 60_000, maxResponseBytes: 1024 * 1024 };
/** RFC 6750 §2.1 b64token, which Kafka's OAUTHBEARER server insists on. */
const BEARER_TOKEN = /^[-._~+/A-Za-z0-9]+=*$/;
const MAX_SERVER_TEXT = 200;

interface Cached {
  token: OAuthToken;
  refreshAtMs: number;
}

/**
 * A token provider for the OAuth 2.0 client credentials grant (RFC 6749 §4.4) over Node's
 * global fetch. It keeps the token and asks for a new one once `refreshRatio` of its lifetime
 * has passed (from `expires_in`, else the JWT's `exp`), at least `refreshMarginMs` before it
 * expires; callers meanwhile get the kept one, and concurrent callers share one request. When
 * replacing fails but the old token is still valid, the old one is handed out (onRefreshError).
 * Redirects are not followed: the secret goes to `tokenUrl` only.
 * @throws OAuthTokenError KWIRE_ERR_OAUTH_CONFIG at once for unusable options; the provider
 *   rejects with OAuthTokenError (UNREACHABLE, TIMEOUT, REFUSED, RESPONSE).
 */
export function clientCredentialsTokenProvider(options: ClientCredentialsOptions): OAuthTokenProvider {
  const o = { ...DEFAULTS, ...options };
  const url = tokenUrlOf(o.tokenUrl);
  const endpoint = `${url.origin}${url.pathname}`;
  const configFail = (message: string): never => {
    throw new OAuthTokenError('KWIRE_ERR_OAUTH_CONFIG', { endpoint, message });
  };
  if (typeof o.clientId !== 'string' || o.clientId === '') configFail('clientId must be a non-empty string');
  if (typeof o.clientSecret !== 'string') configFail('clientSecret must be a string');
  if (!(o.refreshRatio > 0 && o.refreshRatio <= 1)) configFail('refreshRatio must be in (0, 1]');
  for (const k of ['timeoutMs', 'refreshMarginMs', 'unknownLifetimeMs', 'maxResponseBytes'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0) configFail(`${k} must be a number >= 0`);
  }

  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (o.scope !== undefined && o.scope !== '') form.set('scope', o.scope);
  if (o.audience !== undefined && o.audience !== '') form.set('audience', o.audience);
  if (o.clientAuthentication === 'body') {
    form.set('client_id', o.clientId);
    form.set('client_secret', o.clientSecret);
  } else {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    headers.set('authorization', `Basic ${Buffer.from(`${formEncode(o.clientId)}:${formEncode(o.clientSecret)}`, 'utf8').toString('base64')}`);
  }
  const body = form.toString();

  let cached: Cached | undefined;
  let inflight: Promise<OAuthToken> | undefined;
  const refresh = (): Promise<OAuthToken> => {
    inflight ??= fetchToken(url, endpoint, headers, body, o).then((c) => {
      cached = c;
      return c.token;
    }).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return async () => {
    const kept = cached;
    if (kept !== undefined && Date.now() < kept.refreshAtMs) return kept.token;
    try {
      return await refresh();
    } catch (e) {
      const expiresAt = kept?.token.expiresAtMs;
      if (expiresAt !== undefined && Date.now() < expiresAt && e instanceof OAuthTokenError) {
        o.onRefreshError?.(e);
        return kept!.token;
      }
      throw e;
    }
  };

  function formEncode(s: string): string {
    return new URLSearchParams({ v: s }).toString().slice(2);
  }
}

function tokenUrlOf(tokenUrl: string): URL {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new OAuthTokenError('KWIRE_ERR_OAUTH_CONFIG', { endpoint: '(invalid)', message: 'tokenUrl is not an absolute URL' });
  }
  const endpoint = `${url.origin}${url.pathname}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OAuthTokenError('KWIRE_ERR_OAUTH_CONFIG', { endpoint, message: 'tokenUrl must be http: or https:' });
  }
  if (url.username !== '' || url.password !== '') {
    throw new OAuthTokenError('KWIRE_ERR_OAUTH_CONFIG', { endpoint, message: 'tokenUrl must not hold credentials: give clientId and clientSecret' });
  }
  return url;
}

type Settings = typeof DEFAULTS & ClientCredentialsOptions;

/** One token request (RFC 6749 §4.4.2) and its answer (§5.1 success, §5.2 error). */
async function fetchToken(url: URL, endpoint: string, headers: Headers, body: string, o: Settings): Promise<Cached> {
  const fail = (code: OAuthTokenErrorCode, message: string, extra: { httpStatus?: number; oauthError?: string | null; oauthErrorDescription?: string | null; cause?: unknown } = {}): OAuthTokenError =>
    new OAuthTokenError(code, { endpoint, message, ...extra });
  const sentAt = Date.now();
  const signal = AbortSignal.timeout(o.timeoutMs);
  let text: string;
  let status: number;
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    status = res.status;
    if (status >= 300 && status < 400) {
      await res.body?.cancel();
      throw fail('KWIRE_ERR_OAUTH_REFUSED', `HTTP ${status}: redirects are not followed (the client secret goes to tokenUrl only)`, { httpStatus: status });
    }
    text = await readCapped(res, o.maxResponseBytes, () => fail('KWIRE_ERR_OAUTH_RESPONSE', `the response body exceeds ${o.maxResponseBytes} bytes`, { httpStatus: status }));
  } catch (e) {
    if (e instanceof OAuthTokenError) throw e;
    if (signal.aborted) throw fail('KWIRE_ERR_OAUTH_TIMEOUT', `no complete answer within ${o.timeoutMs} ms`, { cause: e });
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (e as Error).message;
    throw fail('KWIRE_ERR_OAUTH_UNREACHABLE', `unreachable (${clean(String(why), o.clientSecret)})`, { cause: e });
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const field = (k: string): unknown => (typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>)[k] : undefined);

  if (status < 200 || status > 299) {
    const error = field('error');
    const description = field('error_description');
    const oauthError = typeof error === 'string' ? clean(error, o.clientSecret) : null;
    const oauthErrorDescription = typeof description === 'string' ? clean(description, o.clientSecret) : null;
    const detail = oauthError === null ? '' : `: ${oauthError}${oauthErrorDescription === null ? '' : ` (${oauthErrorDescription})`}`;
    throw fail('KWIRE_ERR_OAUTH_REFUSED', `HTTP ${status}${detail}`, { httpStatus: status, oauthError, oauthErrorDescription });
  }
  if (json === undefined) throw fail('KWIRE_ERR_OAUTH_RESPONSE', `HTTP ${status} with a body that is not JSON`, { httpStatus: status });
  const accessToken = field('access_token');
  if (typeof accessToken !== 'string' || accessToken === '') throw fail('KWIRE_ERR_OAUTH_RESPONSE', 'the response has no access_token', { httpStatus: status });
  if (!BEARER_TOKEN.test(accessToken)) throw fail('KWIRE_ERR_OAUTH_RESPONSE', 'access_token is not an RFC 6750 bearer token', { httpStatus: status });
  const tokenType = field('token_type');
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw fail('KWIRE_ERR_OAUTH_RESPONSE', `token_type ${typeof tokenType === 'string' ? JSON.stringify(clean(tokenType, o.clientSecret)) : `(a ${typeof tokenType})`} is not Bearer`, { httpStatus: status });
  }
  const lifetimeMs = lifetimeOf(field('expires_in'), accessToken, sentAt);
  if (lifetimeMs === 'invalid') throw fail('KWIRE_ERR_OAUTH_RESPONSE', 'expires_in is not a positive number of seconds', { httpStatus: status });
  if (lifetimeMs === undefined) return { token: { value: accessToken }, refreshAtMs: sentAt + o.unknownLifetimeMs };
  const refreshInMs = Math.max(lifetimeMs / 2, Math.min(lifetimeMs * o.refreshRatio, lifetimeMs - o.refreshMarginMs));
  // Times count from when the request was sent, so a slow answer errs on the early side.
  return { token: { value: accessToken, expiresAtMs: sentAt + lifetimeMs }, refreshAtMs: sentAt + refreshInMs };
}

/** The token's lifetime in ms: expires_in (a number, or a numeric string as some servers send), else the JWT's exp. */
function lifetimeOf(expiresIn: unknown, accessToken: string, sentAt: number): number | 'invalid' | undefined {
  if (expiresIn !== undefined && expiresIn !== null) {
    const seconds = typeof expiresIn === 'string' && /^\d+(\.\d+)?$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return 'invalid';
    return seconds * 1000;
  }
  const exp = jwtExpiry(accessToken);
  return exp === undefined || exp <= sentAt ? undefined : exp - sentAt;
}

/** `exp` of a JWT (RFC 7519 §4.1.4, seconds) in ms, read without verifying anything; undefined when it is no JWT. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>)['exp'] : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The body as text, reading at most `max` bytes. */
async function readCapped(res: Response, max: number, tooLarge: () => Error): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Text from the endpoint fit for a message: without the secret, printable ASCII, cut short. */
function clean(s: string, secret: string): string {
  const text = (secret === '' ? s : s.replaceAll(secret, '[secret]')).replace(/[^\x20-\x7E]/g, '?');
  return text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}...` : text;
}
