import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BROKER_LINES, bootstrap, deleteTopic, ensureBroker, ensureTopic, readExpected, readTopics, type BrokerInfo, type ExpectedRecord, type ExpectedTopic,
} from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { decodeResp, type DecodedResp } from '../support/pubsub-proto.js';
import { cursorOf, offsetsOf, sameMessages, settles, startOf, SubscribeClient } from '../support/subscribe-client.js';

/*
 * The cases of issue 17's test list that test/server/subscribe.kafka.test.ts leaves out: every
 * codec, transactions under both isolation levels, start by timestamp, LogAppendTime, on both
 * broker lines against what Kafka's Java producer wrote; then on one line a topic deleted under a
 * subscription, a thousand subscriptions on one socket, an allow-list, and int64-max credits.
 */

const CODECS = ['codec-gzip', 'codec-snappy', 'codec-lz4', 'codec-zstd'] as const;
const ALL = 64 << 20;

function topicOf(info: BrokerInfo, name: string): ExpectedTopic {
  const t = readTopics(info).find((x) => x.name === name);
  assert.ok(t !== undefined, `seeded topic ${name}`);
  return t;
}

/** The first offset of `records` (one partition, offset order) whose timestamp is at or after `at`, else `end`. */
function firstAtOrAfter(records: readonly ExpectedRecord[], at: bigint, end: bigint): bigint {
  return records.find((r) => r.timestamp >= at)?.offset ?? end;
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: live subscriptions of every seeded kind of log`, () => {
    let info: BrokerInfo;
    let p: RunningProxy;

    before(async () => {
      info = await ensureBroker(line);
      p = await startProxy();
      for (const [name, isolation] of [['uncommitted', 'read_uncommitted'], ['committed', 'read_committed']] as const) {
        const put = await p.admin('PUT', `/apisix/admin/routes/${name}`, kafkaRoute(`/${name}`, [bootstrap(info)], { plugin: { fetch: { isolation_level: isolation } } }));
        assert.equal(put.status, 201, JSON.stringify(put.body));
      }
    });
    after(async () => {
      await p?.close();
    });

    test('from earliest, every codec arrives exactly as the Java producer wrote it, four subscriptions at once on one socket', async () => {
      const c = await SubscribeClient.connect(p.ws('/uncommitted'));
      try {
        const ids = CODECS.map((_, i) => i + 1);
        const starts = await Promise.all(CODECS.map((topic, i) => c.subscribe(ids[i]!, { topic, start: 'SUBSCRIBE_START_EARLIEST', credit: ALL })));
        for (const [i, topic] of CODECS.entries()) {
          const want = readExpected(info, topic);
          const hw = topicOf(info, topic).offsets[0]!.highWatermark;
          assert.deepEqual(startOf(starts[i]!), new Map([[0, 0n]]), `${topic} starts at the log start`);
          const s = c.seen(ids[i]!);
          await c.until(() => s.messages.length >= want.length, 30_000, `all ${want.length} records of ${topic}`);
          sameMessages(s, 0, want, topic);
          assert.equal(s.next.get(0), hw, `${topic}: the cursor ends at the high watermark`);
        }
        for (const id of ids) assert.ok(await settles(c.seen(id), 200), 'nothing more arrives');
        assert.deepEqual(c.strays, []);
      } finally {
        await c.close();
      }
    });

    test('log-append-time: every record carries the broker\'s append time, not the CreateTime it was sent with', async () => {
      const want = readExpected(info, 'log-append-time');
      assert.ok(want.every((r) => r.timestamp > 1_600_000_100_000n), 'the ground truth holds append times (sent as 1600000000000 + i)');
      const c = await SubscribeClient.connect(p.ws('/uncommitted'));
      try {
        startOf(await c.subscribe(1, { topic: 'log-append-time', start: 'SUBSCRIBE_START_EARLIEST' }));
        const s = c.seen(1);
        await c.until(() => s.messages.length >= want.length, 10_000, 'every record');
        sameMessages(s, 0, want, 'log-append-time');
      } finally {
        await c.close();
      }
    });

    test('txn under read_uncommitted: every data record, aborted ones included, and no control record; the cursor ends at the high watermark', async () => {
      const want = readExpected(info, 'txn');
      const t = topicOf(info, 'txn');
      assert.ok(t.abortedRecords > 0 && want.some((r) => r.aborted));
      const c = await SubscribeClient.connect(p.ws('/uncommitted'));
      try {
        startOf(await c.subscribe(1, { topic: 'txn', start: 'SUBSCRIBE_START_EARLIEST' }));
        const s = c.seen(1);
        await c.until(() => s.messages.length >= want.length, 10_000, `all ${want.length} data records`);
        assert.ok(await settles(s, 300), 'no control record follows');
        sameMessages(s, 0, want, 'txn read_uncommitted');
        const end = await c.unsubscribe(1);
        assert.deepEqual(cursorOf(end.subscriptionEnd), new Map([[0, t.offsets[0]!.highWatermark]]));
      } finally {
        await c.close();
      }
    });

    test('txn under read_committed: only committed records, aborted ones left out; the cursor ends at the last stable offset', async () => {
      const want = readExpected(info, 'txn').filter((r) => r.committed);
      const t = topicOf(info, 'txn');
      assert.equal(want.length, t.committedRecords);
      const c = await SubscribeClient.connect(p.ws('/committed'));
      try {
        startOf(await c.subscribe(1, { topic: 'txn', start: 'SUBSCRIBE_START_EARLIEST' }));
        const s = c.seen(1);
        await c.until(() => s.messages.length >= want.length, 10_000, `all ${want.length} committed records`);
        assert.ok(await settles(s, 300), 'no aborted record follows');
        sameMessages(s, 0, want, 'txn read_committed');
        assert.ok(!s.messages.some((m) => m.value?.toString().includes('aborted')));
        const end = await c.unsubscribe(1);
        assert.deepEqual(cursorOf(end.subscriptionEnd), new Map([[0, t.offsets[0]!.lastStableOffset]]));
      } finally {
        await c.close();
      }
    });

    test('from a timestamp: the first record at or after it, for each record\'s own time and the millisecond after; past the end, the end', async () => {
      const want = readExpected(info, 'timestamps');
      const hw = topicOf(info, 'timestamps').offsets[0]!.highWatermark;
      const c = await SubscribeClient.connect(p.ws('/uncommitted'));
      try {
        // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max refuses
        const last = want.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), 0n);
        const times = [0n, ...want.flatMap((r) => [r.timestamp, r.timestamp + 1n]), last + 1n, 9_000_000_000_000n];
        let id = 0;
        for (const at of times) {
          const first = firstAtOrAfter(want, at, hw);
          const start = startOf(await c.subscribe(++id, { topic: 'timestamps', start: 'SUBSCRIBE_START_TIMESTAMP', timestamp: at }));
          assert.deepEqual(start, new Map([[0, first]]), `timestamp ${at}`);
          const rest = want.filter((r) => r.offset >= first);
          const s = c.seen(id);
          await c.until(() => s.messages.length >= rest.length, 10_000, `records from ${first}`);
          sameMessages(s, 0, rest, `timestamps from ${at}`);
          const end = await c.unsubscribe(id);
          assert.deepEqual(cursorOf(end.subscriptionEnd), new Map([[0, hw]]));
        }
        assert.ok(times.some((at) => firstAtOrAfter(want, at, hw) === hw), 'a timestamp past the end was tried');
      } finally {
        await c.close();
      }
    });

    test('from a timestamp on several partitions, and on one of them: each partition starts at its own first record at or after it', async () => {
      const t = topicOf(info, 'multi');
      const all = readExpected(info, 'multi');
      const byPartition = (partition: number) => all.filter((r) => r.partition === partition);
      const hw = (partition: number) => t.offsets.find((o) => o.partition === partition)!.highWatermark;
      // Each record's time and one millisecond after: between them they split every partition everywhere it can be split.
      const times = [...new Set(all.flatMap((r) => [r.timestamp, r.timestamp + 1n]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const c = await SubscribeClient.connect(p.ws('/uncommitted'));
      try {
        let id = 0;
        for (const at of times) {
          const want = new Map(Array.from({ length: t.partitions }, (_, partition) => [partition, firstAtOrAfter(byPartition(partition), at, hw(partition))]));
          assert.deepEqual(startOf(await c.subscribe(++id, { topic: 'multi', start: 'SUBSCRIBE_START_TIMESTAMP', timestamp: at })), want, `every partition from ${at}`);
          const s = c.seen(id);
          const rest = all.filter((r) => r.offset >= want.get(r.partition)!);
          await c.until(() => s.messages.length >= rest.length, 10_000, `records from ${at}`);
          for (let partition = 0; partition < t.partitions; partition++) sameMessages(s, partition, rest.filter((r) => r.partition === partition), `multi-${partition} from ${at}`);
          await c.unsubscribe(id);

          const one = id % t.partitions;
          assert.deepEqual(startOf(await c.subscribe(++id, { topic: 'multi', partitions: [one], start: 'SUBSCRIBE_START_TIMESTAMP', timestamp: at })), new Map([[one, want.get(one)!]]));
          const only = c.seen(id);
          const mine = rest.filter((r) => r.partition === one);
          await c.until(() => only.messages.length >= mine.length, 10_000, `multi-${one} from ${at}`);
          assert.ok(await settles(only, 50));
          assert.ok(only.messages.every((m) => m.partition === one), 'nothing of the other partitions');
          sameMessages(only, one, mine, `multi-${one} alone from ${at}`);
          await c.unsubscribe(id);
        }
      } finally {
        await c.close();
      }
    });
  });
}

describe('Kafka 4: live subscriptions: topic deletion and hostile input', () => {
  const line = '4';
  let info: BrokerInfo;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker(line);
    p = await startProxy();
    const routes: Array<[string, Record<string, unknown> | undefined]> = [
      ['plain', undefined],
      ['thousand', { subscribe: { max_subscriptions: 1000 } }],
      ['allow', { topics: ['plain'] }],
    ];
    for (const [name, plugin] of routes) {
      const put = await p.admin('PUT', `/apisix/admin/routes/${name}`, kafkaRoute(`/${name}`, [bootstrap(info)], plugin === undefined ? {} : { plugin }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
    }
  });
  after(async () => {
    await p?.close();
  });

  test('a topic deleted under a live subscription ends it with TOPIC_DELETED, pushed with sequence 0, with the cursor of every partition', async () => {
    const topic = `live-deleted-${Date.now()}`;
    await ensureTopic(line, topic, 2);
    const c = await SubscribeClient.connect(p.ws('/plain'));
    const ends: DecodedResp[] = [];
    let deleted = false;
    c.ws.on('message', (data: Buffer) => {
      const r = decodeResp(data);
      if (r.resp === 'subscriptionEnd') ends.push(r);
    });
    try {
      startOf(await c.subscribe(9, { topic }));
      const s = c.seen(9);
      const on0 = await produce(info, topic, 0, [{ value: Buffer.from('a') }, { value: Buffer.from('b') }]);
      const on1 = await produce(info, topic, 1, [{ value: Buffer.from('c') }]);
      await c.until(() => s.messages.length === 3, 10_000, 'the records written');
      deleted = (await deleteTopic(line, topic)).deleted;
      assert.ok(deleted);
      await c.until(() => s.end !== undefined, 30_000, 'the subscription ends');
      assert.equal(s.end?.reason, 'SUBSCRIPTION_END_TOPIC_DELETED', s.end?.message);
      assert.deepEqual(cursorOf(s.end), new Map([[0, on0 + 2n], [1, on1 + 1n]]));
      assert.deepEqual(ends.map((e) => [e.sequence ?? '0', e.subscriptionEnd?.subscription]), [['0', 9]], 'one end, pushed');
      assert.deepEqual(offsetsOf(s, 0), [on0, on0 + 1n]);
      // The connection goes on; the id is free again and the topic is unknown.
      const again = await c.subscribe(9, { topic });
      assert.equal(again.errorResp?.message, `failed to subscribe, topic: ${topic}, partition: -1, err: not found topic`);
      assert.equal((await c.request({ cmdPing: { state: Buffer.from('x') } })).resp, 'pongResp');
      assert.deepEqual(c.strays, []);
    } finally {
      await c.close();
      if (!deleted) await deleteTopic(line, topic);
    }
  });

  test('a thousand subscriptions on one socket: the route\'s limit holds at 1,000, every one of them streams, and an unsubscribe frees a place', async () => {
    const topic = `live-thousand-${Date.now()}`;
    await ensureTopic(line, topic, 1);
    const c = await SubscribeClient.connect(p.ws('/thousand'));
    try {
      // In groups below the session's limit of commands in flight.
      for (let first = 1; first <= 1000; first += 50) {
        const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => c.subscribe(first + i, { topic, credit: 64 * 1024 })));
        for (const r of replies) startOf(r);
      }
      const refused = await c.subscribe(1001, { topic });
      assert.equal(refused.resp, 'errorResp');
      assert.equal(refused.errorResp?.message, `failed to subscribe, topic: ${topic}, partition: -1, err: too many subscriptions (limit 1000)`);
      const base = await produce(info, topic, 0, [{ value: Buffer.from('to all') }]);
      await c.until(() => [...c.subscriptions.values()].filter((s) => s.messages.length === 1).length === 1000, 10_000, 'the record at every subscription');
      for (let id = 1; id <= 1000; id++) assert.deepEqual(offsetsOf(c.seen(id), 0), [base], `subscription ${id}`);
      assert.equal(c.seen(1001).messages.length, 0);

      const end = await c.unsubscribe(500);
      assert.equal(end.resp, 'subscriptionEnd');
      assert.deepEqual(startOf(await c.subscribe(1001, { topic })), new Map([[0, base + 1n]]));
      const full = await c.subscribe(1002, { topic });
      assert.equal(full.errorResp?.message, `failed to subscribe, topic: ${topic}, partition: -1, err: too many subscriptions (limit 1000)`);
      const next = await produce(info, topic, 0, [{ value: Buffer.from('again') }]);
      const open = Array.from({ length: 1001 }, (_, i) => i + 1).filter((id) => id !== 500);
      await c.until(() => open.every((id) => c.seen(id).next.get(0) === next + 1n), 10_000, 'the next record at every open subscription');
      for (const id of open) assert.deepEqual(offsetsOf(c.seen(id), 0), id === 1001 ? [next] : [base, next], `subscription ${id}`);
      assert.ok(await settles(c.seen(500), 100));
      assert.deepEqual(offsetsOf(c.seen(500), 0), [base], 'nothing after its unsubscribe');
      assert.deepEqual(c.strays, []);
    } finally {
      await c.close();
    }
  });

  test('an allow-list that leaves the topic out: the subscribe is refused, the listed topic streams', async () => {
    const c = await SubscribeClient.connect(p.ws('/allow'));
    try {
      const r = await c.subscribe(1, { topic: 'multi', start: 'SUBSCRIBE_START_EARLIEST' });
      assert.equal(r.resp, 'errorResp');
      assert.equal(r.errorResp?.message, 'failed to subscribe, topic: multi, partition: -1, err: topic not allowed');
      const cursor = await c.subscribe(2, { topic: 'multi', partitions: [0], start: 'SUBSCRIBE_START_CURSOR', cursor: new Map([[0, 0n]]) });
      assert.equal(cursor.errorResp?.message, 'failed to subscribe, topic: multi, partition: -1, err: topic not allowed');
      assert.ok(await settles(c.seen(1), 200));
      assert.equal(c.seen(1).messages.length, 0);
      const want = readExpected(info, 'plain');
      startOf(await c.subscribe(1, { topic: 'plain', start: 'SUBSCRIBE_START_EARLIEST' }));
      await c.until(() => c.seen(1).messages.length >= want.length, 10_000, 'plain');
      sameMessages(c.seen(1), 0, want, 'plain');
    } finally {
      await c.close();
    }
  });

  test('int64-max credit, in a subscribe and granted twice more, overflows nothing: records keep arriving', async () => {
    const topic = `live-huge-credit-${Date.now()}`;
    await ensureTopic(line, topic, 1);
    const INT64_MAX = 9223372036854775807n;
    const c = await SubscribeClient.connect(p.ws('/plain'));
    try {
      startOf(await c.subscribe(1, { topic, credit: INT64_MAX }));
      const s = c.seen(1);
      const written: bigint[] = [];
      const write = async (n: number) => {
        const base = await produce(info, topic, 0, Array.from({ length: n }, (_, i) => ({ value: Buffer.alloc(2000, i) })));
        for (let i = 0; i < n; i++) written.push(base + BigInt(i));
      };
      await write(50);
      await c.until(() => s.messages.length === written.length, 10_000, 'the first records');
      c.grant(1, INT64_MAX);
      c.grant(1, INT64_MAX);
      // A failed grant is answered; an accepted one is not, so the ping's reply comes first.
      assert.equal((await c.request({ cmdPing: { state: Buffer.from('x') } })).resp, 'pongResp');
      await write(50);
      await write(50);
      await c.until(() => s.messages.length === written.length, 10_000, 'records after the grants');
      assert.deepEqual(offsetsOf(s, 0), written);
      assert.equal(s.end, undefined);
      assert.deepEqual(c.strays, [], 'an accepted grant is not answered');
    } finally {
      await c.close();
    }
  });
});
