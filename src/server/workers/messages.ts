/**
 * What the primary and its workers call on each other (peer.ts carries them). Worker → primary:
 * `hello` (its number, the configuration and the routes), `listening`, `write` (an admin write to
 * commit), `metrics` and `status` (the group's, for /metrics and /readyz). Primary → worker:
 * `route` (a committed change to apply), `availability` (whether the routes are current),
 * `snapshot` (its metrics), `connections`, `shutdown`.
 */
import type { Listening } from '../commands/proxy-config.js';
import type { ServerConfig } from '../config/index.js';
import type { MetricSnapshot } from '../metrics/index.js';
import type { RouteRecord } from '../routes/replica.js';

/**
 * The settings a worker runs with: the primary's, loaded once. Static routes come as records; the
 * route store (and its keys) stays with the primary.
 */
export type WorkerConfig = Omit<ServerConfig, 'routes' | 'workers' | 'configFile' | 'routeStore' | 'routeStoreKeys'>;

export interface WorkerInit {
  /** 1..N; a restarted worker keeps the number of the one it replaces. */
  slot: number;
  config: WorkerConfig;
  /** The routes at the moment this worker joined; changes after it come as `route` calls, in order. */
  records: RouteRecord[];
  /** Why the routes are not current yet (a Kafka route store reading its topic); later changes come as `availability` calls. */
  unavailable?: string;
}

/** A worker listens: its addresses and socket caps, for the group's ready line. */
export interface WorkerListening extends Listening {
  pid: number;
}

export type WriteCall =
  | { op: 'put'; id: string; body: unknown }
  | { op: 'post'; body: unknown }
  | { op: 'patch'; id: string; body: unknown; subPath: string[] }
  | { op: 'delete'; id: string };

export interface RouteCall {
  id: string;
  /** Absent: the route was deleted. */
  record?: RouteRecord;
}

export interface WorkerSnapshot {
  metrics: MetricSnapshot[];
  connections: number;
}

export interface GroupStatus {
  connections: number;
  workers: number;
}
