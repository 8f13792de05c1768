import type { RecordInput } from '../records/encode.js';
import { ProducerBatch, type Acks, type SendCall } from './producer-batch.js';
import { PartitionSequences } from './sequences.js';

/** How one send call's records are batched (per call: routes differ). */
export interface BatchSettings {
  acks: Acks;
  /** Codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compression: number;
  /** How long a batch that is not full waits for more records (linger.ms). */
  lingerMs: number;
  /** A batch is closed once it holds this many bytes (batch.size); a larger record gets a batch of its own. */
  batchBytes: number;
  deliveryTimeoutMs: number;
}

/**
 * One partition's batches waiting to be sent, oldest first, and what the sender knows of the
 * partition: its leader, its sequences, how many of its batches are in flight. Only the last batch
 * may still be open. Batches waiting to be sent again sit at the front, in sequence order, so the
 * partition's records reach Kafka in the order they were given.
 */
export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly batches: ProducerBatch[] = [];
  readonly seq = new PartitionSequences<ProducerBatch>();
  /** Batches of this partition in requests not answered yet. */
  inFlight = 0;
  /** "host:port" of the leader, while known. */
  leader: string | undefined;
  /** A leader lookup is running. */
  resolving = false;
  /** Nothing is sent before this (ms since the epoch): backoff after a failure. */
  backoffUntil = 0;
  /** Failures in a row, for the backoff. */
  failures = 0;
  /** Waiting for a fresh producer id to start its sequence over. */
  restarting = false;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /**
   * Adds a record to the open batch when it fits (same acks and compression, within batchBytes),
   * else to a new batch.
   * @returns whether a batch was closed by this append (the sticky partitioner moves on then)
   */
  append(record: RecordInput, bytes: number, call: SendCall, index: number, s: BatchSettings, now: number): boolean {
    let closed = false;
    let b = this.batches[this.batches.length - 1];
    if (b !== undefined && !b.closed && (b.acks !== s.acks || b.compression !== s.compression || b.bytes + bytes > s.batchBytes)) {
      b.closed = true;
      closed = true;
    }
    if (b === undefined || b.closed) {
      b = new ProducerBatch(this.topic, this.partition, s.acks, s.compression, now, s.lingerMs, s.deliveryTimeoutMs);
      this.batches.push(b);
    }
    b.add(record, bytes, call, index, now + s.lingerMs);
    if (b.bytes >= s.batchBytes) {
      b.closed = true;
      closed = true;
    }
    return closed;
  }

  /** The first batch when it may be sent now: full, its linger over, or `force` (flush, close). */
  ready(now: number, force: boolean): ProducerBatch | undefined {
    const b = this.batches[0];
    return b !== undefined && (b.closed || b.readyAt <= now || force) ? b : undefined;
  }

  /**
   * Takes the first batch for sending.
   * @returns whether it was still open (then closed by this)
   */
  take(): boolean {
    const b = this.batches.shift()!;
    const wasOpen = !b.closed;
    b.closed = true;
    return wasOpen;
  }

  /** Puts a batch back to be sent again, before every batch with a later sequence or none. */
  requeue(b: ProducerBatch): void {
    let i = 0;
    while (i < this.batches.length) {
      const o = this.batches[i]!;
      if (o.baseSequence < 0 || b.baseSequence < 0 || o.ordinal > b.ordinal) break;
      i++;
    }
    this.batches.splice(i, 0, b);
  }

  /** Removes and returns the waiting batches whose delivery deadline has passed. */
  expire(now: number): ProducerBatch[] {
    let expired: ProducerBatch[] | undefined;
    for (let i = 0; i < this.batches.length;) {
      const b = this.batches[i]!;
      if (b.deadline <= now) {
        (expired ??= []).push(b);
        this.batches.splice(i, 1);
      } else i++;
    }
    return expired ?? [];
  }

  /** Removes one waiting batch (e.g. failed at a restart). */
  remove(b: ProducerBatch): void {
    const i = this.batches.indexOf(b);
    if (i >= 0) this.batches.splice(i, 1);
  }
}

/** Every partition's queue, and the set of those with something to do, which the sender walks. */
export class Accumulator {
  /** Queues with waiting batches or batches in flight. */
  readonly active = new Set<PartitionQueue>();
  private readonly queues = new Map<string, PartitionQueue>();

  /** The partition's queue, created on first use; kept after, for its sequence state. */
  queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\u0000${partition}`;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new PartitionQueue(topic, partition);
      this.queues.set(key, q);
    }
    return q;
  }

  /** The queue if it exists. */
  peek(topic: string, partition: number): PartitionQueue | undefined {
    return this.queues.get(`${topic}\u0000${partition}`);
  }

  get size(): number {
    return this.queues.size;
  }

  all(): IterableIterator<PartitionQueue> {
    return this.queues.values();
  }
}
