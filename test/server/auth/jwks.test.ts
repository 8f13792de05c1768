import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createVerifier, TokenError, type JwksEvent, type JwtVerifier } from '../../../src/server/auth/index.js';
import { b64u, claims, config, makeKeys, NOW_MS, signJwt } from './support.js';

const keys = makeKeys();
const jwk = (pub: Record<string, unknown>, extra: Record<string, unknown>) => ({ ...pub, ...extra });
const A = jwk(keys.rsa.jwk, { kid: 'a', use: 'sig' });
const B = jwk(keys.rsa2.jwk, { kid: 'b', alg: 'RS256' });
const tokenA = (extra: Record<string, unknown> = {}) => signJwt('RS256', keys.rsa.privateKey, claims(), { kid: 'a', ...extra });
const tokenB = () => signJwt('RS256', keys.rsa2.privateKey, claims(), { kid: 'b' });

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A JWKS endpoint on 127.0.0.1 whose answer a test changes; counts requests. */
class JwksServer {
  readonly server: Server;
  requests = 0;
  handler: Handler = (_req, res) => this.json({ keys: [A] }, res);

  constructor() {
    this.server = createServer((req, res) => {
      this.requests++;
      this.handler(req, res);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  json(body: unknown, res: ServerResponse, headers: Record<string, string> = {}): void {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  serve(body: unknown, headers: Record<string, string> = {}): void {
    this.handler = (_req, res) => this.json(body, res, headers);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const servers: JwksServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function endpoint(): Promise<{ server: JwksServer; url: string }> {
  const server = new JwksServer();
  servers.push(server);
  return { server, url: await server.start() };
}

/** A verifier on `url` with a 10 s rate limit and a 60 s refresh, and its JWKS events. */
function verifierOn(url: string, extra: Record<string, unknown> = {}): { v: JwtVerifier; events: JwksEvent[]; next: () => Promise<JwksEvent> } {
  const events: JwksEvent[] = [];
  let waiting: ((e: JwksEvent) => void) | undefined;
  const v = createVerifier(config({ jwks_url: url, jwks_allow_http: true, jwks_min_refresh_ms: 10_000, jwks_refresh_ms: 60_000, ...extra }), {
    onJwksEvent: (e) => {
      events.push(e);
      waiting?.(e);
      waiting = undefined;
    },
  });
  return { v, events, next: () => new Promise((r) => { waiting = r; }) };
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof TokenError, String(e));
    return e.reason;
  }
}

test('rotation: the new kid verifies after a reload; the rate limit holds; the old kid stops verifying', async () => {
  const { server, url } = await endpoint();
  const { v } = verifierOn(url);
  assert.equal((await v.verify(tokenA(), NOW_MS)).subject, 'alice');
  assert.equal((await v.verify(tokenA(), NOW_MS + 5_000)).subject, 'alice');
  assert.equal(server.requests, 1, 'loaded once, then cached');

  server.serve({ keys: [B] }); // rotation: a removed, b added
  assert.equal(await reason(v.verify(tokenB(), NOW_MS + 5_000)), 'unknown_kid', 'within 10 s of the last load: no reload');
  assert.equal(server.requests, 1);
  assert.equal((await v.verify(tokenB(), NOW_MS + 10_000)).subject, 'alice', 'the unknown kid reloads the set');
  assert.equal(server.requests, 2);
  assert.equal(await reason(v.verify(tokenA(), NOW_MS + 10_001)), 'unknown_kid', 'kid a is gone');
  assert.equal(server.requests, 2, 'and did not reload again');

  // A flood of made-up kids: one request per rate-limit window, shared by concurrent tokens.
  const flood = Array.from({ length: 200 }, (_, i) => v.verify(tokenA({ kid: `made-up-${i}` }), NOW_MS + 20_000 + i));
  assert.deepEqual(new Set(await Promise.all(flood.map(reason))), new Set(['unknown_kid']));
  assert.equal(server.requests, 3);
  for (let t = 0; t < 60_000; t += 1_000) await reason(v.verify(tokenA({ kid: `x${t}` }), NOW_MS + 21_000 + t));
  assert.ok(server.requests <= 3 + 6, `at most one reload per 10 s: ${server.requests - 3} in 60 s`);
  assert.ok(server.requests >= 3 + 5, `reloads do happen: ${server.requests - 3}`);
});

test('many concurrent verifies on a cold cache make one request', async () => {
  const { server, url } = await endpoint();
  const { v } = verifierOn(url);
  const all = await Promise.all(Array.from({ length: 50 }, () => v.verify(tokenA(), NOW_MS)));
  assert.equal(all.length, 50);
  assert.equal(server.requests, 1);
});

test('expiry: after jwks_refresh_ms a verify reloads in the background and answers from the set it has', async () => {
  const { server, url } = await endpoint();
  const { v, next } = verifierOn(url);
  await v.verify(tokenA(), NOW_MS);
  server.serve({ keys: [B] });
  const reloaded = next();
  assert.equal((await v.verify(tokenA(), NOW_MS + 60_000)).subject, 'alice', 'the old set answers while the reload runs');
  assert.deepEqual(await reloaded, { type: 'loaded', keys: 1, skipped: [] });
  assert.equal(server.requests, 2);
  assert.equal((await v.verify(tokenB(), NOW_MS + 60_001)).subject, 'alice');
  assert.equal(await reason(v.verify(tokenA(), NOW_MS + 60_002)), 'unknown_kid');
});

test('Cache-Control: max-age is honoured between jwks_min_refresh_ms and jwks_refresh_ms; no-store means the minimum', async () => {
  const cases: [string, number][] = [['max-age=20', 20_000], ['public, max-age=1', 10_000], ['max-age=99999', 60_000], ['no-store', 10_000], ['no-cache, max-age=50', 10_000], ['private', 60_000]];
  for (const [header, ttl] of cases) {
    const { server, url } = await endpoint();
    server.serve({ keys: [A] }, { 'cache-control': header });
    const { v, next } = verifierOn(url);
    await v.verify(tokenA(), NOW_MS);
    await v.verify(tokenA(), NOW_MS + ttl - 1);
    assert.equal(server.requests, 1, `${header}: still fresh at ${ttl - 1} ms`);
    const reloaded = next();
    await v.verify(tokenA(), NOW_MS + ttl);
    await reloaded;
    assert.equal(server.requests, 2, `${header}: reloaded at ${ttl} ms`);
  }
});

test('never loaded: jwks_unavailable saying why, retried no more often than jwks_min_refresh_ms', async () => {
  const { server, url } = await endpoint();
  server.handler = (_req, res) => {
    res.writeHead(503);
    res.end('down');
  };
  const { v, events } = verifierOn(url);
  const first = await v.verify(tokenA(), NOW_MS).catch((e: unknown) => e);
  assert.ok(first instanceof TokenError);
  assert.equal(first.reason, 'jwks_unavailable');
  assert.match(first.message, /HTTP 503/);
  assert.ok(!first.message.includes(url), 'the URL is not in the message');
  assert.equal(events[0]?.type, 'failed');
  assert.equal(events[0]?.type === 'failed' && events[0].keptKeys, 0);
  assert.equal(await reason(v.verify(tokenA(), NOW_MS + 9_999)), 'jwks_unavailable');
  assert.equal(await reason(v.verify(tokenA({ kid: 'other' }), NOW_MS + 9_999)), 'jwks_unavailable');
  assert.equal(server.requests, 1, 'no retry within the rate limit');
  await assert.rejects(v.ready(NOW_MS + 9_999), { reason: 'jwks_unavailable' });
  server.serve({ keys: [A] });
  assert.equal((await v.verify(tokenA(), NOW_MS + 10_000)).subject, 'alice', 'recovers once the source does');
  assert.equal(server.requests, 2);
});

test('a failed reload keeps the last good set; an unknown kid is then unknown_kid, not jwks_unavailable', async () => {
  const { server, url } = await endpoint();
  const { v, next } = verifierOn(url);
  await v.ready(NOW_MS);
  assert.equal(server.requests, 1);
  server.handler = (req) => req.socket.destroy();
  const failed = next();
  await v.verify(tokenA(), NOW_MS + 60_000);
  const e = await failed;
  assert.equal(e.type, 'failed');
  assert.ok(e.type === 'failed' && e.keptKeys === 1 && /fetching the JWKS failed/.test(e.error.message), e.type === 'failed' ? e.error.message : '');
  assert.equal((await v.verify(tokenA(), NOW_MS + 60_001)).subject, 'alice');
  assert.equal(await reason(v.verify(tokenB(), NOW_MS + 70_000)), 'unknown_kid');
  assert.equal(server.requests, 3, 'the unknown kid tried once more, after the rate limit');
  // Not JSON, or no keys array: the same.
  for (const body of ['<html>', '{"keys":{}}', '[]', 'null']) {
    server.handler = (_req, res) => res.end(body);
    await v.verify(tokenB(), NOW_MS + 80_000 + server.requests * 10_000).catch(() => undefined);
    assert.equal((await v.verify(tokenA(), NOW_MS + 80_001 + server.requests * 10_000)).subject, 'alice', body);
  }
});

test('fetch failures: refused connection, timeout, redirect, oversize, too many keys', async () => {
  const check = async (url: string, pattern: RegExp, extra: Record<string, unknown> = {}) => {
    const { v } = verifierOn(url, extra);
    const e = await v.verify(tokenA(), NOW_MS).catch((x: unknown) => x);
    assert.ok(e instanceof TokenError && e.reason === 'jwks_unavailable', String(e));
    assert.match(e.message, pattern);
  };
  const closed = await endpoint();
  await closed.server.close();
  await check(closed.url, /ECONNREFUSED/);

  const { server, url } = await endpoint();
  server.handler = () => undefined; // never answers
  const started = Date.now();
  await check(url, /within 200 ms/, { jwks_timeout_ms: 200 });
  assert.ok(Date.now() - started < 2_000);
  server.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"keys":['); // headers, then a body that never ends
  };
  await check(url, /within 200 ms/, { jwks_timeout_ms: 200 });
  server.handler = (_req, res) => {
    res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
    res.end();
  };
  await check(url, /HTTP 302 \(a redirect/);
  const big = `{"keys":[],"pad":"${'x'.repeat(1024 * 1024)}"}`;
  server.handler = (_req, res) => res.end(big);
  await check(url, /larger than 1048576 bytes/);
  server.handler = (_req, res) => {
    res.writeHead(200); // chunked, no content-length
    for (let i = 0; i < 20; i++) res.write('x'.repeat(64 * 1024));
    res.end();
  };
  await check(url, /larger than 1048576 bytes/);
  server.serve({ keys: Array.from({ length: 101 }, (_, i) => ({ ...A, kid: `k${i}` })) });
  await check(url, /more than 100 keys/);
});

test('unusable JWKS keys are skipped and named; the others serve', async () => {
  const { server, url } = await endpoint();
  const privateJwk = keys.p256.privateKey.export({ format: 'jwk' });
  server.serve({
    keys: [
      A,
      { ...keys.rsa2.jwk, kid: 'enc', use: 'enc' },
      { kty: 'oct', kid: 'sec', k: b64u(Buffer.alloc(32, 1)) },
      { ...keys.p256.jwk, kid: 7 },
      { ...privateJwk, kid: 'priv' },
      { ...keys.rsa2.jwk, kid: 'conf', alg: 'HS256' },
      { ...keys.rsa2.jwk, kid: 'odd', alg: 'RSA-OAEP-256' },
      { kty: 'EC', crv: 'P-521', x: 'AA', y: 'AA', kid: 'p521' },
      'not a key',
      { ...keys.p256.jwk, kid: 'ec' },
    ],
  });
  const { v, events } = verifierOn(url);
  await v.ready(NOW_MS);
  assert.deepEqual(events, [{
    type: 'loaded',
    keys: 2,
    skipped: [
      'keys[1] has a use other than "sig"',
      'keys[2] is a secret (kty oct), accepted only from a JWKS file',
      'keys[3] has a kid that is not a string',
      'keys[4] is a private key; give the public key',
      'keys[5] HS256 cannot be verified with an RSA key',
      'keys[6] has an alg this verifier does not support',
      'keys[7] is not a valid public JWK',
      'keys[8] is not an object',
    ],
  }]);
  assert.equal((await v.verify(signJwt('ES256', keys.p256.privateKey, claims(), { kid: 'ec' }), NOW_MS)).subject, 'alice');
  // The HS256-on-RSA entry is not there: a token forged with the RSA key as secret finds no key.
  const forged = signJwt('HS256', Buffer.from(keys.rsa2.pem), claims(), { kid: 'conf' });
  assert.equal(await reason(v.verify(forged, NOW_MS + 10_000)), 'unknown_kid');
  assert.equal(await reason(v.verify(signJwt('HS256', Buffer.alloc(32, 1), claims(), { kid: 'sec' }), NOW_MS + 20_000)), 'unknown_kid', 'no secrets from a URL');
});

test('JWKS allow-lists: a key\'s own alg, else its family, narrowed by jwks_algs; HS never on a JWKS RSA key', async () => {
  const { server, url } = await endpoint();
  server.serve({ keys: [A, B] }); // A without alg, B with alg RS256
  const { v } = verifierOn(url);
  assert.equal((await v.verify(signJwt('PS256', keys.rsa.privateKey, claims(), { kid: 'a' }), NOW_MS)).subject, 'alice', 'A allows the RSA family');
  assert.equal(await reason(v.verify(signJwt('PS256', keys.rsa2.privateKey, claims(), { kid: 'b' }), NOW_MS)), 'alg_not_allowed', 'B only RS256');
  assert.equal(await reason(v.verify(signJwt('HS256', Buffer.from(keys.rsa.pem), claims(), { kid: 'a' }), NOW_MS)), 'alg_not_allowed');
  assert.equal(await reason(v.verify(signJwt('HS256', Buffer.from(keys.rsa.pem), claims()), NOW_MS)), 'alg_not_allowed', 'without kid too');
  const narrow = verifierOn(url, { jwks_algs: ['PS256'] }).v;
  assert.equal((await narrow.verify(signJwt('PS256', keys.rsa.privateKey, claims(), { kid: 'a' }), NOW_MS)).subject, 'alice');
  assert.equal(await reason(narrow.verify(tokenA(), NOW_MS)), 'alg_not_allowed');
  assert.equal(await reason(narrow.verify(tokenB(), NOW_MS)), 'unknown_kid', 'B (RS256 only) is skipped');
});

test('route keys beside a JWKS: used without it, and unaffected when it is down', async () => {
  const { server, url } = await endpoint();
  server.handler = (_req, res) => {
    res.writeHead(500);
    res.end();
  };
  const { v } = verifierOn(url, { keys: [{ kid: 'route', alg: 'ES256', pem: keys.p256.pem }] });
  assert.equal((await v.verify(signJwt('ES256', keys.p256.privateKey, claims(), { kid: 'route' }), NOW_MS)).subject, 'alice');
  assert.equal(server.requests, 0, 'a route kid does not touch the JWKS');
  assert.equal((await v.verify(signJwt('ES256', keys.p256.privateKey, claims()), NOW_MS)).subject, 'alice', 'no kid: the route key, the JWKS being down');
  assert.equal(await reason(v.verify(tokenA(), NOW_MS)), 'jwks_unavailable', 'a JWKS kid needs the JWKS');
  assert.equal(await reason(v.verify(tokenA({ kid: undefined }), NOW_MS + 10_000)), 'jwks_unavailable', 'no route key allows RS256');
});

test('a JWKS file: read on first use, reread for an unknown kid, last good set kept when it goes away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-jwks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'jwks.json');
  const events: JwksEvent[] = [];
  const v = createVerifier(config({ jwks_file: path, jwks_min_refresh_ms: 10_000, jwks_refresh_ms: 60_000 }), { onJwksEvent: (e) => events.push(e) });
  const missing = await v.verify(tokenA(), NOW_MS).catch((e: unknown) => e);
  assert.ok(missing instanceof TokenError && missing.reason === 'jwks_unavailable' && /ENOENT/.test(missing.message), String(missing));
  assert.ok(!missing.message.includes(dir), 'the path is not in the message');
  writeFileSync(path, JSON.stringify({ keys: [A, { kty: 'oct', kid: 'hs', k: b64u(Buffer.alloc(48, 2)) }] }));
  assert.equal(await reason(v.verify(tokenA(), NOW_MS + 5_000)), 'jwks_unavailable', 'rate limit after the failure');
  assert.equal((await v.verify(tokenA(), NOW_MS + 10_000)).subject, 'alice');
  const hs = signJwt('HS384', Buffer.alloc(48, 2), claims(), { kid: 'hs' });
  assert.equal((await v.verify(hs, NOW_MS + 10_000)).subject, 'alice', 'a file may hold secrets');
  assert.equal(await reason(v.verify(signJwt('HS512', Buffer.alloc(48, 2), claims(), { kid: 'hs' }), NOW_MS + 10_000)), 'alg_not_allowed', 'a 48-byte secret is too short for HS512');
  writeFileSync(path, JSON.stringify({ keys: [B] }));
  assert.equal((await v.verify(tokenB(), NOW_MS + 20_000)).subject, 'alice');
  rmSync(path);
  assert.equal(await reason(v.verify(tokenA(), NOW_MS + 30_000)), 'unknown_kid');
  assert.equal((await v.verify(tokenB(), NOW_MS + 30_001)).subject, 'alice', 'kept');
  assert.deepEqual(events.map((e) => e.type), ['failed', 'loaded', 'loaded', 'failed']);
  const big = join(dir, 'big.json');
  writeFileSync(big, 'x'.repeat(1024 * 1024 + 1));
  const bigV = createVerifier(config({ jwks_file: big }));
  await assert.rejects(bigV.ready(NOW_MS), { reason: 'jwks_unavailable', message: /larger than 1048576 bytes/ });
  await assert.rejects(createVerifier(config({ jwks_file: dir })).ready(NOW_MS), { reason: 'jwks_unavailable', message: /not a regular file|EISDIR/ });
});

test('a JWKS listener that throws does not undo the load', async () => {
  const { url } = await endpoint();
  const v = createVerifier(config({ jwks_url: url, jwks_allow_http: true }), {
    onJwksEvent: () => {
      throw new Error('listener bug');
    },
  });
  assert.equal((await v.verify(tokenA(), NOW_MS)).subject, 'alice');
});
