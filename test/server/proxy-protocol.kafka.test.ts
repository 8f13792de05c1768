import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BROKER_LINES, bootstrap, ensureBroker, readExpected, readTopics, type BrokerInfo, type ExpectedRecord, type ExpectedTopic } from '../harness/kafka.js';
import type { DecodedResp } from '../support/pubsub-proto.js';
import { TestPubSubClient } from '../support/pubsub-client.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { Rng } from '../support/random.js';
import { sameAsProduced } from '../support/expected-records.js';

type Message = NonNullable<NonNullable<DecodedResp['kafkaFetchResp']>['messages']>[number];

/** Reads a partition the way APISIX's example client does: continue from the last offset + 1 until a fetch comes back empty. */
async function readThrough(c: TestPubSubClient, topic: string, partition: number, from: bigint): Promise<Message[]> {
  const out: Message[] = [];
  let offset = from;
  for (;;) {
    const r = await c.fetch(topic, partition, offset);
    assert.equal(r.resp, 'kafkaFetchResp', `${topic}-${partition}@${offset}: ${r.errorResp?.message}`);
    const msgs = r.kafkaFetchResp?.messages ?? [];
    if (msgs.length === 0) return out;
    out.push(...msgs);
    offset = BigInt(msgs[msgs.length - 1]!.offset ?? '0') + 1n;
  }
}

/** Proto3 drops empty bytes, so a null and an empty key both arrive absent. */
function sameMessages(got: Message[], want: ExpectedRecord[], where: string): void {
  sameAsProduced(got.map((m) => ({
    offset: BigInt(m.offset ?? '0'),
    timestamp: BigInt(m.timestamp ?? '0'),
    key: m.key ?? new Uint8Array(0),
    value: m.value ?? new Uint8Array(0),
    headers: (m.headers ?? []).map((h) => ({ key: h.key ?? '', value: h.value ?? null })),
  })), want, where, true);
}

