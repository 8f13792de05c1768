import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CODEC, CorruptRecordsError, crc32c, encodeRecordBatch, hasRecordsFrom, KafkaWireError, readBatches, readRecords, RecordCursor,
  type KafkaRecord, type ReadOptions, type RecordBatch,
} from '../../../src/kafka-wire/index.js';
import { Rng } from '../../support/random.js';
import { transactionalLog } from '../../support/transactional-log.js';

/** Everything a consumer can read of a record, as plain data. */
function fieldsOfRecord(r: KafkaRecord): unknown[] {
  return [r.offset, r.timestamp, r.key === null ? null : Buffer.from(r.key), r.value === null ? null : Buffer.from(r.value),
    r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])];
}

function fieldsOfCursor(c: RecordCursor): unknown[] {
  const bytes = (start: number, length: number) => (length < 0 ? null : Buffer.from(c.buf.subarray(start, start + length)));
  return [c.offset, c.timestamp, bytes(c.keyStart, c.keyLength), bytes(c.valueStart, c.valueLength),
    c.headers().map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)])];
}

/** What a cursor walk of readBatches yields, record by record. */
function walk(batches: readonly RecordBatch[], fromOffset?: bigint): unknown[][] {
  const out: unknown[][] = [];
  const c = new RecordCursor();
  for (const b of batches) {
    c.reset(b, fromOffset);
    while (c.next()) out.push(fieldsOfCursor(c));
  }
  return out;
}

function randomBatches(rng: Rng, n: number, compression: number): Buffer {
  let base = 0n;
  return Buffer.concat(Array.from({ length: n }, () => {
    const records = Array.from({ length: rng.int(1, 40) }, () => ({
      key: rng.bool(0.2) ? null : rng.bytes(rng.int(0, 20)),
      value: rng.bool(0.1) ? null : rng.bytes(rng.int(0, 300)),
      timestamp: 1_700_000_000_000n + BigInt(rng.int(-1000, 100_000)),
      headers: Array.from({ length: rng.int(0, 3) }, () => ({ key: rng.string(6), value: rng.bool(0.2) ? null : rng.bytes(rng.int(0, 10)) })),
    }));
    const b = encodeRecordBatch({ baseOffset: base, records, compression, baseTimestamp: 1_700_000_000_000n });
    base += BigInt(records.length);
    return b;
  }));
}

test('a cursor over lazy batches yields exactly the records readRecords decodes, from any offset, every codec', () => {
  const rng = new Rng(21);
  for (const compression of [CODEC.none, CODEC.gzip, CODEC.snappy, CODEC.lz4, CODEC.zstd]) {
    const buf = randomBatches(rng, 6, compression);
    const all = readRecords(buf).records;
    for (const from of [undefined, 0n, 1n, all[7]!.offset, all[all.length - 1]!.offset, all[all.length - 1]!.offset + 1n]) {
      const opts: ReadOptions = from === undefined ? {} : { fromOffset: from };
      const eager = readRecords(buf, opts);
      const lazy = readBatches(buf, opts);
      assert.ok(lazy.batches.every((b) => b.records.length === 0), 'lazy batches hold no record objects');
      assert.deepEqual(walk(lazy.batches, from), eager.records.map(fieldsOfRecord), `codec ${compression}, from ${from}`);
      assert.equal(lazy.nextOffset, eager.nextOffset);
      // The same cursor also walks batches that were decoded into records.
      assert.deepEqual(walk(eager.batches, from), eager.records.map(fieldsOfRecord));
    }
  }
});

