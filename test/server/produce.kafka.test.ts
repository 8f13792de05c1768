import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  BROKER_LINES, bootstrap, ensureBroker, ensureTopic, javaPartitionsForKeys, readTopic, readTopicWithKcat, type BrokerInfo, type BrokerLine, type ReadRecord,
} from '../harness/kafka.js';
import { at, outcomesOf, produceBody, type Outcome, type OutRecord } from '../support/produce-client.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

/*
 * Produce through a real proxy against both broker lines, every claim checked with Kafka's own
 * Java consumer (readTopic), never with our decoder: each codec of a route, headers (null values
 * included), null and empty keys and values, explicit partitions, given timestamps and
 * LogAppendTime, Kafka's default partitioner (the partition of a key is the Java client's own
 * computation), and acks 0, 1 and all. The codec test's topic is also read with kcat (librdkafka). Errors, limits and exactly-once: produce-limits.kafka.test.ts
 * and produce-exactly-once.kafka.test.ts.
 */
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

function ok(o: Outcome | undefined): { partition: number; offset: bigint; timestamp: bigint } {
  if (o === undefined) throw new Error('no outcome');
  if (o.error !== undefined) throw new Error(`expected the record written, got ${o.error}`);
  return o;
}

const b = (s: string) => Buffer.from(s);

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: produce through the proxy`, () => {
    const tag = `${line.replace('.', '')}-${RUN}`;
    const topic = `kwp-ws-produce-${tag}`;
    const appendTopic = `kwp-ws-produce-lat-${tag}`;
    const acksTopic = `kwp-ws-produce-acks-${tag}`;
    let info: BrokerInfo;
    let p: RunningProxy;

    before(async () => {
      info = await ensureBroker(line as BrokerLine);
      await ensureTopic(line, topic, 3);
      await ensureTopic(line, appendTopic, 1, { 'message.timestamp.type': 'LogAppendTime' });
      await ensureTopic(line, acksTopic, 2);
      p = await startProxy();
      const routes: Array<[string, Record<string, unknown>]> = [
        ...CODECS.map((c): [string, Record<string, unknown>] => [`codec-${c}`, { topics: ['kwp-ws-produce-*'], compression: c, linger_ms: 5 }]),
        ['acks0', { topics: ['kwp-ws-produce-acks-*'], acks: 0 }],
        ['acks1', { topics: ['kwp-ws-produce-acks-*'], acks: 1 }],
        ['acksall', { topics: ['kwp-ws-produce-acks-*'], acks: 'all' }],
      ];
      for (const [id, produce] of routes) {
        const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin: { produce } }));
        assert.equal(put.status, 201, JSON.stringify(put.body));
      }
    });
    after(async () => {
      await p?.close();
    });

    test('every codec: headers (a null value too), null and empty keys and values, explicit partitions and timestamps, as Kafka\'s Java consumer reads them', async () => {
      const sent: Array<{ rec: OutRecord; outcome: { partition: number; offset: bigint; timestamp: bigint } }> = [];
      for (const codec of CODECS) {
        const c = await TestPubSubClient.connect(p.ws(`/codec-${codec}`));
        try {
          for (const partition of [0, 2]) {
            const recs: OutRecord[] = [
              { key: b(`k-${codec}-${partition}`), value: b(`${codec}-${partition}-plain`), timestamp: 1_700_000_000_123n },
              { key: null, value: b(`${codec}-${partition}-nullkey`), headers: [{ key: 'h1', value: b('v1') }, { key: 'h-null', value: null }, { key: 'h1', value: b('again') }] },
              { key: b(''), value: b(`${codec}-${partition}-emptykey`), headers: [{ key: 'empty', value: b('') }] },
              // A compressible record, so the codec has something to do.
              { key: b('big'), value: Buffer.concat([b(`${codec}-${partition}-big:`), Buffer.alloc(20_000, 'abc')]) },
              { key: b(`tomb-${codec}-${partition}`), value: null },
              { key: b(`emptyvalue-${codec}-${partition}`), value: b('') },
            ];
            const outcomes = outcomesOf(await c.request(produceBody(topic, recs, { partition })));
            assert.equal(outcomes.length, recs.length);
            recs.forEach((rec, i) => {
              const o = ok(outcomes[i]);
              assert.equal(o.partition, partition);
              sent.push({ rec, outcome: o });
            });
            const offsets = outcomes.map((o) => ok(o).offset);
            assert.deepEqual(offsets, offsets.map((_, i) => offsets[0]! + BigInt(i)), 'one command to one partition: consecutive offsets');
          }
        } finally {
          await c.close();
        }
      }
      const read = await readTopic(line, topic);
      const byAt = new Map(read.map((r) => [at(r), r]));
      for (const { rec, outcome } of sent) {
        const got = byAt.get(at(outcome));
        assert.ok(got !== undefined, `${at(outcome)} not in the topic`);
        assert.deepEqual(got.key, rec.key ?? null);
        assert.deepEqual(got.value, rec.value ?? null);
        assert.deepEqual(got.headers, rec.headers ?? []);
        assert.equal(got.timestamp, outcome.timestamp, 'the acknowledged timestamp is the stored one');
        if (rec.timestamp !== undefined) assert.equal(got.timestamp, rec.timestamp);
        else assert.ok(got.timestamp > 1_700_000_000_000n, 'the proxy stamped it');
      }
      assert.equal(read.filter((r) => r.partition !== 1).length, sent.length, 'nothing else in partitions 0 and 2');
      // A second independent reader: librdkafka (kcat) sees the same records.
      assert.deepEqual(await readTopicWithKcat(line, topic), read);
    });

    test('the default partitioner: each key where Kafka\'s Java producer puts it; keyless records stick to one partition per batch', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => b(`user-${i}-${RUN}`));
      const java = await javaPartitionsForKeys(line, 3, keys);
      const c = await TestPubSubClient.connect(p.ws('/codec-none'));
      try {
        const keyed = outcomesOf(await c.request(produceBody(topic, keys.map((key, i) => ({ key, value: b(`pk-${i}-${tag}`) })))));
        assert.deepEqual(keyed.map((o) => ok(o).partition), java, 'murmur2 as the Java client computes it');
        const keyless = outcomesOf(await c.request(produceBody(topic, Array.from({ length: 20 }, (_, i) => ({ value: b(`nk-${i}-${tag}`) })))));
        assert.equal(new Set(keyless.map((o) => ok(o).partition)).size, 1, 'one small command without keys goes to one partition');
        const read = await readTopic(line, topic);
        for (const [i, o] of keyed.entries()) {
          const r = read.find((x) => x.value?.toString() === `pk-${i}-${tag}`);
          assert.equal(r === undefined ? undefined : at(r), at(ok(o)));
        }
      } finally {
        await c.close();
      }
    });

    test('a LogAppendTime topic: the reply carries the broker\'s append time, which is what the consumer reads', async () => {
      const c = await TestPubSubClient.connect(p.ws('/codec-lz4'));
      try {
        const before = BigInt(Date.now());
        const [o] = outcomesOf(await c.request(produceBody(appendTopic, [{ value: b(`lat-${tag}`), timestamp: 1000n }])));
        const w = ok(o);
        assert.ok(w.timestamp >= before - 1000n && w.timestamp <= BigInt(Date.now()) + 1000n, `append time ${w.timestamp}, not the record's 1000`);
        const [r] = (await readTopic(line, appendTopic)).filter((x) => x.value?.toString() === `lat-${tag}`);
        assert.equal(r?.timestamp, w.timestamp);
      } finally {
        await c.close();
      }
    });

    test('acks 0, 1 and all: each route\'s records reach the topic; acks=0 is answered without offsets', async () => {
      const want = new Map<string, Outcome>();
      for (const route of ['acks0', 'acks1', 'acksall']) {
        const c = await TestPubSubClient.connect(p.ws(`/${route}`));
        try {
          for (let i = 0; i < 5; i++) {
            const values = [0, 1, 2].map((j) => `${route}-${i}-${j}-${tag}`);
            const outcomes = outcomesOf(await c.request(produceBody(acksTopic, values.map((v) => ({ key: b(v), value: b(v) })))));
            for (const [j, v] of values.entries()) want.set(v, outcomes[j]!);
          }
        } finally {
          await c.close();
        }
      }
      for (const [v, o] of want) {
        const w = ok(o);
        if (v.startsWith('acks0')) assert.equal(w.offset, -1n, `${v}: Kafka answers nothing with acks=0`);
        else assert.ok(w.offset >= 0n, v);
      }
      // acks=0 records leave the proxy before their reply: give the broker a moment to append.
      let read: ReadRecord[] = [];
      for (let i = 0; i < 20; i++) {
        read = await readTopic(line, acksTopic);
        if (read.length >= want.size) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(read.map((r) => r.value!.toString()).sort(), [...want.keys()].sort(), 'every record once, whatever the acks');
      for (const r of read) {
        const o = ok(want.get(r.value!.toString()));
        assert.equal(r.partition, o.partition);
        if (o.offset >= 0n) assert.equal(r.offset, o.offset);
      }
    });
  });
}