function errorOf(r: DecodedResp): string {
  assert.equal(r.resp, 'errorResp', `expected an error reply, got ${r.resp}`);
  assert.equal(r.errorResp?.code ?? 0, 0);
  return r.errorResp?.message ?? '';
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: PubSub over WebSocket`, () => {
    let info: BrokerInfo;
    let topics: ExpectedTopic[];
    let p: RunningProxy;
    let c: TestPubSubClient;

    before(async () => {
      info = await ensureBroker(line);
      topics = readTopics(info);
      p = await startProxy();
      const put = await p.admin('PUT', '/apisix/admin/routes/kafka', kafkaRoute('/kafka', [bootstrap(info)]));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      c = await TestPubSubClient.connect(p.ws('/kafka'));
    });
    after(async () => {
      await c?.close();
      await p?.close();
    });

    test('ping echoes state and sequence; cmd_empty is an unknown command; no command, text and empty frames get no reply', async () => {
      const state = new Rng(1).bytes(1000);
      const pong = await c.ping(state);
      assert.equal(pong.resp, 'pongResp');
      assert.deepEqual(Buffer.from(pong.pongResp?.state ?? []), state);
      const empty = await c.request({ cmdEmpty: {} });
      assert.equal(errorOf(empty), 'unknown command');
      c.send({});
      c.ws.send('{"cmd_ping": {}}');
      c.ws.send(Buffer.alloc(0));
      assert.ok(await c.silentFor(300), 'a request without a command must get no reply');
      const after = await c.ping(Buffer.from('still open'));
      assert.equal(Buffer.from(after.pongResp?.state ?? []).toString(), 'still open');
    });

    test('an undecodable binary frame gets "wrong command" with sequence 0 and the connection stays open', async () => {
      c.ws.send(Buffer.from([0x8a, 0x02, 0x7f, 0x01]));
      const r = await c.next();
      assert.equal(r.sequence ?? '0', '0');
      assert.equal(errorOf(r), 'wrong command');
      assert.equal((await c.ping(Buffer.from('x'))).resp, 'pongResp');
    });

    test('list offset: -2 earliest and -1 latest of every seeded partition', async () => {
      for (const t of topics) {
        for (const o of t.offsets) {
          const e = await c.listOffset(t.name, o.partition, -2);
          assert.equal(e.kafkaListOffsetResp?.offset ?? '0', o.logStartOffset.toString(), `${t.name}-${o.partition} earliest`);
          const l = await c.listOffset(t.name, o.partition, -1);
          assert.equal(l.kafkaListOffsetResp?.offset ?? '0', o.highWatermark.toString(), `${t.name}-${o.partition} latest`);
        }
      }
    });

    test('list offset by timestamp: the first offset at or after it, -1 past the last', async () => {
      const recs = readExpected(info, 'timestamps').filter((r) => r.partition === 0);
      assert.ok(recs.length > 3);
      for (const r of recs) {
        const want = recs.find((x) => x.timestamp >= r.timestamp)!.offset;
        const got = await c.listOffset('timestamps', 0, r.timestamp);
        assert.equal(got.kafkaListOffsetResp?.offset ?? '0', want.toString(), `timestamp ${r.timestamp}`);
      }
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max refuses
      const max = recs.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), 0n);
      assert.equal((await c.listOffset('timestamps', 0, max + 1n)).kafkaListOffsetResp?.offset, '-1');
    });

    test('every seeded topic and partition read through the proxy equals what the Java producer wrote (all codecs, headers, nulls, transactions)', async () => {
      for (const t of topics) {
        if (t.name === 'big') continue;
        for (const o of t.offsets) {
          const got = await readThrough(c, t.name, o.partition, o.logStartOffset);
          const want = readExpected(info, t.name).filter((r) => r.partition === o.partition && r.offset >= o.logStartOffset);
          sameMessages(got, want, `${t.name}-${o.partition}`);
        }
      }
    });

    test('fetch from the middle of a compressed batch starts at that offset; the reply carries the high watermark and log start', async () => {
      for (const codec of ['codec-gzip', 'codec-snappy', 'codec-lz4', 'codec-zstd']) {
        const want = readExpected(info, codec).filter((r) => r.partition === 0);
        const from = want[Math.floor(want.length / 2)]!.offset;
        const r = await c.fetch(codec, 0, from);
        const msgs = r.kafkaFetchResp?.messages ?? [];
        assert.ok(msgs.length > 0);
        assert.equal(msgs[0]!.offset, from.toString(), codec);
        const o = topics.find((t) => t.name === codec)!.offsets[0]!;
        assert.equal(r.kafkaFetchResp?.highWatermark, o.highWatermark.toString());
        assert.equal(r.kafkaFetchResp?.logStartOffset ?? '0', o.logStartOffset.toString());
      }
    });

    test('fetch at the high watermark is an empty kafka_fetch_resp; past it is OFFSET_OUT_OF_RANGE', async () => {
      const o = topics.find((t) => t.name === 'plain')!.offsets[0]!;
      const atEnd = await c.fetch('plain', 0, o.highWatermark);
      assert.equal(atEnd.resp, 'kafkaFetchResp');
      assert.deepEqual(atEnd.kafkaFetchResp?.messages ?? [], []);
      const past = await c.fetch('plain', 0, o.highWatermark + 10n);
      assert.equal(errorOf(past), 'failed to fetch message, topic: plain, partition: 0, err: OFFSET_OUT_OF_RANGE');
    });

    test('unknown topic and partition: APISIX messages, connection kept', async () => {
      assert.equal(errorOf(await c.fetch('no-such-topic', 0, 0)), 'failed to fetch message, topic: no-such-topic, partition: 0, err: not found topic');
      assert.equal(errorOf(await c.listOffset('no-such-topic', 3, -1)), 'failed to list offset, topic: no-such-topic, partition: 3, err: not found topic');
      assert.equal(errorOf(await c.fetch('plain', 99, 0)), 'failed to fetch message, topic: plain, partition: 99, err: not found partition');
      assert.equal(errorOf(await c.listOffset('plain', -1, -2)), 'failed to list offset, topic: plain, partition: -1, err: not found partition');
      assert.equal((await c.ping(Buffer.from('ok'))).resp, 'pongResp');
    });

    test('pipelined commands are answered in request order, each with its sequence', async () => {
      const sent: Array<[string, string, number]> = [];
      for (let i = 0; i < 60; i++) {
        const kind = i % 4;
        if (kind === 0) sent.push([c.send({ cmdKafkaFetch: { topic: 'big', partition: 0, offset: String(i * 1000) } }), 'kafkaFetchResp', i]);
        else if (kind === 1) sent.push([c.send({ cmdPing: { state: Buffer.from(String(i)) } }), 'pongResp', i]);
        else if (kind === 2) sent.push([c.send({ cmdKafkaListOffset: { topic: 'plain', partition: 0, timestamp: '-1' } }), 'kafkaListOffsetResp', i]);
        else sent.push([c.send({ cmdKafkaFetch: { topic: 'no-such-topic', partition: 0, offset: '0' } }), 'errorResp', i]);
      }
      for (const [sequence, kind, i] of sent) {
        const r = await c.next();
        assert.equal(r.sequence, sequence);
        assert.equal(r.resp, kind, `sequence ${sequence}`);
        if (kind === 'kafkaFetchResp') assert.equal(r.kafkaFetchResp?.messages?.[0]?.offset ?? '0', String(i * 1000));
        if (kind === 'pongResp') assert.equal(Buffer.from(r.pongResp?.state ?? []).toString(), String(i));
      }
    });

    test('the topic allow-list answers "topic not allowed" for other topics', async () => {
      const put = await p.admin('PUT', '/apisix/admin/routes/allow', kafkaRoute('/allow', [bootstrap(info)], { plugin: { topics: ['plain', 'codec-*'] } }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const a = await TestPubSubClient.connect(p.ws('/allow'));
      try {
        assert.ok((await a.fetch('plain', 0, 0)).kafkaFetchResp?.messages?.length);
        assert.ok((await a.fetch('codec-lz4', 0, 0)).kafkaFetchResp?.messages?.length);
        assert.equal(errorOf(await a.fetch('headers', 0, 0)), 'failed to fetch message, topic: headers, partition: 0, err: topic not allowed');
        assert.equal(errorOf(await a.listOffset('codec', 0, -1)), 'failed to list offset, topic: codec, partition: 0, err: topic not allowed');
      } finally {
        await a.close();
      }
    });

    test('read_committed route: aborted transactions are left out', async () => {
      const put = await p.admin('PUT', '/apisix/admin/routes/committed', kafkaRoute('/committed', [bootstrap(info)], { plugin: { fetch: { isolation_level: 'read_committed' } } }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const a = await TestPubSubClient.connect(p.ws('/committed'));
      try {
        const txn = topics.find((t) => t.name === 'txn')!;
        for (const o of txn.offsets) {
          const got = await readThrough(a, 'txn', o.partition, 0n);
          sameMessages(got, readExpected(info, 'txn').filter((r) => r.partition === o.partition && r.committed), `txn-${o.partition} read_committed`);
        }
      } finally {
        await a.close();
      }
    });

    test('max_frame_bytes caps every reply; the client continues from the next offset and misses nothing', async () => {
      const put = await p.admin('PUT', '/apisix/admin/routes/small', kafkaRoute('/small', [bootstrap(info)], { plugin: { max_frame_bytes: 4096 } }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const a = await TestPubSubClient.connect(p.ws('/small'));
      try {
        const got = await readThrough(a, 'headers', 0, 0n);
        sameMessages(got, readExpected(info, 'headers').filter((r) => r.partition === 0), 'headers-0 in 4 KiB frames');
        let offset = 0n;
        const seen: string[] = [];
        while (offset < 20_000n) {
          const r = await a.fetch('big', 0, offset);
          const msgs = r.kafkaFetchResp?.messages ?? [];
          assert.ok(msgs.length > 0);
          for (const m of msgs) seen.push(m.offset ?? '0');
          offset = BigInt(msgs[msgs.length - 1]!.offset!) + 1n;
        }
        assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => String(i)));
        assert.ok(a.frameSizes.length > 50);
        assert.ok(a.frameSizes.every((n) => n <= 4096), `largest frame ${Math.max(...a.frameSizes)}`);
      } finally {
        await a.close();
      }
    });

    test('100 concurrent clients on one route read their own ranges of big over one Kafka connection', async () => {
      const clients = await Promise.all(Array.from({ length: 100 }, () => TestPubSubClient.connect(p.ws('/kafka'))));
      try {
        await Promise.all(clients.map(async (x, i) => {
          const from = BigInt(i * 997);
          const r = await x.fetch('big', 0, from);
          const msgs = r.kafkaFetchResp?.messages ?? [];
          assert.ok(msgs.length > 100);
          msgs.forEach((m, k) => {
            assert.equal(m.offset ?? '0', (from + BigInt(k)).toString());
            assert.equal(Buffer.from(m.value ?? []).toString(), `big-${String(from + BigInt(k)).padStart(6, '0')}`);
          });
        }));
        assert.equal(p.proxy.connections, 101);
        // Four routes point at the same broker with the same (no) credentials: one shared client.
        assert.equal(p.proxy.kafkaClients, 1);
      } finally {
        await Promise.all(clients.map((x) => x.close()));
      }
    });

    test('unreachable brokers: "not found topic", and the connection stays usable', async () => {
      const put = await p.admin('PUT', '/apisix/admin/routes/dead', kafkaRoute('/dead', ['127.0.0.1:1']));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const a = await TestPubSubClient.connect(p.ws('/dead'));
      try {
        assert.equal(errorOf(await a.fetch('plain', 0, 0)), 'failed to fetch message, topic: plain, partition: 0, err: not found topic');
        assert.equal((await a.ping(Buffer.from('alive'))).resp, 'pongResp');
        assert.equal((await c.ping(Buffer.from('others unaffected'))).resp, 'pongResp');
      } finally {
        await a.close();
      }
    });
  });
}
