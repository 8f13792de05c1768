import { encodeRecordChunks, type PushedRecords, type RecordChunk } from '../protocol/fetch-reply.js';
import type { StreamSource, TailRead } from './source.js';

/** A partition stream as a tail reader sees it. */
export interface LiveStream {
  /** The next offset the stream needs. */
  readonly cursor: bigint;
  /**
   * Chunks the reader just read and encoded. The stream sends what continues its cursor; it
   * returns false when it leaves the reader (out of credit, or the chunks do not continue it).
   */
  offer(chunks: readonly RecordChunk[]): boolean;
  /**
   * The stream leaves the reader: 'behind' (it must read on its own: a record the shared chunks
   * cannot carry, or the tail fell off the log), 'gone' (the topic or partition was deleted) or
   * 'unauthorized'.
   */
  readerLost(why: 'behind' | 'gone' | 'unauthorized', error: Error | undefined): void;
}

export interface TailHubOptions {
  /** Target size of one chunk's messages; a larger record goes alone (default 64 KiB). */
  chunkBytes?: number;
  /** A record's message may not exceed this (default 16 MiB); beyond it the reader's streams are told. */
  maxEntryBytes?: number;
  /** How long a reader with no stream keeps reading, for streams about to join (default 10 s). */
  idleMs?: number;
}

/**
 * The shared readers of one StreamSource: one per topic-partition, at its tail, however many
 * streams follow it. What a reader reads is encoded once (encodeRecordChunks) and the same chunk
 * bodies go to every stream at that position; a stream's own cost is its frame prefix and the
 * socket write. Streams behind the tail read on their own and join when they reach it.
 */
export class TailHub {
  readonly source: StreamSource;
  readonly chunkBytes: number;
  readonly maxEntryBytes: number;
  private readonly idleMs: number;
  private readonly readers = new Map<string, TailReader>();
  private readonly starting = new Map<string, Promise<TailReader>>();
  private closed = false;

  constructor(source: StreamSource, options: TailHubOptions = {}) {
    this.source = source;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.maxEntryBytes = options.maxEntryBytes ?? 16 * 1024 * 1024;
    this.idleMs = options.idleMs ?? 10_000;
  }

  /** Readers running now. */
  get size(): number {
    return this.readers.size;
  }

  /** The partition's reader, if one runs. */
  reader(topic: string, partition: number): TailReader | undefined {
    return this.readers.get(key(topic, partition));
  }

  /** The partition's reader, started at the end of the log if none runs. */
  ensureReader(topic: string, partition: number): Promise<TailReader> {
    const k = key(topic, partition);
    const r = this.readers.get(k);
    if (r !== undefined) return Promise.resolve(r);
    let p = this.starting.get(k);
    if (p === undefined) {
      p = this.source.offsets(topic, [partition], -1n).then((ends) => {
        const existing = this.readers.get(k);
        if (existing !== undefined) return existing;
        if (this.closed) throw new Error('the tail hub is closed');
        const reader = new TailReader(this, topic, partition, ends.get(partition) ?? 0n, () => this.readers.delete(k), this.idleMs);
        this.readers.set(k, reader);
        return reader;
      }).finally(() => this.starting.delete(k));
      this.starting.set(k, p);
    }
    return p;
  }

  close(): void {
    this.closed = true;
    for (const r of [...this.readers.values()]) r.stop();
  }
}

function key(topic: string, partition: number): string {
  return `${partition} ${topic}`;
}

/** One partition's shared read at its tail. */
export class TailReader {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the reader will read: a stream whose cursor equals it is at the tail. */
  next: bigint;
  private readonly live = new Set<LiveStream>();
  private readonly hub: TailHub;
  private readonly read: TailRead;
  private readonly onStop: () => void;
  private readonly idleMs: number;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(hub: TailHub, topic: string, partition: number, next: bigint, onStop: () => void, idleMs: number) {
    this.hub = hub;
    this.topic = topic;
    this.partition = partition;
    this.next = next;
    this.onStop = onStop;
    this.idleMs = idleMs;
    this.read = hub.source.tail(topic, partition, next, {
      records: (r) => this.records(r),
      outOfRange: (start, hw) => this.outOfRange(start, hw),
      gone: (e) => this.lose('gone', e),
      failed: (e) => {
        if (hub.source.isUnauthorized(e)) this.lose('unauthorized', e);
      },
    });
    this.armIdle();
  }

  /** Streams following it now. */
  get streams(): number {
    return this.live.size;
  }

  /** Follows the reader from `stream.cursor`, which must be at or past `next`. */
  attach(stream: LiveStream): void {
    if (this.stopped) throw new Error('the reader has stopped');
    this.live.add(stream);
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  detach(stream: LiveStream): void {
    this.live.delete(stream);
    if (this.live.size === 0) this.armIdle();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.read.close();
    this.onStop();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private armIdle(): void {
    if (this.stopped || this.idleTimer !== undefined) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.live.size === 0) this.stop();
    }, this.idleMs);
    this.idleTimer.unref?.();
  }

  private records(r: PushedRecords): void {
    let chunks: RecordChunk[];
    try {
      chunks = encodeRecordChunks(r, this.partition, undefined, this.hub.chunkBytes, this.hub.maxEntryBytes);
    } catch {
      // A record too large or corrupt for a shared chunk: the streams read it on their own, which
      // reports it to each of them with their own limits; the reader moves past it.
      this.next = r.nextOffset;
      for (const s of [...this.live]) {
        this.live.delete(s);
        s.readerLost('behind', undefined);
      }
      this.armIdle();
      return;
    }
    this.next = r.nextOffset;
    for (const s of this.live) {
      if (!s.offer(chunks)) this.live.delete(s);
    }
    if (this.live.size === 0) this.armIdle();
  }

  private outOfRange(logStart: bigint, highWatermark: bigint): void {
    // The tail fell off the log: the topic was truncated past it or re-created. The reader goes
    // back to the end; its streams find out on their own reads, which apply their own policy.
    this.next = highWatermark;
    this.read.seek(highWatermark);
    void logStart;
    for (const s of [...this.live]) {
      this.live.delete(s);
      s.readerLost('behind', undefined);
    }
    this.armIdle();
  }

  private lose(why: 'gone' | 'unauthorized', e: Error): void {
    const streams = [...this.live];
    this.live.clear();
    this.stop();
    for (const s of streams) s.readerLost(why, e);
  }
}
