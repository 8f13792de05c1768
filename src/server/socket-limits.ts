import { readFileSync } from 'node:fs';

/**
 * Sockets the automatic `--max-sockets` allows beyond `--max-connections`: plain HTTP (health,
 * metrics, admin, the demo page) and upgrades still in their handshake.
 */
export const HTTP_SOCKETS = 1024;
/**
 * Sockets admin-allowed addresses may open beyond a listener's cap, for plain HTTP only, so the
 * admin API, /healthz and /metrics still answer them when the WebSocket side is full.
 */
export const ADMIN_RESERVE = 16;
/** The cap of a separate admin listener (`--admin-port`), before its reserve. */
export const ADMIN_LISTENER_SOCKETS = 64;

/** The caps in force, as the ready line shows them. */
export interface SocketLimits {
  maxSockets: number;
  /** 0: none. */
  maxSocketsPerAddress: number;
  adminReserve: number;
  headerTimeoutMs: number;
  /** The process's open-file limit, when known. */
  fileLimit: number | undefined;
}

/** The soft "Max open files" of /proc/self/limits; undefined when unlimited or not readable (not Linux). */
export function parseFileLimit(procLimits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(procLimits);
  return m === null ? undefined : Number(m[1]);
}

export function readFileLimit(): number | undefined {
  try {
    return parseFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * File descriptors the client sockets of both listeners may take: the limit, less what the rest
 * of the process needs (Kafka connections, route files, the listeners, Node's own), less the
 * admin listener and the reserves. A tenth of the limit, at least 128, for the rest: Kafka
 * connections grow with routes (brokers × --kafka-connections per set of credentials).
 */
export function socketBudget(fileLimit: number): number {
  const rest = Math.max(128, Math.floor(fileLimit / 10));
  return fileLimit - rest - ADMIN_RESERVE - (ADMIN_LISTENER_SOCKETS + ADMIN_RESERVE);
}

/** Below this the automatic cap does not go, however low the file limit: the proxy would serve no one. */
const MIN_AUTO_SOCKETS = 16;

/**
 * The caps: `--max-sockets` as given, or `--max-connections` + HTTP_SOCKETS within what the
 * file-descriptor limit leaves. Warnings say when the limit is too low for the settings.
 */
export function resolveSocketLimits(input: {
  maxSockets: number | undefined;
  maxSocketsPerAddress: number;
  maxConnections: number;
  headerTimeoutMs: number;
  fileLimit: number | undefined;
}): { limits: SocketLimits; warnings: string[] } {
  const { fileLimit, maxConnections } = input;
  const budget = fileLimit === undefined ? undefined : socketBudget(fileLimit);
  const warnings: string[] = [];
  let maxSockets = input.maxSockets;
  if (maxSockets === undefined) {
    maxSockets = Math.max(MIN_AUTO_SOCKETS, Math.min(maxConnections + HTTP_SOCKETS, budget ?? Number.POSITIVE_INFINITY));
    if (maxSockets < maxConnections) {
      warnings.push(`the open-file limit (${fileLimit}) caps client sockets at ${maxSockets}, below --max-connections (${maxConnections}): raise it (ulimit -n) or lower --max-connections`);
    }
  } else if (budget !== undefined && maxSockets > budget) {
    warnings.push(`--max-sockets ${maxSockets} is above the ${budget} client sockets the open-file limit (${fileLimit}) leaves room for: near the cap, Kafka connections and route files may fail (raise ulimit -n)`);
  }
  return {
    limits: { maxSockets, maxSocketsPerAddress: input.maxSocketsPerAddress, adminReserve: ADMIN_RESERVE, headerTimeoutMs: input.headerTimeoutMs, fileLimit },
    warnings,
  };
}

/**
 * How often node:http looks for requests past their deadline: a tenth of it, within 10 ms to
 * 1 s, so a socket is closed at most that much after its deadline (Node's default, 30 s, let
 * idle sockets stay 60-90 s with its 60 s headersTimeout).
 */
export function deadlineCheckEvery(headerTimeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(headerTimeoutMs / 10)));
}
