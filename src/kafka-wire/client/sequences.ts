/**
 * The idempotent producer's bookkeeping for one partition (KIP-98, with KIP-360's recovery), kept
 * free of I/O so that every transition is unit-tested on its own.
 *
 * Kafka deduplicates a batch by (producer id, epoch, base sequence): the leader remembers the last
 * five batches of each producer per partition and answers a batch it already holds with the
 * offsets it got the first time. Everything here serves one rule: a batch keeps its identity and
 * sequence for as long as any earlier attempt of it might still be written, and gets a new one
 * only when no copy of it can be. Concretely:
 * - a batch gets a sequence only while it is at most the fifth from the oldest batch not complete
 *   (sent, or waiting to be sent again), so that whatever Kafka has written since that batch, the
 *   batch is still among the five it remembers, and its retry is recognised (Java's
 *   max.in.flight.requests.per.connection=5 under idempotence). Counting only the batches not
 *   complete would not do: later batches may complete while an early one waits for its retry;
 * - until Kafka has acknowledged a batch of the current producer id and epoch, one batch at a
 *   time: a partition that does not know the producer takes any sequence as its first
 *   (ProducerAppendInfo.checkSequence accepts it when it has no epoch for the producer), so a
 *   second batch could be written ahead of a first one that failed and leave a gap behind it;
 * - a batch that failed in a way that leaves the log uncertain (lost connection, timeout,
 *   REQUEST_TIMED_OUT) is retried with the same identity and sequence, so Kafka deduplicates it;
 * - a batch waiting to be sent again goes out only when it is the oldest unresolved one, so the
 *   partition catches up one batch at a time instead of in a storm of OUT_OF_ORDER answers
 *   (Java's RecordAccumulator does the same);
 * - when the sequence must start over (a batch failed for good with later ones behind it, the
 *   broker's sequence and ours disagree, the broker forgot the producer), the partition waits
 *   until nothing of it is in flight, then moves to a higher epoch (or a fresh producer id) from
 *   sequence 0. The new epoch fences any copy of an old-epoch request still travelling: the
 *   broker refuses a lower epoch once it has seen a higher one (INVALID_PRODUCER_EPOCH). Batches
 *   whose earlier attempts might have been written are not carried over: they fail with
 *   `maybeWritten`, because sending them under the new epoch could write them twice.
 * The epoch bump is local, as the Java client does for idempotent producers
 * (TransactionManager.bumpIdempotentProducerEpoch): InitProducerId with a null transactional id
 * always returns a fresh producer id, whatever id and epoch the request carries.
 */

/** The broker keeps this many batches per producer and partition for deduplication. */
export const MAX_UNRESOLVED = 5;

/** Kafka's largest epoch (a short); past it a fresh producer id is needed. */
export const MAX_EPOCH = 0x7fff;

const MAX_SEQUENCE = 0x7fffffff;

export interface ProducerIdentity {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** What the state machine needs of a batch; the producer's batches carry more. */
export interface SequencedBatch {
  /** Records in the batch. */
  readonly count: number;
  producerId: bigint;
  producerEpoch: number;
  /** -1 until the batch is first sent. */
  baseSequence: number;
  /** Position among the batches of the current epoch, for counting batches (sequences wrap). */
  ordinal: number;
  /** An attempt's outcome is unknown: the batch may be in the log although no response said so. */
  maybeWritten: boolean;
  /** The current attempt went out when every batch before it was settled (see outOfOrder). */
  sentAsOldest: boolean;
}

/** Why a partition's sequence must start over: a higher epoch will do, or a fresh producer id is needed. */
export type ResetKind = 'bump' | 'renew';

/**
 * Kafka's sequence arithmetic (DefaultRecordBatch.incrementSequence): sequences are int32 and wrap
 * from 2^31-1 to 0.
 */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > MAX_SEQUENCE - increment ? increment - (MAX_SEQUENCE - sequence) - 1 : sequence + increment;
}

export class PartitionSequences<B extends SequencedBatch = SequencedBatch> {
  /** The identity new batches get; undefined until the producer has one. */
  identity: ProducerIdentity | undefined;
  /** Set when the sequence must start over; cleared by restart(). */
  reset: ResetKind | undefined;
  /** Batches holding a sequence and not complete, in sequence order. */
  readonly unresolved: B[] = [];
  private nextSequence = 0;
  private nextOrdinal = 0;
  /** Kafka acknowledged a batch of this identity: it knows the producer and checks our sequence. */
  private confirmed = false;

