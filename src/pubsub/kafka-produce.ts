import { createHash } from 'node:crypto';
import type { Producer, RecordResult, SendOptions } from '../kafka-wire/index.js';
import type { ProduceOutcome } from './backend.js';
import { TopicNotAllowedError } from './errors.js';
import { IdempotencyCache } from './idempotency.js';
import type { ProduceRecordInput } from './protocol/request.js';

/** What one produce command wrote, for metrics (repeats answered from the cache are not counted). */
export interface ProduceReport {
  /** Records acknowledged (or, with acks=0, handed to the broker). */
  records: number;
  /** Their key, value and header bytes. */
  bytes: number;
  /** The error name of each record that failed. */
  errors: readonly string[];
}

/** A route's produce side: the shared producer plus the route's own rules. */
export interface KafkaProduceOptions {
  /** The cluster's one idempotent producer, shared with every route on the same cluster and credentials. */
  producer: Producer;
  /** The route's acks, compression, linger and batch size, given with each send. */
  send: SendOptions;
  /** The route's produce allow-list (its own, apart from the consume one). */
  topicAllowed: (topic: string) => boolean;
  /** The largest record (key, value and headers) a client may send; larger ones fail with MESSAGE_TOO_LARGE. */
  maxRecordBytes: number;
  /** Results by idempotency key; undefined: keys are not remembered (an idempotency window of 0). */
  idempotency?: ProduceResults;
  /** After each command written. */
  observe?: (report: ProduceReport) => void;
  /** A command answered from `idempotency` instead of being written again. */
  repeated?: () => void;
}

/**
 * One command's results, packed: 20 bytes a record instead of an object each, so that the
 * idempotency cache of a busy route holds many more commands in the same memory.
 */
export interface PackedOutcomes {
  partitions: Int32Array;
  offsets: BigInt64Array;
  timestamps: BigInt64Array;
  /** Error name by record index. */
  errors: Map<number, string> | undefined;
  /** Whether any record was, or may have been, written. */
  written: boolean;
}

export type ProduceResults = IdempotencyCache<PackedOutcomes>;

/** Bytes a packed result takes, for the cache's bound. */
const PER_RECORD_BYTES = 20;
const PER_ERROR_BYTES = 80;
const PACKED_OVERHEAD = 320;
/** Scoped keys longer than this are kept as their SHA-256 instead: a client's key costs a bounded amount. */
const MAX_PLAIN_KEY = 128;

/**
 * The results cache of one route. A command none of whose records was (or may have been)
 * written is not kept: its retry runs again rather than repeating the failure.
 */
export function produceResults(windowMs: number, maxBytes?: number): ProduceResults {
  return new IdempotencyCache<PackedOutcomes>({
    windowMs,
    ...(maxBytes === undefined ? {} : { maxBytes }),
    sizeOf: (p) => PACKED_OVERHEAD + PER_RECORD_BYTES * p.partitions.length + PER_ERROR_BYTES * (p.errors?.size ?? 0),
    keep: (p) => p.written,
  });
}

/**
 * The produce command on Kafka: the route's allow-list, the record size limit, the idempotency
 * cache, then the shared Producer (KIP-98 sequences, so the producer's own retries never
 * duplicate; the cache covers the client's retries of a whole command).
 */
export class KafkaProduce {
  private readonly options: KafkaProduceOptions;

  constructor(options: KafkaProduceOptions) {
    this.options = options;
  }

  /**
   * One outcome per record, in order. `subject` scopes the idempotency key: two identities using
   * the same key never get each other's results.
   * @throws TopicNotAllowedError when the route's produce allow-list excludes `topic`
   */
  async produce(topic: string, partition: number | undefined, records: readonly ProduceRecordInput[], idempotencyKey: string, subject: string): Promise<ProduceOutcome[]> {
    const o = this.options;
    if (!o.topicAllowed(topic)) throw new TopicNotAllowedError(topic);
    const cache = o.idempotency;
    if (idempotencyKey === '' || cache === undefined) return unpack(await this.write(topic, partition, records));
    const packed = await cache.run(scopedKey(subject, topic, idempotencyKey), () => this.write(topic, partition, records), Date.now(), o.repeated);
    // A repeat may carry other records than the first attempt; its answer is the first attempt's.
    return unpack(packed);
  }

  private async write(topic: string, partition: number | undefined, records: readonly ProduceRecordInput[]): Promise<PackedOutcomes> {
    const o = this.options;
    const n = records.length;
    const sizes = new Array<number>(n);
    let tooLarge = 0;
    for (let i = 0; i < n; i++) {
      const s = recordBytes(records[i]!);
      sizes[i] = s;
      if (s > o.maxRecordBytes) tooLarge++;
    }
    // Stamped here, once per command, rather than by the producer, which copies each record it
    // has to stamp: these objects are the command's own, decoded from its frame.
    const now = BigInt(Date.now());
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      if (r.timestamp === undefined) r.timestamp = now;
    }
    const send = tooLarge === 0 ? records : records.filter((_, i) => sizes[i]! <= o.maxRecordBytes);
    const results = send.length === 0 ? [] : await o.producer.send(topic, partition, send, o.send);
    const packed: PackedOutcomes = {
      partitions: new Int32Array(n), offsets: new BigInt64Array(n), timestamps: new BigInt64Array(n), errors: undefined, written: false,
    };
    const errors: string[] = [];
    let bytes = 0;
    let written = 0;
    for (let i = 0, j = 0; i < n; i++) {
      if (sizes[i]! > o.maxRecordBytes) {
        fail(packed, i, partition ?? -1, 'MESSAGE_TOO_LARGE', errors);
        continue;
      }
      const r: RecordResult = results[j++]!;
      if (r.error !== undefined) {
        fail(packed, i, r.partition, r.error.errorName, errors);
        if (r.error.maybeWritten) packed.written = true;
        continue;
      }
      packed.partitions[i] = r.partition;
      packed.offsets[i] = r.offset;
      packed.timestamps[i] = r.timestamp;
      packed.written = true;
      written++;
      bytes += sizes[i]!;
    }
    o.observe?.({ records: written, bytes, errors });
    return packed;
  }
}

function fail(p: PackedOutcomes, i: number, partition: number, name: string, errors: string[]): void {
  p.partitions[i] = partition;
  p.offsets[i] = -1n;
  p.timestamps[i] = -1n;
  (p.errors ??= new Map()).set(i, name);
  errors.push(name);
}

function unpack(p: PackedOutcomes): ProduceOutcome[] {
  const n = p.partitions.length;
  const out = new Array<ProduceOutcome>(n);
  for (let i = 0; i < n; i++) {
    const error = p.errors?.get(i);
    out[i] = error === undefined
      ? { partition: p.partitions[i]!, offset: p.offsets[i]!, timestamp: p.timestamps[i]! }
      : { partition: p.partitions[i]!, error };
  }
  return out;
}

/** The bytes max_record_bytes limits: key, value, and each header's key and value. */
function recordBytes(r: ProduceRecordInput): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += Buffer.byteLength(h.key, 'utf8') + (h.value?.length ?? 0);
  return n;
}

/** The cache key: subject, topic and the client's key, unambiguous (length-prefixed) and bounded in size. */
function scopedKey(subject: string, topic: string, key: string): string {
  const k = `${subject.length}:${subject}${topic.length}:${topic}${key}`;
  return k.length <= MAX_PLAIN_KEY ? k : createHash('sha256').update(k).digest('base64');
}
