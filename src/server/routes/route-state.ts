/**
 * What a replica knows of the route topic, without any I/O: records go in (in offset order, as
 * route-topic.ts reads them), changes of the routes in effect and the outcomes of this replica's
 * own writes come out. Kept apart from the store so the rules can be tested record by record.
 *
 * - Each record is applied once: one at or below an offset already applied is ignored.
 * - While a read from the topic's start runs, only the last record of each id is kept, and
 *   decrypted when the read is complete: a record that a later one replaced is never needed, so
 *   a key may leave the ring once no route's last record uses it.
 * - A record that holds no usable route (not ours, or one this version does not validate) counts
 *   as a delete of its id, on every replica of this version alike.
 * - A record that does not authenticate under its key: with a key that has decrypted other
 *   records, it was altered (or forged by a writer without the key) and counts as unusable; with a
 *   key that has decrypted nothing, the key is the wrong one and the replica must stop
 *   (RouteKeyError). A read from the start decides after decrypting every last record, so the
 *   order records come in does not matter.
 */
import { decodeRouteValue, NotARouteRecord, type RoutePayload } from './kafka-record.js';
import type { KeyRing } from './key-ring.js';
import type { KafkaRoute } from './route.js';
import { resolveRoutes, type LogEntry } from './route-log.js';
import type { StoreLog, TopicRecord } from './route-topic.js';
import { ROUTE_ID, validateRoute } from './schema.js';
import { RouteKeyError, RouteRecordError } from '../errors.js';
import { isPrototypeKey } from '../json-input.js';

/** What reading back one of this replica's own records found. */
export interface Outcome {
  offset: bigint;
  /** The route in effect for the id right after it (undefined: deleted, shadowed or unusable). */
  entry: LogEntry | undefined;
  /** The id whose hold on the uri shadows this record. */
  shadowedBy: string | undefined;
  /** Whether a route with this id was in effect just before it. */
  existed: boolean;
}

export interface StateOptions {
  ring: KeyRing;
  /** The configuration file's routes: they win every clash, and no record may take their ids. */
  statics: ReadonlyMap<string, KafkaRoute>;
  /** This replica's writer id: outcomes are reported for records carrying it. */
  writerId: string;
  /**
   * Routes in effect changed, each from `before` to `after` (undefined: none); `initial` for the
   * first read of the topic.
   */
  changed(changes: ReadonlyArray<{ id: string; before: LogEntry | undefined; after: LogEntry | undefined }>, initial: boolean): void;
  log: StoreLog;
}

export class RouteTopicState {
  readonly #o: StateOptions;
  /** The last record of each id that holds a usable route. */
  #latest = new Map<string, LogEntry>();
  #effective = new Map<string, LogEntry>();
  #shadowed = new Map<string, string>();
  /** While a read from the start runs: the last record of each id, decoded once it is done. */
  #reading: Map<string, TopicRecord> | undefined = new Map();
  #readingOwn: TopicRecord[] = [];
  #next = -1n;
  /** No read from the start has completed yet. */
  #first = true;
  /** Key ids that have decrypted a record: they are the right keys. */
  readonly #proven = new Set<string>();

  constructor(options: StateOptions) {
    this.#o = options;
  }

  /** Whether a read from the topic's start is running (the routes in effect are not current). */
  get reading(): boolean {
    return this.#reading !== undefined;
  }

  /** The last record of `id` with a usable route, in effect or shadowed. */
  latest(id: string): LogEntry | undefined {
    return this.#latest.get(id);
  }

  effective(id: string): LogEntry | undefined {
    return this.#effective.get(id);
  }

  get effectiveCount(): number {
    return this.#effective.size;
  }

  /** The id holding the uri of `id`'s shadowed last record, if it is shadowed. */
  shadowedBy(id: string): string | undefined {
    return this.#shadowed.get(id);
  }

  get shadowedCount(): number {
    return this.#shadowed.size;
  }

  /** Per key id, how many routes' last records it encrypts (shadowed ones included). */
  keysInUse(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#latest.values()) out[e.kid] = (out[e.kid] ?? 0) + 1;
    return out;
  }

  /** A read from the topic's start begins: records from `from` on come again. */
  restart(from: bigint): void {
    this.#reading = new Map();
    this.#readingOwn = [];
    this.#next = from;
  }

