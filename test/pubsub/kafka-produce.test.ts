import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProduceError, type Producer, type RecordInput, type RecordResult, type SendOptions } from '../../src/kafka-wire/index.js';
import { KafkaBackend, KafkaProduce, produceResults, TopicNotAllowedError, type ProduceReport } from '../../src/pubsub/index.js';
import type { KafkaClient } from '../../src/kafka-wire/index.js';
import type { ProduceRecordInput } from '../../src/pubsub/protocol/request.js';

/*
 * KafkaProduce's own rules with a fake Producer: the allow-list, max_record_bytes as a per-record
 * MESSAGE_TOO_LARGE, Kafka's error names per record, the idempotency cache scoped by subject and
 * topic, and a command of which nothing was written not being kept. Real brokers:
 * test/server/produce.kafka.test.ts.
 */

interface Sent {
  topic: string;
  partition: number | undefined;
  records: readonly RecordInput[];
  opts: SendOptions | undefined;
}

function fakeProducer(answer: (records: readonly RecordInput[], call: number) => RecordResult[]): { producer: Producer; sent: Sent[] } {
  const sent: Sent[] = [];
  const producer = {
    send: (topic: string, partition: number | undefined, records: readonly RecordInput[], opts?: SendOptions) => {
      sent.push({ topic, partition, records, opts });
      return Promise.resolve(answer(records, sent.length));
    },
  } as unknown as Producer;
  return { producer, sent };
}

const rec = (value: string, key: string | null = null): ProduceRecordInput => ({
  key: key === null ? null : Buffer.from(key), value: Buffer.from(value), headers: [], timestamp: undefined,
});
const acked = (records: readonly RecordInput[], call: number): RecordResult[] => records.map((_, i) => ({ partition: 1, offset: BigInt(call * 100 + i), timestamp: 1000n }));
const produceErr = (errorName: string, maybeWritten: boolean) => new ProduceError({ code: 'KWIRE_ERR_PRODUCE', topic: 't', partition: 0, errorName, retriable: true, maybeWritten, message: errorName });

test('the route\'s produce allow-list, then per-record sizes: a record over max_record_bytes fails alone with MESSAGE_TOO_LARGE', async () => {
  const { producer, sent } = fakeProducer(acked);
  const reports: ProduceReport[] = [];
  const p = new KafkaProduce({ producer, send: { acks: 1, compression: 'lz4' }, topicAllowed: (t) => t.startsWith('ok-'), maxRecordBytes: 10, observe: (r) => reports.push(r) });
  await assert.rejects(p.produce('other', undefined, [rec('a')], '', ''), TopicNotAllowedError);
  const headerHeavy: ProduceRecordInput = { key: null, value: Buffer.from('v'), headers: [{ key: 'hhhhhhhh', value: Buffer.from('xx') }], timestamp: 5n };
  const out = await p.produce('ok-1', 3, [rec('small'), rec('0123456789A'), headerHeavy, rec('k', 'key')], '', '');
  assert.deepEqual(out, [
    { partition: 1, offset: 100n, timestamp: 1000n },
    { partition: 3, error: 'MESSAGE_TOO_LARGE' },
    { partition: 3, error: 'MESSAGE_TOO_LARGE' },
    { partition: 1, offset: 101n, timestamp: 1000n },
  ]);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.records.map((r) => Buffer.from(r.value as Uint8Array).toString()), ['small', 'k']);
  assert.deepEqual([sent[0]!.topic, sent[0]!.partition, sent[0]!.opts], ['ok-1', 3, { acks: 1, compression: 'lz4' }]);
  assert.deepEqual(reports, [{ records: 2, bytes: 5 + 4, errors: ['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE'] }]);
});

