/**
 * JSON from people who may be hostile: admin request bodies and the config file. JSON.parse
 * makes a key "__proto__" an own property, harmless until code copies it with `obj[key] = v`,
 * which then sets a prototype instead (or, one level down, writes into Object.prototype for the
 * whole process). Rather than trust every later copy to be careful, such keys never get in.
 */
import { JsonInputError } from './errors.js';

/** Keys that lead from an object to a prototype through `obj[key]`: refused in JSON input and in paths. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/**
 * JSON.parse, refusing any object key in PROTOTYPE_KEYS at any depth.
 * @throws {JsonInputError} (reason `key`) naming the key; SyntaxError for text that is not JSON.
 */
export function parseJsonInput(text: string): unknown {
  const value: unknown = JSON.parse(text);
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
