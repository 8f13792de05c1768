/**
 * `start --workers N` (N > 1): this process becomes the primary of N worker processes that serve
 * one port (docs/operations.md, "Workers"). node:cluster with its default round-robin scheduling
 * on Linux: the primary accepts each connection and hands it to the next worker. The alternative,
 * each worker accepting on the shared socket (SCHED_NONE), leaves the choice to the kernel's
 * wake-ups, which Node's documentation reports piling most connections onto a few processes; for
 * long-lived WebSockets an even spread matters more than the accept the primary adds to each.
 * (SO_REUSEPORT, the kernel spreading connections over one listening socket per worker, is not
 * open to Node 20's net servers: their `reusePort` option came in Node 22.12.)
 *
 * The primary serves no client. It owns the route store (the only writer of the data
 * directory), commits the admin writes the workers forward, and sends each committed change to
 * every worker, replying to the writer once all have applied it. It sums the workers' metrics for
 * /metrics, restarts a worker that dies (restart-policy.ts), and on SIGTERM or SIGINT stops them
 * all gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../config/index.js';
import { DataDirError, WorkerError } from '../errors.js';
import type { Logger } from '../log.js';
import { type Counter, type Gauge, mergeSnapshots, registerProcessMetrics, Registry, renderSnapshots } from '../metrics/index.js';
import { recordOf, type RouteRecord } from '../routes/replica.js';
import type { KafkaRoute } from '../routes/route.js';
import type { RouteStore } from '../routes/store.js';
import { openRouteStore } from '../open-route-store.js';
import { readyFields } from '../commands/proxy-config.js';
import { reportStoreFailure, STORE_FAILED_EXIT_CODE, whenRoutesCurrent } from '../commands/route-store-status.js';
import { exitOnSignals } from '../commands/shutdown.js';
import type { GroupStatus, RouteCall, WorkerConfig, WorkerInit, WorkerListening, WorkerSnapshot, WriteCall } from './messages.js';
import { Peer, PeerGoneError } from './peer.js';
import { RestartPolicy } from './restart-policy.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.js', import.meta.url));
/** A worker that has not applied a route change by then is logged; the write is answered anyway. */
const APPLY_TIMEOUT_MS = 5000;
const SCRAPE_TIMEOUT_MS = 2000;
const STATUS_TIMEOUT_MS = 1000;
/** Workers close their sockets within 3 s (proxy.close); past this the primary kills what is left. */
const STOP_DEADLINE_MS = 10_000;

