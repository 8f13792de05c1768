import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KafkaClient, type KafkaRecord } from '../../src/kafka-wire/index.js';
import { bootstrap, ensureBroker, ensureTopic, type ExpectedRecord } from '../harness/kafka.js';
import { sameRecords } from '../support/expected-records.js';

/**
 * The demo's producer (scripts/demo/producer.mjs, our own Produce requests) against Kafka 4.x:
 * ensureTopic creates its topic once, and every record it reports as produced is read back by our
 * KafkaClient exactly (offset, timestamp, key, value, headers), in order in each partition.
 */
type Bytes = Uint8Array | string | null;
interface Header { key: string; value: Bytes }
interface RecordInput { partition: number; key: Bytes; value: Bytes; headers?: Header[]; timestamp?: bigint }
interface Produced extends RecordInput { topic: string; offset: bigint; timestamp: bigint; headers: Header[] }
interface ProducerModule {
  produceBatch(o: { bootstrap: string; topic: string; records: RecordInput[] }): Promise<Produced[]>;
  startProducer(o: { bootstrap: string; topic: string; partitions?: number; intervalMs?: number; onRecord?: (r: Produced) => void; onError?: (e: unknown) => void }): { stop(): Promise<void>; produced: Produced[] };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// A fresh topic per run: the creation itself is under test, and offsets then start at 0.
const TOPIC = `kwp-demo-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const PARTITIONS = 3;

function bytes(b: Bytes): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

function expected(r: Produced): ExpectedRecord {
  return {
    partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: bytes(r.key), value: bytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })), aborted: false, committed: true,
  };
}

/** Every record of the partition from offset 0 up to its high watermark. */
async function readAll(client: KafkaClient, partition: number): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  let offset = 0n;
  for (;;) {
    const r = await client.fetch(TOPIC, partition, offset, { maxWaitMs: 0 });
    out.push(...r.records);
    if (r.nextOffset >= r.highWatermark) return out;
    offset = r.nextOffset;
  }
}

describe('Kafka 4: ensureTopic and the demo producer', () => {
  let broker: string;
  let client: KafkaClient;
  let producer: ProducerModule;
  const produced: Produced[] = [];

  before(async () => {
    const info = await ensureBroker('4');
    broker = bootstrap(info);
    client = new KafkaClient({ brokers: [broker] });
    producer = (await import(pathToFileURL(join(root, 'scripts/demo/producer.mjs')).href)) as ProducerModule;
  });
  after(() => client?.close());

  test('ensureTopic creates the topic once, then finds it; another partition count is refused', async () => {
    assert.deepEqual(await ensureTopic('4', TOPIC, PARTITIONS), { created: true });
    assert.deepEqual(await ensureTopic('4', TOPIC, PARTITIONS), { created: false });
    await assert.rejects(ensureTopic('4', TOPIC, 2), /exists with 3 partitions, not 2/);
    const info = await client.topic(TOPIC);
    assert.deepEqual([...info.partitions.keys()].sort(), [0, 1, 2]);
    for (const p of info.partitions.values()) assert.equal(p.leader, 1, `partition ${p.partition} led by node 1`);
  });

  test('produceBatch: records land at the offsets it reports, byte for byte, over three partitions', async () => {
    const records: RecordInput[] = [
      { partition: 0, key: 'k0', value: '{"n":0}', headers: [{ key: 'source', value: 'test' }, { key: 'trace-id', value: 'abc' }] },
      { partition: 1, key: null, value: new Uint8Array([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]) },
      { partition: 0, key: 'clé ✓', value: 'valeur ✓', headers: [{ key: 'null-value', value: null }, { key: 'dup', value: '1' }, { key: 'dup', value: '2' }] },
      { partition: 2, key: '', value: '', timestamp: 1_700_000_000_123n },
      { partition: 2, key: 'tombstone', value: null },
      { partition: 0, key: 'k5', value: 'x'.repeat(10_000) },
    ];
    const got = await producer.produceBatch({ bootstrap: broker, topic: TOPIC, records });
    assert.equal(got.length, records.length);
    for (const [i, r] of got.entries()) assert.equal(r.key, records[i]!.key, 'in the order given');
    assert.deepEqual(got.map((r) => [r.partition, r.offset]), [[0, 0n], [1, 0n], [0, 1n], [2, 0n], [2, 1n], [0, 2n]]);
    assert.equal(got[3]!.timestamp, 1_700_000_000_123n, 'an explicit timestamp is kept');
    produced.push(...got);
  });

  test('produceBatch: an unknown topic or partition is an error, not a silent drop', async () => {
    await assert.rejects(producer.produceBatch({ bootstrap: broker, topic: `${TOPIC}-missing`, records: [{ partition: 0, key: 'a', value: 'b' }] }),
      (e: unknown) => (e as { code?: unknown }).code === 'KWIRE_ERR_KAFKA' && /UNKNOWN_TOPIC_OR_PARTITION/.test((e as Error).message));
    await assert.rejects(producer.produceBatch({ bootstrap: broker, topic: TOPIC, records: [{ partition: 7, key: 'a', value: 'b' }] }), /has no partition 7 \(it has 3\)/);
  });

  test('startProducer: sample orders round-robin, reported in order, stop() waits for the last', async () => {
    const seen: Produced[] = [];
    const errors: unknown[] = [];
    const started = Date.now();
    const p = producer.startProducer({ bootstrap: broker, topic: TOPIC, intervalMs: 10, onRecord: (r) => seen.push(r), onError: (e) => errors.push(e) });
    const deadline = Date.now() + 20_000;
    while (p.produced.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    const count = p.produced.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.produced.length, count, 'nothing is produced after stop()');
    assert.deepEqual(errors, []);
    assert.ok(count >= 12, `produced ${count}`);
    assert.deepEqual(seen, p.produced);
    p.produced.forEach((r, n) => {
      assert.equal(r.partition, n % PARTITIONS);
      assert.equal(r.key, `order-${n}`);
      const v = JSON.parse(String(r.value)) as { orderId: unknown; currency: unknown; total: unknown };
      assert.equal(v.orderId, n);
      assert.equal(v.currency, 'EUR');
      assert.equal(typeof v.total, 'number');
      assert.deepEqual(r.headers.map((h) => h.key), ['source', 'trace-id', 'sent-at']);
      assert.match(String(r.headers[1]!.value), /^[0-9a-f]{16}$/);
      // sent-at: epoch milliseconds, taken before the Produce request (which stamps the record's timestamp).
      const sentAt = String(r.headers[2]!.value);
      assert.match(sentAt, /^\d+$/);
      assert.ok(Number(sentAt) >= started && BigInt(sentAt) <= r.timestamp, `sent-at ${sentAt}, timestamp ${r.timestamp}, started ${started}`);
    });
    produced.push(...p.produced);
  });

  test('everything produced reads back exactly through KafkaClient, per partition in order', async () => {
    assert.ok(produced.length >= 18);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const want = produced.filter((r) => r.partition === partition).sort((a, b) => (a.offset < b.offset ? -1 : 1)).map(expected);
      assert.deepEqual(want.map((r) => r.offset), want.map((_, i) => BigInt(i)), `partition ${partition}: no gaps in what was reported`);
      sameRecords(await readAll(client, partition), want, `${TOPIC}-${partition}`);
    }
  });
});
