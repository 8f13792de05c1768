/**
 * The entry of a worker process of `start --workers N` (primary.ts forks it with node:cluster).
 * It asks the primary for its number, the configuration and the routes, runs the proxy on the
 * shared port with a route replica (admin writes go to the primary), answers the primary's calls,
 * and stops gracefully when asked, or on SIGTERM or SIGINT (a terminal's Ctrl-C and systemd
 * signal every process of the group). If the primary itself is killed, node:cluster ends the
 * worker at once (its 'disconnect' handler), as it does for every cluster.
 */
import { exitOnSignals } from '../commands/shutdown.js';
import { listenOptions, proxyOptions, socketsField } from '../commands/proxy-config.js';
import { RouteStoreError } from '../errors.js';
import { createLogger, withFields } from '../log.js';
import { KafkaWsProxy } from '../proxy.js';
import { RouteReplica, type RouteRecord, type RouteWriter } from '../routes/replica.js';
import type { GroupStatus, RouteCall, WorkerInit, WorkerListening, WorkerSnapshot, WriteCall } from './messages.js';
import { Peer, PeerGoneError } from './peer.js';

/** An admin write waits this long for the primary's answer (it commits, then every worker applies). */
const WRITE_TIMEOUT_MS = 30_000;
const METRICS_TIMEOUT_MS = 5000;
const STATUS_TIMEOUT_MS = 2000;

let proxy: KafkaWsProxy | undefined;
let stop: ((reason: string) => void) | undefined;
/** Route changes can arrive in the same read as the reply to hello, before the replica exists. */
let replicaReady: (r: RouteReplica) => void = () => undefined;
const replica = new Promise<RouteReplica>((resolve) => {
  replicaReady = resolve;
});

const peer = new Peer((m, done) => {
  if (process.send === undefined || !process.connected) return done(new Error('no channel to the primary'));
  process.send(m, undefined, {}, (e) => done(e ?? null));
}, answer);
process.on('message', (m: unknown) => peer.receive(m));
process.on('disconnect', () => peer.close(new PeerGoneError('the primary process has gone')));

function answer(kind: string, payload: unknown): unknown {
  switch (kind) {
    case 'route': {
      const { id, record } = payload as RouteCall;
      return replica.then((r) => r.applyRecord(id, record));
    }
    case 'availability':
      return replica.then((r) => r.setAvailability(payload as string | undefined));
    case 'snapshot': {
      const s: WorkerSnapshot = proxy === undefined ? { metrics: [], connections: 0 } : { metrics: proxy.metrics.snapshot(), connections: proxy.connections };
      return s;
    }
    case 'connections':
      return proxy?.connections ?? 0;
    case 'shutdown':
      shutDown('asked by the primary');
      return true;
  }
  throw new Error(`unknown call ${kind}`);
}

function shutDown(reason: string): void {
  if (stop !== undefined) stop(reason);
  else process.exit(0); // not serving yet: nothing to close
}

/** Admin writes, committed by the primary. A primary that does not answer is the store failing (503). */
function writer(): RouteWriter {
  const write = async <T>(w: WriteCall): Promise<T> => {
    try {
      return await peer.call<T>('write', w, WRITE_TIMEOUT_MS);
    } catch (e) {
      if (!(e instanceof PeerGoneError)) throw e;
      throw new RouteStoreError(`the primary process did not answer (${e.message}); the write may or may not have been committed`);
    }
  };
  return {
    put: (id, body) => write<{ created: boolean; record: RouteRecord }>({ op: 'put', id, body }),
    post: (body) => write<RouteRecord>({ op: 'post', body }),
    patch: (id, body, subPath) => write<RouteRecord>({ op: 'patch', id, body, subPath: [...subPath] }),
    delete: (id) => write<boolean>({ op: 'delete', id }),
  };
}

async function main(): Promise<void> {
  const init = await peer.call<WorkerInit>('hello', undefined);
  const { config } = init;
  const logger = withFields(createLogger({ level: config.logLevel }), { worker: init.slot });
  const routes = RouteReplica.of(init.records, writer());
  routes.setAvailability(init.unavailable);
  replicaReady(routes);
  proxy = await KafkaWsProxy.create(proxyOptions(config, logger), {
    store: routes,
    quietRouteLog: true,
    group: {
      metrics: () => peer.call<string>('metrics', undefined, METRICS_TIMEOUT_MS),
      status: () => peer.call<GroupStatus>('status', undefined, STATUS_TIMEOUT_MS),
    },
  });
  const p = proxy;
  const addresses = await p.listen(listenOptions(config));
  stop = exitOnSignals({ logger, stop: () => p.close(), stopping: () => ({ connections: p.connections }) });
  const listening: WorkerListening = { pid: process.pid, url: addresses.url, sockets: socketsField(p.socketLimits), ...(addresses.adminUrl !== undefined ? { adminUrl: addresses.adminUrl } : {}) };
  logger.info('worker listening', { pid: process.pid, url: addresses.url });
  await peer.call('listening', listening);
}

main().catch((e: unknown) => {
  const err = e as { code?: unknown; message?: unknown };
  process.stderr.write(`error ${typeof err.code === 'string' ? err.code : 'ERR_UNEXPECTED'}: ${String(err.message ?? e)}\n`);
  process.exit(1);
});
