/**
 * `plugins.kafka-proxy.allowed_origins`: which web pages may open a route's WebSocket from a
 * visitor's browser. A browser sends the page's origin with every WebSocket upgrade and lets any
 * page open a socket to any host, with the visitor's cookies: without this check a page on any
 * site could read the route's topics as the visitor (cross-site WebSocket hijacking). APISIX does
 * not check; absent, every origin is allowed so APISIX setups keep working (docs/security.md
 * recommends setting it on every browser-facing route).
 *
 * Entries: an exact origin (`https://app.example.com`, `http://localhost:8080`), a subdomain
 * pattern (`https://*.example.com`: any subdomain, not example.com itself), a pattern without a
 * scheme (`*.example.com`: https only), or `*` (any origin). A request without an Origin header
 * does not come from a browser page and is not affected.
 */
import { fail, fieldPath, string, typeName } from '../routes/check.js';

/** Whether an upgrade with this Origin header (undefined when absent) may proceed. */
export type OriginCheck = (origin: string | undefined) => boolean;

const SCHEME_HOST = /^(https?):\/\/([a-z0-9.-]+)(?::(\d{1,5}))?$/;
const WILD_HOST = /^\*\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/;

export const anyOrigin: OriginCheck = () => true;

/** Validates the list at `field` and compiles it (undefined: every origin allowed). */
export function compileOrigins(v: unknown, field: string): OriginCheck {
  if (v === undefined) return anyOrigin;
  if (!Array.isArray(v)) fail(field, `expected array, got ${typeName(v)}`);
  if (v.length === 0) fail(field, 'must not be empty (leave it out to allow every origin)');
  const exact = new Set<string>();
  const suffixes: Array<{ scheme: string; suffix: string; port: string }> = [];
  let any = false;
  v.forEach((item, i) => {
    const at = fieldPath(field, i);
    const s = string(item, at, { min: 1, max: 300 }).toLowerCase();
    if (s === '*') {
      any = true;
      return;
    }
    const withScheme = s.includes('://') ? s : `https://${s}`;
    const wild = /^(https?):\/\/\*\.(.*)$/.exec(withScheme);
    if (wild !== null) {
      const m = SCHEME_HOST.exec(`${wild[1]!}://${wild[2]!}`);
      if (m === null || WILD_HOST.exec(`*.${m[2]!}`) === null) fail(at, 'a pattern needs a domain after *. (e.g. https://*.example.com)');
      suffixes.push({ scheme: m[1]!, suffix: `.${m[2]!}`, port: m[3] ?? '' });
      return;
    }
    const m = SCHEME_HOST.exec(withScheme);
    if (m === null) fail(at, 'expected an origin such as https://app.example.com, https://*.example.com or *.example.com');
    exact.add(`${m[1]!}://${m[2]!}${m[3] !== undefined ? `:${m[3]}` : ''}`);
  });
  if (any) return anyOrigin;
  return (origin) => {
    if (origin === undefined) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    const m = SCHEME_HOST.exec(o);
    if (m === null) return false;
    const [, scheme, host, port] = m;
    return suffixes.some((x) => x.scheme === scheme && (port ?? '') === x.port && host!.endsWith(x.suffix) && host!.length > x.suffix.length);
  };
}