interface Slot {
  /** 1..N, kept by the worker that replaces one that died. */
  n: number;
  worker: Worker | undefined;
  peer: Peer | undefined;
  pid: number | undefined;
  /** Sent its routes: receives every change from then on. */
  member: boolean;
  /** Listening. */
  ready: boolean;
  restarts: RestartPolicy;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Loads the routes, forks `config.workers` workers and prints the ready line once all listen.
 * Resolves undefined (the process keeps running until a signal).
 * @throws WorkerError when a worker exits before it listens (its own error is on stderr).
 */
export async function runPrimary(config: ServerConfig, logger: Logger): Promise<undefined> {
  const store = await openRouteStore({
    dataDir: config.dataDir, staticRoutes: [...config.routes], routeStore: config.routeStore, routeStoreKeys: config.routeStoreKeys, logger,
  });
  for (const w of store.warnings) {
    if (w instanceof DataDirError) logger.warn('data directory is not private', { dir: w.dir, error: w.message });
    else logger.warn('route file skipped', { file: w.file, error: w.message });
  }
  // Registered at once: the store may fail (a key this replica lacks) while the workers start.
  let storeFailed: Error | undefined;
  let stop: ((reason: string) => void) | undefined;
  store.onFailure((e) => {
    if (storeFailed !== undefined) return;
    storeFailed = e;
    reportStoreFailure(e);
    stop?.('the route store failed');
  });
  const group = new WorkerGroup(config, logger, store);
  let first: WorkerListening;
  try {
    first = await group.start();
  } catch (e) {
    await group.stop().catch(() => undefined);
    throw e;
  }
  let gaveUp = false;
  const stopGroup = exitOnSignals({
    logger,
    stop: () => group.stop(),
    stopping: () => ({ workers: group.serving }),
    abort: () => group.kill(),
    exitCode: () => (storeFailed !== undefined ? STORE_FAILED_EXIT_CODE : gaveUp ? 1 : 0),
  });
  stop = stopGroup;
  group.onGiveUp = (reason) => {
    gaveUp = true;
    process.stderr.write(`error ${new WorkerError(reason).code}: ${reason}\n`);
    stopGroup(reason);
  };
  if (storeFailed !== undefined) {
    stopGroup('the route store failed');
    return undefined;
  }
  whenRoutesCurrent(store, logger, first.url, () => logger.info('ready', { ...readyFields(config, first, store.size), workers: config.workers }));
  return undefined;
}

class WorkerGroup {
  /** Called when a worker restarts too often; the group is then stopped with exit code 1. */
  onGiveUp: (reason: string) => void = () => undefined;
  private readonly logger: Logger;
  private readonly store: RouteStore;
  private readonly slots: Slot[];
  private readonly workerConfig: WorkerConfig;
  /** The record of each committed route version, for the reply to the write that made it. */
  private readonly records = new WeakMap<KafkaRoute, RouteRecord>();
  /** Resolves when every change committed so far is applied by every worker (or timed out). */
  private applied: Promise<void> = Promise.resolve();
  private readonly registry = new Registry();
  private readonly restartsTotal: Counter;
  private readonly reporting: Gauge;
  private readonly workerConnections: Gauge<readonly ['worker']>;
  private started = false;
  private stopping = false;
  private onListening: (l: WorkerListening) => void = () => undefined;
  private startFailed: ((e: Error) => void) | undefined;
  private allExited: (() => void) | undefined;
  private failedStops = 0;

