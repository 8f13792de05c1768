import type { EndReason, RecordsPush, SubscribeCommand, SubscriptionEndInfo } from './codec.js';
import type { ConsumeStatus, ReconnectPolicy } from './consume.js';
import { ClientClosedError, ConnectionError, CursorOutOfRangeError, isTransientServerError, RequestTimeoutError, ServerError, SubscriptionEndedError } from './errors.js';
import { GroupCommitter, type GroupHost } from './group.js';
import type { Message } from './message.js';

export interface SubscribeOptions {
  /** The partitions to stream; default every partition of the topic. */
  partitions?: readonly number[];
  /**
   * Where to start: 'latest' (default: only records written from now on), 'earliest', a Date
   * (the first record at or after it), or a cursor (the next offset per partition, as a Map or an
   * object keyed by partition, e.g. what `cursor` gave earlier).
   */
  from?: 'earliest' | 'latest' | Date | ReadonlyMap<number, bigint> | Readonly<Record<number, bigint>>;
  /**
   * When a partition's next offset is not on the log: 'error' (default) throws
   * CursorOutOfRangeError, never skipping silently; 'earliest' or 'latest' continue from there.
   */
  onOutOfRange?: 'error' | 'earliest' | 'latest';
  /**
   * Bytes the proxy may push ahead of what the application has consumed (default 1 MiB, at least
   * the proxy's frame limit). Credit is granted back as messages are taken from the iterator, so a
   * slow application is paced instead of buffering without end.
   */
  creditBytes?: number;
  /** Aborting ends the iteration normally (and unsubscribes). */
  signal?: AbortSignal;
  /** On each change of state: 'connected' after every (re)subscribe, 'reconnecting'/'retrying' per failed attempt. */
  onStatus?: (status: ConsumeStatus) => void;
  /**
   * On every push, as it arrives: before its messages are yielded, which may still wait behind
   * earlier ones. What it throws ends the iteration with that error (after the messages already
   * received), and the push's own messages are not delivered.
   */
  onProgress?: (progress: SubscriptionProgress) => void;
  /**
   * A consumer group whose offsets the proxy keeps in Kafka (the route must allow it): the
   * subscription starts from its committed offsets (`from` only for partitions without one) and
   * commits `cursor` as the loop takes messages, every `commitIntervalMs` (default 5000) and when
   * the loop ends. A reconnect resumes from the loop's own position (nothing again); a new client
   * (a reloaded page, on any replica) starts from the commits: at most that interval's messages
   * again if the old one could not commit on its way out.
   * `sub.commit()` commits at once.
   */
  group?: string;
  commitIntervalMs?: number;
}

/** Where a partition stands after a push: lag = highWatermark − (last offset handled + 1). */
export interface SubscriptionProgress {
  partition: number;
  /** The partition's high watermark when the proxy read the records (0n from a proxy that does not send it). */
  highWatermark: bigint;
  /** The partition's next offset after this push (what `cursor` holds for it once its messages are taken). */
  nextOffset: bigint;
  /** Messages the push carries (0 when only skipped offsets advanced it, e.g. transaction markers). */
  count: number;
}

/** What a live subscription needs of the client. */
export interface SubscriptionHost extends GroupHost {
  listOffset(topic: string, partition: number, at: 'earliest' | 'latest' | Date): Promise<bigint>;
  /** A fresh subscription id for this client. */
  nextSubscriptionId(): number;
  /**
   * Sends the subscribe and routes the subscription's pushes and end to `events` until it ends or
   * its socket closes. Resolves with the start offsets, or with an end (a cursor out of range).
   */
  openSubscription(command: SubscribeCommand, events: SubscriptionEvents): Promise<{ start: Map<number, bigint>; maxFrameBytes: bigint } | { end: SubscriptionEndInfo }>;
  credit(subscription: number, bytes: number): void;
  unsubscribe(subscription: number): void;
}

export interface SubscriptionEvents {
  push(push: RecordsPush, bytes: number): void;
  end(end: SubscriptionEndInfo): void;
  /** The socket the subscription was on closed. */
  disconnected(error: Error): void;
}

const DEFAULT_CREDIT = 1024 * 1024;
/**
 * Ends after which subscribing again from the cursor continues the stream. `unauthorized` too: a
 * token that expired is cured by the next connection's fresh one, and where it is not, the new
 * subscribe says why (AuthenticationError for a refused token, AuthorizationError for a topic the
 * identity may no longer read) and ends the iteration with that.
 */
