import { KafkaProtocolError } from '../errors.js';
import type { FetchBatchesResult, Isolation, KafkaClient, MultiFetchResult, PartitionFetchOutcome } from './client.js';
import { KafkaClientClosedError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
import { isRetriable } from './retriable.js';

/** What a tracked partition's reader is told. Every call is synchronous and must not throw. */
export interface TailListener {
  /**
   * Records read at the partition's position, which then moves to `read.nextOffset`. The batches
   * are views of the response's memory, valid only during the call: copy what must outlive it.
   * Also called with no batches when the position moves past control or aborted records.
   */
  records(read: Omit<FetchBatchesResult, 'release'>): void;
  /**
   * The position is not on the log (Kafka's OFFSET_OUT_OF_RANGE): the partition is not fetched
   * again until the listener calls `seek` (or `close`).
   */
  outOfRange(logStartOffset: bigint, highWatermark: bigint): void;
  /** The topic or the partition does not exist (any more). Tracking has stopped. */
  gone(error: Error): void;
  /**
   * A failure retrying will not cure (authorization, a corrupt batch). Tracking goes on after a
   * backoff; the listener decides whether to close.
   */
  failed(error: Error): void;
}

export interface TailHandle {
  /** The next offset that will be fetched. */
  readonly position: bigint;
  /** Continue from `offset` (after outOfRange, or to skip). */
  seek(offset: bigint): void;
  close(): void;
}

export interface TailFetcherOptions {
  isolation?: Isolation;
  /** How long the broker holds a fetch open waiting for data (default 500 ms). */
  maxWaitMs?: number;
  /** Per partition (default 1 MiB). */
  partitionMaxBytes?: number;
  /** Per request (default 8 MiB). */
  maxBytes?: number;
  /** First backoff after a failure; doubles up to retryBackoffMaxMs (defaults 100 ms and 5 s). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
}

interface Tracked extends TailHandle {
  readonly topic: string;
  readonly partition: number;
  position: bigint;
  readonly listener: TailListener;
  /** The broker whose loop fetches it, while it has one. */
  broker: string | undefined;
  /** 'resolving' (looking up its leader), 'ready' (in a broker loop), 'parked' (out of range, waiting for seek), 'closed'. */
  state: 'resolving' | 'ready' | 'parked' | 'closed';
  failures: number;
  /** Bumped by seek: a response for an earlier position is then ignored. */
  epoch: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface BrokerLoop {
  readonly partitions: Set<Tracked>;
  running: boolean;
}

/**
 * Long-polls many partitions at their tails through one KafkaClient: the partitions led by one
 * broker share one Fetch request (minBytes 1, a long maxWait), so a partition costs one Fetch per
 * answer however many readers it has, and a broker answers as soon as any of its partitions has
 * data. A partition whose leader is unknown, moving or failing leaves its broker's request and is
 * looked up again with backoff on its own, so it never holds the others. Leader moves and broker
 * restarts are handled here once for every reader of the partition.
 */
export class TailFetcher {
  readonly client: KafkaClient;
  /** Fetch requests sent, and per "topic-partition" how many of them included it (metrics, tests). */
  readonly stats = { requests: 0, partitionFetches: new Map<string, number>() };
  private readonly options: Required<TailFetcherOptions>;
  private readonly tracked = new Set<Tracked>();
  private readonly loops = new Map<string, BrokerLoop>();
  private closed = false;

  constructor(client: KafkaClient, options: TailFetcherOptions = {}) {
    this.client = client;
    this.options = {
      isolation: options.isolation ?? 'read_uncommitted',
      maxWaitMs: options.maxWaitMs ?? 500,
      partitionMaxBytes: options.partitionMaxBytes ?? 1024 * 1024,
      maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? 5000,
    };
  }

  /** Partitions tracked now. */
  get size(): number {
    return this.tracked.size;
  }

  /** Per partition tracked now, the Fetch requests that included it since it was first tracked. */
  partitionStats(): Array<{ topic: string; partition: number; requests: number }> {
    return [...this.tracked].map((t) => ({ topic: t.topic, partition: t.partition, requests: this.stats.partitionFetches.get(`${t.topic}-${t.partition}`) ?? 0 }));
  }

  /** Starts fetching `topic`-`partition` from `offset`; results go to `listener` until close(). */
  track(topic: string, partition: number, offset: bigint, listener: TailListener): TailHandle {
    if (this.closed) throw new KafkaClientClosedError();
    const fetcher = this;
    const t: Tracked = {
      topic, partition, position: offset, listener, broker: undefined, state: 'resolving', failures: 0, epoch: 0, timer: undefined,
      seek(to: bigint) {
        if (t.state === 'closed') return;
        t.position = to;
        t.epoch++;
        if (t.state === 'parked') fetcher.resolve(t);
      },
      close() {
        fetcher.untrack(t);
      },
    };
    this.tracked.add(t);
    this.resolve(t);
    return t;
  }

  /** Stops every partition; listeners are not called again. */
  close(): void {
    this.closed = true;
    for (const t of [...this.tracked]) this.untrack(t);
  }

  private untrack(t: Tracked): void {
    if (t.state === 'closed') return;
    this.leaveLoop(t);
    t.state = 'closed';
    if (t.timer !== undefined) clearTimeout(t.timer);
    this.tracked.delete(t);
    this.stats.partitionFetches.delete(`${t.topic}-${t.partition}`);
  }

  private leaveLoop(t: Tracked): void {
    if (t.broker !== undefined) this.loops.get(t.broker)?.partitions.delete(t);
    t.broker = undefined;
  }

  /** Finds the partition's leader and puts it in that broker's loop. */
  private resolve(t: Tracked): void {
    this.leaveLoop(t);
    t.state = 'resolving';
    this.client.leaderOf(t.topic, t.partition).then((broker) => {
      if (t.state !== 'resolving') return;
      t.state = 'ready';
      t.broker = broker;
      let loop = this.loops.get(broker);
      if (loop === undefined) {
        loop = { partitions: new Set(), running: false };
        this.loops.set(broker, loop);
      }
      loop.partitions.add(t);
      if (!loop.running) void this.run(broker, loop);
    }, (e: unknown) => {
      if (t.state !== 'resolving') return;
      if (isGone(e)) {
        this.untrack(t);
        t.listener.gone(e as Error);
      } else if (!(e instanceof KafkaClientClosedError)) {
        this.retryLater(t);
      }
    });
  }

  private retryLater(t: Tracked): void {
    if (t.state === 'closed' || this.closed) return;
    this.leaveLoop(t);
    t.state = 'resolving';
    const o = this.options;
    const delay = Math.min(o.retryBackoffMaxMs, o.retryBackoffMs * 2 ** Math.min(t.failures++, 16));
    t.timer = setTimeout(() => {
      t.timer = undefined;
      if (t.state !== 'resolving') return;
      this.client.invalidate(t.topic);
      this.resolve(t);
    }, delay);
    t.timer.unref?.();
  }

  /** One broker's long-poll loop: all its ready partitions in one Fetch, until it has none. */
  private async run(broker: string, loop: BrokerLoop): Promise<void> {
    loop.running = true;
    try {
      while (!this.closed && loop.partitions.size > 0) {
        const batch = [...loop.partitions];
        const epochs = batch.map((t) => t.epoch);
        this.stats.requests++;
        for (const t of batch) {
          const key = `${t.topic}-${t.partition}`;
          this.stats.partitionFetches.set(key, (this.stats.partitionFetches.get(key) ?? 0) + 1);
        }
        let res: MultiFetchResult;
        try {
          res = await this.client.fetchFrom(broker, batch.map((t) => ({ topic: t.topic, partition: t.partition, offset: t.position })), {
            maxWaitMs: this.options.maxWaitMs, minBytes: 1, maxBytes: this.options.maxBytes,
            partitionMaxBytes: this.options.partitionMaxBytes, isolation: this.options.isolation,
            // A lane per isolation level: two fetchers of one client never wait on each other's long poll.
            lane: `tail-${this.options.isolation ?? 'read_uncommitted'}`,
          });
        } catch (e) {
          if (this.closed || e instanceof KafkaClientClosedError) return;
          // The connection (or the broker) failed: every partition looks its leader up again.
          for (const t of batch) if (t.broker === broker && t.state === 'ready') this.retryLater(t);
          continue;
        }
        try {
          for (const o of res.partitions) {
            const i = batch.findIndex((t) => t.topic === o.topic && t.partition === o.partition);
            const t = batch[i];
            // Closed, moved or sought while the fetch was out: this answer is for a position it left.
            if (t === undefined || t.state !== 'ready' || t.broker !== broker || t.epoch !== epochs[i]) continue;
            this.deliver(t, o);
          }
        } finally {
          res.release();
        }
      }
    } finally {
      loop.running = false;
      if (loop.partitions.size === 0) this.loops.delete(broker);
      else if (!this.closed) void this.run(broker, loop);
    }
  }

  private deliver(t: Tracked, o: PartitionFetchOutcome): void {
    if (o.error === undefined) {
      t.failures = 0;
      const before = t.epoch;
      t.listener.records(o);
      // The listener may have sought or closed; otherwise continue after what it got.
      if (t.epoch === before && t.state === 'ready') t.position = o.nextOffset;
      return;
    }
    const e = o.error;
    if (e instanceof KafkaProtocolError && e.errorName === 'OFFSET_OUT_OF_RANGE') {
      this.leaveLoop(t);
      t.state = 'parked';
      t.listener.outOfRange(o.logStartOffset, o.highWatermark);
      return;
    }
    if (!isRetriable(e)) t.listener.failed(e);
    // Leadership moved, the topic is being re-created, or the listener was told: look again later.
    this.retryLater(t);
  }
}

function isGone(e: unknown): boolean {
  if (e instanceof RetriesExhaustedError) return isGone(e.cause);
  return e instanceof UnknownTopicError || e instanceof UnknownPartitionError;
}
