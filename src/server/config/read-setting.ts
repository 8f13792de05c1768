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

/** A JSON value's type as people say it, the only thing a message tells of a bad value. */
function jsonType(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  return typeof raw === 'object' ? 'an object' : `a ${typeof raw}`;
}

/** Parses one setting's raw value with its kind. @throws {ConfigError} as readValue. */
export function readSetting<K extends SettingName>(name: K, raw: unknown, origin: Origin): SettingValues[K] {
  return readValue(SETTINGS[name].kind, raw, origin);
}

/**
 * Parses a raw value with `kind`.
 * @throws {ConfigError} naming `origin.field` (and, from JSON, the value's type), never the
 *   value: a secret put in the wrong setting must not reach a terminal or a log.
 */
export function readValue<T>(kind: Kind<T>, raw: unknown, origin: Origin): T {
  try {
    return origin.form === 'text' ? kind.fromText(String(raw), origin.baseDir) : kind.fromJson(raw, origin.baseDir);
  } catch (err) {
    if (!(err instanceof BadValue)) throw err;
    const shown = origin.form === 'json' && !kind.secret ? `the value (${jsonType(raw)})` : 'the value';
    throw new ConfigError(origin.field, `${origin.field}: ${shown} ${err.message}${origin.suffix ?? ''}`);
  }
}
