import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  Connection, type KafkaConnectionError, encodeRecordBatch, FetchApi, MetadataApi, ProduceApi,
} from '../../../src/kafka-wire/index.js';
import { ensureBroker, type BrokerInfo } from '../../harness/kafka.js';
import { FaultProxy } from '../../support/fault-proxy.js';

/**
 * Transport failures against real Kafka 4.x: replies swallowed, connections cut mid-request,
 * stray frames, oversized frames, a port that accepts and never speaks. Every request in flight
 * must fail with the connection's typed error; none may hang.
 */
const METADATA = { topics: [{ name: 'plain', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false };

function listen(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    onConnection(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, port: (server.address() as { port: number }).port, sockets });
  }));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (e: unknown) => (e as KafkaConnectionError).code);
}

describe('transport faults on real Kafka 4.x', () => {
  let info: BrokerInfo;
  let proxy: FaultProxy;

  before(async () => {
    info = await ensureBroker('4');
    proxy = await FaultProxy.start(info.host, info.ports.plaintext);
  });
  after(() => proxy.close());

  test('connection refused and an unresolvable host name', async () => {
    const { server, port } = await listen(() => {});
    await new Promise((r) => server.close(r));
    assert.equal(await codeOf(Connection.connect({ host: '127.0.0.1', port })), 'KWIRE_ERR_CONNECTION_REFUSED');
    assert.equal(await codeOf(Connection.connect({ host: 'no-such-broker.invalid', port: 9092 })), 'KWIRE_ERR_DNS');
  });

  test('a port that accepts TCP but never answers: the connect timeout fires', async () => {
    const silent = await listen(() => {});
    const t0 = Date.now();
    const err = await Connection.connect({ host: '127.0.0.1', port: silent.port, connectTimeoutMs: 400 }).catch((e: unknown) => e as KafkaConnectionError);
    assert.equal((err as KafkaConnectionError).code, 'KWIRE_ERR_CONNECT_TIMEOUT');
    assert.match((err as Error).message, /does this port speak Kafka/);
    assert.ok(Date.now() - t0 < 3000);
    for (const s of silent.sockets) s.destroy();
    await new Promise((r) => silent.server.close(r));
  });

  test('replies that never come: every request in flight fails with KWIRE_ERR_REQUEST_TIMEOUT', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: proxy.port, requestTimeoutMs: 300 });
    await c.request(MetadataApi, METADATA);
    proxy.blackhole = true;
    try {
      const codes = await Promise.all([1, 2, 3].map(() => codeOf(c.request(MetadataApi, METADATA))));
      assert.deepEqual(codes, ['KWIRE_ERR_REQUEST_TIMEOUT', 'KWIRE_ERR_REQUEST_TIMEOUT', 'KWIRE_ERR_REQUEST_TIMEOUT']);
      assert.equal(c.closed, true);
      assert.equal(await codeOf(c.request(MetadataApi, METADATA)), 'KWIRE_ERR_REQUEST_TIMEOUT');
    } finally {
      proxy.blackhole = false;
    }
  });

  test('the broker side closing mid-request fails all requests in flight with KWIRE_ERR_CONNECTION_CLOSED', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: proxy.port });
    proxy.blackhole = true;
    const first = [codeOf(c.request(MetadataApi, METADATA)), codeOf(c.request(MetadataApi, METADATA))];
    await new Promise((r) => setTimeout(r, 50));
    proxy.cutOnNext();
    const last = codeOf(c.request(MetadataApi, METADATA));
    const codes = await Promise.all([...first, last]);
    proxy.blackhole = false;
    assert.deepEqual(codes, Array(3).fill('KWIRE_ERR_CONNECTION_CLOSED'));
  });

  test('a response with a correlation id nobody asked for fails the connection with KWIRE_ERR_UNKNOWN_CORRELATION', async () => {
    const c = await Connection.connect({ host: '127.0.0.1', port: proxy.port });
    proxy.blackhole = true;
    const pending = codeOf(c.request(MetadataApi, METADATA));
    await new Promise((r) => setTimeout(r, 50));
    proxy.blackhole = false;
    proxy.inject(Buffer.from([0, 0, 0, 8, 0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 0]));
    assert.equal(await pending, 'KWIRE_ERR_UNKNOWN_CORRELATION');
    assert.equal(c.closed, true);
  });

  test('a response larger than maxFrameBytes fails with KWIRE_ERR_FRAME_TOO_LARGE before it is buffered', async () => {
    const c = await Connection.connect({ host: info.host, port: info.ports.plaintext, maxFrameBytes: 64 * 1024 });
    const err = await c.request(FetchApi, {
      maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, isolationLevel: 0,
      topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }],
    }, { version: 12 }).catch((e: unknown) => e as KafkaConnectionError);
    assert.equal((err as KafkaConnectionError).code, 'KWIRE_ERR_FRAME_TOO_LARGE');
    assert.match((err as Error).message, /exceeds the limit of 65536/);
  });

  test('backpressure: requests wait for the socket to drain and all complete in order', async () => {
    // Through a relay that stops reading for a moment, so the socket buffers are sure to fill: a
    // broker on another core reading as fast as we write would otherwise leave nothing to test.
    const relay = await FaultProxy.start(info.host, info.ports.plaintext);
    const c = await Connection.connect({ host: '127.0.0.1', port: relay.port });
    // 1 MiB batches to a topic that does not exist: the broker reads each whole and answers with an error.
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(1 << 20, 7) }] });
    const version = Math.min(c.version(ProduceApi), 12);
    const resume = relay.stall();
    const pending = Promise.all(Array.from({ length: 48 }, (_, i) => c.request(ProduceApi, {
      acks: 1, timeoutMs: 5000,
      topicData: [{ name: `kwp-no-such-topic-${i}`, partitionData: [{ index: 0, records }] }],
    }, { version })));
    for (let i = 0; i < 100 && c.framesHeld === 0; i++) await new Promise((r) => setTimeout(r, 10));
    resume();
    const replies = await pending;
    await relay.close();
    replies.forEach((r, i) => {
      assert.equal(r.body.responses[0]!.name, `kwp-no-such-topic-${i}`);
      assert.equal(r.body.responses[0]!.partitionResponses[0]!.errorCode, 3);
    });
    assert.ok(c.framesHeld > 0, 'no request ever waited for drain; the test did not exercise backpressure');
    c.close();
  });
});