const RESUMABLE: ReadonlySet<EndReason> = new Set(['route_changed', 'shutting_down', 'slow_consumer', 'unauthorized']);

interface Queued {
  message: Message;
  /** Credit to give back when this message is taken (its push's bytes, on the push's last message). */
  bytes: number;
  /** The partition's next offset once this message is taken (past skipped offsets on a push's last). */
  next: bigint;
}

/**
 * The iterator behind `PubSubClient.subscribe`. It keeps two positions per partition: after the
 * last message received, from which it subscribes again after a dropped connection, a proxy
 * restart or a route change (every offset once and in order), and after the last message the
 * application took, which `cursor` gives so that an application resuming from it later neither
 * skips what was still queued nor sees a message twice. Messages wait
 * in a queue until the application takes them; the credit granted back to the proxy follows what
 * the application has taken, so at most `creditBytes` are ever ahead of it.
 */
export class LiveSubscription implements AsyncIterableIterator<Message> {
  private readonly host: SubscriptionHost;
  private readonly topic: string;
  private readonly options: SubscribeOptions;
  private readonly policy: ReconnectPolicy;
  private readonly queue: Queued[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<Message>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  private done = false;
  /** Next offset per partition, after the last message received (empty until the first subscribe). */
  private readonly position = new Map<number, bigint>();
  /** Next offset per partition, after the last message the application took. */
  private readonly consumed = new Map<number, bigint>();
  /** The last queued message of each partition with messages queued; an empty push moves its `next`. */
  private readonly queuedTail = new Map<number, Queued>();
  private id = 0;
  /**
   * The subscription being opened: its first pushes may arrive in the same read as the answer to
   * the subscribe, before `id` is set (ws emits a chunk's frames in one tick), and are its own.
   */
  private opening = 0;
  private window: number;
  /** Bytes of pushes received and not yet taken by the application. */
  private outstanding = 0;
  /** Bytes taken and not yet granted back. */
  private taken = 0;
  private wake: (() => void) | undefined;
  private ended: SubscriptionEndInfo | Error | undefined;
  private readonly committer: GroupCommitter | undefined;

  constructor(host: SubscriptionHost, topic: string, options: SubscribeOptions, policy: ReconnectPolicy) {
    this.host = host;
    this.topic = topic;
    this.options = options;
    this.policy = policy;
    this.window = Math.max(options.creditBytes ?? DEFAULT_CREDIT, 1024);
    this.committer = options.group === undefined ? undefined : new GroupCommitter(host, options.group, topic, options.commitIntervalMs);
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.done = true;
      else signal.addEventListener('abort', () => void this.return(), { once: true });
    }
    void this.run();
  }

