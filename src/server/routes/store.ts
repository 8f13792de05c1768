/**
 * The route store: validated routes in memory, one JSON file per route on disk (optional), and
 * static read-only routes from the configuration file. Every write runs through one queue, so
 * concurrent admin requests never lose each other's changes and a PATCH applies to the latest
 * state. Reads (get, list, match) are synchronous and see the last committed state.
 */
import { join } from 'node:path';
import { fail, isObject, type JsonObject } from './check.js';
import { ensureDir, readRouteFiles, removeFile, routeFileName, writeAtomic } from './files.js';
import { mergePatch, patchAtPath } from './merge-patch.js';
import type { KafkaRoute } from './route.js';
import { checkRouteId, ROUTE_ID, validateRoute } from './schema.js';
import { ensurePrivateDir, isDataDirEntry, ROUTES_DIR } from '../data-dir.js';
import { MAX_JSON_DEPTH, parseJsonInput } from '../json-input.js';
import { DataDirError, JsonInputError, RouteConflictError, RouteFileError, RouteNotFoundError, RouteReadOnlyError, RouteStoreError, RouteValidationError } from '../errors.js';

export interface RouteChange {
  id: string;
  before?: KafkaRoute;
  after?: KafkaRoute;
  /**
   * Part of a store's first load of its routes (a Kafka route store reading its topic at start),
   * not a change anyone made: listeners may log it more quietly.
   */
  initial?: true;
}

/** A route with the bookkeeping the admin API shows (etcd's revisions in APISIX). */
export interface StoredRoute {
  route: KafkaRoute;
  createdIndex: number;
  modifiedIndex: number;
  /** Defined in the configuration file: listed and readable, never written. */
  readOnly: boolean;
}

export interface RouteStoreOptions {
  /** Directory for route files (`<dataDir>/routes/`); without it routes live in memory only. */
  dataDir?: string;
  /** Routes from the configuration file, each with its `id`. */
  staticRoutes?: Array<{ id: string } & Record<string, unknown>>;
  /** Clock in milliseconds (default Date.now); timestamps are its Unix seconds. */
  now?: () => number;
}

type Listener = (change: RouteChange) => void;
type AvailabilityListener = (problem: string | undefined) => void;
type FailureListener = (error: Error) => void;

export class RouteStore {
  /**
   * Found on open: route files that could not be loaded (each skipped and left on disk
   * untouched), and a data directory that is open to others but not ours to make private.
   */
  readonly warnings: ReadonlyArray<RouteFileError | DataDirError>;
  protected readonly routes = new Map<string, StoredRoute>();
  private readonly listeners = new Set<Listener>();
  private readonly availabilityListeners = new Set<AvailabilityListener>();
  private readonly failureListeners = new Set<FailureListener>();
  private problem: string | undefined;
  private readonly dir: string | undefined;
  private readonly now: () => number;
  private revision = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private exact = new Map<string, KafkaRoute>();
  private prefixes: KafkaRoute[] = [];

  protected constructor(dir: string | undefined, now: () => number, warnings: Array<RouteFileError | DataDirError>) {
    this.dir = dir;
    this.now = now;
    this.warnings = warnings;
  }

  /**
   * Loads static routes, then the route files of `dataDir` (creating it and `routes/` in it, mode
   * 0700; data-dir.ts). Stray temp files are deleted; unusable route files become `warnings`.
   * @throws RouteValidationError or RouteConflictError for a bad static route (a config error),
   *   RouteStoreError when the directory cannot be read.
   */
  static async open(options: RouteStoreOptions = {}): Promise<RouteStore> {
    const warnings: Array<RouteFileError | DataDirError> = [];
    const dir = options.dataDir === undefined ? undefined : join(options.dataDir, ROUTES_DIR);
    const store = new RouteStore(dir, options.now ?? Date.now, warnings);
    if (options.dataDir !== undefined) await privateDataDir(options.dataDir, warnings);
    const files = dir === undefined ? [] : await store.loadFiles(dir, warnings);
    for (const f of files) store.revision = Math.max(store.revision, f.modifiedIndex, f.createdIndex);
    for (const [i, s] of (options.staticRoutes ?? []).entries()) store.addStatic(s, i);
    // Older routes first, so when two files claim one uri the older keeps it.
    files.sort((a, b) => a.createdIndex - b.createdIndex || (a.id < b.id ? -1 : 1));
    for (const f of files) {
      const other = store.routes.get(f.route.id);
      if (other !== undefined) {
        warnings.push(new RouteFileError(f.name, `route ${f.route.id} is also a static route in the configuration file; the file is ignored`));
        continue;
      }
      const clash = store.conflictOf(f.route);
      if (clash !== undefined) {
        warnings.push(new RouteFileError(f.name, `its uri is already used by route ${clash}; the file is ignored`));
        continue;
      }
      store.routes.set(f.route.id, { route: f.route, createdIndex: f.createdIndex, modifiedIndex: f.modifiedIndex, readOnly: false });
    }
    store.reindex();
    return store;
  }

