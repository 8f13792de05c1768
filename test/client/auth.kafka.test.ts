import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { AuthenticationError, AuthorizationError, connect, ServerError, type ConsumeStatus, type Message } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { makeKeys, signJwt, type Keys } from '../server/auth/support.js';

/*
 * The SDK's token option against a real proxy with authentication and Kafka 4: a token function
 * refreshed in band before exp under a live subscription, a reconnect after the proxy closes an
 * expired connection, typed errors for refused tokens and forbidden topics, both ways of sending
 * the token.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let keys: Keys;
let info: BrokerInfo;
let p: RunningProxy;

function token(sub: string, lifetimeS: number, key = keys.rsa.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt('RS256', key, { sub, iat: now, exp: now + lifetimeS }, { kid: 'k1' });
}

describe('client tokens through a real proxy to Kafka 4', () => {
  before(async () => {
    keys = makeKeys();
    info = await ensureBroker('4');
    await ensureTopic('4', 'sdk-auth.dave', 1);
    p = await startProxy();
    const plugin = {
      auth: { jwt: { keys: [{ kid: 'k1', algs: ['RS256'], pem: keys.rsa.pem }], leeway_ms: 0 } },
      authorize: { consume: ['sdk-auth.{sub}'] },
    };
    const put = await p.admin('PUT', '/apisix/admin/routes/auth', kafkaRoute('/auth', [bootstrap(info)], { plugin }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
  });

  test('a token function: refreshed in band before exp and called again after a 4401, with every offset once across both', async () => {
    const topic = 'sdk-auth.dave';
    const start = BigInt((await readTopic('4', topic)).length);
    let calls = 0;
    // 4 s tokens, refreshed 2 s before exp. Calls 4 and 5 (the refresh at about 6 s and its
    // retry) fail, so the token of call 3 runs out: the proxy closes the connection at its exp,
    // and the client reconnects with call 6's.
    const c = await connect(p.ws('/auth'), {
      WebSocket,
      token: () => {
        calls++;
        if (calls === 4 || calls === 5) throw new Error('the identity provider is down');
        return token('dave', 4);
      },
      refreshBeforeMs: 2000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const statuses: ConsumeStatus[] = [];
    const sub = c.subscribe(topic, { from: new Map([[0, start]]), onStatus: (s) => statuses.push(s) });
    const got: Message[] = [];
    const reader = (async () => {
      for await (const m of sub) got.push(m);
    })();
    let written = 0;
    try {
      const until = Date.now() + 14_000;
      while (Date.now() < until) {
        await produce(info, topic, 0, [{ value: Buffer.from(`d${written++}`) }]);
        await sleep(25);
      }
      const inTopic = (await readTopic('4', topic)).filter((r) => r.offset >= start);
      const deadline = Date.now() + 20_000;
      while (got.length < inTopic.length && Date.now() < deadline) await sleep(50);
      assert.deepEqual(got.map((m) => m.offset), inTopic.map((r) => r.offset), 'every offset once, in order');
      assert.deepEqual(got.map((m) => m.valueText()), inTopic.map((r) => r.value?.toString()));
      assert.ok(calls >= 6, `the token function was called ${calls} times (refreshes and reconnects)`);
      const reconnects = statuses.filter((s) => s.state === 'reconnecting' && s.error instanceof Error && /token expired|4401/.test(s.error.message)).length;
      assert.ok(reconnects >= 1, 'a connection ended at exp and the client reconnected');
      const refreshes = await metric('kwp_authentications_total{route="auth",how="refresh"}');
      assert.ok(refreshes >= 2, `${refreshes} in-band refreshes`);
    } finally {
      await sub.return();
      await reader.catch(() => {});
      await c.close();
    }
  });

  test('typed errors: a refused token at the upgrade and in the first frame, a forbidden topic, a static token that expired', async () => {
    const forged = token('dave', 600, keys.rsa2.privateKey);
    await assert.rejects(connect(p.ws('/auth'), { WebSocket, token: forged }), (e: unknown) => e instanceof AuthenticationError && /401/.test(e.reason));
    await assert.rejects(connect(p.ws('/auth'), { WebSocket, token: forged, tokenVia: 'frame' }), (e: unknown) => e instanceof AuthenticationError && /^token refused \(bad_signature\)/.test(e.reason));
    const c = await connect(p.ws('/auth'), { WebSocket, token: token('dave', 600), tokenVia: 'frame' });
    try {
      await assert.rejects(c.listOffset('sdk-auth.erin', 0, 'latest'), (e: unknown) => e instanceof AuthorizationError && e instanceof ServerError && e.reason === 'topic not allowed');
      assert.equal(typeof (await c.listOffset('sdk-auth.dave', 0, 'latest')), 'bigint');
      await assert.rejects(c.authenticate(token('erin', 600)), (e: unknown) => e instanceof AuthenticationError && /another subject/.test(e.reason));
    } finally {
      await c.close();
    }
    // A static token that runs out: the proxy closes at exp, the reconnect is refused, and the
    // subscription ends with AuthenticationError instead of retrying for ever.
    const s = await connect(p.ws('/auth'), { WebSocket, token: token('dave', 2), reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    try {
      const sub = s.subscribe('sdk-auth.dave');
      await assert.rejects((async () => {
        for await (const _ of sub) { /* nothing is written */ }
      })(), (e: unknown) => e instanceof AuthenticationError);
    } finally {
      await s.close();
    }
  });
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const l = text.split('\n').find((x) => x.startsWith(`${name} `));
  return l === undefined ? 0 : Number(l.split(' ')[1]);
}
