import {
  KafkaConnectionError, KafkaProtocolError, readRecords, UnknownPartitionError, UnknownTopicError,
  type PartitionProduceOutcome, type PartitionProduceRequest, type ProducerIdentity, type ProducerTransport,
  type ProduceToOptions, type ProduceToResult, type TopicInfo,
} from '../../src/kafka-wire/index.js';

/**
 * A cluster in memory that follows Kafka's rules for idempotent producers, for the Producer's unit
 * tests: per partition, a log and each producer's state (epoch, last sequence, the last five
 * batches for deduplication), as ProducerStateManager/ProducerAppendInfo keep them:
 * - a lower epoch than the one known is INVALID_PRODUCER_EPOCH;
 * - a batch equal to one of the last five (same epoch, first and last sequence) is answered with
 *   NONE and the offset it got the first time, and not written again, with the batch's kept
 *   timestamp as LogAppendTimeMs (UnifiedLog does so on CreateTime topics too);
 * - topics in `logAppendTime` stamp records with the broker's clock and answer with it;
 * - a higher epoch must start at sequence 0, the same epoch must continue at last + 1, else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER; a producer the partition does not know may start anywhere.
 * Requests are applied in the order they are made (one connection per broker, as Kafka processes
 * a connection's requests in order); answers come back later, also in order. Faults are hooks.
 */

export interface LoggedRecord {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
  producerId: bigint;
}

interface ProducerState {
  epoch: number;
  lastSeq: number;
  batches: Array<{ firstSeq: number; lastSeq: number; baseOffset: bigint; timestamp: bigint }>;
}

interface Partition {
  leader: string;
  log: LoggedRecord[];
  producers: Map<bigint, ProducerState>;
}

/** What a fault hook may decide for one partition of one request. */
export type PartitionFault =
  | undefined
  /** Answer with this error code without writing. */
  | { errorCode: number; recordErrors?: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }> };

/** What a fault hook may decide for a whole request. */
export type RequestFault =
  | undefined
  /** Fail before the broker sees it (connection refused). */
  | 'refuse'
  /** The broker applies it, then the connection drops before the answer. */
  | 'lose-answer'
  /** Hold the answer this many ms. */
  | { delayMs: number };

export class FakeCluster implements ProducerTransport {
  readonly topics = new Map<string, Partition[]>();
  /** Calls, for assertions. */
  readonly calls = { produce: 0, initProducerId: 0, leaderOf: 0, topic: 0, invalidate: 0 };
  /** Records of every produce request as applied: broker, acks, and per partition the batch header. */
  readonly requests: Array<{ broker: string; acks: number; batches: Array<{ topic: string; partition: number; producerId: bigint; epoch: number; baseSequence: number; count: number; attributes: number }> }> = [];
  requestFault: (broker: string, n: number) => RequestFault = () => undefined;
  partitionFault: (topic: string, partition: number, batch: { producerId: bigint; epoch: number; baseSequence: number; count: number; values: Array<string | null> }) => PartitionFault = () => undefined;
  /** Fails InitProducerId with this error while set. */
  initProducerIdError: Error | undefined;
  /** Makes leaderOf fail with this error while set. */
  leaderError: Error | undefined;
  /** Topics with message.timestamp.type=LogAppendTime. */
  readonly logAppendTime = new Set<string>();
  private nextProducerId = 1000n;
  /** Answers are delivered in request order per broker. */
  private readonly answerChains = new Map<string, Promise<unknown>>();

  constructor(topics: Record<string, number>, brokers: readonly string[] = ['b1:9092']) {
    for (const [name, n] of Object.entries(topics)) {
      this.topics.set(name, Array.from({ length: n }, (_, i) => ({ leader: brokers[i % brokers.length]!, log: [], producers: new Map() })));
    }
  }

  /** Moves a partition's leadership; the producer state moves with it (it is replicated in Kafka). */
  moveLeader(topic: string, partition: number, broker: string): void {
    this.topics.get(topic)![partition]!.leader = broker;
  }

  /** The broker forgets every producer of the partition (as after retention removed their batches). */
  forgetProducers(topic: string, partition: number): void {
    this.topics.get(topic)![partition]!.producers.clear();
  }

  log(topic: string, partition: number): LoggedRecord[] {
    return this.topics.get(topic)![partition]!.log;
  }

  topic(topic: string): Promise<TopicInfo> {
    this.calls.topic++;
    const t = this.topics.get(topic);
    if (t === undefined) return Promise.reject(new UnknownTopicError(topic));
    const partitions = new Map(t.map((_p, i) => [i, { partition: i, leader: 1, leaderEpoch: 0, errorCode: 0 }]));
    return Promise.resolve({ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: 0, partitions, fetchedAt: Date.now() });
  }

  leaderOf(topic: string, partition: number): Promise<string> {
    this.calls.leaderOf++;
    if (this.leaderError !== undefined) return Promise.reject(this.leaderError);
    const t = this.topics.get(topic);
    if (t === undefined) return Promise.reject(new UnknownTopicError(topic));
    const p = t[partition];
    if (p === undefined) return Promise.reject(new UnknownPartitionError(topic, partition, t.length));
    return Promise.resolve(p.leader);
  }

