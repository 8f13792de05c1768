/**
 * From the loaded configuration to a running proxy, for `start` in one process and for each
 * worker process of `start --workers N`: the proxy's options, where it listens, and the ready
 * line's fields, so both print the same line.
 */
import { DEFAULTS, type ServerConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { ListenOptions, ProxyOptions } from '../proxy.js';
import type { SocketLimits } from '../socket-limits.js';
import type { WorkerConfig } from '../workers/messages.js';

/** The settings the proxy takes, as loaded; the listener's are given to `listen`. */
export function proxyOptions(config: WorkerConfig & Partial<ServerConfig>, logger: Logger): ProxyOptions {
  const { host: _h, port: _p, adminHost: _ah, adminPort: _ap, adminKeySource: _s, logLevel: _l, configFile: _f, workers: _w, ...options } = config;
  return { ...options, logger };
}

/** Where the proxy listens: the main port, and a separate admin listener when configured. */
export function listenOptions(config: WorkerConfig): ListenOptions {
  return {
    port: config.port, host: config.host,
    ...(config.adminPort !== undefined ? { adminPort: config.adminPort, adminHost: config.adminHost ?? DEFAULTS.adminHost } : {}),
  };
}

/** What the ready line says beside the routes: addresses, the data directory, caps, GC. */
export interface Listening {
  url: string;
  adminUrl?: string;
  sockets: Record<string, number>;
}

/** The ready line's fields; a primary adds `workers`. */
export function readyFields(config: WorkerConfig, l: Listening, routes: number): Record<string, unknown> {
  return {
    url: l.url,
    admin: l.adminUrl ?? `${l.url}/apisix/admin`,
    routes,
    dataDir: config.dataDir,
    adminKeySource: config.adminKeySource,
    ...(config.demo ? { demo: `${l.url}/` } : {}),
    sockets: l.sockets,
    gc: process.execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'default',
  };
}

/** The caps in force, as the ready line shows them: `max` may be derived from the open-file limit. */
export function socketsField(l: SocketLimits): Record<string, number> {
  return {
    max: l.maxSockets,
    perAddress: l.maxSocketsPerAddress,
    adminReserve: l.adminReserve,
    headerTimeoutMs: l.headerTimeoutMs,
    ...(l.fileLimit !== undefined ? { fileLimit: l.fileLimit } : {}),
  };
}
