/**
 * The client's token: handed to each new connection, and, when it comes from a function,
 * refreshed in band before it expires so that long-lived subscriptions never see it lapse.
 */

/** A token, or a function the client calls for a new one (each connection, each refresh). */
export type TokenSource = string | (() => string | Promise<string>);

/** Retries of a failed refresh: soon enough to make it before `exp`, never in a tight loop. */
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class TokenKeeper {
  private readonly source: TokenSource;
  private readonly refreshBeforeMs: number;
  private readonly refresh: () => Promise<void>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** When the token the proxy last accepted expires (ms since the epoch); Infinity when unknown or never. */
  private expiresAtMs = Infinity;

  constructor(source: TokenSource, refreshBeforeMs: number, refresh: () => Promise<void>) {
    this.source = source;
    this.refreshBeforeMs = refreshBeforeMs;
    this.refresh = refresh;
  }

  /** A token to present now. */
  async fresh(): Promise<string> {
    const t = typeof this.source === 'string' ? this.source : await this.source();
    if (typeof t !== 'string' || t === '') throw new TypeError('the token function gave no token');
    return t;
  }

  /**
   * The proxy took `token`, valid until `expiresAtMs` (its answer to cmd_authenticate; 0n: no
   * expiry), or, after an upgrade, which answers nothing, until the token's own `exp`. A function
   * source is called again `refreshBeforeMs` before that (at most half the time that is left).
   */
  accepted(token: string, expiresAtMs: bigint | undefined): void {
    this.expiresAtMs = expiresAtMs === undefined ? expiryOf(token) : expiresAtMs === 0n ? Infinity : Number(expiresAtMs);
    if (typeof this.source === 'string' || this.stopped) return;
    const left = this.expiresAtMs - Date.now();
    if (!Number.isFinite(left)) return;
    this.schedule(Math.max(0, left - Math.min(this.refreshBeforeMs, left / 2)));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.refresh().catch(() => {
        // Try again while the current token lasts; after that the proxy closes the connection
        // and the next connection calls the function anyway.
        const left = this.expiresAtMs - Date.now();
        if (left > MIN_RETRY_MS && !this.stopped) this.schedule(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, left / 2)));
      });
    }, Math.min(ms, 0x7fffffff));
    // Node: a pending refresh must not keep the process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  }
}

/** A JWT's `exp` in ms since the epoch, read without verifying (the proxy verifies); Infinity if none. */
export function expiryOf(token: string): number {
  const parts = token.split('.');
  if (parts.length !== 3) return Infinity;
  try {
    const b64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}
