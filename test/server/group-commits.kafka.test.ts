import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { connect, ServerError, type Message } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readCommittedOffsets, readTopic, startGroupMember, type BrokerInfo } from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { SubscribeClient } from '../support/subscribe-client.js';
import { makeKeys, signJwt, type Keys } from './auth/support.js';

/*
 * Consumer group offsets through the proxy (cmd_commit_offsets, cmd_fetch_committed) against a
 * real broker: what Kafka's Java Admin client then reads, the route's groups and the identity's
 * templated ones, a group with an active Java member refused, and the SDK's subscribe and consume
 * resuming from a group's commits.
 */
const line = '4';
let info: BrokerInfo;
let p: RunningProxy;
let keys: Keys;

const commit = (c: SubscribeClient, group: string, topic: string, offsets: Array<[number, bigint]>) =>
  c.request({ cmdCommitOffsets: { group, topic, offsets: offsets.map(([partition, offset]) => ({ partition, offset: String(offset) })) } });
const committed = (c: SubscribeClient, group: string, topic: string, partitions: number[] = []) => c.request({ cmdFetchCommitted: { group, topic, partitions } });
const offsetsOf = (r: Awaited<ReturnType<typeof committed>>) => new Map((r.committedOffsetsResp?.offsets ?? []).map((o) => [o.partition ?? 0, BigInt(o.offset ?? '0')]));

