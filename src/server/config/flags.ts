import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { pathKind } from './kinds.js';
import { readSetting, readValue } from './read-setting.js';
import { CONFIG_FLAG, SETTING_NAMES, SETTINGS, type SettingName, type SettingValues } from './settings.js';

type OptionSpec = { type: 'string' } | { type: 'boolean'; short?: string };

/** The parseArgs options of `start`: every setting, --config, and --help (-h). */
export const START_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  [CONFIG_FLAG]: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(SETTING_NAMES.map((n) => [SETTINGS[n].flag, SETTINGS[n].kind.bare ? { type: 'boolean' } as const : { type: 'string' } as const])),
};

export interface FlagValues {
  values: Partial<SettingValues>;
  /** Absolute path given with --config. */
  configFile?: string;
}

/**
 * True when argv asks for help (`--help` or `-h` before a `--`). Checked before anything else,
 * so `start --help` works whatever else is on the line.
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Reads the flags of `start`: `--name value` or `--name=value`, each at most once.
 * @throws {ConfigError} for an unknown flag, a flag without its value, a repeated flag, a
 *   positional argument, or a bad value; `field` is the flag as written (e.g. `--port`).
 */
export function readFlags(argv: readonly string[], cwd: string): FlagValues {
  const parsed = parse(argv);
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new ConfigError(`--${token.name}`, `--${token.name} is given more than once`);
    seen.add(token.name);
  }
  const values: Partial<SettingValues> = {};
  const raw = parsed.values as Record<string, unknown>;
  for (const name of SETTING_NAMES) set(values, name, raw[SETTINGS[name].flag], cwd);
  const config = raw[CONFIG_FLAG];
  if (typeof config !== 'string') return { values };
  return { values, configFile: readValue(pathKind, config, { field: `--${CONFIG_FLAG}`, form: 'text', baseDir: cwd }) };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: START_OPTIONS, strict: true, tokens: true, allowPositionals: false });
  } catch (err) {
    throw parseError(err, argv);
  }
}

function set<K extends SettingName>(out: Partial<SettingValues>, name: K, raw: unknown, cwd: string): void {
  if (raw === undefined) return;
  out[name] = readSetting(name, raw, { field: `--${SETTINGS[name].flag}`, form: 'text', baseDir: cwd });
}

/**
 * parseArgs's own messages are good but its errors name no field, and one (an unexpected
 * positional) echoes the argument, which could be half of a secret split by the shell; we name
 * the flag, or the position of a stray argument, and keep messages short.
 */
function parseError(err: unknown, argv: readonly string[]): ConfigError {
  const e = err as { code?: unknown; message?: unknown };
  const message = String(e.message ?? err).split('\n')[0] ?? '';
  const quoted = /'(-[^' ]*)/.exec(message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      // Named when it looks like an option; otherwise it may be a secret given where an option goes.
      if (quoted !== undefined && /^--?[A-Za-z][A-Za-z-]{0,63}$/.test(quoted)) {
        return new ConfigError(quoted, `unknown option ${quoted} (kafka-ws-proxy start --help lists them)`, { cause: err });
      }
      return new ConfigError('argv', 'unknown option (not shown: not a plain option name; kafka-ws-proxy start --help lists them)');
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted ?? 'option';
      // "--port -1": parseArgs will not take a value starting with a dash unless attached.
      if (/ambiguous/.test(message)) return new ConfigError(flag, `${flag} needs a value; write ${flag}=VALUE for one that starts with "-"`, { cause: err });
      // "--demo=false": a switch is on when given; leave it out (or use the variable) for off.
      // parseArgs names a switch with a short form as "-h, --help": name its long form.
      if (/does not take/.test(message)) {
        const long = /--[a-z][a-z-]*/.exec(message)?.[0] ?? flag;
        return new ConfigError(long, `${long} takes no value`, { cause: err });
      }
      return new ConfigError(flag, `${flag} needs a value`, { cause: err });
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const loose = parseArgs({ args: [...argv], options: START_OPTIONS, strict: false, tokens: true, allowPositionals: true });
      const at = loose.tokens.find((t) => t.kind === 'positional')?.index ?? 0;
      return new ConfigError('argv', `unexpected argument ${at + 1}: start takes only --options, each with its value`);
    }
    default:
      return new ConfigError('argv', message, { cause: err });
  }
}
