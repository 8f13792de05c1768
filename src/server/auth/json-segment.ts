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
  return nullPrototype(value, 0) as JsonRecord | undefined;
}

/** A copy of objects with a null prototype (arrays, fresh from JSON.parse, are reused); undefined when refused. */
function nullPrototype(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'object' || item === null) continue;
      const copy = nullPrototype(item, depth + 1);
      if (copy === undefined) return undefined;
      value[i] = copy;
    }
    return value;
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return undefined;
    const v: unknown = (value as Record<string, unknown>)[key];
    const copy = typeof v === 'object' && v !== null ? nullPrototype(v, depth + 1) : v;
    if (copy === undefined) return undefined;
    out[key] = copy;
  }
  return out;
}
