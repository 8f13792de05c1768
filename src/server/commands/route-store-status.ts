/**
 * What `start` says about the route store, in one process and as the primary of workers alike:
 * the `ready` line only once the routes are current, and the exit of a store that cannot be read.
 */
import type { Logger } from '../log.js';
import type { RouteStore } from '../routes/store.js';

/**
 * A route store that cannot be read (its records encrypted with a key this replica lacks): the
 * process stops with this code, which a supervisor can tell from a crash (1) and a bad command
 * line (2): restarting will not help until the configuration changes.
 */
export const STORE_FAILED_EXIT_CODE = 3;

/** On stderr like every fatal error (`error CODE: message`), outside the JSON log stream. */
export function reportStoreFailure(e: Error): void {
  const code = (e as { code?: unknown }).code;
  process.stderr.write(`error ${typeof code === 'string' ? code : 'ERR_UNEXPECTED'}: ${e.message}\n`);
}

/**
 * Calls `ready` once the routes are current: at once for the file store; for a Kafka route store
 * once it has read its topic, after a `listening` line (the port answers /readyz with 503 meanwhile).
 */
export function whenRoutesCurrent(routes: RouteStore, logger: Logger, url: string, ready: () => void): void {
  if (routes.unavailable === undefined) {
    ready();
    return;
  }
  logger.info('listening', { url, routes: routes.unavailable });
  const off = routes.onAvailability((problem) => {
    if (problem !== undefined) return;
    off();
    ready();
  });
}
