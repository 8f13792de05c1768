/**
 * Which partition a record goes to when the caller names none: Kafka's default partitioner as the
 * Java client has it (BuiltInPartitioner.partitionForKey since 3.3, DefaultPartitioner before):
 * a record with a key goes to toPositive(murmur2(key)) % numPartitions over every partition of
 * the topic, available or not, so the same key always lands on the same partition as with the
 * Java producer; a record without a key goes to the topic's sticky partition (KIP-480).
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * MurmurHash2 (32-bit) exactly as Kafka's `Utils.murmur2(byte[])`: seed 0x9747b28c, little-endian
 * 4-byte blocks, signed 32-bit result. Vectors from Kafka's UtilsTest.testMurmur2 are in
 * test/kafka-wire/client/partitioner.test.ts.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's switch falls through from 3 to 2 to 1.
  const tail = length & 3;
  if (tail === 3) h ^= data[blocks + 2]! << 16;
  if (tail >= 2) h ^= data[blocks + 1]! << 8;
  if (tail >= 1) {
    h ^= data[blocks]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition the Java producer picks for a non-null key (BuiltInPartitioner.partitionForKey). */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * Sticky partitions for records without a key (KIP-480): all of them go to one partition of the
 * topic until its batch is closed (full, or taken for sending), then to another, so a stream of
 * keyless records fills whole batches instead of spreading one record per partition per request.
 * The next partition is chosen at random among those with a leader, never the same one twice in a
 * row when there is a choice, as the Java client's StickyPartitionCache does; with no partition
 * available, among all of them.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, number>();
  /** The topic's previous sticky partition, avoided by the next choice. */
  private readonly previous = new Map<string, number>();
  private readonly random: () => number;

  /** `random` returns [0, 1) like Math.random (tests pass a seeded one). */
  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  /**
   * The topic's sticky partition, choosing one if it has none.
   * @param available partitions that have a leader now (may be empty)
   */
  partition(topic: string, numPartitions: number, available: readonly number[]): number {
    const p = this.current.get(topic);
    if (p !== undefined && p < numPartitions) return p;
    return this.choose(topic, numPartitions, available, p ?? this.previous.get(topic));
  }

  /**
   * The batch of `partition` closed: if it was the topic's sticky partition, the next keyless
   * record goes elsewhere.
   */
  batchClosed(topic: string, partition: number): void {
    if (this.current.get(topic) !== partition) return;
    this.current.delete(topic);
    this.previous.set(topic, partition);
  }

  /** Forgets a topic (e.g. when it no longer exists). */
  forget(topic: string): void {
    this.current.delete(topic);
    this.previous.delete(topic);
  }

  private choose(topic: string, numPartitions: number, available: readonly number[], previous: number | undefined): number {
    let from: readonly number[] = available.length > 0 ? available : Array.from({ length: numPartitions }, (_, i) => i);
    if (from.length > 1 && previous !== undefined) from = from.filter((p) => p !== previous);
    const next = from[Math.min(from.length - 1, Math.floor(this.random() * from.length))]!;
    this.current.set(topic, next);
    return next;
  }
}
