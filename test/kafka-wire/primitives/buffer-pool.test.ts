import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferArena, BufferPool, CODEC, encodeRecordBatch, readRecords } from '../../../src/kafka-wire/index.js';
import { sizeClass } from '../../../src/kafka-wire/primitives/buffer-pool.js';

test('size classes: eight per power of two, never smaller than asked, at most an eighth unused', () => {
  for (const n of [1, 7, 8, 9, 100, 4095, 4096, 4097, 65_536, 1_048_576, 1_048_577, 1_100_000, 123_456_789]) {
    const c = sizeClass(n);
    assert.ok(c >= n, `${n} -> ${c}`);
    assert.ok(c - n <= n / 8 + 1, `${n} -> ${c} wastes too much`);
  }
  assert.equal(sizeClass(1_048_576 + 200), 1_179_648, 'a 1 MiB fetch response plus headers');
  assert.equal(sizeClass(1_048_576), 1_048_576);
});

test('a view of a pooled buffer releases it; small, foreign and twice-released buffers are ignored', () => {
  const pool = new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 20 });
  const a = pool.take(10_000);
  assert.equal(a.length, 10_000);
  pool.release(a.subarray(100, 200));
  assert.equal(pool.pooledBytes, a.buffer.byteLength);
  pool.release(a);
  assert.equal(pool.pooledBytes, a.buffer.byteLength, 'released once only');
  const b = pool.take(9_999);
  assert.equal(b.buffer, a.buffer, 'same class, same memory');
  pool.release(pool.take(100));
  pool.release(Buffer.allocUnsafeSlow(16_384));
  assert.equal(pool.pooledBytes, 0);
});

test('an arena cuts small buffers from pooled chunks, gives large ones their own, and releases all at once', () => {
  const pool = new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 });
  const arena = new BufferArena(pool, 64 * 1024);
  const a = arena.take(1000);
  const b = arena.take(3);
  const c = arena.take(1000);
  assert.equal(a.buffer, b.buffer, 'small buffers share a chunk');
  assert.equal(b.byteOffset - a.byteOffset, 1000);
  assert.equal(c.byteOffset - b.byteOffset, 8, 'each start is 8-byte aligned');
  a.fill(1);
  b.fill(2);
  c.fill(3);
  assert.ok(a.every((x) => x === 1) && b.every((x) => x === 2) && c.every((x) => x === 3), 'no overlap');
  const big = arena.take(20_000);
  assert.notEqual(big.buffer, a.buffer, 'over a quarter of a chunk: a buffer of its own');
  const spill = Array.from({ length: 70 }, () => arena.take(1000));
  assert.notEqual(spill[69]!.buffer, a.buffer, 'a full chunk is followed by a new one');
  arena.release();
  assert.equal(pool.pooledBytes, 2 * 64 * 1024 + big.buffer.byteLength);
  const again = new BufferArena(pool, 64 * 1024).take(10);
  assert.ok(again.buffer === a.buffer || again.buffer === spill[69]!.buffer, 'chunks are reused');
});

test('decompressed batches read with an arena equal those read without, for snappy, lz4 and zstd', () => {
  const records = Array.from({ length: 300 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(1 + (i % 7))) }));
  for (const codec of [CODEC.snappy, CODEC.lz4, CODEC.zstd]) {
    const bytes = Buffer.concat([encodeRecordBatch({ records, compression: codec }), encodeRecordBatch({ baseOffset: 300n, records, compression: codec })]);
    const arena = new BufferArena(new BufferPool({ minBytes: 8192, maxFreeBytes: 1 << 22 }));
    const plain = readRecords(bytes).records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]);
    const pooled = readRecords(bytes, { alloc: arena.take }).records;
    assert.deepEqual(pooled.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]), plain, `codec ${codec}`);
    assert.equal(pooled[0]!.buf.buffer, pooled[400]!.buf.buffer, `codec ${codec}: both batches in one arena chunk`);
  }
});