  get(id: string): KafkaRoute | undefined {
    return this.routes.get(id)?.route;
  }

  entry(id: string): StoredRoute | undefined {
    return this.routes.get(id);
  }

  /** Every route, static ones included, in id order (etcd's key order, as APISIX lists them). */
  list(): KafkaRoute[] {
    return this.entries().map((e) => e.route);
  }

  /** How many routes there are, static ones included (without sorting them, as list() does). */
  get size(): number {
    return this.routes.size;
  }

  entries(): StoredRoute[] {
    return [...this.routes.values()].sort((a, b) => (a.route.id < b.route.id ? -1 : a.route.id > b.route.id ? 1 : 0));
  }

  /** The enabled route for a request path: an exact `uri` first, else the longest prefix route. */
  match(path: string): KafkaRoute | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    for (const r of this.prefixes) if (path.startsWith(r.uri)) return r;
    return undefined;
  }

  /** Calls `fn` after each committed change, synchronously and in commit order. Returns an unsubscribe function. */
  subscribe(fn: Listener): () => void {
    const own: Listener = (c) => fn(c);
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  /**
   * Why the routes held here may not be the current ones (a Kafka route store still reading its
   * topic, or out of reach of it), or undefined when they are. The file store's always are. While
   * it is set the proxy answers /readyz, WebSocket upgrades and the admin API with 503.
   */
  get unavailable(): string | undefined {
    return this.problem;
  }

  /** Calls `fn` whenever `unavailable` changes. Returns an unsubscribe function. */
  onAvailability(fn: AvailabilityListener): () => void {
    const own: AvailabilityListener = (p) => fn(p);
    this.availabilityListeners.add(own);
    return () => void this.availabilityListeners.delete(own);
  }

  /**
   * Calls `fn` if the store fails for good (a Kafka route store whose records this replica cannot
   * decrypt): it then holds no current routes and never will. The file store never does.
   */
  onFailure(fn: FailureListener): () => void {
    this.failureListeners.add(fn);
    return () => void this.failureListeners.delete(fn);
  }

  /** Stops what the store runs in the background (a Kafka route store's reader and producer). */
  async close(): Promise<void> {
    await this.idle();
  }

  /** Resolves when every write queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  /**
   * Creates or replaces route `id`. A replace keeps `create_time` (unless the body sets one);
   * `update_time` is now unless the body sets it (APISIX's inject_timestamp).
   * @throws RouteValidationError, RouteReadOnlyError, RouteConflictError, RouteStoreError.
   */
  put(id: string, body: unknown): Promise<{ created: boolean; route: KafkaRoute }> {
    return this.enqueue(async () => {
      checkRouteId(id);
      this.writable(id);
      const prev = this.routes.get(id);
      let b = body;
      if (prev !== undefined && isObject(b) && b['create_time'] === undefined) b = { ...b, create_time: prev.route.value.create_time };
      const route = await this.commit(id, b, prev);
      return { created: prev === undefined, route };
    });
  }

  /**
   * Creates a route with a generated id: the next revision as 20 zero-padded digits, the form
   * APISIX 3 gives (core/etcd.lua push).
   * @throws RouteValidationError (also when the body has an `id`), RouteConflictError, RouteStoreError.
   */
  post(body: unknown): Promise<KafkaRoute> {
    return this.enqueue(async () => {
      if (isObject(body) && body['id'] !== undefined) fail('id', 'not allowed in POST, which generates the id (use PUT /routes/{id})');
      let n = this.revision + 1;
      while (this.routes.has(String(n).padStart(20, '0'))) n++;
      return this.commit(String(n).padStart(20, '0'), body, undefined);
    });
  }

  /**
   * Applies a JSON merge patch to route `id`, or with `subPath` replaces the value at that path
   * (APISIX's PATCH /routes/{id}/{path}). The result is validated as a whole.
   * @throws RouteNotFoundError, RouteValidationError, RouteReadOnlyError, RouteConflictError, RouteStoreError.
   */
  patch(id: string, body: unknown, subPath: readonly string[] = []): Promise<KafkaRoute> {
    return this.enqueue(async () => {
      this.writable(id);
      const prev = this.routes.get(id);
      if (prev === undefined) throw new RouteNotFoundError(id);
      const next = patchedRoute(prev.route.value, body, subPath, this.seconds());
      return this.commit(id, next, prev);
    });
  }

  /**
   * Deletes route `id`; false when there is none.
   * @throws RouteReadOnlyError, RouteStoreError.
   */
  delete(id: string): Promise<boolean> {
    return this.enqueue(async () => {
      this.writable(id);
      const prev = this.routes.get(id);
      if (prev === undefined) return false;
      if (this.dir !== undefined) {
        try {
          await removeFile(this.dir, routeFileName(id));
        } catch (err) {
          throw new RouteStoreError(`cannot delete route ${id}: ${(err as Error).message}`, { cause: err });
        }
      }
      this.routes.delete(id);
      this.revision++;
      this.changed({ id, before: prev.route });
      return true;
    });
  }

  protected enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  protected seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  protected setUnavailable(problem: string | undefined): void {
    if (problem === this.problem) return;
    this.problem = problem;
    for (const fn of this.availabilityListeners) {
      try {
        fn(problem);
      } catch (err) {
        process.emitWarning(err instanceof Error ? err : String(err), { code: 'SERVER_ROUTE_LISTENER' });
      }
    }
  }

  protected failed(error: Error): void {
    for (const fn of this.failureListeners) fn(error);
  }

  protected writable(id: string): void {
    if (this.routes.get(id)?.readOnly === true) throw new RouteReadOnlyError(id);
  }

  /** Validates, persists, then publishes; on any failure nothing changes. */
  private async commit(id: string, body: unknown, prev: StoredRoute | undefined): Promise<KafkaRoute> {
    const route = validateRoute(body, id, this.seconds());
    const clash = this.conflictOf(route);
    if (clash !== undefined) throw new RouteConflictError(clash);
    const revision = this.revision + 1;
    const stored: StoredRoute = { route, createdIndex: prev?.createdIndex ?? revision, modifiedIndex: revision, readOnly: false };
    if (this.dir !== undefined) {
      const text = `${JSON.stringify({ createdIndex: stored.createdIndex, modifiedIndex: stored.modifiedIndex, value: route.value }, null, 2)}\n`;
      try {
        await writeAtomic(this.dir, routeFileName(id), text);
      } catch (err) {
        throw new RouteStoreError(`cannot write route ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.revision = revision;
    this.routes.set(id, stored);
    this.changed(prev === undefined ? { id, after: route } : { id, before: prev.route, after: route });
    return route;
  }

  protected changed(change: RouteChange): void {
    this.changedAll([change]);
  }

  /** Several changes already made to `routes`: one reindex, then each change to every listener in order. */
  protected changedAll(changes: readonly RouteChange[]): void {
    this.reindex();
    for (const change of changes) this.tell(change);
  }

  private tell(change: RouteChange): void {
    for (const fn of this.listeners) {
      try {
        fn(change);
      } catch (err) {
        // The change is committed; a failing listener must not undo it or starve the others.
        process.emitWarning(err instanceof Error ? err : String(err), { code: 'SERVER_ROUTE_LISTENER' });
      }
    }
  }

  /**
   * APISIX accepts two routes with one uri and picks by priority; we refuse the second enabled
   * one so which route serves a path is never a guess.
   */
  protected conflictOf(route: KafkaRoute): string | undefined {
    if (!route.enabled) return undefined;
    for (const e of this.routes.values()) {
      const r = e.route;
      if (r.id !== route.id && r.enabled && r.uri === route.uri && r.prefix === route.prefix) return r.id;
    }
    return undefined;
  }

  private reindex(): void {
    const exact = new Map<string, KafkaRoute>();
    const prefixes: KafkaRoute[] = [];
    for (const { route } of this.routes.values()) {
      if (!route.enabled) continue;
      if (route.prefix) prefixes.push(route);
      else exact.set(route.uri, route);
    }
    prefixes.sort((a, b) => b.uri.length - a.uri.length);
    this.exact = exact;
    this.prefixes = prefixes;
  }

  /** `index`: the route's place in the list, naming it in messages while its id is not known to be valid. */
  protected addStatic(s: { id: string } & Record<string, unknown>, index: number): void {
    const id = String(s.id);
    let route: KafkaRoute;
    try {
      if (this.routes.has(id)) fail('id', 'is defined twice');
      route = validateRoute(s, id, this.seconds());
    } catch (err) {
      if (err instanceof RouteValidationError) err.message = `static route ${ROUTE_ID.test(id) ? id : `#${index + 1}`}: ${err.message}`;
      throw err;
    }
    const clash = this.conflictOf(route);
    if (clash !== undefined) throw new RouteConflictError(clash);
    const revision = ++this.revision;
    this.routes.set(id, { route, createdIndex: revision, modifiedIndex: revision, readOnly: true });
  }

  private async loadFiles(dir: string, warnings: Array<RouteFileError | DataDirError>): Promise<Array<{ name: string; id: string; route: KafkaRoute; createdIndex: number; modifiedIndex: number }>> {
    let found: Awaited<ReturnType<typeof readRouteFiles>>;
    try {
      await ensureDir(dir);
      found = await readRouteFiles(dir);
    } catch (err) {
      throw new RouteStoreError(`cannot read routes from ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const out = [];
    for (const f of found.routes) {
      const where = join(dir, f.name);
      if (f.id === undefined) {
        warnings.push(new RouteFileError(where, 'the file name is not a route id'));
        continue;
      }
      let doc: unknown;
      try {
        doc = parseJsonInput(f.text, MAX_JSON_DEPTH + 1); // the route is under "value"
      } catch (err) {
        // No cause: the file holds secrets, and a parser's message may quote it.
        warnings.push(new RouteFileError(where, err instanceof JsonInputError ? err.message : 'cannot be parsed as JSON'));
        continue;
      }
      const createdIndex = isObject(doc) ? doc['createdIndex'] : undefined;
      const modifiedIndex = isObject(doc) ? doc['modifiedIndex'] : undefined;
      if (!isObject(doc) || !isIndex(createdIndex) || !isIndex(modifiedIndex) || !isObject(doc['value'])) {
        warnings.push(new RouteFileError(where, 'expected {"createdIndex", "modifiedIndex", "value"}'));
        continue;
      }
      if (doc['value']['id'] !== f.id) {
        warnings.push(new RouteFileError(where, `holds another route's id, not ${f.id}`));
        continue;
      }
      try {
        out.push({ name: where, id: f.id, route: validateRoute(doc['value'], f.id, this.seconds()), createdIndex, modifiedIndex });
      } catch (err) {
        warnings.push(new RouteFileError(where, (err as Error).message, { cause: err }));
      }
    }
    return out;
  }
}

async function privateDataDir(dataDir: string, warnings: Array<RouteFileError | DataDirError>): Promise<void> {
  let problem: string | undefined;
  try {
    problem = await ensurePrivateDir(dataDir, isDataDirEntry);
  } catch (err) {
    throw new RouteStoreError(`cannot create or read the data directory ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  if (problem !== undefined) warnings.push(new DataDirError(dataDir, problem));
}

/**
 * What a PATCH makes of a route's stored value: a JSON merge patch of the whole route, or with
 * `subPath` the value at that path replaced; update_time set unless the patch sets it. Shared by
 * every store, so the admin API behaves the same whichever is configured.
 */
export function patchedRoute(prev: JsonObject, body: unknown, subPath: readonly string[], nowSeconds: number): JsonObject {
  if (subPath.length === 0) {
    if (!isObject(body)) fail('', 'a PATCH body must be a JSON object (or PATCH /routes/{id}/{path} to set one field)');
    const next = mergePatch(prev, body) as JsonObject;
    if (body['update_time'] === undefined) next['update_time'] = nowSeconds;
    return next;
  }
  const patched = patchAtPath(prev, subPath, body);
  if (typeof patched === 'string') fail('', patched);
  if (subPath.length !== 1 || subPath[0] !== 'update_time') patched['update_time'] = nowSeconds;
  return patched;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}
