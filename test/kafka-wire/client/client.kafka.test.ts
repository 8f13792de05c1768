import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  EARLIEST, hasRecordsFrom, KafkaClient, KafkaClientRegistry, KafkaProtocolError, LATEST, RecordCursor, responsePool, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError,
  type KafkaRecord,
} from '../../../src/kafka-wire/index.js';
import {
  BIG_COUNT, BROKER_LINES, bootstrap, ensureBroker, ensureTruncatedTopic, readExpected, readTopics, TIMESTAMP_BASE,
  type BrokerInfo, type ExpectedTopic,
} from '../../harness/kafka.js';
import { sameRecords } from '../../support/expected-records.js';

/** The cluster client against the seeded topics of real Kafka 3.9.x and 4.x. */
async function readAll(c: KafkaClient, topic: string, partition: number, from: bigint, opts?: Parameters<KafkaClient['fetch']>[3]): Promise<KafkaRecord[]> {
  const end = (await c.listOffsets(topic, partition, LATEST)).offset;
  const out: KafkaRecord[] = [];
  for (let offset = from; offset < end;) {
    const r = await c.fetch(topic, partition, offset, opts);
    out.push(...r.records);
    assert.ok(r.nextOffset > offset, `${topic}-${partition}: no progress at ${offset}`);
    offset = r.nextOffset;
  }
  return out;
}

