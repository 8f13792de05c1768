import { DEFAULTS, isHelpRequest, loadConfig, START_HELP, type ServerConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { createProxy, type KafkaWsProxy, type ProxyOptions } from '../proxy.js';
import type { SocketLimits } from '../socket-limits.js';
import type { WorkerConfig } from '../workers/messages.js';
import { runPrimary } from '../workers/primary.js';
import { exitOnSignals } from './shutdown.js';

/**
 * `kafka-ws-proxy start`: loads the configuration, starts the proxy, prints one "ready" log line,
 * and shuts down gracefully on SIGTERM or SIGINT (a second signal exits at once). Resolves with an
 * exit code only when it is not going to keep running. With `workers` above 1 this process is
 * the primary of that many worker processes (workers/primary.ts); with 1 it is the proxy itself.
 */
export async function startCommand(argv: readonly string[]): Promise<number | undefined> {
  const config = await loadConfig({ argv, env: process.env, cwd: process.cwd() });
  if (isHelpRequest(config)) {
    process.stdout.write(`${START_HELP}\n`);
    return 0;
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.adminKeySource === 'generated') {
    // Printed once, on stderr and outside the JSON log stream: it is a secret, and logs never carry secrets.
    process.stderr.write(`Generated admin key (X-API-KEY), stored in ${config.dataDir}/admin.key:\n${config.adminKey}\n`);
  }
  if (config.workers > 1) return runPrimary(config, logger);
  const proxy = await createProxy(proxyOptions(config, logger));
  let addresses: Awaited<ReturnType<KafkaWsProxy['listen']>>;
  try {
    addresses = await proxy.listen({
      port: config.port, host: config.host,
      ...(config.adminPort !== undefined ? { adminPort: config.adminPort, adminHost: config.adminHost ?? DEFAULTS.adminHost } : {}),
    });
  } catch (e) {
    await proxy.close(0);
    throw e;
  }
  exitOnSignals({ logger, stop: () => proxy.close(), stopping: () => ({ connections: proxy.connections }) });
  logger.info('ready', {
    url: addresses.url,
    admin: addresses.adminUrl ?? `${addresses.url}/apisix/admin`,
    routes: proxy.routes.list().length,
    dataDir: config.dataDir,
    adminKeySource: config.adminKeySource,
    ...(config.demo ? { demo: `${addresses.url}/` } : {}),
    sockets: socketsField(proxy.socketLimits),
    gc: gcField(),
  });
  return undefined;
}

/** The settings the proxy takes, as loaded; the listener's are given to `listen`. */
export function proxyOptions(config: WorkerConfig & Partial<ServerConfig>, logger: Logger): ProxyOptions {
  const { host: _h, port: _p, adminHost: _ah, adminPort: _ap, adminKeySource: _s, logLevel: _l, configFile: _f, workers: _w, ...options } = config;
  return { ...options, logger };
}

/** The ready line's `gc`: whether node runs with --single-threaded-gc (the bin's shebang). */
export function gcField(): string {
  return process.execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'default';
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
