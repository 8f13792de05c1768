import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionQueue, type BatchSettings } from '../../../src/kafka-wire/client/accumulator.js';
import { BATCH_OVERHEAD, estimateRecordBytes, SendCall } from '../../../src/kafka-wire/client/producer-batch.js';
import { encodeRecordBatch, readRecords } from '../../../src/kafka-wire/index.js';

const S: BatchSettings = { acks: -1, compression: 0, lingerMs: 5, batchBytes: 1000, deliveryTimeoutMs: 60_000 };

function rec(value: string): { value: string; timestamp: bigint } {
  return { value, timestamp: 1n };
}

test('the size estimate is an upper bound of what the encoder writes', () => {
  const records = [
    { key: 'k', value: 'v', timestamp: 1_700_000_000_000n },
    { key: null, value: Buffer.alloc(300), headers: [{ key: 'h', value: 'x' }, { key: 'n', value: null }], timestamp: 1_700_000_000_000n + 2n ** 40n },
    { value: null, timestamp: 0n },
  ];
  const estimate = records.reduce((n, r) => n + estimateRecordBytes(r), BATCH_OVERHEAD);
  assert.ok(encodeRecordBatch({ records }).length <= estimate);
});

test('records join the open batch until it is full; a full batch is closed and ready at once', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(20);
  let closedAt = -1;
  for (let i = 0; i < 20; i++) {
    if (q.append(rec(`v${i}`), 100, call, i, S, 0) && closedAt < 0) closedAt = i;
  }
  // 61 + 9 * 100 = 961; the tenth record would make 1061 > 1000: closes the first batch.
  assert.equal(closedAt, 9);
  assert.deepEqual(q.batches.map((b) => b.count), [9, 9, 2]);
  assert.equal(q.ready(0, false), q.batches[0], 'a closed batch goes without waiting for linger');
  assert.deepEqual(q.batches.flatMap((b) => b.records.map((r) => r.value)), Array.from({ length: 20 }, (_, i) => `v${i}`), 'order kept');
  assert.deepEqual(q.batches[1]!.indexes, [9, 10, 11, 12, 13, 14, 15, 16, 17]);
});

test('an open batch waits for linger, from its first record; a later call with a shorter linger brings it forward', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(3);
  q.append(rec('a'), 10, call, 0, S, 1000);
  q.append(rec('b'), 10, call, 1, S, 1003);
  assert.equal(q.ready(1004, false), undefined);
  assert.equal(q.ready(1005, false), q.batches[0]);
  assert.equal(q.ready(1000, true), q.batches[0], 'forced (flush)');
  q.append(rec('c'), 10, call, 2, { ...S, lingerMs: 0 }, 1001);
  assert.equal(q.ready(1001, false), q.batches[0]);
});

test('a record larger than the batch size gets a batch of its own', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(3);
  q.append(rec('a'), 10, call, 0, S, 0);
  q.append(rec('big'), 5000, call, 1, S, 0);
  q.append(rec('c'), 10, call, 2, S, 0);
  assert.deepEqual(q.batches.map((b) => b.count), [1, 1, 1]);
  assert.equal(q.batches[1]!.closed, true);
});

test('different acks or compression start a new batch', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(4);
  q.append(rec('a'), 10, call, 0, S, 0);
  q.append(rec('b'), 10, call, 1, { ...S, acks: 1 }, 0);
  q.append(rec('c'), 10, call, 2, { ...S, acks: 1, compression: 4 }, 0);
  q.append(rec('d'), 10, call, 3, { ...S, acks: 1, compression: 4 }, 0);
  assert.deepEqual(q.batches.map((b) => [b.acks, b.compression, b.count]), [[-1, 0, 1], [1, 0, 1], [1, 4, 2]]);
});

test('a batch put back for another attempt goes before later sequences and new batches', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(4);
  for (let i = 0; i < 4; i++) q.append(rec(`v${i}`), 600, call, i, S, 0);
  q.seq.identity = { producerId: 1n, producerEpoch: 0 };
  const taken = [];
  for (let i = 0; i < 3; i++) {
    const b = q.ready(0, true)!;
    q.take();
    q.seq.assign(b);
    taken.push(b);
  }
  assert.equal(q.batches.length, 1);
  q.requeue(taken[2]!);
  q.requeue(taken[0]!);
  q.requeue(taken[1]!);
  assert.deepEqual(q.batches.map((b) => b.records[0]!.value), ['v0', 'v1', 'v2', 'v3']);
});

test('waiting batches past their delivery deadline are taken out; the others stay in order', () => {
  const q = new PartitionQueue('t', 0);
  const call = new SendCall(3);
  q.append(rec('a'), 600, call, 0, { ...S, deliveryTimeoutMs: 100 }, 0);
  q.append(rec('b'), 600, call, 1, { ...S, deliveryTimeoutMs: 500 }, 0);
  q.append(rec('c'), 600, call, 2, { ...S, deliveryTimeoutMs: 100 }, 10);
  assert.deepEqual(q.expire(99), []);
  assert.deepEqual(q.expire(100).map((b) => b.records[0]!.value), ['a']);
  assert.deepEqual(q.expire(200).map((b) => b.records[0]!.value), ['c']);
  assert.deepEqual(q.batches.map((b) => b.records[0]!.value), ['b']);
});

test('a batch encodes its records, producer id, epoch and sequence; a new sequence re-encodes', () => {
  const q = new PartitionQueue('t', 3);
  const call = new SendCall(2);
  q.append({ key: 'k', value: 'v1', timestamp: 5n }, 20, call, 0, S, 0);
  q.append({ key: null, value: null, headers: [{ key: 'h', value: 'x' }], timestamp: 6n }, 20, call, 1, S, 0);
  const b = q.batches[0]!;
  Object.assign(b, { producerId: 77n, producerEpoch: 3, baseSequence: 10 });
  const first = b.encode();
  assert.equal(b.encode(), first, 'encoded once');
  const { records } = readRecords(first);
  assert.deepEqual(records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]), [['k', 'v1', 5n], [null, null, 6n]]);
  assert.equal(first.readBigInt64BE(43), 77n);
  assert.equal(first.readInt16BE(51), 3);
  assert.equal(first.readInt32BE(53), 10);
  b.baseSequence = 0;
  assert.notEqual(b.encode(), first);
  assert.equal(b.encode().readInt32BE(53), 0);
});
