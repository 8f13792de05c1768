/**
 * Finds the token an upgrade request carries, in the places a route allows, in a fixed order:
 * the WebSocket subprotocol (what a browser page can set), `Authorization: Bearer`, a cookie,
 * the query string. The first place that has one wins.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenSources } from './route-auth.js';

/** The subprotocol a client offers next to its token, and the one the proxy answers with. */
export const PROTOCOL = 'kafka-ws-proxy';
/** A subprotocol carrying a token: `bearer.<token>` (JWS compact form is valid protocol text). */
export const TOKEN_PROTOCOL_PREFIX = 'bearer.';

export type TokenSourceName = 'protocol' | 'header' | 'cookie' | 'query';

export type FoundToken =
  | { token: string; source: TokenSourceName }
  | { problem: string }
  | undefined;

/**
 * The request's token; undefined when none of the allowed places has one; `problem` for a request
 * that cannot work (a token subprotocol offered without PROTOCOL, which the proxy must answer with).
 */
export function findToken(req: IncomingMessage, from: TokenSources): FoundToken {
  const offered = req.headers['sec-websocket-protocol'];
  if (from.protocol && offered !== undefined) {
    let token: string | undefined;
    let plain = false;
    for (const p of offered.split(',')) {
      const name = p.trim();
      if (name === PROTOCOL) plain = true;
      else if (name.startsWith(TOKEN_PROTOCOL_PREFIX) && token === undefined) token = name.slice(TOKEN_PROTOCOL_PREFIX.length);
    }
    if (token !== undefined) {
      // The proxy never echoes the token protocol, and a browser fails a handshake whose answer
      // names no protocol it offered: it must offer the plain one too.
      if (!plain) return { problem: `offer the ${PROTOCOL} subprotocol next to the token` };
      return { token, source: 'protocol' };
    }
  }
  if (from.header) {
    const h = req.headers.authorization;
    if (h !== undefined && /^bearer /i.test(h)) return { token: h.slice(7).trim(), source: 'header' };
  }
  if (from.cookie !== undefined) {
    const c = cookieValue(req.headers.cookie, from.cookie);
    if (c !== undefined) return { token: c, source: 'cookie' };
  }
  if (from.query !== undefined) {
    const q = queryValue(req.url, from.query);
    if (q !== undefined) return { token: q, source: 'query' };
  }
  return undefined;
}

/** RFC 6265 §5.4 cookie-string: `name=value` pairs separated by `;`. The first of that name wins. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let v = pair.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v === '' ? undefined : v;
  }
  return undefined;
}

function queryValue(url: string | undefined, name: string): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q === -1) return undefined;
  const v = new URLSearchParams(url.slice(q + 1)).get(name);
  return v === null || v === '' ? undefined : v;
}
