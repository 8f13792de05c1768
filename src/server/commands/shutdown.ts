import type { Logger } from '../log.js';

export interface ShutdownOptions {
  logger: Logger;
  /** Stops the server; the process exits 0 when it resolves, 1 when it rejects. */
  stop(): Promise<void>;
  /** Fields for the "shutting down" line (e.g. open connections), read when the signal comes. */
  stopping?(): Record<string, unknown>;
  /** Fields for the "stopped" line, read once `stop` has resolved. */
  stopped?(): Record<string, unknown>;
  /** Called before a second signal exits at once: a primary kills its workers there. */
  abort?(): void;
  /** The exit code once stopped (default 0): 1 for a primary that stopped because its workers kept dying. */
  exitCode?(): number;
}

/**
 * The shutdown of every command that runs a server: SIGTERM or SIGINT stops it gracefully and
 * exits 0 (1 if stopping fails); a second signal while it stops exits at once with 1, so an
 * operator is never stuck behind a hung close. Returns a function that starts the same shutdown
 * for another reason (a worker whose primary asks it to stop, or has gone).
 */
export function exitOnSignals(o: ShutdownOptions): (reason: string) => void {
  let stopping = false;
  const shutDown = (cause: { signal: NodeJS.Signals } | { reason: string }) => {
    if (stopping) {
      if (!('signal' in cause)) return;
      o.logger.warn('second signal, exiting now', cause);
      o.abort?.();
      process.exit(1);
    }
    stopping = true;
    o.logger.info('shutting down', { ...cause, ...o.stopping?.() });
    o.stop().then(() => {
      o.logger.info('stopped', { ...o.stopped?.() });
      process.exit(o.exitCode?.() ?? 0);
    }, (e: unknown) => {
      o.logger.error('shutdown failed', { error: e });
      process.exit(1);
    });
  };
  const onSignal = (signal: NodeJS.Signals) => shutDown({ signal });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return (reason) => shutDown({ reason });
}
