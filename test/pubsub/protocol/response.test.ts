import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CODEC, CorruptRecordsError, encodeRecordBatch, readBatches, readRecords, type KafkaRecord, type RecordInput } from '../../../src/kafka-wire/index.js';
import { encodeErrorReply, encodeFetchReply, encodeListOffsetReply, encodePongReply, RecordTooLargeError } from '../../../src/pubsub/index.js';
import { decodeResp, encodeResp } from '../../support/pubsub-proto.js';
import { Rng } from '../../support/random.js';

const EDGES = [0n, 1n, -1n, -2n, 127n, 128n, 16383n, 16384n, 2n ** 31n, 2n ** 35n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n)];

test('error, pong and list offset replies equal protobufjs bytes for every int64 edge', () => {
  for (const seq of EDGES) {
    const s = seq.toString();
    assert.deepEqual(encodeErrorReply(seq, 'failed to fetch message, topic: é, partition: 1, err: not found topic'),
      encodeResp({ sequence: s, errorResp: { message: 'failed to fetch message, topic: é, partition: 1, err: not found topic' } }));
    assert.deepEqual(encodeErrorReply(seq, ''), encodeResp({ sequence: s, errorResp: {} }));
    const state = Buffer.from([0, 1, 2, 255, 254]);
    assert.deepEqual(encodePongReply(seq, state), encodeResp({ sequence: s, pongResp: { state } }));
    assert.deepEqual(encodePongReply(seq, Buffer.alloc(0)), encodeResp({ sequence: s, pongResp: {} }));
    for (const offset of EDGES) {
      const mine = encodeListOffsetReply(seq, offset);
      assert.deepEqual(mine, encodeResp({ sequence: s, kafkaListOffsetResp: offset === 0n ? {} : { offset: offset.toString() } }));
      assert.equal(decodeResp(mine).kafkaListOffsetResp?.offset ?? '0', offset.toString());
    }
  }
});

test('the oneof member is present even when empty', () => {
  const r = decodeResp(encodeFetchReply(4n, { batches: [], highWatermark: 0n, logStartOffset: 0n }, 1 << 20).frame);
  assert.equal(r.resp, 'kafkaFetchResp');
  assert.deepEqual(r.kafkaFetchResp?.messages ?? [], []);
  assert.equal(decodeResp(encodeListOffsetReply(4n, 0n)).resp, 'kafkaListOffsetResp');
  assert.equal(decodeResp(encodePongReply(0n, Buffer.alloc(0))).resp, 'pongResp');
});

function batchesOf(inputs: RecordInput[][], opts: { compression?: number; logAppendTime?: boolean } = {}): Buffer {
  let base = 1000n;
  const bufs = inputs.map((records) => {
    const b = encodeRecordBatch({ records, baseOffset: base, baseTimestamp: 1_700_000_000_000n, ...opts });
    base += BigInt(records.length);
    return b;
  });
  return Buffer.concat(bufs);
}

/**
 * The reply encoded from the batches read both ways the encoder accepts them: lazily (records as
 * bytes, the proxy's path) and decoded into records. The two must be byte-identical.
 */
function reply(sequence: bigint, buf: Buffer, highWatermark: bigint, logStartOffset: bigint, maxFrameBytes: number, fromOffset?: bigint) {
  const opts = { verifyCrc: false, ...(fromOffset === undefined ? {} : { fromOffset }) };
  const lazy = encodeFetchReply(sequence, { batches: readBatches(buf, opts).batches, fromOffset, highWatermark, logStartOffset }, maxFrameBytes);
  const decoded = encodeFetchReply(sequence, { batches: readRecords(buf, opts).batches, fromOffset, highWatermark, logStartOffset }, maxFrameBytes);
  assert.deepEqual(decoded, lazy, 'lazy and decoded batches give different replies');
  return lazy;
}

const recordsOf = (buf: Buffer, fromOffset?: bigint): KafkaRecord[] => readRecords(buf, { verifyCrc: false, ...(fromOffset === undefined ? {} : { fromOffset }) }).records;

function sampleInputs(rng: Rng, n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 0 ? null : rng.bytes(rng.int(0, 60)),
    value: i % 7 === 0 ? null : rng.bytes(rng.int(0, 300)),
    headers: i % 3 === 0 ? [] : [{ key: 'trace-é', value: rng.bytes(rng.int(0, 20)) }, { key: '', value: null }, { key: 'empty', value: Buffer.alloc(0) }],
    timestamp: 1_700_000_000_000n + BigInt(i * 13 - 50),
  }));
}

/** The reply protobufjs encodes for these records, from their decoded fields. */
function expectedReply(sequence: bigint, records: readonly KafkaRecord[], highWatermark: bigint, logStartOffset: bigint): Buffer {
  return encodeResp({
    sequence: sequence.toString(),
    kafkaFetchResp: {
      messages: records.map((r) => ({
        offset: r.offset.toString(), timestamp: r.timestamp.toString(),
        ...(r.key !== null && r.key.length > 0 ? { key: r.key } : {}),
        ...(r.value !== null && r.value.length > 0 ? { value: r.value } : {}),
        headers: r.headers.map((h) => ({ ...(h.key !== '' ? { key: h.key } : {}), ...(h.value !== null ? { value: h.value } : {}) })),
      })),
      highWatermark: highWatermark.toString(), logStartOffset: logStartOffset.toString(),
    },
  });
}

