/** What every phase of a run shares: the broker, the proxy, the client processes and the options. */
import type { DirectName } from './direct-clients.js';
import type { WorkerHandle } from './ipc.js';
import type { RunOptions } from './options.js';
import type { ProxyServer } from './proxy-server.js';

export interface Bench {
  root: string;
  /** The checkout whose proxy CLI is under test (root unless --proxy-root). */
  proxyRoot: string;
  /** host:port of the broker's PLAINTEXT listener. */
  bootstrap: string;
  /** "4" or "3.9", the harness broker line. */
  line: '4' | '3.9';
  proxy: ProxyServer;
  /** WebSocket clients of the proxy. */
  ws: WorkerHandle;
  direct: Map<DirectName, WorkerHandle>;
  opts: RunOptions;
  log(message: string): void;
}

/** Route paths on the proxy, one per set of fetch settings. */
export const ROUTES = {
  /** Route defaults (max_bytes 1 MiB, max_frame_bytes 1 MiB, min_bytes 0): the throughput path. */
  bulk: '/bench',
  /** max_bytes 16 KiB: per-command latency. */
  small: '/bench-small',
  /** min_bytes 1, max_wait_ms 500: long polling for produce-to-client latency. */
  tail: '/bench-tail',
  /** For idle connections (footprint). */
  idle: '/bench-idle',
  /** RS256 tokens verified at the upgrade (the upgrade phase). */
  auth: '/bench-auth',
  /** The same route without auth: the upgrade phase's baseline. */
  open: '/bench-open',
  /** Route defaults plus auth and ten topic rules (the authorization phase; its baseline is `bulk`). */
  authz: '/bench-authz',
  /** Produce on the produce phase's topic, the route's produce defaults (acks all, linger 1 ms). */
  produce: '/bench-produce',
} as const;
