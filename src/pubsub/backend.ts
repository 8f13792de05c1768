import type { RecordBatch } from '../kafka-wire/index.js';
import type { ProduceRecordInput } from './protocol/request.js';

/** What became of one record of a produce: where it was written, or why not. */
export type ProduceOutcome =
  | {
    partition: number;
    /** -1 with acks=0 (Kafka answers nothing). */
    offset: bigint;
    /** The record's timestamp as stored: the broker's append time on a LogAppendTime topic, else the record's own (the proxy's clock when it had none). */
    timestamp: bigint;
    error?: undefined;
  }
  /** `error`: Kafka's error name (e.g. MESSAGE_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION). */
  | { partition: number; error: string };

/** What a fetch hands to the session: record batches to encode plus the partition's bounds. */
export interface FetchBatch {
  /**
   * Batches holding the records, lazily decoded (KafkaClient.fetchBatches) or not. The session
   * owns the array: it empties it once the records are encoded (see Session.run).
   */
  batches: RecordBatch[];
  /** Records below this offset are left out (a fetch returns whole batches). */
  fromOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Called once the records are encoded and dropped: the backend may reuse their memory. */
  release?: () => void;
}

/**
 * The message system behind a session. Kafka is the one we ship (KafkaBackend); the session only
 * needs these three operations, so another system can be plugged in without touching it.
 */
export interface PubSubBackend {
  /** -2 earliest, -1 the next offset to be written, else the first offset at or after a millisecond timestamp (-1 if none). */
  listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint>;
  /** Records at or after `offset`. */
  fetch(topic: string, partition: number, offset: bigint): Promise<FetchBatch>;
  /**
   * Writes records to `topic` (`partition` undefined: the backend's partitioner); resolves with
   * one outcome per record, in order. A command repeated with the same `idempotencyKey` ('' for
   * none) by the same `subject` (the identity's; '' without one) may be answered with the first
   * one's outcomes instead of being written again. Absent when the backend does not write.
   * @throws for a failure of the whole command (topic not allowed, produce not enabled).
   */
  produce?(topic: string, partition: number | undefined, records: readonly ProduceRecordInput[], idempotencyKey: string, subject: string): Promise<ProduceOutcome[]>;
  /**
   * Commits a consumer group's next offsets for partitions of `topic` without joining the group.
   * Absent when the backend keeps no group offsets.
   */
  commitOffsets?(group: string, topic: string, offsets: ReadonlyArray<{ partition: number; offset: bigint }>): Promise<void>;
  /** A group's committed offsets for `partitions` of `topic` (empty: all), -1 where none. */
  fetchCommitted?(group: string, topic: string, partitions: readonly number[]): Promise<Array<{ partition: number; offset: bigint }>>;
  /** The `err: ...` text of an APISIX error reply for a failure of the calls above. */
  describeError(err: unknown): string;
}