test('fetch replies equal protobufjs bytes and carry every field of every record', () => {
  const rng = new Rng(3);
  for (const compression of [CODEC.none, CODEC.gzip, CODEC.lz4]) {
    const buf = batchesOf([sampleInputs(rng, 40), sampleInputs(rng, 25)], { compression });
    const records = recordsOf(buf);
    const { frame, count } = reply(77n, buf, 1065n, 12n, 1 << 20);
    assert.equal(count, records.length);
    assert.deepEqual(frame, expectedReply(77n, records, 1065n, 12n), `codec ${compression}`);
    const decoded = decodeResp(frame).kafkaFetchResp!;
    assert.equal(decoded.messages?.length, 65);
    assert.equal(decoded.messages?.[0]?.offset, '1000');
    assert.equal(decoded.messages?.[64]?.offset, '1064');
    assert.equal(decoded.highWatermark, '1065');
  }
});

test('LogAppendTime and extreme timestamps and offsets stay exact', () => {
  const latBuf = batchesOf([[{ value: 'a', timestamp: 5n }, { value: 'b', timestamp: 6n }]], { logAppendTime: true });
  const lat = recordsOf(latBuf);
  const d = decodeResp(reply(1n, latBuf, 0n, 0n, 1 << 20).frame);
  assert.deepEqual(d.kafkaFetchResp?.messages?.map((m) => m.timestamp), lat.map((r) => r.timestamp.toString()));
  for (const ts of [-1n, 2n ** 62n, -(2n ** 62n), 2n ** 53n + 3n]) {
    const base = 2n ** 62n + 11n;
    const buf = encodeRecordBatch({ records: [{ value: 'x', timestamp: ts }, { value: 'y', timestamp: ts }], baseOffset: base, baseTimestamp: ts });
    const m = decodeResp(reply(-9n, buf, base + 2n, base, 1 << 20).frame);
    assert.equal(m.sequence, '-9');
    assert.deepEqual(m.kafkaFetchResp?.messages?.map((x) => [x.offset, x.timestamp]), [[base.toString(), ts.toString()], [(base + 1n).toString(), ts.toString()]]);
    assert.equal(m.kafkaFetchResp?.highWatermark, (base + 2n).toString());
  }
});

test('a fetch reply never exceeds maxFrameBytes and returns a prefix', () => {
  const rng = new Rng(9);
  const buf = batchesOf([Array.from({ length: 120 }, () => ({ key: 'k', value: rng.bytes(rng.int(100, 3000)) })), Array.from({ length: 80 }, () => ({ key: 'k', value: rng.bytes(rng.int(100, 3000)) }))]);
  const records = recordsOf(buf);
  for (const from of [undefined, 1010n, 1119n]) {
    const delivered = from === undefined ? records : records.filter((r) => r.offset >= from);
    for (const max of [4096, 10_000, 65_536, 100_000, 300_000]) {
      const { frame, count } = reply(2n ** 40n, buf, 1200n, 1000n, max, from);
      assert.ok(frame.length <= max, `${frame.length} > ${max}`);
      if (expectedReply(2n ** 40n, delivered, 1200n, 1000n).length <= max) {
        assert.equal(count, delivered.length);
        continue;
      }
      assert.ok(count > 0 && count < delivered.length);
      const next = expectedReply(2n ** 40n, delivered.slice(0, count + 1), 1200n, 1000n);
      assert.ok(next.length > max, `one more record (${next.length} B) would have fit in ${max}`);
      assert.deepEqual(frame, expectedReply(2n ** 40n, delivered.slice(0, count), 1200n, 1000n));
    }
  }
  assert.throws(() => reply(1n, buf, 0n, 0n, 64), (e: unknown) => e instanceof RecordTooLargeError && e.offset === 1000n && e.maxFrameBytes === 64);
  assert.throws(() => reply(1n, buf, 0n, 0n, 64, 1150n), (e: unknown) => e instanceof RecordTooLargeError && e.offset === 1150n);
});

test('ASCII header keys are copied from the Kafka bytes: same reply as protobufjs, every key and value length', () => {
  // Keys of plain ASCII take the path that copies header bytes without decoding them; lengths
  // around the copy's 8- and 4-byte steps and its 128-byte switch to TypedArray#set.
  const rng = new Rng(11);
  const lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 127, 128, 129, 300];
  const inputs: RecordInput[] = lengths.map((n, i) => ({
    key: i % 4 === 0 ? null : rng.bytes(n),
    value: rng.bytes(lengths[(i + 5) % lengths.length]!),
    headers: [
      { key: 'trace-id', value: rng.bytes(n) },
      { key: '', value: null },
      { key: 'k'.repeat(n), value: Buffer.alloc(0) },
      { key: 'x-null', value: null },
    ],
    timestamp: 1_700_000_000_000n + BigInt(i),
  }));
  for (const compression of [CODEC.none, CODEC.lz4]) {
    const buf = batchesOf([inputs, sampleInputs(rng, 10), inputs], { compression });
    assert.deepEqual(reply(5n, buf, 2000n, 0n, 1 << 22).frame, expectedReply(5n, recordsOf(buf), 2000n, 0n), `codec ${compression}`);
  }
});

