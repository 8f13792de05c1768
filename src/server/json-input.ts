/**
 * JSON from people who may be hostile: admin request bodies and the config file. JSON.parse
 * makes a key "__proto__" an own property, harmless until code copies it with `obj[key] = v`,
 * which then sets a prototype instead (or, one level down, writes into Object.prototype for the
 * whole process). Rather than trust every later copy to be careful, such keys never get in.
 * Nesting is bounded too, before parsing: V8's JSON.parse takes 100,000 levels, but everything
 * after it that walks a value recursively (structuredClone, the merge patch) overflows the stack.
 */
import { JsonInputError } from './errors.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';

/**
 * Deepest nesting of arrays and objects in an admin body (a valid route is 4 deep at most), and
 * of sub-path segments. Other input adds its own levels around a route (a route file 1, the
 * config file 2).
 */
export const MAX_JSON_DEPTH = 32;

/** Keys that lead from an object to a prototype through `obj[key]`: refused in JSON input and in paths. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/**
 * A key the user chose (an unknown field, a label, a node address, a config-file key) is named
 * in a message only when it looks like a field name: 1-64 letters, `_` and `-`, as every field
 * and plugin name of APISIX and every config key is, and typos of them (`uris`, `dataDir`) are.
 * No digits, spaces or other punctuation, which passwords nearly always have: a password pasted
 * as a key must not reach a reply or a log line. One of letters only would still be named; that
 * is the price of naming typos.
 */
export function isPlainName(key: string): boolean {
  return /^[A-Za-z_][A-Za-z_-]{0,63}$/.test(key);
}

/**
 * JSON.parse of text nested at most `maxDepth` levels, refusing any object key in PROTOTYPE_KEYS
 * at any depth.
 * @throws {JsonInputError} reason `depth` (checked first, with line and column), `syntax` with
 *   line and column but none of the text (V8's own message quotes it), or `key` naming the key.
 */
export function parseJsonInput(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  const deep = tooDeepAt(text, maxDepth);
  if (deep !== -1) {
    const { line, column } = lineColumn(text, deep);
    throw new JsonInputError('depth', `nested deeper than ${maxDepth} levels (at line ${line}, column ${column})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new JsonInputError('syntax', `not valid JSON: ${whereInvalid(text)}`);
  }
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) pending.push(item); // not push(...v): a long array would overflow the stack
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (isPrototypeKey(k)) throw new JsonInputError('key', `the key ${JSON.stringify(k)} is not allowed`);
      pending.push(child);
    }
  }
  return value;
}

/**
 * Offset of the bracket that opens level `limit + 1`, or -1. One pass, no recursion; brackets in
 * strings do not count. The text need not be valid JSON: JSON.parse judges that afterwards.
 */
function tooDeepAt(text: string, limit: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: up to the next quote that no backslash escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

const STRUCTURAL = new Set(['{', '}', '[', ']', ':', ',', '"']);

/** Where `text` stops being JSON, quoting at most one structural character of it. */
function whereInvalid(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === -1) return 'unexpected input';
  const { line, column } = lineColumn(text, offset);
  const c = text[offset];
  const what = c === undefined ? 'end of input' : STRUCTURAL.has(c) ? JSON.stringify(c) : 'character';
  return `unexpected ${what} at line ${line}, column ${column}`;
}