test('readBatches drops control batches and aborted transactions as readRecords does', () => {
  const { buf, pidB } = transactionalLog();
  const cases: ReadOptions[] = [{}, { abortedTransactions: [{ producerId: pidB, firstOffset: 3n }] }, { includeControl: true }, { fromOffset: 4n }];
  for (const opts of cases) {
    const eager = readRecords(buf, opts);
    const lazy = readBatches(buf, opts);
    assert.deepEqual(walk(lazy.batches, opts.fromOffset).map((f) => f[0]), eager.records.map((r) => r.offset), JSON.stringify(opts, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    assert.equal(lazy.nextOffset, 8n);
  }
});

/** A batch of `n` records at `base` whose lastOffsetDelta says `last`: what compaction leaves. */
function compacted(base: bigint, n: number, last: number): Buffer {
  const b = encodeRecordBatch({ baseOffset: base, records: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  b.writeInt32BE(last, 23);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

test('hasRecordsFrom is exact: a compacted batch that covers the offset may hold no record at or after it', () => {
  const buf = compacted(100n, 3, 9); // records 100-102, lastOffset 109
  for (const [from, want] of [[100n, true], [102n, true], [103n, false], [109n, false], [110n, false]] as const) {
    const { batches } = readBatches(buf, { fromOffset: from });
    assert.equal(hasRecordsFrom(batches, from), want, `from ${from}`);
    assert.equal(readRecords(buf, { fromOffset: from }).records.length > 0, want);
  }
  assert.equal(readBatches(buf, { fromOffset: 105n }).nextOffset, 110n, 'the next fetch skips the compacted range');
  const two = Buffer.concat([buf, encodeRecordBatch({ baseOffset: 110n, records: [{ value: 'x' }] })]);
  assert.equal(hasRecordsFrom(readBatches(two, { fromOffset: 105n }).batches, 105n), true);
  assert.equal(hasRecordsFrom([], 0n), false);
});

test('lazy batches are validated when walked: same typed errors as decoding, never an untyped one', () => {
  const rng = new Rng(5);
  const base = encodeRecordBatch({ records: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, headers: [{ key: 'h', value: 'v' }] })) });
  let lazyErrors = 0;
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(base);
    for (let f = rng.int(1, 4); f > 0; f--) m[rng.int(12, m.length - 1)] = rng.int(0, 255);
    let eager: unknown[][] | Error;
    try {
      eager = readRecords(m, { verifyCrc: false }).records.map(fieldsOfRecord);
    } catch (e) {
      eager = e as Error;
    }
    let lazy: unknown[][] | Error;
    try {
      lazy = walk(readBatches(m, { verifyCrc: false }).batches);
    } catch (e) {
      lazy = e as Error;
      lazyErrors++;
      assert.ok(e instanceof KafkaWireError, `iteration ${i}: ${String(e)}`);
    }
    // A batch turned into a control batch is skipped unread by the lazy path; otherwise both agree.
    if (!(eager instanceof Error)) assert.deepEqual(lazy, eager, `iteration ${i}`);
    else if (!(lazy instanceof Error) && (m[22]! & 0x20) === 0) assert.fail(`iteration ${i}: decoding threw ${eager.message}, the walk did not`);
  }
  assert.ok(lazyErrors > 100, `only ${lazyErrors} mutations were caught`);
});

test('a record count the bytes cannot hold, and bytes after the last record, are errors either way', () => {
  const b = encodeRecordBatch({ records: [{ value: 'a' }, { value: 'b' }] });
  const tooMany = Buffer.from(b);
  tooMany.writeInt32BE(1000, 57);
  assert.throws(() => readBatches(tooMany, { verifyCrc: false }), CorruptRecordsError);
  assert.throws(() => readRecords(tooMany, { verifyCrc: false }), CorruptRecordsError);
  const tooFew = Buffer.from(b);
  tooFew.writeInt32BE(1, 57);
  assert.throws(() => readRecords(tooFew, { verifyCrc: false }), /bytes left after 1 records/);
  const lazy = readBatches(tooFew, { verifyCrc: false });
  assert.throws(() => walk(lazy.batches), /bytes left after 1 records/);
});

test('reset() rewinds: one cursor walks the same batch twice and then another', () => {
  const { batches } = readBatches(randomBatches(new Rng(2), 2, CODEC.lz4));
  const c = new RecordCursor();
  const offsets = (b: RecordBatch) => {
    const out: bigint[] = [];
    c.reset(b);
    while (c.next()) out.push(c.offset);
    assert.equal(c.next(), false, 'stays at the end');
    return out;
  };
  const first = offsets(batches[0]!);
  assert.deepEqual(offsets(batches[0]!), first);
  assert.equal(offsets(batches[1]!)[0], first[first.length - 1]! + 1n);
});

test('clear() lets go of the batch: the cursor then yields nothing until reset', () => {
  const { batches } = readBatches(randomBatches(new Rng(4), 1, CODEC.none));
  const c = new RecordCursor().reset(batches[0]!);
  assert.equal(c.next(), true);
  c.clear();
  assert.equal(c.buf.length, 0);
  assert.equal(c.next(), false);
  assert.throws(() => c.timestamp, /needs a cursor set with reset/);
  assert.equal(c.reset(batches[0]!).next(), true, 'usable again after reset');
});