test('per-record errors carry Kafka\'s error name', async () => {
  const { producer } = fakeProducer((records) => records.map((_, i) => (i === 0 ? { partition: 0, error: produceErr('UNKNOWN_TOPIC_OR_PARTITION', false) } : { partition: 0, offset: -1n, timestamp: 7n })));
  const p = new KafkaProduce({ producer, send: {}, topicAllowed: () => true, maxRecordBytes: 100 });
  assert.deepEqual(await p.produce('t', undefined, [rec('a'), rec('b')], '', ''), [
    { partition: 0, error: 'UNKNOWN_TOPIC_OR_PARTITION' },
    { partition: 0, offset: -1n, timestamp: 7n },
  ]);
});

test('idempotency: a repeat gets the first outcomes and is not written; the key is scoped by subject and topic', async () => {
  const { producer, sent } = fakeProducer(acked);
  let repeats = 0;
  const p = new KafkaProduce({ producer, send: {}, topicAllowed: () => true, maxRecordBytes: 100, idempotency: produceResults(60_000), repeated: () => repeats++ });
  const first = await p.produce('t', undefined, [rec('a'), rec('b')], 'key-1', 'alice');
  const again = await p.produce('t', undefined, [rec('a'), rec('b')], 'key-1', 'alice');
  assert.deepEqual(again, first);
  assert.equal(sent.length, 1);
  assert.equal(repeats, 1);
  await p.produce('t', undefined, [rec('a')], 'key-1', 'bob');
  await p.produce('u', undefined, [rec('a')], 'key-1', 'alice');
  // A subject and topic that concatenate alike are still told apart.
  await p.produce('b:t', undefined, [rec('a')], 'k', 'a');
  await p.produce('t', undefined, [rec('a')], 'k', 'a:b');
  await p.produce('t', undefined, [rec('a')], '', 'alice');
  await p.produce('t', undefined, [rec('a')], '', 'alice');
  assert.equal(sent.length, 7, 'other subjects, other topics and no key all write');
  const long = 'x'.repeat(10_000);
  await p.produce('t', undefined, [rec('a')], long, 'alice');
  await p.produce('t', undefined, [rec('a')], long, 'alice');
  assert.equal(sent.length, 8, 'a long key is remembered too (as its digest)');
});

test('a command of which nothing was written is forgotten, so its retry runs; one that may have been written is kept', async () => {
  let fail: 'none' | 'unwritten' | 'maybe' = 'unwritten';
  const { producer, sent } = fakeProducer((records, call) => records.map((_, i) => (fail === 'none'
    ? { partition: 0, offset: BigInt(call * 10 + i), timestamp: 1n }
    : { partition: 0, error: produceErr('REQUEST_TIMED_OUT', fail === 'maybe') })));
  const p = new KafkaProduce({ producer, send: {}, topicAllowed: () => true, maxRecordBytes: 100, idempotency: produceResults(60_000) });
  assert.deepEqual(await p.produce('t', undefined, [rec('a')], 'k', ''), [{ partition: 0, error: 'REQUEST_TIMED_OUT' }]);
  fail = 'none';
  assert.deepEqual(await p.produce('t', undefined, [rec('a')], 'k', ''), [{ partition: 0, offset: 20n, timestamp: 1n }], 'the retry ran');
  fail = 'maybe';
  assert.deepEqual(await p.produce('t', undefined, [rec('a')], 'm', ''), [{ partition: 0, error: 'REQUEST_TIMED_OUT' }]);
  fail = 'none';
  assert.deepEqual(await p.produce('t', undefined, [rec('a')], 'm', ''), [{ partition: 0, error: 'REQUEST_TIMED_OUT' }], 'maybe written: the retry is answered, not written');
  assert.equal(sent.length, 3);
});

test('KafkaBackend without produce settings: produce is not enabled', async () => {
  const backend = new KafkaBackend({ client: {} as KafkaClient, fetch: { maxWaitMs: 0, minBytes: 0, maxBytes: 1, isolation: 'read_uncommitted' } });
  const e = await backend.produce('t', undefined, [], '', '').then(() => undefined, (x: unknown) => x);
  assert.equal(backend.describeError(e), 'produce is not enabled on this route');
});
