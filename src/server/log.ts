import { LOG_LEVELS, type LogLevel } from './log-levels.js';

export { LOG_LEVELS, type LogLevel } from './log-levels.js';

export type LogFields = Readonly<Record<string, unknown>>;
export type LogMethod = (msg: string, fields?: LogFields) => void;

export interface Logger {
  readonly level: LogLevel;
  /** Whether a message at `level` would be written; lets callers skip building costly fields. */
  isEnabled(level: LogLevel): boolean;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Receives each line without its newline; default: stdout. */
  write?: (line: string) => void;
}

/**
 * Field names whose values are never logged, at any depth: passwords (also `pwd`), SASL settings,
 * tokens, credentials, cookies, TLS material (`private…`, `…key`, `cert…`), the admin key (any name
 * ending in "key", so also a record's "key"), and `auth` in any form but "author". Values are
 * not inspected: messages that could carry a value are written not to (routes/check.ts).
 */
export const SECRET_FIELD = /pass(word)?|pwd|secret|token|key$|api[-_]?key|authorization|auth(?!or)|cert|sasl|credential|private|cookie|bearer|jwt/i;
export const REDACTED = '[redacted]';
/** Deeper values are cut, so one odd object cannot make a line of megabytes. */
const MAX_DEPTH = 8;
/** Top-level names a field may not take over; such fields are written as "_time" etc. */
const RESERVED = new Set(['time', 'level', 'msg']);

/**
 * A logger writing one JSON object per line: {"time": ISO 8601, "level", "msg", ...fields}.
 * Fields are made safe first: secret-named fields redacted, Errors as {name, code, message}
 * (with stack at level debug), bigints as strings, cycles cut. Logging never throws, also not
 * when `write` does.
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? stdoutWriter();
  const stacks = options.level === 'debug';
  const method = (level: LogLevel): LogMethod => {
    if (LOG_LEVELS.indexOf(level) < min) return () => undefined;
    return (msg, fields) => {
      try {
        write(formatLine(level, msg, fields, stacks));
      } catch {
        // A closed stdout must not take the proxy down with it.
      }
    };
  };
  return {
    level: options.level,
    isEnabled: (level) => LOG_LEVELS.indexOf(level) >= min,
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
  };
}

/** A logger that adds `fields` to every line (before the line's own), e.g. a worker process's number. */
export function withFields(logger: Logger, fields: LogFields): Logger {
  const wrap = (m: LogMethod): LogMethod => (msg, own) => m(msg, own === undefined ? fields : { ...fields, ...own });
  return {
    level: logger.level,
    isEnabled: (level) => logger.isEnabled(level),
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
  };
}

/** One log line, without the newline. Never throws. */
export function formatLine(level: LogLevel, msg: string, fields: LogFields | undefined, stacks: boolean): string {
  const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg: String(msg) };
  try {
    if (fields !== undefined && fields !== null) {
      const safe = clean(fields, 0, [], stacks);
      if (typeof safe === 'object' && safe !== null && !Array.isArray(safe)) {
        for (const [k, v] of Object.entries(safe)) put(line, RESERVED.has(k) ? `_${k}` : k, v);
      } else line._fields = safe;
    }
    return JSON.stringify(line);
  } catch (err) {
    return JSON.stringify({ time: line.time, level, msg: String(msg), _logError: String((err as { message?: unknown })?.message ?? 'unknown') });
  }
}

/** A JSON-safe copy of `value`. `ancestors` holds the objects above it, to cut cycles only. */
function clean(value: unknown, depth: number, ancestors: object[], stacks: boolean): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.includes(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.push(obj);
  try {
    return cleanObject(obj, depth + 1, ancestors, stacks);
  } catch {
    return '[unreadable]'; // a throwing getter, toJSON or Proxy trap
  } finally {
    ancestors.pop();
  }
}

function cleanObject(obj: object, depth: number, ancestors: object[], stacks: boolean): unknown {
  if (obj instanceof Error) {
    const code = (obj as { code?: unknown }).code;
    const out: Record<string, unknown> = { name: obj.name, code: typeof code === 'string' || typeof code === 'number' ? code : undefined, message: obj.message };
    if (stacks) out.stack = obj.stack;
    // Upper layers wrap lower errors; the cause is usually the informative part.
    if (obj.cause !== undefined) out.cause = clean(obj.cause, depth, ancestors, stacks);
    return out;
  }
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  // Record keys and values, frames: their bytes say nothing in a log line.
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
  if (Array.isArray(obj)) return obj.map((v) => clean(v, depth, ancestors, stacks) ?? null);
  if (obj instanceof Map) return entries([...obj].map(([k, v]) => [String(k), v]), depth, ancestors, stacks);
  if (obj instanceof Set) return [...obj].map((v) => clean(v, depth, ancestors, stacks) ?? null);
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return clean(toJSON.call(obj), depth, ancestors, stacks);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (SECRET_FIELD.test(k)) {
      put(out, k, REDACTED); // not even read: a getter could compute the secret
      continue;
    }
    let v: unknown;
    try {
      v = (obj as Record<string, unknown>)[k];
    } catch {
      v = '[unreadable]';
    }
    put(out, k, clean(v, depth, ancestors, stacks));
  }
  return out;
}

function entries(pairs: Array<[string, unknown]>, depth: number, ancestors: object[], stacks: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of pairs) put(out, k, SECRET_FIELD.test(k) ? REDACTED : clean(v, depth, ancestors, stacks));
  return out;
}

let stdoutGuarded = false;

/**
 * Lines to stdout. When stdout is a pipe whose reader has gone (a supervisor that died, `| head`),
 * writes fail with EPIPE, which Node reports as an 'error' event: without a listener that would
 * end the process on its next log line. Logs that cannot be written are dropped instead.
 */
function stdoutWriter(): (line: string) => void {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', () => {});
  }
  return (line) => void process.stdout.write(`${line}\n`);
}

/**
 * `out[k] = v` as an own property also when k is "__proto__" (an object parsed from JSON can
 * hold one), where assignment would replace out's prototype and drop the field from the line.
 */
function put(out: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}
