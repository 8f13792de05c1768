import type { LogLevel } from '../log-levels.js';
import type { RouteKey } from '../routes/key-ring.js';
import { routeKeysKind, routeStoreKind, type RouteStoreSetting } from './route-store.js';
import { adminKeyKind, booleanKind, cidrsKind, hostKind, intKind, type Kind, logLevelKind, pathKind, portKind } from './kinds.js';

/**
 * Every setting that flags, environment and config file can all give: the one definition of each
 * setting's type. `ServerConfig` (what `loadConfig` returns) and `ProxyOptions` (what
 * `createProxy` takes) are built from it, so a setting has one name and one type everywhere.
 */
export interface SettingValues {
  /** Address of the WebSocket listener (and of the admin API without `adminPort`). */
  host: string;
  /** Its port; 0 picks a free one. */
  port: number;
  /** Where admin-created routes persist (and admin.key); without it they live in memory only. */
  dataDir: string;
  /** The admin API's `X-API-KEY`; without one the admin API answers 404. */
  adminKey: string;
  /** CIDRs (or bare addresses) allowed to reach the admin API and /metrics. */
  adminAllow: string[];
  /** Address of a separate admin listener (needs `adminPort`). */
  adminHost: string;
  /** Port of a separate admin listener; the admin API then leaves the main port. */
  adminPort: number;
  /** Open WebSockets over all routes; more get HTTP 503. */
  maxConnections: number;
  /**
   * Open TCP sockets of the main listener, upgraded or not; more are closed at once. Without it
   * (the default) it is `maxConnections` + 1024 within the open-file limit (socket-limits.ts).
   */
  maxSockets: number;
  /** Open TCP sockets from one client address (IPv6: one /64); 0 turns the cap off. */
  maxSocketsPerAddress: number;
  /** A new connection must send a complete request head (a request or an upgrade) within this. */
  headerTimeoutMs: number;
  /** Largest incoming WebSocket message; larger closes that socket with 1009. */
  maxMessageBytes: number;
  /** Commands per connection waiting on Kafka; more get an error reply. */
  maxInFlight: number;
  /** Commands per connection running on Kafka at once; the rest of those in flight wait their turn. */
  maxRunning: number;
  /** Reply bytes one connection may hold (unsent replies plus room reserved for fetches). */
  maxUnsentBytes: number;
  /** Reply bytes all connections together may hold; past it the heaviest that stopped reading are closed. */
  maxTotalUnsentBytes: number;
  /**
   * Bytes of produce commands one connection may have in flight (accepted, not yet acknowledged);
   * past it the proxy stops reading from that client until half is answered, and a single
   * command larger than it is refused.
   */
  maxProduceBytes: number;
  /**
   * Connections to each Kafka broker per set of credentials, shared by every client. A broker
   * serves one request per connection at a time, so requests queue per connection
   * (BENCHMARKS.md, changes 3 and 10, measured what more of them buy).
   */
  kafkaConnections: number;
  /**
   * Processes serving the port (node:cluster). 1 runs the proxy in this process alone; more start
   * a primary that forks them and owns the route store (docs/operations.md, "Workers").
   */
  workers: number;
  /**
   * Where admin-created routes live when not in the data directory: a compacted Kafka topic
   * every replica reads and writes (docs/deployment.md, "Routes shared through Kafka").
   */
  routeStore: RouteStoreSetting;
  /** The keys route records are encrypted with: the first encrypts, all decrypt. */
  routeStoreKeys: RouteKey[];
  logLevel: LogLevel;
  /**
   * Serve the demo page at `/`, its assets under `/demo/`, and `/demo/routes` (ids and uris of
   * enabled exact-uri routes, and which check tokens). Off by default: it tells anyone who can
   * reach the port which routes exist.
   */
  demo: boolean;
}
export type SettingName = keyof SettingValues;

export interface Setting<K extends SettingName> {
  /** Flag without the dashes. */
  readonly flag: string;
  readonly env: string;
  /** Key in the JSON config file. */
  readonly file: string;
  readonly kind: Kind<SettingValues[K]>;
  /** The default as the help text shows it. */
  readonly shownDefault: string;
  readonly help: string;
}