  /**
   * The next offset of every partition after the last message the application took (queued
   * messages not counted): where a later `subscribe(topic, {from: cursor})` continues exactly.
   */
  get cursor(): Map<number, bigint> {
    return new Map(this.consumed);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.head < this.queue.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  async return(): Promise<IteratorResult<Message>> {
    if (!this.done) {
      this.done = true;
      if (this.id !== 0) this.host.unsubscribe(this.id);
      this.wake?.();
      this.settle();
      if (this.committer !== undefined) {
        this.committer.stop();
        // The last position, so the next start redelivers nothing; the loop has ended either way.
        await this.committer.commit(this.consumed).catch(() => {});
      }
    }
    return { value: undefined, done: true };
  }

  /**
   * Commits the group's offsets up to what the loop has taken, now.
   * @throws RangeError without a `group`; the commit's ServerError or ConnectionError
   */
  async commit(): Promise<void> {
    if (this.committer === undefined) throw new RangeError('subscribe was given no group');
    await this.committer.commit(this.consumed);
  }

  private take(): Message {
    const q = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as Queued;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const partition = q.message.partition;
    this.consumed.set(partition, q.next);
    this.committer?.tick(() => this.consumed);
    if (this.queuedTail.get(partition) === q) this.queuedTail.delete(partition);
    if (q.bytes > 0) {
      this.outstanding -= q.bytes;
      this.taken += q.bytes;
      this.grant();
    }
    return q.message;
  }

  /** Gives back what the application has taken, in steps of half the window. */
  private grant(): void {
    if (this.taken >= this.window / 2 && this.id !== 0 && !this.done) {
      this.host.credit(this.id, this.taken);
      this.taken = 0;
    }
  }

  /** Hands a waiting `next()` its result. */
  private settle(): void {
    const w = this.waiter;
    const f = this.failWaiter;
    if (w === undefined || f === undefined) return;
    if (this.head < this.queue.length) {
      this.waiter = this.failWaiter = undefined;
      w({ value: this.take(), done: false });
    } else if (this.error !== undefined) {
      this.waiter = this.failWaiter = undefined;
      f(this.error);
    } else if (this.done) {
      this.waiter = this.failWaiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  private fail(e: Error): void {
    this.error = e;
    this.done = true;
    this.settle();
  }

  /** Subscribes, waits for the subscription to end or its socket to close, and subscribes again while that can help. */
  private async run(): Promise<void> {
    let failures = 0;
    let state: ConsumeStatus['state'] | undefined;
    while (!this.done) {
      this.ended = undefined;
      const ended = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      const id = this.host.nextSubscriptionId();
      let opened: Awaited<ReturnType<SubscriptionHost['openSubscription']>>;
      this.opening = id;
      try {
        if (this.committer !== undefined && this.position.size === 0) await this.groupStart();
        opened = await this.host.openSubscription(this.command(id), {
          push: (p, bytes) => this.onPush(id, p, bytes),
          end: (e) => this.onEnd(id, e),
          disconnected: (e) => this.onEnd(id, e),
        });
      } catch (e) {
        this.opening = 0;
        if (this.done) return;
        const retry = retryState(e);
        if (retry === undefined || failures >= this.policy.maxAttempts) {
          this.fail(e as Error);
          return;
        }
        failures++;
        state = retry;
        this.options.onStatus?.({ state, attempt: failures, error: e as Error });
        if (!await this.backoff(failures)) return;
        continue;
      }
      this.opening = 0;
      if ('end' in opened) {
        this.onEnd(id, opened.end);
      } else {
        this.id = id;
        // Pushes that came with the answer have already moved their partitions on.
        for (const [p, o] of opened.start) {
          if (!this.position.has(p)) this.position.set(p, o);
          if (!this.consumed.has(p)) this.consumed.set(p, o);
        }
        const frameLimit = Number(opened.maxFrameBytes);
        if (frameLimit > this.window) {
          // A record as large as the proxy's frame limit must fit in the window.
          this.host.credit(id, frameLimit - this.window);
          this.window = frameLimit;
        }
        // Messages taken before `id` was set could not give their credit back.
        this.grant();
        failures = 0;
        if (state !== 'connected') {
          state = 'connected';
          this.options.onStatus?.({ state });
        }
        if (this.done) {
          this.host.unsubscribe(id);
          return;
        }
      }
      await ended;
      if (this.done) return;
      const why = this.endReason();
      this.id = 0;
      if (why instanceof ClientClosedError) {
        this.fail(why);
        return;
      }
      if (why instanceof Error) {
        failures++;
        state = 'reconnecting';
        this.options.onStatus?.({ state, attempt: failures, error: why });
        if (failures > this.policy.maxAttempts) {
          this.fail(why);
          return;
        }
        if (!await this.backoff(failures)) return;
        continue;
      }
      if (why === undefined) continue;
      if (why.reason === 'unsubscribed') {
        this.done = true;
        this.settle();
        return;
      }
      if (why.reason === 'offset_out_of_range') {
        this.fail(new CursorOutOfRangeError(why.partition, why.logStartOffset, why.message, this.received()));
        return;
      }
      if (!RESUMABLE.has(why.reason)) {
        this.fail(new SubscriptionEndedError(why.reason, why.message, this.received()));
        return;
      }
      failures++;
      state = 'reconnecting';
      this.options.onStatus?.({ state, attempt: failures, error: new SubscriptionEndedError(why.reason, why.message, this.received()) });
      if (!await this.backoff(failures)) return;
    }
  }

  /**
   * Where each partition stands after the last message received: an error carries it, and the
   * application meets the error only after taking every queued message, so it is its cursor then.
   */
  private received(): Map<number, bigint> {
    return new Map(this.position);
  }

  /**
   * The group's committed offsets as the starting cursor of every partition; `from` decides for
   * partitions the group has none for.
   */
  private async groupStart(): Promise<void> {
    const committed = await this.committer!.start(this.options.partitions ?? []);
    const from = this.options.from ?? 'latest';
    const start = new Map<number, bigint>();
    for (const [p, c] of committed) {
      let o: bigint | undefined = c >= 0n ? c : undefined;
      if (o === undefined) {
        if (from === 'earliest' || from === 'latest') o = await this.host.listOffset(this.topic, p, from);
        else if (from instanceof Date) {
          o = await this.host.listOffset(this.topic, p, from);
          if (o < 0n) o = await this.host.listOffset(this.topic, p, 'latest');
        } else {
          const given = from instanceof Map ? from.get(p) : (from as Readonly<Record<number, bigint>>)[p];
          o = given !== undefined ? BigInt(given) : await this.host.listOffset(this.topic, p, 'latest');
        }
      }
      start.set(p, o);
    }
    for (const [p, o] of start) {
      this.position.set(p, o);
      this.consumed.set(p, o);
    }
  }

  // A method, so TypeScript does not narrow the field to its value before the await.
  private endReason(): SubscriptionEndInfo | Error | undefined {
    return this.ended;
  }

  private command(id: number): SubscribeCommand {
    const o = this.options;
    const credit = BigInt(Math.max(1024, this.window - this.outstanding));
    const outOfRange = o.onOutOfRange === 'earliest' || o.onOutOfRange === 'latest' ? o.onOutOfRange : 'end';
    const base = { subscription: id, topic: this.topic, timestamp: 0n, credit, outOfRange } as const;
    if (this.position.size > 0) {
      return { ...base, partitions: [...this.position.keys()], start: 'cursor', cursor: new Map(this.position) };
    }
    const from = o.from ?? 'latest';
    const partitions = o.partitions ?? [];
    if (from === 'latest' || from === 'earliest') return { ...base, partitions, start: from, cursor: new Map() };
    if (from instanceof Date) {
      const ms = from.getTime();
      if (Number.isNaN(ms)) throw new RangeError('invalid Date');
      return { ...base, partitions, start: 'timestamp', timestamp: BigInt(ms), cursor: new Map() };
    }
    const cursor = from instanceof Map ? new Map(from) : new Map(Object.entries(from).map(([p, v]) => [Number(p), BigInt(v as bigint)]));
    return { ...base, partitions: partitions.length > 0 ? partitions : [...cursor.keys()], start: 'cursor', cursor };
  }

  private onPush(id: number, p: RecordsPush, bytes: number): void {
    if ((id !== this.id && id !== this.opening) || this.done) return;
    if (this.options.onProgress !== undefined && !this.progress(id, p)) return;
    const last = p.messages.length - 1;
    for (let i = 0; i <= last; i++) {
      const message = p.messages[i]!;
      const q: Queued = { message, bytes: i === last ? bytes : 0, next: i === last ? p.nextOffset : message.offset + 1n };
      this.queue.push(q);
      if (i === last) this.queuedTail.set(p.partition, q);
    }
    if (last < 0) {
      this.taken += bytes;
      // Only skipped offsets (transaction markers, aborted records): the cursor passes them once
      // the messages before them are taken.
      const tail = this.queuedTail.get(p.partition);
      if (tail === undefined) this.consumed.set(p.partition, p.nextOffset);
      else tail.next = p.nextOffset;
    }
    this.outstanding += last < 0 ? 0 : bytes;
    this.position.set(p.partition, p.nextOffset);
    this.settle();
  }

  /** Tells `onProgress`; false when it threw, which ends the iteration with its error. */
  private progress(id: number, p: RecordsPush): boolean {
    try {
      this.options.onProgress?.({ partition: p.partition, highWatermark: p.highWatermark, nextOffset: p.nextOffset, count: p.messages.length });
      return true;
    } catch (e) {
      this.host.unsubscribe(id);
      this.fail(e instanceof Error ? e : new Error(String(e)));
      this.wake?.();
      return false;
    }
  }

  private onEnd(id: number, e: SubscriptionEndInfo | Error): void {
    if (id !== this.id && this.id !== 0) return;
    if (this.ended !== undefined) return;
    this.ended = e;
    this.wake?.();
  }

  private async backoff(failures: number): Promise<boolean> {
    const delay = Math.min(this.policy.initialDelayMs * 2 ** (failures - 1), this.policy.maxDelayMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return !this.done;
  }
}

function retryState(e: unknown): 'reconnecting' | 'retrying' | undefined {
  if (e instanceof ConnectionError) return 'reconnecting';
  if (e instanceof RequestTimeoutError) return 'retrying';
  if (e instanceof ServerError && isTransientServerError(e)) return 'retrying';
  return undefined;
}
