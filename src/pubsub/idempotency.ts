export interface IdempotencyOptions<T> {
  /** How long a key's result is kept (default 5 minutes). */
  windowMs?: number;
  /** Keys kept at most; beyond it the oldest are forgotten first (default 100,000). */
  maxKeys?: number;
  /** Bytes the kept results and keys may take, estimated with `sizeOf`; beyond it the oldest go first (default 64 MiB). */
  maxBytes?: number;
  /** A result's size in bytes, for `maxBytes` (default 0: only its key counts). */
  sizeOf?: (result: T) => number;
  /**
   * Whether a result is kept for repeats (default: every one). A result that says nothing was
   * written can be dropped, so that a retry runs instead of repeating the failure.
   */
  keep?: (result: T) => boolean;
}

interface Entry<T> {
  result: Promise<T>;
  expires: number;
  /** Bytes counted for it once its result is in (0 while it runs). */
  bytes: number;
}

/** What a key costs beside its characters: the map entry, the object, the promise. */
const ENTRY_OVERHEAD = 160;

/**
 * Results of commands by idempotency key, for a window: a command sent again with the same key
 * (a client retrying after a dropped connection, not knowing whether the first attempt was
 * written) gets the first attempt's result, and its operation does not run again; a repeat that
 * arrives while the first still runs waits for it. An attempt that failed as a whole (rejected),
 * or whose result `keep` refuses, is forgotten, so its retry runs. Memory is bounded by `maxKeys`
 * and `maxBytes`: a key pushed out by newer ones is no longer protected, which the documentation
 * says (docs/protocol.md, "Produce").
 *
 * The cache lives in one process: a retry that reaches another proxy process is not recognised.
 */
export class IdempotencyCache<T> {
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly maxBytes: number;
  private readonly sizeOf: (result: T) => number;
  private readonly keep: (result: T) => boolean;
  private readonly entries = new Map<string, Entry<T>>();
  private heldBytes = 0;
  /** Repeats answered from the cache since the start (metrics, tests). */
  repeats = 0;

  constructor(options: IdempotencyOptions<T> = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.sizeOf = options.sizeOf ?? (() => 0);
    this.keep = options.keep ?? (() => true);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes counted for the results kept now. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** The window this cache was made with (a route update that changes it gets a new cache). */
  get window(): number {
    return this.windowMs;
  }

  /**
   * `op()`'s result, or the result of the run under `key` within the window (`hit` is told which).
   * Rejects as `op()` does.
   */
  run(key: string, op: () => Promise<T>, now = Date.now(), hit?: () => void): Promise<T> {
    const found = this.entries.get(key);
    if (found !== undefined && found.expires > now) {
      this.repeats++;
      hit?.();
      return found.result;
    }
    if (found !== undefined) this.remove(key, found);
    this.prune(now);
    const result = op();
    const entry: Entry<T> = { result, expires: now + this.windowMs, bytes: 0 };
    this.entries.set(key, entry);
    result.then((r) => {
      if (this.entries.get(key) !== entry) return;
      if (!this.keep(r)) {
        this.remove(key, entry);
        return;
      }
      entry.bytes = ENTRY_OVERHEAD + 2 * key.length + this.sizeOf(r);
      this.heldBytes += entry.bytes;
      if (this.heldBytes > this.maxBytes) this.prune(Date.now());
    }, () => {
      if (this.entries.get(key) === entry) this.remove(key, entry);
    });
    return result;
  }

  private remove(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    this.heldBytes -= entry.bytes;
  }

  /** Drops expired keys from the oldest end, then the oldest beyond the bounds. */
  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.expires > now && this.entries.size < this.maxKeys && this.heldBytes <= this.maxBytes) break;
      this.remove(k, e);
    }
  }
}