async function kafkaError(p: Promise<unknown>): Promise<KafkaProtocolError> {
  const e = await p.then(() => assert.fail('expected a Kafka error'), (x: unknown) => x);
  assert.ok(e instanceof KafkaProtocolError, String(e));
  return e;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: cluster client`, () => {
    let info: BrokerInfo;
    let topics: ExpectedTopic[];
    let client: KafkaClient;

    before(async () => {
      info = await ensureBroker(line);
      topics = readTopics(info);
      client = new KafkaClient({ brokers: ['127.0.0.1:1', bootstrap(info)], retryBackoffMs: 50 });
    });
    after(() => client.close());

    test('bootstrap skips a dead broker; offsets: earliest, latest and the last stable offset of every seeded partition', async () => {
      for (const t of topics) {
        for (const o of t.offsets) {
          assert.equal((await client.listOffsets(t.name, o.partition, EARLIEST)).offset, o.logStartOffset, `${t.name}-${o.partition} earliest`);
          assert.equal((await client.listOffsets(t.name, o.partition, LATEST)).offset, o.highWatermark, `${t.name}-${o.partition} latest`);
          const committed = await client.listOffsets(t.name, o.partition, LATEST, { isolation: 'read_committed' });
          assert.equal(committed.offset, o.lastStableOffset, `${t.name}-${o.partition} read_committed latest`);
        }
      }
    });

    test('offsets by timestamp: the first offset at or after it, -1 past the last one, LogAppendTime too', async () => {
      assert.deepEqual(await client.listOffsets('timestamps', 0, TIMESTAMP_BASE + 5500n), { offset: 6n, timestamp: TIMESTAMP_BASE + 6000n });
      assert.equal((await client.listOffsets('timestamps', 0, Number(TIMESTAMP_BASE))).offset, 0n);
      assert.equal((await client.listOffsets('timestamps', 0, TIMESTAMP_BASE + 19_000n)).offset, 19n);
      assert.equal((await client.listOffsets('timestamps', 0, TIMESTAMP_BASE + 19_001n)).offset, -1n);
      const lat = readExpected(info, 'log-append-time');
      const at = await client.listOffsets('log-append-time', 0, lat[3]!.timestamp);
      assert.ok(at.offset <= 3n && at.timestamp === lat[Number(at.offset)]!.timestamp, 'LogAppendTime search');
    });

    test('fetch returns exactly what the Java producer wrote: every codec, headers, nulls, LogAppendTime, several partitions', async () => {
      for (const t of topics) {
        if (t.name === 'big' || t.name === 'txn') continue;
        const want = readExpected(info, t.name);
        for (const o of t.offsets) {
          const got = await readAll(client, t.name, o.partition, 0n, { maxBytes: 4096 });
          sameRecords(got, want.filter((r) => r.partition === o.partition), `${t.name}-${o.partition}`);
        }
      }
    });

    test('transactions: read_uncommitted sees aborted records, read_committed drops them; markers never appear', async () => {
      const want = readExpected(info, 'txn');
      sameRecords(await readAll(client, 'txn', 0, 0n), want, 'txn read_uncommitted');
      sameRecords(await readAll(client, 'txn', 0, 0n, { isolation: 'read_committed' }), want.filter((r) => r.committed), 'txn read_committed');
      sameRecords(await readAll(client, 'txn', 0, 0n, { isolation: 'read_committed', maxBytes: 1 }), want.filter((r) => r.committed), 'txn read_committed, one batch per fetch');
    });

    test('a fetch in the middle of a compressed batch drops the batch records before the offset', async () => {
      for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
        const r = await client.fetch(`codec-${codec}`, 0, 61n, { maxBytes: 1 });
        assert.equal(r.records[0]?.offset, 61n, codec);
        assert.equal(r.records.length, 59, `${codec}: the rest of the batch of 60 at 60-119`);
        assert.equal(r.nextOffset, 120n);
      }
    });

    test('fetchBatches walked with a RecordCursor yields what fetch returns: every topic, both isolations, mid-batch offsets', async () => {
      const cursor = new RecordCursor();
      const same = async (topic: string, partition: number, offset: bigint, opts: Parameters<KafkaClient['fetch']>[3]): Promise<bigint> => {
        const want = await client.fetch(topic, partition, offset, opts);
        const got = await client.fetchBatches(topic, partition, offset, opts);
        assert.equal(got.fromOffset, offset);
        assert.deepEqual([got.nextOffset, got.highWatermark, got.lastStableOffset, got.logStartOffset], [want.nextOffset, want.highWatermark, want.lastStableOffset, want.logStartOffset]);
        const walked: unknown[] = [];
        for (const b of got.batches) {
          assert.equal(b.records.length, 0, 'no record objects');
          cursor.reset(b, got.fromOffset);
          while (cursor.next()) {
            walked.push([cursor.offset, cursor.timestamp, cursor.keyLength < 0 ? null : Buffer.from(cursor.buf.subarray(cursor.keyStart, cursor.keyStart + cursor.keyLength)),
              cursor.valueLength < 0 ? null : Buffer.from(cursor.buf.subarray(cursor.valueStart, cursor.valueStart + cursor.valueLength)),
              cursor.headers().map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])]);
          }
        }
        const expected = want.records.map((r) => [r.offset, r.timestamp, r.key === null ? null : Buffer.from(r.key), r.value === null ? null : Buffer.from(r.value),
          r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])]);
        assert.deepEqual(walked, expected, `${topic}-${partition} at ${offset}`);
        assert.equal(hasRecordsFrom(got.batches, offset), expected.length > 0);
        got.release();
        want.release();
        return want.nextOffset;
      };
      for (const t of topics) {
        for (const o of t.offsets) {
          for (const isolation of ['read_uncommitted', 'read_committed'] as const) {
            const end = t.name === 'big' ? 2000n : o.highWatermark;
            for (let at = o.logStartOffset; at < end;) at = await same(t.name, o.partition, at, { maxBytes: 64 * 1024, isolation });
          }
        }
      }
      for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) await same(`codec-${codec}`, 0, 61n, { maxBytes: 1 });
    });

    test('fetch at the high watermark is empty; below the log start and past the end is OFFSET_OUT_OF_RANGE', async () => {
      const hw = (await client.listOffsets('plain', 0, LATEST)).offset;
      const atEnd = await client.fetch('plain', 0, hw);
      assert.deepEqual([atEnd.records.length, atEnd.nextOffset, atEnd.highWatermark, atEnd.logStartOffset], [0, hw, hw, 0n]);
      assert.equal((await kafkaError(client.fetch('plain', 0, hw + 5n))).errorName, 'OFFSET_OUT_OF_RANGE');
      const truncated = await ensureTruncatedTopic(line);
      assert.equal(truncated.logStartOffset, 4n);
      assert.equal((await client.listOffsets('truncated', 0, EARLIEST)).offset, 4n);
      assert.equal((await kafkaError(client.fetch('truncated', 0, 2n))).errorName, 'OFFSET_OUT_OF_RANGE');
      const first = await client.fetch('truncated', 0, 4n);
      assert.equal(first.records[0]!.offset, 4n);
      assert.equal(first.logStartOffset, 4n);
    });

    test('an unknown topic and an unknown partition fail at once with typed errors, creating nothing', async () => {
      const name = `kwp-missing-${line}`;
      await assert.rejects(client.fetch(name, 0, 0n), (e: unknown) => e instanceof UnknownTopicError && e.topic === name);
      await assert.rejects(client.listOffsets(name, 0, LATEST), UnknownTopicError);
      await assert.rejects(client.fetch('plain', 1, 0n), (e: unknown) => e instanceof UnknownPartitionError && e.partition === 1);
      await assert.rejects(client.listOffsets('multi', 3, EARLIEST), UnknownPartitionError);
      await assert.rejects(client.topic(name), UnknownTopicError, 'Metadata never auto-created the topic');
    });

    test(`reads all ${BIG_COUNT} records of "big" through repeated fetches, each offset once and in order`, async (t) => {
      let expected = 0n;
      const times: number[] = [];
      for (let offset = 0n; offset < BigInt(BIG_COUNT);) {
        const t0 = performance.now();
        const r = await client.fetch('big', 0, offset, { maxBytes: 64 * 1024 });
        times.push(performance.now() - t0);
        for (const rec of r.records) {
          assert.equal(rec.offset, expected);
          expected++;
        }
        offset = r.nextOffset;
      }
      assert.equal(expected, BigInt(BIG_COUNT));
      times.sort((a, b) => a - b);
      t.diagnostic(`Kafka ${line}: ${times.length} fetches of <= 64 KiB, round trip p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms`);
    });

    test('release() lends a response back: concurrent fetches that release reuse memory and every value stays intact', async () => {
      // Reference values read without release.
      const reference = new Map<bigint, string>();
      for (let offset = 0n; offset < BigInt(BIG_COUNT);) {
        const r = await client.fetch('big', 0, offset, { maxBytes: 64 * 1024 });
        for (const rec of r.records) reference.set(rec.offset, rec.value?.toString('hex') ?? 'null');
        offset = r.nextOffset;
      }
      const reusesBefore = responsePool.reuses;
      let checked = 0;
      // Eight loops over the same records; each checks its records against the reference, then
      // releases, while the others' responses arrive into the memory it gave back.
      await Promise.all(Array.from({ length: 8 }, async (_, i) => {
        for (let offset = BigInt(i * 37); offset < BigInt(BIG_COUNT);) {
          const r = await client.fetch('big', 0, offset, { maxBytes: 64 * 1024 });
          await new Promise((resolve) => setImmediate(resolve));
          for (const rec of r.records) {
            assert.equal(rec.value?.toString('hex') ?? 'null', reference.get(rec.offset), `offset ${rec.offset}`);
            checked++;
          }
          offset = r.nextOffset;
          r.release();
        }
      }));
      assert.ok(checked >= 8 * (BIG_COUNT - 8 * 37), `${checked} records checked`);
      assert.ok(responsePool.reuses > reusesBefore, 'released responses were reused');
    });

    test('callers share one connection per broker; different credentials never share', async () => {
      const shared = new KafkaClient({ brokers: [bootstrap(info)] });
      await Promise.all([shared.fetch('plain', 0, 0n), shared.listOffsets('multi', 2, LATEST), shared.fetch('headers', 0, 0n)]);
      assert.equal((await shared.openConnections()).length, 1);
      shared.close();

      const registry = new KafkaClientRegistry();
      const sasl = (u: typeof info.users.plain) => ({ brokers: [bootstrap(info, 'saslPlaintext')], sasl: { mechanism: 'PLAIN' as const, ...u } });
      const a1 = registry.acquire(sasl(info.users.plain));
      const a2 = registry.acquire(sasl(info.users.plain));
      const b = registry.acquire(sasl(info.users.admin));
      assert.equal(a1, a2);
      assert.notEqual(a1, b);
      await Promise.all([a1.fetch('plain', 0, 0n), a2.fetch('plain', 0, 0n), b.fetch('plain', 0, 0n)]);
      assert.equal((await a1.openConnections()).length, 1);
      assert.equal((await b.openConnections()).length, 1);
      registry.release(a1);
      assert.equal(a1.isClosed, false, 'still used by a second caller');
      registry.release(a2);
      assert.equal(a1.isClosed, true);
      registry.release(b);
      assert.equal(registry.size, 0);
    });

    test('connectionsPerBroker: a second connection opens only while the first is busy, never more than the limit, and both carry requests', async () => {
      const c = new KafkaClient({ brokers: [bootstrap(info)], connectionsPerBroker: 3 });
      try {
        await c.fetch('plain', 0, 0n);
        assert.equal((await c.openConnections()).length, 1, 'one request at a time needs one connection');
        await c.fetch('plain', 0, 0n);
        assert.equal((await c.openConnections()).length, 1);
        // 200 concurrent fetches: every result is right, and the pool grows to its limit and no further.
        const want = (await c.fetch('big', 0, 0n, { maxBytes: 4096 })).records.map((r) => r.value?.toString());
        const results = await Promise.all(Array.from({ length: 200 }, () => c.fetch('big', 0, 0n, { maxBytes: 4096 })));
        for (const r of results) assert.deepEqual(r.records.map((x) => x.value?.toString()), want);
        const open = await c.openConnections();
        assert.ok(open.length >= 2 && open.length <= 3, `${open.length} connections`);
      } finally {
        c.close();
      }
      assert.throws(() => new KafkaClient({ brokers: [bootstrap(info)], connectionsPerBroker: 0 }), /connectionsPerBroker must be an integer from 1 to 64/);
    });
  });
}

describe('cluster client failures', () => {
  test('a broker that accepts TCP but never answers: bounded retries, then RetriesExhaustedError', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const c = new KafkaClient({ brokers: [`127.0.0.1:${port}`], connectTimeoutMs: 150, retries: 2, retryBackoffMs: 10 });
    const err = await c.fetch('plain', 0, 0n).catch((e: unknown) => e);
    assert.ok(err instanceof RetriesExhaustedError, String(err));
    assert.equal(err.attempts, 3);
    assert.match(err.message, /CONNECT_TIMEOUT|no ApiVersions answer/);
    assert.equal(sockets.length, 3, 'one connection attempt per try');
    c.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  test('close releases every socket and timer, also with a backoff and a re-authentication timer pending', async () => {
    const info = await ensureBroker('4');
    const handles = (): number => process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap').length;
    await new Promise((r) => setTimeout(r, 50));
    const before = handles();
    const c = new KafkaClient({ brokers: ['127.0.0.1:1', bootstrap(info, 'saslPlaintext')], sasl: { mechanism: 'SCRAM-SHA-512', ...info.users.scram } });
    await c.fetch('plain', 0, 0n);
    const conns = await c.openConnections();
    assert.equal(conns[0]!.sessionLifetimeMs, 4000, 'a re-authentication timer is armed');
    const dead = new KafkaClient({ brokers: ['127.0.0.1:1'], retries: 50, retryBackoffMs: 10_000 });
    const pending = dead.fetch('plain', 0, 0n).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(handles() > before);
    c.close();
    dead.close();
    assert.equal(((await pending) as Error).name, 'KafkaClientClosedError');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(handles(), before, `left behind: ${process.getActiveResourcesInfo().join(', ')}`);
    await assert.rejects(c.fetch('plain', 0, 0n), { code: 'KWIRE_ERR_CLIENT_CLOSED' });
  });
});
