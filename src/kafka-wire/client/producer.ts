import { KafkaProtocolError, KafkaWireError } from '../errors.js';
import { kafkaErrorOf } from '../protocol/frame.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { RecordInput } from '../records/encode.js';
import { KafkaConnectionError } from '../transport/index.js';
import { Accumulator, type PartitionQueue } from './accumulator.js';
import type { PartitionProduceOutcome, PartitionProduceRequest, ProduceToOptions, ProduceToResult } from './client.js';
import { KafkaClientClosedError, ProduceError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
import { closedError, kafkaProduceError, metadataError, requestError, timeoutError } from './produce-errors.js';
import { BufferGate } from './producer-buffer.js';
import { positive, settingsOf, type ProducerOptions, type SendOptions, type Settings } from './producer-options.js';
import type { TopicInfo } from './metadata.js';
import { partitionForKey, StickyPartitioner } from './partitioner.js';
import { BATCH_OVERHEAD, estimateRecordBytes, SendCall, type Acks, type ProducerBatch, type RecordResult } from './producer-batch.js';
import { isRetriable } from './retriable.js';
import { MAX_EPOCH, type ProducerIdentity } from './sequences.js';

/**
 * What a Producer needs of a cluster; KafkaClient has it all. Tests give a fake one.
 */
export interface ProducerTransport {
  /** Partitions and leaders of a topic, with retries. @throws UnknownTopicError, InvalidTopicError, RetriesExhaustedError */
  topic(topic: string): Promise<TopicInfo>;
  /** "host:port" of the partition's leader, with retries. @throws UnknownTopicError, UnknownPartitionError, RetriesExhaustedError */
  leaderOf(topic: string, partition: number): Promise<string>;
  /** Forgets the topic's metadata after a failure that suggests it changed. */
  invalidate(topic: string): void;
  produceTo(broker: string, partitions: readonly PartitionProduceRequest[], opts: ProduceToOptions): Promise<ProduceToResult>;
  initProducerId(): Promise<ProducerIdentity>;
}

/** Produce requests in flight to one broker, at most (Java's max.in.flight.requests.per.connection). */
export const MAX_REQUESTS_PER_BROKER = 5;

/** Kafka's codes after which a batch may be in the log although the response is an error. */
const MAYBE_WRITTEN_CODES = new Set<number>([
  ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.UNKNOWN_SERVER_ERROR,
]);

/** Connection failures before the request could have reached the broker. */
const NOT_SENT_CONNECTION_CODES = new Set<string>([
  'KWIRE_ERR_CONNECTION_REFUSED', 'KWIRE_ERR_DNS', 'KWIRE_ERR_CONNECT_TIMEOUT', 'KWIRE_ERR_TLS', 'KWIRE_ERR_TLS_MISMATCH',
  'KWIRE_ERR_SASL_AUTH_FAILED', 'KWIRE_ERR_SASL_MECHANISM', 'KWIRE_ERR_SASL_PROTOCOL', 'KWIRE_ERR_API_UNSUPPORTED',
]);

const FENCED_CODES = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);

const NO_HEADERS: NonNullable<RecordInput['headers']> = [];

/** How long an explicit partition beyond the known count waits before the topic is looked up again. */
const PARTITIONS_RECHECK_MS = 1000;
/** Topics whose partition count is kept, at most (names come from callers). */
const MAX_TOPICS = 10_000;
const TOPIC_MAX_AGE_MS = 300_000;

interface TopicEntry {
  info: TopicInfo;
  /** Partitions with a leader, for keyless records. */
  available: number[];
  at: number;
}

interface Group {
  broker: string;
  acks: Acks;
  batches: ProducerBatch[];
  bytes: number;
}

