/**
 * A JWS header or payload: UTF-8 JSON text of an object (RFC 7515 §4, RFC 7519 §7.2). The result
 * and every object in it have a null prototype, and a key `__proto__` anywhere refuses the whole
 * segment: claims are attacker-chosen up to the signature and often copied on (into logs, a
 * session), and a copy by assignment would turn such a key into a prototype (json-input.ts has
 * the same rule for admin input).
 */

/** An object parsed from a token: no prototype, so `claims.toString` is just a missing claim. */
export type JsonRecord = { readonly [key: string]: unknown };

/** Deeper nesting than any real claim set; bounds the copy's recursion. */
const MAX_DEPTH = 32;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The segment as a null-prototype object, or undefined when it is not UTF-8 JSON of an object. */
export function parseJsonObject(bytes: Buffer): JsonRecord | undefined {
  let value: unknown;
  try {
    // fatal: invalid UTF-8 is refused, not replaced; ignoreBOM keeps a BOM, which JSON.parse refuses.
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return withoutPrototypes(value, 0) ? (value as JsonRecord) : undefined;
}

/**
 * Gives every object in `value` (fresh from JSON.parse, so ours to change) a null prototype, in
 * place: no copy, no garbage. False when an object has a key `__proto__` (JSON.parse makes it an
 * own property) or nesting goes past MAX_DEPTH.
 */
function withoutPrototypes(value: object, depth: number): boolean {
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      if (typeof item === 'object' && item !== null && !withoutPrototypes(item, depth + 1)) return false;
    }
    return true;
  }
  if (Object.hasOwn(value, '__proto__')) return false;
  Object.setPrototypeOf(value, null);
  // for-in sees own keys only now that there is no prototype.
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null && !withoutPrototypes(v, depth + 1)) return false;
  }
  return true;
}
