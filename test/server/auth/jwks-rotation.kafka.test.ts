import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, ensureTopic, type BrokerInfo } from '../../harness/kafka.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../../support/proxy-fixture.js';
import { SubscribeClient } from '../../support/subscribe-client.js';
import { makeKeys, signJwt, type KeyPair } from './support.js';

/*
 * A route verifying tokens against a JWKS URL served by the test (node:http, plain HTTP allowed
 * with jwks_allow_http), with a real broker behind it: the identity provider down when the first
 * token comes, then up; and a key rotation while clients are connected. Loads are rate-limited by
 * jwks_min_refresh_ms (1 s here); jwks_refresh_ms is long, so the JWKS is reloaded only when a
 * token names a kid the cache does not hold.
 */
const line = '4';
const TOPIC = 'jwks-rotation';
const MIN_REFRESH_MS = 1000;

let keys: ReturnType<typeof makeKeys>;
let info: BrokerInfo;
let p: RunningProxy;
let jwks: Server | undefined;
let port = 0;
/** What each path serves, and how often it was asked. */
const documents = new Map<string, Array<{ kid: string; pair: KeyPair }>>();
const requests = new Map<string, number>();

function jwk(kid: string, pair: KeyPair): Record<string, unknown> {
  return { ...pair.jwk, kid, alg: 'RS256', use: 'sig' };
}

function startJwks(): Promise<void> {
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const doc = documents.get(path);
    if (doc === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: doc.map((k) => jwk(k.kid, k.pair)) }));
  });
  jwks = server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
}

function token(kid: string, pair: KeyPair, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt('RS256', pair.privateKey, { sub: 'alice', iat: now, exp: now + 600, ...claims }, { kid });
}

async function route(id: string, path: string): Promise<void> {
  const plugin = { auth: { jwt: { jwks_url: `http://127.0.0.1:${port}${path}`, jwks_allow_http: true, jwks_min_refresh_ms: MIN_REFRESH_MS, jwks_refresh_ms: 3_600_000, leeway_ms: 0 } } };
  const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin }));
  assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
}

