import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadOrCreateAdminKey } from './admin-key.js';
import { readEnv } from './env.js';
import { ConfigError } from './errors.js';
import { readConfigFile, type StaticRoute } from './file.js';
import { readFlags, wantsHelp } from './flags.js';
import { CONFIG_ENV, CONFIG_FLAG, DEFAULT_DATA_DIR_NAME, DEFAULTS, SETTINGS, type SettingName, type SettingValues } from './settings.js';

/**
 * The configuration `start` runs with: every setting of the settings table, resolved (the admin
 * listener's two only when a separate one is configured), plus what is derived from reading it.
 */
export interface ServerConfig extends Omit<SettingValues, 'adminHost' | 'adminPort' | 'maxSockets' | 'routeStore' | 'routeStoreKeys'> {
  /** Absent: derived from `maxConnections` and the open-file limit when the proxy starts. */
  maxSockets?: number;
  /** Both set, or both absent (admin API on the main listener). */
  adminHost?: string;
  adminPort?: number;
  /** Absent: routes in the data directory. Set: the keys are set too. */
  routeStore?: SettingValues['routeStore'];
  routeStoreKeys?: SettingValues['routeStoreKeys'];
  /** Where the admin key came from; 'generated' means it was just created and must be shown once. */
  adminKeySource: 'flag' | 'env' | 'file' | 'generated' | 'stored';
  /** Static routes from the config file, not yet validated. */
  routes: StaticRoute[];
  /** Absolute path of the config file read, if any. */
  configFile?: string;
}

/** What loadConfig returns for `--help` / `-h`: print START_HELP, exit 0. */
export interface HelpRequest {
  help: true;
}

export function isHelpRequest(r: ServerConfig | HelpRequest): r is HelpRequest {
  return 'help' in r;
}

