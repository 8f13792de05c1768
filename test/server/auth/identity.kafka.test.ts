import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../../harness/kafka.js';
import { produce } from '../../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../../support/proxy-fixture.js';
import { offsetsOf, SubscribeClient } from '../../support/subscribe-client.js';
import { makeKeys, signJwt, type Keys } from './support.js';

/*
 * Identity end to end against a real broker: tokens in every accepted place, refused ones with
 * their reason, topic rules templated from claims on every command, a token expiring under a live
 * subscription, in-band refreshes with no gap and no duplicate (checked against Kafka's Java
 * consumer), per-identity limits, and logs that never hold a token.
 */
const line = '4';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'kwp';

let keys: Keys;
let info: BrokerInfo;
let p: RunningProxy;

function token(claims: Record<string, unknown>, kid = 'k1', key = keys.rsa.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt('RS256', key, { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600, ...claims }, { kid });
}

function identityPlugin(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: {
      jwt: { keys: [{ kid: 'k1', algs: ['RS256'], pem: keys.rsa.pem }], issuer: ISSUER, audience: AUDIENCE, leeway_ms: 0 },
      ...(extra['auth'] as Record<string, unknown> | undefined),
    },
    authorize: { consume: ['orders.{sub}', 'tenant-{claims.tenant}.*'], produce: [] },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'auth')),
  };
}

async function route(id: string, plugin: Record<string, unknown>): Promise<void> {
  const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin }));
  assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
}

const bearer = (t: string) => ({ protocols: ['kafka-ws-proxy', `bearer.${t}`] });
const listOffset = (c: SubscribeClient, topic: string) => c.request({ cmdKafkaListOffset: { topic, partition: 0, timestamp: '-1' } });