const bearer = (t: string) => ({ protocols: ['kafka-ws-proxy', `bearer.${t}`] });
const listOffset = (c: SubscribeClient) => c.request({ cmdKafkaListOffset: { topic: TOPIC, partition: 0, timestamp: '-1' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refused(url: string, t: string): Promise<string> {
  try {
    const c = await SubscribeClient.connect(url, bearer(t));
    await c.close();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the upgrade was accepted');
}

/** The connection serves Kafka: a list offset answered by the broker. */
async function works(c: SubscribeClient, what: string): Promise<void> {
  const r = await listOffset(c);
  assert.ok(r.kafkaListOffsetResp !== undefined && r.kafkaListOffsetResp !== null, `${what}: ${r.errorResp?.message ?? 'no list offset reply'}`);
}

describe(`Kafka ${line}: JWKS from a URL, down at start and rotated under live connections`, () => {
  before(async () => {
    keys = makeKeys();
    info = await ensureBroker(line);
    await ensureTopic(line, TOPIC, 1);
    p = await startProxy();
    // A port for the JWKS server, taken and given back: the route names it before anything listens there.
    await startJwks();
    await new Promise<void>((resolve) => jwks!.close(() => resolve()));
    jwks = undefined;
  });
  after(async () => {
    await p?.close();
    if (jwks !== undefined) await new Promise<void>((resolve) => jwks!.close(() => resolve()));
  });

  test('the JWKS server down at the first token: 401 jwks_unavailable and a warning; once it is up, tokens work', async () => {
    await route('down', '/down.json');
    const t = token('a', keys.rsa);
    assert.match(await refused(p.ws('/down'), t), /^HTTP 401: .*token refused \(jwks_unavailable\)/);
    const warn = p.logs.find((l) => l['msg'] === 'JWKS load failed' && l['route'] === 'down');
    assert.equal(warn?.['level'], 'warn', 'a warning names the route');
    assert.match(String(warn?.['error']), /ECONNREFUSED/);
    assert.equal(warn?.['keptKeys'], 0);

    documents.set('/down.json', [{ kid: 'a', pair: keys.rsa }]);
    await startJwks();
    // Within jwks_min_refresh_ms of the failed load the proxy does not ask again.
    assert.match(await refused(p.ws('/down'), t), /^HTTP 401: .*token refused \(jwks_unavailable\)/);
    assert.equal(requests.get('/down.json') ?? 0, 0, 'no load within jwks_min_refresh_ms of the failure');
    await sleep(MIN_REFRESH_MS + 200);
    const c = await SubscribeClient.connect(p.ws('/down'), bearer(t));
    try {
      await works(c, 'after the JWKS came up');
      assert.equal(requests.get('/down.json'), 1);
    } finally {
      await c.close();
    }
  });

  test('rotation from key A to key B: connected clients go on, kid B reloads the JWKS, a refresh with B is taken, kid A is refused once gone, A-tokens end at exp', async () => {
    documents.set('/rotation.json', [{ kid: 'a', pair: keys.rsa }]);
    await route('rotation', '/rotation.json');
    const expA = Math.floor(Date.now() / 1000) + 6;
    const first = await SubscribeClient.connect(p.ws('/rotation'), bearer(token('a', keys.rsa, { exp: expA })));
    const refreshed = await SubscribeClient.connect(p.ws('/rotation'), bearer(token('a', keys.rsa, { exp: expA })));
    try {
      const loadedAt = Date.now();
      await works(first, 'kid A before the rotation');
      assert.equal(requests.get('/rotation.json'), 1, 'loaded once, on the first token');

      // The identity provider rotates: B only. Nothing on the proxy notices yet.
      documents.set('/rotation.json', [{ kid: 'b', pair: keys.rsa2 }]);
      await works(first, 'kid A after the rotation');
      await works(refreshed, 'the other kid A client after the rotation');
      assert.equal(requests.get('/rotation.json'), 1, 'connections are not checked against the JWKS again');

      // A kid the cache lacks reloads the JWKS (once jwks_min_refresh_ms has passed since the last load).
      await sleep(Math.max(0, loadedAt + MIN_REFRESH_MS + 100 - Date.now()));
      const b = await SubscribeClient.connect(p.ws('/rotation'), bearer(token('b', keys.rsa2)));
      await works(b, 'a new client with kid B');
      await b.close();
      assert.equal(requests.get('/rotation.json'), 2, 'kid B reloaded the JWKS');

      const r = await refreshed.request({ cmdAuthenticate: { token: token('b', keys.rsa2, { exp: expA + 600 }) } });
      assert.equal(r.authenticateResp?.subject, 'alice', r.errorResp?.message ?? 'no authenticate reply');
      assert.equal(Number(r.authenticateResp?.expiresAtMs), (expA + 600) * 1000);

      // A is gone from the reloaded set: a new kid A token is refused (it may reload once more, and still find no A).
      await sleep(MIN_REFRESH_MS + 100);
      assert.match(await refused(p.ws('/rotation'), token('a', keys.rsa)), /^HTTP 401: .*token refused \(unknown_kid\)/);
      assert.equal(requests.get('/rotation.json'), 3);
      // A made-up kid right after cannot make the proxy ask again.
      assert.match(await refused(p.ws('/rotation'), token('zz', keys.rsa)), /^HTTP 401: .*token refused \(unknown_kid\)/);
      assert.equal(requests.get('/rotation.json'), 3, 'reloads are rate-limited');

      // The first client still works until its A token's exp, then is closed.
      assert.ok(Date.now() < expA * 1000 - 500, 'the steps above took too long for this check');
      await works(first, 'kid A just before its exp');
      const closed = await first.closed;
      assert.deepEqual(closed, { code: 4401, reason: 'token expired' });
      assert.ok(Math.abs(Date.now() - expA * 1000) < 1500, `closed ${Date.now() - expA * 1000} ms from exp`);
      // The refreshed one goes on past the A token's exp.
      await works(refreshed, 'the client refreshed with kid B, after the A token\'s exp');
    } finally {
      await first.close().catch(() => undefined);
      await refreshed.close();
    }
  });
});
