import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KafkaProtocolError, partitionForKey, Producer, type ProduceError, type ProducerOptions, type RecordResult,
} from '../../../src/kafka-wire/index.js';
import { FakeCluster, kafkaFailure } from '../../support/fake-cluster.js';
import { Rng } from '../../support/random.js';

const FAST: ProducerOptions = { lingerMs: 0, retryBackoffMs: 2, retryBackoffMaxMs: 20, requestTimeoutMs: 1000, deliveryTimeoutMs: 20_000 };

function ok(r: RecordResult): { partition: number; offset: bigint; timestamp: bigint } {
  if (r.error !== undefined) throw new Error(`expected an acknowledgement, got ${r.error.code} ${r.error.errorName}: ${r.error.message}`);
  return r;
}

function failure(r: RecordResult): ProduceError {
  if (r.error === undefined) throw new Error(`expected an error, got offset ${r.offset}`);
  return r.error;
}

/**
 * Every acknowledged record is in its partition's log exactly once, at the acknowledged offset;
 * no record is in a log twice; records that failed without `maybeWritten` are in no log.
 */
function assertExactlyOnce(cluster: FakeCluster, topic: string, sent: Array<{ value: string; result: RecordResult }>): void {
  const where = new Map<string, Array<{ partition: number; offset: bigint }>>();
  for (const [i, p] of cluster.topics.get(topic)!.entries()) {
    for (const r of p.log) {
      const list = where.get(r.value!) ?? [];
      list.push({ partition: i, offset: r.offset });
      where.set(r.value!, list);
    }
  }
  for (const [value, list] of where) assert.equal(list.length, 1, `${value} is in the log ${list.length} times`);
  for (const { value, result } of sent) {
    const found = where.get(value);
    if (result.error === undefined) {
      assert.deepEqual(found, [{ partition: result.partition, offset: result.offset }], `${value}: acknowledged at ${result.partition}/${result.offset}`);
    } else if (!result.error.maybeWritten) {
      assert.equal(found, undefined, `${value} failed (${result.error.errorName}) without maybeWritten, yet it is in the log`);
    }
  }
}

