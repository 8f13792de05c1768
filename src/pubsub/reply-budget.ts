/**
 * One member of a ReplyBudget: a connection, seen through what the budget needs to know of it.
 */
export interface BudgetMember {
  /** Bytes it holds now: replies waiting to be written plus room reserved for replies being made. */
  readonly usage: number;
  /** Bytes it handed to its socket that the socket has not taken yet. */
  readonly unsent: number;
  /** Milliseconds since its socket last took bytes while some were waiting; 0 when none wait. */
  stalledFor(now: number): number;
  /** The budget has room again: start what waited for it. */
  wake(): void;
  /** The process is over its budget and this connection is among the heaviest that stopped reading. */
  overloaded(): void;
}

export interface ReplyBudgetOptions {
  /** Reply bytes all connections together may hold; past it the policy below applies. */
  maxBytes: number;
  /** How often the budget looks for connections to close while it is over (default 250 ms). */
  sweepMs?: number;
  /** A connection that took nothing for this long while holding unsent bytes has stopped reading (default 1000 ms). */
  stallMs?: number;
}

/**
 * The process-wide bound on reply memory: the sum over connections of the replies they hold
 * (encoded, not yet written to their sockets) and of the room they reserved for replies being
 * fetched. Each connection has its own bound as well (SessionOptions.maxUnsentBytes); this one
 * stops many slow connections together from taking the process's memory.
 *
 * When a reservation would take the total past `maxBytes`, it is granted only to a connection
 * holding less than its fair share (maxBytes divided among the connections holding anything), and
 * only within a headroom of an eighth of `maxBytes`; so the heaviest connections are the ones that
 * wait (they start no new work and, once their replies pile up, stop being read), and reservations
 * never take the total past 9/8 of `maxBytes` (small replies that cannot wait, a pong or an error
 * text, are counted but not refused). If the total stays past `maxBytes` (connections that stopped reading
 * keep their replies), the heaviest connections that have not taken a byte for `stallMs` are
 * closed (PubSub close code 1013, "try again later"), heaviest first, until the total is back
 * under 90 % of `maxBytes`. A connection that reads, however heavy, is never closed for this.
 */
/** Past the budget, connections under their fair share may still take up to 1/8 of it more. */
const HEADROOM_PARTS = 8;

export class ReplyBudget {
  readonly maxBytes: number;
  private total = 0;
  private readonly holders = new Set<BudgetMember>();
  private readonly waiting = new Set<BudgetMember>();
  private wakeQueued = false;
  private closedForOverload = 0;
  private readonly stallMs: number;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(options: ReplyBudgetOptions) {
    if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes > 0)) throw new RangeError(`maxBytes must be a positive integer, got ${options.maxBytes}`);
    this.maxBytes = options.maxBytes;
    this.stallMs = options.stallMs ?? 1000;
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? 250);
    this.sweeper.unref();
  }

  /** Reply bytes held by all connections now. */
  get bytes(): number {
    return this.total;
  }

  /** Connections closed because the process was over its budget, since the start. */
  get overloadCloses(): number {
    return this.closedForOverload;
  }

  /**
   * Room for `n` more bytes for `member`, if the policy allows; otherwise the member is woken
   * (`wake`) when bytes are released.
   */
  tryReserve(member: BudgetMember, n: number): boolean {
    const fits = this.total + n <= this.maxBytes || (member.usage + n <= this.fairShare() && this.total + n <= this.maxBytes + this.maxBytes / HEADROOM_PARTS);
    if (!fits) {
      this.waiting.add(member);
      return false;
    }
    this.add(member, n);
    return true;
  }

  /** Bytes taken without asking: small replies (pong, errors) that cannot wait. */
  add(member: BudgetMember, n: number): void {
    this.total += n;
    this.holders.add(member);
  }

  /** `member` gave back `n` bytes; `member.usage` must already be the new value. */
  release(member: BudgetMember, n: number): void {
    this.total -= n;
    if (member.usage <= 0) this.holders.delete(member);
    if (this.waiting.size > 0 && !this.wakeQueued) {
      this.wakeQueued = true;
      queueMicrotask(() => this.wakeAll());
    }
  }

  /** The member is gone: forget it (its bytes must have been released). */
  leave(member: BudgetMember): void {
    this.holders.delete(member);
    this.waiting.delete(member);
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private fairShare(): number {
    return this.maxBytes / Math.max(1, this.holders.size);
  }

  private wakeAll(): void {
    this.wakeQueued = false;
    const members = [...this.waiting];
    this.waiting.clear();
    for (const m of members) m.wake();
  }

  /** Over the budget: close the heaviest connections that stopped reading, until under 90 %. */
  private sweep(): void {
    if (this.total <= this.maxBytes) return;
    const now = performance.now();
    const stalled = [...this.holders].filter((m) => m.unsent > 0 && m.stalledFor(now) >= this.stallMs).sort((a, b) => b.usage - a.usage);
    for (const m of stalled) {
      if (this.total <= 0.9 * this.maxBytes) break;
      this.closedForOverload++;
      m.overloaded();
    }
  }
}
