import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aclAllowRead, ensureBroker, ensureTopic, harnessJwt, readTopic, type BrokerInfo } from '../../harness/kafka.js';
import { produce } from '../../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../../support/proxy-fixture.js';
import { SubscribeClient } from '../../support/subscribe-client.js';

/*
 * Identity passthrough against real brokers whose OAUTH_JWKS listener checks tokens with Kafka's
 * own JWKS validator and whose authorizer holds per-user ACLs: each browser's JWT is its Kafka
 * login, so an ACL for alice lets alice read and not bob, through one route of one proxy, with
 * the two at work at the same time (a shared connection would let bob through or stop alice).
 */
const line = '4';
let info: BrokerInfo;
let p: RunningProxy;
const TOPIC = 'acl-pass-alice';

const bearer = (t: string) => ({ protocols: ['kafka-ws-proxy', `bearer.${t}`] });
const listOffset = (c: SubscribeClient, topic: string) => c.request({ cmdKafkaListOffset: { topic, partition: 0, timestamp: '-1' } });
const fetch = (c: SubscribeClient, topic: string, offset: bigint) => c.request({ cmdKafkaFetch: { topic, partition: 0, offset: String(offset) } });

describe(`Kafka ${line}: identity passthrough`, () => {
  before(async () => {
    info = await ensureBroker(line);
    await ensureTopic(line, TOPIC, 1);
    await aclAllowRead(line, TOPIC, 'alice');
    await produce(info, TOPIC, 0, [{ value: Buffer.from('for alice') }]);
    p = await startProxy();
    const plugin = {
      auth: { jwt: { jwks_file: info.jwt.jwksPath, issuer: info.jwt.issuer, audience: info.jwt.audience }, passthrough: true },
    };
    const put = await p.admin('PUT', '/apisix/admin/routes/pass', kafkaRoute('/pass', [`${info.host}:${info.ports.oauthJwks}`], { plugin }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
  });

  test('the broker\'s ACL decides per user: alice reads her topic, bob is refused, both at once; each has a Kafka client of their own', async () => {
    const clientsBefore = p.proxy.kafkaClients;
    const alice = await SubscribeClient.connect(p.ws('/pass'), bearer(harnessJwt(info, 'alice')));
    const bob = await SubscribeClient.connect(p.ws('/pass'), bearer(harnessJwt(info, 'bob')));
    try {
      const want = await readTopic(line, TOPIC);
      for (let round = 0; round < 5; round++) {
        const [a, b, bPlain] = await Promise.all([fetch(alice, TOPIC, 0n), fetch(bob, TOPIC, 0n), listOffset(bob, 'plain')]);
        assert.deepEqual(a.kafkaFetchResp?.messages?.map((m) => m.value?.toString()), want.map((r) => r.value?.toString()), `round ${round}: alice reads`);
        assert.equal(b.errorResp?.message, `failed to fetch message, topic: ${TOPIC}, partition: 0, err: TOPIC_AUTHORIZATION_FAILED`, `round ${round}: bob is refused by the broker`);
        assert.ok(bPlain.kafkaListOffsetResp, 'bob reads a topic without ACLs');
      }
      assert.equal(p.proxy.kafkaClients, clientsBefore + 2, 'one Kafka client per subject');
      const second = await SubscribeClient.connect(p.ws('/pass'), bearer(harnessJwt(info, 'alice')));
      assert.ok((await listOffset(second, TOPIC)).kafkaListOffsetResp);
      assert.equal(p.proxy.kafkaClients, clientsBefore + 2, 'alice\'s second socket shares alice\'s client');
      await second.close();
      await bob.close();
      const deadline = Date.now() + 5000;
      while (p.proxy.kafkaClients !== clientsBefore + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(p.proxy.kafkaClients, clientsBefore + 1, 'bob\'s client closed with his last socket');
    } finally {
      await alice.close();
    }
  });

  test('a refreshed token keeps the subject\'s Kafka connections logged in past the first token\'s exp (KIP-368)', async () => {
    // The listener re-authenticates every 4 s at most; the first token lives 6 s.
    const alice = await SubscribeClient.connect(p.ws('/pass'), bearer(harnessJwt(info, 'alice', 6000)));
    try {
      assert.ok((await listOffset(alice, TOPIC)).kafkaListOffsetResp);
      await new Promise((r) => setTimeout(r, 2500));
      const r = await alice.request({ cmdAuthenticate: { token: harnessJwt(info, 'alice', 120_000) } });
      assert.equal(r.authenticateResp?.subject, 'alice');
      await new Promise((r2) => setTimeout(r2, 6000));
      for (let i = 0; i < 3; i++) {
        assert.ok((await fetch(alice, TOPIC, 0n)).kafkaFetchResp, `fetch ${i} after the first token's exp`);
        await new Promise((r2) => setTimeout(r2, 1000));
      }
    } finally {
      await alice.close();
    }
  });
});