describe('Producer on a fake cluster', () => {
  test('records of many calls in one tick share one request, one batch per partition, in order', async () => {
    const cluster = new FakeCluster({ t: 3 });
    const producer = new Producer(cluster, FAST);
    const calls = Array.from({ length: 30 }, (_, i) => producer.send('t', i % 3, [{ value: `v${i}` }]));
    const results = (await Promise.all(calls)).map((r) => ok(r[0]!));
    assert.equal(cluster.requests.length, 1, 'one Produce request');
    assert.equal(cluster.requests[0]!.batches.length, 3, 'one batch per partition');
    for (let p = 0; p < 3; p++) {
      assert.deepEqual(cluster.log('t', p).map((r) => r.value), Array.from({ length: 10 }, (_, k) => `v${p + 3 * k}`));
    }
    for (let i = 0; i < 30; i++) assert.deepEqual(results[i], { partition: i % 3, offset: BigInt(Math.floor(i / 3)), timestamp: results[i]!.timestamp });
    const b = cluster.requests[0]!.batches[0]!;
    assert.deepEqual([b.producerId, b.epoch, b.baseSequence, b.count], [1000n, 0, 0, 10], 'idempotent: producer id 1000 from InitProducerId, sequence 0');
    assert.equal(cluster.calls.initProducerId, 1);
  });

  test('linger holds a batch for more records; a full batch goes at once', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, { ...FAST, lingerMs: 40 });
    const t0 = Date.now();
    const first = producer.send('t', 0, [{ value: 'a' }]);
    await new Promise((r) => setTimeout(r, 10));
    const second = producer.send('t', 0, [{ value: 'b' }]);
    await Promise.all([first, second]);
    assert.ok(Date.now() - t0 >= 38, 'waited for linger');
    assert.equal(cluster.requests.length, 1, 'both records in one batch');
    const full = new Producer(cluster, { ...FAST, lingerMs: 60_000, deliveryTimeoutMs: 120_000, batchBytes: 200 });
    const t1 = Date.now();
    await full.send('t', 0, [{ value: 'x'.repeat(150) }]);
    assert.ok(Date.now() - t1 < 1000, 'a full batch does not wait for a minute of linger');
  });

  test('keyed records go where the Java partitioner sends them; keyless ones stick to one partition per batch', async () => {
    const cluster = new FakeCluster({ t: 7 });
    const producer = new Producer(cluster, { ...FAST, random: () => 0.5 });
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const results = await producer.send('t', undefined, keys.map((k) => ({ key: k, value: k })));
    for (const [i, k] of keys.entries()) assert.equal(ok(results[i]!).partition, partitionForKey(Buffer.from(k), 7), k);
    const keyless = await producer.send('t', undefined, Array.from({ length: 20 }, (_, i) => ({ key: null, value: `n${i}` })));
    assert.equal(new Set(keyless.map((r) => ok(r).partition)).size, 1, 'one batch, one partition');
    const next = await producer.send('t', undefined, [{ value: 'later' }]);
    assert.notEqual(ok(next[0]!).partition, ok(keyless[0]!).partition, 'the batch was sent: the next keyless record goes elsewhere');
  });

  test('an answer lost after the broker wrote the batch: the retry is deduplicated, offsets are the first ones', async () => {
    const cluster = new FakeCluster({ t: 2 });
    cluster.requestFault = (_b, n) => (n % 2 === 0 ? 'lose-answer' : undefined);
    const producer = new Producer(cluster, FAST);
    const sent: Array<{ value: string; result: RecordResult }> = [];
    for (let round = 0; round < 10; round++) {
      const values = Array.from({ length: 5 }, (_, i) => `r${round}-${i}`);
      const res = await producer.send('t', round % 2, values.map((value) => ({ value })));
      for (const [i, value] of values.entries()) sent.push({ value, result: res[i]! });
    }
    assert.ok(sent.every((s) => s.result.error === undefined));
    assertExactlyOnce(cluster, 't', sent);
    assert.ok(producer.stats.retries >= 10, `retried after each lost answer (${producer.stats.retries})`);
  });

  test('timestamps: each record\'s own on CreateTime topics, also when Kafka answers a retry as a duplicate; the append time on LogAppendTime topics', async () => {
    const cluster = new FakeCluster({ create: 1, append: 1 });
    cluster.logAppendTime.add('append');
    let lose = true;
    cluster.requestFault = () => {
      const fault = lose ? 'lose-answer' : undefined;
      lose = false;
      return fault;
    };
    const producer = new Producer(cluster, FAST);
    const res = await producer.send('create', 0, [{ value: 'a', timestamp: 100n }, { value: 'b', timestamp: 300n }, { value: 'c', timestamp: 200n }]);
    assert.deepEqual(res.map((r) => ok(r).timestamp), [100n, 300n, 200n], 'the duplicate\'s LogAppendTimeMs (300, the batch\'s) is not every record\'s');
    assert.deepEqual(cluster.log('create', 0).map((r) => r.timestamp), [100n, 300n, 200n]);
    const t0 = BigInt(Date.now());
    const app = await producer.send('append', 0, [{ value: 'x', timestamp: 5n }, { value: 'y', timestamp: 6n }]);
    assert.ok(app.every((r) => ok(r).timestamp >= t0), 'the broker\'s clock');
    assert.deepEqual(app.map((r) => ok(r).timestamp), cluster.log('append', 0).map((r) => r.timestamp));
  });

  test('NOT_LEADER and a leader that moved: metadata again, the new leader gets the batch', async () => {
    const cluster = new FakeCluster({ t: 1 }, ['b1:1', 'b2:2']);
    const producer = new Producer(cluster, FAST);
    ok((await producer.send('t', 0, [{ value: 'one' }]))[0]!);
    cluster.moveLeader('t', 0, 'b2:2');
    const res = await producer.send('t', 0, [{ value: 'two' }, { value: 'three' }]);
    assert.deepEqual(res.map((r) => ok(r).offset), [1n, 2n]);
    assert.deepEqual(cluster.requests.map((r) => r.broker), ['b1:1', 'b1:1', 'b2:2']);
    assert.ok(cluster.calls.leaderOf >= 2);
  });

  test('a batch Kafka refuses fails alone: other partitions and later batches of its own go on (sequence reused)', async () => {
    const cluster = new FakeCluster({ t: 2 });
    cluster.partitionFault = (_t, _p, b) => (b.values.includes('poison') ? { errorCode: 10 } : undefined);
    const producer = new Producer(cluster, FAST);
    const bad = await producer.send('t', 0, [{ value: 'poison' }, { value: 'with-it' }]);
    for (const r of bad) {
      const e = failure(r);
      assert.equal(e.code, 'KWIRE_ERR_PRODUCE');
      assert.equal(e.errorName, 'MESSAGE_TOO_LARGE');
      assert.equal(e.maybeWritten, false);
      assert.ok(e.cause instanceof KafkaProtocolError);
    }
    const after = await producer.send('t', 0, [{ value: 'after' }]);
    assert.equal(ok(after[0]!).offset, 0n);
    assert.equal(cluster.requests.at(-1)!.batches[0]!.baseSequence, 0, 'the refused batch\'s sequences were reused');
    assert.equal(producer.stats.epochBumps, 0);
  });

  test('a refused batch with later batches in flight: the partition starts over under a new epoch, nothing is lost or doubled', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.partitionFault = (_t, _p, b) => (b.values.some((v) => v?.startsWith('poison')) ? { errorCode: 87, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'bad record' }] } : undefined);
    // Answers are slow, so several batches are in flight when the poisoned one is refused.
    cluster.requestFault = () => ({ delayMs: 5 });
    // Small batches: every record is a batch of its own.
    const producer = new Producer(cluster, { ...FAST, batchBytes: 50 });
    const sent: Array<{ value: string; result: RecordResult }> = [];
    const calls = [];
    for (let i = 0; i < 40; i++) {
      const value = i === 3 ? 'poison-3' : `v${i}`;
      calls.push(producer.send('t', 0, [{ value }]).then((r) => sent.push({ value, result: r[0]! })));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(calls);
    const poisoned = sent.find((s) => s.value === 'poison-3')!;
    assert.equal(failure(poisoned.result).errorName, 'INVALID_RECORD');
    assert.match(failure(poisoned.result).message, /bad record/, 'KIP-467: the record\'s own error');
    assert.equal(sent.filter((s) => s.result.error !== undefined).length, 1, 'only the refused record failed');
    assertExactlyOnce(cluster, 't', sent);
    assert.ok(producer.stats.epochBumps >= 1, 'the sequence started over under a higher epoch');
    assert.ok(cluster.requests.some((r) => r.batches.some((b) => b.epoch === 1 && b.baseSequence === 0)));
    const offsets = sent.filter((s) => s.result.error === undefined).sort((a, b) => Number(a.value.slice(1)) - Number(b.value.slice(1))).map((s) => ok(s.result).offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => (a < b ? -1 : 1)), 'records of one partition are written in the order given');
  });

  test('the broker forgot the producer (OUT_OF_ORDER for the next batch): epoch bump, then on', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, FAST);
    ok((await producer.send('t', 0, [{ value: 'a' }]))[0]!);
    cluster.forgetProducers('t', 0);
    // A broker that forgot us takes any sequence (Kafka >= 2.5); make it refuse once, as a
    // broker whose state moved on would.
    let refused = false;
    cluster.partitionFault = () => {
      if (refused) return undefined;
      refused = true;
      return { errorCode: 45 };
    };
    const res = await producer.send('t', 0, [{ value: 'b' }]);
    assert.equal(ok(res[0]!).offset, 1n);
    assert.equal(producer.stats.epochBumps, 1);
    assert.deepEqual(cluster.requests.at(-1)!.batches.map((b) => [b.epoch, b.baseSequence]), [[1, 0]]);
  });

  test('UNKNOWN_PRODUCER_ID: epoch bump; INVALID_PRODUCER_EPOCH: a fresh producer id; only that partition starts over', async () => {
    const cluster = new FakeCluster({ t: 2 });
    const producer = new Producer(cluster, FAST);
    await producer.send('t', 0, [{ value: 'a0' }]);
    await producer.send('t', 1, [{ value: 'b0' }]);
    let next: number | undefined = 59;
    cluster.partitionFault = (_t, p) => {
      if (p !== 0 || next === undefined) return undefined;
      const code = next;
      next = undefined;
      return { errorCode: code };
    };
    ok((await producer.send('t', 0, [{ value: 'a1' }]))[0]!);
    assert.equal(producer.stats.epochBumps, 1);
    next = 47;
    ok((await producer.send('t', 0, [{ value: 'a2' }]))[0]!);
    assert.equal(cluster.calls.initProducerId, 2, 'a fresh producer id');
    ok((await producer.send('t', 1, [{ value: 'b1' }]))[0]!);
    const last = cluster.requests.at(-1)!.batches[0]!;
    assert.deepEqual([last.producerId, last.epoch, last.baseSequence], [1000n, 0, 1], 'partition 1 kept its identity and sequence');
    assert.deepEqual(cluster.log('t', 0).map((r) => [r.value, r.producerId]), [['a0', 1000n], ['a1', 1000n], ['a2', 1001n]]);
  });

  test('a broker that stays away: records fail after the delivery timeout, not written', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.requestFault = () => 'refuse';
    const producer = new Producer(cluster, { ...FAST, requestTimeoutMs: 100, deliveryTimeoutMs: 300 });
    const t0 = Date.now();
    const [r] = await producer.send('t', 0, [{ value: 'x' }]);
    const e = failure(r!);
    assert.equal(e.code, 'KWIRE_ERR_PRODUCE_TIMEOUT');
    assert.equal(e.errorName, 'REQUEST_TIMED_OUT');
    assert.equal(e.maybeWritten, false, 'refused connections never carried the request');
    assert.ok(Date.now() - t0 >= 290);
    assert.equal(cluster.log('t', 0).length, 0);
  });

  test('answers that keep getting lost: after the delivery timeout the error says the records may be written', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.requestFault = () => 'lose-answer';
    const producer = new Producer(cluster, { ...FAST, requestTimeoutMs: 100, deliveryTimeoutMs: 300 });
    const [r] = await producer.send('t', 0, [{ value: 'x' }]);
    const e = failure(r!);
    assert.equal(e.code, 'KWIRE_ERR_PRODUCE_TIMEOUT');
    assert.equal(e.maybeWritten, true);
    assert.deepEqual(cluster.log('t', 0).map((x) => x.value), ['x'], 'written once however often it was sent');
    cluster.requestFault = () => undefined;
    const [next] = await producer.send('t', 0, [{ value: 'y' }]);
    assert.equal(ok(next!).offset, 1n, 'the partition goes on (under a new epoch)');
    assert.equal(producer.stats.epochBumps, 1);
  });

  test('unknown topic, partition out of range, oversized record: per-record errors with Kafka\'s names', async () => {
    const cluster = new FakeCluster({ t: 2 });
    const producer = new Producer(cluster, { ...FAST, maxRequestBytes: 1000 });
    const [u] = await producer.send('nope', undefined, [{ value: 'x' }]);
    assert.equal(failure(u!).errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(failure(u!).code, 'KWIRE_ERR_PRODUCE');
    const [p] = await producer.send('t', 2, [{ value: 'x' }]);
    assert.equal(failure(p!).errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
    const [neg] = await producer.send('t', -1, [{ value: 'x' }]);
    assert.equal(failure(neg!).errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
    const [inv] = await producer.send('bad topic!', 0, [{ value: 'x' }]);
    assert.equal(failure(inv!).errorName, 'UNKNOWN_TOPIC_OR_PARTITION', 'the fake has no such topic');
    const mixed = await producer.send('t', 0, [{ value: 'small' }, { value: 'x'.repeat(2000) }, { value: 'small2' }]);
    assert.equal(ok(mixed[0]!).offset, 0n);
    assert.equal(failure(mixed[1]!).code, 'KWIRE_ERR_RECORD_TOO_LARGE');
    assert.equal(failure(mixed[1]!).errorName, 'MESSAGE_TOO_LARGE');
    assert.equal(ok(mixed[2]!).offset, 1n);
    assert.equal(producer.bufferedBytes, 0, 'every byte given back');
  });

  test('acks=0 batches carry no producer id and get offset -1; acks=1 and all are idempotent', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, FAST);
    const [zero] = await producer.send('t', 0, [{ value: 'z' }], { acks: 0 });
    assert.equal(ok(zero!).offset, -1n);
    const [one] = await producer.send('t', 0, [{ value: 'o' }], { acks: 1 });
    assert.equal(ok(one!).offset, 1n);
    const [all] = await producer.send('t', 0, [{ value: 'a' }], { acks: 'all' });
    assert.equal(ok(all!).offset, 2n);
    assert.deepEqual(cluster.requests.map((r) => [r.acks, r.batches[0]!.producerId]), [[0, -1n], [1, 1000n], [-1, 1000n]]);
    await assert.rejects(producer.send('t', 0, [{ value: 'x' }], { acks: 2 as 1 }), { code: 'KWIRE_ERR_CONFIG' });
    await assert.rejects(producer.send('t', 0, [{ value: 'x' }], { compression: 'brotli' as 'gzip' }), { code: 'KWIRE_ERR_CONFIG' });
  });

  test('compression per send: the batch attributes carry the codec', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, FAST);
    for (const c of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) await producer.send('t', 0, [{ value: `v-${c}`.repeat(20) }], { compression: c });
    assert.deepEqual(cluster.requests.map((r) => r.batches[0]!.attributes & 7), [0, 1, 2, 3, 4]);
    assert.deepEqual(cluster.log('t', 0).map((r) => r.value), ['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `v-${c}`.repeat(20)));
  });

  test('InitProducerId refused for good: idempotent records fail with that error; acks=0 still goes', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.initProducerIdError = new KafkaProtocolError({ api: 'InitProducerId', version: 4, errorCode: 31, errorName: 'CLUSTER_AUTHORIZATION_FAILED', retriable: false, where: 'top level' });
    const producer = new Producer(cluster, FAST);
    const [r] = await producer.send('t', 0, [{ value: 'x' }]);
    assert.equal(failure(r!).errorName, 'CLUSTER_AUTHORIZATION_FAILED');
    const [z] = await producer.send('t', 0, [{ value: 'z' }], { acks: 0 });
    assert.equal(ok(z!).offset, -1n);
    cluster.initProducerIdError = undefined;
    await new Promise((res) => setTimeout(res, 30));
    const [later] = await producer.send('t', 0, [{ value: 'y' }]);
    assert.equal(ok(later!).offset, 1n, 'asked again after the backoff');
  });

  test('a topic deleted while records wait: they fail with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, FAST);
    await producer.send('t', 0, [{ value: 'a' }]);
    cluster.partitionFault = () => ({ errorCode: 3 });
    cluster.leaderError = kafkaFailure(3, 'UNKNOWN_TOPIC_OR_PARTITION', false);
    const [r] = await producer.send('t', 0, [{ value: 'b' }]);
    assert.equal(failure(r!).errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
  });

  test('a full buffer paces send(): calls wait, in order, and go once bytes are given back', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.requestFault = () => ({ delayMs: 20 });
    const producer = new Producer(cluster, { ...FAST, bufferBytes: 1000, batchBytes: 400 });
    const order: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) => producer.send('t', 0, [{ value: 'x'.repeat(300) + i }]).then((r) => {
      order.push(i);
      return ok(r[0]!).offset;
    }));
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(producer.bufferedBytes >= 3000, 'counted in, waiting');
    const offsets = await Promise.all(calls);
    assert.deepEqual(offsets, Array.from({ length: 10 }, (_, i) => BigInt(i)), 'first come, first written');
    assert.equal(producer.bufferedBytes, 0);
    assert.ok(cluster.requests.length >= 4, 'not all at once');
  });

  test('close: waiting records fail with KWIRE_ERR_PRODUCER_CLOSED, later sends too; flush sends before linger', async () => {
    const cluster = new FakeCluster({ t: 1 });
    const producer = new Producer(cluster, { ...FAST, lingerMs: 60_000, deliveryTimeoutMs: 120_000 });
    const pending = producer.send('t', 0, [{ value: 'a' }]);
    await producer.flush();
    assert.equal(ok((await pending)[0]!).offset, 0n, 'flush did not wait a minute');
    cluster.requestFault = () => 'refuse';
    const stuck = producer.send('t', 0, [{ value: 'b' }]);
    await producer.close({ timeoutMs: 50 });
    const e = failure((await stuck)[0]!);
    assert.equal(e.code, 'KWIRE_ERR_PRODUCER_CLOSED');
    const [after] = await producer.send('t', 0, [{ value: 'c' }]);
    assert.equal(failure(after!).code, 'KWIRE_ERR_PRODUCER_CLOSED');
  });

  test('never more than five unresolved batches per partition (the broker\'s deduplication window)', async () => {
    const cluster = new FakeCluster({ t: 1 });
    cluster.requestFault = () => ({ delayMs: 10 });
    const producer = new Producer(cluster, { ...FAST, batchBytes: 100 });
    let inFlight = 0;
    let most = 0;
    const produceTo = cluster.produceTo.bind(cluster);
    cluster.produceTo = (broker, parts, opts) => {
      inFlight += parts.length;
      most = Math.max(most, inFlight);
      return produceTo(broker, parts, opts).finally(() => {
        inFlight -= parts.length;
      });
    };
    await Promise.all(Array.from({ length: 60 }, (_, i) => producer.send('t', 0, [{ value: `${i}`.padEnd(80, '.') }])));
    assert.equal(most, 5);
    assert.equal(cluster.log('t', 0).length, 60);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random faults (seed ${seed}): lost answers, refusals, leader moves, retriable errors; every acknowledged record exactly once, in order`, async () => {
      const rng = new Rng(seed);
      const brokers = ['b1:1', 'b2:2', 'b3:3'];
      const cluster = new FakeCluster({ t: 4 }, brokers);
      cluster.requestFault = () => {
        const x = rng.next();
        if (x < 0.15) return 'lose-answer';
        if (x < 0.22) return 'refuse';
        return { delayMs: rng.int(0, 3) };
      };
      cluster.partitionFault = () => (rng.bool(0.05) ? { errorCode: rng.bool() ? 6 : 7 } : undefined);
      const producer = new Producer(cluster, { ...FAST, batchBytes: 300, random: () => rng.next() });
      const sent: Array<{ value: string; caller: number; seq: number; result: RecordResult }> = [];
      const callers = Array.from({ length: 20 }, async (_, caller) => {
        for (let seq = 0; seq < 15; seq++) {
          const n = rng.int(1, 4);
          const values = Array.from({ length: n }, (_v, i) => `c${caller}-s${seq}-${i}`);
          const key = rng.bool(0.3) ? null : `k${caller}`;
          const res = await producer.send('t', undefined, values.map((value) => ({ key, value })));
          for (const [i, value] of values.entries()) sent.push({ value, caller, seq: seq * 10 + i, result: res[i]! });
          if (rng.bool(0.1)) cluster.moveLeader('t', rng.int(0, 3), brokers[rng.int(0, 2)]!);
        }
      });
      await Promise.all(callers);
      const failed = sent.filter((s) => s.result.error !== undefined);
      assert.deepEqual(failed.map((s) => s.result.error!.message), [], 'nothing failed: every fault here is one a retry cures');
      assertExactlyOnce(cluster, 't', sent);
      // A keyed caller's records all go to one partition and must be there in the order sent.
      for (let caller = 0; caller < 20; caller++) {
        const mine = sent.filter((s) => s.caller === caller).sort((a, b) => a.seq - b.seq).map((s) => ok(s.result));
        for (let p = 0; p < 4; p++) {
          const offsets = mine.filter((r) => r.partition === p).map((r) => r.offset);
          assert.deepEqual(offsets, [...offsets].sort((a, b) => (a < b ? -1 : 1)), `caller ${caller} partition ${p}: in order`);
        }
      }
      assert.ok(producer.stats.retries > 10, `faults happened (${producer.stats.retries} retries)`);
    });
  }
});
