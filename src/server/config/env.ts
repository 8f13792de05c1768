import { ConfigError } from './errors.js';
import { pathKind } from './kinds.js';
import { readSetting, readValue } from './read-setting.js';
import { CONFIG_ENV, SETTING_NAMES, SETTINGS, type SettingName, type SettingValues } from './settings.js';

/** Every variable we read starts with this; others with it are typos and refused. */
export const ENV_PREFIX = 'KAFKA_WS_PROXY_';

/** The environment variables `start` reads. */
export const ENV_VARIABLES: readonly string[] = [CONFIG_ENV, ...SETTING_NAMES.map((n) => SETTINGS[n].env)];

export interface EnvValues {
  values: Partial<SettingValues>;
  /** Absolute path from KAFKA_WS_PROXY_CONFIG. */
  configFile?: string;
}

/**
 * Reads the KAFKA_WS_PROXY_* variables. An empty variable counts as unset, the way container
 * files (`KAFKA_WS_PROXY_ADMIN_KEY=`) usually mean it.
 * @throws {ConfigError} for a bad value or an unknown KAFKA_WS_PROXY_* variable (a misspelt
 *   one would otherwise be ignored in silence); `field` is the variable's name.
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>, cwd: string): EnvValues {
  for (const name of Object.keys(env)) {
    if (name.startsWith(ENV_PREFIX) && !ENV_VARIABLES.includes(name)) {
      throw new ConfigError(name, `unknown environment variable ${name} (kafka-ws-proxy start --help lists them)`);
    }
  }
  const values: Partial<SettingValues> = {};
  for (const name of SETTING_NAMES) set(values, name, env[SETTINGS[name].env], cwd);
  const config = env[CONFIG_ENV];
  if (config === undefined || config === '') return { values };
  return { values, configFile: readValue(pathKind, config, { field: CONFIG_ENV, form: 'text', baseDir: cwd }) };
}

function set<K extends SettingName>(out: Partial<SettingValues>, name: K, raw: string | undefined, cwd: string): void {
  if (raw === undefined || raw === '') return;
  out[name] = readSetting(name, raw, { field: SETTINGS[name].env, form: 'text', baseDir: cwd });
}
