import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incrementSequence, MAX_UNRESOLVED } from '../../../src/kafka-wire/index.js';
import { PartitionSequences, type SequencedBatch } from '../../../src/kafka-wire/client/sequences.js';

function batch(count: number): SequencedBatch {
  return { count, producerId: -1n, producerEpoch: -1, baseSequence: -1, ordinal: -1, maybeWritten: false, sentAsOldest: false };
}

/** A partition whose broker has acknowledged one batch of the producer already. */
function started(): PartitionSequences {
  const s = new PartitionSequences();
  s.identity = { producerId: 1000n, producerEpoch: 0 };
  const first = batch(0);
  s.assign(first);
  s.acked(first);
  return s;
}

test('sequences wrap from 2^31-1 to 0 as Kafka\'s DefaultRecordBatch.incrementSequence', () => {
  assert.equal(incrementSequence(0, 5), 5);
  assert.equal(incrementSequence(0x7fffffff - 4, 5), 0);
  assert.equal(incrementSequence(0x7fffffff, 1), 0);
  assert.equal(incrementSequence(0x7fffffff - 1, 10), 8);
});

test('batches get consecutive sequences and the identity; at most five from the oldest unresolved', () => {
  const s = started();
  const bs = [batch(3), batch(1), batch(10), batch(2), batch(4), batch(1)];
  for (const b of bs.slice(0, MAX_UNRESOLVED)) {
    assert.ok(s.canAssign());
    s.assign(b);
  }
  assert.deepEqual(bs.slice(0, 5).map((b) => b.baseSequence), [0, 3, 4, 14, 16], 'after the empty first batch of started()');
  assert.ok(bs.slice(0, 5).every((b) => b.producerId === 1000n && b.producerEpoch === 0));
  assert.equal(s.canAssign(), false, 'the sixth waits: the broker keeps five batches for deduplication');
  s.acked(bs[1]!);
  s.acked(bs[2]!);
  assert.equal(s.canAssign(), false, 'later batches completing do not help: bs[0] must stay within the broker\'s last five');
  s.acked(bs[0]!);
  assert.ok(s.canAssign());
  s.assign(bs[5]!);
  assert.equal(bs[5]!.baseSequence, 20);
  assert.equal(s.canAssign(), true, 'bs[3] is the oldest now: bs[3..5] and two more');
});

test('without an identity nothing is assigned; until Kafka acknowledges one batch of an identity, one at a time', () => {
  const s = new PartitionSequences();
  assert.equal(s.canAssign(), false);
  s.identity = { producerId: 5n, producerEpoch: 0 };
  const [a, b] = [batch(1), batch(1)];
  assert.equal(s.canAssign(), true);
  s.assign(a);
  assert.equal(s.canAssign(), false, 'a partition that does not know the producer takes any first sequence');
  s.acked(a);
  s.assign(b);
  assert.equal(s.canAssign(), true, 'known now: sequences are checked');
  s.unknownProducer(b);
  s.restart({ producerId: 5n, producerEpoch: 1 });
  s.assign(b);
  assert.equal(s.canAssign(), false, 'a new epoch: one at a time again');
});

test('only the oldest unresolved batch may be sent again', () => {
  const s = started();
  const [a, b] = [batch(1), batch(1)];
  s.assign(a);
  s.assign(b);
  assert.equal(s.mayResend(b), false, 'b waits behind a');
  assert.equal(s.mayResend(a), true);
  s.acked(a);
  assert.equal(s.mayResend(b), true);
});

test('OUT_OF_ORDER behind an unresolved batch: wait; for the oldest batch, sent as the oldest: start over', () => {
  const s = started();
  const [a, b, c] = [batch(2), batch(2), batch(2)];
  for (const x of [a, b, c]) {
    s.assign(x);
    s.sending(x);
  }
  s.outOfOrder(b);
  assert.equal(s.reset, undefined, 'a is still unresolved: b just waits for it');
  s.acked(a);
  s.outOfOrder(c);
  assert.equal(s.reset, undefined, 'b is still unresolved');
  s.outOfOrder(b);
  assert.equal(s.reset, undefined, 'that attempt of b went out before a was written: a late answer, not a divergence');
  s.sending(b);
  s.outOfOrder(b);
  assert.equal(s.reset, 'bump', 'a was acknowledged before b went out, and the broker still refuses b: its sequence state differs from ours');
  assert.equal(s.canAssign(), false);
  assert.equal(s.mayResend(b), false, 'nothing goes until the restart');
  const uncertain = s.restart({ producerId: 1000n, producerEpoch: 1 });
  assert.deepEqual(uncertain, []);
  assert.equal(b.baseSequence, -1, 'b is sent again as a new batch');
  assert.equal(c.baseSequence, -1);
  s.assign(b);
  s.assign(c);
  assert.deepEqual([b.baseSequence, b.producerEpoch, c.baseSequence], [0, 1, 2]);
});

test('a failed last batch gives its sequence to the next one; a failed batch with later ones forces a restart', () => {
  const s = started();
  const [a, b] = [batch(5), batch(3)];
  s.assign(a);
  s.assign(b);
  s.failed(b);
  assert.equal(s.reset, undefined);
  const c = batch(1);
  s.assign(c);
  assert.equal(c.baseSequence, 5, 'b\'s sequences were never written: c reuses them');
  s.failed(a);
  assert.equal(s.reset, 'bump', 'c follows a gap now');
});

test('a failed batch that may be in the log never gives its sequence away', () => {
  // Kafka would take a new batch of the same size at that sequence for a duplicate of the old one
  // and answer with the old batch's offsets: the new records would be lost while acknowledged.
  const s = started();
  const a = batch(4);
  s.assign(a);
  a.maybeWritten = true;
  s.failed(a);
  assert.equal(s.reset, 'bump');
});

test('a restart fails the batches that may be in the log and renumbers the others', () => {
  const s = started();
  const [a, b, c] = [batch(1), batch(1), batch(1)];
  s.assign(a);
  s.assign(b);
  s.assign(c);
  b.maybeWritten = true;
  s.unknownProducer(a);
  assert.equal(s.reset, 'bump');
  const uncertain = s.restart({ producerId: 1000n, producerEpoch: 1 });
  assert.deepEqual(uncertain, [b]);
  assert.equal(s.unresolved.length, 0);
  s.assign(a);
  s.acked(a);
  s.assign(c);
  assert.deepEqual([a.baseSequence, c.baseSequence], [0, 1]);
});

test('fencing needs a fresh producer id, and wins over a pending epoch bump', () => {
  const s = started();
  const [a, b] = [batch(1), batch(1)];
  s.assign(a);
  s.assign(b);
  s.failed(a);
  assert.equal(s.reset, 'bump');
  s.fenced(b);
  assert.equal(s.reset, 'renew');
  s.restart({ producerId: 2000n, producerEpoch: 0 });
  s.assign(b);
  assert.deepEqual([b.producerId, b.producerEpoch, b.baseSequence], [2000n, 0, 0]);
});

test('OUT_OF_ORDER for the oldest unresolved batch after later ones were acknowledged: start over', () => {
  // Kafka answers so when its state differs from ours: with a producer it forgot, it takes any
  // sequence, so a later batch may be written while an earlier one was not.
  const s = started();
  const [a, b, c] = [batch(1), batch(1), batch(1)];
  s.assign(a);
  s.assign(b);
  s.assign(c);
  s.acked(b);
  s.acked(c);
  s.sending(a);
  s.outOfOrder(a);
  assert.equal(s.reset, 'bump');
});
