import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Connection, encodeRecordBatch, KafkaClient, KafkaConnectionError, partitionForKey, Producer, ProduceApi,
  type ProducerOptions, type ProducerTransport, type RecordInput, type RecordResult,
} from '../../../src/kafka-wire/index.js';
import {
  BROKER_LINES, bootstrap, electPreferredLeader, ensureBroker, ensureMovedTopic, ensureTopic, javaPartitionsForKeys,
  partitionLeader, readTopic, restartBroker, startSecondBroker, stopSecondBroker, type BrokerInfo, type ReadRecord,
} from '../../harness/kafka.js';
import { Rng } from '../../support/random.js';

/**
 * The Producer against real brokers of both lines, every claim checked with Kafka's own Java
 * consumer (scripts/kafka/dump.sh) or Java producer code (scripts/kafka/partitions.sh), not
 * with our decoder: codecs, headers, null keys and values, explicit partitions and the default
 * partitioner, acks 0/1/all, LogAppendTime, per-record errors, deduplicated retries after lost
 * answers, a fenced producer and a sequence taken by someone else, and many callers producing
 * exactly once through a broker restart.
 */

const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

function clientFor(info: BrokerInfo): KafkaClient {
  return new KafkaClient({ brokers: [bootstrap(info)], retries: 5, retryBackoffMs: 100, retryBackoffMaxMs: 500, connectTimeoutMs: 2000 });
}

function ok(r: RecordResult | undefined): { partition: number; offset: bigint; timestamp: bigint } {
  if (r === undefined) throw new Error('no result');
  if (r.error !== undefined) throw new Error(`expected an acknowledgement, got ${r.error.code} ${r.error.errorName}: ${r.error.message}`);
  return r;
}

function buf(v: Uint8Array | string | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(v);
}

interface Sent {
  input: RecordInput;
  result: RecordResult;
}

/**
 * What Kafka's consumer read is exactly what was acknowledged: each acknowledged record once, at
 * its partition and offset, with its key, value, headers (and timestamp unless `timestamps` is
 * false); and nothing else (every record in the topic was sent, none twice).
 */
function assertExactlyOnce(read: readonly ReadRecord[], sent: readonly Sent[], opts: { timestamps?: boolean; unacknowledgedValues?: ReadonlySet<string> } = {}): void {
  const byValue = new Map<string, ReadRecord[]>();
  for (const r of read) {
    const v = r.value?.toString('latin1') ?? '<null>';
    const list = byValue.get(v) ?? [];
    list.push(r);
    byValue.set(v, list);
  }
  for (const [v, list] of byValue) assert.equal(list.length, 1, `${v} is in the topic ${list.length} times`);
  const sentValues = new Set(sent.map((s) => buf(s.input.value)?.toString('latin1') ?? '<null>'));
  for (const v of byValue.keys()) assert.ok(sentValues.has(v) || opts.unacknowledgedValues?.has(v), `${v} is in the topic but was never sent`);
  for (const s of sent) {
    if (s.result.error !== undefined) {
      if (!s.result.error.maybeWritten) assert.equal(byValue.get(buf(s.input.value)?.toString('latin1') ?? '<null>'), undefined, 'a record that failed without maybeWritten is not in the topic');
      continue;
    }
    const got = byValue.get(buf(s.input.value)?.toString('latin1') ?? '<null>')?.[0];
    assert.ok(got !== undefined, `acknowledged ${buf(s.input.value)?.toString('latin1')} is missing`);
    assert.equal(got.partition, s.result.partition);
    if (s.result.offset >= 0n) assert.equal(got.offset, s.result.offset);
    assert.deepEqual(got.key, buf(s.input.key));
    assert.deepEqual(got.headers, (s.input.headers ?? []).map((h) => ({ key: h.key, value: buf(h.value) })));
    if (opts.timestamps !== false && s.input.timestamp !== undefined) assert.equal(got.timestamp, s.input.timestamp);
    if (s.result.offset >= 0n) assert.equal(got.timestamp, s.result.timestamp, 'the acknowledged timestamp is the stored one');
  }
}

