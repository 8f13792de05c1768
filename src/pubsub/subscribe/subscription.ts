import { RecordTooLargeError } from '../errors.js';
import { encodeRecordChunks, type RecordChunk } from '../protocol/fetch-reply.js';
import type { OutOfRangePolicy } from '../protocol/request.js';
import { pushPrefixSize, type EndReason, type SubscriptionEndInfo } from '../protocol/subscription-replies.js';
import type { Semaphore } from './semaphore.js';
import { OffsetOutOfRange, type PartitionRead } from './source.js';
import type { LiveStream, TailHub, TailReader } from './tail-hub.js';

/** What a subscription writes to: its connection. */
export interface SubscriptionOutput {
  /** A KafkaRecordsPush: the subscription's prefix, then the chunk's shared body. */
  push(subscription: number, body: Buffer): void;
  /** Whether the connection takes more pushes now (it is not over its unsent bytes). */
  accepting(): boolean;
  /** The subscription has ended; `end` says why and where it stopped. */
  ended(subscription: Subscription, end: SubscriptionEndInfo): void;
}

export interface SubscriptionLimits {
  hub: TailHub;
  /** Reads of streams behind the tail, per route at once. */
  reads: Semaphore;
  /** The route's frame limit: no push is larger. */
  maxFrameBytes: number;
}

/** Largest credit kept: beyond it a grant changes nothing (a safe integer). */
const MAX_CREDIT = Number.MAX_SAFE_INTEGER;
const READ_BACKOFF_MS = 100;
const READ_BACKOFF_MAX_MS = 5000;
/** A read behind the tail asks for at most this much (and no more than the credit left). */
const MAX_READ_BYTES = 1024 * 1024;
const MIN_READ_BYTES = 1024;
/** Bytes of a push besides its messages, at most: the prefix (key, length, subscription) and the partition, high watermark and next offset. */
const PUSH_PREFIX_ROOM = 48;

/**
 * One client subscription: a topic's partitions streamed from their cursors within the credit
 * the client grants. Each partition is a PartitionStream that follows the partition's shared
 * tail reader while it keeps up, and reads on its own while it is behind.
 */
export class Subscription {
  readonly id: number;
  readonly topic: string;
  readonly outOfRange: OutOfRangePolicy;
  readonly streams = new Map<number, PartitionStream>();
  /** Bytes of pushed frames the client still allows. */
  credit: number;
  ended = false;
  /** Largest chunk of messages a push of this subscription may carry (the route's frame limit less the prefix). */
  readonly chunkBytes: number;
  readonly limits: SubscriptionLimits;
  private readonly output: SubscriptionOutput;

  constructor(id: number, topic: string, starts: ReadonlyMap<number, bigint>, credit: number, outOfRange: OutOfRangePolicy, limits: SubscriptionLimits, output: SubscriptionOutput) {
    this.id = id;
    this.topic = topic;
    this.outOfRange = outOfRange;
    this.credit = Math.min(credit, MAX_CREDIT);
    this.limits = limits;
    this.output = output;
    this.chunkBytes = Math.max(1, Math.min(limits.hub.chunkBytes, limits.maxFrameBytes - PUSH_PREFIX_ROOM));
    for (const [partition, offset] of starts) this.streams.set(partition, new PartitionStream(this, partition, offset));
  }

  /** Starts streaming (after the subscribe reply has left). */
  start(): void {
    for (const s of this.streams.values()) s.kick();
  }

  /** The next offset of every partition. */
  cursor(): Map<number, bigint> {
    const c = new Map<number, bigint>();
    for (const [p, s] of this.streams) c.set(p, s.cursor);
    return c;
  }

  /** The connection caught up: streams that waited for it go on. */
  resume(): void {
    if (this.ended) return;
    for (const s of this.streams.values()) s.kick();
  }

  /** More credit from the client: streams that waited for it go on. */
  grant(bytes: number): void {
    if (this.ended) return;
    this.credit = Math.min(MAX_CREDIT, this.credit + bytes);
    for (const s of this.streams.values()) s.kick();
  }

  /** Sends `chunk` for `stream` if the credit allows; the stream's cursor then moves past it. */
  send(stream: PartitionStream, chunk: RecordChunk): boolean {
    if (this.ended) return false;
    const size = pushPrefixSize(this.id, chunk.body.length) + chunk.body.length;
    if (size > this.credit) {
      stream.needed = size;
      return false;
    }
    // The connection is behind: nothing more piles up for it. Its streams wait, and go on when it
    // has caught up (Subscriptions.push), or it is closed as a slow consumer.
    if (!this.output.accepting()) return false;
    this.credit -= size;
    stream.cursor = chunk.next;
    this.output.push(this.id, chunk.body);
    return true;
  }

  /** Ends it: no more pushes; `output.ended` is told once, with the cursor. */
  end(reason: EndReason, message: string, extra?: { partition: number; logStartOffset: bigint }): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of this.streams.values()) s.stop();
    this.output.ended(this, { reason, message, cursor: this.cursor(), ...(extra ?? {}) });
  }
}

/** One partition of a subscription. */
export class PartitionStream implements LiveStream {
  readonly partition: number;
  cursor: bigint;
  /** Credit the stream waits for before it goes on (the size of the push that did not fit). */
  needed = 0;
  /** 'idle' (waiting for credit), 'live' (following the tail reader), 'reading' (behind, reading on its own), 'stopped'. */
  mode: 'idle' | 'live' | 'reading' | 'stopped' = 'idle';
  private readonly sub: Subscription;
  private reader: TailReader | undefined;
  private failures = 0;

