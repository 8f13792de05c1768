import {
  ActiveGroupError, AuthenticationError, GroupOffsets, InvalidTopicError, KafkaConnectionError, hasRecordsFrom, KafkaProtocolError, KafkaWireError, NoBrokerError, RetriesExhaustedError,
  UnknownPartitionError, UnknownTopicError, type Isolation, type KafkaClient,
} from '../kafka-wire/index.js';
import type { FetchBatch, ProduceOutcome, PubSubBackend } from './backend.js';
import type { KafkaOperation } from './protocol/commands.js';
import type { ProduceRecordInput } from './protocol/request.js';
import { GroupNotAllowedError, ProduceDisabledError, PubSubError, TopicNotAllowedError } from './errors.js';
import type { KafkaProduce } from './kafka-produce.js';

export interface KafkaFetchSettings {
  /** How long the broker may wait for `minBytes` (APISIX route default 100 ms). */
  maxWaitMs: number;
  /** 0 answers at once, even with no data. */
  minBytes: number;
  maxBytes: number;
  isolation: Isolation;
}

export interface KafkaBackendOptions {
  client: KafkaClient;
  fetch: KafkaFetchSettings;
  /** The route's allow-list; absent allows every topic. */
  topicAllowed?: (topic: string) => boolean;
  /** The consumer groups whose offsets clients may commit and read; absent: none. */
  groupAllowed?: (group: string) => boolean;
  /** Called after each Kafka operation with its duration, for metrics. */
  observe?: (operation: KafkaOperation, seconds: number, ok: boolean) => void;
  /** The route's produce side; absent: produce is off on the route. */
  produce?: KafkaProduce;
}

/*
 * A fetch that lands only on control records or aborted transactions returns no records but moves
 * `nextOffset` on. An APISIX client continues from its last message's offset + 1, so it would ask for
 * the same offset forever; we follow `nextOffset` a few times before answering empty.
 */
const MAX_SKIP_FETCHES = 8;

/** The Kafka side of a route: a shared KafkaClient plus the route's fetch settings and allow-list. */
export class KafkaBackend implements PubSubBackend {
  private readonly options: KafkaBackendOptions;
  private groups: GroupOffsets | undefined;

  constructor(options: KafkaBackendOptions) {
    this.options = options;
  }

  /** @throws ProduceDisabledError on a route without produce, TopicNotAllowedError (see KafkaProduce) */
  async produce(topic: string, partition: number | undefined, records: readonly ProduceRecordInput[], idempotencyKey: string, subject: string): Promise<ProduceOutcome[]> {
    const p = this.options.produce;
    if (p === undefined) throw new ProduceDisabledError();
    return this.timed('produce', () => p.produce(topic, partition, records, idempotencyKey, subject));
  }

  async commitOffsets(group: string, topic: string, offsets: ReadonlyArray<{ partition: number; offset: bigint }>): Promise<void> {
    this.checkTopic(topic);
    this.checkGroup(group);
    await this.timed('commit_offsets', () => this.groupOffsets().commit(group, offsets.map((o) => ({ topic, partition: o.partition, offset: o.offset }))));
  }

  async fetchCommitted(group: string, topic: string, partitions: readonly number[]): Promise<Array<{ partition: number; offset: bigint }>> {
    this.checkTopic(topic);
    this.checkGroup(group);
    const got = await this.timed('fetch_committed', () => this.groupOffsets().fetch(group, topic, partitions.length === 0 ? undefined : [...partitions]));
    return got.map((c) => ({ partition: c.partition, offset: c.offset }));
  }

  private groupOffsets(): GroupOffsets {
    this.groups ??= new GroupOffsets(this.options.client);
    return this.groups;
  }

