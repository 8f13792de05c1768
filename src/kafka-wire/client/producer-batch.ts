import { V2_HEADER_SIZE } from '../records/batch.js';
import { encodeRecordBatch, type RecordInput } from '../records/encode.js';
import type { ProduceError } from './errors.js';
import type { SequencedBatch } from './sequences.js';

/** -1 waits for every in-sync replica, 1 for the leader, 0 for nothing (Kafka sends no response). */
export type Acks = -1 | 0 | 1;

/** What a Producer says about one record. */
export type RecordResult =
  | {
    partition: number;
    /** -1 for acks=0 (Kafka answers nothing), and for a duplicate Kafka no longer has the offsets of. */
    offset: bigint;
    /** The record's timestamp as stored: the broker's append time on LogAppendTime topics, else the record's own. */
    timestamp: bigint;
    error?: undefined;
  }
  | { partition: number; error: ProduceError; offset?: undefined; timestamp?: undefined };

/** The records of one Producer.send call, answered once every one of them has its result. */
export class SendCall {
  readonly results: RecordResult[];
  readonly promise: Promise<RecordResult[]>;
  private remaining: number;
  private resolve!: (r: RecordResult[]) => void;

  constructor(count: number) {
    this.results = new Array<RecordResult>(count);
    this.remaining = count;
    this.promise = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (count === 0) this.resolve(this.results);
  }

  get done(): boolean {
    return this.remaining === 0;
  }

  settle(index: number, result: RecordResult): void {
    this.results[index] = result;
    if (--this.remaining === 0) this.resolve(this.results);
  }
}

/**
 * The most encodeRecordBatch adds per record beyond key, value and headers: the length (5), the
 * attributes (1), the timestamp delta (10), the offset delta, key length, value length and header
 * count (5 each); and per header its key and value lengths.
 */
const RECORD_OVERHEAD = 36;
const HEADER_OVERHEAD = 10;

/** An upper bound of a record's encoded size, uncompressed. */
export function estimateRecordBytes(r: RecordInput): number {
  let n = RECORD_OVERHEAD + byteLength(r.key) + byteLength(r.value);
  for (const h of r.headers ?? []) n += HEADER_OVERHEAD + Buffer.byteLength(h.key, 'utf8') + byteLength(h.value);
  return n;
}

function byteLength(v: Uint8Array | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** The fixed part of a v2 batch (its header), counted once per batch. */
export const BATCH_OVERHEAD = V2_HEADER_SIZE;

/**
 * Records bound for one partition with the same acks and compression, sent as one record batch.
 * Records from any number of send calls share it; each remembers its call and its index there.
 */
export class ProducerBatch implements SequencedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly acks: Acks;
  readonly compression: number;
  readonly records: RecordInput[] = [];
  readonly calls: SendCall[] = [];
  readonly indexes: number[] = [];
  /** Estimated uncompressed size of the encoded batch. */
  bytes = BATCH_OVERHEAD;
  /** Past this (ms since the epoch), the records fail with KWIRE_ERR_PRODUCE_TIMEOUT. */
  readonly deadline: number;
  /** When linger ends and the batch is ready to send even if not full. */
  readyAt: number;
  /** No more records join it: full, or taken for sending. */
  closed = false;
  producerId = -1n;
  producerEpoch = -1;
  baseSequence = -1;
  ordinal = -1;
  maybeWritten = false;
  sentAsOldest = false;
  /** Sends so far. */
  attempts = 0;
  /** Why the last attempt failed, for the error if the batch fails. */
  lastError: Error | undefined;
  private encoded: Buffer | undefined;
  private encodedFor = '';

  constructor(topic: string, partition: number, acks: Acks, compression: number, now: number, lingerMs: number, deliveryTimeoutMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.acks = acks;
    this.compression = compression;
    this.readyAt = now + lingerMs;
    this.deadline = now + deliveryTimeoutMs;
  }

  get count(): number {
    return this.records.length;
  }

  add(record: RecordInput, bytes: number, call: SendCall, index: number, readyAt: number): void {
    this.records.push(record);
    this.calls.push(call);
    this.indexes.push(index);
    this.bytes += bytes;
    if (readyAt < this.readyAt) this.readyAt = readyAt;
  }

  /**
   * The batch's bytes for its current producer id, epoch and sequence, encoded (and compressed)
   * once and again only when a restart gave it a new sequence.
   */
  encode(): Buffer {
    const key = `${this.producerId}/${this.producerEpoch}/${this.baseSequence}`;
    if (this.encoded === undefined || this.encodedFor !== key) {
      this.encoded = encodeRecordBatch({
        records: this.records,
        compression: this.compression,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        baseSequence: this.baseSequence,
      });
      this.encodedFor = key;
    }
    return this.encoded;
  }

  /** The largest record timestamp: what Kafka keeps as the batch's timestamp on CreateTime topics. */
  maxTimestamp(): bigint {
    let max = -1n;
    for (const r of this.records) if (r.timestamp! > max) max = r.timestamp!;
    return max;
  }

  /**
   * Settles every record with its offset, and its timestamp: `appendTime` for all of them on a
   * LogAppendTime topic, else each record's own.
   */
  succeed(baseOffset: bigint, appendTime: bigint | undefined): void {
    for (let i = 0; i < this.records.length; i++) {
      this.calls[i]!.settle(this.indexes[i]!, {
        partition: this.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: appendTime ?? this.records[i]!.timestamp!,
      });
    }
  }

  /** Settles every record with an error; `perRecord` may give some records their own (KIP-467). */
  fail(error: ProduceError, perRecord?: ReadonlyMap<number, ProduceError>): void {
    for (let i = 0; i < this.records.length; i++) {
      this.calls[i]!.settle(this.indexes[i]!, { partition: this.partition, error: perRecord?.get(i) ?? error });
    }
  }
}
