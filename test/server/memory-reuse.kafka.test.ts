import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection, encodeRecordBatch, KafkaClient, ProduceApi, responsePool } from '../../src/kafka-wire/index.js';
import { sharedFramePool } from '../../src/pubsub/index.js';
import { bootstrap, ensureBroker, ensureTopic, type BrokerInfo } from '../harness/kafka.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

/*
 * The proxy reuses the memory of Kafka responses and reply frames once a reply is written
 * (BufferPool). Reuse must never show: many clients read an uncompressed topic (values are views of
 * the response itself) at overlapping offsets, every value is checked against the one its offset
 * was produced with, and both pools are seen handing memory out again.
 */
const TOPIC = 'memory-reuse';
const RECORDS = 4000;
const VALUE_BYTES = 700;

function recordValue(offset: number): Buffer {
  const v = Buffer.alloc(VALUE_BYTES, offset % 251);
  v.write(`offset-${offset}-`, 0, 'latin1');
  return v;
}

describe('Kafka 4: pooled memory under concurrent clients', () => {
  let info: BrokerInfo;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker('4');
    await ensureTopic('4', TOPIC, 1);
    // Idempotent: a value is a function of its offset, so an interrupted seed is topped up.
    const client = new KafkaClient({ brokers: [bootstrap(info)] });
    const hw = Number((await client.listOffsets(TOPIC, 0, -1n)).offset);
    client.close();
    const conn = await Connection.connect({ host: info.host, port: info.ports.plaintext });
    try {
      for (let base = hw; base < RECORDS; base += 100) {
        const records = Array.from({ length: Math.min(100, RECORDS - base) }, (_, i) => ({ key: Buffer.from(String(base + i)), value: recordValue(base + i) }));
        const res = await conn.request(ProduceApi, { acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records }) }] }] }, { version: Math.min(conn.version(ProduceApi), 12) });
        assert.equal(res.body.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
    } finally {
      conn.close();
    }
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/reuse', kafkaRoute('/reuse', [bootstrap(info)]));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
  });

  test('16 clients, 4 fetches in flight each, every value equals what its offset was produced with', async () => {
    const responsesBefore = responsePool.reuses;
    const framesBefore = sharedFramePool.reuses;
    const clients = await Promise.all(Array.from({ length: 16 }, () => TestPubSubClient.connect(p.ws('/reuse'))));
    let checked = 0;
    await Promise.all(clients.map(async (c, i) => {
      for (let round = 0; round < 6; round++) {
        const starts = [0, 1, 2, 3].map((k) => ((i * 211 + round * 577 + k * 997) % RECORDS));
        for (const s of starts) c.send({ cmdKafkaFetch: { topic: TOPIC, partition: 0, offset: String(s) } });
        for (const s of starts) {
          const r = await c.next();
          assert.equal(r.resp, 'kafkaFetchResp', JSON.stringify(r.errorResp));
          const msgs = r.kafkaFetchResp!.messages ?? [];
          assert.ok(msgs.length > 0);
          assert.equal(Number(msgs[0]!.offset ?? 0), s, 'replies come in request order, from the offset asked for');
          for (const m of msgs) {
            const o = Number(m.offset ?? 0);
            assert.ok(Buffer.from(m.value ?? []).equals(recordValue(o)), `value of offset ${o}`);
            assert.equal(Buffer.from(m.key ?? []).toString(), String(o));
            checked++;
          }
        }
      }
    }));
    await Promise.all(clients.map((c) => c.close()));
    assert.ok(checked > 16 * 6 * 4 * 100, `${checked} messages checked`);
    assert.ok(responsePool.reuses > responsesBefore, 'Kafka response memory was reused');
    assert.ok(sharedFramePool.reuses > framesBefore, 'reply frame memory was reused');
  });
});