describe(`Kafka ${line}: consumer group offsets through the proxy`, () => {
  before(async () => {
    keys = makeKeys();
    info = await ensureBroker(line);
    await ensureTopic(line, 'grp-events', 3);
    p = await startProxy();
    for (const [id, plugin] of [
      ['groups', { groups: ['web-*', 'busy-*'] }],
      ['nogroups', {}],
      ['idgroups', {
        groups: ['app-*'],
        auth: { jwt: { keys: [{ kid: 'k1', algs: ['RS256'], pem: keys.rsa.pem }] } },
        authorize: { consume: ['grp-*'], groups: ['app-{sub}'] },
      }],
    ] as const) {
      const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
    }
  });
  after(async () => {
    await p?.close();
  });

  test('commit, then read back through the proxy and with Kafka\'s Java Admin client', async () => {
    const group = `web-${Date.now()}`;
    const c = await SubscribeClient.connect(p.ws('/groups'));
    try {
      assert.deepEqual(offsetsOf(await committed(c, group, 'grp-events')), new Map([[0, -1n], [1, -1n], [2, -1n]]), 'a new group has none');
      assert.ok((await commit(c, group, 'grp-events', [[0, 5n], [2, 9_007_199_254_740_993n]])).commitOffsetsResp);
      assert.deepEqual(offsetsOf(await committed(c, group, 'grp-events')), new Map([[0, 5n], [1, -1n], [2, 9_007_199_254_740_993n]]));
      assert.deepEqual(offsetsOf(await committed(c, group, 'grp-events', [2])), new Map([[2, 9_007_199_254_740_993n]]));
      const java = await readCommittedOffsets(line, group);
      assert.deepEqual(java.map((o) => [o.topic, o.partition, o.offset]).sort(), [['grp-events', 0, 5n], ['grp-events', 2, 9_007_199_254_740_993n]]);
    } finally {
      await c.close();
    }
  });

  test('refusals: a group the route does not list, a route without groups, a partition twice, an unknown partition, a group with an active member', async () => {
    const c = await SubscribeClient.connect(p.ws('/groups'));
    const n = await SubscribeClient.connect(p.ws('/nogroups'));
    try {
      assert.equal((await commit(c, 'other', 'grp-events', [[0, 1n]])).errorResp?.message, 'failed to commit offsets, topic: grp-events, partition: -1, err: group not allowed');
      assert.equal((await committed(n, 'web-x', 'grp-events')).errorResp?.message, 'failed to fetch committed offsets, topic: grp-events, partition: -1, err: group not allowed');
      assert.equal((await commit(c, 'web-x', 'grp-events', [[0, 1n], [0, 2n]])).errorResp?.message, 'failed to commit offsets, topic: grp-events, partition: -1, err: partition 0 is listed twice');
      assert.equal((await commit(c, 'web-x', 'grp-events', [[7, 1n]])).errorResp?.message, 'failed to commit offsets, topic: grp-events, partition: -1, err: not found partition');
      const group = `busy-${Date.now()}`;
      const member = await startGroupMember(line, group, 'grp-events', 'classic', 120);
      try {
        assert.equal((await commit(c, group, 'grp-events', [[0, 3n]])).errorResp?.message, 'failed to commit offsets, topic: grp-events, partition: -1, err: the group has active members');
      } finally {
        await member.stop();
      }
      assert.deepEqual(await readCommittedOffsets(line, group), [], 'nothing was committed');
      assert.ok((await commit(c, group, 'grp-events', [[0, 3n]])).commitOffsetsResp, 'once the member left, the commit goes through');
    } finally {
      await c.close();
      await n.close();
    }
  });

  test('groups templated from the identity: app-{sub} for alice, not app-bob', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = signJwt('RS256', keys.rsa.privateKey, { sub: 'alice', exp: now + 600 }, { kid: 'k1' });
    const c = await SubscribeClient.connect(p.ws('/idgroups'), { protocols: ['kafka-ws-proxy', `bearer.${t}`] });
    try {
      assert.ok((await commit(c, 'app-alice', 'grp-events', [[1, 4n]])).commitOffsetsResp);
      assert.equal((await commit(c, 'app-bob', 'grp-events', [[1, 4n]])).errorResp?.message, 'failed to commit offsets, topic: grp-events, partition: -1, err: group not allowed');
    } finally {
      await c.close();
    }
  });

  test('SDK: subscribe and consume with a group resume after the last message taken, on a new client', async () => {
    // A topic of its own per run: with kept brokers (KWP_KEEP_KAFKA) a shared one grows each run,
    // and the 25 taken would then all come from partition 0.
    const topic = `grp-sdk-${Date.now()}`;
    await ensureTopic(line, topic, 2);
    const group = `web-sdk-${Date.now()}`;
    for (let i = 0; i < 40; i++) await produce(info, topic, i % 2, [{ value: Buffer.from(`g${i}`) }]);
    const all = await readTopic(line, topic);
    const first = await connect(p.ws('/groups'), { WebSocket });
    const taken: Message[] = [];
    const sub = first.subscribe(topic, { group, from: 'earliest', commitIntervalMs: 100 });
    for await (const m of sub) {
      taken.push(m);
      if (taken.length === 25) break;
    }
    await first.close();
    const want = new Map<number, bigint>();
    for (const m of taken) want.set(m.partition, m.offset + 1n);
    const java = await readCommittedOffsets(line, group);
    assert.deepEqual(new Map(java.map((o) => [o.partition, o.offset])), want, 'the group holds what the loop took');

    const second = await connect(p.ws('/groups'), { WebSocket });
    try {
      const rest: Message[] = [];
      const sub2 = second.subscribe(topic, { group, from: 'latest' });
      for await (const m of sub2) {
        rest.push(m);
        if (taken.length + rest.length === all.length) break;
      }
      const seen = [...taken, ...rest].map((m) => `${m.partition}@${m.offset}`).sort();
      assert.deepEqual(seen, all.map((r) => `${r.partition}@${r.offset}`).sort(), 'every record once across both clients');
      // consume() of one partition with its own group
      const cgroup = `web-consume-${Date.now()}`;
      let n = 0;
      for await (const m of second.consume(topic, 0, { group: cgroup, from: 'earliest', idleDelayMs: 10 })) {
        assert.equal(m.offset, BigInt(n));
        if (++n === 7) break;
      }
      assert.deepEqual(await second.fetchCommitted(cgroup, topic, [0]), new Map([[0, 7n]]));
      for await (const m of second.consume(topic, 0, { group: cgroup, from: 'earliest', idleDelayMs: 10 })) {
        assert.equal(m.offset, 7n, 'resumes after the last message taken');
        break;
      }
      await assert.rejects(second.commitOffsets('nope', topic, { 0: 1n }), (e: unknown) => e instanceof ServerError && e.reason === 'group not allowed');
    } finally {
      await second.close();
    }
  });
});
