/**
 * A JWKS (RFC 7517 §5) kept in memory: loaded on first use, reloaded when its time is up, and
 * reloaded early when a token names a kid it does not hold (a key rotation), at most once per
 * `minRefreshMs` whatever the tokens say, so made-up kids cannot make the proxy hammer the
 * identity provider. A failed reload keeps the last good set: tokens keep verifying while the
 * provider is down. Only a cache that never loaded refuses tokens (`jwks_unavailable`).
 * No timers: reloads happen inside verify calls, so an idle route costs nothing and needs no close.
 */
import type { JwsAlgorithm } from './algorithms.js';
import { TokenError } from './errors.js';
import type { JwksLoader } from './jwks-sources.js';
import { importJwk, jwksAllowList, type VerifyKey } from './keys.js';

/** A JWKS with more keys than this is refused whole: real ones hold a handful. */
export const MAX_JWKS_KEYS = 100;

export type JwksEvent =
  | { readonly type: 'loaded'; readonly keys: number; readonly skipped: readonly string[] }
  | { readonly type: 'failed'; readonly error: TokenError; readonly keptKeys: number };

export interface JwksCacheOptions {
  readonly refreshMs: number;
  readonly minRefreshMs: number;
  /** Algorithms the JWKS keys may verify, on top of each key's own `alg`. */
  readonly algs: ReadonlySet<JwsAlgorithm> | undefined;
  /** Whether `oct` (HMAC) keys count: yes from a file; a JWKS URL is public, a secret in it is no secret. */
  readonly allowSecrets: boolean;
  readonly onEvent?: ((event: JwksEvent) => void) | undefined;
}

/**
 * The usable keys of a JWKS document. Keys that cannot be used (another kty or curve, `use: enc`,
 * a kid that is not a string, an alg we do not verify) are skipped and described in `skipped`.
 * @throws {Error} when the document is not a JWKS at all.
 */
export function parseJwks(text: string, algs: ReadonlySet<JwsAlgorithm> | undefined, allowSecrets: boolean): { keys: VerifyKey[]; skipped: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the JWKS is not JSON');
  }
  const list = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list) || !Object.hasOwn(doc as object, 'keys')) throw new Error('the JWKS has no "keys" array');
  if (list.length > MAX_JWKS_KEYS) throw new Error(`the JWKS has more than ${MAX_JWKS_KEYS} keys`);
  const keys: VerifyKey[] = [];
  const skipped: string[] = [];
  for (const [i, jwk] of list.entries()) {
    const skip = (why: string) => skipped.push(`keys[${i}] ${why}`);
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      skip('is not an object');
      continue;
    }
    const member = (name: string): unknown => (Object.hasOwn(jwk, name) ? (jwk as Record<string, unknown>)[name] : undefined);
    const kid = member('kid');
    if (kid !== undefined && typeof kid !== 'string') {
      skip('has a kid that is not a string');
      continue;
    }
    if (member('kty') === 'oct' && !allowSecrets) {
      skip('is a secret (kty oct), accepted only from a JWKS file');
      continue;
    }
    const imported = importJwk({ kty: member('kty'), n: member('n'), e: member('e'), crv: member('crv'), x: member('x'), y: member('y'), k: member('k'), d: member('d'), use: member('use'), key_ops: member('key_ops') });
    if (!imported.ok) {
      skip(imported.problem);
      continue;
    }
    const allowed = jwksAllowList(imported.value, member('alg'), algs);
    if (!allowed.ok) {
      skip(allowed.problem);
      continue;
    }
    keys.push({ kid, algs: allowed.value, ...imported.value });
  }
  return { keys, skipped };
}

export class JwksCache {
  readonly #load: JwksLoader;
  readonly #options: JwksCacheOptions;
  #keys: readonly VerifyKey[] | undefined;
  #expiresAtMs = 0;
  #lastAttemptMs = Number.NEGATIVE_INFINITY;
  #lastError: TokenError | undefined;
  #inflight: Promise<void> | undefined;

  constructor(load: JwksLoader, options: JwksCacheOptions) {
    this.#load = load;
    this.#options = options;
  }

  /**
   * The current keys. A cache past its time starts a reload in the background and answers with
   * the keys it has; an empty one waits for its first load.
   * @throws {TokenError} `jwks_unavailable` when no JWKS was ever loaded.
   */
  async keys(nowMs: number): Promise<readonly VerifyKey[]> {
    if (this.#keys !== undefined) {
      if (nowMs >= this.#expiresAtMs && this.#mayLoad(nowMs)) void this.#reload(nowMs);
      return this.#keys;
    }
    if (this.#inflight !== undefined) await this.#inflight;
    else if (this.#mayLoad(nowMs)) await this.#reload(nowMs);
    if (this.#keys !== undefined) return this.#keys;
    throw this.#lastError ?? new TokenError('jwks_unavailable', 'the JWKS is not loaded yet');
  }

  /**
   * Reloads for a kid not in the set, unless a load ran less than `minRefreshMs` ago; a load
   * already running is waited for instead of starting another. Returns whether keys may have
   * changed (the caller looks again).
   */
  async refreshForUnknownKid(nowMs: number): Promise<boolean> {
    if (this.#inflight !== undefined) {
      await this.#inflight;
      return true;
    }
    if (!this.#mayLoad(nowMs)) return false;
    await this.#reload(nowMs);
    return true;
  }

  #mayLoad(nowMs: number): boolean {
    return this.#inflight === undefined && nowMs - this.#lastAttemptMs >= this.#options.minRefreshMs;
  }

  /** One load; never rejects (the outcome is in the cache's state). */
  #reload(nowMs: number): Promise<void> {
    this.#lastAttemptMs = nowMs;
    const run = async () => {
      const o = this.#options;
      let event: JwksEvent;
      try {
        const doc = await this.#load();
        const { keys, skipped } = parseJwks(doc.text, o.algs, o.allowSecrets);
        this.#keys = keys;
        this.#lastError = undefined;
        // The source's own max-age when it gives one, but never reloading more often than the
        // rate limit allows nor keeping a set longer than the operator's refresh interval.
        const ttl = doc.maxAgeMs === undefined ? o.refreshMs : Math.min(o.refreshMs, Math.max(o.minRefreshMs, doc.maxAgeMs));
        this.#expiresAtMs = nowMs + ttl;
        event = { type: 'loaded', keys: keys.length, skipped };
      } catch (err) {
        const why = err instanceof Error ? err.message : 'unknown error';
        this.#lastError = new TokenError('jwks_unavailable', `JWKS unavailable: ${why}`, { cause: err });
        event = { type: 'failed', error: this.#lastError, keptKeys: this.#keys?.length ?? 0 };
      } finally {
        this.#inflight = undefined;
      }
      try {
        o.onEvent?.(event);
      } catch {
        // A listener that throws (a logger's bug) must not undo a load that worked.
      }
    };
    this.#inflight = run();
    return this.#inflight;
  }
}
