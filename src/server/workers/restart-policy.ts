/**
 * When the primary restarts a worker that exited without being asked to: at once would turn a
 * worker that dies on start into a busy loop, so each restart of one worker waits twice as long as
 * the one before (from `firstDelayMs` up to `maxDelayMs`), counting its exits of the last
 * `windowMs`; past `maxRestarts` in that window the primary gives up and stops the group, so a
 * supervisor (systemd, Kubernetes) sees the failure instead of a group that quietly runs short.
 */
export interface RestartLimits {
  firstDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxRestarts: number;
}

export const RESTART_LIMITS: RestartLimits = { firstDelayMs: 500, maxDelayMs: 10_000, windowMs: 60_000, maxRestarts: 5 };

export class RestartPolicy {
  readonly limits: RestartLimits;
  #exits: number[] = [];

  constructor(limits: RestartLimits = RESTART_LIMITS) {
    this.limits = limits;
  }

  /** Exits counted in the window as of the last `exited`. */
  get recentExits(): number {
    return this.#exits.length;
  }

  /** The worker exited at `now` (ms): the delay before restarting it, or undefined to give up. */
  exited(now: number): number | undefined {
    const { firstDelayMs, maxDelayMs, windowMs, maxRestarts } = this.limits;
    this.#exits = this.#exits.filter((t) => now - t < windowMs);
    this.#exits.push(now);
    if (this.#exits.length > maxRestarts) return undefined;
    return Math.min(maxDelayMs, firstDelayMs * 2 ** (this.#exits.length - 1));
  }
}
