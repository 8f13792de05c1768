import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { ConnectionError, RequestTimeoutError, ServerError, connect, type ConsumeStatus, type Message, type PubSubClient } from '../../src/client/index.js';
import { createProxy } from '../../src/server/index.js';
import { createLogger } from '../../src/server/log.js';
import { bootstrap, ensureBroker, readExpected, readTopics, type BrokerInfo, type ExpectedRecord, type ExpectedTopic } from '../harness/kafka.js';
import { kafkaRoute, startProxy, TEST_ADMIN_KEY, type RunningProxy } from '../support/proxy-fixture.js';
import { sameAsProduced } from '../support/expected-records.js';

/*
 * The SDK in Node (`ws` as the WebSocket) against a real proxy and a real Kafka 4 broker with the
 * harness's seeded topics. The harness's brokers are shared: never stopped or restarted here.
 */

/** Proto3 cannot carry a null key or value: both arrive as empty bytes. */
function sameMessages(got: Message[], want: ExpectedRecord[], where: string): void {
  sameAsProduced(got, want, where, true);
  got.forEach((m, i) => {
    const w = want[i]!;
    assert.deepEqual(m.headers.map((h) => h.text()), w.headers.map((h) => (h.value === null ? null : h.value.toString('utf8'))), `${where} offset ${w.offset} header text`);
  });
}

async function readThrough(c: PubSubClient, topic: string, partition: number, from: bigint): Promise<Message[]> {
  const out: Message[] = [];
  for (let offset = from; ;) {
    const r = await c.fetch(topic, partition, offset);
    if (r.messages.length === 0) return out;
    out.push(...r.messages);
    offset = r.messages[r.messages.length - 1]!.offset + 1n;
  }
}

const bigValue = (o: bigint): string => `big-${String(o).padStart(6, '0')}`;

