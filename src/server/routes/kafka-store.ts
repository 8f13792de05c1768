/**
 * A route store kept in a compacted Kafka topic that every replica reads (docs/deployment.md,
 * "Routes shared through Kafka"). It is a RouteStore, so the admin API, its validation and its
 * replies are the file store's; what differs is where a write goes and when it counts.
 *
 * - Reading: route-topic.ts reads the topic from its start to the end offset of the moment, then
 *   follows it. Until the first read is complete the store is `unavailable` (the proxy answers
 *   /readyz, upgrades and the admin API with 503): routes half read are neither served nor shown.
 * - State: the last record of each route id, resolved by route-log.ts into the routes in effect.
 *   Every change reaches the listeners as a local write does, so a route deleted or changed on
 *   any replica closes or drains its connections on this one.
 * - Writes: validated here against this replica's view exactly as the file store validates,
 *   produced (idempotent producer, acks=all) keyed by route id, and answered only once this
 *   replica has read the record back and applied it, so a client that writes and then connects
 *   to the same replica finds its route. Deletes are tombstones.
 * - Concurrent writes: the later offset wins for one route id. Two routes given one uri at once
 *   on two replicas: the earlier hold keeps it on every replica (route-log.ts); the writer of the
 *   other is answered RouteConflictError, as if its replica had seen the clash, and writes its
 *   route back as it was before.
 */
import { randomUUID } from 'node:crypto';
import { KafkaClient, ProduceError, Producer, type ClientOptions } from '../../kafka-wire/index.js';
import { fail, isObject } from './check.js';
import { encodeRouteValue, SEQ_HEADER, WRITER_HEADER, type RoutePayload } from './kafka-record.js';
import type { KeyRing } from './key-ring.js';
import type { KafkaRoute } from './route.js';
import { keepsClaim, type LogEntry } from './route-log.js';
import { RouteTopicState, type Outcome } from './route-state.js';
import { RouteTopicReader, type StoreLog, type TopicRecord } from './route-topic.js';
import { checkRouteId, validateRoute } from './schema.js';
import { patchedRoute, RouteStore, type StoredRoute } from './store.js';
import { RouteConflictError, RouteNotFoundError, RouteStoreError } from '../errors.js';

export const DEFAULT_ROUTE_TOPIC = '_kwp_routes';
const READ_BACK_TIMEOUT_MS = 30_000;
const STALE_AFTER_MS = 30_000;
/** How often staleness is checked; well under STALE_AFTER_MS. */
const STALE_CHECK_MS = 1000;
const READING = 'reading the route topic';

