/**
 * The routes of a worker process (docs/operations.md, "Workers"): a copy of the primary's store,
 * which alone validates, numbers and persists writes. A write here is sent to the primary and
 * resolves once the primary has committed it and every worker, this one included, has applied it,
 * so an admin reply means the change is live on the whole port. Changes arrive through
 * `applyRecord` in the primary's commit order; listeners see them as they see a store's own.
 */
import type { KafkaRoute, RouteValue } from './route.js';
import { validateRoute } from './schema.js';
import { RouteStore, type StoredRoute } from './store.js';

/** A committed route as it travels between processes: the stored value and its bookkeeping. */
export interface RouteRecord {
  id: string;
  createdIndex: number;
  modifiedIndex: number;
  readOnly: boolean;
  value: RouteValue;
}

/** Where a replica's writes go; each resolves with what was committed (store.ts's errors otherwise). */
export interface RouteWriter {
  put(id: string, body: unknown): Promise<{ created: boolean; record: RouteRecord }>;
  post(body: unknown): Promise<RouteRecord>;
  patch(id: string, body: unknown, subPath: readonly string[]): Promise<RouteRecord>;
  delete(id: string): Promise<boolean>;
}

export function recordOf(e: StoredRoute): RouteRecord {
  return { id: e.route.id, createdIndex: e.createdIndex, modifiedIndex: e.modifiedIndex, readOnly: e.readOnly, value: e.route.value };
}

export class RouteReplica extends RouteStore {
  readonly #writer: RouteWriter;

  private constructor(writer: RouteWriter) {
    super(undefined, Date.now, []);
    this.#writer = writer;
  }

  /**
   * A replica holding `records` (the primary's routes when this worker joined).
   * @throws RouteValidationError when a record does not validate here (a version skew).
   */
  static of(records: readonly RouteRecord[], writer: RouteWriter): RouteReplica {
    const r = new RouteReplica(writer);
    for (const rec of records) r.applyRecord(rec.id, rec);
    return r;
  }

  /**
   * Applies a change the primary committed: `record` undefined deletes. The same record twice is
   * applied once. Listeners are called as for a local commit (a deleted or changed route closes or
   * drains its connections in this process).
   * @throws RouteValidationError when the record does not validate here; the replica is unchanged.
   */
  applyRecord(id: string, record: RouteRecord | undefined): void {
    const prev = this.routes.get(id);
    if (record === undefined) {
      if (prev === undefined) return;
      this.routes.delete(id);
      this.changed({ id, before: prev.route });
      return;
    }
    if (prev?.modifiedIndex === record.modifiedIndex) return;
    // The value carries its id and timestamps, so validating it again gives the same route.
    const route = validateRoute(record.value, id);
    this.routes.set(id, { route, createdIndex: record.createdIndex, modifiedIndex: record.modifiedIndex, readOnly: record.readOnly });
    this.changed(prev === undefined ? { id, after: route } : { id, before: prev.route, after: route });
  }

  /** Whether the primary's routes are current (its Kafka route store may still be reading): `unavailable`. */
  setAvailability(problem: string | undefined): void {
    this.setUnavailable(problem);
  }

  override put(id: string, body: unknown): Promise<{ created: boolean; route: KafkaRoute }> {
    return this.enqueue(async () => {
      const { created, record } = await this.#writer.put(id, body);
      return { created, route: this.routeOf(record) };
    });
  }

  override post(body: unknown): Promise<KafkaRoute> {
    return this.enqueue(async () => this.routeOf(await this.#writer.post(body)));
  }

  override patch(id: string, body: unknown, subPath: readonly string[] = []): Promise<KafkaRoute> {
    return this.enqueue(async () => this.routeOf(await this.#writer.patch(id, body, subPath)));
  }

  override delete(id: string): Promise<boolean> {
    return this.enqueue(() => this.#writer.delete(id));
  }

  /**
   * The route of a committed record. Usually the replica holds it already (the change arrives
   * before the reply); a later change of the same route may have replaced it since, and the reply
   * still describes this write.
   */
  private routeOf(record: RouteRecord): KafkaRoute {
    const e = this.routes.get(record.id);
    return e?.modifiedIndex === record.modifiedIndex ? e.route : validateRoute(record.value, record.id);
  }
}
