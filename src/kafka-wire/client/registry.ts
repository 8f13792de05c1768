import { createHash } from 'node:crypto';
import { KafkaClient, type ClientOptions } from './client.js';
import { Producer } from './producer.js';
import type { ProducerOptions } from './producer-options.js';

/**
 * Shares one KafkaClient (and so one connection per broker) between every user of the same
 * cluster and credentials, and never between different credentials. Reference-counted: the
 * client closes when its last user releases it.
 */
export class KafkaClientRegistry {
  private readonly entries = new Map<string, { client: KafkaClient; users: number }>();
  private readonly producers = new Map<string, { producer: Producer; client: KafkaClient; users: number }>();
  private readonly functionIds = new WeakMap<object, number>();
  private nextFunctionId = 1;

  acquire(options: ClientOptions): KafkaClient {
    const key = this.keyOf(options);
    let e = this.entries.get(key);
    if (e === undefined || e.client.isClosed) {
      e = { client: new KafkaClient(options), users: 0 };
      this.entries.set(key, e);
    }
    e.users++;
    return e.client;
  }

  release(client: KafkaClient): void {
    for (const [key, e] of this.entries) {
      if (e.client !== client) continue;
      if (--e.users <= 0) {
        this.entries.delete(key);
        client.close();
      }
      return;
    }
  }

  /**
   * The one idempotent Producer of this cluster and these credentials, shared by every user.
   * It runs on a KafkaClient of its own, not the one acquire() shares: a broker serves one
   * request per connection at a time, so produce requests would otherwise queue behind
   * long-polling fetches. `producerOptions` apply when the producer is created; per-route
   * settings (acks, compression, linger, batch size) go with each send.
   */
  acquireProducer(options: ClientOptions, producerOptions?: ProducerOptions): Producer {
    const key = this.keyOf(options);
    let e = this.producers.get(key);
    if (e === undefined || e.client.isClosed) {
      const client = new KafkaClient(options);
      e = { producer: new Producer(client, producerOptions), client, users: 0 };
      this.producers.set(key, e);
    }
    e.users++;
    return e.producer;
  }

  /**
   * One user lets go of the producer; the last one closes it (records still waiting get up to
   * `timeoutMs`, default the delivery timeout, see Producer.close) and then its client.
   */
  async releaseProducer(producer: Producer, opts?: { timeoutMs?: number }): Promise<void> {
    for (const [key, e] of this.producers) {
      if (e.producer !== producer) continue;
      if (--e.users <= 0) {
        this.producers.delete(key);
        await producer.close(opts);
        e.client.close();
      }
      return;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Producers held now. */
  get producerCount(): number {
    return this.producers.size;
  }

  /** Closes every client and producer at once: records not yet acknowledged fail. */
  closeAll(): void {
    for (const e of this.entries.values()) e.client.close();
    this.entries.clear();
    for (const e of this.producers.values()) {
      void e.producer.close({ timeoutMs: 0 });
      e.client.close();
    }
    this.producers.clear();
  }

  /** A digest of everything that changes who we are to the broker; passwords never sit in the map as text. */
  private keyOf(o: ClientOptions): string {
    const canonical = JSON.stringify(o, (_k, v: unknown) => {
      if (typeof v === 'function') return `fn#${this.idOf(v)}`;
      if (Buffer.isBuffer(v)) return v.toString('base64');
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
      }
      return v;
    });
    return createHash('sha256').update(canonical).digest('base64');
  }

  private idOf(f: object): number {
    let id = this.functionIds.get(f);
    if (id === undefined) {
      id = this.nextFunctionId++;
      this.functionIds.set(f, id);
    }
    return id;
  }
}
