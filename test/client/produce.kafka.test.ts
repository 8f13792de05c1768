import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { AuthorizationError, connect, ServerError, type PubSubClient } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/*
 * The SDK's client.produce against a real proxy and Kafka 4, read back with Kafka's Java
 * consumer: acknowledgements with partitions and offsets, per-record errors in the result, the
 * typed errors of refused commands, and the SDK's own retry with the same idempotency key after
 * its connection is cut mid-command (through a TCP relay): written once.
 */
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const line = '4';

describe('client SDK: produce through a real proxy to Kafka 4', () => {
  const topic = `kwp-sdk-produce-${RUN}`;
  let info: BrokerInfo;
  let p: RunningProxy;
  let c: PubSubClient;

  before(async () => {
    info = await ensureBroker(line);
    await ensureTopic(line, topic, 2);
    p = await startProxy({ maxProduceBytes: 8192 });
    for (const [id, plugin] of [
      ['w', { produce: { topics: ['kwp-sdk-produce-*'], max_record_bytes: 1000 } }],
      ['slow', { produce: { topics: ['kwp-sdk-produce-*'], linger_ms: 1000 } }],
      ['r', {}],
    ] as const) {
      const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
    }
    c = await connect(p.ws('/w'), { WebSocket });
  });
  after(async () => {
    await c?.close();
    await p?.close();
  });

  test('acknowledgements carry partition, offset and timestamp; a record over max_record_bytes fails alone, in the result', async () => {
    const acks = await c.produce(topic, [
      { key: new TextEncoder().encode('k1'), value: new TextEncoder().encode(`sdk-1-${RUN}`), headers: [{ key: 'h', value: null }], timestamp: 1_700_000_000_000n },
      { value: new Uint8Array(1001) },
      { value: new TextEncoder().encode(`sdk-2-${RUN}`) },
    ], { partition: 1 });
    assert.equal(acks.length, 3);
    assert.deepEqual(acks[1], { partition: 1, error: 'MESSAGE_TOO_LARGE' });
    const [a, , b] = acks;
    if (a === undefined || a.error !== undefined || b === undefined || b.error !== undefined) throw new Error(`expected both written: ${JSON.stringify(acks, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    assert.equal(b.offset, a.offset + 1n);
    assert.equal(a.timestamp, 1_700_000_000_000n);
    const read = await readTopic(line, topic);
    assert.deepEqual(read.map((r) => [r.partition, r.offset, r.value?.toString()]), [[1, a.offset, `sdk-1-${RUN}`], [1, b.offset, `sdk-2-${RUN}`]]);
    assert.deepEqual(read[0]!.headers, [{ key: 'h', value: null }]);
  });

  test('typed errors: AuthorizationError for a topic not allowed, ServerError with the reason for produce off and a command too large', async () => {
    await assert.rejects(c.produce('elsewhere', [{ value: null }]), (e: unknown) => e instanceof AuthorizationError && e.code === 'KWP_CLIENT_ERR_FORBIDDEN' && e.topic === 'elsewhere');
    await assert.rejects(c.produce(topic, Array.from({ length: 20 }, () => ({ value: new Uint8Array(900) }))),
      (e: unknown) => e instanceof ServerError && e.code === 'KWP_CLIENT_ERR_SERVER' && /^command too large: \d+ bytes, more than max_produce_bytes 8192$/.test(e.reason));
    const ro = await connect(p.ws('/r'), { WebSocket });
    try {
      await assert.rejects(ro.produce(topic, [{ value: null }], { partition: 0 }),
        (e: unknown) => e instanceof ServerError && !(e instanceof AuthorizationError) && e.reason === 'produce is not enabled on this route' && e.partition === 0);
    } finally {
      await ro.close();
    }
  });

  test('the connection is cut mid-command: the SDK sends it again with the same key and the proxy answers with the first attempt, written once', async () => {
    const relay = await FaultProxy.start('127.0.0.1', Number(new URL(p.url).port));
    const s = await connect(`ws://127.0.0.1:${relay.port}/slow`, { WebSocket, reconnect: { initialDelayMs: 50 } });
    try {
      const repeats = () => {
        const m = p.proxy.metrics.snapshot().find((x) => x.name === 'kwp_produce_repeats_total');
        return m?.type === 'counter' ? m.series.reduce((n, x) => n + x.value, 0) : 0;
      };
      const before = repeats();
      const pending = s.produce(topic, [{ value: new TextEncoder().encode(`cut-${RUN}`) }], { partition: 0 });
      // linger_ms 1000: the first attempt waits for its batch when the connection goes.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(relay.connections, 1);
      relay.cutAll();
      const [ack] = await pending;
      if (ack === undefined || ack.error !== undefined) throw new Error(`expected it written, got ${ack?.error}`);
      assert.equal(repeats() - before, 1, 'the retry was answered from the first attempt');
      const read = (await readTopic(line, topic)).filter((r) => r.value?.toString() === `cut-${RUN}`);
      assert.deepEqual(read.map((r) => [r.partition, r.offset]), [[0, ack.offset]], 'written once, where the answer says');
    } finally {
      await s.close();
      await relay.close();
    }
  });
});
