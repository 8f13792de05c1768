/**
 * The producer's bound on memory: bytes of records held (waiting to be sent or in flight) count
 * against a limit, and a send that would go over it waits, first come first served, until
 * acknowledged records give bytes back. So a slow broker slows its callers down instead of
 * growing the heap (Java's buffer.memory, with the delivery timeout in place of max.block.ms).
 */
export class BufferGate {
  private held = 0;
  private readonly limit: number;
  private readonly waiters: Array<{ bytes: number; resume: (ok: boolean) => void; timer: NodeJS.Timeout }> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes counted in now, those of waiting calls included. */
  get bytes(): number {
    return this.held;
  }

  /**
   * Counts `bytes` in, then waits while the others held leave no room for them. A call is let in
   * when nothing else is held, however large, so the producer never stalls. Resolves (or returns)
   * true once let in; false when `timeoutMs` passes or close() comes first, the bytes then given
   * back.
   */
  acquire(bytes: number, timeoutMs: number): Promise<boolean> | boolean {
    this.held += bytes;
    if (this.waiters.length === 0 && (this.held <= this.limit || this.held === bytes)) return true;
    return new Promise((resolve) => {
      const w = {
        bytes,
        resume: resolve,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          this.release(bytes);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Gives bytes back and lets waiting calls in, in order, while they fit. */
  release(bytes: number): void {
    this.held -= bytes;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      let waiting = 0;
      for (const x of this.waiters) waiting += x.bytes;
      const others = this.held - waiting;
      if (others > 0 && others + w.bytes > this.limit) return;
      this.waiters.shift();
      clearTimeout(w.timer);
      w.resume(true);
    }
  }

  /** Turns every waiting call away (their bytes given back). */
  close(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.held -= w.bytes;
      w.resume(false);
    }
  }
}
