/**
 * PATCH semantics of APISIX's admin API. A whole-route PATCH is a JSON merge patch (RFC 7396):
 * objects merge recursively and `null` deletes a key. APISIX's own merge (core.table.merge)
 * also merges arrays index by index, because Lua tables are both; we replace arrays whole, as
 * RFC 7396 says, so a shorter `nodes` array really removes nodes.
 * A sub-path PATCH (`/routes/{id}/upstream/nodes`) replaces the value at that path, creating
 * missing objects on the way (core.table.patch).
 */
import { isPlainName, isPrototypeKey } from '../json-input.js';
import { fail, isObject, type JsonObject } from './check.js';

/**
 * Sets an own property. The admin API refuses prototype keys before they get here; this refuses
 * them again for other callers, because `node[k]` with k = "__proto__" is Object.prototype.
 */
function setKey(o: JsonObject, key: string, v: unknown): void {
  if (isPrototypeKey(key)) fail('', `the key ${JSON.stringify(key)} is not allowed`);
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Own properties only: an inherited one (a prototype, a built-in method) is absent. */
function own(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/**
 * `target` with `patch` applied; neither input is modified.
 * @throws RouteValidationError for a prototype key in `patch`.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setKey(out, k, mergePatch(own(out, k), v));
  }
  return out;
}

/**
 * `target` with the value at `path` (non-empty list of keys) replaced by `value`, or deleted when
 * `value` is null. Returns an error message instead when a step of the path is not an object.
 * @throws RouteValidationError for a prototype key in `path`.
 */
export function patchAtPath(target: JsonObject, path: readonly string[], value: unknown): JsonObject | string {
  const out = structuredClone(target);
  let node: JsonObject = out;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (own(node, k) === undefined) setKey(node, k, {});
    const next = own(node, k);
    if (!isObject(next)) {
      const prefix = path.slice(0, i + 1);
      // Sub-path segments are keys the user chose: named only when plain (isPlainName).
      return `invalid sub-path: ${prefix.every(isPlainName) ? `/${prefix.join('/')}` : `step ${i + 1}`} is not an object`;
    }
    node = next;
  }
  const last = path[path.length - 1]!;
  if (isPrototypeKey(last)) fail('', `the key ${JSON.stringify(last)} is not allowed`);
  if (value === null) delete node[last];
  else setKey(node, last, structuredClone(value));
  return out;
}