export interface KafkaRouteStoreOptions {
  /** The store's cluster: bootstrap brokers, TLS, SASL, timeouts. */
  client: ClientOptions;
  topic?: string;
  /** For the topic's creation (default -1: the broker's default.replication.factor). */
  replicationFactor?: number;
  keys: KeyRing;
  /** Routes from the configuration file, each with its `id`: read-only, and they win every clash. */
  staticRoutes?: Array<{ id: string } & Record<string, unknown>>;
  log?: StoreLog;
  /** Clock in milliseconds (default Date.now); timestamps are its Unix seconds. */
  now?: () => number;
  /** An admin write not read back within this fails with RouteStoreError (default 30 s). */
  readBackTimeoutMs?: number;
  /** Out of reach of the topic this long after being ready: unavailable, and read again once back (default 30 s). */
  staleAfterMs?: number;
  /** The reader's backoff while the cluster is out of reach (defaults 250 ms, doubling to 5 s). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
}

interface Pending {
  resolve(o: Outcome): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class KafkaRouteStore extends RouteStore {
  /** This process's id in the records it writes (the kwp-writer header). */
  readonly writerId = randomUUID();
  readonly topic: string;
  readonly #ring: KeyRing;
  readonly #log: StoreLog;
  readonly #readClient: KafkaClient;
  readonly #produceClient: KafkaClient;
  readonly #producer: Producer;
  readonly #reader: RouteTopicReader;
  readonly #statics = new Map<string, KafkaRoute>();
  readonly #state: RouteTopicState;
  readonly #pending = new Map<number, Pending>();
  readonly #readBackTimeoutMs: number;
  readonly #staleAfterMs: number;
  #seq = 0;
  #fatal: Error | undefined;
  #staleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(o: KafkaRouteStoreOptions) {
    super(undefined, o.now ?? Date.now, []);
    this.topic = o.topic ?? DEFAULT_ROUTE_TOPIC;
    this.#ring = o.keys;
    this.#log = o.log ?? (() => undefined);
    this.#readBackTimeoutMs = o.readBackTimeoutMs ?? READ_BACK_TIMEOUT_MS;
    this.#staleAfterMs = o.staleAfterMs ?? STALE_AFTER_MS;
    // Our loop retries for ever with its own backoff; one quick retry inside covers a leader move.
    this.#readClient = new KafkaClient({ requestTimeoutMs: 10_000, ...o.client, retries: 1 });
    // Its own client: produce requests must not queue behind the reader's long polls.
    this.#produceClient = new KafkaClient({ requestTimeoutMs: 10_000, ...o.client });
    this.#producer = new Producer(this.#produceClient, { acks: -1, lingerMs: 0, requestTimeoutMs: 10_000, deliveryTimeoutMs: 20_000 });
    this.#state = new RouteTopicState({
      ring: this.#ring,
      statics: this.#statics,
      writerId: this.writerId,
      log: this.#log,
      changed: (changes, initial) => {
        for (const { id, after } of changes) {
          if (after === undefined) this.routes.delete(id);
          else this.routes.set(id, stored(after));
        }
        this.changedAll(changes.map(({ id, before, after }) => ({
          id, ...(before !== undefined ? { before: before.route } : {}), ...(after !== undefined ? { after: after.route } : {}), ...(initial ? { initial: true as const } : {}),
        })));
      },
    });
    this.#reader = new RouteTopicReader({
      client: this.#readClient,
      topic: this.topic,
      replicationFactor: o.replicationFactor ?? -1,
      log: this.#log,
      staleAfterMs: this.#staleAfterMs,
      ...(o.retryBackoffMs !== undefined ? { retryBackoffMs: o.retryBackoffMs } : {}),
      ...(o.retryBackoffMaxMs !== undefined ? { retryBackoffMaxMs: o.retryBackoffMaxMs } : {}),
      events: {
        restart: (from) => this.#restart(from),
        records: (records) => this.#records(records),
        caughtUp: () => this.#caughtUp(),
        trouble: (problem) => this.#trouble(problem),
        fatal: (e) => this.#fail(e),
      },
    });
  }

  /**
   * The store, reading its topic in the background: `unavailable` until it has read it whole.
   * An unreachable cluster is retried for ever; records this replica cannot decrypt make it fail
   * (`onFailure`).
   * @throws RouteValidationError or RouteConflictError for a bad static route (a config error).
   */
  static start(options: KafkaRouteStoreOptions): KafkaRouteStore {
    const store = new KafkaRouteStore(options);
    for (const [i, s] of (options.staticRoutes ?? []).entries()) store.addStatic(s, i);
    for (const e of store.routes.values()) store.#statics.set(e.route.id, e.route);
    store.setUnavailable(READING);
    store.#reader.start();
    store.#staleTimer = setInterval(() => store.#checkStale(), STALE_CHECK_MS);
    store.#staleTimer.unref();
    return store;
  }

  /** Resolves once the store is available (at once if it is), or rejects when it fails for good. */
  whenAvailable(): Promise<void> {
    if (this.#fatal !== undefined) return Promise.reject(this.#fatal);
    if (this.unavailable === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const offA = this.onAvailability((p) => {
        if (p !== undefined) return;
        offA();
        offF();
        resolve();
      });
      const offF = this.onFailure((e) => {
        offA();
        offF();
        reject(e);
      });
    });
  }

  /** The next offset of the route topic this replica will read. */
  get position(): bigint {
    return this.#reader.position;
  }

  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#staleTimer);
    await this.idle();
    await this.#producer.close({ timeoutMs: 5000 });
    this.#produceClient.close();
    this.#readClient.close();
    await this.#reader.close();
    for (const [seq, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new RouteStoreError('the route store closed before the write was read back'));
      this.#pending.delete(seq);
    }
  }

  override put(id: string, body: unknown): Promise<{ created: boolean; route: KafkaRoute }> {
    return this.enqueue(async () => {
      checkRouteId(id);
      this.writable(id);
      this.#usable();
      const prev = this.routes.get(id);
      let b = body;
      if (prev !== undefined && isObject(b) && b['create_time'] === undefined) b = { ...b, create_time: prev.route.value.create_time };
      const o = await this.#write(id, validateRoute(b, id, this.seconds()));
      return { created: !o.existed, route: o.entry!.route };
    });
  }

  /**
   * Creates a route with a generated id of 20 digits, APISIX 3's form: the milliseconds since
   * the epoch, then 7 random digits. APISIX counts etcd revisions; a shared counter would make two
   * replicas posting at once pick one id, the later write replacing the earlier route.
   */
  override post(body: unknown): Promise<KafkaRoute> {
    return this.enqueue(async () => {
      if (isObject(body) && body['id'] !== undefined) fail('id', 'not allowed in POST, which generates the id (use PUT /routes/{id})');
      this.#usable();
      let id: string;
      do {
        id = `${String(Date.now()).padStart(13, '0')}${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
      } while (this.routes.has(id) || this.#state.latest(id) !== undefined);
      return (await this.#write(id, validateRoute(body, id, this.seconds()))).entry!.route;
    });
  }

  override patch(id: string, body: unknown, subPath: readonly string[] = []): Promise<KafkaRoute> {
    return this.enqueue(async () => {
      this.writable(id);
      this.#usable();
      const prev = this.routes.get(id);
      if (prev === undefined) throw new RouteNotFoundError(id);
      const next = patchedRoute(prev.route.value, body, subPath, this.seconds());
      return (await this.#write(id, validateRoute(next, id, this.seconds()))).entry!.route;
    });
  }

  /**
   * Deletes route `id` with a tombstone; false when no route has that id. A record of that id
   * that another route shadows (route-log.ts) is deleted too, and answered false.
   */
  override delete(id: string): Promise<boolean> {
    return this.enqueue(async () => {
      this.writable(id);
      this.#usable();
      const visible = this.routes.has(id);
      if (!visible && this.#state.shadowedBy(id) === undefined) return false;
      await this.#send(id, null);
      return visible;
    });
  }

  /** Refuses writes while the routes are not current, or the store has failed. */
  #usable(): void {
    if (this.#fatal !== undefined) throw new RouteStoreError(`the route store has failed: ${this.#fatal.message}`);
    if (this.unavailable !== undefined) throw new RouteStoreError(`the route store is not ready (${this.unavailable}); try again`);
  }

  /** Produces `route` and reads it back; a uri another route held first: restored, RouteConflictError. */
  async #write(id: string, route: KafkaRoute): Promise<Outcome> {
    const clash = this.conflictOf(route);
    if (clash !== undefined) throw new RouteConflictError(clash);
    const before = this.#state.latest(id);
    const held = before !== undefined && this.#state.effective(id) === before && keepsClaim(before.route, route);
    const payload: RoutePayload = { value: route.value };
    if (before !== undefined) payload.created = before.createdIndex;
    if (held) payload.claim = before.rank;
    const o = await this.#send(id, encodeRouteValue(id, payload, this.#ring));
    if (o.shadowedBy !== undefined) {
      await this.#restore(id, o.offset, before);
      throw new RouteConflictError(o.shadowedBy);
    }
    if (o.entry === undefined) {
      // Read back, but not in effect: another replica deleted or replaced it in between, and
      // its later write won.
      throw new RouteStoreError(`route ${id} was written, but a later write from another replica replaced it before it took effect`);
    }
    return o;
  }

  /**
   * Puts route `id` back as it was before our shadowed record at `offset` (deleted when it did
   * not exist), unless another write of the id came since: then that one stands.
   */
  async #restore(id: string, offset: bigint, before: LogEntry | undefined): Promise<void> {
    if (this.#state.latest(id)?.offset !== offset) return;
    try {
      if (before === undefined) await this.#send(id, null);
      else await this.#send(id, encodeRouteValue(id, { value: before.route.value, created: before.createdIndex, claim: before.rank }, this.#ring));
    } catch (e) {
      this.#log('error', 'a shadowed route write could not be taken back; it stays in the topic, shadowed', { route: id, error: (e as Error).message });
    }
  }

  /** Produces a record of route `id` and resolves once this replica has read it back. */
  async #send(id: string, value: Buffer | null): Promise<Outcome> {
    const seq = ++this.#seq;
    const read = new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new RouteStoreError(`the write of route ${id} was not read back from the route topic within ${this.#readBackTimeoutMs / 1000} s; if it was written, it takes effect on every replica when they read it`));
      }, this.#readBackTimeoutMs);
      this.#pending.set(seq, { resolve, reject, timer });
    });
    let error: Error | undefined;
    try {
      const [result] = await this.#producer.send(this.topic, 0, [{
        key: id, value, headers: [{ key: WRITER_HEADER, value: this.writerId }, { key: SEQ_HEADER, value: String(seq) }],
      }]);
      error = result?.error;
    } catch (e) {
      error = e as Error;
    }
    // An error after which the record may be in the log leaves it to the read-back (or the timeout).
    if (error !== undefined && !(error instanceof ProduceError && error.maybeWritten)) {
      const p = this.#pending.get(seq);
      if (p !== undefined) clearTimeout(p.timer);
      this.#pending.delete(seq);
      throw new RouteStoreError(`cannot write route ${id} to the route topic: ${error.message}`, { cause: error });
    }
    return read;
  }

  #restart(from: bigint): void {
    this.#state.restart(from);
    this.setUnavailable(READING);
  }

  #records(records: TopicRecord[]): void {
    if (this.#fatal !== undefined) return;
    try {
      for (const { seq, outcome } of this.#state.records(records)) this.#settle(seq, outcome);
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #caughtUp(): void {
    if (!this.#state.reading || this.#fatal !== undefined) return;
    try {
      for (const { seq, outcome } of this.#state.caughtUp()) this.#settle(seq, outcome);
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    this.#log('info', 'route store ready', { topic: this.topic, routes: this.#state.effectiveCount, shadowed: this.#state.shadowedCount, position: String(this.#reader.position), keys: this.#state.keysInUse() });
    this.setUnavailable(undefined);
  }

  #trouble(problem: string | undefined): void {
    if (!this.#state.reading) return; // once ready, #checkStale decides
    this.setUnavailable(problem === undefined ? READING : `route store unreachable: ${problem}`);
  }

  #checkStale(): void {
    if (this.#state.reading || this.#fatal !== undefined) return;
    const silent = Date.now() - this.#reader.lastContact;
    if (silent > this.#staleAfterMs) this.setUnavailable(`route store unreachable for ${Math.round(silent / 1000)} s`);
  }

  #fail(e: Error): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = e;
    this.#log('error', 'route store failed', { topic: this.topic, code: (e as { code?: unknown }).code, error: e.message });
    this.setUnavailable(`route store failed: ${e.message}`);
    void this.#reader.close();
    for (const [seq, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new RouteStoreError(`the route store has failed: ${e.message}`));
      this.#pending.delete(seq);
    }
    this.failed(e);
  }

  #settle(seq: number, o: Outcome): void {
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    p.resolve(o);
  }

  /** Per key id, how many routes' last records it encrypts (shadowed ones included): what a key rotation waits on. */
  keysInUse(): Record<string, number> {
    return this.#state.keysInUse();
  }
}

function stored(e: LogEntry): StoredRoute {
  return { route: e.route, createdIndex: e.createdIndex, modifiedIndex: Number(e.offset) + 1, readOnly: false };
}