  /**
   * Applies records in offset order; the outcomes of this replica's own, by their kwp-seq.
   * @throws RouteKeyError when one cannot be decrypted here (nothing of it is applied)
   */
  records(records: readonly TopicRecord[]): Array<{ seq: number; outcome: Outcome }> {
    const outcomes: Array<{ seq: number; outcome: Outcome }> = [];
    for (const r of records) {
      if (r.offset < this.#next) continue;
      this.#next = r.offset + 1n;
      const id = this.#idOf(r);
      if (this.#reading !== undefined) {
        if (id !== undefined) this.#reading.set(id, r);
        if (r.writer === this.#o.writerId) this.#readingOwn.push(r);
        continue;
      }
      if (id === undefined) continue;
      const entry = r.value === null ? undefined : this.#decode(id, r);
      const existed = this.#effective.has(id);
      if (entry === undefined) this.#latest.delete(id);
      else this.#latest.set(id, entry);
      this.#resolve();
      if (r.writer === this.#o.writerId && r.seq !== undefined) {
        const now = this.#effective.get(id);
        outcomes.push({ seq: r.seq, outcome: { offset: r.offset, entry: entry !== undefined && now === entry ? entry : undefined, shadowedBy: this.#shadowed.get(id), existed } });
      }
    }
    return outcomes;
  }

  /**
   * The read from the start is complete: decodes the last records and resolves the routes in
   * effect, telling `changed` what differs from before the read. Returns the outcomes of own
   * records read during it.
   * @throws RouteKeyError when a last record cannot be decrypted here (nothing is applied)
   */
  caughtUp(): Array<{ seq: number; outcome: Outcome }> {
    const reading = this.#reading;
    if (reading === undefined) return [];
    const latest = new Map<string, LogEntry>();
    const undecided: Array<{ id: string; r: TopicRecord; error: RouteKeyError }> = [];
    for (const [id, r] of reading) {
      const entry = r.value === null ? undefined : this.#decode(id, r, undecided);
      if (entry !== undefined) latest.set(id, entry);
    }
    for (const u of undecided) {
      if (!this.#proven.has(u.error.kid ?? '')) throw u.error;
      this.#unusable(u.id, u.r, u.error);
    }
    this.#reading = undefined;
    this.#latest = latest;
    this.#resolve(this.#first);
    this.#first = false;
    const outcomes: Array<{ seq: number; outcome: Outcome }> = [];
    for (const r of this.#readingOwn) {
      if (r.seq === undefined) continue;
      const id = r.key?.toString('utf8') ?? '';
      const last = this.#latest.get(id);
      const mine = last?.offset === r.offset;
      // Whether it replaced a route is history that the read from the start did not keep.
      outcomes.push({ seq: r.seq, outcome: { offset: r.offset, entry: mine && this.#effective.get(id) === last ? last : undefined, shadowedBy: mine ? this.#shadowed.get(id) : undefined, existed: false } });
    }
    this.#readingOwn = [];
    return outcomes;
  }

  /** The route id a record is for; undefined (logged) for a key that is not one. */
  #idOf(r: TopicRecord): string | undefined {
    const id = r.key?.toString('utf8');
    if (id !== undefined && ROUTE_ID.test(id) && !isPrototypeKey(id)) return id;
    const err = new RouteRecordError(r.offset, 'its key is not a route id');
    this.#o.log('warn', 'route topic record ignored', { code: err.code, error: err.message });
    return undefined;
  }

  /**
   * The route of a record, or undefined (logged) when it holds none this version can use. A
   * record that does not authenticate under a key not yet proven goes to `undecided` when given.
   * @throws RouteKeyError when this replica cannot decrypt it (see the file's comment)
   */
  #decode(id: string, r: TopicRecord, undecided?: Array<{ id: string; r: TopicRecord; error: RouteKeyError }>): LogEntry | undefined {
    let payload: RoutePayload & { kid: string };
    let route: KafkaRoute;
    try {
      payload = decodeRouteValue(id, r.value!, this.#o.ring);
    } catch (e) {
      if (!(e instanceof RouteKeyError)) return this.#unusable(id, r, e as Error);
      if (e.reason === 'bad_key' && this.#proven.has(e.kid ?? '')) return this.#unusable(id, r, e);
      if (e.reason === 'bad_key' && undecided !== undefined) {
        undecided.push({ id, r, error: e });
        return undefined;
      }
      throw e;
    }
    this.#proven.add(payload.kid);
    try {
      route = validateRoute(payload.value, id);
    } catch (e) {
      return this.#unusable(id, r, e as Error);
    }
    const claim = payload.claim;
    return { offset: r.offset, rank: claim !== undefined && claim < r.offset ? claim : r.offset, createdIndex: payload.created ?? Number(r.offset) + 1, route, kid: payload.kid };
  }

  #unusable(id: string, r: TopicRecord, e: Error): undefined {
    const why = e instanceof NotARouteRecord ? e.message
      : e instanceof RouteKeyError ? `it does not authenticate under key ${e.kid}, which decrypts other records: it was altered, or written without the key`
        : `its route does not validate here (${e.message})`;
    const err = new RouteRecordError(r.offset, why);
    this.#o.log('error', 'route topic record unusable: the route is absent on every replica of this version', { route: id, code: err.code, error: err.message });
    return undefined;
  }

  /** Recomputes the routes in effect and reports what changed. */
  #resolve(initial = false): void {
    const { effective, shadowed } = resolveRoutes(this.#latest, this.#o.statics);
    const before = this.#effective;
    this.#effective = effective;
    for (const [id, holder] of shadowed) {
      if (this.#shadowed.get(id) !== holder) this.#o.log('warn', 'route shadowed: another route holds its uri', { route: id, heldBy: holder, offset: String(this.#latest.get(id)?.offset) });
    }
    this.#shadowed = shadowed;
    const changes: Array<{ id: string; before: LogEntry | undefined; after: LogEntry | undefined }> = [];
    for (const id of new Set([...before.keys(), ...effective.keys()])) {
      const a = before.get(id);
      const b = effective.get(id);
      if (a !== b) changes.push({ id, before: a, after: b });
    }
    if (changes.length > 0) this.#o.changed(changes, initial);
  }
}
