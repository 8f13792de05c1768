import type { Logger } from '../log.js';

export interface ShutdownOptions {
  logger: Logger;
  /** Stops the server; the process exits 0 when it resolves, 1 when it rejects. */
  stop(): Promise<void>;
  /** Fields for the "shutting down" line (e.g. open connections), read when the signal comes. */
  stopping?(): Record<string, unknown>;
  /** Fields for the "stopped" line, read once `stop` has resolved. */
  stopped?(): Record<string, unknown>;
}

/**
 * The shutdown of every command that runs a server: SIGTERM or SIGINT stops it gracefully and
 * exits 0 (1 if stopping fails); a second signal while it stops exits at once with 1, so an
 * operator is never stuck behind a hung close.
 */
export function exitOnSignals(o: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      o.logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    o.logger.info('shutting down', { signal, ...o.stopping?.() });
    o.stop().then(() => {
      o.logger.info('stopped', { ...o.stopped?.() });
      process.exit(0);
    }, (e: unknown) => {
      o.logger.error('shutdown failed', { error: e });
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