  constructor(config: ServerConfig, logger: Logger, store: RouteStore) {
    this.logger = logger;
    this.store = store;
    const { routes: _r, workers: _w, configFile: _f, routeStore: _s, routeStoreKeys: _k, ...workerConfig } = config;
    this.workerConfig = workerConfig;
    this.slots = Array.from({ length: config.workers }, (_, i) => ({
      n: i + 1, worker: undefined, peer: undefined, pid: undefined, member: false, ready: false, restarts: new RestartPolicy(), restartTimer: undefined,
    }));
    store.subscribe(({ id, after, initial }) => this.publish(id, after, initial === true));
    // Sent after the route changes that made the routes current: the channel keeps the order.
    store.onAvailability((problem) => {
      for (const s of this.slots) if (s.member) s.peer?.call('availability', problem, APPLY_TIMEOUT_MS).catch(() => undefined);
    });
    this.registry.gauge({ name: 'kwp_workers', help: 'Worker processes serving the port now.', collect: (g) => g.labels().set(this.serving) });
    this.restartsTotal = this.registry.counter({ name: 'kwp_worker_restarts_total', help: 'Worker processes restarted after exiting unasked.' });
    this.reporting = this.registry.gauge({ name: 'kwp_workers_reporting', help: 'Worker processes whose metrics this scrape includes.' });
    this.workerConnections = this.registry.gauge({ name: 'kwp_worker_connections', help: 'WebSocket connections open now, per worker process.', labelNames: ['worker'] });
    // Summed with the workers' own: the memory of the whole group.
    registerProcessMetrics(this.registry);
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], serialization: 'advanced' });
  }

  get serving(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  /** Forks every worker; resolves with the first one's addresses once all listen. */
  start(): Promise<WorkerListening> {
    return new Promise((resolve, reject) => {
      let first: WorkerListening | undefined;
      this.startFailed = reject;
      this.onListening = (l) => {
        first ??= l;
        if (this.serving < this.slots.length) return;
        this.started = true;
        this.startFailed = undefined;
        resolve(first);
      };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** Asks every worker to stop (each closes its sockets with 1001) and waits for all to exit. */
  stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) clearTimeout(s.restartTimer);
    const live = this.slots.filter((s) => s.worker !== undefined);
    if (live.length === 0) return this.store.close();
    const exited = new Promise<void>((resolve) => {
      this.allExited = resolve;
    });
    for (const s of live) {
      s.peer!.call('shutdown', undefined).catch(() => s.worker?.process.kill('SIGTERM'));
    }
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        const left = this.slots.filter((s) => s.worker !== undefined).map((s) => s.n);
        this.kill();
        reject(new WorkerError(`workers ${left.join(', ')} had not stopped after ${STOP_DEADLINE_MS} ms and were killed`));
      }, STOP_DEADLINE_MS);
    });
    return Promise.race([exited, late]).then(async () => {
      clearTimeout(deadline);
      await this.store.close();
      if (this.failedStops > 0) throw new WorkerError(`${this.failedStops} worker(s) exited with an error while stopping`);
    }, (e: unknown) => {
      clearTimeout(deadline);
      throw e;
    });
  }

  /** SIGKILL to every worker (a second signal: exit at once). */
  kill(): void {
    for (const s of this.slots) s.worker?.process.kill('SIGKILL');
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    const worker = cluster.fork();
    slot.worker = worker;
    slot.pid = worker.process.pid;
    const peer = new Peer((m, done) => {
      if (!worker.isConnected()) return done(new Error('the channel is closed'));
      try {
        worker.send(m, undefined, { keepOpen: false }, (e) => done(e ?? null));
      } catch (e) {
        done(e as Error);
      }
    }, (kind, payload) => this.answer(slot, kind, payload));
    slot.peer = peer;
    worker.on('message', (m: unknown) => peer.receive(m));
    // A send on a closing channel; the exit that follows is what counts.
    worker.on('error', (e: Error) => this.logger.debug('worker channel error', { worker: slot.n, error: e }));
    worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      peer.close(new PeerGoneError(`worker ${slot.n} exited`));
      this.exited(slot, worker, code, signal);
    });
  }

  private answer(slot: Slot, kind: string, payload: unknown): unknown {
    switch (kind) {
      case 'hello': {
        // From here on, in this same turn, the worker gets every change: none falls between.
        slot.member = true;
        const unavailable = this.store.unavailable;
        const init: WorkerInit = { slot: slot.n, config: this.workerConfig, records: this.store.entries().map(recordOf), ...(unavailable !== undefined ? { unavailable } : {}) };
        return init;
      }
      case 'listening': {
        const l = payload as WorkerListening;
        slot.ready = true;
        if (this.started) this.logger.info('worker restarted', { worker: slot.n, pid: l.pid });
        this.onListening(l);
        return true;
      }
      case 'write':
        return this.write(payload as WriteCall);
      case 'metrics':
        return this.metrics();
      case 'status':
        return this.status();
    }
    throw new Error(`unknown call ${kind}`);
  }

  /** Commits a worker's admin write; answers once every worker has applied it. */
  private async write(w: WriteCall): Promise<unknown> {
    switch (w.op) {
      case 'put': {
        const { created, route } = await this.store.put(w.id, w.body);
        await this.applied;
        return { created, record: this.recordFor(route) };
      }
      case 'post': {
        const route = await this.store.post(w.body);
        await this.applied;
        return this.recordFor(route);
      }
      case 'patch': {
        const route = await this.store.patch(w.id, w.body, w.subPath);
        await this.applied;
        return this.recordFor(route);
      }
      case 'delete': {
        const deleted = await this.store.delete(w.id);
        await this.applied;
        return deleted;
      }
    }
  }

  private recordFor(route: KafkaRoute): RouteRecord {
    const r = this.records.get(route);
    if (r === undefined) throw new Error(`route ${route.id}: no record of the committed version`);
    return r;
  }

  /** A committed change: logged once here, sent to every worker that has its routes. */
  private publish(id: string, after: KafkaRoute | undefined, initial: boolean): void {
    const entry = after === undefined ? undefined : this.store.entry(id);
    const record = entry === undefined ? undefined : recordOf(entry);
    if (after !== undefined && record !== undefined) this.records.set(after, record);
    this.logger[initial ? 'debug' : 'info'](after === undefined ? 'route removed' : 'route set', { route: id, ...(after ? { uri: after.value.uri, enabled: after.enabled } : {}) });
    const call: RouteCall = record === undefined ? { id } : { id, record };
    const acks = this.slots.filter((s) => s.member && s.peer !== undefined).map((s) => s.peer!.call('route', call, APPLY_TIMEOUT_MS).catch((e: unknown) => {
      if (e instanceof PeerGoneError && s.worker === undefined) return; // it died; its successor gets the routes afresh
      // A worker that cannot apply a change would serve stale routes: it is replaced, and its
      // successor starts from the store.
      this.logger.error('worker did not apply a route change; restarting it', { worker: s.n, route: id, error: e });
      s.worker?.process.kill('SIGTERM');
    }));
    this.applied = Promise.all([this.applied, ...acks]).then(() => undefined);
  }

  /** The group's metrics: every serving worker's, summed, then the primary's own. */
  private async metrics(): Promise<string> {
    const answers = await Promise.all(this.slots.filter((s) => s.ready).map(async (s) => {
      try {
        return { n: s.n, snapshot: await s.peer!.call<WorkerSnapshot>('snapshot', undefined, SCRAPE_TIMEOUT_MS) };
      } catch {
        return undefined;
      }
    }));
    const got = answers.filter((a) => a !== undefined);
    this.reporting.labels().set(got.length);
    this.workerConnections.reset();
    for (const a of got) this.workerConnections.labels(String(a.n)).set(a.snapshot.connections);
    return renderSnapshots(mergeSnapshots([...got.map((a) => a.snapshot.metrics), this.registry.snapshot()]));
  }

  private async status(): Promise<GroupStatus> {
    const ready = this.slots.filter((s) => s.ready);
    const counts = await Promise.all(ready.map((s) => s.peer!.call<number>('connections', undefined, STATUS_TIMEOUT_MS).catch(() => 0)));
    return { connections: counts.reduce((a, b) => a + b, 0), workers: ready.length };
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.worker !== worker) return;
    const pid = slot.pid;
    slot.worker = undefined;
    slot.peer = undefined;
    slot.member = false;
    slot.ready = false;
    if (this.stopping) {
      if (code !== 0) this.failedStops++;
      this.logger.info('worker stopped', { worker: slot.n, pid, code, signal });
      if (this.slots.every((s) => s.worker === undefined)) this.allExited?.();
      return;
    }
    if (!this.started) {
      this.logger.error('worker exited before it was ready', { worker: slot.n, pid, code, signal });
      this.startFailed?.(new WorkerError(`worker ${slot.n} exited (${signal ?? `code ${code}`}) before it was listening`));
      this.startFailed = undefined;
      return;
    }
    const delay = slot.restarts.exited(Date.now());
    if (delay === undefined) {
      const { maxRestarts, windowMs } = slot.restarts.limits;
      this.logger.error('worker crash loop: giving up', { worker: slot.n, pid, code, signal, exits: slot.restarts.recentExits, windowMs });
      this.onGiveUp(`worker ${slot.n} exited ${maxRestarts + 1} times within ${windowMs / 1000} s; giving up`);
      return;
    }
    this.restartsTotal.labels().inc();
    this.logger.error('worker exited', { worker: slot.n, pid, code, signal, restartInMs: delay });
    slot.restartTimer = setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }
}
