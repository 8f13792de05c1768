import { ConfigError } from './errors.js';
import { BadValue, type Kind } from './kinds.js';
import { SETTINGS, type SettingName, type SettingValues } from './settings.js';

/** Where a raw value came from, for the error message. */
export interface Origin {
  /** The flag, variable or file key, as ConfigError.field. */
  field: string;
  /** Text (flags, environment) or a JSON value (config file). */
  form: 'text' | 'json';
  /** Relative paths are resolved against this. */
  baseDir: string;
  /** Appended to messages, e.g. " in config file /etc/kwp.json". */
  suffix?: string;
}

const MAX_SHOWN = 100;

function show(raw: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(raw) ?? String(raw);
  } catch {
    s = String(raw);
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s;
}

/** Parses one setting's raw value with its kind. @throws {ConfigError} as readValue. */
export function readSetting<K extends SettingName>(name: K, raw: unknown, origin: Origin): SettingValues[K] {
  return readValue(SETTINGS[name].kind, raw, origin);
}

/**
 * Parses a raw value with `kind`.
 * @throws {ConfigError} naming `origin.field` and the value (never a secret's value).
 */
export function readValue<T>(kind: Kind<T>, raw: unknown, origin: Origin): T {
  try {
    return origin.form === 'text' ? kind.fromText(String(raw), origin.baseDir) : kind.fromJson(raw, origin.baseDir);
  } catch (err) {
    if (!(err instanceof BadValue)) throw err;
    const shown = kind.secret ? 'the value given' : show(raw);
    throw new ConfigError(origin.field, `${origin.field}: ${shown} ${err.message}${origin.suffix ?? ''}`);
  }
}