  /**
   * Whether a batch sent for the first time may get a sequence now: no restart pending, the new
   * batch would be at most the fifth counted from the oldest unresolved one, and Kafka knows the
   * producer or nothing else is unresolved.
   */
  canAssign(): boolean {
    if (this.reset !== undefined || this.identity === undefined) return false;
    const oldest = this.unresolved[0];
    if (oldest === undefined) return true;
    return this.confirmed && this.nextOrdinal - oldest.ordinal < MAX_UNRESOLVED;
  }

  /** Gives `b` the partition's identity and next sequence; call only when canAssign(). */
  assign(b: B): void {
    const id = this.identity!;
    b.producerId = id.producerId;
    b.producerEpoch = id.producerEpoch;
    b.baseSequence = this.nextSequence;
    b.ordinal = this.nextOrdinal++;
    this.nextSequence = incrementSequence(this.nextSequence, b.count);
    this.unresolved.push(b);
  }

  /** Whether `b`, which already holds a sequence, may be sent again now: only the oldest, and not while a reset waits. */
  mayResend(b: B): boolean {
    return this.reset === undefined && this.unresolved[0] === b;
  }

  /** `b` (holding a sequence) goes out now: remembers whether every batch before it is settled. */
  sending(b: B): void {
    b.sentAsOldest = this.unresolved[0] === b;
  }

  /** Kafka wrote `b` (or had written it: a duplicate answered with the first offsets). */
  acked(b: B): void {
    if (this.remove(b) && b.producerId === this.identity?.producerId && b.producerEpoch === this.identity.producerEpoch) this.confirmed = true;
  }

  /**
   * OUT_OF_ORDER_SEQUENCE_NUMBER: Kafka expected another sequence. If the attempt went out while
   * an earlier batch was unresolved, that batch is the gap, and `b` waits behind it (the answer
   * may also come late: from an old leader, after the earlier batch was written at the new one).
   * If every batch before `b` was settled when the attempt went out, Kafka's idea of the
   * sequence differs from ours (a log truncated under acks=1, producer state expired or lost):
   * start over. `b` itself was not written by that attempt; it is sent again under the new epoch
   * unless an earlier attempt may have been written.
   */
  outOfOrder(b: B): void {
    if (this.reset === undefined && this.unresolved[0] === b && b.sentAsOldest) this.reset = 'bump';
  }

  /**
   * UNKNOWN_PRODUCER_ID: the broker no longer has this producer's state for the partition
   * (retention removed its batches; brokers before 2.5 answer so). Start over with a higher
   * epoch, as the Java client does for idempotent producers (KIP-360).
   */
  unknownProducer(_b: B): void {
    this.reset ??= 'bump';
  }

  /**
   * INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, INVALID_PRODUCER_ID_MAPPING: the broker knows this
   * producer id with a higher epoch than ours. Only a fresh producer id gets past that.
   */
  fenced(_b: B): void {
    this.reset = 'renew';
  }

  /**
   * `b` will not be sent again (a non-retriable error, the delivery timeout). Its sequences were
   * never written unless `b.maybeWritten`; later batches would meet a gap. If nothing was given a
   * sequence after it and it cannot be in the log, the next batch simply reuses its sequence
   * (Java adjusts sequences the same way); otherwise the partition starts over. Reusing the
   * sequence of a batch that may be in the log would be wrong twice: Kafka would take a new batch
   * of the same size for a duplicate and answer with the old batch's offsets.
   */
  failed(b: B): void {
    if (!this.remove(b)) return;
    if (this.reset !== undefined) return;
    if (!b.maybeWritten && b.ordinal === this.nextOrdinal - 1) {
      this.nextSequence = b.baseSequence;
      this.nextOrdinal = b.ordinal;
    } else {
      this.reset = 'bump';
    }
  }

  /**
   * Starts the partition over under `identity` (a higher epoch or a fresh producer id); call only
   * when nothing of the partition is in flight. Unresolved batches that may be in the log are
   * returned to be failed; the others lose their sequence and are sent again as new batches.
   */
  restart(identity: ProducerIdentity): B[] {
    const uncertain: B[] = [];
    for (const b of this.unresolved) {
      if (b.maybeWritten) uncertain.push(b);
      else {
        b.baseSequence = -1;
        b.ordinal = -1;
      }
    }
    this.unresolved.length = 0;
    this.identity = identity;
    this.nextSequence = 0;
    this.nextOrdinal = 0;
    this.confirmed = false;
    this.reset = undefined;
    return uncertain;
  }

  private remove(b: B): boolean {
    const i = this.unresolved.indexOf(b);
    if (i < 0) return false;
    this.unresolved.splice(i, 1);
    return true;
  }
}