async function refused(url: string, options: Parameters<typeof SubscribeClient.connect>[1]): Promise<string> {
  try {
    const c = await SubscribeClient.connect(url, options);
    await c.close();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the upgrade was accepted');
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const l = text.split('\n').find((x) => x.startsWith(`${name} `));
  return l === undefined ? 0 : Number(l.split(' ')[1]);
}

describe(`Kafka ${line}: client identity`, () => {
  before(async () => {
    keys = makeKeys();
    info = await ensureBroker(line);
    for (const t of ['orders.alice', 'orders.bob', 'tenant-acme.events']) await ensureTopic(line, t, 1);
    p = await startProxy();
    await route('id', identityPlugin());
  });
  after(async () => {
    await p?.close();
  });

  test('a token in the subprotocol: answered with kafka-ws-proxy, never the token; the claims decide the topics on every command', async () => {
    const t = token({ sub: 'alice', tenant: 'acme' });
    const c = await SubscribeClient.connect(p.ws('/id'), bearer(t));
    try {
      assert.equal(c.ws.protocol, 'kafka-ws-proxy');
      assert.ok((await listOffset(c, 'orders.alice')).kafkaListOffsetResp);
      assert.ok((await listOffset(c, 'tenant-acme.events')).kafkaListOffsetResp);
      assert.equal((await listOffset(c, 'orders.bob')).errorResp?.message, 'failed to list offset, topic: orders.bob, partition: 0, err: topic not allowed');
      const fetch = await c.request({ cmdKafkaFetch: { topic: 'orders.bob', partition: 0, offset: '0' } });
      assert.equal(fetch.errorResp?.message, 'failed to fetch message, topic: orders.bob, partition: 0, err: topic not allowed');
      const sub = await c.subscribe(1, { topic: 'orders.bob' });
      assert.equal(sub.errorResp?.message, 'failed to subscribe, topic: orders.bob, partition: -1, err: topic not allowed');
      assert.ok((await c.subscribe(2, { topic: 'orders.alice' })).subscribeResp, 'its own topic streams');
    } finally {
      await c.close();
    }
  });

  test('claims cannot widen a rule: a tenant of "*", "acme.*" or "acme.events" reads no tenant topic', async () => {
    for (const tenant of ['*', 'acme.*', '?cme', 'acme.events', '']) {
      const c = await SubscribeClient.connect(p.ws('/id'), bearer(token({ sub: 'eve', tenant })));
      try {
        assert.equal((await listOffset(c, 'tenant-acme.events')).errorResp?.message, 'failed to list offset, topic: tenant-acme.events, partition: 0, err: topic not allowed', `tenant ${JSON.stringify(tenant)}`);
      } finally {
        await c.close();
      }
    }
    // A sub that looks like a pattern matches only itself.
    const c = await SubscribeClient.connect(p.ws('/id'), bearer(token({ sub: '*' })));
    try {
      assert.match((await listOffset(c, 'orders.alice')).errorResp?.message ?? '', /topic not allowed$/);
    } finally {
      await c.close();
    }
  });

  test('Authorization: Bearer and the first frame work; a cookie and the query only where configured', async () => {
    const t = token({ sub: 'alice' });
    const h = await SubscribeClient.connect(p.ws('/id'), { headers: { authorization: `Bearer ${t}` } });
    assert.ok((await listOffset(h, 'orders.alice')).kafkaListOffsetResp);
    await h.close();

    // No token at the upgrade: only ping and cmd_authenticate until one comes.
    const f = await SubscribeClient.connect(p.ws('/id'));
    assert.equal((await listOffset(f, 'orders.alice')).errorResp?.message, 'failed to list offset, topic: orders.alice, partition: 0, err: authentication required');
    const a = await f.request({ cmdAuthenticate: { token: t } });
    assert.equal(a.authenticateResp?.subject, 'alice');
    assert.ok(Math.abs(Number(a.authenticateResp?.expiresAtMs) - (Date.now() + 600_000)) < 5000);
    assert.ok((await listOffset(f, 'orders.alice')).kafkaListOffsetResp);
    await f.close();

    // Query and cookie are off by default: the token there is not seen, and without the first
    // frame allowed the upgrade is refused.
    await route('strict', identityPlugin({ auth: { token_from: { frame: false } } }));
    assert.match(await refused(p.ws(`/strict?access_token=${t}`), {}), /^HTTP 401: .*token required/);
    assert.match(await refused(p.ws('/strict'), { headers: { cookie: `kwp=${t}` } }), /^HTTP 401/);
    await route('cookie', identityPlugin({ auth: { token_from: { cookie: 'kwp', query: 'access_token' } }, allowed_origins: ['https://app.example.com'] }));
    const ck = await SubscribeClient.connect(p.ws('/cookie'), { headers: { cookie: `other=1; kwp=${t}`, origin: 'https://app.example.com' } });
    assert.ok((await listOffset(ck, 'orders.alice')).kafkaListOffsetResp);
    await ck.close();
    const q = await SubscribeClient.connect(p.ws(`/cookie?access_token=${t}`));
    assert.ok((await listOffset(q, 'orders.alice')).kafkaListOffsetResp);
    await q.close();
    // The cookie with a page of another site: the origin check refuses it first.
    assert.match(await refused(p.ws('/cookie'), { headers: { cookie: `kwp=${t}`, origin: 'https://evil.example' } }), /^HTTP 403/);
    // A token subprotocol without the plain one cannot be answered.
    assert.match(await refused(p.ws('/id'), { protocols: [`bearer.${t}`] }), /^HTTP 400: .*kafka-ws-proxy/);
  });

  test('refused tokens: 401 with the reason, counted by reason, never quoted; a refused first frame closes with 4401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = header({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now + 600 });
    const cases: Array<[string, string]> = [
      ['unsupported_alg', `${header({ alg: 'none', kid: 'k1' })}.${body}.`],
      ['alg_not_allowed', signJwt('HS256', Buffer.from(keys.rsa.pem), { sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now + 600 }, { kid: 'k1' })],
      ['bad_signature', token({ sub: 'alice' }, 'k1', keys.rsa2.privateKey)],
      ['unknown_kid', token({ sub: 'alice' }, 'k9')],
      ['expired', token({ sub: 'alice', exp: now - 5 })],
      ['not_yet_valid', token({ sub: 'alice', nbf: now + 300 })],
      ['wrong_issuer', token({ sub: 'alice', iss: 'https://other.test' })],
      ['wrong_audience', token({ sub: 'alice', aud: 'someone-else' })],
      ['malformed', `${header({ alg: 'RS256', kid: 'k1' })}.@@@.${'A'.repeat(342)}`],
      ['too_large', token({ sub: 'alice', pad: 'x'.repeat(9000) })],
    ];
    for (const [reason, t] of cases) {
      const before = await metric(`kwp_auth_failures_total{route="id",reason="${reason}"}`);
      const msg = await refused(p.ws('/id'), { headers: { authorization: `Bearer ${t}` } });
      assert.match(msg, new RegExp(`^HTTP 401: .*token refused \\(${reason}\\)`), reason);
      assert.ok(!msg.includes(t.slice(-40)), 'the reply never quotes the token');
      assert.equal(await metric(`kwp_auth_failures_total{route="id",reason="${reason}"}`), before + 1, `counted as ${reason}`);
    }
    const f = await SubscribeClient.connect(p.ws('/id'));
    const r = await f.request({ cmdAuthenticate: { token: cases[2]![1] } });
    assert.match(r.errorResp?.message ?? '', /^failed to authenticate, err: token refused \(bad_signature\)/);
    assert.deepEqual(await f.closed, { code: 4401, reason: 'authentication failed' });
  });

  test('no token within authenticate_within_ms: closed with 4401', async () => {
    await route('quick', identityPlugin({ auth: { authenticate_within_ms: 300 } }));
    const c = await SubscribeClient.connect(p.ws('/quick'));
    const started = Date.now();
    assert.deepEqual(await c.closed, { code: 4401, reason: 'authentication required' });
    assert.ok(Date.now() - started < 3000);
  });

  test('a token that expires under a live subscription: no push more than 1 s after exp, then 4401', async () => {
    const topic = 'orders.alice';
    const exp = Math.floor(Date.now() / 1000) + 3;
    const c = await SubscribeClient.connect(p.ws('/id'), bearer(token({ sub: 'alice', exp })));
    let producing = true;
    const writer = (async () => {
      for (let i = 0; producing; i++) {
        await produce(info, topic, 0, [{ value: Buffer.from(`e${i}`) }]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      assert.ok((await c.subscribe(1, { topic })).subscribeResp);
      const closed = await c.closed;
      assert.deepEqual(closed, { code: 4401, reason: 'token expired' });
      const s = c.seen(1);
      assert.ok(s.messages.length > 0, 'records did stream before exp');
      assert.ok(s.lastPushAt <= exp * 1000 + 1000, `last push ${s.lastPushAt - exp * 1000} ms after exp`);
      assert.equal(s.end?.reason, 'SUBSCRIPTION_END_UNAUTHORIZED');
    } finally {
      producing = false;
      await writer;
    }
  });

  test('200 in-band refreshes during a subscription: every offset once and in order, as Kafka\'s Java consumer reads the topic', async () => {
    const topic = `orders.carol`;
    await ensureTopic(line, topic, 1);
    const start = BigInt((await readTopic(line, topic)).length);
    const c = await SubscribeClient.connect(p.ws('/id'), bearer(token({ sub: 'carol' })));
    let producing = true;
    let written = 0;
    const writer = (async () => {
      while (producing) {
        await produce(info, topic, 0, [{ value: Buffer.from(`r${written}`) }, { value: Buffer.from(`r${written + 1}`) }]);
        written += 2;
      }
    })();
    try {
      assert.ok((await c.subscribe(1, { topic, start: 'SUBSCRIBE_START_CURSOR', cursor: new Map([[0, start]]), credit: 1n << 40n })).subscribeResp);
      for (let i = 0; i < 200; i++) {
        const r = await c.request({ cmdAuthenticate: { token: token({ sub: 'carol', n: i }) } });
        assert.equal(r.authenticateResp?.subject, 'carol', `refresh ${i}: ${r.errorResp?.message ?? ''}`);
      }
      producing = false;
      await writer;
      const inTopic = (await readTopic(line, topic)).filter((r) => r.offset >= start);
      assert.ok(inTopic.length >= written);
      const s = c.seen(1);
      await c.until(() => s.messages.length >= inTopic.length, 30_000, 'every record');
      assert.deepEqual(offsetsOf(s, 0), inTopic.map((r) => r.offset), 'no gap, no duplicate');
      assert.deepEqual(s.messages.map((m) => m.value?.toString()), inTopic.map((r) => r.value?.toString()));
      assert.equal(s.end, undefined, 'the subscription never ended');
      // Another subject on the same connection is refused; the connection keeps its identity.
      const other = await c.request({ cmdAuthenticate: { token: token({ sub: 'mallory' }) } });
      assert.match(other.errorResp?.message ?? '', /another subject/);
      assert.ok((await listOffset(c, topic)).kafkaListOffsetResp);
    } finally {
      producing = false;
      await writer;
      await c.close();
    }
  });

  test('a refresh whose claims no longer allow a topic ends that subscription as unauthorized; the others go on', async () => {
    const c = await SubscribeClient.connect(p.ws('/id'), bearer(token({ sub: 'alice', tenant: 'acme' })));
    try {
      assert.ok((await c.subscribe(1, { topic: 'tenant-acme.events' })).subscribeResp);
      assert.ok((await c.subscribe(2, { topic: 'orders.alice' })).subscribeResp);
      assert.ok((await c.request({ cmdAuthenticate: { token: token({ sub: 'alice', tenant: 'other' }) } })).authenticateResp);
      await c.until(() => c.seen(1).end !== undefined, 10_000, 'the end of subscription 1');
      assert.equal(c.seen(1).end?.reason, 'SUBSCRIPTION_END_UNAUTHORIZED');
      assert.equal(c.seen(2).end, undefined);
    } finally {
      await c.close();
    }
  });

  test('limits: connections per subject (429 at the upgrade, a place freed by a close), commands per second shared by the subject', async () => {
    await route('limited', identityPlugin({ limits: { connections_per_subject: 2, commands_per_second: 20 } }));
    const t = token({ sub: 'alice' });
    const a = await SubscribeClient.connect(p.ws('/limited'), bearer(t));
    const b = await SubscribeClient.connect(p.ws('/limited'), bearer(token({ sub: 'alice', n: 2 })));
    assert.match(await refused(p.ws('/limited'), bearer(t)), /^HTTP 429: .*too many connections for this identity \(limit 2\)/);
    const other = await SubscribeClient.connect(p.ws('/limited'), bearer(token({ sub: 'bob' })));
    await other.close();
    // 60 commands at once over two connections of one subject: about 20 pass (a second's worth).
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => listOffset(i % 2 === 0 ? a : b, 'orders.alice')));
    const limited = replies.filter((r) => /too many commands \(limit 20 per second\)$/.test(r.errorResp?.message ?? '')).length;
    assert.ok(limited >= 35 && limited <= 41, `${limited} of 60 refused`);
    await b.close();
    const c = await SubscribeClient.connect(p.ws('/limited'), bearer(t));
    await c.close();
    await a.close();
  });

  test('logs never hold a token, even with the query source on and debug logging', async () => {
    const t = token({ sub: 'alice' });
    const bad = token({ sub: 'alice' }, 'k1', keys.rsa2.privateKey);
    const q = await SubscribeClient.connect(p.ws(`/cookie?access_token=${t}`));
    await q.request({ cmdAuthenticate: { token: bad } });
    await q.close().catch(() => undefined);
    await refused(p.ws(`/cookie?access_token=${bad}`), {});
    const text = JSON.stringify(p.logs);
    for (const x of [t, bad]) for (const part of x.split('.')) assert.ok(!text.includes(part), 'a token segment in the logs');
    assert.ok(p.logs.length > 0);
  });
});