/**
 * One idempotent producer for a cluster, shared by every caller (KIP-98): records from any number
 * of send() calls are batched together per partition (linger and batch size per call), each batch
 * carries the producer id, epoch and its partition's next sequence number, and retries keep them
 * so that Kafka writes a batch once however often it is sent. A batch that fails affects only its
 * own records: the partition's sequence starts over under a higher epoch (KIP-360) and every
 * other partition, and every other caller's records, go on. See sequences.ts for the rules and
 * docs/kafka-wire.md for the guarantees.
 *
 * Give it a KafkaClient of its own (KafkaClientRegistry.acquireProducer does): a broker serves one
 * request per connection at a time, so produce requests queued behind long-polling fetches would
 * wait for them.
 */
export class Producer {
  /** Counters for metrics and tests. */
  readonly stats = { requests: 0, batches: 0, records: 0, retries: 0, epochBumps: 0, producerIds: 0, restarts: 0 };
  private readonly transport: ProducerTransport;
  private readonly defaults: Settings;
  private readonly requestTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;
  private readonly accumulator = new Accumulator();
  private readonly sticky: StickyPartitioner;
  private readonly topics = new Map<string, TopicEntry>();
  /** Topics seen to use LogAppendTime (see appendTime). */
  private readonly appendTimeTopics = new Set<string>();
  private readonly loading = new Map<string, Promise<TopicEntry>>();
  private readonly brokerRequests = new Map<string, number>();
  private readonly pending = new Set<SendCall>();
  private readonly buffer: BufferGate;
  private identity: ProducerIdentity | undefined;
  private identityRequest: Promise<ProducerIdentity> | undefined;
  private identityRetryAt = 0;
  private identityFailures = 0;
  private flushing = 0;
  private closing = false;
  private closed = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(transport: ProducerTransport, options: ProducerOptions = {}) {
    this.transport = transport;
    this.requestTimeoutMs = positive(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs');
    this.maxRequestBytes = positive(options.maxRequestBytes ?? 1024 * 1024, 'maxRequestBytes');
    this.buffer = new BufferGate(positive(options.bufferBytes ?? 32 * 1024 * 1024, 'bufferBytes'));
    this.backoffMs = positive(options.retryBackoffMs ?? 100, 'retryBackoffMs');
    this.backoffMaxMs = positive(options.retryBackoffMaxMs ?? 1000, 'retryBackoffMaxMs');
    const idempotent = options.idempotence ?? true;
    const base = settingsOf(options, {
      acks: -1, compression: 0, lingerMs: 1, batchBytes: 64 * 1024, deliveryTimeoutMs: 120_000, idempotent,
    });
    base.deliveryTimeoutMs = positive(options.deliveryTimeoutMs ?? 120_000, 'deliveryTimeoutMs');
    // Java's rule (delivery.timeout.ms >= linger.ms + request.timeout.ms): a batch can always
    // finish one whole attempt.
    if (base.deliveryTimeoutMs < base.lingerMs + this.requestTimeoutMs) {
      throw new KafkaWireError('KWIRE_ERR_CONFIG', `deliveryTimeoutMs (${base.deliveryTimeoutMs}) must be at least lingerMs + requestTimeoutMs (${base.lingerMs + this.requestTimeoutMs})`);
    }
    this.defaults = base;
    this.sticky = new StickyPartitioner(options.random);
  }

  /**
   * Sends records to `topic`, to `partition` or, when it is undefined, to the partition Kafka's
   * default partitioner picks for each record (murmur2 of the key, sticky for null keys). Resolves
   * with one result per record, in order, once every record has one: the partition and offset, or
   * the error (ProduceError, with Kafka's errorName). Records sent in one call, and calls made one
   * after another for the same partition, are written in that order. Never rejects for a record's
   * failure; the returned promise waits while the buffer is full.
   * @throws KWIRE_ERR_CONFIG (as a rejection) for options out of range
   */
  send(topic: string, partition: number | undefined, records: readonly RecordInput[], opts?: SendOptions): Promise<RecordResult[]> {
    let s: Settings;
    try {
      s = opts === undefined ? this.defaults : settingsOf(opts, this.defaults);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const call = new SendCall(records.length);
    if (records.length === 0) return call.promise;
    if (this.closing || this.closed) {
      for (let i = 0; i < records.length; i++) call.settle(i, { partition: partition ?? -1, error: closedError(topic, partition ?? -1, false) });
      return call.promise;
    }
    this.pending.add(call);
    void call.promise.then(() => this.pending.delete(call));
    void this.admit(call, topic, partition, records, s);
    return call.promise;
  }

  /** Sends every waiting batch now (ignoring linger) and resolves when every record sent so far has its result. */
  async flush(): Promise<void> {
    this.flushing++;
    this.wake();
    try {
      await Promise.all([...this.pending].map((c) => c.promise));
    } finally {
      this.flushing--;
    }
  }

  /**
   * Stops taking records (later sends fail with KWIRE_ERR_PRODUCER_CLOSED), sends what waits, and
   * resolves once every record has its result or `timeoutMs` (default: the delivery timeout) has
   * passed. Records still waiting then fail with KWIRE_ERR_PRODUCER_CLOSED; those in flight get
   * their result when the broker answers or the request times out, and are not retried. Does not
   * close the transport (the KafkaClient).
   */
  async close(opts?: { timeoutMs?: number }): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake();
    const timeoutMs = opts?.timeoutMs ?? this.defaults.deliveryTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.pending].map((c) => c.promise)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.closed = true;
    clearTimeout(this.timer);
    this.buffer.close();
    for (const q of this.accumulator.all()) {
      for (const b of q.batches.splice(0)) this.settleFailed(q, b, closedError(b.topic, b.partition, b.maybeWritten));
    }
  }