  private async timed<T>(operation: KafkaOperation, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const r = await run();
      ok = true;
      return r;
    } finally {
      this.options.observe?.(operation, (performance.now() - started) / 1000, ok);
    }
  }

  /** @throws GroupNotAllowedError when the route's `groups` do not include `group`. */
  checkGroup(group: string): void {
    const allowed = this.options.groupAllowed;
    if (allowed === undefined || !allowed(group)) throw new GroupNotAllowedError(group);
  }

  async listOffset(topic: string, partition: number, timestamp: bigint): Promise<bigint> {
    this.checkTopic(topic);
    const started = performance.now();
    let ok = false;
    try {
      const r = await this.options.client.listOffsets(topic, partition, timestamp, { isolation: this.options.fetch.isolation });
      ok = true;
      return r.offset;
    } finally {
      this.options.observe?.('list_offset', (performance.now() - started) / 1000, ok);
    }
  }

  async fetch(topic: string, partition: number, offset: bigint): Promise<FetchBatch> {
    this.checkTopic(topic);
    const { client, fetch: s } = this.options;
    const opts = { maxWaitMs: s.maxWaitMs, minBytes: s.minBytes, maxBytes: s.maxBytes, isolation: s.isolation };
    const started = performance.now();
    let ok = false;
    try {
      let at = offset;
      for (let i = 0; ; i++) {
        const r = await client.fetchBatches(topic, partition, at, opts);
        const end = s.isolation === 'read_committed' ? r.lastStableOffset : r.highWatermark;
        if (r.nextOffset <= at || r.nextOffset >= end || i === MAX_SKIP_FETCHES || hasRecordsFrom(r.batches, at)) {
          ok = true;
          return { batches: r.batches, fromOffset: at, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, release: r.release };
        }
        r.release();
        at = r.nextOffset;
      }
    } finally {
      this.options.observe?.('fetch', (performance.now() - started) / 1000, ok);
    }
  }

  /**
   * APISIX's wording (lua-resty-kafka's): "not found topic" for an unknown topic and for a cluster
   * it cannot reach, "not found partition", or Kafka's error name. Failures APISIX has no word for
   * get Kafka's name where one exists (SASL_AUTHENTICATION_FAILED, REQUEST_TIMED_OUT) and our
   * error code otherwise.
   */
  describeError(err: unknown): string {
    return describeKafkaError(err);
  }

  /** @throws TopicNotAllowedError when the route's allow-list excludes `topic`. */
  checkTopic(topic: string): void {
    const allowed = this.options.topicAllowed;
    if (allowed !== undefined && !allowed(topic)) throw new TopicNotAllowedError(topic);
  }
}

/** APISIX's wording of a Kafka failure (see KafkaBackend.describeError); live subscriptions use it too. */
export function describeKafkaError(err: unknown): string {
  if (err instanceof TopicNotAllowedError) return 'topic not allowed';
  if (err instanceof GroupNotAllowedError) return 'group not allowed';
  if (err instanceof ProduceDisabledError) return err.message;
  if (err instanceof ActiveGroupError) return 'the group has active members';
  if (err instanceof UnknownTopicError) return 'not found topic';
  // Kafka's answer to such a name; we give it without asking (kafka-wire refuses the name first).
  if (err instanceof InvalidTopicError) return 'INVALID_TOPIC_EXCEPTION';
  if (err instanceof UnknownPartitionError) return 'not found partition';
  if (err instanceof KafkaProtocolError) return err.errorName;
  if (err instanceof AuthenticationError) return 'SASL_AUTHENTICATION_FAILED';
  if (err instanceof RetriesExhaustedError) {
    return describeKafkaError(err.cause);
  }
  if (err instanceof NoBrokerError) {
    return err.causes.some((c) => c instanceof AuthenticationError) ? 'SASL_AUTHENTICATION_FAILED' : 'not found topic';
  }
  if (err instanceof KafkaConnectionError) return err.code === 'KWIRE_ERR_REQUEST_TIMEOUT' ? 'REQUEST_TIMED_OUT' : 'not found topic';
  if (err instanceof KafkaWireError || err instanceof PubSubError) return err.code;
  return 'internal error';
}
