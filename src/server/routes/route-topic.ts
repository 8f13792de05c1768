/**
 * Reads the route topic for a Kafka route store: creates it when missing (compacted, one
 * partition, so every record of a route id is read in the order it was written), reads it from
 * its log start to the end offset taken when the read began, says so, and then follows it with
 * long-polling fetches. A cluster out of reach is retried for ever with a doubling backoff, each
 * attempt logged; after an outage longer than `staleAfterMs` the topic is read again from its
 * start, since compaction may meanwhile have dropped tombstones this replica never saw.
 */
import { createTopic, EARLIEST, KafkaProtocolError, LATEST, UnknownTopicError, type KafkaClient } from '../../kafka-wire/index.js';
import { RouteTopicError } from '../errors.js';
import { SEQ_HEADER, WRITER_HEADER } from './kafka-record.js';

/** One record of the route topic, its key and value copied out of the response. */
export interface TopicRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** The kwp-writer and kwp-seq headers, when present. */
  writer: string | undefined;
  seq: number | undefined;
}

export interface RouteTopicEvents {
  /** A read from the log start (`from`) begins: forget every record read before. */
  restart(from: bigint): void;
  /** Records, in offset order, each once per read. */
  records(records: TopicRecord[]): void;
  /** The read reached the end offset taken when it began: what was read is the topic as of then. */
  caughtUp(): void;
  /** A failure reaching the topic (retried), or undefined once it answers again. */
  trouble(problem: string | undefined): void;
  /** The topic cannot be used (RouteTopicError); reading has stopped. */
  fatal(e: Error): void;
}

export type StoreLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface RouteTopicOptions {
  client: KafkaClient;
  topic: string;
  /** For the topic's creation; -1: the broker's default.replication.factor. */
  replicationFactor: number;
  events: RouteTopicEvents;
  log: StoreLog;
  /** Backoff after a failure: first, doubling up to max (defaults 250 ms and 5 s). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** How long a caught-up fetch waits on the broker for a new record (default 500 ms). */
  maxWaitMs?: number;
  /** An outage longer than this is followed by a full read (default 30 s). */
  staleAfterMs?: number;
}

export const TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({ 'cleanup.policy': 'compact' });

export class RouteTopicReader {
  /** When a fetch (or the first lookup) last succeeded, ms since the epoch; 0 before any. */
  lastContact = 0;
  readonly #o: RouteTopicOptions;
  #next = 0n;
  #closed = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: RouteTopicOptions) {
    this.#o = options;
  }

  /** The next offset to read. */
  get position(): bigint {
    return this.#next;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops reading; resolves once the loop has ended (a fetch in flight ends with the client's close). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const first = o.retryBackoffMs ?? 250;
    const cap = o.retryBackoffMaxMs ?? 5000;
    const stale = o.staleAfterMs ?? 30_000;
    const maxWaitMs = o.maxWaitMs ?? 500;
    let full = true;
    let end = 0n;
    let caught = false;
    let failures = 0;
    while (!this.#closed) {
      try {
        if (full) {
          await this.#ensureTopic();
          const [start, last] = await Promise.all([o.client.listOffsets(o.topic, 0, EARLIEST), o.client.listOffsets(o.topic, 0, LATEST)]);
          this.#contact(failures, stale);
          failures = 0;
          full = false;
          caught = false;
          end = last.offset;
          this.#next = start.offset;
          o.events.restart(start.offset);
        }
        if (!caught && this.#next >= end) {
          caught = true;
          o.events.caughtUp();
        }
        const r = await o.client.fetch(o.topic, 0, this.#next, caught ? { maxWaitMs, minBytes: 1 } : { maxWaitMs: 0 });
        if (this.#closed) return;
        if (this.#contact(failures, stale)) {
          full = true;
          failures = 0;
          o.log('warn', 'route topic read again from its start after an outage', { topic: o.topic, longerThanMs: stale });
          continue;
        }
        failures = 0;
        const out: TopicRecord[] = [];
        for (const rec of r.records) {
          if (rec.offset < this.#next) continue;
          out.push(topicRecord(rec.offset, rec.key, rec.value, rec.headers));
          this.#next = rec.offset + 1n;
        }
        if (r.nextOffset > this.#next) this.#next = r.nextOffset;
        if (out.length > 0) o.events.records(out);
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof RouteTopicError) {
          o.events.fatal(e);
          return;
        }
        if (e instanceof KafkaProtocolError && e.errorName === 'OFFSET_OUT_OF_RANGE') {
          // The log start passed our position (the topic was deleted and made again, or
          // truncated): only a read from the start is sure to be whole.
          o.log('warn', 'route topic position out of range: reading it again from its start', { topic: o.topic, position: String(this.#next) });
          full = true;
          continue;
        }
        failures++;
        const delay = Math.min(cap, first * 2 ** Math.min(failures - 1, 16));
        const message = (e as Error).message;
        o.log(failures === 1 || failures % 10 === 0 ? 'warn' : 'debug', 'route store unreachable, retrying', { topic: o.topic, brokers: o.client.options.brokers.join(','), error: message, attempt: failures, retryInMs: delay });
        o.events.trouble(message);
        await this.#sleep(delay);
      }
    }
  }

  /**
   * A successful answer: reports recovery; true when no answer came for longer than `stale` before
   * it (failures, or a fetch that hung, or this process stalled): the store then marked itself
   * unavailable, and a read from the start makes it current again.
   */
  #contact(failures: number, stale: number): boolean {
    const now = Date.now();
    const long = this.lastContact > 0 && now - this.lastContact > stale;
    if (failures > 0) {
      this.#o.log('info', 'route store reachable again', { topic: this.#o.topic, attempts: failures });
      this.#o.events.trouble(undefined);
    }
    this.lastContact = now;
    return long;
  }

  async #ensureTopic(): Promise<void> {
    const { client, topic } = this.#o;
    let info: Awaited<ReturnType<KafkaClient['topic']>>;
    try {
      info = await client.topic(topic);
    } catch (e) {
      if (!(e instanceof UnknownTopicError)) throw e;
      const made = await createTopic(client, topic, { partitions: 1, replicationFactor: this.#o.replicationFactor, configs: TOPIC_CONFIGS });
      if (made === 'created') this.#o.log('info', 'route topic created', { topic, replicationFactor: this.#o.replicationFactor, ...TOPIC_CONFIGS });
      client.invalidate(topic);
      info = await client.topic(topic);
    }
    if (info.partitions.size !== 1) {
      throw new RouteTopicError(`route topic ${topic} has ${info.partitions.size} partitions; it needs exactly 1, so that the records of a route are read in the order they were written (delete it, or name another with route_store.kafka.topic)`);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

function topicRecord(offset: bigint, key: Buffer | null, value: Buffer | null, headers: ReadonlyArray<{ key: string; value: Buffer | null }>): TopicRecord {
  let writer: string | undefined;
  let seq: number | undefined;
  for (const h of headers) {
    if (h.value === null) continue;
    if (h.key === WRITER_HEADER) writer = h.value.toString('utf8');
    else if (h.key === SEQ_HEADER) {
      const n = Number(h.value.toString('utf8'));
      if (Number.isSafeInteger(n)) seq = n;
    }
  }
  // Copies: the response's memory may be reused once it is released.
  return { offset, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), writer, seq };
}