  /** Bytes of records held now (waiting, or in flight). */
  get bufferedBytes(): number {
    return this.buffer.bytes;
  }

  /** Partitions the producer has state for. */
  get partitions(): number {
    return this.accumulator.size;
  }

  /** The current producer id and epoch, once InitProducerId has answered. */
  get producerIdentity(): ProducerIdentity | undefined {
    return this.identity;
  }

  // ---- admission: size checks, buffer, metadata, partitioner, accumulator ----

  private async admit(call: SendCall, topic: string, partition: number | undefined, records: readonly RecordInput[], s: Settings): Promise<void> {
    const sizes = new Array<number>(records.length);
    let total = 0;
    for (let i = 0; i < records.length; i++) {
      const n = estimateRecordBytes(records[i]!);
      if (n + BATCH_OVERHEAD > this.maxRequestBytes) {
        sizes[i] = -1;
        call.settle(i, { partition: partition ?? -1, error: new ProduceError({
          code: 'KWIRE_ERR_RECORD_TOO_LARGE', topic, partition: partition ?? -1, errorName: 'MESSAGE_TOO_LARGE', retriable: false, maybeWritten: false,
          message: `a record of about ${n} bytes exceeds maxRequestBytes ${this.maxRequestBytes}`,
        }) });
      } else {
        sizes[i] = n;
        total += n;
      }
    }
    if (total === 0) return;
    if (!(await this.buffer.acquire(total, s.deliveryTimeoutMs))) {
      this.failUnsettled(call, records, sizes, (p) => this.closed
        ? closedError(topic, p, false)
        : new ProduceError({
          code: 'KWIRE_ERR_PRODUCE_TIMEOUT', topic, partition: p, errorName: 'REQUEST_TIMED_OUT', retriable: true, maybeWritten: false,
          message: `the producer's buffer (bufferBytes) stayed full for the delivery timeout (${s.deliveryTimeoutMs} ms)`,
        }), partition);
      return;
    }
    let entry = this.freshTopic(topic);
    if (entry === undefined) {
      try {
        entry = await this.loadTopicUntil(topic, Date.now() + s.deliveryTimeoutMs);
      } catch (e) {
        this.buffer.release(total);
        this.failUnsettled(call, records, sizes, (p) => metadataError(topic, p, e as Error), partition);
        return;
      }
    }
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= entry.info.partitions.size)) {
      // Partitions may have been added since the count was read: look once more before saying no.
      if (Number.isInteger(partition) && partition >= 0 && Date.now() - entry.at > PARTITIONS_RECHECK_MS) {
        this.topics.delete(topic);
        this.transport.invalidate(topic);
        try {
          entry = await this.loadTopic(topic);
        } catch {
          // judged below with what is known
        }
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= entry.info.partitions.size) {
        this.buffer.release(total);
        const cause = new UnknownPartitionError(topic, partition, entry.info.partitions.size);
        this.failUnsettled(call, records, sizes, () => new ProduceError({
          code: 'KWIRE_ERR_PRODUCE', topic, partition, errorName: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: false, maybeWritten: false, message: cause.message, cause,
        }), partition);
        return;
      }
    }
    if (this.closed) {
      this.buffer.release(total);
      this.failUnsettled(call, records, sizes, (p) => closedError(topic, p, false), partition);
      return;
    }
    const now = Date.now();
    const stamp = BigInt(now);
    const count = entry.info.partitions.size;
    for (let i = 0; i < records.length; i++) {
      if (sizes[i]! < 0) continue;
      const r = records[i]!;
      // A record without a timestamp gets the send time (Java's producer stamps at send()). Copied
      // field by field: an object spread here cost about 600 ns a record and halved the
      // producer's throughput (BENCHMARKS.md, "Produce").
      const record: RecordInput = r.timestamp === undefined ? { key: r.key ?? null, value: r.value ?? null, headers: r.headers ?? NO_HEADERS, timestamp: stamp } : r;
      let p = partition;
      if (p === undefined) {
        const key = r.key === null || r.key === undefined ? null : typeof r.key === 'string' ? Buffer.from(r.key, 'utf8') : r.key;
        p = key === null ? this.sticky.partition(topic, count, entry.available) : partitionForKey(key, count);
      }
      const q = this.accumulator.queue(topic, p);
      if (q.append(record, sizes[i]!, call, i, s, now)) this.sticky.batchClosed(topic, p);
      this.accumulator.active.add(q);
      this.stats.records++;
    }
    this.wake();
  }

  /** Settles every record of `call` not settled yet (sizes[i] >= 0) with the error for its partition. */
  private failUnsettled(call: SendCall, records: readonly RecordInput[], sizes: number[], error: (partition: number) => ProduceError, partition: number | undefined): void {
    const p = partition ?? -1;
    const e = error(p);
    for (let i = 0; i < records.length; i++) if (sizes[i]! >= 0) call.settle(i, { partition: p, error: e });
  }

  private freshTopic(topic: string): TopicEntry | undefined {
    const e = this.topics.get(topic);
    return e !== undefined && Date.now() - e.at < TOPIC_MAX_AGE_MS ? e : undefined;
  }

  /**
   * loadTopic, again after failures a retry may cure (no broker reachable, a broker restarting),
   * until `deadline`, as the Java producer waits up to max.block.ms for metadata.
   */
  private async loadTopicUntil(topic: string, deadline: number): Promise<TopicEntry> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.loadTopic(topic);
      } catch (e) {
        const wait = this.backoff(failures);
        if (this.closing || !(isRetriable(e) || e instanceof RetriesExhaustedError) || Date.now() + wait >= deadline) throw e;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** The topic's partitions from the transport; callers waiting for the same topic share one lookup. */
  private loadTopic(topic: string): Promise<TopicEntry> {
    let p = this.loading.get(topic);
    if (p === undefined) {
      p = this.transport.topic(topic).then((info) => {
        const available: number[] = [];
        for (const [i, part] of info.partitions) if (part.leader >= 0) available.push(i);
        const entry = { info, available, at: Date.now() };
        this.topics.delete(topic);
        this.topics.set(topic, entry);
        for (const oldest of this.topics.keys()) {
          if (this.topics.size <= MAX_TOPICS) break;
          this.topics.delete(oldest);
          this.appendTimeTopics.delete(oldest);
        }
        return entry;
      }).finally(() => this.loading.delete(topic));
      this.loading.set(topic, p);
    }
    return p;
  }

  // ---- the sender: one pass over the partitions with something to do ----

  /** Runs the sender once, soon (batched: many wakes in one tick cost one pass). */
  private wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    if (this.closed) return;
    const now = Date.now();
    const force = this.flushing > 0 || this.closing;
    let nextAt = Infinity;
    const groups = new Map<string, Group>();
    for (const q of this.accumulator.active) {
      for (const b of q.expire(now)) this.settleFailed(q, b, timeoutError(b, this.defaults.deliveryTimeoutMs));
      if (q.batches.length === 0) {
        if (q.inFlight === 0) this.accumulator.active.delete(q);
        continue;
      }
      nextAt = Math.min(nextAt, q.batches[0]!.deadline);
      if (q.seq.reset !== undefined) {
        if (q.inFlight === 0) this.restart(q);
        continue;
      }
      if (q.backoffUntil > now) {
        nextAt = Math.min(nextAt, q.backoffUntil);
        continue;
      }
      const head = q.ready(now, force);
      if (head === undefined) {
        nextAt = Math.min(nextAt, q.batches[0]!.readyAt);
        continue;
      }
      if (q.leader === undefined) {
        this.resolveLeader(q);
        continue;
      }
      if ((this.brokerRequests.get(q.leader) ?? 0) >= MAX_REQUESTS_PER_BROKER) continue;
      const idempotent = this.defaults.idempotent && head.acks !== 0;
      if (idempotent) {
        if (head.baseSequence >= 0) {
          if (!q.seq.mayResend(head)) continue;
        } else {
          if (q.seq.identity === undefined) {
            if (this.identity === undefined) {
              this.needIdentity();
              continue;
            }
            q.seq.identity = this.identity;
          }
          if (!q.seq.canAssign()) continue;
        }
      } else if (head.acks !== 0 && q.inFlight > 0) {
        // Without sequences nothing keeps two batches of a partition in order: one at a time.
        continue;
      }
      const key = `${q.leader}\u0000${head.acks}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { broker: q.leader, acks: head.acks, batches: [], bytes: 0 };
        groups.set(key, g);
      }
      if (g.batches.length > 0 && g.bytes + head.bytes > this.maxRequestBytes) {
        nextAt = now;
        continue;
      }
      if (q.take()) this.sticky.batchClosed(q.topic, q.partition);
      if (idempotent) {
        if (head.baseSequence < 0) q.seq.assign(head);
        q.seq.sending(head);
      }
      head.attempts++;
      q.inFlight++;
      g.batches.push(head);
      g.bytes += head.bytes;
    }
    for (const g of groups.values()) this.sendGroup(g);
    // More batches of the same partitions may go in the next requests.
    if (groups.size > 0) this.wake();
    else if (nextAt === Infinity) this.unschedule();
    else this.schedule(nextAt, now);
  }

  /** Nothing waits on time: no timer should keep the process alive. */
  private unschedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private schedule(at: number, now: number): void {
    if (at === Infinity || this.closed) return;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.run();
    }, Math.max(0, at - now));
  }

  private sendGroup(g: Group): void {
    const parts: PartitionProduceRequest[] = [];
    const sent: ProducerBatch[] = [];
    for (const b of g.batches) {
      try {
        parts.push({ topic: b.topic, partition: b.partition, records: b.encode() });
        sent.push(b);
      } catch (e) {
        const q = this.accumulator.queue(b.topic, b.partition);
        q.inFlight--;
        this.settleFailed(q, b, new ProduceError({
          code: 'KWIRE_ERR_PRODUCE', topic: b.topic, partition: b.partition, errorName: 'INVALID_RECORD', retriable: false, maybeWritten: false,
          message: `the records cannot be encoded: ${(e as Error).message}`, cause: e as Error,
        }));
      }
    }
    if (sent.length === 0) return;
    g.batches = sent;
    this.brokerRequests.set(g.broker, (this.brokerRequests.get(g.broker) ?? 0) + 1);
    this.stats.requests++;
    this.stats.batches += sent.length;
    this.transport.produceTo(g.broker, parts, { acks: g.acks, timeoutMs: this.requestTimeoutMs }).then(
      (res) => this.onResponse(g, res),
      (e: unknown) => this.onRequestFailed(g, e as Error),
    );
  }

  private requestDone(g: Group): void {
    const n = (this.brokerRequests.get(g.broker) ?? 1) - 1;
    if (n <= 0) this.brokerRequests.delete(g.broker);
    else this.brokerRequests.set(g.broker, n);
  }

  private onResponse(g: Group, res: ProduceToResult): void {
    this.requestDone(g);
    const byPartition = new Map<string, PartitionProduceOutcome>();
    for (const p of res.partitions) byPartition.set(`${p.topic}\u0000${p.partition}`, p);
    for (const b of g.batches) {
      const q = this.accumulator.queue(b.topic, b.partition);
      q.inFlight--;
      if (g.acks === 0) {
        this.settleAcked(q, b, -1n, -1n);
        continue;
      }
      const o = byPartition.get(`${b.topic}\u0000${b.partition}`);
      if (o === undefined) {
        b.maybeWritten = true;
        this.retry(q, b, new KafkaWireError('KWIRE_ERR_UNEXPECTED_RESPONSE', `Produce response has no entry for ${b.topic}-${b.partition}`), true);
      } else this.onOutcome(q, b, o, res.version);
    }
    this.wake();
  }

  private onOutcome(q: PartitionQueue, b: ProducerBatch, o: PartitionProduceOutcome, version: number): void {
    const code = o.errorCode;
    // A duplicate is a batch Kafka wrote before; brokers since 1.0 answer it with NONE and the
    // first offsets, older ones (and a batch outside the window of five) with this code.
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      this.settleAcked(q, b, code === ErrorCode.NONE ? o.baseOffset : -1n, o.logAppendTimeMs);
      return;
    }
    const err = kafkaErrorOf('Produce', version, code, `${b.topic}-${b.partition}`, o.errorMessage);
    const sequenced = b.baseSequence >= 0;
    // Sequence answers need no backoff and no new metadata: the state machine decides when the
    // batch goes again (after the batch before it, or after the restart).
    if (sequenced && code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
      q.seq.outOfOrder(b);
      this.retry(q, b, err, false);
    } else if (sequenced && code === ErrorCode.UNKNOWN_PRODUCER_ID) {
      q.seq.unknownProducer(b);
      this.retry(q, b, err, false);
    } else if (sequenced && FENCED_CODES.has(code)) {
      q.seq.fenced(b);
      this.retry(q, b, err, false);
    } else if (err.retriable) {
      if (MAYBE_WRITTEN_CODES.has(code)) b.maybeWritten = true;
      this.retry(q, b, err, true);
    } else {
      if (MAYBE_WRITTEN_CODES.has(code)) b.maybeWritten = true;
      let perRecord: Map<number, ProduceError> | undefined;
      for (const r of o.recordErrors) {
        (perRecord ??= new Map()).set(r.batchIndex, kafkaProduceError(b, err, r.batchIndexErrorMessage ?? undefined));
      }
      this.settleFailed(q, b, kafkaProduceError(b, err), perRecord);
    }
  }

  private onRequestFailed(g: Group, e: Error): void {
    this.requestDone(g);
    const sent = !(e instanceof KafkaConnectionError && NOT_SENT_CONNECTION_CODES.has(e.code)) && !(e instanceof KafkaWireError && e.code === 'KWIRE_ERR_ENCODE');
    for (const b of g.batches) {
      const q = this.accumulator.queue(b.topic, b.partition);
      q.inFlight--;
      // A request that reached the broker may have been written before the connection went.
      if (sent && g.acks !== 0) b.maybeWritten = true;
      if (e instanceof KafkaClientClosedError) this.settleFailed(q, b, closedError(b.topic, b.partition, b.maybeWritten, e));
      else if (isRetriable(e) && g.acks !== 0) this.retry(q, b, e, true);
      else this.settleFailed(q, b, requestError(b, e));
    }
    this.wake();
  }

  /**
   * Puts a batch back for another attempt, unless its time is up or the producer closed.
   * `refresh`: the failure suggests the leader moved or went away: back off and look it up again.
   */
  private retry(q: PartitionQueue, b: ProducerBatch, e: Error, refresh: boolean): void {
    b.lastError = e;
    if (this.closed) {
      this.settleFailed(q, b, closedError(b.topic, b.partition, b.maybeWritten, e));
      return;
    }
    const now = Date.now();
    if (now >= b.deadline) {
      this.settleFailed(q, b, timeoutError(b, this.defaults.deliveryTimeoutMs));
      return;
    }
    this.stats.retries++;
    if (refresh) {
      q.leader = undefined;
      this.transport.invalidate(b.topic);
      q.failures++;
      q.backoffUntil = now + this.backoff(q.failures);
    }
    q.requeue(b);
    this.accumulator.active.add(q);
  }

  private settleAcked(q: PartitionQueue, b: ProducerBatch, baseOffset: bigint, logAppendTimeMs: bigint): void {
    if (b.baseSequence >= 0) q.seq.acked(b);
    q.failures = 0;
    this.release(b);
    b.succeed(baseOffset, this.appendTime(b, logAppendTimeMs));
  }

  /**
   * The LogAppendTime to report for every record of `b`, or undefined when each keeps its own
   * timestamp. Kafka sends LogAppendTimeMs -1 for a CreateTime topic, except when it answers a
   * duplicate: then it sends the timestamp it kept for the batch (UnifiedLog: "setLogAppendTime(
   * duplicate.timestamp)"), which on a CreateTime topic is the batch's largest record timestamp.
   * So a value equal to that is ambiguous, and read as CreateTime unless the topic has answered
   * with a real append time before (the Java client reports it for every record, wrongly for a
   * retried CreateTime batch whose records differ in time).
   */
  private appendTime(b: ProducerBatch, logAppendTimeMs: bigint): bigint | undefined {
    if (logAppendTimeMs < 0n) return undefined;
    if (logAppendTimeMs !== b.maxTimestamp()) {
      this.appendTimeTopics.add(b.topic);
      return logAppendTimeMs;
    }
    return this.appendTimeTopics.has(b.topic) ? logAppendTimeMs : undefined;
  }

  /** Fails a batch's records for good; its partition's sequence copes with the gap (sequences.ts). */
  private settleFailed(q: PartitionQueue, b: ProducerBatch, error: ProduceError, perRecord?: ReadonlyMap<number, ProduceError>): void {
    if (b.baseSequence >= 0) q.seq.failed(b);
    this.release(b);
    b.fail(error, perRecord);
  }

  private release(b: ProducerBatch): void {
    this.buffer.release(b.bytes - BATCH_OVERHEAD);
  }

  private backoff(failures: number): number {
    return Math.min(this.backoffMaxMs, this.backoffMs * 2 ** Math.min(failures - 1, 30));
  }

  // ---- leaders and producer ids ----

  private resolveLeader(q: PartitionQueue): void {
    if (q.resolving) return;
    q.resolving = true;
    this.transport.leaderOf(q.topic, q.partition).then((leader) => {
      q.resolving = false;
      q.leader = leader;
      this.wake();
    }, (e: unknown) => {
      q.resolving = false;
      const err = e as Error;
      if (isRetriable(err) || err instanceof RetriesExhaustedError || this.closed) {
        q.failures++;
        q.backoffUntil = Date.now() + this.backoff(q.failures);
        for (const b of q.batches) b.lastError = err;
      } else {
        // The topic or partition is gone (or never was): nothing waiting for it can succeed.
        this.topics.delete(q.topic);
        if (err instanceof UnknownTopicError) this.sticky.forget(q.topic);
        for (const b of q.batches.splice(0)) this.settleFailed(q, b, metadataError(q.topic, q.partition, err, b.maybeWritten));
      }
      this.wake();
    });
  }

  /** Asks for a producer id, unless one is being asked for or the last failure's backoff is on. */
  private needIdentity(): void {
    const now = Date.now();
    if (now < this.identityRetryAt) this.schedule(this.identityRetryAt, now);
    else void this.newIdentity().catch(() => {});
  }

  /** One InitProducerId at a time, shared by every partition waiting for it. */
  private newIdentity(): Promise<ProducerIdentity> {
    if (this.identityRequest !== undefined) return this.identityRequest;
    const p = this.transport.initProducerId().then((id) => {
      this.identity = id;
      this.identityFailures = 0;
      this.stats.producerIds++;
      return id;
    }, (e: unknown) => {
      this.identityFailures++;
      this.identityRetryAt = Date.now() + this.backoff(this.identityFailures);
      // Retrying will not cure it (e.g. CLUSTER_AUTHORIZATION_FAILED): the batches waiting for
      // an id fail now instead of at their delivery timeout; the next ones ask again.
      if (!isRetriable(e) && !(e instanceof RetriesExhaustedError)) this.failWithoutIdentity(e as Error);
      throw e;
    }).finally(() => {
      this.identityRequest = undefined;
      this.wake();
    });
    this.identityRequest = p;
    return p;
  }

  /** Fails the batches of partitions that have no producer id yet (acks=0 batches need none). */
  private failWithoutIdentity(e: Error): void {
    for (const q of this.accumulator.active) {
      if (q.seq.identity !== undefined) continue;
      for (const b of [...q.batches]) {
        if (b.acks === 0) continue;
        q.remove(b);
        this.settleFailed(q, b, requestError(b, e));
      }
    }
  }

  /**
   * Starts a partition's sequence over (nothing of it is in flight): under the producer's next
   * epoch, or under a fresh producer id when the broker fenced us or the epoch is at its maximum.
   */
  private restart(q: PartitionQueue): void {
    if (q.restarting) return;
    if (q.seq.reset === 'bump' && this.identity !== undefined && this.identity.producerEpoch < MAX_EPOCH) {
      this.identity = { producerId: this.identity.producerId, producerEpoch: this.identity.producerEpoch + 1 };
      this.stats.epochBumps++;
      this.finishRestart(q, this.identity);
      return;
    }
    if (Date.now() < this.identityRetryAt) {
      this.schedule(this.identityRetryAt, Date.now());
      return;
    }
    q.restarting = true;
    this.newIdentity().then((id) => {
      q.restarting = false;
      if (q.seq.reset !== undefined && q.inFlight === 0) this.finishRestart(q, id);
    }, () => {
      q.restarting = false;
    });
  }

  private finishRestart(q: PartitionQueue, id: ProducerIdentity): void {
    this.stats.restarts++;
    for (const b of q.seq.restart(id)) {
      q.remove(b);
      const last = b.lastError;
      this.release(b);
      b.fail(new ProduceError({
        code: 'KWIRE_ERR_PRODUCE', topic: b.topic, partition: b.partition,
        errorName: last instanceof KafkaProtocolError ? last.errorName : 'NETWORK_EXCEPTION', retriable: true, maybeWritten: true,
        message: 'an earlier attempt may have been written, and the partition\'s sequence had to start over, so the records are not sent again (that could write them twice)',
        cause: last,
      }));
    }
    this.wake();
  }
}
