/**
 * The admin key check. APISIX reads the key from the `api_key` query argument, then the
 * `X-API-KEY` header (apisix/admin/init.lua check_token). APISIX also reads a cookie; we do not,
 * because a browser sends cookies on its own, which would open the admin API to cross-site requests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type KeyCheck = 'ok' | 'missing apikey' | 'wrong apikey';

export function digestOf(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Compares digests, so neither the key's content nor its length leaks through timing. */
export function checkKey(req: IncomingMessage, query: URLSearchParams, expected: Buffer): KeyCheck {
  const header = req.headers['x-api-key'];
  const given = query.get('api_key') ?? (Array.isArray(header) ? header[0] : header);
  if (given === undefined || given === '') return 'missing apikey';
  return timingSafeEqual(digestOf(given), expected) ? 'ok' : 'wrong apikey';
}