export const DEFAULT_DATA_DIR_NAME = 'kafka-ws-proxy-data';
export const DEFAULTS = {
  host: '0.0.0.0',
  port: 9080,
  adminAllow: ['127.0.0.0/8', '::1/128'],
  /** When --admin-port is given without --admin-host: the admin listener stays on loopback. */
  adminHost: '127.0.0.1',
  maxConnections: 10000,
  /**
   * Above what one browser opens (Chrome and Firefox stop at 255 WebSockets), below what lets one
   * address hold a large share of the total; a NAT or a reverse proxy in front needs more.
   */
  maxSocketsPerAddress: 1024,
  /** Long enough for a slow mobile link to send a request head; short enough that idle sockets go quickly. */
  headerTimeoutMs: 10_000,
  maxMessageBytes: 65536,
  maxInFlight: 64,
  maxRunning: 4,
  maxUnsentBytes: 4 * 1024 * 1024,
  maxTotalUnsentBytes: 512 * 1024 * 1024,
  maxProduceBytes: 1024 * 1024,
  kafkaConnections: 4,
  logLevel: 'info',
  demo: false,
} as const satisfies Partial<SettingValues> & Record<string, unknown>;

/** The table flags, environment, config file and help text are all built from. */
export const SETTINGS: { readonly [K in SettingName]: Setting<K> } = {
  host: {
    flag: 'host', env: 'KAFKA_WS_PROXY_HOST', file: 'host', kind: hostKind, shownDefault: DEFAULTS.host,
    help: 'Address the WebSocket (and, without --admin-port, admin) listener binds to.',
  },
  port: {
    flag: 'port', env: 'KAFKA_WS_PROXY_PORT', file: 'port', kind: portKind, shownDefault: String(DEFAULTS.port),
    help: 'Port of that listener; 0 picks a free one.',
  },
  dataDir: {
    flag: 'data-dir', env: 'KAFKA_WS_PROXY_DATA_DIR', file: 'data_dir', kind: pathKind, shownDefault: `./${DEFAULT_DATA_DIR_NAME}`,
    help: 'Directory for admin.key and routes; in the config file, relative to the file.',
  },
  adminKey: {
    flag: 'admin-key', env: 'KAFKA_WS_PROXY_ADMIN_KEY', file: 'admin_key', kind: adminKeyKind,
    shownDefault: 'read DIR/admin.key, or generate it',
    help: 'X-API-KEY the admin API expects, 16+ characters. Flags show in ps: prefer env or file.',
  },
  adminAllow: {
    flag: 'admin-allow', env: 'KAFKA_WS_PROXY_ADMIN_ALLOW', file: 'admin_allow', kind: cidrsKind, shownDefault: DEFAULTS.adminAllow.join(','),
    help: 'Client addresses the admin API answers; others get 403. The file takes an array.',
  },
  adminHost: {
    flag: 'admin-host', env: 'KAFKA_WS_PROXY_ADMIN_HOST', file: 'admin_host', kind: hostKind,
    shownDefault: `${DEFAULTS.adminHost} when --admin-port is set`,
    help: 'Address of a separate admin listener; needs --admin-port.',
  },
  adminPort: {
    flag: 'admin-port', env: 'KAFKA_WS_PROXY_ADMIN_PORT', file: 'admin_port', kind: portKind,
    shownDefault: 'none (admin API on the main port)',
    help: 'Port of a separate admin listener.',
  },
  kafkaConnections: {
    flag: 'kafka-connections', env: 'KAFKA_WS_PROXY_KAFKA_CONNECTIONS', file: 'kafka_connections',
    kind: intKind('N', 1, 64, 'a connection count'), shownDefault: String(DEFAULTS.kafkaConnections),
    help: 'Connections to each broker per set of Kafka credentials, shared by all clients.',
  },
  workers: {
    flag: 'workers', env: 'KAFKA_WS_PROXY_WORKERS', file: 'workers',
    kind: intKind('N', 1, 1024, 'a worker count'), shownDefault: 'one per core (os.availableParallelism())',
    help: 'Processes serving the port, sharing routes; 1 runs a single process with no primary.',
  },
  routeStore: {
    flag: 'route-store', env: 'KAFKA_WS_PROXY_ROUTE_STORE', file: 'route_store', kind: routeStoreKind,
    shownDefault: 'none: the data directory',
    help: 'Routes in a compacted Kafka topic shared by replicas: {"kafka": {"brokers": ["h:9092"]}}.',
  },
  routeStoreKeys: {
    flag: 'route-store-keys', env: 'KAFKA_WS_PROXY_ROUTE_STORE_KEYS', file: 'route_store_keys', kind: routeKeysKind,
    shownDefault: 'none',
    help: 'Keys of the route records (AES-256-GCM), kid:base64 of 32 bytes; the first encrypts.',
  },
  maxConnections: {
    flag: 'max-connections', env: 'KAFKA_WS_PROXY_MAX_CONNECTIONS', file: 'max_connections',
    kind: intKind('N', 1, 1_000_000, 'a connection limit'), shownDefault: String(DEFAULTS.maxConnections),
    help: 'WebSocket connections open at once; more are refused.',
  },
  maxSockets: {
    flag: 'max-sockets', env: 'KAFKA_WS_PROXY_MAX_SOCKETS', file: 'max_sockets',
    kind: intKind('N', 1, 10_000_000, 'a socket limit'), shownDefault: 'auto: max-connections + 1024',
    help: 'TCP sockets open at once on the main port, WebSockets included; auto stays within ulimit -n.',
  },
  maxSocketsPerAddress: {
    flag: 'max-sockets-per-address', env: 'KAFKA_WS_PROXY_MAX_SOCKETS_PER_ADDRESS', file: 'max_sockets_per_address',
    kind: intKind('N', 0, 10_000_000, 'a socket limit'), shownDefault: String(DEFAULTS.maxSocketsPerAddress),
    help: 'TCP sockets open at once from one client address (IPv6: one /64); 0: no limit.',
  },
  headerTimeoutMs: {
    flag: 'header-timeout-ms', env: 'KAFKA_WS_PROXY_HEADER_TIMEOUT_MS', file: 'header_timeout_ms',
    // At most Node's requestTimeout (300 s), which node:http requires it to stay under.
    kind: intKind('MS', 100, 300_000, 'a timeout in milliseconds'), shownDefault: String(DEFAULTS.headerTimeoutMs),
    help: 'Time a connection has to send a request head; silent connections are closed after it.',
  },
  maxMessageBytes: {
    flag: 'max-message-bytes', env: 'KAFKA_WS_PROXY_MAX_MESSAGE_BYTES', file: 'max_message_bytes',
    // 100 MiB is ws's own default maxPayload; below 64 bytes not even a PubSubReq fits.
    kind: intKind('BYTES', 64, 100 * 1024 * 1024, 'a message size'), shownDefault: String(DEFAULTS.maxMessageBytes),
    help: 'Largest WebSocket message accepted from a client.',
  },
  maxInFlight: {
    flag: 'max-in-flight', env: 'KAFKA_WS_PROXY_MAX_IN_FLIGHT', file: 'max_in_flight',
    kind: intKind('N', 1, 4096, 'an in-flight limit'), shownDefault: String(DEFAULTS.maxInFlight),
    help: 'Commands one connection may have in flight.',
  },
  maxRunning: {
    flag: 'max-running', env: 'KAFKA_WS_PROXY_MAX_RUNNING', file: 'max_running',
    kind: intKind('N', 1, 1024, 'a running limit'), shownDefault: String(DEFAULTS.maxRunning),
    help: 'Commands of one connection running on Kafka at once; its other commands wait their turn.',
  },
  maxUnsentBytes: {
    flag: 'max-unsent-bytes', env: 'KAFKA_WS_PROXY_MAX_UNSENT_BYTES', file: 'max_unsent_bytes',
    kind: intKind('BYTES', 64 * 1024, 1024 * 1024 * 1024, 'a byte count'), shownDefault: String(DEFAULTS.maxUnsentBytes),
    help: 'Reply bytes one connection may hold (not yet read by it, or reserved for fetches running).',
  },
  maxTotalUnsentBytes: {
    flag: 'max-total-unsent-bytes', env: 'KAFKA_WS_PROXY_MAX_TOTAL_UNSENT_BYTES', file: 'max_total_unsent_bytes',
    kind: intKind('BYTES', 1024 * 1024, 64 * 1024 * 1024 * 1024, 'a byte count'), shownDefault: String(DEFAULTS.maxTotalUnsentBytes),
    help: 'Reply bytes all connections may hold; past it the heaviest that stopped reading are closed.',
  },
  maxProduceBytes: {
    flag: 'max-produce-bytes', env: 'KAFKA_WS_PROXY_MAX_PRODUCE_BYTES', file: 'max_produce_bytes',
    kind: intKind('BYTES', 1024, 1024 * 1024 * 1024, 'a byte count'), shownDefault: String(DEFAULTS.maxProduceBytes),
    help: 'Produce bytes one connection may have awaiting Kafka; past it its reading pauses.',
  },
  logLevel: {
    flag: 'log-level', env: 'KAFKA_WS_PROXY_LOG_LEVEL', file: 'log_level', kind: logLevelKind, shownDefault: DEFAULTS.logLevel,
    help: 'debug, info, warn or error.',
  },
  demo: {
    flag: 'demo', env: 'KAFKA_WS_PROXY_DEMO', file: 'demo', kind: booleanKind, shownDefault: 'off',
    help: 'Serve the demo page at / (it lists route ids and uris to anyone who can reach the port).',
  },
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Names the config file; a flag and a variable only (a file cannot name itself). */
export const CONFIG_FLAG = 'config';
export const CONFIG_ENV = 'KAFKA_WS_PROXY_CONFIG';
/** Static routes: only in the config file, validated by the route store. */
export const ROUTES_FILE_KEY = 'routes';
