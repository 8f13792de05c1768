import { SubscribeError } from '../errors.js';
import type { SubscribeCommand } from '../protocol/request.js';
import { encodeSubscribeReply, encodeSubscriptionEnd, type EndReason, type SubscriptionEndInfo } from '../protocol/subscription-replies.js';
import type { Semaphore } from './semaphore.js';
import { Subscription, type SubscriptionOutput } from './subscription.js';
import type { TailHub } from './tail-hub.js';

/** A route's settings for live subscriptions, and what its connections share. */
export interface SubscriptionRoute {
  hub: TailHub;
  /** Reads of streams behind the tail, for the whole route at once. */
  reads: Semaphore;
  /** Throws (TopicNotAllowedError) when the route's allow-list excludes the topic. */
  checkTopic(topic: string): void;
  /** Subscriptions open on one connection at once. */
  maxSubscriptions: number;
  /** Credit of a subscribe that asks for none (0). */
  defaultCredit: number;
  /** Bytes a connection with subscriptions may leave unread on its socket before it is closed as a slow consumer. */
  maxUnsentBytes: number;
  /** The route's frame limit: no push is larger. */
  maxFrameBytes: number;
}

/** How the session sends what subscriptions produce, and how it learns of a slow consumer. */
export interface SubscriptionsOutput {
  push(subscription: number, body: Buffer): void;
  /** A subscription opened, and one ended (for metrics). */
  opened(): void;
  closed(reason: EndReason | 'disconnected'): void;
  /** A frame outside the reply order (a pushed SubscriptionEnd, sequence 0). */
  send(frame: Buffer): void;
  /** Bytes handed to the socket that it has not taken yet. */
  readonly unsentBytes: number;
  /** Bytes of pushes the socket has taken since the start. */
  readonly takenBytes: number;
  /** The client is not reading what it granted credit for: end everything and close. */
  slowConsumer(): void;
}

/** How long a connection may stay over its unsent bytes before it is closed (the bound is 1 s). */
const SLOW_CONSUMER_GRACE_MS = 500;

/**
 * A connection's subscriptions: subscribe, unsubscribe and credit, what each subscription pushes,
 * and the slow-consumer rule (pushes left unread past the route's bound for longer than a grace
 * period end every subscription of the connection, with reason SLOW_CONSUMER, and close it).
 */
export class Subscriptions implements SubscriptionOutput {
  private readonly route: SubscriptionRoute;
  private readonly out: SubscriptionsOutput;
  private readonly open = new Map<number, Subscription>();
  /** Ids whose subscribe is still being resolved: not free, not yet open. */
  private readonly pending = new Set<number>();
  private slowTimer: ReturnType<typeof setTimeout> | undefined;
  /** Some stream waits because the connection was over its unsent bytes. */
  private congested = false;
  /** When the proxy (not an unsubscribe) ends a subscription, its end is pushed; an unsubscribe's end is its reply. */
  private replyingTo: number | undefined;
  private lastEnd: SubscriptionEndInfo | undefined;

