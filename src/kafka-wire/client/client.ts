import { KafkaWireError } from '../errors.js';
import { kafkaErrorOf, throwIfError } from '../protocol/frame.js';
import { FETCH_TOPIC_ID_SINCE } from '../protocol/apis/fetch.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { PRODUCE_TOPIC_ID_SINCE } from '../protocol/apis/produce.js';
import { FetchApi, InitProducerIdApi, ListOffsetsApi, MetadataApi, ProduceApi } from '../protocol/versions.js';
import { readBatches, readRecords, type KafkaRecord, type RecordBatch } from '../records/index.js';
import { Connection, type ConnectionOptions } from '../transport/index.js';
import { responsePool } from '../transport/response-pool.js';
import { BufferArena } from '../primitives/buffer-pool.js';
import { InvalidTopicError, KafkaClientClosedError, NoBrokerError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
import { MetadataCache, ZERO_UUID, type BrokerAddress, type TopicInfo } from './metadata.js';
import { isRetriable } from './retriable.js';
import { invalidTopicReason } from './topic-name.js';

export type Isolation = 'read_uncommitted' | 'read_committed';

/** Connection settings (TLS, SASL, timeouts, frame limit, client id, lookup) apply to every broker. */
export interface ClientOptions extends Omit<ConnectionOptions, 'host' | 'port'> {
  /** Bootstrap brokers as "host:port", tried in turn. */
  brokers: readonly string[];
  /** Retries of an operation after a retriable failure (default 5). */
  retries?: number;
  /** First backoff between retries; doubles up to retryBackoffMaxMs (defaults 100 ms and 1 s). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** Topic metadata older than this is fetched again before use (default 5 minutes). */
  metadataMaxAgeMs?: number;
  /**
   * Connections opened to each broker for requests in general, at most (default 1). A broker
   * handles one request per connection at a time, so many concurrent fetches on one connection
   * queue behind each other; extra connections are opened only while every open one has a request
   * in flight. Besides these, a broker gets connections of their own ("lanes") when used: one for
   * the producer (produceTo, InitProducerId) and one per lane name given to fetchFrom (TailFetcher
   * uses one per isolation level), so neither waits behind a client's long poll on the general
   * ones.
   */
  connectionsPerBroker?: number;
  /**
   * Topics whose metadata is kept, at most (default 10 000); the least recently used goes first.
   * Topics Kafka answered with an error are never kept.
   */
  metadataMaxTopics?: number;
}

export interface ListOffsetsOptions {
  isolation?: Isolation;
}

export interface ListOffsetsResult {
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: bigint;
  /** The found record's timestamp, -1 for the -1/-2 sentinels. */
  timestamp: bigint;
}

export interface FetchOptions {
  /** How long the broker may wait for minBytes (default 0: answer at once). */
  maxWaitMs?: number;
  minBytes?: number;
  /** Upper bound of the response and of this partition's data (default 1 MiB; Kafka still sends one whole batch if it is larger). */
  maxBytes?: number;
  isolation?: Isolation;
}

export interface FetchResult {
  /** Data records at or after the fetch offset, without control records and, under read_committed, without aborted ones. */
  records: KafkaRecord[];
  /** Where the next fetch should start; past control and aborted batches too. */
  nextOffset: bigint;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /**
   * Gives the response's memory back for reuse by later responses. Only for callers done with
   * every record: keys, values and headers are views of that memory and must not be read after.
   * Optional; an unreleased response is collected as usual.
   */
  release(): void;
}

export interface FetchBatchesResult extends Omit<FetchResult, 'records'> {
  /** Lazily decoded batches (readBatches): walk each with `RecordCursor.reset(batch, fromOffset)`. */
  batches: RecordBatch[];
  /** The fetch offset: the batches may start below it. */
  fromOffset: bigint;
}

/** One partition of a fetchFrom request. */
export interface PartitionFetchRequest {
  topic: string;
  partition: number;
  offset: bigint;
}

/** One partition of a fetchFrom response: its batches, or its error (with the bounds Kafka sent). */
export type PartitionFetchOutcome = { topic: string; partition: number } & (
  | (Omit<FetchBatchesResult, 'release'> & { error?: undefined })
  | { error: Error; logStartOffset: bigint; highWatermark: bigint }
);

export interface MultiFetchResult {
  /** The partitions of the response, in its order; a partition the broker left out is absent. */
  partitions: PartitionFetchOutcome[];
  /** Gives the response's memory back, once every partition's batches are done with. */
  release(): void;
}

/** One partition's record batch in a produceTo request. */
export interface PartitionProduceRequest {
  topic: string;
  partition: number;
  /** One encoded record batch (encodeRecordBatch). */
  records: Buffer;
}

/** One partition of a Produce response, as Kafka sent it (errors as codes, not thrown). */
export interface PartitionProduceOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  /** The batch's first offset (-1 on error). */
  baseOffset: bigint;
  /** The broker's append time when the topic uses LogAppendTime, else -1. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /** KIP-467 (v8+): which records of the batch made it invalid, and why. */
  recordErrors: ReadonlyArray<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
}

