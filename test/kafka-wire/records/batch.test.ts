import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CorruptRecordsError, CrcMismatchError, decodeBatches, encodeRecordBatch, KafkaWireError, readRecords,
} from '../../../src/kafka-wire/index.js';
import { Rng } from '../../support/random.js';
import { transactionalLog } from '../../support/transactional-log.js';

// The byte-exact vector of record-format.md ("Test vector (uncompressed, two records)").
const SPEC_VECTOR = Buffer.from(
  '0000000000000000' + '00000047' + 'ffffffff' + '02' + '3abf9785' + '0000' + '00000001' +
  '0000018bcfe56800' + '0000018bcfe56805' + 'ffffffffffffffff' + 'ffff' + 'ffffffff' + '00000002' +
  '100000000104686900' + '18000a02026b02760202680278',
  'hex',
);

test('decodes the record-format.md v2 vector exactly', () => {
  const [batch] = decodeBatches(SPEC_VECTOR);
  assert.ok(batch);
  assert.equal(batch.magic, 2);
  assert.equal(batch.crc, 0x3abf9785);
  assert.equal(batch.baseTimestamp, 1700000000000n);
  assert.equal(batch.lastOffset, 1n);
  const [a, b] = batch.records;
  assert.ok(a && b);
  assert.equal(a.offset, 0n);
  assert.equal(a.timestamp, 1700000000000n);
  assert.equal(a.key, null);
  assert.equal(a.value?.toString(), 'hi');
  assert.deepEqual(a.headers, []);
  assert.equal(b.offset, 1n);
  assert.equal(b.timestamp, 1700000000005n);
  assert.equal(b.key?.toString(), 'k');
  assert.deepEqual(b.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
});

test('our encoder writes the record-format.md vector byte for byte', () => {
  const out = encodeRecordBatch({
    baseTimestamp: 1700000000000n,
    records: [
      { key: null, value: 'hi', timestamp: 1700000000000n },
      { key: 'k', value: 'v', timestamp: 1700000000005n, headers: [{ key: 'h', value: 'x' }] },
    ],
  });
  assert.equal(out.toString('hex'), SPEC_VECTOR.toString('hex'));
});

test('keys and values are views of the input buffer', () => {
  const [batch] = decodeBatches(SPEC_VECTOR);
  const v = batch!.records[0]!.value!;
  assert.equal(v.buffer, SPEC_VECTOR.buffer);
});

test('a CRC mismatch is a typed error naming the base offset', () => {
  const bad = Buffer.from(SPEC_VECTOR);
  bad.writeBigInt64BE(42n, 0); // not covered by the CRC: still fine
  assert.equal(decodeBatches(bad)[0]!.baseOffset, 42n);
  bad[67]! ^= 1; // the "h" of record 0's value: covered by the CRC
  assert.throws(() => decodeBatches(bad), (e: unknown) => e instanceof CrcMismatchError && e.code === 'KWIRE_ERR_CRC_MISMATCH' && e.baseOffset === 42n && /base offset 42/.test(e.message));
  // Without verification the flipped byte decodes (as a different value) instead.
  assert.equal(decodeBatches(bad, { verifyCrc: false })[0]!.records[0]!.value!.toString(), "ii");
});

test('a truncated last batch is ignored, a complete one before it is kept', () => {
  const two = Buffer.concat([SPEC_VECTOR, encodeRecordBatch({ baseOffset: 2n, records: [{ value: 'x' }] })]);
  for (let cut = SPEC_VECTOR.length; cut < two.length; cut++) {
    const r = readRecords(two.subarray(0, cut));
    assert.equal(r.records.length, 2, `cut at ${cut}`);
    assert.equal(r.nextOffset, 2n);
  }
  assert.equal(readRecords(two).records.length, 3);
  for (let cut = 0; cut < SPEC_VECTOR.length; cut++) {
    assert.deepEqual(readRecords(SPEC_VECTOR.subarray(0, cut)).records, [], `cut at ${cut}`);
  }
});

test('fromOffset drops the earlier records of the batch that contains it', () => {
  const buf = encodeRecordBatch({ baseOffset: 100n, records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
  const r = readRecords(buf, { fromOffset: 104n });
  assert.deepEqual(r.records.map((x) => x.offset), [104n, 105n, 106n, 107n, 108n, 109n]);
  assert.equal(r.nextOffset, 110n);
  assert.equal(readRecords(buf, { fromOffset: 110n }).records.length, 0);
});

test('control batches are skipped, and read_committed drops aborted transactions', () => {
  const { buf, pidB } = transactionalLog();
  const uncommitted = readRecords(buf);
  assert.deepEqual(uncommitted.records.map((r) => r.offset), [0n, 1n, 3n, 4n, 6n]);
  assert.equal(uncommitted.nextOffset, 8n);
  const committed = readRecords(buf, { abortedTransactions: [{ producerId: pidB, firstOffset: 3n }] });
  assert.deepEqual(committed.records.map((r) => r.offset), [0n, 1n, 6n]);
  const all = readRecords(buf, { includeControl: true });
  assert.deepEqual(all.records.map((r) => r.offset), [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
});

test('legacy magic 0 and magic 1 messages (record-format.md vectors)', () => {
  const m0 = Buffer.from('0000000000000000' + '00000010' + 'fd6ebddb' + '00' + '00' + 'ffffffff' + '00000002' + '6869', 'hex');
  const m1 = Buffer.from('0000000000000000' + '00000018' + 'dba4e6e2' + '01' + '00' + '0000018bcfe56800' + 'ffffffff' + '00000002' + '6869', 'hex');
  const [r0] = readRecords(m0).records;
  assert.equal(r0?.value?.toString(), 'hi');
  assert.equal(r0?.key, null);
  assert.equal(r0?.timestamp, -1n);
  const [r1] = readRecords(m1).records;
  assert.equal(r1?.timestamp, 1700000000000n);
  assert.equal(r1?.offset, 0n);
  const bad = Buffer.from(m1);
  bad[bad.length - 1]! ^= 1;
  assert.throws(() => readRecords(bad), CrcMismatchError);
});

test('round trip of random batches, gzip included, with headers and nulls', () => {
  const rng = new Rng(99);
  for (let n = 0; n < 50; n++) {
    const records = Array.from({ length: rng.int(1, 30) }, () => ({
      key: rng.bool(0.2) ? null : rng.bytes(rng.int(0, 20)),
      value: rng.bool(0.1) ? null : rng.bytes(rng.int(0, 300)),
      timestamp: 1700000000000n + BigInt(rng.int(0, 100000)),
      headers: Array.from({ length: rng.int(0, 3) }, () => ({ key: rng.string(6), value: rng.bool(0.2) ? null : rng.bytes(rng.int(0, 10)) })),
    }));
    const compression = n % 2;
    const buf = encodeRecordBatch({ baseOffset: BigInt(n * 1000), records, compression, baseTimestamp: 1700000000000n });
    const got = readRecords(buf).records;
    assert.equal(got.length, records.length);
    got.forEach((r, i) => {
      const want = records[i]!;
      assert.equal(r.offset, BigInt(n * 1000 + i));
      assert.equal(r.timestamp, want.timestamp);
      assert.deepEqual(r.key === null ? null : Buffer.from(r.key), want.key === null ? null : Buffer.from(want.key));
      assert.deepEqual(r.value === null ? null : Buffer.from(r.value), want.value === null ? null : Buffer.from(want.value));
      assert.deepEqual(r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]), want.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]));
    });
  }
});

test('mutated batches fail only with typed errors', () => {
  const rng = new Rng(5);
  const base = encodeRecordBatch({ records: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, headers: [{ key: 'h', value: 'v' }] })) });
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(base);
    const flips = rng.int(1, 4);
    for (let f = 0; f < flips; f++) m[rng.int(0, m.length - 1)] = rng.int(0, 255);
    const cut = rng.bool(0.3) ? m.subarray(0, rng.int(0, m.length)) : m;
    for (const verifyCrc of [true, false]) {
      try {
        for (const r of readRecords(cut, { verifyCrc }).records) void r.headers;
      } catch (e) {
        assert.ok(e instanceof KafkaWireError, `iteration ${i}: ${String(e)}`);
      }
    }
  }
  assert.throws(() => decodeBatches(Buffer.from('0000000000000000000000050000000002', 'hex')), CorruptRecordsError);
});
