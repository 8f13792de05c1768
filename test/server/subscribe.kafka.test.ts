import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, ensureTopic, readExpected, readTopics, type BrokerInfo } from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { offsetsOf, sameMessages, settles, startOf, SubscribeClient } from '../support/subscribe-client.js';

/*
 * Live subscriptions against a real broker, spoken with protobufjs (test/support/subscribe-client.ts):
 * where they start, that every record arrives once and in order (checked against what Kafka's Java
 * producer wrote, the harness's ground truth, or against what the test wrote), credit, cursors,
 * and how a subscription ends.
 */

const line = '4';

describe(`Kafka ${line}: live subscriptions`, () => {
  let info: BrokerInfo;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker(line);
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/live', kafkaRoute('/live', [bootstrap(info)]));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
  });

  test('from earliest, every partition of a seeded topic arrives whole and in order, as the Java producer wrote it', async () => {
    const topic = readTopics(info).find((t) => t.name === 'multi')!;
    const want = readExpected(info, 'multi');
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      const start = startOf(await c.subscribe(1, { topic: 'multi', start: 'SUBSCRIBE_START_EARLIEST', credit: 64 << 20 }));
      assert.deepEqual([...start.keys()].sort(), Array.from({ length: topic.partitions }, (_, i) => i));
      const s = c.seen(1);
      await c.until(() => s.messages.length === want.length, 30_000, `all ${want.length} records`);
      for (let partition = 0; partition < topic.partitions; partition++) {
        sameMessages(s, partition, want.filter((r) => r.partition === partition), `multi-${partition}`);
        assert.equal(s.next.get(partition), topic.offsets.find((o) => o.partition === partition)!.highWatermark, 'the cursor ends at the high watermark');
      }
      assert.ok(await settles(s, 300), 'nothing more arrives');
      assert.deepEqual(c.strays, []);
    } finally {
      await c.close();
    }
  });

  test('from latest, records written afterwards arrive at once, each exactly once, with an exact cursor', async () => {
    await ensureTopic(line, 'live-latest', 1);
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      const start = startOf(await c.subscribe(7, { topic: 'live-latest' })).get(0)!;
      const s = c.seen(7);
      const written: bigint[] = [];
      for (let i = 0; i < 20; i++) {
        const base = await produce(info, 'live-latest', 0, [{ value: Buffer.from(`v${i}a`) }, { key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}b`), headers: [{ key: 'h', value: Buffer.from(String(i)) }] }]);
        written.push(base, base + 1n);
      }
      assert.equal(written[0], start, 'the first record written has the start offset');
      await c.until(() => s.messages.length >= written.length, 10_000, 'every record written');
      assert.deepEqual(offsetsOf(s, 0), written);
      assert.equal(s.next.get(0), written.at(-1)! + 1n);
      const m = s.messages[3]!;
      assert.equal(m.key?.toString(), 'k1');
      assert.equal(m.value?.toString(), 'v1b');
      assert.deepEqual((m.headers ?? []).map((h) => [h.key, h.value?.toString()]), [['h', '1']]);
      assert.ok(await settles(s, 300));
    } finally {
      await c.close();
    }
  });

  test('credit: pushes never exceed what was granted; more credit continues exactly where it stopped', async () => {
    await ensureTopic(line, 'live-credit', 1);
    const base = await produce(info, 'live-credit', 0, Array.from({ length: 200 }, (_, i) => ({ value: Buffer.alloc(500, i) })));
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      const credit = 8 * 1024;
      // From the records this run wrote (a kept broker has earlier runs' too).
      startOf(await c.subscribe(1, { topic: 'live-credit', start: 'SUBSCRIBE_START_CURSOR', cursor: new Map([[0, base]]), credit }));
      const s = c.seen(1);
      await c.until(() => s.messages.length > 0, 10_000, 'a first push');
      assert.ok(await settles(s, 500), 'pushes stop when the credit is used');
      const used = s.pushBytes.reduce((a, b) => a + b, 0);
      assert.ok(used <= credit, `${used} bytes pushed with ${credit} granted`);
      assert.ok(s.messages.length < 200);
      let granted = credit;
      while (s.messages.length < 200) {
        c.grant(1, 16 * 1024);
        granted += 16 * 1024;
        const before = s.messages.length;
        await c.until(() => s.messages.length > before, 10_000, 'more records after a grant');
        await settles(s, 100);
        assert.ok(s.pushBytes.reduce((a, b) => a + b, 0) <= granted, 'never more than granted');
      }
      assert.deepEqual(offsetsOf(s, 0), Array.from({ length: 200 }, (_, i) => base + BigInt(i)), 'no gap, no duplicate across the grants');
      assert.deepEqual(c.strays, [], 'an accepted grant is not answered');
    } finally {
      await c.close();
    }
  });

  test('unsubscribe answers with the cursor; a subscribe from that cursor continues with no gap and no duplicate', async () => {
    await ensureTopic(line, 'live-cursor', 2);
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      startOf(await c.subscribe(3, { topic: 'live-cursor', start: 'SUBSCRIBE_START_LATEST' }));
      const first = [await produce(info, 'live-cursor', 0, [{ value: Buffer.from('a') }]), await produce(info, 'live-cursor', 1, [{ value: Buffer.from('b') }])];
      await c.until(() => c.seen(3).messages.length === 2, 10_000, 'two records');
      const end = await c.unsubscribe(3);
      assert.equal(end.resp, 'subscriptionEnd');
      assert.equal(end.subscriptionEnd?.reason ?? 'SUBSCRIPTION_END_UNSUBSCRIBED', 'SUBSCRIPTION_END_UNSUBSCRIBED');
      const cursor = new Map((end.subscriptionEnd?.cursor ?? []).map((e) => [e.partition ?? 0, BigInt(e.offset ?? '0')]));
      assert.deepEqual(cursor, new Map([[0, first[0]! + 1n], [1, first[1]! + 1n]]));
      // Written while nobody listens; the cursor must pick them up exactly.
      const missed = [await produce(info, 'live-cursor', 0, [{ value: Buffer.from('c') }]), await produce(info, 'live-cursor', 1, [{ value: Buffer.from('d') }])];
      startOf(await c.subscribe(4, { topic: 'live-cursor', start: 'SUBSCRIBE_START_CURSOR', cursor }));
      const later = [await produce(info, 'live-cursor', 0, [{ value: Buffer.from('e') }])];
      const s = c.seen(4);
      await c.until(() => s.messages.length === 3, 10_000, 'three records');
      assert.deepEqual(offsetsOf(s, 0), [missed[0], later[0]]);
      assert.deepEqual(offsetsOf(s, 1), [missed[1]]);
    } finally {
      await c.close();
    }
  });

  test('bad subscribes are refused with an APISIX-style error and change nothing', async () => {
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      const errorOf = async (o: Parameters<SubscribeClient['subscribe']>[1], id = 1) => {
        const r = await c.subscribe(id, o);
        assert.equal(r.resp, 'errorResp', `expected an error, got ${r.resp}`);
        return r.errorResp?.message ?? '';
      };
      assert.equal(await errorOf({ topic: 'no-such-topic-live' }), 'failed to subscribe, topic: no-such-topic-live, partition: -1, err: not found topic');
      assert.equal(await errorOf({ topic: 'multi', partitions: [99] }), 'failed to subscribe, topic: multi, partition: 99, err: not found partition');
      assert.equal(await errorOf({ topic: 'multi', partitions: [0, 0] }), 'failed to subscribe, topic: multi, partition: 0, err: partition listed twice');
      assert.equal(await errorOf({ topic: 'bad topic' }), 'failed to subscribe, topic: bad topic, partition: -1, err: INVALID_TOPIC_EXCEPTION');
      assert.equal(await errorOf({ topic: 'multi' }, 0), 'failed to subscribe, topic: multi, partition: -1, err: subscription id must be greater than 0');
      assert.equal(await errorOf({ topic: 'multi', credit: -5 }), 'failed to subscribe, topic: multi, partition: -1, err: credit must not be negative');
      startOf(await c.subscribe(1, { topic: 'multi' }));
      assert.equal(await errorOf({ topic: 'multi' }, 1), 'failed to subscribe, topic: multi, partition: -1, err: subscription 1 is already in use');
      const un = await c.unsubscribe(42);
      assert.equal(un.errorResp?.message, 'failed to unsubscribe, subscription: 42, err: unknown subscription');
      const credit = await c.request({ cmdCredit: { subscription: 42, bytes: '100' } });
      assert.equal(credit.errorResp?.message, 'failed to grant credit, subscription: 42, err: unknown subscription');
      const negative = await c.request({ cmdCredit: { subscription: 1, bytes: '-1' } });
      assert.equal(negative.errorResp?.message, 'failed to grant credit, subscription: 1, err: credit must be greater than 0');
      // A granted credit is not answered: the next reply is the ping's.
      c.grant(1, 9223372036854775807n);
      const pong = await c.request({ cmdPing: { state: Buffer.from('x') } });
      assert.equal(pong.resp, 'pongResp');
    } finally {
      await c.close();
    }
  });

  test('a cursor below the log start: the reply is a SubscriptionEnd with the log start, never a silent skip; a reset policy continues from it', async () => {
    const c = await SubscribeClient.connect(p.ws('/live'));
    try {
      const r = await c.subscribe(1, { topic: 'multi', partitions: [0], start: 'SUBSCRIBE_START_CURSOR', cursor: new Map([[0, 1_000_000n]]) });
      assert.equal(r.resp, 'subscriptionEnd');
      assert.equal(r.subscriptionEnd?.reason, 'SUBSCRIPTION_END_OFFSET_OUT_OF_RANGE');
      assert.equal(r.subscriptionEnd?.partition ?? 0, 0);
      assert.equal(BigInt(r.subscriptionEnd?.logStartOffset ?? '0'), 0n);
      const reset = await c.subscribe(2, { topic: 'multi', partitions: [0], start: 'SUBSCRIBE_START_CURSOR', cursor: new Map([[0, 1_000_000n]]), outOfRange: 'OUT_OF_RANGE_EARLIEST' });
      assert.deepEqual(startOf(reset), new Map([[0, 0n]]));
    } finally {
      await c.close();
    }
  });

  test('deleting the route ends its subscriptions with ROUTE_DELETED and the cursor, then closes with 1001', async () => {
    await ensureTopic(line, 'live-route', 1);
    const put = await p.admin('PUT', '/apisix/admin/routes/doomed', kafkaRoute('/doomed', [bootstrap(info)]));
    assert.equal(put.status, 201);
    const c = await SubscribeClient.connect(p.ws('/doomed'));
    const start = startOf(await c.subscribe(5, { topic: 'live-route' })).get(0)!;
    assert.equal((await p.admin('DELETE', '/apisix/admin/routes/doomed')).status, 200);
    const closed = await c.closed;
    assert.equal(closed.code, 1001);
    const end = c.seen(5).end;
    assert.equal(end?.reason, 'SUBSCRIPTION_END_ROUTE_DELETED');
    assert.deepEqual((end?.cursor ?? []).map((e) => [e.partition ?? 0, BigInt(e.offset ?? '0')]), [[0, start]]);
  });
});
