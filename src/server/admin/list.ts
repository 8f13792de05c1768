/**
 * GET /apisix/admin/routes in APISIX 3's shape (apisix/admin/v3_adapter.lua): `{"total", "list"}`
 * with `name` and `uri` (regular expressions, found anywhere in the value as ngx.re.find does) and
 * `label` (a label key) filters, and `page` + `page_size` (10 to 500) paging ordered by
 * createdIndex. `total` counts the filtered routes. The expressions run on our linear-time matcher
 * (pattern.ts), never on RegExp: a pattern must not be able to stall the event loop.
 */
import type { StoredRoute } from '../routes/store.js';
import { compilePattern, type Pattern } from './pattern.js';

export interface ListReply {
  status: number;
  body: unknown;
}

export function listReply(entries: StoredRoute[], query: URLSearchParams): ListReply {
  let items = entries;
  for (const field of ['name', 'uri'] as const) {
    const pattern = query.get(field);
    if (pattern === null) continue;
    const compiled = compilePattern(pattern);
    if (!compiled.ok) return { status: 400, body: { error_msg: `invalid argument ${field}: ${compiled.error}` } };
    const re: Pattern = compiled.pattern;
    items = items.filter((e) => {
      const v = e.route.value[field];
      return typeof v === 'string' && re.test(v);
    });
  }
  const label = query.get('label');
  if (label !== null) {
    items = items.filter((e) => {
      const labels = e.route.value['labels'];
      return typeof labels === 'object' && labels !== null && Object.hasOwn(labels, label);
    });
  }
  const total = items.length;
  const page = numberArg(query.get('page'));
  const pageSize = numberArg(query.get('page_size'));
  // Like APISIX, paging applies only when both arguments are numbers.
  if (!Number.isNaN(page) && !Number.isNaN(pageSize)) {
    if (pageSize < 10 || pageSize > 500) return { status: 400, body: { error_msg: 'page_size must be between 10 and 500' } };
    const from = (Math.max(1, Math.floor(page)) - 1) * Math.floor(pageSize);
    items = [...items].sort((a, b) => a.createdIndex - b.createdIndex).slice(from, from + Math.floor(pageSize));
  }
  return { status: 200, body: { total, list: items.map(listItem) } };
}

export function keyOf(id: string): string {
  return `/apisix/routes/${id}`;
}

/** One route as APISIX 3 shows it in a list or a single GET. */
export function listItem(e: StoredRoute): { key: string; value: unknown; createdIndex: number; modifiedIndex: number } {
  return { key: keyOf(e.route.id), value: e.route.value, createdIndex: e.createdIndex, modifiedIndex: e.modifiedIndex };
}

/** Lua's tonumber: NaN for a missing or non-numeric argument. */
function numberArg(s: string | null): number {
  return s === null || s.trim() === '' ? NaN : Number(s);
}