export interface ProduceToResult {
  /** The Produce version the request went out at (for error reports). */
  version: number;
  /** The response's partitions (none for acks=0, which Kafka never answers). */
  partitions: PartitionProduceOutcome[];
}

export interface ProduceToOptions {
  /** -1 (all in-sync replicas), 1 (the leader) or 0 (no response at all). */
  acks: -1 | 0 | 1;
  /** How long the broker waits for the replicas acks=-1 asks for (Produce's TimeoutMs). */
  timeoutMs: number;
}

/** How much longer than a Produce's own TimeoutMs the connection waits for its response. */
const PRODUCE_RESPONSE_GRACE_MS = 1000;

interface PartitionFetch extends Omit<FetchResult, 'records'> {
  batches: RecordBatch[];
  records: KafkaRecord[] | null;
}

const NOTHING_TO_RELEASE = (): void => {};

export const LATEST = -1n;
export const EARLIEST = -2n;

const ISOLATION = { read_uncommitted: 0, read_committed: 1 } as const;

const DEFAULT_METADATA_MAX_TOPICS = 10_000;

/**
 * A Kafka cluster seen with one set of credentials: bootstrap, metadata (never creating topics),
 * leader routing, one pipelined connection per broker shared by every caller, and bounded retries
 * with backoff on the failures a leader change or a broker restart produces.
 */
export class KafkaClient {
  readonly options: Readonly<ClientOptions>;
  /** Counters for metrics and tests: retried attempts and Metadata requests sent. */
  readonly stats = { retries: 0, metadataRequests: 0 };
  private readonly connectionOptions: Omit<ConnectionOptions, 'host' | 'port'>;
  private readonly metadata: MetadataCache;
  /** By "host:port#slot"; `open` holds the ones connected, to pick the least busy synchronously. */
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly open = new Map<string, Connection>();
  /** Connections chosen in this tick whose requests are not sent yet (see pick). */
  private readonly picks = new Map<Connection, number>();
  private readonly perBroker: number;
  /**
   * Metadata requests in flight, by topic, so concurrent callers share one. An entry lives only
   * while its request does, so this holds at most one per operation in flight, and invalid names
   * never get here.
   */
  private readonly refreshing = new Map<string, Promise<TopicInfo>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private closed = false;

  constructor(options: ClientOptions) {
    if (options.brokers.length === 0) throw new KafkaWireError('KWIRE_ERR_CONFIG', 'at least one bootstrap broker is needed');
    for (const b of options.brokers) parseAddress(b);
    this.options = options;
    const per = options.connectionsPerBroker ?? 1;
    if (!Number.isInteger(per) || per < 1 || per > 64) throw new KafkaWireError('KWIRE_ERR_CONFIG', `connectionsPerBroker must be an integer from 1 to 64, got ${per}`);
    this.perBroker = per;
    const maxTopics = options.metadataMaxTopics ?? DEFAULT_METADATA_MAX_TOPICS;
    if (!Number.isInteger(maxTopics) || maxTopics < 1) throw new KafkaWireError('KWIRE_ERR_CONFIG', `metadataMaxTopics must be a positive integer, got ${maxTopics}`);
    this.metadata = new MetadataCache(maxTopics);
    const { brokers: _b, retries: _r, retryBackoffMs: _rb, retryBackoffMaxMs: _rm, metadataMaxAgeMs: _ma, connectionsPerBroker: _cp, metadataMaxTopics: _mx, ...connection } = options;
    this.connectionOptions = connection;
  }

