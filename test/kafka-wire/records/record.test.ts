import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, decodeBatches, encodeRecordBatch, readRecords, Writer, type KafkaRecord } from '../../../src/kafka-wire/index.js';

/**
 * One v2 batch written field by field, so a test controls every varint of every record: deltas the
 * encoder would never write (negative, out of order, large) and non-minimal encodings.
 */
interface RawRecord {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<[string, Buffer | null]>;
  /** Replaces the whole record body (after the length) when set. */
  body?: Buffer;
}

function rawBatch(records: RawRecord[], baseOffset = 0n, baseTimestamp = 1700000000000n, attributes = 0): Buffer {
  const body = new Writer();
  for (const r of records) {
    const rec = new Writer();
    if (r.body !== undefined) {
      rec.raw(r.body);
    } else {
      rec.int8(0).varlong(r.timestampDelta).varint(r.offsetDelta);
      bytes(rec, r.key);
      bytes(rec, r.value);
      rec.varint(r.headers?.length ?? 0);
      for (const [k, v] of r.headers ?? []) {
        bytes(rec, Buffer.from(k));
        bytes(rec, v);
      }
    }
    const b = rec.finish();
    body.varint(b.length).raw(b);
  }
  const section = body.finish();
  const w = new Writer();
  w.int64(baseOffset).int32(49 + section.length).int32(-1).int8(2);
  const crcAt = w.reserveInt32();
  w.int16(attributes).int32(records.length - 1).int64(baseTimestamp).int64(baseTimestamp + 99n)
    .int64(-1n).int16(-1).int32(-1).int32(records.length).raw(section);
  const out = w.finish();
  out.writeUInt32BE(crc32c(out, crcAt + 4), crcAt);
  return out;
}

function bytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}

function only(buf: Buffer): KafkaRecord[] {
  return readRecords(buf).records;
}

// Zigzag width boundaries: 1 byte holds -64..63, 2 bytes -8192..8191, 3 bytes -1048576..1048575.
const EDGES = [0, -1, 1, 63, -64, 64, -65, 8191, -8192, 8192, -8193, 1048575, -1048576, 1048576, 2147483647, -2147483648];

