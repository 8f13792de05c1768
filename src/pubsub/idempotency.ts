export interface IdempotencyOptions {
  /** How long a key's result is kept (default 5 minutes). */
  windowMs?: number;
  /** Keys kept at most; beyond it the oldest are forgotten first (default 100,000). */
  maxKeys?: number;
}

interface Entry<T> {
  result: Promise<T>;
  expires: number;
}

/**
 * Results of commands by idempotency key, for a window: a command sent again with the same key
 * (a client retrying after a dropped connection, not knowing whether the first attempt was
 * written) gets the first attempt's result, and its operation does not run again; a repeat that
 * arrives while the first still runs waits for it. An attempt that failed as a whole (rejected)
 * is forgotten, so its retry runs. Memory is bounded by `maxKeys`: a key pushed out by newer ones
 * is no longer protected, which the documentation says (docs/protocol.md, "Produce").
 *
 * The cache lives in one process: a retry that reaches another proxy process is not recognised.
 */
export class IdempotencyCache<T> {
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly entries = new Map<string, Entry<T>>();
  /** Repeats answered from the cache since the start (metrics, tests). */
  repeats = 0;

  constructor(options: IdempotencyOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.entries.size;
  }

  run(key: string, op: () => Promise<T>, now = Date.now()): Promise<T> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expires > now) {
      this.repeats++;
      return hit.result;
    }
    if (hit !== undefined) this.entries.delete(key);
    this.prune(now);
    const result = op();
    const entry: Entry<T> = { result, expires: now + this.windowMs };
    this.entries.set(key, entry);
    result.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return result;
  }

  /** Drops expired keys from the oldest end, then the oldest beyond the bound. */
  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.expires > now && this.entries.size < this.maxKeys) break;
      this.entries.delete(k);
    }
  }
}
