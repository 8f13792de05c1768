import { isAbsolute, resolve } from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../log-levels.js';
import { parseCidr } from './cidr.js';

/**
 * Why a value was refused; the source that read it turns this into a ConfigError naming itself.
 * The message never quotes the value (read-setting.ts).
 */
export class BadValue extends Error {}

/**
 * How one kind of setting is read from text (a flag or an environment variable) and from JSON
 * (the config file). Both throw BadValue whose message completes "<field>: <value> ...".
 */
export interface Kind<T> {
  /** Placeholder in the help text, e.g. PORT. */
  readonly metavar: string;
  /** Never echoed in messages (the admin key). */
  readonly secret: boolean;
  /** A switch: given as a bare flag (`--demo`), never `--demo VALUE`; other sources take text or JSON as usual. */
  readonly bare?: true;
  /** `baseDir` resolves relative paths: the working directory, or the config file's directory. */
  fromText(text: string, baseDir: string): T;
  fromJson(value: unknown, baseDir: string): T;
}

function jsonString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new BadValue(`is not a string (${what})`);
  return value;
}

/** A host name or address to listen on: anything non-empty without spaces or control characters. */
export const hostKind: Kind<string> = {
  metavar: 'ADDRESS',
  secret: false,
  fromText(text) {
    if (!/^[\x21-\x7e]+$/.test(text)) throw new BadValue('is not a host name or address');
    return text;
  },
  fromJson(value) {
    return hostKind.fromText(jsonString(value, 'a host name or address'), '');
  },
};

/** A path, made absolute against `baseDir`. */
export const pathKind: Kind<string> = {
  metavar: 'DIR',
  secret: false,
  fromText(text, baseDir) {
    if (text === '' || text.includes('\0')) throw new BadValue('is not a path');
    return isAbsolute(text) ? resolve(text) : resolve(baseDir, text);
  },
  fromJson(value, baseDir) {
    return pathKind.fromText(jsonString(value, 'a path'), baseDir);
  },
};

/** An integer in [min, max]. Text must be plain decimal digits, so "9080abc", "1e3" and "0x50" fail. */
export function intKind(metavar: string, min: number, max: number, what: string): Kind<number> {
  const reason = `is not ${what} (an integer from ${min} to ${max})`;
  const check = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadValue(reason);
    return n;
  };
  return {
    metavar,
    secret: false,
    fromText(text) {
      if (!/^[0-9]{1,16}$/.test(text)) throw new BadValue(reason);
      return check(Number(text));
    },
    fromJson(value) {
      if (typeof value !== 'number') throw new BadValue(reason);
      return check(value);
    },
  };
}

export const portKind = intKind('PORT', 0, 65535, 'a port');

/** Shortest admin key we accept: 16 characters. The generated key has 64 (32 random bytes as hex). */
export const MIN_ADMIN_KEY_LENGTH = 16;

/**
 * The admin key, sent by clients in the X-API-KEY header as APISIX does, so it must be a valid
 * header value: printable ASCII without spaces.
 */
export const adminKeyKind: Kind<string> = {
  metavar: 'KEY',
  secret: true,
  fromText(text) {
    if (text.length < MIN_ADMIN_KEY_LENGTH) throw new BadValue(`is too short: an admin key needs at least ${MIN_ADMIN_KEY_LENGTH} characters`);
    if (!/^[\x21-\x7e]+$/.test(text)) throw new BadValue('may hold only printable ASCII characters without spaces');
    return text;
  },
  fromJson(value) {
    return adminKeyKind.fromText(jsonString(value, 'an admin key'), '');
  },
};

function checkCidrs(list: string[]): string[] {
  if (list.length === 0) throw new BadValue('is empty: give at least one CIDR (0.0.0.0/0,::/0 allows everyone)');
  for (const [i, c] of list.entries()) {
    if (parseCidr(c) === null) throw new BadValue(`has entry ${i + 1}, which is not a CIDR (like 10.0.0.0/8 or fd00::/8) or an IP address`);
  }
  return list;
}

/** A list of CIDRs: comma-separated in text, an array of strings in JSON. */
export const cidrsKind: Kind<string[]> = {
  metavar: 'CIDR[,CIDR...]',
  secret: false,
  fromText(text) {
    return checkCidrs(text === '' ? [] : text.split(',').map((s) => s.trim()));
  },
  fromJson(value) {
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new BadValue('is not an array of CIDR strings');
    return checkCidrs([...value]);
  },
};

/**
 * On or off. A bare flag turns it on; a variable takes 1/true/0/false (what container files and
 * shells usually write); the config file takes a JSON boolean.
 */
export const booleanKind: Kind<boolean> = {
  metavar: '',
  secret: false,
  bare: true,
  fromText(text) {
    const t = text.toLowerCase();
    if (t === '1' || t === 'true') return true;
    if (t === '0' || t === 'false') return false;
    throw new BadValue('is not a boolean (1, true, 0 or false)');
  },
  fromJson(value) {
    if (typeof value !== 'boolean') throw new BadValue('is not a boolean (true or false)');
    return value;
  },
};

export const logLevelKind: Kind<LogLevel> = {
  metavar: 'LEVEL',
  secret: false,
  fromText(text) {
    const level = LOG_LEVELS.find((l) => l === text);
    if (level === undefined) throw new BadValue(`is not a log level (${LOG_LEVELS.join(', ')})`);
    return level;
  },
  fromJson(value) {
    return logLevelKind.fromText(jsonString(value, `one of ${LOG_LEVELS.join(', ')}`), '');
  },
};
