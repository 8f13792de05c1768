import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from '../../../src/kafka-wire/index.js';
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