  constructor(sub: Subscription, partition: number, cursor: bigint) {
    this.sub = sub;
    this.partition = partition;
    this.cursor = cursor;
  }

  /** Goes on if it is waiting and the credit now allows. */
  kick(): void {
    if (this.mode !== 'idle' || this.sub.ended || this.sub.credit < this.needed) return;
    this.needed = 0;
    this.mode = 'reading';
    void this.catchUp();
  }

  stop(): void {
    this.mode = 'stopped';
    this.reader?.detach(this);
    this.reader = undefined;
  }

  offer(chunks: readonly RecordChunk[]): boolean {
    if (this.mode !== 'live') return false;
    for (const chunk of chunks) {
      if (chunk.next <= this.cursor) continue; // before the stream's cursor: it joined ahead of the reader
      if (chunk.from !== this.cursor) return this.leave('reading');
      if (chunk.records === 0) {
        this.cursor = chunk.next;
        continue;
      }
      if (!this.sub.send(this, chunk)) return this.leave('idle');
    }
    return true;
  }

  readerLost(why: 'behind' | 'gone' | 'unauthorized', error: Error | undefined): void {
    if (this.mode !== 'live') return;
    this.reader = undefined;
    if (why === 'behind') {
      this.mode = 'reading';
      void this.catchUp();
    } else {
      this.mode = 'idle';
      this.sub.end(why === 'gone' ? 'topic_deleted' : 'unauthorized', error === undefined ? why : this.sub.limits.hub.source.describeError(error));
    }
  }

  /** Leaves the reader (returns false for offer). */
  private leave(mode: 'idle' | 'reading'): false {
    this.reader = undefined;
    this.mode = mode;
    if (mode === 'reading') void this.catchUp();
    return false;
  }

  /**
   * Reads on its own from the cursor until it reaches the tail reader (then follows it) or runs
   * out of credit (then waits for more). What it reads is encoded for this stream only, up to
   * the reader's position, so that it joins exactly there: no gap, no duplicate.
   */
  private async catchUp(): Promise<void> {
    const { hub, reads } = this.sub.limits;
    const source = hub.source;
    const topic = this.sub.topic;
    while (this.mode === 'reading' && !this.sub.ended) {
      let reader: TailReader;
      try {
        reader = hub.reader(topic, this.partition) ?? await hub.ensureReader(topic, this.partition);
      } catch (e) {
        if (!await this.failed(e)) return;
        continue;
      }
      if (this.mode !== 'reading' || this.sub.ended) return;
      if (reader.isStopped) continue;
      if (this.cursor >= reader.next) {
        this.reader = reader;
        this.mode = 'live';
        reader.attach(this);
        return;
      }
      const release = await reads.acquire();
      let read: PartitionRead;
      try {
        if (this.mode !== 'reading' || this.sub.ended) return;
        const maxBytes = Math.max(MIN_READ_BYTES, Math.min(MAX_READ_BYTES, this.sub.credit));
        read = await source.read(topic, this.partition, this.cursor, maxBytes);
      } catch (e) {
        release();
        if (e instanceof OffsetOutOfRange) {
          if (!this.outOfRange(e)) return;
          continue;
        }
        if (!await this.failed(e)) return;
        continue;
      }
      release();
      let chunks: RecordChunk[];
      try {
        if (this.mode !== 'reading' || this.sub.ended || read.fromOffset !== this.cursor) continue;
        // Chunks no larger than the credit left (the prefix aside), so a small credit still moves.
        const chunkBytes = Math.max(1, Math.min(this.sub.chunkBytes, this.sub.credit - PUSH_PREFIX_ROOM));
        chunks = encodeRecordChunks(read, this.partition, reader.next, chunkBytes, this.sub.limits.maxFrameBytes - PUSH_PREFIX_ROOM);
      } catch (e) {
        this.sub.end('error', e instanceof RecordTooLargeError ? `partition ${this.partition}: ${e.message}` : source.describeError(e));
        return;
      } finally {
        read.release?.();
      }
      this.failures = 0;
      const before = this.cursor;
      for (const chunk of chunks) {
        if (chunk.records === 0) {
          this.cursor = chunk.next;
          continue;
        }
        if (!this.sub.send(this, chunk)) {
          this.mode = 'idle';
          return;
        }
      }
      // Nothing moved (a transaction still open at the cursor): wait before asking again.
      if (this.cursor === before) await sleep(READ_BACKOFF_MS);
    }
  }

  /** OFFSET_OUT_OF_RANGE on its own read: the subscription's policy. Returns whether to go on. */
  private outOfRange(e: OffsetOutOfRange): boolean {
    const policy = this.sub.outOfRange;
    if (policy === 'end') {
      this.sub.end('offset_out_of_range', `partition ${this.partition}: offset ${this.cursor} is not on the log (it starts at ${e.logStartOffset})`,
        { partition: this.partition, logStartOffset: e.logStartOffset });
      return false;
    }
    this.cursor = policy === 'earliest' ? e.logStartOffset : e.highWatermark;
    return true;
  }

  /** A failed read or lookup: ends the subscription when retrying cannot help, else backs off. Returns whether to go on. */
  private async failed(e: unknown): Promise<boolean> {
    const source = this.sub.limits.hub.source;
    if (source.isGone(e)) {
      this.sub.end('topic_deleted', source.describeError(e));
      return false;
    }
    if (source.isUnauthorized(e)) {
      this.sub.end('unauthorized', source.describeError(e));
      return false;
    }
    await sleep(Math.min(READ_BACKOFF_MAX_MS, READ_BACKOFF_MS * 2 ** Math.min(this.failures++, 10)));
    return this.mode === 'reading' && !this.sub.ended;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