  invalidate(): void {
    this.calls.invalidate++;
  }

  initProducerId(): Promise<ProducerIdentity> {
    this.calls.initProducerId++;
    if (this.initProducerIdError !== undefined) return Promise.reject(this.initProducerIdError);
    return Promise.resolve({ producerId: this.nextProducerId++, producerEpoch: 0 });
  }

  produceTo(broker: string, parts: readonly PartitionProduceRequest[], opts: ProduceToOptions): Promise<ProduceToResult> {
    const n = this.calls.produce++;
    const fault = this.requestFault(broker, n);
    if (fault === 'refuse') return Promise.reject(new KafkaConnectionError('KWIRE_ERR_CONNECTION_REFUSED', broker, 'fake: refused'));
    const applied: Array<{ topic: string; partition: number; producerId: bigint; epoch: number; baseSequence: number; count: number; attributes: number }> = [];
    const out: PartitionProduceOutcome[] = parts.map((r) => {
      const b = r.records;
      const header = { producerId: b.readBigInt64BE(43), epoch: b.readInt16BE(51), baseSequence: b.readInt32BE(53), count: b.readInt32BE(57) };
      applied.push({ topic: r.topic, partition: r.partition, ...header, attributes: b.readInt16BE(21) });
      return { topic: r.topic, partition: r.partition, ...this.append(broker, r, header) };
    });
    this.requests.push({ broker, acks: opts.acks, batches: applied });
    const answer = (): Promise<ProduceToResult> => {
      if (fault === 'lose-answer') return Promise.reject(new KafkaConnectionError('KWIRE_ERR_CONNECTION_CLOSED', broker, 'fake: lost the answer'));
      return Promise.resolve({ version: 12, partitions: opts.acks === 0 ? [] : out });
    };
    const delay = typeof fault === 'object' ? fault.delayMs : 0;
    const prev = this.answerChains.get(broker) ?? Promise.resolve();
    const next = prev.then(() => new Promise((r) => setTimeout(r, delay))).then(answer);
    this.answerChains.set(broker, next.catch(() => {}));
    return next;
  }

  private append(broker: string, r: PartitionProduceRequest, h: { producerId: bigint; epoch: number; baseSequence: number; count: number }): Omit<PartitionProduceOutcome, 'topic' | 'partition'> {
    const none = { baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
    const t = this.topics.get(r.topic);
    const p = t?.[r.partition];
    if (p === undefined) return { ...none, errorCode: 3 };
    if (p.leader !== broker) return { ...none, errorCode: 6 };
    const { records } = readRecords(r.records);
    const values = records.map((x) => x.value?.toString() ?? null);
    const fault = this.partitionFault(r.topic, r.partition, { ...h, values });
    if (fault !== undefined) return { ...none, errorCode: fault.errorCode, recordErrors: fault.recordErrors ?? [] };
    const lastSeq = h.baseSequence + h.count - 1;
    if (h.producerId >= 0n) {
      const st = p.producers.get(h.producerId);
      if (st !== undefined) {
        if (h.epoch < st.epoch) return { ...none, errorCode: 47 };
        if (h.epoch === st.epoch) {
          const dup = st.batches.find((x) => x.firstSeq === h.baseSequence && x.lastSeq === lastSeq);
          if (dup !== undefined) return { ...none, errorCode: 0, baseOffset: dup.baseOffset, logAppendTimeMs: dup.timestamp };
          if (h.baseSequence !== st.lastSeq + 1) return { ...none, errorCode: 45 };
        } else if (h.baseSequence !== 0) return { ...none, errorCode: 45 };
      }
    }
    const baseOffset = BigInt(p.log.length);
    const appendTime = this.logAppendTime.has(r.topic) ? BigInt(Date.now()) : -1n;
    let maxTimestamp = -1n;
    for (const x of records) {
      const timestamp = appendTime >= 0n ? appendTime : x.timestamp;
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
      p.log.push({ offset: BigInt(p.log.length), timestamp, key: x.key?.toString() ?? null, value: x.value?.toString() ?? null, producerId: h.producerId });
    }
    if (h.producerId >= 0n) {
      const st = p.producers.get(h.producerId);
      const batches = st !== undefined && st.epoch === h.epoch ? st.batches : [];
      batches.push({ firstSeq: h.baseSequence, lastSeq, baseOffset, timestamp: maxTimestamp });
      if (batches.length > 5) batches.shift();
      p.producers.set(h.producerId, { epoch: h.epoch, lastSeq, batches });
    }
    return { ...none, errorCode: 0, baseOffset, logAppendTimeMs: appendTime };
  }
}

/** A Kafka error as the client reports it, for hooks that fail leader lookups. */
export function kafkaFailure(errorCode: number, errorName: string, retriable: boolean): KafkaProtocolError {
  return new KafkaProtocolError({ api: 'Metadata', version: 12, errorCode, errorName, retriable, where: 'fake' });
}
