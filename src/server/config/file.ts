import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JsonInputError } from '../errors.js';
import { isPlainName, MAX_JSON_DEPTH, parseJsonInput } from '../json-input.js';
import { ConfigError } from './errors.js';
import { readSetting } from './read-setting.js';
import { ROUTES_FILE_KEY, SETTING_NAMES, SETTINGS, type SettingName, type SettingValues } from './settings.js';

/** A static route as the config file gives it; the route store validates the rest. */
export type StaticRoute = { id: string } & Record<string, unknown>;

export interface FileValues {
  values: Partial<SettingValues>;
  routes: StaticRoute[];
}

const KEY_TO_NAME = new Map<string, SettingName>(SETTING_NAMES.map((n) => [SETTINGS[n].file, n]));
const KNOWN_KEYS = [...KEY_TO_NAME.keys(), ROUTES_FILE_KEY];

/**
 * Reads the JSON config file: an object whose keys are the settings' file keys (snake_case, as
 * in APISIX's config.yaml) and `routes`. Relative paths in it are relative to the file.
 * @param origin the flag or variable that named the file, for the messages.
 * @throws {ConfigError} when the file cannot be read (field: `origin`), is not JSON (the message
 *   gives line and column), is nested deeper than 34 levels or holds a prototype key
 *   (`__proto__`) anywhere (field: `origin`), or
 *   holds an unknown key or a bad value (field: the key; `origin` for an unknown key that is not a
 *   plain name, which is then given by position). Messages never quote a value.
 */
export async function readConfigFile(path: string, origin: string): Promise<FileValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${String(code ?? err)})`;
    throw new ConfigError(origin, `config file ${path} (from ${origin}) ${why}`, { cause: err });
  }
  // Editors on Windows like to start UTF-8 files with a byte order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    // Static routes sit two levels down ({"routes": [route]}): any route the admin API takes fits.
    json = parseJsonInput(text, MAX_JSON_DEPTH + 2);
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    throw new ConfigError(origin, err.reason === 'syntax' ? `config file ${path} is ${err.message}` : `config file ${path}: ${err.message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(origin, `config file ${path} must hold a JSON object ({"port": 9080, ...})`);
  }
  const obj = json as Record<string, unknown>;
  const suffix = ` in config file ${path}`;
  const values: Partial<SettingValues> = {};
  let routes: StaticRoute[] = [];
  for (const [i, [key, raw]] of Object.entries(obj).entries()) {
    if (key === ROUTES_FILE_KEY) {
      routes = readRoutes(raw, suffix);
      continue;
    }
    const name = KEY_TO_NAME.get(key);
    if (name === undefined) {
      // Named only when plain: a key that is not could be a secret written where a key goes.
      if (isPlainName(key)) throw new ConfigError(key, `unknown key ${JSON.stringify(key)}${suffix}${suggest(key)}`);
      throw new ConfigError(origin, `unknown key (key #${i + 1}, not shown: not a plain name)${suffix}${suggest(key)}`);
    }
    set(values, name, raw, { field: key, form: 'json', baseDir: dirname(path), suffix });
  }
  return { values, routes };
}

function set<K extends SettingName>(out: Partial<SettingValues>, name: K, raw: unknown, origin: Parameters<typeof readSetting>[2]): void {
  out[name] = readSetting(name, raw, origin);
}

/** "dataDir" and "data-dir" are likely meant as "data_dir". */
function suggest(key: string): string {
  const norm = (k: string): string => k.toLowerCase().replace(/[-_]/g, '');
  const match = KNOWN_KEYS.find((k) => norm(k) === norm(key));
  return match === undefined ? `; known keys: ${KNOWN_KEYS.join(', ')}` : `; did you mean ${JSON.stringify(match)}?`;
}

function readRoutes(raw: unknown, suffix: string): StaticRoute[] {
  if (!Array.isArray(raw)) throw new ConfigError(ROUTES_FILE_KEY, `${ROUTES_FILE_KEY}: is not an array of route objects${suffix}`);
  const ids = new Map<string, number>();
  return raw.map((route: unknown, i) => {
    const field = `${ROUTES_FILE_KEY}[${i}]`;
    if (typeof route !== 'object' || route === null || Array.isArray(route)) throw new ConfigError(field, `${field}: is not a route object${suffix}`);
    const id = (route as Record<string, unknown>).id;
    if (typeof id !== 'string' || id === '') throw new ConfigError(`${field}.id`, `${field}.id: a static route needs a non-empty string id${suffix}`);
    const earlier = ids.get(id);
    if (earlier !== undefined) throw new ConfigError(`${field}.id`, `${field}.id: is the id of ${ROUTES_FILE_KEY}[${earlier}] too${suffix}`);
    ids.set(id, i);
    return route as StaticRoute;
  });
}
