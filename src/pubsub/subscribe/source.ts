import type { PushedRecords } from '../protocol/fetch-reply.js';

/** One read of a partition: batches from `fromOffset` up to `nextOffset`, and its bounds. */
export interface PartitionRead extends PushedRecords {
  /** Gives the read's memory back once its records are encoded. */
  release?(): void;
}

/** What a shared tail read tells its reader. Every call is synchronous. */
export interface TailEvents {
  /** Records at the tail; the batches are valid only during the call. */
  records(read: PushedRecords): void;
  /** The tail position is not on the log any more (the topic was truncated or re-created). */
  outOfRange(logStartOffset: bigint, highWatermark: bigint): void;
  /** The topic or partition is gone. */
  gone(error: Error): void;
  /** A failure retrying will not cure (e.g. authorization); the source keeps trying. */
  failed(error: Error): void;
}

export interface TailRead {
  seek(offset: bigint): void;
  close(): void;
}

/** Raised by `read` when the offset is not on the log: where the log is now. */
export class OffsetOutOfRange extends Error {
  readonly logStartOffset: bigint;
  readonly highWatermark: bigint;
  constructor(logStartOffset: bigint, highWatermark: bigint, options?: { cause?: unknown }) {
    super(`offset out of range: the log spans ${logStartOffset} to ${highWatermark}`, options);
    this.name = 'OffsetOutOfRange';
    this.logStartOffset = logStartOffset;
    this.highWatermark = highWatermark;
  }
}

/**
 * What live subscriptions need from a message system: one cluster seen with one identity and one
 * isolation level (Kafka's is KafkaStreamSource). Errors are the system's own; `describeError`
 * words them for error replies and subscription ends, and `isGone` says which mean the topic or
 * partition does not exist.
 */
export interface StreamSource {
  /** The topic's partitions, in order. */
  partitions(topic: string): Promise<number[]>;
  /** Per partition: -2 the log start, -1 the end (next offset to be written), else the first offset at or after a millisecond timestamp (-1 if none). */
  offsets(topic: string, partitions: readonly number[], at: bigint): Promise<Map<number, bigint>>;
  /** Per partition, where the log starts and ends now. */
  bounds(topic: string, partitions: readonly number[]): Promise<Map<number, { start: bigint; end: bigint }>>;
  /** One read from `offset`. @throws OffsetOutOfRange when `offset` is not on the log. */
  read(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionRead>;
  /** Long-polls the partition from `offset`, shared with every other tail read of this source. */
  tail(topic: string, partition: number, offset: bigint, events: TailEvents): TailRead;
  describeError(error: unknown): string;
  isGone(error: unknown): boolean;
  isUnauthorized(error: unknown): boolean;
  /** Fetch requests the tail reads sent that included `topic`-`partition` (the fan-out's cost). */
  tailFetches(topic: string, partition: number): number;
}