describe('client SDK through a real proxy to Kafka 4', () => {
  let info: BrokerInfo;
  let topics: ExpectedTopic[];
  let p: RunningProxy;
  let c: PubSubClient;
  const offsetsOf = (name: string) => topics.find((t) => t.name === name)!.offsets;

  before(async () => {
    info = await ensureBroker('4');
    topics = readTopics(info);
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/kafka', kafkaRoute('/kafka', [bootstrap(info)]));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    c = await connect(p.ws('/kafka'), { WebSocket });
  });
  after(async () => {
    await c?.close();
    await p?.close();
  });

  test('ping echoes state', async () => {
    assert.equal(Buffer.from(await c.ping('kafka-ws-proxy')).toString(), 'kafka-ws-proxy');
    const bytes = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
    assert.deepEqual(await c.ping(bytes), bytes);
  });

  test('listOffset earliest and latest match every seeded partition', async () => {
    for (const t of topics) {
      for (const o of t.offsets) {
        assert.equal(await c.listOffset(t.name, o.partition, 'earliest'), o.logStartOffset, `${t.name}-${o.partition} earliest`);
        assert.equal(await c.listOffset(t.name, o.partition, 'latest'), o.highWatermark, `${t.name}-${o.partition} latest`);
      }
    }
  });

  test('listOffset by Date and by bigint timestamp: the first offset at or after it, -1n past the end', async () => {
    const recs = readExpected(info, 'timestamps').filter((r) => r.partition === 0);
    assert.ok(recs.length > 3);
    for (const r of recs) {
      const want = recs.find((x) => x.timestamp >= r.timestamp)!.offset;
      assert.equal(await c.listOffset('timestamps', 0, r.timestamp), want, `bigint ${r.timestamp}`);
      assert.equal(await c.listOffset('timestamps', 0, new Date(Number(r.timestamp))), want, `Date ${r.timestamp}`);
    }
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max refuses
    const max = recs.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), 0n);
    assert.equal(await c.listOffset('timestamps', 0, new Date(Number(max) + 1)), -1n);
  });

  test('fetch returns what the Java producer wrote: headers (null values included), nulls, zstd', async () => {
    for (const topic of ['headers', 'nulls', 'codec-zstd']) {
      for (const o of offsetsOf(topic)) {
        const got = await readThrough(c, topic, o.partition, o.logStartOffset);
        const want = readExpected(info, topic).filter((r) => r.partition === o.partition && r.offset >= o.logStartOffset);
        sameMessages(got, want, `${topic}-${o.partition}`);
      }
    }
    assert.ok(readExpected(info, 'headers').some((r) => r.headers.some((h) => h.value === null)), 'the fixture has null header values');
    const o = offsetsOf('codec-zstd')[0]!;
    const r = await c.fetch('codec-zstd', 0, o.logStartOffset);
    assert.equal(r.highWatermark, o.highWatermark);
    assert.equal(r.logStartOffset, o.logStartOffset);
  });

  test('many commands in flight on one socket are each matched to their own reply', async () => {
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 0) {
        const from = BigInt(i * 997);
        jobs.push(c.fetch('big', 0, from).then((r) => {
          assert.ok(r.messages.length > 0);
          assert.equal(r.messages[0]!.offset, from);
          assert.equal(r.messages[0]!.valueText(), bigValue(from));
        }));
      } else if (i % 3 === 1) {
        jobs.push(c.ping(`p${i}`).then((s) => assert.equal(Buffer.from(s).toString(), `p${i}`)));
      } else {
        jobs.push(c.listOffset('timestamps', 0, 'latest').then((o) => assert.equal(o, offsetsOf('timestamps')[0]!.highWatermark)));
      }
    }
    await Promise.all(jobs);
  });

  test('a request timeout rejects only that request; the connection stays usable', async () => {
    const put = await p.admin('PUT', '/apisix/admin/routes/slow', kafkaRoute('/slow', [bootstrap(info)], { plugin: { fetch: { max_wait_ms: 2000, min_bytes: 1 } } }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const s = await connect(p.ws('/slow'), { WebSocket, requestTimeoutMs: 300 });
    try {
      const hw = offsetsOf('plain')[0]!.highWatermark;
      // The proxy replies in request order, so commands sent after the waiting fetch would queue
      // behind it; the ones sent before must come back.
      const pong = s.ping('alive');
      const latest = s.listOffset('plain', 0, 'latest');
      const waiting = assert.rejects(s.fetch('plain', 0, hw), (e: unknown) => e instanceof RequestTimeoutError && e.code === 'KWP_CLIENT_ERR_TIMEOUT');
      assert.equal(Buffer.from(await pong).toString(), 'alive');
      assert.equal(await latest, hw);
      const t0 = Date.now();
      await waiting;
      assert.ok(Date.now() - t0 < 1500, 'rejected at the request timeout, not at max_wait_ms');
      // The proxy answers the timed-out fetch after max_wait_ms; that late reply must hurt nobody.
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(Buffer.from(await s.ping('still')).toString(), 'still');
      assert.equal(s.connected, true);
    } finally {
      await s.close();
    }
  });

  test('server errors carry the topic, partition and reason', async () => {
    await assert.rejects(c.fetch('no-such-topic', 0, 0n), (e: unknown) => {
      assert.ok(e instanceof ServerError);
      assert.equal(e.serverMessage, 'failed to fetch message, topic: no-such-topic, partition: 0, err: not found topic');
      assert.deepEqual([e.topic, e.partition, e.reason, e.code], ['no-such-topic', 0, 'not found topic', 'KWP_CLIENT_ERR_SERVER']);
      return true;
    });
    const hw = offsetsOf('plain')[0]!.highWatermark;
    await assert.rejects(c.fetch('plain', 0, hw + 10n), (e: unknown) => e instanceof ServerError && e.reason === 'OFFSET_OUT_OF_RANGE' && e.topic === 'plain' && e.partition === 0);
    await assert.rejects(c.listOffset('plain', 99, 'latest'), (e: unknown) => e instanceof ServerError && e.reason === 'not found partition' && e.partition === 99);
  });

  test("consume 'earliest' of big delivers the first 5000 offsets in order, no gap, no repeat", async () => {
    const start = offsetsOf('big')[0]!.logStartOffset;
    const fetches: Array<{ highWatermark: bigint; count: number }> = [];
    const got: Message[] = [];
    for await (const m of c.consume('big', 0, { from: 'earliest', onFetch: (f) => fetches.push(f) })) {
      got.push(m);
      if (got.length === 5000) break;
    }
    got.forEach((m, i) => {
      assert.equal(m.offset, start + BigInt(i));
      assert.equal(m.valueText(), bigValue(m.offset));
    });
    assert.ok(fetches.length >= 1 && fetches.every((f) => f.highWatermark === offsetsOf('big')[0]!.highWatermark && f.count > 0));
  });

  test('abort through the signal ends consume: mid-stream after exactly the messages taken, and while idle at the end', async () => {
    const ac = new AbortController();
    const got: bigint[] = [];
    for await (const m of c.consume('big', 0, { from: 0n, signal: ac.signal })) {
      got.push(m.offset);
      if (got.length === 100) ac.abort();
    }
    assert.equal(got.length, 100);
    const idle = new AbortController();
    const statuses: ConsumeStatus[] = [];
    const t0 = Date.now();
    setTimeout(() => idle.abort(), 600);
    for await (const m of c.consume('plain', 0, { signal: idle.signal, idleDelayMs: 100, onStatus: (s) => statuses.push(s) })) assert.fail(`'latest' of a quiet topic yielded ${m.offset}`);
    assert.ok(Date.now() - t0 < 1500);
    assert.deepEqual(statuses, [{ state: 'connected' }]);
  });

  test('consume throws ServerError OFFSET_OUT_OF_RANGE when started past the end', async () => {
    const hw = offsetsOf('plain')[0]!.highWatermark;
    await assert.rejects(async () => {
      for await (const m of c.consume('plain', 0, { from: hw + 100n })) assert.fail(`yielded ${m.offset}`);
    }, (e: unknown) => e instanceof ServerError && e.reason === 'OFFSET_OUT_OF_RANGE');
  });

  test('consume survives the proxy going away: a new proxy on the same port, every offset exactly once', async () => {
    // Small fetches, so the proxy goes away between and during fetches, not after one big batch.
    const route = { id: 'kafka', ...kafkaRoute('/kafka', [bootstrap(info)], { plugin: { max_frame_bytes: 16384 } }) };
    const logger = createLogger({ level: 'error', write: () => {} });
    const first = await createProxy({ adminKey: TEST_ADMIN_KEY, logger, routes: [route] });
    const { url } = await first.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(url).port);
    const r = await connect(`ws://127.0.0.1:${port}/kafka`, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 400, maxAttempts: 50 } });
    let second: Awaited<ReturnType<typeof createProxy>> | undefined;
    let restarted: Promise<void> | undefined;
    // Runs beside the loop: the consumer keeps fetching while the proxy shuts down, finds nothing
    // on the port for a while, then a new proxy with the same route.
    const restart = async (): Promise<void> => {
      await first.close();
      await new Promise((res) => setTimeout(res, 500));
      second = await createProxy({ adminKey: TEST_ADMIN_KEY, logger, routes: [route] });
      await second.listen({ port, host: '127.0.0.1' });
    };
    const statuses: ConsumeStatus[] = [];
    const fetches: bigint[] = [];
    const got: bigint[] = [];
    try {
      for await (const m of r.consume('big', 0, { from: 'earliest', onStatus: (s) => statuses.push(s), onFetch: (f) => fetches.push(f.nextOffset) })) {
        assert.equal(m.valueText(), bigValue(m.offset));
        got.push(m.offset);
        if (got.length === 3000) restarted = restart();
        if (got.length === 9000) break;
      }
      await restarted;
      assert.deepEqual(got, Array.from({ length: 9000 }, (_, i) => BigInt(i)));
      assert.ok(fetches.length > 10, `${fetches.length} fetches`);
      const states = statuses.map((s) => s.state);
      const firstReconnect = states.indexOf('reconnecting');
      assert.ok(firstReconnect > 0, `statuses: ${states.join(',')}`);
      assert.ok(statuses[firstReconnect]!.error instanceof ConnectionError);
      assert.equal(states.at(-1), 'connected');
      assert.ok(second !== undefined && r.connected);
    } finally {
      await restarted?.catch(() => {});
      await r.close();
      await first.close();
      await second?.close();
    }
  });
});
