/**
 * Demo-only tokens: `npm run demo -- --auth` mints short-lived HS256 tokens for whatever name the
 * page sends, so the page can show `connect(url, { token })` without an identity provider. This
 * is no identity provider: anyone who can reach the endpoint gets a token for any name. It is
 * served only when an embedding program passes `demoTokens` with `demo: true` (there is no
 * setting for it), only to loopback addresses, and only to a same-origin JSON POST; the demo
 * listens on 127.0.0.1. The secret is random per process and never leaves it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

export const DEMO_TOKEN_PATH = '/demo/token';
export const DEMO_ISSUER = 'kafka-ws-proxy-demo';
const DEFAULT_TTL_MS = 5 * 60_000;
/** A name is a subject a topic rule can hold (`demo.{sub}`): topic name characters. */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_BODY_BYTES = 1024;

export interface DemoTokens {
  /** `plugins.kafka-proxy.auth` of a route whose tokens come from here. */
  readonly auth: Record<string, unknown>;
  readonly ttlMs: number;
  /** A token for subject `name`, valid for `ttlMs` from `nowMs`. */
  mint(name: string, nowMs?: number): { token: string; expiresAtMs: number };
}

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** A random HS256 secret and tokens signed with it; `ttlMs` (default 5 minutes, at least 2 s). */
export function createDemoTokens(options: { ttlMs?: number } = {}): DemoTokens {
  const ttlMs = Math.max(2000, options.ttlMs ?? DEFAULT_TTL_MS);
  const secret = randomBytes(32).toString('base64url');
  return {
    auth: { jwt: { keys: [{ kid: 'demo', alg: 'HS256', secret }], issuer: DEMO_ISSUER, audience: DEMO_ISSUER } },
    ttlMs,
    mint(name, nowMs = Date.now()) {
      const exp = Math.floor((nowMs + ttlMs) / 1000);
      const input = `${b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'demo' }))}.${b64u(JSON.stringify({ iss: DEMO_ISSUER, aud: DEMO_ISSUER, sub: name, iat: Math.floor(nowMs / 1000), exp }))}`;
      return { token: `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, expiresAtMs: exp * 1000 };
    },
  };
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** POST /demo/token `{"name": "alice"}` → `{"token", "expires_at_ms"}`. */
export async function serveDemoToken(req: IncomingMessage, res: ServerResponse, tokens: DemoTokens): Promise<void> {
  if (req.method !== 'POST') return reply(res, 405, { error_msg: 'method not allowed' }, { allow: 'POST' });
  if (!isLoopback(req.socket.remoteAddress)) return reply(res, 403, { error_msg: 'demo tokens are served to this machine only' });
  const origin = req.headers.origin;
  // A page of another site cannot read the answer anyway; it does not get a token minted either.
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}` && origin !== `https://${req.headers.host ?? ''}`) {
    return reply(res, 403, { error_msg: 'demo tokens are served to the demo page only' });
  }
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return reply(res, 415, { error_msg: 'send {"name": "..."} as application/json' });
  const text = await readBody(req);
  let name: unknown;
  try {
    name = text === undefined ? undefined : (JSON.parse(text) as { name?: unknown }).name;
  } catch {
    name = undefined;
  }
  if (typeof name !== 'string' || !NAME.test(name)) return reply(res, 400, { error_msg: 'name: 1 to 64 of A-Z a-z 0-9 . _ -' });
  const { token, expiresAtMs } = tokens.mint(name);
  reply(res, 200, { token, expires_at_ms: expiresAtMs });
}
