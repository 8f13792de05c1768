import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, partitionForKey, StickyPartitioner, toPositive } from '../../../src/kafka-wire/index.js';
import { Rng } from '../../support/random.js';

test('murmur2 gives the values of Kafka\'s own UtilsTest.testMurmur2', () => {
  // clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  const cases: Array<[Uint8Array, number]> = [
    [Buffer.from('21'), -973932308],
    [Buffer.from('foobar'), -790332482],
    [Buffer.from('a-little-bit-long-string'), -985981536],
    [Buffer.from('a-little-bit-longer-string'), -1486304829],
    [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
    [Uint8Array.from([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [key, want] of cases) assert.equal(murmur2(key), want, Buffer.from(key).toString());
});

test('toPositive clears the sign bit as Kafka\'s Utils.toPositive does (not Math.abs)', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(-973932308), -973932308 & 0x7fffffff);
  assert.equal(toPositive(5), 5);
  // Math.abs would give 973932308, which lands on another partition.
  assert.equal(partitionForKey(Buffer.from('21'), 1000), (-973932308 & 0x7fffffff) % 1000);
  assert.notEqual(partitionForKey(Buffer.from('21'), 1000), Math.abs(-973932308) % 1000);
});

test('every key length mod 4, empty keys, and keys with high bytes hash to 32-bit signed ints', () => {
  const rng = new Rng(19);
  for (let len = 0; len < 64; len++) {
    const key = rng.bytes(len).fill(0xff, 0, Math.min(len, 2));
    const h = murmur2(key);
    assert.ok(Number.isInteger(h) && h >= -0x80000000 && h <= 0x7fffffff, `length ${len}: ${h}`);
    const p = partitionForKey(key, 7);
    assert.ok(p >= 0 && p < 7);
  }
  // The empty key is hashed (only a null key is sticky): h = seed ^ 0, then the final mix.
  assert.equal(murmur2(new Uint8Array(0)), murmur2(Buffer.alloc(0)));
});

test('sticky partitioner: one partition per topic until its batch closes, then another one with a leader', () => {
  const rng = new Rng(7);
  const sticky = new StickyPartitioner(() => rng.next());
  const first = sticky.partition('t', 6, [0, 1, 2, 3, 4, 5]);
  for (let i = 0; i < 100; i++) assert.equal(sticky.partition('t', 6, [0, 1, 2, 3, 4, 5]), first, 'sticks');
  sticky.batchClosed('t', (first + 1) % 6);
  assert.equal(sticky.partition('t', 6, [0, 1, 2, 3, 4, 5]), first, 'another partition\'s batch does not move it');
  let previous = first;
  const seen = new Set<number>([first]);
  for (let i = 0; i < 200; i++) {
    sticky.batchClosed('t', previous);
    const next = sticky.partition('t', 6, [0, 1, 2, 3, 4, 5]);
    assert.notEqual(next, previous, 'never the same partition twice in a row when there is a choice');
    seen.add(next);
    previous = next;
  }
  assert.equal(seen.size, 6, 'all partitions get their turn');
  sticky.batchClosed('t', previous);
  for (let i = 0; i < 50; i++) {
    const p = sticky.partition('t', 6, [2, 4]);
    assert.ok(p === 2 || p === 4, 'only partitions with a leader');
    sticky.batchClosed('t', p);
  }
  assert.equal(sticky.partition('u', 3, []) < 3, true, 'no partition available: any of them');
  assert.equal(sticky.partition('one', 1, [0]), 0);
  sticky.batchClosed('one', 0);
  assert.equal(sticky.partition('one', 1, [0]), 0, 'a single partition is chosen again');
});