  /** The offset for a timestamp: LATEST (-1, the next offset to be written), EARLIEST (-2) or milliseconds since the epoch. */
  listOffsets(topic: string, partition: number, timestamp: bigint | number, opts?: ListOffsetsOptions): Promise<ListOffsetsResult> {
    const ts = BigInt(timestamp);
    return this.retrying('ListOffsets', topic, async () => {
      const { conn } = await this.leader(topic, partition);
      const version = conn.version(ListOffsetsApi);
      const res = await conn.request(ListOffsetsApi, {
        replicaId: -1,
        isolationLevel: ISOLATION[opts?.isolation ?? 'read_uncommitted'],
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: ts }] }],
        timeoutMs: this.requestTimeoutMs,
      }, { version });
      const p = res.body.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (p === undefined) throw unexpected('ListOffsets', topic, partition);
      throwIfError('ListOffsets', version, p.errorCode, `${topic}-${partition}`);
      return { offset: p.offset, timestamp: p.timestamp };
    });
  }

  /** Records at or after `offset` from the partition's leader. */
  async fetch(topic: string, partition: number, offset: bigint, opts?: FetchOptions): Promise<FetchResult> {
    const f = await this.fetchPartition(topic, partition, offset, opts, false);
    return {
      records: f.records ?? [],
      nextOffset: f.nextOffset,
      highWatermark: f.highWatermark,
      lastStableOffset: f.lastStableOffset,
      logStartOffset: f.logStartOffset,
      release: f.release,
    };
  }

  /**
   * fetch() without a KafkaRecord per record: the batches that hold the records fetch() would
   * return, CRC-checked and decompressed, records left as bytes (readBatches). Walk them with
   * `RecordCursor.reset(batch, result.fromOffset)`, which validates each record as it goes.
   */
  async fetchBatches(topic: string, partition: number, offset: bigint, opts?: FetchOptions): Promise<FetchBatchesResult> {
    const f = await this.fetchPartition(topic, partition, offset, opts, true);
    return {
      batches: f.batches,
      fromOffset: offset,
      nextOffset: f.nextOffset,
      highWatermark: f.highWatermark,
      lastStableOffset: f.lastStableOffset,
      logStartOffset: f.logStartOffset,
      release: f.release,
    };
  }

  private fetchPartition(topic: string, partition: number, offset: bigint, opts: FetchOptions | undefined, lazy: boolean): Promise<PartitionFetch> {
    const maxWaitMs = opts?.maxWaitMs ?? 0;
    const maxBytes = opts?.maxBytes ?? 1024 * 1024;
    const isolation = opts?.isolation ?? 'read_uncommitted';
    return this.retrying('Fetch', topic, async () => {
      const { conn, info } = await this.leader(topic, partition);
      let version = conn.version(FetchApi);
      // v13+ names topics by id; a broker that gave no id in Metadata gets the name-based form.
      if (version >= FETCH_TOPIC_ID_SINCE && info.topicId === ZERO_UUID) version = FETCH_TOPIC_ID_SINCE - 1;
      const res = await conn.request(FetchApi, {
        maxWaitMs,
        minBytes: opts?.minBytes ?? 1,
        maxBytes,
        isolationLevel: ISOLATION[isolation],
        topics: [{ topic, topicId: info.topicId, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
        forgottenTopicsData: [],
      }, { version, timeoutMs: this.requestTimeoutMs + maxWaitMs });
      throwIfError('Fetch', version, res.body.errorCode, 'top level');
      const p = res.body.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
      if (p === undefined) throw unexpected('Fetch', topic, partition);
      throwIfError('Fetch', version, p.errorCode, `${topic}-${partition}`);
      // Decompressed batches share pooled memory that goes back with the response's own.
      const arena = new BufferArena(responsePool);
      const readOpts = {
        fromOffset: offset,
        abortedTransactions: isolation === 'read_committed' ? p.abortedTransactions ?? [] : null,
        alloc: arena.take,
      };
      let batches: RecordBatch[];
      let records: KafkaRecord[] | null = null;
      let next: bigint | null;
      if (lazy) ({ batches, nextOffset: next } = readBatches(p.records, readOpts));
      else ({ batches, records, nextOffset: next } = readRecords(p.records, readOpts));
      const memory = p.records;
      return {
        batches,
        records,
        nextOffset: next !== null && next > offset ? next : offset,
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset,
        logStartOffset: p.logStartOffset,
        release: memory === null ? NOTHING_TO_RELEASE : () => {
          responsePool.release(memory);
          arena.release();
        },
      };
    });
  }

  /**
   * "host:port" of the partition's leader, from metadata (fetched when stale), with the retries
   * every operation has. For callers that group partitions by leader (TailFetcher).
   * @throws UnknownTopicError, UnknownPartitionError, RetriesExhaustedError
   */
  leaderOf(topic: string, partition: number): Promise<string> {
    return this.retrying('Metadata', topic, async () => {
      const t = await this.topicInfo(topic);
      const p = t.partitions.get(partition);
      if (p === undefined) throw new UnknownPartitionError(topic, partition, t.partitions.size);
      const broker = p.leader >= 0 ? this.metadata.brokers.get(p.leader) : undefined;
      if (broker === undefined) throwIfError('Metadata', -1, ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`, `leader ${p.leader}`);
      return `${broker!.host}:${broker!.port}`;
    });
  }

  /**
   * One Fetch request to `broker` for several partitions (which it should lead), without retries:
   * each partition comes back with its batches (lazily decoded, as fetchBatches gives them) or
   * with its own error, so one partition's trouble never holds the others. A failure of the
   * request as a whole (the connection) is thrown. `release()` gives back the response's memory
   * once every partition's batches are done with.
   * @throws KafkaConnectionError, KafkaClientClosedError
   */
  async fetchFrom(broker: string, partitions: readonly PartitionFetchRequest[], opts: FetchOptions & { partitionMaxBytes?: number; lane?: string }): Promise<MultiFetchResult> {
    const maxWaitMs = opts.maxWaitMs ?? 0;
    const isolation = opts.isolation ?? 'read_uncommitted';
    const partitionMaxBytes = opts.partitionMaxBytes ?? 1024 * 1024;
    const address = parseAddress(broker);
    const conn = await (opts.lane === undefined ? this.connect(address) : this.laneConnection(address, opts.lane));
    let version = conn.version(FetchApi);
    const byTopic = new Map<string, { topic: string; topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number }> }>();
    for (const r of partitions) {
      let t = byTopic.get(r.topic);
      if (t === undefined) {
        const topicId = this.metadata.peek(r.topic)?.topicId ?? ZERO_UUID;
        t = { topic: r.topic, topicId, partitions: [] };
        byTopic.set(r.topic, t);
      }
      t.partitions.push({ partition: r.partition, fetchOffset: r.offset, partitionMaxBytes });
    }
    // v13+ names topics by id: a topic the broker gave no id for needs the name-based form.
    if (version >= FETCH_TOPIC_ID_SINCE && [...byTopic.values()].some((t) => t.topicId === ZERO_UUID)) version = FETCH_TOPIC_ID_SINCE - 1;
    const res = await conn.request(FetchApi, {
      maxWaitMs,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? 8 * 1024 * 1024,
      isolationLevel: ISOLATION[isolation],
      topics: [...byTopic.values()],
      forgottenTopicsData: [],
    }, { version, timeoutMs: this.requestTimeoutMs + maxWaitMs });
    throwIfError('Fetch', version, res.body.errorCode, 'top level');
    const arena = new BufferArena(responsePool);
    const idToName = new Map([...byTopic.values()].map((t) => [t.topicId, t.topic]));
    const out: PartitionFetchOutcome[] = [];
    let memory: Uint8Array | null = null;
    for (const t of res.body.responses) {
      const topic = version >= FETCH_TOPIC_ID_SINCE ? idToName.get(t.topicId) : t.topic;
      if (topic === undefined || topic === null) continue;
      for (const p of t.partitions) {
        const asked = partitions.find((r) => r.topic === topic && r.partition === p.partitionIndex);
        if (asked === undefined) continue;
        if (p.records !== null) memory = p.records;
        if (p.errorCode !== ErrorCode.NONE) {
          out.push({ topic, partition: p.partitionIndex, error: kafkaErrorOf('Fetch', version, p.errorCode, `${topic}-${p.partitionIndex}`), logStartOffset: p.logStartOffset, highWatermark: p.highWatermark });
          continue;
        }
        try {
          const { batches, nextOffset } = readBatches(p.records, {
            fromOffset: asked.offset,
            abortedTransactions: isolation === 'read_committed' ? p.abortedTransactions ?? [] : null,
            alloc: arena.take,
          });
          out.push({
            topic, partition: p.partitionIndex, batches, fromOffset: asked.offset,
            nextOffset: nextOffset !== null && nextOffset > asked.offset ? nextOffset : asked.offset,
            highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset,
          });
        } catch (e) {
          out.push({ topic, partition: p.partitionIndex, error: e as Error, logStartOffset: p.logStartOffset, highWatermark: p.highWatermark });
        }
      }
    }
    const held = memory;
    return {
      partitions: out,
      release: () => {
        if (held !== null) responsePool.release(held);
        arena.release();
      },
    };
  }

  /**
   * One Produce request to `broker` with one batch for each partition given (which it should
   * lead), without retries: each partition comes back with its own error code, so a producer can
   * retry, resequence or fail each batch on its own. Produce v13 names topics by id (KIP-516);
   * a topic whose id this client does not know goes out at v12. Requests go on the broker's
   * producer connection only, so that batches of one partition reach the broker in the order
   * they were sent, and never wait behind a long poll. With acks=0 Kafka sends no response, so
   * the request is only written.
   * @throws KafkaConnectionError (the outcome of every batch in the request is then unknown),
   *   UnsupportedApiError, KWIRE_ERR_ENCODE, KafkaClientClosedError
   */
  async produceTo(broker: string, partitions: readonly PartitionProduceRequest[], opts: ProduceToOptions): Promise<ProduceToResult> {
    const conn = await this.laneConnection(parseAddress(broker), 'produce');
    let version = conn.version(ProduceApi);
    const byTopic = new Map<string, { name: string; topicId: string; partitionData: Array<{ index: number; records: Buffer }> }>();
    for (const r of partitions) {
      let t = byTopic.get(r.topic);
      if (t === undefined) {
        t = { name: r.topic, topicId: this.metadata.peek(r.topic)?.topicId ?? ZERO_UUID, partitionData: [] };
        byTopic.set(r.topic, t);
      }
      t.partitionData.push({ index: r.partition, records: r.records });
    }
    const topicData = [...byTopic.values()];
    if (version >= PRODUCE_TOPIC_ID_SINCE && topicData.some((t) => t.topicId === ZERO_UUID)) version = PRODUCE_TOPIC_ID_SINCE - 1;
    const body = { transactionalId: null, acks: opts.acks, timeoutMs: opts.timeoutMs, topicData };
    if (opts.acks === 0) {
      conn.sendWithoutResponse(ProduceApi, body, version);
      return { version, partitions: [] };
    }
    const res = await conn.request(ProduceApi, body, { version, timeoutMs: opts.timeoutMs + PRODUCE_RESPONSE_GRACE_MS });
    const idToName = new Map(topicData.map((t) => [t.topicId, t.name]));
    const out: PartitionProduceOutcome[] = [];
    for (const t of res.body.responses) {
      const topic = version >= PRODUCE_TOPIC_ID_SINCE ? idToName.get(t.topicId) : t.name;
      if (topic === undefined) continue;
      for (const p of t.partitionResponses) {
        out.push({
          topic, partition: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs,
          logStartOffset: p.logStartOffset, recordErrors: p.recordErrors, errorMessage: p.errorMessage,
        });
      }
    }
    return { version, partitions: out };
  }

  /**
   * A producer id and epoch for an idempotent producer: InitProducerId with a null transactional
   * id (KIP-98) to any broker, with the usual retries. For a null transactional id Kafka ignores
   * the producer id and epoch of the request (KIP-360's bump is for transactional ids) and always
   * hands out a fresh id with epoch 0.
   * @throws KafkaProtocolError (e.g. CLUSTER_AUTHORIZATION_FAILED), RetriesExhaustedError, KafkaClientClosedError
   */
  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    return this.withRetries('InitProducerId', async () => {
      const conn = await this.anyConnection('produce');
      const version = conn.version(InitProducerIdApi);
      const res = await conn.request(InitProducerIdApi, {
        transactionalId: null,
        // What the Java producer sends for an idempotent producer; unused without transactions.
        transactionTimeoutMs: 0x7fffffff,
        producerId: -1n,
        producerEpoch: -1,
      }, { version });
      throwIfError('InitProducerId', version, res.body.errorCode, 'top level');
      return { producerId: res.body.producerId, producerEpoch: res.body.producerEpoch };
    }, () => {});
  }

  /** Forgets the topic's cached metadata: the next operation on it asks a broker again. */
  invalidate(topic: string): void {
    this.metadata.invalidate(topic);
  }

  /** The topic's partitions and leaders, from the cache when fresh. */
  async topic(topic: string): Promise<TopicInfo> {
    return this.retrying('Metadata', topic, () => this.topicInfo(topic));
  }

  /** Closes every connection and cancels every backoff; pending operations fail with KafkaClientClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.reject(new KafkaClientClosedError());
    }
    this.sleepers.clear();
    for (const p of this.connections.values()) p.then((c) => c.close(), () => {});
    this.connections.clear();
    this.open.clear();
  }

  /** Topics in the metadata cache now (at most metadataMaxTopics). */
  get metadataTopics(): number {
    return this.metadata.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Open connections by "host:port", for tests and diagnostics. */
  async openConnections(): Promise<Connection[]> {
    const all = await Promise.allSettled(this.connections.values());
    return all.flatMap((r) => (r.status === 'fulfilled' && !r.value.closed ? [r.value] : []));
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 30_000;
  }

  private retrying<T>(operation: string, topic: string, op: () => Promise<T>): Promise<T> {
    return this.withRetries(`${operation} ${topic}`, op, () => this.metadata.invalidate(topic));
  }

  /**
   * Runs `op` under this client's retry policy: after a failure isRetriable accepts, `onRetry`
   * (to forget what the failure showed to be stale), a doubling backoff that close() cancels,
   * and another attempt, `retries` times at most. For the classes built on this client
   * (GroupOffsets); the client's own operations use it too.
   * @throws op's first non-retriable error, RetriesExhaustedError (`cause`: the last failure), KafkaClientClosedError
   */
  async withRetries<T>(operation: string, op: () => Promise<T>, onRetry: (e: unknown) => void): Promise<T> {
    const retries = this.options.retries ?? 5;
    const base = this.options.retryBackoffMs ?? 100;
    const cap = this.options.retryBackoffMaxMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new KafkaClientClosedError();
      try {
        return await op();
      } catch (e) {
        if (this.closed) throw new KafkaClientClosedError();
        if (!isRetriable(e)) throw e;
        if (attempt > retries) throw new RetriesExhaustedError(operation, attempt, e as Error);
        onRetry(e);
        this.stats.retries++;
        await this.sleep(Math.min(cap, base * 2 ** (attempt - 1)));
      }
    }
  }

  /** A connection to this broker, shared as every other (see connectionsPerBroker). For the classes built on this client. */
  connectionTo(broker: { host: string; port: number }): Promise<Connection> {
    return this.connect(broker);
  }

  /** Any open connection, else the bootstrap and then the known brokers in turn. @throws NoBrokerError */
  anyBroker(): Promise<Connection> {
    return this.anyConnection();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = { timer: setTimeout(() => { this.sleepers.delete(s); resolve(); }, ms), reject };
      this.sleepers.add(s);
    });
  }

  private async topicInfo(topic: string): Promise<TopicInfo> {
    const t = this.metadata.use(topic);
    if (t !== undefined && Date.now() - t.fetchedAt < (this.options.metadataMaxAgeMs ?? 300_000)) return t;
    // Checked on a miss only: the cache holds nothing but names Kafka described, so a hit is valid.
    // A name Kafka would refuse costs no request and no memory (issue 16: distinct invalid names
    // filled the heap), and one longer than 32,767 bytes would have closed the shared connection.
    const reason = invalidTopicReason(topic);
    if (reason !== undefined) throw new InvalidTopicError(topic, reason);
    let p = this.refreshing.get(topic);
    if (p === undefined) {
      p = this.refreshTopic(topic).finally(() => this.refreshing.delete(topic));
      this.refreshing.set(topic, p);
    }
    return p;
  }

  private async refreshTopic(topic: string): Promise<TopicInfo> {
    const wasKnown = this.metadata.peek(topic) !== undefined;
    const conn = await this.anyConnection();
    const version = conn.version(MetadataApi);
    this.stats.metadataRequests++;
    const res = await conn.request(MetadataApi, {
      topics: [{ name: topic, topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }, { version });
    throwIfError('Metadata', version, res.body.errorCode, 'top level');
    this.metadata.update(res.body, Date.now());
    const entry = res.body.topics.find((x) => x.name === topic);
    if (entry === undefined) throw unexpected('Metadata', topic, -1);
    if (entry.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new UnknownTopicError(topic, wasKnown);
    throwIfError('Metadata', version, entry.errorCode, `topics[${topic}]`);
    const t = this.metadata.peek(topic);
    if (t === undefined) throw unexpected('Metadata', topic, -1);
    return t;
  }

  private async leader(topic: string, partition: number): Promise<{ conn: Connection; info: TopicInfo }> {
    let t = await this.topicInfo(topic);
    let p = t.partitions.get(partition);
    // Partitions may have been added since the cache was filled: look once more before saying no.
    if (p === undefined && Date.now() - t.fetchedAt > 1000) {
      this.metadata.invalidate(topic);
      t = await this.topicInfo(topic);
      p = t.partitions.get(partition);
    }
    if (p === undefined) throw new UnknownPartitionError(topic, partition, t.partitions.size);
    const broker = p.leader >= 0 ? this.metadata.brokers.get(p.leader) : undefined;
    if (broker === undefined) throwIfError('Metadata', -1, ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`, `leader ${p.leader}`);
    return { conn: await this.connect(broker!), info: t };
  }

  /** Any open connection, else the bootstrap brokers and then the known brokers, in turn. */
  private async anyConnection(lane?: 'produce'): Promise<Connection> {
    if (lane !== undefined) return this.anyLane(lane);
    // A general connection, the least busy of a broker already connected (connect() opens another
    // while all are busy), never a lane's: a metadata request must not wait out a long poll.
    let idlest: Connection | undefined;
    let broker = '';
    for (const [key, c] of this.open) {
      if (c.closed || key.includes(LANE)) continue;
      if (idlest === undefined || c.inFlightCount < idlest.inFlightCount) {
        idlest = c;
        broker = key.slice(0, key.lastIndexOf('#'));
      }
    }
    if (idlest !== undefined) return idlest.inFlightCount === 0 ? idlest : this.connect(parseAddress(broker));
    const candidates: BrokerAddress[] = [...this.options.brokers.map((b) => ({ nodeId: -1, ...parseAddress(b) })), ...this.metadata.brokers.values()];
    const errors: Error[] = [];
    for (const b of candidates) {
      try {
        return await this.connect(b);
      } catch (e) {
        if (this.closed || !isRetriable(e)) throw e;
        errors.push(e as Error);
      }
    }
    throw new NoBrokerError(errors);
  }
  /** A lane's connection to a known broker, else to a bootstrap broker, in turn. */
  private async anyLane(lane: 'produce'): Promise<Connection> {
    const candidates: Array<{ host: string; port: number }> = [...this.metadata.brokers.values(), ...this.options.brokers.map(parseAddress)];
    const errors: Error[] = [];
    for (const b of candidates) {
      try {
        return await this.laneConnection(b, lane);
      } catch (e) {
        if (this.closed || !isRetriable(e)) throw e;
        errors.push(e as Error);
      }
    }
    throw new NoBrokerError(errors);
  }


  /**
   * A connection to `b`: the open one with the fewest requests in flight. When every open one is
   * busy and fewer than connectionsPerBroker exist, another is opened for the requests after this.
   */
  private connect(b: { host: string; port: number }): Promise<Connection> {
    if (this.closed) return Promise.reject(new KafkaClientClosedError());
    const broker = `${b.host}:${b.port}`;
    let best: Connection | undefined;
    let bestLoad = Infinity;
    let freeSlot = -1;
    let opening: Promise<Connection> | undefined;
    for (let slot = 0; slot < this.perBroker; slot++) {
      const key = `${broker}#${slot}`;
      const c = this.open.get(key);
      if (c !== undefined) {
        const load = c.inFlightCount + (this.picks.get(c) ?? 0);
        if (load < bestLoad) {
          best = c;
          bestLoad = load;
        }
      } else {
        const pending = this.connections.get(key);
        if (pending !== undefined) opening ??= pending;
        else if (freeSlot < 0) freeSlot = slot;
      }
    }
    if (best !== undefined) {
      // All busy: this request takes the least busy one now; the next ones get a new connection.
      if (bestLoad > 0 && freeSlot >= 0 && opening === undefined) this.openSlot(b, `${broker}#${freeSlot}`).catch(() => {});
      this.pick(best);
      return Promise.resolve(best);
    }
    return opening ?? this.openSlot(b, `${broker}#${freeSlot}`);
  }

  /**
   * The broker's connection for one kind of traffic, opened if need be and used by nothing else:
   * Kafka answers a connection's requests in order and a long poll holds its connection until
   * data or max_wait_ms, so produce (one ordered stream per broker) and the shared tail reads get
   * lanes of their own instead of queueing behind clients' long polls (BENCHMARKS.md, "Fan-out").
   */
  private laneConnection(b: { host: string; port: number }, lane: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new KafkaClientClosedError());
    const key = `${b.host}:${b.port}${LANE}${lane}`;
    const open = this.open.get(key);
    if (open !== undefined) return Promise.resolve(open);
    return this.connections.get(key) ?? this.openSlot(b, key);
  }

  /**
   * Counts a connection as busier from its choice until the request is in flight on it: callers
   * that start together in one tick would otherwise all see the same idle connection.
   */
  private pick(c: Connection): void {
    if (this.perBroker === 1) return;
    const n = this.picks.get(c) ?? 0;
    this.picks.set(c, n + 1);
    if (n === 0) setImmediate(() => this.picks.delete(c));
  }

  private openSlot(b: { host: string; port: number }, key: string): Promise<Connection> {
    const p: Promise<Connection> = Connection.connect({
      ...this.connectionOptions,
      host: b.host,
      port: b.port,
    }).then((c) => {
      if (this.closed) {
        c.close();
        throw new KafkaClientClosedError();
      }
      this.open.set(key, c);
      c.onClose(() => {
        if (this.connections.get(key) === p) {
          this.connections.delete(key);
          this.open.delete(key);
        }
      });
      return c;
    }, (e: unknown) => {
      if (this.connections.get(key) === p) this.connections.delete(key);
      throw e;
    });
    this.connections.set(key, p);
    return p;
  }
}

/** Marks a lane's key in the connection maps (the general pool's keys end in #<slot>). */
const LANE = '#lane:';

function parseAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw new KafkaWireError('KWIRE_ERR_CONFIG', `broker address "${s}" is not host:port`);
  return { host: m[1] ?? m[2]!, port };
}

function unexpected(api: string, topic: string, partition: number): KafkaWireError {
  return new KafkaWireError('KWIRE_ERR_UNEXPECTED_RESPONSE', `${api} response has no entry for ${topic}${partition >= 0 ? `-${partition}` : ''}`);
}