  constructor(route: SubscriptionRoute, out: SubscriptionsOutput) {
    this.route = route;
    this.out = out;
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Resolves the command's partitions and start offsets, and answers with SubscribeResp (then
   * `start` is to be called once that reply has left) or, when a cursor is not on the log and
   * the policy is to end, with the SubscriptionEnd saying so.
   * @throws SubscribeError, or the source's errors (described by the route's backend).
   */
  async subscribe(sequence: bigint, cmd: SubscribeCommand): Promise<{ reply: Buffer; start?: () => void }> {
    const id = cmd.subscription;
    if (!(id > 0)) throw new SubscribeError(-1, 'subscription id must be greater than 0');
    if (this.open.has(id) || this.pending.has(id)) throw new SubscribeError(-1, `subscription ${id} is already in use`);
    if (this.open.size + this.pending.size >= this.route.maxSubscriptions) throw new SubscribeError(-1, `too many subscriptions (limit ${this.route.maxSubscriptions})`);
    if (cmd.credit < 0n) throw new SubscribeError(-1, 'credit must not be negative');
    this.route.checkTopic(cmd.topic);
    this.pending.add(id);
    try {
      const starts = await this.startOffsets(cmd);
      const credit = cmd.credit === 0n ? this.route.defaultCredit : Number(cmd.credit > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : cmd.credit);
      if (starts.outOfRange !== undefined) {
        const { partition, logStartOffset } = starts.outOfRange;
        return {
          reply: encodeSubscriptionEnd(sequence, id, {
            reason: 'offset_out_of_range', message: `partition ${partition}: offset ${cmd.cursor.get(partition)} is not on the log (it starts at ${logStartOffset})`,
            cursor: starts.offsets, partition, logStartOffset,
          }),
        };
      }
      const sub = new Subscription(id, cmd.topic, starts.offsets, credit, cmd.outOfRange, this.route, this);
      this.open.set(id, sub);
      this.out.opened();
      return { reply: encodeSubscribeReply(sequence, id, starts.offsets, this.route.maxFrameBytes), start: () => sub.start() };
    } finally {
      this.pending.delete(id);
    }
  }

  /** SubscriptionEnd (reason UNSUBSCRIBED) as the reply, or null for an unknown subscription. */
  unsubscribe(sequence: bigint, id: number): Buffer | null {
    const sub = this.open.get(id);
    if (sub === undefined) return null;
    this.replyingTo = id;
    try {
      sub.end('unsubscribed', '');
    } finally {
      this.replyingTo = undefined;
    }
    const end = this.lastEnd!;
    this.lastEnd = undefined;
    return encodeSubscriptionEnd(sequence, id, end);
  }

  /** Grants credit; the error text when it cannot. */
  credit(id: number, bytes: bigint): string | undefined {
    const sub = this.open.get(id);
    if (sub === undefined) return 'unknown subscription';
    if (bytes <= 0n) return 'credit must be greater than 0';
    sub.grant(bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bytes));
    return undefined;
  }

  /** Ends every subscription, pushing each end (route deleted or changed, shutdown, slow consumer). */
  endAll(reason: EndReason, message: string): void {
    for (const sub of [...this.open.values()]) sub.end(reason, message);
  }

  /** Ends, pushing each end, the subscriptions whose topic `when` picks (e.g. no longer allowed after a token refresh). */
  endWhere(when: (topic: string) => boolean, reason: EndReason, message: string): void {
    for (const sub of [...this.open.values()]) if (when(sub.topic)) sub.end(reason, message);
  }

  /** The connection is gone: stop without telling anyone. */
  dispose(): void {
    if (this.slowTimer !== undefined) clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
    for (const sub of this.open.values()) {
      sub.ended = true;
      for (const s of sub.streams.values()) s.stop();
      this.out.closed('disconnected');
    }
    this.open.clear();
  }

  accepting(): boolean {
    if (this.out.unsentBytes <= this.route.maxUnsentBytes) return true;
    this.congested = true;
    return false;
  }

  /**
   * The socket took pushes: once it is down to half the bound, the streams that waited for it go
   * on at once (not at the next look of the slow-consumer watch).
   */
  taken(): void {
    if (!this.congested || this.out.unsentBytes > this.route.maxUnsentBytes / 2) return;
    this.congested = false;
    for (const sub of [...this.open.values()]) sub.resume();
  }

  push(subscription: number, body: Buffer): void {
    this.out.push(subscription, body);
    if (this.slowTimer === undefined && this.out.unsentBytes > this.route.maxUnsentBytes) this.watch();
  }

  /**
   * Over the bound, pushes wait (accepting). A client that reads, however slowly, goes on when it
   * has caught up; one that took nothing at all during a grace period is closed.
   */
  private watch(): void {
    const taken = this.out.takenBytes;
    this.slowTimer = setTimeout(() => {
      this.slowTimer = undefined;
      if (this.out.unsentBytes > this.route.maxUnsentBytes && this.out.takenBytes === taken) this.out.slowConsumer();
      else if (this.out.unsentBytes <= this.route.maxUnsentBytes) for (const sub of this.open.values()) sub.resume();
      else this.watch();
    }, SLOW_CONSUMER_GRACE_MS);
    this.slowTimer.unref?.();
  }

  ended(sub: Subscription, end: SubscriptionEndInfo): void {
    this.open.delete(sub.id);
    this.out.closed(end.reason);
    if (this.replyingTo === sub.id) {
      this.lastEnd = end;
      return;
    }
    this.out.send(encodeSubscriptionEnd(0n, sub.id, end));
  }

  private async startOffsets(cmd: SubscribeCommand): Promise<{ offsets: Map<number, bigint>; outOfRange?: { partition: number; logStartOffset: bigint } }> {
    const source = this.route.hub.source;
    const all = await source.partitions(cmd.topic);
    let partitions = cmd.partitions;
    if (partitions.length === 0) partitions = cmd.start === 'cursor' && cmd.cursor.size > 0 ? [...cmd.cursor.keys()] : all;
    const seen = new Set<number>();
    for (const p of partitions) {
      if (seen.has(p)) throw new SubscribeError(p, 'partition listed twice');
      seen.add(p);
      if (!all.includes(p)) throw new SubscribeError(p, 'not found partition');
    }
    const offsets = new Map<number, bigint>();
    switch (cmd.start) {
      case 'latest': {
        // A partition already read at its tail starts where its reader is: no request at all.
        const ask: number[] = [];
        for (const p of partitions) {
          const r = this.route.hub.reader(cmd.topic, p);
          if (r !== undefined && !r.isStopped) offsets.set(p, r.next);
          else ask.push(p);
        }
        if (ask.length > 0) for (const [p, o] of await source.offsets(cmd.topic, ask, -1n)) offsets.set(p, o);
        break;
      }
      case 'earliest':
        for (const [p, o] of await source.offsets(cmd.topic, partitions, -2n)) offsets.set(p, o);
        break;
      case 'timestamp': {
        const found = await source.offsets(cmd.topic, partitions, cmd.timestamp);
        const none = partitions.filter((p) => (found.get(p) ?? -1n) < 0n);
        const ends = none.length > 0 ? await source.offsets(cmd.topic, none, -1n) : new Map<number, bigint>();
        for (const p of partitions) offsets.set(p, (found.get(p) ?? -1n) >= 0n ? found.get(p)! : ends.get(p) ?? 0n);
        break;
      }
      case 'cursor': {
        for (const p of partitions) {
          const o = cmd.cursor.get(p);
          if (o === undefined) throw new SubscribeError(p, 'the cursor has no offset for this partition');
          offsets.set(p, o);
        }
        const bounds = await source.bounds(cmd.topic, partitions);
        for (const p of partitions) {
          const b = bounds.get(p)!;
          const o = offsets.get(p)!;
          if (o >= b.start && o <= b.end) continue;
          if (cmd.outOfRange === 'end') return { offsets, outOfRange: { partition: p, logStartOffset: b.start } };
          offsets.set(p, cmd.outOfRange === 'earliest' ? b.start : b.end);
        }
        break;
      }
    }
    return { offsets };
  }
}
