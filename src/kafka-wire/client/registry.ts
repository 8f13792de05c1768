import { createHash } from 'node:crypto';
import { KafkaClient, type ClientOptions } from './client.js';

/**
 * Shares one KafkaClient (and so one connection per broker) between every user of the same
 * cluster and credentials, and never between different credentials. Reference-counted: the
 * client closes when its last user releases it.
 */
export class KafkaClientRegistry {
  private readonly entries = new Map<string, { client: KafkaClient; users: number }>();
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

  get size(): number {
    return this.entries.size;
  }

  closeAll(): void {
    for (const e of this.entries.values()) e.client.close();
    this.entries.clear();
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