/** One batch whose header key `marker` has its first byte replaced (CRC not fixed: read without checking it). */
function patchedHeaderKey(marker: string, byte: number): Buffer {
  const batch = encodeRecordBatch({ records: [{ value: 'v', headers: [{ key: 'ok', value: 'a' }, { key: marker, value: 'b' }] }], baseOffset: 7n, baseTimestamp: 1_700_000_000_000n });
  const at = batch.indexOf(marker);
  assert.ok(at > 0);
  batch[at] = byte;
  return batch;
}

test('a header key that is not valid UTF-8 is sent as its decoded string (U+FFFD), as before the raw copy', () => {
  const buf = patchedHeaderKey('zz-marker', 0xff);
  const records = recordsOf(buf);
  assert.equal(records[0]!.headers[1]!.key, '\ufffdz-marker');
  assert.deepEqual(reply(1n, buf, 8n, 0n, 1 << 20).frame, expectedReply(1n, records, 8n, 0n));
});

test('malformed header bytes still throw CorruptRecordsError', () => {
  // The key length varint of the second header (2 * 9 = 18, one byte) becomes 2 * 60 = 120: past the record's end.
  const batch = encodeRecordBatch({ records: [{ value: 'v', headers: [{ key: 'ok', value: 'a' }, { key: 'zz-marker', value: 'b' }] }] });
  const at = batch.indexOf('zz-marker') - 1;
  assert.equal(batch[at], 18);
  batch[at] = 120;
  for (const batches of [readBatches(batch, { verifyCrc: false }).batches, readRecords(batch, { verifyCrc: false }).batches]) {
    assert.throws(() => encodeFetchReply(1n, { batches, highWatermark: 1n, logStartOffset: 0n }, 1 << 20), CorruptRecordsError);
  }
});

test('offsets and timestamps up to 2^53 - 1 are written exactly as protobufjs writes them', () => {
  for (const ts of [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n + 1n, 2n ** 49n - 1n, 2n ** 52n + 5n, 2n ** 53n - 2n]) {
    const base = 2n ** 53n - 10n;
    const buf = encodeRecordBatch({ records: [{ value: 'x', timestamp: ts }, { value: 'y', timestamp: ts + 1n }], baseOffset: base, baseTimestamp: ts });
    assert.deepEqual(reply(3n, buf, base + 2n, 0n, 1 << 20).frame, expectedReply(3n, recordsOf(buf), base + 2n, 0n), `timestamp ${ts}`);
  }
});

test('records below fromOffset are left out, in the first batch and past it', () => {
  const rng = new Rng(17);
  const buf = batchesOf([sampleInputs(rng, 30), sampleInputs(rng, 30)], { compression: CODEC.lz4 });
  for (const from of [1000n, 1001n, 1029n, 1030n, 1045n, 1059n, 1060n]) {
    const { frame, count } = reply(8n, buf, 1060n, 0n, 1 << 22, from);
    const want = recordsOf(buf, from);
    assert.equal(count, want.length);
    assert.deepEqual(frame, expectedReply(8n, want, 1060n, 0n), `from ${from}`);
  }
});

test('more records than the scratch arrays start with (1024), and legacy message sets', () => {
  const buf = batchesOf([Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: i % 2 === 0 ? [{ key: 'h', value: 'x' }] : [] }))]);
  const first = reply(1n, buf, 3000n, 0n, 1 << 22);
  assert.equal(first.count, 3000);
  assert.deepEqual(first.frame, expectedReply(1n, recordsOf(buf), 3000n, 0n));
  assert.deepEqual(reply(1n, buf, 3000n, 0n, 1 << 22), first, 'the grown scratch arrays give the same bytes again');
  // record-format.md's magic 0 and magic 1 vectors: legacy entries are always decoded into records.
  const m0 = Buffer.from('0000000000000000' + '00000010' + 'fd6ebddb' + '00' + '00' + 'ffffffff' + '00000002' + '6869', 'hex');
  const m1 = Buffer.from('0000000000000001' + '00000018' + 'dba4e6e2' + '01' + '00' + '0000018bcfe56800' + 'ffffffff' + '00000002' + '6869', 'hex');
  const legacy = Buffer.concat([m0, m1]);
  const d = decodeResp(reply(2n, legacy, 2n, 0n, 1 << 20).frame).kafkaFetchResp!;
  assert.deepEqual(d.messages?.map((m) => [m.offset ?? '0', m.timestamp, Buffer.from(m.value ?? []).toString()]), [['0', '-1', 'hi'], ['1', '1700000000000', 'hi']]);
});