test('offset and timestamp deltas at every varint width boundary, negative ones included', () => {
  const records = EDGES.map((d, i): RawRecord => ({
    timestampDelta: BigInt(d), offsetDelta: d, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`),
  }));
  records.push({ timestampDelta: 2n ** 40n, offsetDelta: 5, key: null, value: null });
  records.push({ timestampDelta: -(2n ** 40n), offsetDelta: 6, key: null, value: null });
  const base = 1n << 40n;
  const got = only(rawBatch(records, base));
  assert.equal(got.length, records.length);
  got.forEach((r, i) => {
    const want = records[i]!;
    assert.equal(r.offsetDelta, want.offsetDelta, `record ${i}`);
    assert.equal(r.offset, base + BigInt(want.offsetDelta), `record ${i}`);
    assert.equal(r.timestamp, 1700000000000n + want.timestampDelta, `record ${i}`);
    assert.equal(r.key?.toString() ?? null, want.key?.toString() ?? null);
  });
});

test('key and value lengths at the one-, two- and three-byte boundaries', () => {
  const lengths = [0, 1, 63, 64, 8191, 8192, 20000];
  const records = lengths.map((n, i): RawRecord => ({
    timestampDelta: 0n, offsetDelta: i, key: Buffer.alloc(n, 0x6b), value: Buffer.alloc(lengths[lengths.length - 1 - i]!, 0x76),
  }));
  const got = only(rawBatch(records));
  got.forEach((r, i) => {
    assert.equal(r.key!.length, lengths[i]);
    assert.ok(r.key!.every((b) => b === 0x6b));
    assert.equal(r.value!.length, lengths[lengths.length - 1 - i]);
    assert.ok(r.value!.every((b) => b === 0x76));
  });
});

test('non-minimal varints in record fields decode as the Java reader does', () => {
  // attributes 0, timestampDelta 5 as 2 bytes, offsetDelta 0 as 3 bytes, key length 1 as 2 bytes
  // "k", value length 2 as 2 bytes "hi", header count 1 as 2 bytes, header "h" -> "x".
  const body = Buffer.from('00' + '8a00' + '808000' + '8200' + '6b' + '8400' + '6869' + '8200' + '02' + '68' + '02' + '78', 'hex');
  const [r] = only(rawBatch([{ timestampDelta: 0n, offsetDelta: 0, key: null, value: null, body }]));
  assert.ok(r);
  assert.equal(r.timestamp, 1700000000005n);
  assert.equal(r.offset, 0n);
  assert.equal(r.key?.toString(), 'k');
  assert.equal(r.value?.toString(), 'hi');
  assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
});

test('offsets and timestamps stay exact at the ends of int64', () => {
  const max = 2n ** 63n - 1n;
  const records: RawRecord[] = [
    { timestampDelta: 0n, offsetDelta: 0, key: null, value: null },
    { timestampDelta: -1n, offsetDelta: 7, key: null, value: null },
  ];
  const [a, b] = only(rawBatch(records, max - 7n, -(2n ** 62n)));
  assert.equal(a!.offset, max - 7n);
  assert.equal(b!.offset, max);
  assert.equal(a!.timestamp, -(2n ** 62n));
  assert.equal(b!.timestamp, -(2n ** 62n) - 1n);
  const [c] = only(rawBatch([{ timestampDelta: 2n ** 62n, offsetDelta: 0, key: null, value: null }], 2n ** 53n + 1n, 2n ** 53n + 1n));
  assert.equal(typeof c!.timestampDelta, 'bigint');
  assert.equal(c!.offset, 2n ** 53n + 1n);
  assert.equal(c!.timestamp, 2n ** 53n + 1n + 2n ** 62n);
});

test('LogAppendTime: every record has the batch max timestamp', () => {
  const buf = rawBatch([{ timestampDelta: 3n, offsetDelta: 0, key: null, value: null }], 0n, 1000n, 0x08);
  assert.equal(only(buf)[0]!.timestamp, 1099n);
});

test('keys, values and header values are Buffers viewing the input, also after decompression', () => {
  for (const compression of [0, 1]) {
    const buf = encodeRecordBatch({
      compression,
      records: [{ key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'hv' }, { key: 'n', value: null }] }, { key: null, value: '' }],
    });
    const { records, batches } = readRecords(buf);
    const [a, b] = records;
    for (const v of [a!.key!, a!.value!, a!.headers[0]!.value!, b!.value!]) {
      assert.ok(Buffer.isBuffer(v));
      assert.ok(v instanceof Buffer);
      assert.equal(v.buffer, a!.buf.buffer); // zero copy: the same memory as the records' buffer
    }
    if (compression === 0) assert.equal(a!.buf, buf);
    assert.equal(a!.key!.toString(), 'k1');
    assert.equal(a!.value!.toString('utf8'), 'v1');
    assert.equal(a!.headers[0]!.value!.toString(), 'hv');
    assert.equal(a!.headers[1]!.value, null);
    assert.equal(b!.key, null);
    assert.equal(b!.value!.length, 0);
    assert.equal(batches[0]!.records[0], a);
    assert.deepEqual(a!.toJSON(), {
      offset: '0', timestamp: String(batches[0]!.baseTimestamp), key: 'azE=', value: 'djE=',
      headers: [{ key: 'h', value: 'aHY=' }, { key: 'n', value: null }],
    });
  }
});

test('readRecords keeps batch order across several batches and returns its own array', () => {
  const batch = (base: bigint, n: number) => encodeRecordBatch({ baseOffset: base, records: Array.from({ length: n }, (_, i) => ({ value: `${base + BigInt(i)}` })) });
  const buf = Buffer.concat([batch(0n, 3), batch(3n, 1), batch(4n, 4)]);
  const r = readRecords(buf);
  assert.deepEqual(r.records.map((x) => x.offset), [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
  assert.deepEqual(r.records.map((x) => x.value!.toString()), ['0', '1', '2', '3', '4', '5', '6', '7']);
  r.records.pop();
  assert.equal(r.batches[0]!.records.length, 3);
  assert.equal(r.batches[2]!.records.length, 4);
  const single = readRecords(batch(0n, 2));
  assert.notEqual(single.records, single.batches[0]!.records);
  assert.deepEqual(readRecords(buf, { fromOffset: 2n }).records.map((x) => x.offset), [2n, 3n, 4n, 5n, 6n, 7n]);
  assert.deepEqual(decodeBatches(buf).map((b) => b.records.length), [3, 1, 4]);
});