async function sendAll(producer: Producer, topic: string, partition: number | undefined, inputs: RecordInput[], opts?: Parameters<Producer['send']>[3]): Promise<Sent[]> {
  const results = await producer.send(topic, partition, inputs, opts);
  return inputs.map((input, i) => ({ input, result: results[i]! }));
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: the idempotent producer`, () => {
    let info: BrokerInfo;
    let client: KafkaClient;
    let producer: Producer;
    const topic = `kwp-produce-${line.replace('.', '')}-${RUN}`;
    const small = `kwp-produce-small-${line.replace('.', '')}-${RUN}`;
    const appendTime = `kwp-produce-lat-${line.replace('.', '')}-${RUN}`;

    before(async () => {
      info = await ensureBroker(line);
      await ensureTopic(line, topic, 3);
      await ensureTopic(line, small, 1, { 'max.message.bytes': '2000' });
      await ensureTopic(line, appendTime, 1, { 'message.timestamp.type': 'LogAppendTime' });
      client = clientFor(info);
      producer = new Producer(client, { lingerMs: 2 });
    });
    after(async () => {
      await producer.close({ timeoutMs: 5000 });
      client.close();
    });

    test('every codec, headers, null and empty keys and values, explicit partitions, acks 0/1/all: Kafka\'s consumer reads exactly what was acknowledged', async () => {
      const sent: Sent[] = [];
      const calls: Array<Promise<Sent[]>> = [];
      for (const codec of CODECS) {
        for (let p = 0; p < 3; p++) {
          const inputs: RecordInput[] = Array.from({ length: 40 }, (_, i) => ({
            key: i % 7 === 0 ? null : i % 11 === 0 ? '' : `key-${codec}-${i}`,
            value: `${codec}-p${p}-${i}-${'v'.repeat(i * 3)}`,
            headers: i % 3 === 0 ? [] : [{ key: 'h1', value: `hv-${i}` }, { key: 'empty', value: '' }, { key: 'null', value: null }, { key: 'ü漢', value: Buffer.from([0, 255, 1]) }],
            timestamp: 1_700_000_000_000n + BigInt(i),
          }));
          calls.push(sendAll(producer, topic, p, inputs, { compression: codec }));
        }
      }
      // A null value is a tombstone, and only one may be told apart from the others by value.
      calls.push(sendAll(producer, topic, 1, [{ key: 'tomb', value: null, timestamp: 1_700_000_000_999n }]));
      for (const acks of [0, 1, -1] as const) {
        calls.push(sendAll(producer, topic, 2, Array.from({ length: 10 }, (_, i) => ({ key: `acks${acks}`, value: `acks${acks}-${i}` })), { acks }));
      }
      for (const c of await Promise.all(calls)) sent.push(...c);
      await producer.flush();
      for (const s of sent) ok(s.result);
      for (const s of sent.filter((x) => buf(x.input.value)?.toString().startsWith('acks0-'))) assert.equal(ok(s.result).offset, -1n, 'acks=0: Kafka answers nothing');
      for (const s of sent.filter((x) => buf(x.input.value)?.toString().startsWith('acks1-'))) assert.ok(ok(s.result).offset >= 0n);

      const read = await readTopic(line, topic);
      assert.equal(read.length, sent.length, 'nothing missing, nothing twice');
      assertExactlyOnce(read, sent);

      // Our batches on the wire carry the codec asked for (read with our client, the attribute bits).
      const codecsSeen = new Set<number>();
      const producerIds = new Set<bigint>();
      for (let p = 0; p < 3; p++) {
        let offset = 0n;
        for (;;) {
          const r = await client.fetchBatches(topic, p, offset, { maxBytes: 1 << 20 });
          for (const b of r.batches) {
            codecsSeen.add(b.attributes & 7);
            producerIds.add(b.producerId);
          }
          r.release();
          if (r.nextOffset >= r.highWatermark) break;
          offset = r.nextOffset;
        }
      }
      assert.deepEqual([...codecsSeen].sort(), [0, 1, 2, 3, 4]);
      assert.deepEqual([...producerIds].sort(), [-1n, producer.producerIdentity!.producerId], 'idempotent batches carry our producer id, acks=0 ones none');
    });

    test('the default partitioner: a keyed record lands where Kafka\'s Java producer puts it; keyless records stick to one partition per batch', async () => {
      const rng = new Rng(line === '4' ? 4 : 39);
      const keys = [Buffer.alloc(0), Buffer.from('21'), Buffer.from('foobar'), ...Array.from({ length: 197 }, () => rng.bytes(rng.int(1, 40)))];
      const java = await javaPartitionsForKeys(line, 3, keys);
      assert.deepEqual(keys.map((k) => partitionForKey(k, 3)), java, 'murmur2 as Java computes it');
      const sent = await sendAll(producer, topic, undefined, keys.map((key, i) => ({ key, value: `keyed-${i}` })));
      assert.deepEqual(sent.map((s) => ok(s.result).partition), java);
      const keyless = await sendAll(producer, topic, undefined, Array.from({ length: 30 }, (_, i) => ({ value: `keyless-${i}` })));
      assert.equal(new Set(keyless.map((s) => ok(s.result).partition)).size, 1);
      const read = await readTopic(line, topic);
      for (const s of [...sent, ...keyless]) {
        const r = read.find((x) => x.value?.toString() === buf(s.input.value)!.toString());
        assert.ok(r !== undefined);
        assert.equal(r.partition, ok(s.result).partition);
        assert.equal(r.offset, ok(s.result).offset);
      }
    });

    test('LogAppendTime: the acknowledged timestamp is the broker\'s append time, as the consumer reads it', async () => {
      const t0 = BigInt(Date.now());
      const sent = await sendAll(producer, appendTime, 0, [{ value: 'lat-0', timestamp: 1_000n }, { value: 'lat-1' }]);
      for (const s of sent) assert.ok(ok(s.result).timestamp >= t0 - 1000n, 'not the record\'s own 1000');
      const read = await readTopic(line, appendTime);
      assertExactlyOnce(read, sent, { timestamps: false });
    });

    test('per-record errors carry Kafka\'s names; the partition goes on after a refused batch', async () => {
      const [unknown] = await producer.send(`kwp-no-such-topic-${RUN}`, undefined, [{ value: 'x' }]);
      assert.equal(unknown!.error?.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
      assert.equal(unknown!.error?.code, 'KWIRE_ERR_PRODUCE');
      const [range] = await producer.send(topic, 3, [{ value: 'x' }]);
      assert.equal(range!.error?.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
      const [invalid] = await producer.send('no spaces allowed', 0, [{ value: 'x' }]);
      assert.equal(invalid!.error?.errorName, 'INVALID_TOPIC_EXCEPTION');

      // max.message.bytes=2000 on the topic: Kafka refuses the batch; the next one reuses its sequence.
      const first = await sendAll(producer, small, 0, [{ value: 'small-0' }]);
      const big = await sendAll(producer, small, 0, [{ value: `big-${'x'.repeat(5000)}` }]);
      assert.equal(big[0]!.result.error?.errorName, 'MESSAGE_TOO_LARGE');
      assert.equal(big[0]!.result.error?.code, 'KWIRE_ERR_PRODUCE');
      assert.equal(big[0]!.result.error?.maybeWritten, false);
      const next = await sendAll(producer, small, 0, [{ value: 'small-1' }, { value: 'small-2' }]);
      assert.deepEqual(next.map((s) => ok(s.result).offset), [1n, 2n]);
      const tiny = new Producer(client, { maxRequestBytes: 1000 });
      const [local] = await tiny.send(small, 0, [{ value: 'y'.repeat(2000) }]);
      assert.equal(local!.error?.code, 'KWIRE_ERR_RECORD_TOO_LARGE');
      assert.equal(local!.error?.errorName, 'MESSAGE_TOO_LARGE');
      await tiny.close();
      assertExactlyOnce(await readTopic(line, small), [...first, ...big, ...next]);
    });

    test('answers lost after Kafka wrote the batch: retries are deduplicated by Kafka, offsets are the first ones', async () => {
      const lossy = `kwp-produce-lossy-${line.replace('.', '')}-${RUN}`;
      await ensureTopic(line, lossy, 2);
      const lost: Array<{ partition: number; baseOffset: bigint }> = [];
      let n = 0;
      // Every other request reaches Kafka, which writes it; then its answer is dropped, as when a
      // connection breaks after the broker wrote the batch.
      const transport: ProducerTransport = {
        topic: (t) => client.topic(t),
        leaderOf: (t, p) => client.leaderOf(t, p),
        invalidate: (t) => client.invalidate(t),
        initProducerId: () => client.initProducerId(),
        produceTo: async (broker, parts, opts) => {
          const res = await client.produceTo(broker, parts, opts);
          if (n++ % 2 === 0) {
            for (const p of res.partitions) if (p.errorCode === 0) lost.push({ partition: p.partition, baseOffset: p.baseOffset });
            throw new KafkaConnectionError('KWIRE_ERR_CONNECTION_CLOSED', broker, 'test: answer dropped');
          }
          return res;
        },
      };
      const p2 = new Producer(transport, { lingerMs: 0, retryBackoffMs: 10 });
      const sent: Sent[] = [];
      await Promise.all(Array.from({ length: 10 }, async (_, caller) => {
        for (let i = 0; i < 10; i++) sent.push(...await sendAll(p2, lossy, caller % 2, [{ key: `c${caller}`, value: `lossy-${caller}-${i}-a` }, { value: `lossy-${caller}-${i}-b` }]));
      }));
      await p2.close();
      assert.ok(lost.length >= 10, `answers were dropped (${lost.length})`);
      const firstOffsets = new Set(sent.map((s) => `${ok(s.result).partition}/${ok(s.result).offset}`));
      for (const l of lost) assert.ok(firstOffsets.has(`${l.partition}/${l.baseOffset}`), 'the retry was answered with the offsets of the write whose answer was lost');
      const read = await readTopic(line, lossy);
      assert.equal(read.length, sent.length, 'every batch written once, however often it was sent');
      assertExactlyOnce(read, sent);
    });

    test('a fenced producer (someone bumped our epoch) gets a fresh id; someone writing our next sequence: epoch bump; only that partition starts over', async () => {
      const shared = `kwp-produce-fenced-${line.replace('.', '')}-${RUN}`;
      await ensureTopic(line, shared, 2);
      const p3 = new Producer(client, { lingerMs: 0 });
      const sent: Sent[] = [];
      sent.push(...await sendAll(p3, shared, 0, [{ value: 'f-0' }]));
      sent.push(...await sendAll(p3, shared, 1, [{ value: 'g-0' }]));
      const id = p3.producerIdentity!;
      const conn = await Connection.connect({ host: info.host, port: info.ports.plaintext });
      const intrude = async (partition: number, epoch: number, baseSequence: number, values: string[]): Promise<number> => {
        const res = await conn.request(ProduceApi, {
          acks: -1, timeoutMs: 5000,
          topicData: [{ name: shared, partitionData: [{ index: partition, records: encodeRecordBatch({ records: values.map((value) => ({ value })), producerId: id.producerId, producerEpoch: epoch, baseSequence }) }] }],
        }, { version: Math.min(conn.version(ProduceApi), 12) });
        return res.body.responses[0]!.partitionResponses[0]!.errorCode;
      };
      try {
        // Partition 0: a batch with our producer id and a higher epoch. Our next batch there is
        // refused with INVALID_PRODUCER_EPOCH; only a fresh producer id gets past it.
        assert.equal(await intrude(0, id.producerEpoch + 5, 0, ['intruder-0']), 0);
        sent.push(...await sendAll(p3, shared, 0, [{ value: 'f-1' }]));
        assert.equal(p3.stats.producerIds, 2, 'a fresh producer id');
        // Partition 1: a batch of three at our next sequence. Ours (one record) is then out of
        // order; the partition starts over under the next epoch.
        assert.equal(await intrude(1, id.producerEpoch, 1, ['intruder-1', 'intruder-2', 'intruder-3']), 0);
        sent.push(...await sendAll(p3, shared, 1, [{ value: 'g-1' }]));
        assert.ok(p3.stats.epochBumps >= 1, 'epoch bumped');
        sent.push(...await sendAll(p3, shared, 0, [{ value: 'f-2' }]));
        sent.push(...await sendAll(p3, shared, 1, [{ value: 'g-2' }]));
      } finally {
        conn.close();
        await p3.close();
      }
      const read = await readTopic(line, shared);
      assert.equal(read.length, sent.length + 4);
      assertExactlyOnce(read, sent, { unacknowledgedValues: new Set(['intruder-0', 'intruder-1', 'intruder-2', 'intruder-3']) });
    });

    test('the leader moves to the other broker and back while 20 callers produce: exactly once, in order', async (t) => {
      const moved = `kwp-produce-moved-${line.replace('.', '')}-${RUN}`;
      await startSecondBroker(line);
      const c = clientFor(info);
      const p5 = new Producer(c, { lingerMs: 2, retryBackoffMs: 50, retryBackoffMaxMs: 500 });
      try {
        // Replicas [2, 1]; the topic starts with 1000 records of the harness's Java producer.
        if ((await ensureMovedTopic(line, moved)).leader !== 2) assert.equal(await electPreferredLeader(line, moved), 2);
        const sent: Sent[] = [];
        const ackedIn = [0, 0, 0];
        let phase = 0;
        let stop = false;
        const waitForAcks = async (n: number): Promise<void> => {
          const target = ackedIn[phase]! + n;
          while (ackedIn[phase]! < target) await new Promise((r) => setTimeout(r, 20));
        };
        const callers = Array.from({ length: 20 }, async (_, caller) => {
          for (let i = 0; !stop; i++) {
            const done = await sendAll(p5, moved, 0, [{ key: `c${caller}`, value: `lm-${caller}-${i}-0` }, { value: `lm-${caller}-${i}-1` }]);
            ackedIn[phase]! += done.filter((d) => d.result.error === undefined).length;
            sent.push(...done);
            await new Promise((r) => setTimeout(r, 5));
          }
        });
        await waitForAcks(200);
        phase = 1;
        await stopSecondBroker(line);
        assert.equal((await partitionLeader(line, moved)).leader, 1);
        await waitForAcks(200);
        phase = 2;
        await startSecondBroker(line);
        assert.equal(await electPreferredLeader(line, moved), 2);
        await waitForAcks(200);
        stop = true;
        await Promise.all(callers);
        t.diagnostic(`Kafka ${line}: ${sent.length} records, acknowledged per phase (node 2 leads, node 1 leads, node 2 again) ${ackedIn.join(', ')}; producer ${JSON.stringify(p5.stats)}`);
        assert.deepEqual(sent.filter((x) => x.result.error !== undefined).map((x) => x.result.error!.message), []);
        assert.ok(ackedIn.every((n) => n >= 200), 'records were acknowledged under each leader');
        const read = (await readTopic(line, moved)).filter((r) => r.value?.toString().startsWith('lm-'));
        assert.equal(read.length, sent.length);
        assertExactlyOnce(read, sent);
        for (let caller = 0; caller < 20; caller++) {
          const mine = read.filter((r) => r.value!.toString().startsWith(`lm-${caller}-`)).map((r) => r.value!.toString());
          assert.deepEqual(mine, sent.filter((x) => buf(x.input.value)!.toString().startsWith(`lm-${caller}-`)).map((x) => buf(x.input.value)!.toString()), `caller ${caller}: in the order sent`);
        }
      } finally {
        await p5.close({ timeoutMs: 5000 });
        c.close();
        await stopSecondBroker(line);
      }
    });

    test('100 callers produce through a broker restart: every acknowledged record is in the topic exactly once', async (t) => {
      const eo = `kwp-produce-eo-${line.replace('.', '')}-${RUN}`;
      await ensureTopic(line, eo, 4);
      const c = clientFor(info);
      const options: ProducerOptions = { lingerMs: 2, retryBackoffMs: 50, retryBackoffMaxMs: 500 };
      const p4 = new Producer(c, options);
      const sent: Sent[] = [];
      let restarting: Promise<unknown> | undefined;
      let heldAtStop = 0;
      let stoppedAt = 0;
      let restartedAt = 0;
      let ackedBefore = 0;
      let ackedAfter = 0;
      const rng = new Rng(line === '4' ? 100 : 39);
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 100 }, async (_, caller) => {
        // 25 sends each, and on until the broker is back: a fast producer may finish its 25 while
        // the broker is still shutting down, and records after the restart are what this is about.
        for (let i = 0; i < 25 || restartedAt === 0; i++) {
          if (caller === 0 && i === 5) {
            heldAtStop = p4.bufferedBytes;
            stoppedAt = Date.now();
            restarting = restartBroker(line).then(() => {
              restartedAt = Date.now();
            });
          }
          const n = 1 + (caller + i) % 4;
          const key = caller % 5 === 0 ? null : `caller-${caller}`;
          const inputs = Array.from({ length: n }, (_v, k) => ({ key, value: `eo-${caller}-${i}-${k}`, headers: [{ key: 'caller', value: String(caller) }] }));
          const done = await sendAll(p4, eo, undefined, inputs, { compression: CODECS[rng.int(0, 4)]! });
          if (stoppedAt === 0) ackedBefore += done.length;
          else if (restartedAt > 0) ackedAfter += done.length;
          sent.push(...done);
        }
      }));
      await restarting;
      await p4.close();
      c.close();
      const failed = sent.filter((s) => s.result.error !== undefined);
      assert.deepEqual(failed.map((s) => `${s.result.error!.code} ${s.result.error!.message}`), [], 'a restart is something retries ride out');
      t.diagnostic(`Kafka ${line}: ${sent.length} records in ${Date.now() - t0} ms, ${ackedBefore} acknowledged before the stop, ${ackedAfter} after the restart, ${heldAtStop} bytes held at the stop; producer ${JSON.stringify(p4.stats)}`);
      assert.ok(p4.stats.retries > 0, 'the restart was felt');
      assert.ok(ackedBefore > 0 && ackedAfter > 0, 'records went before the stop and after the restart');
      const read = await readTopic(line, eo);
      assert.equal(read.length, sent.length, 'nothing missing, nothing twice');
      assertExactlyOnce(read, sent);
      // One caller's keyed records are in its partition in the order it sent them.
      for (let caller = 1; caller < 100; caller++) {
        if (caller % 5 === 0) continue;
        const mine = read.filter((r) => r.headers[0]?.value?.toString() === String(caller));
        assert.equal(new Set(mine.map((r) => r.partition)).size, 1);
        const order = mine.map((r) => r.value!.toString().split('-').slice(2).map(Number));
        for (let k = 1; k < order.length; k++) {
          const [a, b] = [order[k - 1]!, order[k]!];
          assert.ok(a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!), `caller ${caller}: ${mine[k - 1]!.value} before ${mine[k]!.value}`);
        }
      }
    });
  });
}
