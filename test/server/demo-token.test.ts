import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createVerifier, jwtConfigOf } from '../../src/server/auth/index.js';
import { createDemoTokens, serveDemoToken, type DemoTokens } from '../../src/server/demo/token.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/**
 * The demo's token endpoint (`demoTokens` with `demo: true`): tokens the route's own auth
 * verifies, for a name that can be a subject, to a same-origin JSON POST from this machine only;
 * nothing at all without `demoTokens`.
 */
function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> {
  return fetch(`${url}/demo/token`, { method: 'POST', headers, body });
}

describe('demo tokens on', () => {
  let p: RunningProxy;
  let tokens: DemoTokens;
  before(async () => {
    tokens = createDemoTokens({ ttlMs: 60_000 });
    const plugin = { auth: tokens.auth };
    p = await startProxy({ demo: true, demoTokens: tokens, routes: [{ id: 'demo', ...kafkaRoute('/demo', ['127.0.0.1:9092'], { plugin }) }, { id: 'open', ...kafkaRoute('/open', ['127.0.0.1:9092']) }] });
  });
  after(() => p.close());

  test('POST {"name"} answers a token the route\'s auth verifies, for that subject, valid for ttlMs', async () => {
    const res = await post(p.url, JSON.stringify({ name: 'alice.w-1_x' }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json() as { token: string; expires_at_ms: number };
    const verifier = createVerifier(jwtConfigOf((tokens.auth as { jwt: unknown }).jwt, 'auth.jwt'));
    const v = await verifier.verify(body.token);
    assert.equal(v.subject, 'alice.w-1_x');
    assert.equal(v.expiresAtMs, body.expires_at_ms);
    assert.ok(Math.abs(body.expires_at_ms - (Date.now() + 60_000)) < 2000);
    // Another process's tokens do not verify here: the secret is random per DemoTokens.
    await assert.rejects(verifier.verify(createDemoTokens().mint('alice').token), /signature/);
  });

  test('/demo/routes marks the routes that check tokens', async () => {
    assert.deepEqual(await (await fetch(`${p.url}/demo/routes`)).json(), [{ id: 'demo', uri: '/demo', auth: true }, { id: 'open', uri: '/open' }]);
  });

  test('refused: other methods, other content types, names that cannot be a subject, another site\'s page', async () => {
    const get = await fetch(`${p.url}/demo/token`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    // A form or a text body is what another site can POST without a CORS preflight.
    assert.equal((await post(p.url, 'name=alice', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
    assert.equal((await post(p.url, '{"name":"alice"}', { 'content-type': 'text/plain' })).status, 415);
    for (const body of ['{"name":""}', '{"name":"a/b"}', '{"name":"*"}', `{"name":"${'x'.repeat(65)}"}`, '{"name":7}', '{}', 'null', '{', `{"name":"alice","pad":"${'x'.repeat(2000)}"}`]) {
      const res = await post(p.url, body);
      assert.equal(res.status, 400, body.slice(0, 40));
      assert.doesNotMatch(await res.text(), /token"/);
    }
    const host = new URL(p.url).host;
    assert.equal((await post(p.url, '{"name":"alice"}', { 'content-type': 'application/json', origin: 'https://evil.example' })).status, 403);
    assert.equal((await post(p.url, '{"name":"alice"}', { 'content-type': 'application/json', origin: `http://${host}` })).status, 200, 'the demo page itself');
  });

  test('only to loopback addresses', async () => {
    const call = async (remoteAddress: string): Promise<number> => {
      const req = Object.assign(Readable.from([Buffer.from('{"name":"alice"}')]), {
        method: 'POST', url: '/demo/token', headers: { 'content-type': 'application/json', host: 'proxy.example:9080' }, socket: { remoteAddress },
      }) as unknown as IncomingMessage;
      let status = 0;
      const res = { writeHead: (s: number) => { status = s; return res; }, end: () => res } as unknown as ServerResponse;
      await serveDemoToken(req, res, tokens);
      return status;
    };
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(await call(a), 200, a);
    for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '2001:db8::1', '0.0.0.0']) assert.equal(await call(a), 403, a);
  });
});

test('without demoTokens /demo/token does not exist, with the demo on or off', async () => {
  for (const options of [{ demo: true }, { demo: false, demoTokens: createDemoTokens() }]) {
    const p = await startProxy(options);
    try {
      assert.equal((await post(p.url, '{"name":"alice"}')).status, 404, JSON.stringify(Object.keys(options)));
    } finally {
      await p.close();
    }
  }
});
