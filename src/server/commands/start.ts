import { isHelpRequest, loadConfig, START_HELP } from '../config/index.js';
import { createLogger } from '../log.js';
import { createProxy, type KafkaWsProxy } from '../proxy.js';
import { runPrimary } from '../workers/primary.js';
import { listenOptions, proxyOptions, readyFields, socketsField } from './proxy-config.js';
import { reportStoreFailure, STORE_FAILED_EXIT_CODE, whenRoutesCurrent } from './route-store-status.js';
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
  let failure: Error | undefined;
  let stop: ((reason: string) => void) | undefined;
  proxy.routes.onFailure((e) => {
    failure ??= e;
    reportStoreFailure(e);
    stop?.('the route store failed');
  });
  let addresses: Awaited<ReturnType<KafkaWsProxy['listen']>>;
  try {
    addresses = await proxy.listen(listenOptions(config));
  } catch (e) {
    await proxy.close(0);
    throw e;
  }
  stop = exitOnSignals({
    logger, stop: () => proxy.close(), stopping: () => ({ connections: proxy.connections }),
    exitCode: () => (failure === undefined ? 0 : STORE_FAILED_EXIT_CODE),
  });
  if (failure !== undefined) {
    stop('the route store failed');
    return undefined;
  }
  const ready = () => readyFields(config, { ...addresses, sockets: socketsField(proxy.socketLimits) }, proxy.routes.size);
  whenRoutesCurrent(proxy.routes, logger, addresses.url, () => logger.info('ready', ready()));
  return undefined;
}
