import {
  EARLIEST, KafkaProtocolError, LATEST, RetriesExhaustedError, TailFetcher, UnknownPartitionError, UnknownTopicError,
  type Isolation, type KafkaClient, type TailFetcherOptions,
} from '../kafka-wire/index.js';
import { describeKafkaError } from './kafka-backend.js';
import { OffsetOutOfRange, type PartitionRead, type StreamSource, type TailEvents, type TailRead } from './subscribe/source.js';

// Kafka's error names that mean the client's identity may not read the topic.
const UNAUTHORIZED = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'SASL_AUTHENTICATION_FAILED']);

/**
 * Live subscriptions' view of one Kafka cluster, seen with one set of credentials and one
 * isolation level: partitions and offsets through the shared KafkaClient, reads behind the tail as
 * ordinary fetches, and reads at the tail through one TailFetcher, which puts every tailed
 * partition of a leader in one long-polling Fetch.
 */
export class KafkaStreamSource implements StreamSource {
  readonly client: KafkaClient;
  readonly isolation: Isolation;
  readonly fetcher: TailFetcher;

  constructor(client: KafkaClient, isolation: Isolation, options: Omit<TailFetcherOptions, 'isolation'> = {}) {
    this.client = client;
    this.isolation = isolation;
    this.fetcher = new TailFetcher(client, { ...options, isolation });
  }

  async partitions(topic: string): Promise<number[]> {
    const info = await this.client.topic(topic);
    return [...info.partitions.keys()].sort((a, b) => a - b);
  }

  async offsets(topic: string, partitions: readonly number[], at: bigint): Promise<Map<number, bigint>> {
    const found = await Promise.all(partitions.map((p) => this.client.listOffsets(topic, p, at, { isolation: this.isolation })));
    return new Map(partitions.map((p, i) => [p, found[i]!.offset]));
  }

  async bounds(topic: string, partitions: readonly number[]): Promise<Map<number, { start: bigint; end: bigint }>> {
    const [starts, ends] = await Promise.all([this.offsets(topic, partitions, EARLIEST), this.offsets(topic, partitions, LATEST)]);
    return new Map(partitions.map((p) => [p, { start: starts.get(p)!, end: ends.get(p)! }]));
  }

  async read(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<PartitionRead> {
    try {
      const r = await this.client.fetchBatches(topic, partition, offset, { maxWaitMs: 0, minBytes: 1, maxBytes, isolation: this.isolation });
      return { batches: r.batches, fromOffset: r.fromOffset, nextOffset: r.nextOffset, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, release: r.release };
    } catch (e) {
      if (e instanceof KafkaProtocolError && e.errorName === 'OFFSET_OUT_OF_RANGE') {
        const b = (await this.bounds(topic, [partition])).get(partition)!;
        throw new OffsetOutOfRange(b.start, b.end, { cause: e });
      }
      throw e;
    }
  }

  tail(topic: string, partition: number, offset: bigint, events: TailEvents): TailRead {
    return this.fetcher.track(topic, partition, offset, {
      records: (r) => events.records({ batches: r.batches, fromOffset: r.fromOffset, nextOffset: r.nextOffset, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset }),
      outOfRange: (start, hw) => events.outOfRange(start, hw),
      gone: (e) => events.gone(e),
      failed: (e) => events.failed(e),
    });
  }

  describeError(error: unknown): string {
    return describeKafkaError(error);
  }

  isGone(error: unknown): boolean {
    if (error instanceof RetriesExhaustedError) return this.isGone(error.cause);
    return error instanceof UnknownTopicError || error instanceof UnknownPartitionError;
  }

  isUnauthorized(error: unknown): boolean {
    if (error instanceof RetriesExhaustedError) return this.isUnauthorized(error.cause);
    return error instanceof KafkaProtocolError && UNAUTHORIZED.has(error.errorName);
  }

  tailFetches(topic: string, partition: number): number {
    return this.fetcher.stats.partitionFetches.get(`${topic}-${partition}`) ?? 0;
  }

  close(): void {
    this.fetcher.close();
  }
}
