import { isHelpRequest, loadConfig, START_HELP, type ServerConfig } from '../config/index.js';
import { createLogger } from '../log.js';
import { createProxy, type KafkaWsProxy } from '../proxy.js';

/**
 * `kafka-ws-proxy start`: loads the configuration, starts the proxy, prints one "ready" log line,
 * and shuts down gracefully on SIGTERM or SIGINT (a second signal exits at once). Resolves with an
 * exit code only when it is not going to keep running.
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
  const proxy = await createProxy(proxyOptions(config, logger));
  let addresses: Awaited<ReturnType<KafkaWsProxy['listen']>>;
  try {
    addresses = await proxy.listen({
      port: config.port, host: config.host,
      ...(config.adminPort !== undefined ? { adminPort: config.adminPort, adminHost: config.adminHost ?? '127.0.0.1' } : {}),
    });
  } catch (e) {
    await proxy.close(0);
    throw e;
  }
  handleSignals(proxy, logger);
  logger.info('ready', {
    url: addresses.url,
    admin: addresses.adminUrl ?? `${addresses.url}/apisix/admin`,
    routes: proxy.routes.list().length,
    dataDir: config.dataDir,
    adminKeySource: config.adminKeySource,
    ...(config.demo ? { demo: `${addresses.url}/` } : {}),
    gc: process.execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'default',
  });
  return undefined;
}

function proxyOptions(config: ServerConfig, logger: ReturnType<typeof createLogger>) {
  return {
    dataDir: config.dataDir,
    routes: config.routes,
    adminKey: config.adminKey,
    adminAllow: config.adminAllow,
    maxConnections: config.maxConnections,
    maxMessageBytes: config.maxMessageBytes,
    maxInFlight: config.maxInFlight,
    kafkaConnections: config.kafkaConnections,
    demo: config.demo,
    logger,
  };
}

function handleSignals(proxy: KafkaWsProxy, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal, connections: proxy.connections });
    proxy.close().then(() => {
      logger.info('stopped');
      process.exit(0);
    }, (e: unknown) => {
      logger.error('shutdown failed', { error: e });
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