export interface LoadConfigInput {
  /** The arguments after `start`. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths in flags and variables are resolved against this. */
  cwd: string;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/**
 * The one place that reads configuration. Each setting comes from the first of: flag,
 * environment variable, JSON config file (`--config` / KAFKA_WS_PROXY_CONFIG), default. Every
 * source is validated in full, even where a higher one overrides it, so a typo never waits.
 * When no admin key is configured, reads or creates `<dataDir>/admin.key` (source 'stored' or
 * 'generated'); the caller prints a generated key once. With `--help` nothing is read.
 * @throws {ConfigError} naming the flag, variable or key at fault.
 */
export async function loadConfig(input: LoadConfigInput): Promise<ServerConfig | HelpRequest> {
  if (wantsHelp(input.argv)) return { help: true };
  const flags = readFlags(input.argv, input.cwd);
  const env = readEnv(input.env, input.cwd);
  const configFile = flags.configFile ?? env.configFile;
  const file = configFile === undefined ? { values: {}, routes: [] } : await readConfigFile(configFile, flags.configFile !== undefined ? `--${CONFIG_FLAG}` : CONFIG_ENV);

  const sources = [
    { values: flags.values, source: 'flag', field: (n: SettingName) => `--${SETTINGS[n].flag}` },
    { values: env.values, source: 'env', field: (n: SettingName) => SETTINGS[n].env },
    { values: file.values, source: 'file', field: (n: SettingName) => SETTINGS[n].file },
  ] as const;
  function pick<K extends SettingName>(name: K): { value: SettingValues[K]; source: 'flag' | 'env' | 'file'; field: string } | undefined {
    for (const s of sources) {
      const value = (s.values as Partial<SettingValues>)[name];
      if (value !== undefined) return { value, source: s.source, field: s.field(name) };
    }
    return undefined;
  }

  const host = pick('host')?.value ?? DEFAULTS.host;
  const port = pick('port')?.value ?? DEFAULTS.port;
  const dataDir = pick('dataDir')?.value ?? resolve(input.cwd, DEFAULT_DATA_DIR_NAME);
  const admin = adminListener(pick('adminHost'), pick('adminPort'), host, port);
  const configuredKey = pick('adminKey');
  const maxSockets = pick('maxSockets')?.value;
  const store = routeStore(pick('routeStore'), pick('routeStoreKeys'));
  const { key: adminKey, source: adminKeySource } = configuredKey !== undefined ? { key: configuredKey.value, source: configuredKey.source } : await loadOrCreateAdminKey(dataDir);

  return {
    host,
    port,
    dataDir,
    adminKey,
    adminKeySource,
    ...admin,
    adminAllow: pick('adminAllow')?.value ?? [...DEFAULTS.adminAllow],
    maxConnections: pick('maxConnections')?.value ?? DEFAULTS.maxConnections,
    ...(maxSockets !== undefined ? { maxSockets } : {}),
    maxSocketsPerAddress: pick('maxSocketsPerAddress')?.value ?? DEFAULTS.maxSocketsPerAddress,
    headerTimeoutMs: pick('headerTimeoutMs')?.value ?? DEFAULTS.headerTimeoutMs,
    maxMessageBytes: pick('maxMessageBytes')?.value ?? DEFAULTS.maxMessageBytes,
    maxInFlight: pick('maxInFlight')?.value ?? DEFAULTS.maxInFlight,
    maxRunning: pick('maxRunning')?.value ?? DEFAULTS.maxRunning,
    maxUnsentBytes: pick('maxUnsentBytes')?.value ?? DEFAULTS.maxUnsentBytes,
    maxTotalUnsentBytes: pick('maxTotalUnsentBytes')?.value ?? DEFAULTS.maxTotalUnsentBytes,
    maxProduceBytes: pick('maxProduceBytes')?.value ?? DEFAULTS.maxProduceBytes,
    kafkaConnections: pick('kafkaConnections')?.value ?? DEFAULTS.kafkaConnections,
    // One per core this process may run on (its CPU affinity counts, unlike os.cpus()).
    workers: pick('workers')?.value ?? availableParallelism(),
    ...store,
    logLevel: pick('logLevel')?.value ?? DEFAULTS.logLevel,
    demo: pick('demo')?.value ?? DEFAULTS.demo,
    routes: file.routes,
    ...(configFile !== undefined ? { configFile } : {}),
  };
}

/**
 * A route store in Kafka needs its keys (records are always encrypted), and keys without a store
 * are a setting that does nothing: both refused, naming what is missing.
 */
function routeStore(
  store: { value: SettingValues['routeStore']; field: string } | undefined,
  keys: { value: SettingValues['routeStoreKeys']; field: string } | undefined,
): Pick<ServerConfig, 'routeStore' | 'routeStoreKeys'> {
  if (store === undefined) {
    if (keys !== undefined) throw new ConfigError(keys.field, `${keys.field}: keys without a route store (--${SETTINGS.routeStore.flag}) do nothing`);
    return {};
  }
  if (keys === undefined) {
    throw new ConfigError(store.field, `${store.field}: a route store in Kafka needs the keys its records are encrypted with (--${SETTINGS.routeStoreKeys.flag}, ${SETTINGS.routeStoreKeys.env} or ${SETTINGS.routeStoreKeys.file}: kid:base64key, e.g. k1:$(openssl rand -base64 32))`);
  }
  return { routeStore: store.value, routeStoreKeys: keys.value };
}

/**
 * A separate admin listener exists when an admin port is given; it binds to loopback unless an
 * admin host is given too. An admin host alone is refused rather than guessed at.
 */
function adminListener(
  adminHost: { value: string; field: string } | undefined,
  adminPort: { value: number; field: string } | undefined,
  host: string,
  port: number,
): { adminHost: string; adminPort: number } | Record<never, never> {
  if (adminPort === undefined) {
    if (adminHost !== undefined) throw new ConfigError(adminHost.field, `${adminHost.field} needs an admin port too (--admin-port)`);
    return {};
  }
  const h = adminHost?.value ?? DEFAULTS.adminHost;
  const overlaps = h === host || WILDCARD_HOSTS.has(h) || WILDCARD_HOSTS.has(host);
  if (adminPort.value !== 0 && adminPort.value === port && overlaps) {
    throw new ConfigError(adminPort.field, `${adminPort.field}: the admin port is the main port; leave the admin port out to serve the admin API there`);
  }
  return { adminHost: h, adminPort: adminPort.value };
}
