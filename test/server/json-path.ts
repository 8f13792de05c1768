/** Dotted-path access to JSON test bodies, so tests stay typed (`unknown`) without casts everywhere. */
export type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at `path` ("upstream.tls.verify", "list.0.key", "list.length"), or undefined. */
export function get(v: unknown, path: string): unknown {
  let cur = v;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k]; // arrays too: "0", "length"
  }
  return cur;
}

/** Sets the value at `path` in place, creating objects on the way; returns `obj`. */
export function set(obj: Json, path: string, value: unknown): Json {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[keys[keys.length - 1]!] = value;
  return obj;
}

/** Deletes the value at `path` in place; returns `obj`. */
export function unset(obj: Json, path: string): Json {
  const keys = path.split('.');
  const target = keys.length === 1 ? obj : get(obj, keys.slice(0, -1).join('.'));
  if (isObj(target)) delete target[keys[keys.length - 1]!];
  return obj;
}
